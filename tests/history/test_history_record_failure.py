"""Disk full while recording history, after the workbook was written (issue 8 item 5): the run
says what actually happened — written, not recorded — in Vietnamese, and the next sync records."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import OperationalError
from unitbook import SCHEMAS, UnitBook

from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.config.profile import load_profile
from sheetsync.history.store import open_store
from sheetsync.service import run_unit


def test_a_full_disk_while_recording_keeps_the_written_workbook_and_says_so(tmp_path, monkeypatch):
    b = UnitBook(tmp_path / "phong.xlsx", unit="Phòng A")
    b.product("SP1", 1)
    b.person("S1", "Nguyễn Văn An")
    b.task("T1", "S1", qty=1, done=1, review="Đạt")
    b.evaluation("S1", mgr_general=28)
    path = b.save()
    store = open_store(tmp_path / "kho.db")

    def disk_full(*args, **kwargs):
        raise OperationalError("INSERT INTO snapshots", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(store, "record_unit", disk_full)
    res = run_unit(XlsxBackend(path), SCHEMAS, load_profile(), as_of="2026-11-24", store=store, record=True)
    assert res.written and res.error is None
    assert res.record_error.code == "store.write-failed" and "ổ đĩa đã đầy" in str(res.record_error)
    assert res.to_dict()["record_error"]["code"] == "store.write-failed"
    monkeypatch.undo()
    assert store.snapshot_count() == 0  # nothing half-recorded
    again = run_unit(XlsxBackend(path), SCHEMAS, load_profile(), as_of="2026-11-24", store=store, record=True)
    assert again.record_error is None and store.snapshot_count() > 0  # recorded on the next sync
    store.close()
