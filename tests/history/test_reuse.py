"""Cost follows change: a unit read exactly as its last sync left it is not evaluated again, its
recorded result is shown, and the store does not grow; every kind of change is noticed."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3

import pandas as pd
import pytest
from history_support import GOOD, PROFILE, XS, fill_month, new_book
from unitbook import SCHEMAS

from sheetsync.backends.xlsx import ooxml
from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.config.resources import schemas_dir
from sheetsync.config.schema import load_schemas
from sheetsync.history.store import open_store
from sheetsync.history.store.migrations import LATEST
from sheetsync.service.reuse import packed_column, unpacked_column
from sheetsync.service.units import run_unit

UNIT = "Phòng thử nghiệm"
ROSTER = {"CB1": {"name": "Nguyễn Văn An", "role": "Người đứng đầu"},
          "CB2": {"name": "Trần Thị Bình", "manager": "CB1"},
          "CB3": {"name": "Lê Văn Cường", "manager": "CB1"}}
MAY = {"CB1": {"leader_e": 90, "approved": GOOD}, "CB2": {"approved": XS}, "CB3": {"done": 1, "approved": GOOD}}
JUNE = {"CB1": {"leader_e": 90}, "CB2": {"general": 40}, "CB3": {"done": 1}}  # 40 > 30: an error; not approved
VOLATILE = ("seconds", "written", "reused", "write", "cells_written", "summary_rewritten", "notices")


@pytest.fixture
def unit(tmp_path):
    """May approved for everyone (it freezes), June open with findings."""
    book = new_book(tmp_path / "unit.xlsx", ROSTER)
    rows = fill_month(book, "2026-05", MAY)
    rows_june = fill_month(book, "2026-06", JUNE, approve=False)
    book.save()
    return book, rows, rows_june


@pytest.fixture
def db(tmp_path):
    s = open_store(tmp_path / "sheetsync.db")
    yield s
    s.close()


def sync(path, store, as_of="2026-06-24", schemas=SCHEMAS, profile=PROFILE, write=True, months=None):
    return run_unit(XlsxBackend(path), schemas, profile, unit=UNIT, key=str(path), as_of=as_of, store=store,
                    record=write, write=write, months=months)


def settled(path, store, **kw):
    """Sync until a sync reuses (at most three: write, freeze, then the first reuse)."""
    for _ in range(3):
        res = sync(path, store, **kw)
        if res.reused:
            return res
    raise AssertionError("the unit was never recognised as unchanged")


def shown(res, months=None) -> dict:
    d = res.to_dict(months)
    return json.loads(json.dumps({k: v for k, v in d.items() if k not in VOLATILE}, default=str))


def store_size(store) -> tuple:
    path = store.url.split("///", 1)[1]
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        counts = {t: c.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        pages = c.execute("PRAGMA page_count").fetchone()[0]
    return counts, pages


def test_an_unchanged_unit_shows_its_recorded_result_and_the_store_does_not_grow(unit, db):
    book, _, _ = unit
    first = sync(book.path, db)
    assert first.written and not first.reused
    fresh = sync(book.path, db)  # May froze on the first sync: this one sees it frozen
    assert not fresh.written and not fresh.reused
    before = store_size(db)
    again = sync(book.path, db)
    assert again.reused and not again.written and again.plan is None
    assert set(again.seconds) == {"read", "reuse"}
    assert shown(again) == shown(fresh)
    assert again.evaluation.error_count == fresh.evaluation.error_count > 0
    for _ in range(3):
        assert sync(book.path, db).reused
    assert store_size(db) == before
    runs = db.runs(UNIT, kind="sync")
    assert runs["repeats"].iloc[-1] >= 4 and runs["last_at"].iloc[-1] is not None


def test_the_reused_result_reads_like_a_fresh_one_for_any_month_asked(unit, db):
    book, _, _ = unit
    reused = settled(book.path, db, months=["2026-06"])
    fresh = sync(book.path, db, months=["2026-06"], write=False)  # validate: reuses too
    assert fresh.reused
    direct = run_unit(XlsxBackend(book.path), SCHEMAS, PROFILE, unit=UNIT, as_of="2026-06-24", store=db,
                      write=False, reuse=False, months=["2026-06"])
    assert not direct.reused
    for months in (None, ["2026-06"], ["2026-05"]):
        assert shown(reused, months) == shown(direct, months)
    assert reused.evaluation.staff_ids() == direct.evaluation.staff_ids()


def test_an_edited_input_cell_is_a_change(unit, db):
    book, _, june = unit
    settled(book.path, db)
    row = june["evaluations"]["CB2"]
    cells = {(row, book.column_of("evaluations", k)): 29 for k in ("self_general", "mgr_general")}
    ooxml.patch_workbook(book.path, [ooxml.SheetPatch(SCHEMAS["evaluations"].title, cells=cells)])
    res = sync(book.path, db)
    assert not res.reused and res.written
    assert res.evaluation.error_count == 0  # the 40 points were the error
    assert sync(book.path, db).reused


def test_an_engine_cell_typed_over_by_hand_is_restored(unit, db):
    book, _, june = unit
    settled(book.path, db)
    col = book.column_of("evaluations", "check_status")
    row = june["evaluations"]["CB1"]
    tab = SCHEMAS["evaluations"].title
    ooxml.patch_workbook(book.path, [ooxml.SheetPatch(tab, cells={(row, col): "Hợp lệ (sửa tay)"})])
    res = sync(book.path, db)
    assert not res.reused and res.written and res.plan.cell_count == 1
    assert XlsxBackend(book.path).read()[tab].cell(row, col) != "Hợp lệ (sửa tay)"
    assert sync(book.path, db).reused


def test_the_summary_tab_edited_by_hand_is_rewritten(unit, db):
    book, _, _ = unit
    settled(book.path, db)
    ooxml.patch_workbook(book.path, [ooxml.SheetPatch(SCHEMAS.summary_title, cells={(5, 2): "sửa tay"})])
    res = sync(book.path, db)
    assert not res.reused and res.plan.summary is not None


def test_a_changed_profile_is_a_change(unit, db):
    book, _, _ = unit
    settled(book.path, db)
    stricter = dataclasses.replace(PROFILE, general_max=25.0)
    res = sync(book.path, db, profile=stricter)
    assert not res.reused
    assert settled(book.path, db, profile=stricter).reused
    assert not sync(book.path, db).reused  # and back


def test_changed_schemas_are_a_change(unit, db, tmp_path):
    book, _, _ = unit
    settled(book.path, db)
    changed = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), changed)
    evals = changed / "evaluations.yaml"
    text = evals.read_text(encoding="utf-8")
    evals.write_text(text + "\n# a comment changes nothing\n", encoding="utf-8")
    assert sync(book.path, db, schemas=load_schemas(changed)).reused  # the same effective content
    assert "    max: 30\n    width: 12\n    note: Điểm tiêu chí chung do người quản lý" in text
    evals.write_text(text.replace("    max: 30\n    width: 12\n    note: Điểm tiêu chí chung do người quản lý",
                                  "    max: 50\n    width: 12\n    note: Điểm tiêu chí chung do người quản lý"),
                     encoding="utf-8")
    res = sync(book.path, db, schemas=load_schemas(changed))
    assert not res.reused


def test_the_date_crossing_a_deadline_is_a_change(unit, db):
    book, _, _ = unit
    before = settled(book.path, db, as_of="2026-06-24")
    assert not any(c.startswith("deadline.") and c.endswith("-missing") for c in before.evaluation.findings["code"])
    assert sync(book.path, db, as_of="2026-06-24").reused
    after = sync(book.path, db, as_of="2026-06-29")  # past the approval day (28): June is not approved
    assert not after.reused
    assert "deadline.approval-missing" in set(after.evaluation.findings["code"])


def test_a_frozen_month_reopened_is_a_change(unit, db):
    book, rows, _ = unit
    settled(book.path, db)
    assert db.frozen_months(UNIT) == ["2026-05"]
    # An edit after approval is reported, not absorbed, and reported again while unchanged.
    col = book.column_of("tasks", "done_qty")
    ooxml.patch_workbook(book.path, [ooxml.SheetPatch(SCHEMAS["tasks"].title,
                                                      cells={(rows["tasks"]["CB2"], col): 1})])
    edited = sync(book.path, db)
    assert not edited.reused and edited.freeze.edits
    again = settled(book.path, db)
    assert again.freeze.to_dict()["edits"] == edited.freeze.to_dict()["edits"]
    assert [n.code for n in again.notices] == [n.code for n in edited.notices if n.code != "history.month-frozen"]
    db.reopen(UNIT, "2026-05", by="Quản trị", reason="Sửa theo kết luận")
    res = sync(book.path, db)
    assert not res.reused and not res.freeze.edits


def test_a_store_from_before_is_upgraded(tmp_path):
    path = tmp_path / "old.db"
    open_store(path).close()
    with sqlite3.connect(path) as c:  # as sheetsync left it before migration 3
        c.execute("ALTER TABLE runs DROP COLUMN last_at")
        c.execute("ALTER TABLE runs DROP COLUMN repeats")
        c.execute("DROP TABLE unit_results")
        c.execute("DELETE FROM schema_version WHERE version >= 3")
    with open_store(path) as s:
        assert s.runs().columns.tolist()[-2:] == ["last_at", "repeats"]
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT max(version) FROM schema_version").fetchone()[0] == LATEST
        assert c.execute("SELECT count(*) FROM unit_results").fetchone()[0] == 0


def test_a_ward_sync_on_a_sqlite_store_reuses_without_loading_the_database_layer(unit, tmp_path):
    """The service opens an existing SQLite store lazily: unchanged units are answered with the
    standard library's sqlite3 and the full store opens only when a unit must be recorded."""
    from sheetsync.history.location import SCHEMA_VERSION
    from sheetsync.history.quickstore import QuickStore
    from sheetsync.service.units import open_run_store, run

    assert SCHEMA_VERSION == LATEST
    book, _, june = unit
    target = str(tmp_path / "sheetsync.db")

    def sync_all():
        return run([str(book.path)], write=True, as_of="2026-06-24", store=target).units[0]

    assert not sync_all().reused  # creates the store, records, freezes May
    st, opened = open_run_store(None, [str(book.path)])
    assert isinstance(st, QuickStore) and opened
    st.close()
    sync_all()
    with open_store(target) as s:
        before = store_size(s)
    for _ in range(2):
        res = sync_all()
        assert res.reused and res.record_error is None
    with open_store(target) as s:
        assert store_size(s) == before
        assert s.runs(UNIT, kind="sync")["repeats"].iloc[-1] == 3  # the sync that found nothing new, two reused
    cells = {(june["evaluations"]["CB2"], book.column_of("evaluations", k)): 29 for k in ("self_general", "mgr_general")}
    ooxml.patch_workbook(book.path, [ooxml.SheetPatch(SCHEMAS["evaluations"].title, cells=cells)])
    res = sync_all()  # a change: the full store opens behind the quick one and records
    assert not res.reused and res.written and res.record_error is None
    assert sync_all().reused


@pytest.mark.parametrize("n", [3, 300, 70_000])
def test_a_saved_column_of_findings_comes_back_as_json_would_give_it(n):
    """The saved result keeps each column of findings as its distinct values and packed indexes
    (one, two or four bytes each, as the number of values needs); it comes back as the values
    JSON gives back, a missing value (None, NaN, NA) as None."""
    values = [f"NV{i % n:06d}" for i in range(n + 50)] + [None, float("nan"), 7, 7.5, True]
    column = packed_column(pd.Series(values, dtype=object))
    assert json.loads(json.dumps(column)) == column
    assert unpacked_column(json.loads(json.dumps(column))) == [*values[:-4], None, 7, 7.5, True]
    rows = pd.Series([5, None, 9], dtype="Int64")
    assert unpacked_column(packed_column(rows)) == [5, None, 9]


def test_the_text_of_the_workbook_as_written_is_the_text_read_back(unit):
    """The key saved after a write is the hash of the workbook as the next read gives it: the
    text of the rows the plan writes is redone (only those) and equals that of the re-read."""
    from sheetsync.engine.evaluate import evaluate, plan_writes
    from sheetsync.service.reuse import GridText, written_grids

    book, _, _ = unit
    backend = XlsxBackend(book.path)
    grids = backend.read()
    plan = plan_writes(evaluate(grids, SCHEMAS, PROFILE, as_of="2026-06-24", unit=UNIT), grids, SCHEMAS)
    assert plan.patches and plan.summary is not None
    text = GridText(grids, SCHEMAS.summary_title).written(grids, plan)
    assert text.tabs == GridText(written_grids(grids, plan), SCHEMAS.summary_title).tabs
    backend.write(plan)
    assert text.digest() == GridText(XlsxBackend(book.path).read(), SCHEMAS.summary_title).digest()


def test_the_rows_are_hashed_as_the_text_of_their_cells(unit):
    """The texts are kept encoded to be hashed without encoding them again on every pass: the
    digest is still that of each tab's description and rows as text, every row, in order."""
    import hashlib

    from sheetsync.service.reuse import GridText, _summary_rows, _trimmed

    book, _, _ = unit
    grids = XlsxBackend(book.path).read()
    text = GridText(grids, SCHEMAS.summary_title)
    h = hashlib.sha256()
    for title, g in grids.items():
        summary = title == SCHEMAS.summary_title
        rows = _summary_rows(g.rows) if summary else _trimmed(g.rows)
        h.update(repr((title, summary, g.first_row, g.first_col, sorted(g.merged),
                       sorted((k, repr(v)) for k, v in g.issues.items()))).encode())
        h.update("\n".join(repr(r) for r in rows).encode())
        h.update(b"\x00")
    assert len(grids) >= 8 and text.digest() == h.hexdigest()
