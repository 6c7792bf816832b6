"""Returns with reasons: a return needs a reason (an error that does not hold back the score),
each return and its reason stay in the history store, and a return count that goes down from
the record is a warning on the row."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

import openpyxl
import pytest
from unitbook import UnitBook, findings_of, person_scores, sync

from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.config.profile import load_profile
from sheetsync.config.schema import load_schemas
from sheetsync.history.returns import return_log
from sheetsync.service import run_unit

SCHEMAS = load_schemas()


@pytest.fixture
def unit(book: UnitBook) -> UnitBook:
    book.product("SP1", 1)
    book.person("S1")
    return book


def letter(book, key):
    return openpyxl.utils.get_column_letter(book.column_of("tasks", key))


@pytest.mark.parametrize("review, returns", [("Trả lại", 1), ("Trả lại", None), ("Đạt", 2)])
def test_a_return_without_a_reason_is_an_error_on_the_reason_cell(unit, review, returns):
    row = unit.task("T1", "S1", qty=2, done=2, review=review, returns=returns)
    unit.evaluation("S1", mgr_general=28)
    res = sync(unit.save(), write=False)
    f = findings_of(res, "task.return-without-reason")
    assert list(f["cell"]) == [f"{letter(unit, 'return_reason')}{row}"]
    assert list(f["severity"]) == ["error"]
    assert "Lý do trả lại" in f["message"].iloc[0] and "cần ghi lý do" in f["message"].iloc[0]


def test_a_reason_clears_it_and_the_missing_reason_does_not_change_the_score(unit, tmp_path):
    row = unit.task("T1", "S1", qty=2, done=2, review="Đạt", returns=1)
    unit.evaluation("S1", mgr_general=28)
    path = unit.save()
    without = sync(path, write=False)
    assert len(findings_of(without, "task.return-without-reason")) == 1
    unit.set("tasks", row, "return_reason", "Thiếu số liệu của tổ dân phố")
    with_reason = sync(unit.save(), write=False)
    assert findings_of(with_reason, "task.return-without-reason").empty
    # Q = 2 × (1 − 0.25) either way: the reason is a record, not a score input.
    for res in (without, with_reason):
        assert res.evaluation.scores.tasks.frame.loc[row, "Q"] == 1.5
        assert not person_scores(res, "S1")["provisional"]
    assert person_scores(without, "S1")["total_points"] == person_scores(with_reason, "S1")["total_points"]


def test_no_return_needs_no_reason(unit):
    unit.task("T1", "S1", qty=1, done=1, review="Đạt", returns=0)
    unit.task("T2", "S1", qty=1)
    unit.evaluation("S1", mgr_general=28)
    assert findings_of(sync(unit.save(), write=False), "task.return-without-reason").empty


def _sync(path, store, as_of):
    return run_unit(XlsxBackend(path), SCHEMAS, load_profile("nd335"), as_of=as_of, store=store, record=True)


def test_a_return_count_going_down_is_a_warning_against_the_record(unit, store):
    row = unit.task("T1", "S1", qty=2, done=2, review="Trả lại", returns=2, return_reason="Sai biểu mẫu")
    other = unit.task("T2", "S1", qty=1, done=1, review="Trả lại", returns=1, return_reason="Thiếu chữ ký")
    unit.evaluation("S1", mgr_general=28)
    path = unit.save()
    store.clock = lambda: datetime(2026, 11, 12, 9, 0)
    first = _sync(path, store, "2026-11-12")
    assert findings_of(first, "task.returns-decreased").empty

    unit.set("tasks", row, "returns", 1)  # someone lowers the count
    unit.set("tasks", row, "review", "Đạt")
    unit.set("tasks", other, "returns", 2)  # a new return: fine
    unit.set("tasks", other, "return_reason", "Thiếu chữ ký; lần 2: sai số liệu")
    store.clock = lambda: datetime(2026, 11, 20, 9, 0)
    second = _sync(unit.save(), store, "2026-11-20")
    f = findings_of(second, "task.returns-decreased")
    assert list(f["cell"]) == [f"{letter(unit, 'returns')}{row}"]
    msg = f["message"].iloc[0]
    assert "giảm từ 2 (đã ghi nhận ngày 12/11/2026 (lý do đã ghi: Sai biểu mẫu)) xuống 1" in msg
    assert "cần ghi lại 2" in msg
    # The warning is written into the row's notes, and stays until the count is restored.
    ws = openpyxl.load_workbook(path)["Nhiệm vụ"]
    notes = ws.cell(row, unit.column_of("tasks", "check_notes")).value
    assert "Số lần trả lại giảm từ 2" in notes
    third = _sync(path, store, "2026-11-21")
    assert len(findings_of(third, "task.returns-decreased")) == 1
    unit.set("tasks", row, "returns", 2)
    assert findings_of(_sync(unit.save(), store, "2026-11-22"), "task.returns-decreased").empty


def test_every_return_and_its_reason_stays_in_the_store(unit, store):
    row = unit.task("T1", "S1", qty=1, done=1, review="Trả lại", returns=1, return_reason="Sai biểu mẫu")
    unit.evaluation("S1", mgr_general=28)
    store.clock = lambda: datetime(2026, 11, 10, 8, 0)
    _sync(unit.save(), store, "2026-11-10")
    unit.set("tasks", row, "returns", 2)
    unit.set("tasks", row, "return_reason", "Thiếu minh chứng")  # the sheet keeps only the latest reason
    store.clock = lambda: datetime(2026, 11, 17, 8, 0)
    _sync(unit.save(), store, "2026-11-17")
    unit.set("tasks", row, "review", "Đạt")
    store.clock = lambda: datetime(2026, 11, 19, 8, 0)
    _sync(unit.save(), store, "2026-11-19")  # approved: no new return, nothing new in the log
    log = return_log(store, "Phòng thử nghiệm")
    assert log[["task_id", "returns", "reason"]].values.tolist() == [
        ["T1", 1.0, "Sai biểu mẫu"], ["T1", 2.0, "Thiếu minh chứng"]]
    assert [t.date() for t in log["recorded_at"]] == [dt.date(2026, 11, 10), dt.date(2026, 11, 17)]


def test_the_rows_with_returns_are_found_through_their_own_index(unit, any_url):
    """The check asks the store only for versions of task rows whose count may be above 0 — the
    same rows as reading every version and keeping those — and the database answers it from the
    partial index of migration 11 (the query states its condition so the database can see that)."""
    from sqlalchemy import event, text

    from sheetsync.history.store import open_store
    from sheetsync.history.store.models import RETURNS_INDEX

    unit.task("T1", "S1", qty=2, done=2, review="Trả lại", returns=2, return_reason="Sai biểu mẫu")
    unit.task("T2", "S1", qty=1, done=1, review="Đạt", returns=0)
    unit.task("T3", "S1", qty=1, done=1, review="Đạt")
    unit.task("T4", "S1", qty=1, done=1, review="Trả lại", returns="1", return_reason="Thiếu")  # typed as text
    unit.evaluation("S1", mgr_general=28)
    store = open_store(any_url)
    try:
        _sync(unit.save(), store, "2026-11-12")
        every = store.row_history("Phòng thử nghiệm", "tasks")
        assert sorted(every["row_key"]) == ["t1", "t2", "t3", "t4"]
        statements = []

        def seen(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))
        event.listen(store.engine, "before_cursor_execute", seen)
        some = store.row_history("Phòng thử nghiệm", "tasks", nonzero="returns")
        event.remove(store.engine, "before_cursor_execute", seen)
        assert sorted(some["row_key"]) == ["t1", "t4"]
        statement, parameters = next((s, p) for s, p in statements if "snapshot_rows" in s)
        with store.engine.connect() as c:
            if store.dialect == "sqlite":
                plan = c.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            else:  # with so few rows the planner would rather scan: told not to, it must find the index
                c.exec_driver_sql("SET enable_seqscan = off")
                plan = c.exec_driver_sql("EXPLAIN " + statement, parameters).all()
            names = set(c.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars()) \
                if store.dialect == "sqlite" else \
                set(c.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'snapshot_rows'")).scalars())
        assert RETURNS_INDEX in names
        assert RETURNS_INDEX in " ".join(str(r) for r in plan)
    finally:
        store.close()
