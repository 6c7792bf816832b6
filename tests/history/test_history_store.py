"""The store: schema and migrations, what a record holds, idempotent recording, URLs and paths."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from history_support import GOOD, evaluate_file, fill_month, new_book
from sqlalchemy import text

from sheetsync.history.capture import capture
from sheetsync.history.store import (
    DEFAULT_FILE,
    StoreError,
    default_store_path,
    open_store,
    row_keys,
)
from sheetsync.history.store.db import store_url
from sheetsync.history.store.migrations import LATEST

UNIT = "Phòng thử nghiệm"
ROSTER = {"CB1": {"name": "Nguyễn Văn An"}, "CB2": {"name": "Trần Thị Bình"}}


@pytest.fixture
def book(tmp_path):
    b = new_book(tmp_path / "unit.xlsx", ROSTER)
    fill_month(b, "2026-03", {"CB1": {"approved": GOOD}, "CB2": {"done": 1}})
    b.save()
    return b


def test_a_new_store_gets_the_schema_once(any_url):
    s = open_store(any_url)
    with s.engine.connect() as c:
        versions = c.execute(text("SELECT version FROM schema_version")).scalars().all()
    s.close()
    assert versions == list(range(1, LATEST + 1))
    open_store(any_url).close()  # opening again applies nothing and fails nothing
    with open_store(any_url).engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM schema_version")).scalar() == LATEST


def test_a_store_from_a_newer_sheetsync_is_refused(sqlite_url):
    s = open_store(sqlite_url)
    with s.engine.begin() as c:
        c.execute(text("INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'x', '2030-01-01')"))
    s.close()
    with pytest.raises(StoreError, match="mới hơn"):
        open_store(sqlite_url)


def test_sqlite_runs_in_wal_mode(store):
    with store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000


def test_recording_is_idempotent_while_the_content_is_unchanged(any_store, book):
    store = any_store
    ev = evaluate_file(book.path, UNIT, "2026-03-31")
    first = store.record_unit(UNIT, str(book.path), ev, now=datetime(2026, 3, 31, 17))
    again = store.record_unit(UNIT, str(book.path), evaluate_file(book.path, UNIT, "2026-03-31"),
                              now=datetime(2026, 4, 1, 8))
    assert first.changed == ["2026-03"] and again.changed == [] and again.unchanged == ["2026-03"]
    assert store.snapshot_count(UNIT) == 1
    runs = store.runs(UNIT)  # the first run stands for the unchanged second: the store does not grow
    assert len(runs) == 1 and runs["repeats"].iloc[0] == 1 and runs["last_at"].iloc[0] == datetime(2026, 4, 1, 8)
    assert again.run_id == first.run_id
    um = store.unit_months(UNIT).iloc[0]
    assert um["last_seen_at"] == datetime(2026, 4, 1, 8) and not um["frozen"]

    book.set("evaluations", 3, "mgr_general", 25)  # CB2's manager scores: a new version
    book.save()
    changed = store.record_unit(UNIT, str(book.path), evaluate_file(book.path, UNIT, "2026-03-31"))
    assert changed.changed == ["2026-03"] and store.snapshot_count(UNIT) == 2
    assert store.check() == []


def test_a_record_holds_inputs_scores_findings_and_people(store, book):
    ev = evaluate_file(book.path, UNIT, "2026-04-02")
    store.record_unit(UNIT, str(book.path), ev, now=datetime(2026, 4, 2, 9))
    rec = store.recorded_month(UNIT, "2026-03", frozen=False)
    task = rec.rows[("tasks", "nv-2026-03-cb2")]
    assert task["data"]["done_qty"] == 1 and task["data"]["due_date"] == "2026-03-20"
    assert task["scores"]["A"] == 2 and task["scores"]["D"] == 1
    person = rec.rows[("evaluations", "cb2|2026-03")]
    assert person["scores"]["total_points"] == 28 + 35 and person["scores"]["approved_rating"] is None
    people = rec.people.set_index("staff_id")
    assert people.loc["CB1", "final_rating"] == GOOD and people.loc["CB2", "total_points"] == 63
    assert people.loc["CB2", "full_name"] == "Trần Thị Bình" and people.loc["CB2", "tasks"] == 1
    assert not rec.approved and rec.summary["approved"] == 1 and rec.summary["scored"] == 2
    with store.engine.connect() as c:
        codes = set(c.execute(text("SELECT code FROM snapshot_findings")).scalars())
    assert "deadline.approval-missing" in codes  # CB2 not approved by the 28th


def test_row_keys_survive_sorting_and_mark_duplicates(tmp_path):
    b = new_book(tmp_path / "unit.xlsx", ROSTER)
    fill_month(b, "2026-03", {"CB1": {}, "CB2": {}})
    b.task("NV-2026-03-CB1", "CB2", month="03/2026")  # a copied row whose id nobody changed
    b.add("tasks", task_name="Không có mã", month="03/2026")
    b.set("tasks", 2, "assigned_qty", "hai")  # text in a number column: kept as typed
    b.save()
    ev = evaluate_file(b.path, UNIT, "2026-03-31")
    keys = row_keys(ev.tabs["tasks"]).tolist()
    assert keys == ["nv-2026-03-cb1", "nv-2026-03-cb2", "nv-2026-03-cb1#2", "@5"]
    rows = {(r["tab"], r["row_key"]): r for r in capture(ev)["2026-03"].rows}
    assert rows[("tasks", "nv-2026-03-cb1")]["data"]["assigned_qty"] == "hai"


def test_urls_and_default_places(tmp_path):
    assert store_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    assert store_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert store_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    ward = tmp_path / "ward.yaml"
    assert default_store_path([str(ward)]) == str(tmp_path / DEFAULT_FILE)
    assert default_store_path([str(tmp_path)]) == str(tmp_path / DEFAULT_FILE)
    assert default_store_path(["gsheet:abc"]) is None
    with pytest.raises(StoreError, match="Không hỗ trợ"):
        open_store("mysql://u@h/db")


def test_person_history_reads_the_truth(store, book):
    store.record_unit(UNIT, str(book.path), evaluate_file(book.path, UNIT, "2026-03-31"))
    h = store.person_history("cb2")  # any case
    assert h[["unit", "month", "total_points", "frozen"]].values.tolist() == [[UNIT, "2026-03", 63.0, False]]
    assert store.person_history("nobody").empty


def test_a_person_with_tasks_and_no_evaluation_row_is_kept_with_counts_and_no_score(tmp_path):
    b = new_book(tmp_path / "unit.xlsx", {**ROSTER, "CB3": {"name": "Lê Văn Cường"}})
    fill_month(b, "2026-03", {"CB1": {"approved": GOOD}, "CB2": {}})
    b.task("NV-2026-03-CB3", "CB3", qty=2, done=0, month="03/2026", start_date=date(2026, 3, 2),
           due=date(2026, 3, 20))  # not done by its due day: overdue on 2 April
    b.save()
    people = {p["staff_id"]: p for p in capture(evaluate_file(b.path, UNIT, "2026-04-02"))["2026-03"].people}
    assert set(people) == {"CB1", "CB2", "CB3"}
    cb3 = people["CB3"]
    assert not cb3["scored"] and cb3["row_key"] == "" and "total_points" not in cb3
    assert cb3["full_name"] == "Lê Văn Cường" and cb3["roster_order"] == 2
    assert (cb3["tasks"], cb3["returns"], cb3["overdue"]) == (1, 0, 1)
    cb1 = people["CB1"]
    assert cb1["scored"] and cb1["row_key"] == "cb1|2026-03" and cb1["roster_order"] == 0
    assert cb1["final_rating"] == GOOD and isinstance(cb1["total_points"], float | int)
    assert cb1["leader"] is False and cb1["disciplined"] is False and cb1["provisional"] is False


def test_a_month_is_recorded_as_the_orm_bulk_insert_records_it(tmp_path, any_url, monkeypatch):
    """A month's rows, people and findings go in through Core (`_insert_many`), and the store
    holds exactly what the ORM's bulk insert stored: the same columns, defaults where a value is
    left out, SQL NULL (not the JSON text null) for a row without scores, in the same order."""
    from sqlalchemy import insert

    import sheetsync.history.store.store as store_module

    roster = {**ROSTER, "CB3": {"name": "Lê Văn Cường"}, "CB4": {"name": "Phạm Thị Dung"}}
    b = new_book(tmp_path / "many.xlsx", roster)
    fill_month(b, "2026-03", {"CB1": {"approved": GOOD}, "CB2": {"done": 1}, "CB3": {"general": 45}})
    b.task("NV-lẻ", "CB4", qty=1, done=0, review=None, month="03/2026")  # tasks, no evaluation row: not scored
    b.task("NV-tháng-4", "CB1", qty=1, done=1, month="04/2026")  # a month with tasks and no evaluations
    b.save()
    ev = evaluate_file(b.path, UNIT, "2026-04-10")
    unscored = dataclasses.replace(ev, scores=None)  # as a unit without its evaluations tab: no scores at all
    s = open_store(any_url)
    try:
        s.record_unit("Core", str(b.path), ev, now=datetime(2026, 4, 10, 9))
        s.record_unit("Core, unscored", str(b.path), unscored, now=datetime(2026, 4, 10, 9))
        monkeypatch.setattr(store_module, "_insert_many", lambda session, model, rows: session.execute(
            insert(model), rows))
        s.record_unit("ORM", str(b.path), ev, now=datetime(2026, 4, 10, 9))
        s.record_unit("ORM, unscored", str(b.path), unscored, now=datetime(2026, 4, 10, 9))
        queries = {
            "snapshot_rows": "SELECT r.tab, r.row_key, r.sheet_row, r.data, r.scores, r.scores IS NULL, s.month "
                             "FROM snapshot_rows r JOIN snapshots s ON s.id = r.snapshot_id WHERE s.unit = :u "
                             "ORDER BY r.id",
            "person_months": "SELECT p.* FROM person_months p JOIN snapshots s ON s.id = p.snapshot_id "
                             "WHERE s.unit = :u ORDER BY p.id",
            "snapshot_findings": "SELECT f.* FROM snapshot_findings f JOIN snapshots s ON s.id = f.snapshot_id "
                                 "WHERE s.unit = :u ORDER BY f.id",
        }
        with s.engine.connect() as c:
            for table, sql in queries.items():
                for suffix in ("", ", unscored"):
                    got = {u: [tuple(v for k, v in r._mapping.items() if k not in ("id", "snapshot_id", "unit"))
                               for r in c.execute(text(sql), {"u": u + suffix})] for u in ("Core", "ORM")}
                    assert got["Core"] == got["ORM"] and got["Core"], (table, suffix)
            nulls = c.execute(text("SELECT count(*) FROM snapshot_rows r JOIN snapshots s ON s.id = r.snapshot_id "
                                   "WHERE s.unit = 'Core, unscored' AND r.scores IS NULL")).scalar()
        assert nulls == sum(len(m.rows) for m in capture(unscored).values()) > 0
        people = [p for m in capture(ev).values() for p in m.people]
        assert {p["scored"] for p in people} == {True, False}  # two shapes of person row, in one month
    finally:
        s.close()
