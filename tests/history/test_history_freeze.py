"""Approved months are frozen: edits after approval are reported (which cell, old and new value,
found when) and not absorbed; an administrator's reopen lets the next sync absorb them."""

from __future__ import annotations

from datetime import datetime

import pytest
from history_support import (
    GOOD,
    XS,
    evaluate_file,
    fill_month,
    new_book,
    sync_once,
    totals,
)

from sheetsync.engine.evaluate import engine_values
from sheetsync.history.codes import ADDED_CODE, DELETED_CODE, EDIT_CODE, MONTH_CODE
from sheetsync.history.freeze import (
    apply_freeze,
)
from sheetsync.history.store import StoreError

UNIT = "Phòng thử nghiệm"
ROSTER = {"CB1": {"name": "Nguyễn Văn An", "role": "Người đứng đầu"},
          "CB2": {"name": "Trần Thị Bình", "manager": "CB1"},
          "CB3": {"name": "Lê Văn Cường", "manager": "CB1"}}
MAY = {"CB1": {"leader_e": 90, "approved": GOOD}, "CB2": {"approved": XS}, "CB3": {"done": 1, "approved": GOOD}}


@pytest.fixture
def unit(tmp_path):
    """May approved for everyone, June not yet approved."""
    book = new_book(tmp_path / "unit.xlsx", ROSTER)
    rows = fill_month(book, "2026-05", MAY)
    fill_month(book, "2026-06", MAY, approve=False)
    book.save()
    return book, rows


def test_a_month_freezes_once_everyone_has_an_approved_rating(store, unit):
    book, _ = unit
    _ev, report = sync_once(store, book.path, UNIT, "2026-06-30")
    assert report.edits == [] and report.frozen == []
    assert store.frozen_months(UNIT) == ["2026-05"]
    state = store.freeze_state(UNIT, "2026-05")
    assert state.frozen and state.snapshot_id == state.head_id
    assert [e["action"] for e in state.events] == ["freeze"]
    assert not store.freeze_state(UNIT, "2026-06").frozen


def test_one_approval_missing_keeps_the_month_open(store, tmp_path):
    book = new_book(tmp_path / "unit.xlsx", ROSTER)
    fill_month(book, "2026-05", {**MAY, "CB3": {"done": 1}})
    book.save()
    sync_once(store, book.path, UNIT, "2026-06-30")
    assert store.frozen_months(UNIT) == []


def test_edits_after_approval_are_reported_and_not_absorbed(any_store, unit):
    store = any_store
    book, rows = unit
    ev0, _ = sync_once(store, book.path, UNIT, "2026-06-30")
    approved = totals(ev0, "2026-05")

    book.set("tasks", rows["tasks"]["CB3"], "done_qty", 2)  # 1 → 2: CB3's score would rise
    book.set("evaluations", rows["evaluations"]["CB2"], "mgr_general", 20)  # 28 → 20
    book.save()
    found = datetime(2026, 7, 2, 9, 15)
    ev, report = sync_once(store, book.path, UNIT, "2026-07-02", now=found)

    assert totals(evaluate_file(book.path, UNIT, "2026-07-02"), "2026-05") != approved  # the sheet says otherwise
    edits = {(e.tab, e.row, e.field): (e.old, e.new) for e in report.edits}
    assert edits == {("tasks", rows["tasks"]["CB3"], "done_qty"): (1, 2),
                     ("evaluations", rows["evaluations"]["CB2"], "mgr_general"): (28, 20)}
    f = ev.findings[ev.findings["code"] == EDIT_CODE].set_index("column")
    assert set(f["severity"]) == {"warning"}
    done = f.loc["Số lượng hoàn thành"]
    assert done["tab"] == "Nhiệm vụ" and done["row"] == rows["tasks"]["CB3"]
    assert done["cell"] == f"{book.ws('tasks').cell(1, book.column_of('tasks', 'done_qty')).column_letter}{done['row']}"
    assert "từ '1' thành '2'" in done["message"] and "09:15 ngày 02/07/2026" in done["message"]
    assert "từ '28' thành '20'" in f.loc["Điểm tiêu chí chung do quản lý đánh giá", "message"]
    unit_level = ev.findings[ev.findings["code"] == MONTH_CODE]
    assert len(unit_level) == 1 and unit_level["row"].isna().all()
    assert "Tháng 05/2026" in unit_level["message"].iloc[0] and "2 ô bị sửa" in unit_level["message"].iloc[0]

    # The approved truth stays: people, roster, engine values and task conversions.
    assert totals(ev, "2026-05") == approved
    ms = ev.scores.months["2026-05"]
    assert dict(zip(ms.roster["staff_id"], ms.roster["total_points"])) == approved
    want = engine_values(ev)["evaluations"]
    assert dict(zip(ms.people["staff_id"], want.loc[ms.people.index, "total_points"])) == approved
    assert ev.scores.tasks.frame.at[rows["tasks"]["CB3"], "D"] == 1.0
    assert report.restored == ["2026-05"] and report.edited_months == ["2026-05"]
    may = store.freeze_state(UNIT, "2026-05")
    assert may.head_id == may.snapshot_id  # nothing recorded over the approved May

    # Found when: the first time, however often it is seen again.
    _, again = sync_once(store, book.path, UNIT, "2026-07-09", now=datetime(2026, 7, 9, 8, 0))
    assert {e.found_at for e in again.edits} == {found}
    assert len(store.approval_edits(UNIT, "2026-05")) == 2


def test_rows_added_and_deleted_after_approval(store, unit):
    book, rows = unit
    sync_once(store, book.path, UNIT, "2026-06-30")
    ws = book.ws("tasks")
    for col in range(1, ws.max_column + 1):
        ws.cell(rows["tasks"]["CB2"], col).value = None  # someone cleared CB2's May task
    added = book.task("NV-THEM", "CB2", qty=1, done=1, review="Đạt", month="05/2026")
    book.save()
    ev, report = sync_once(store, book.path, UNIT, "2026-07-02")
    kinds = sorted((e.kind, e.row) for e in report.edits)
    assert kinds == [("added", added), ("deleted", None)]
    f = ev.findings
    assert f[f["code"] == ADDED_CODE]["row"].tolist() == [added]
    gone = f[f["code"] == DELETED_CODE]
    assert gone["row"].isna().all() and "Mã nhiệm vụ NV-2026-05-CB2" in gone["message"].iloc[0]
    assert ev.scores.tasks.frame.at[added, "excluded"]  # not part of the approved month


def test_reopen_lets_the_next_sync_absorb_the_edit(any_store, unit):
    store = any_store
    book, rows = unit
    sync_once(store, book.path, UNIT, "2026-06-30")
    book.set("evaluations", rows["evaluations"]["CB2"], "mgr_general", 20)
    book.save()
    sync_once(store, book.path, UNIT, "2026-07-02")

    with pytest.raises(StoreError, match="lý do"):
        store.reopen(UNIT, "2026-05", by="admin", reason=" ")
    with pytest.raises(StoreError, match="chưa được khóa"):
        store.reopen(UNIT, "2026-06", by="admin", reason="thử")
    state = store.reopen(UNIT, "2026-05", by="Trần Văn Quản", reason="Sửa điểm theo kết luận của Hội đồng",
                         now=datetime(2026, 7, 3, 10, 0))
    assert not state.frozen
    assert [(e["action"], e["by"]) for e in state.events] == [("freeze", "sync"), ("reopen", "Trần Văn Quản")]

    ev, report = sync_once(store, book.path, UNIT, "2026-07-03", now=datetime(2026, 7, 3, 11, 0))
    assert report.edits == [] and not any(ev.findings["code"].str.startswith("history."))
    assert totals(ev, "2026-05")["CB2"] == 90.0  # 20 + 70
    assert store.freeze_state(UNIT, "2026-05").frozen  # approved still: frozen again on the new record
    recorded = store.recorded_month(UNIT, "2026-05")
    assert recorded.rows[("evaluations", "cb2|2026-05")]["data"]["mgr_general"] == 20


def test_a_month_filter_leaves_other_frozen_months_alone(store, unit):
    book, rows = unit
    sync_once(store, book.path, UNIT, "2026-06-30")
    book.set("evaluations", rows["evaluations"]["CB2"], "mgr_general", 20)
    book.save()
    ev = evaluate_file(book.path, UNIT, "2026-07-02", months=["2026-06"])
    report = apply_freeze(store, UNIT, ev)
    assert report.edits == [] and report.frozen == []
