"""People keep typing while a sync runs: rows inserted, deleted or sorted (and columns
inserted) between the read and the write must never put a status or score on another row."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from googlebook import PROFILE, SCHEMAS, GoogleBook

from sheetsync.backends import open_source
from sheetsync.engine.evaluate import evaluate, plan_writes

TASKS = SCHEMAS["tasks"]
ENGINE = [f.key for f in TASKS.engine_fields]


def busy_unit(gc, *, odd_keys: bool = False) -> GoogleBook:
    book = GoogleBook(gc, rows=60)
    book.person("CB01", "Trần Văn Trưởng", role="Người đứng đầu")
    book.person("CB02", "Lê Thị Hoa", manager="CB01")
    book.product("SP1", 1)
    book.product("SP2", 2.5)
    for i in range(1, 13):
        kind = i % 4
        book.task(f"NV{i:02d}", "CB02" if i % 2 else "CB01", product="SP2" if i % 3 else "SP1", qty=1 + i % 3,
                  done=(1 + i % 3) if kind else None, review="Đạt" if kind == 1 else ("Trả lại" if kind == 2 else None),
                  due=dt.date(2026, 11, 10 + i), task_name=f"Việc số {i:02d}")
    if odd_keys:  # rows that cannot be found by a unique key
        book.task("", "CB01", task_name="Việc không có mã", done=1, review="Đạt")
        book.task("NV05", "CB02", task_name="Việc trùng mã", qty=2, done=1)
    book.evaluation("CB01")
    book.evaluation("CB02")
    book.save()
    return book


def tasks_frame(book: GoogleBook) -> pd.DataFrame:
    values = book.values("tasks")
    header = values[0]
    rows = [r + [""] * (len(header) - len(r)) for r in values[1:]]
    return pd.DataFrame(rows, columns=header, index=range(2, 2 + len(rows)))


def expected_by_content(book: GoogleBook, plan) -> dict[tuple, dict]:
    """What the plan means to write, keyed by each row's input content as read."""
    frame = tasks_frame(book)
    patch = next(p for p in plan.patches if p.title == TASKS.title)
    inputs = [f.header for f in TASKS.input_fields if f.header in frame.columns]
    headers = {book.column_of("tasks", k): TASKS.field(k).header for k in ENGINE}
    out: dict[tuple, dict] = {}
    for (row, col), value in patch.cells.items():
        ident = tuple(str(v) for v in frame.loc[row, inputs])
        out.setdefault(ident, {})[headers[col]] = value
    return out


def assert_nothing_misplaced(book: GoogleBook, expected: dict[tuple, dict]) -> int:
    """Every row now shows either no engine values or exactly those computed for its content."""
    frame = tasks_frame(book)
    inputs = [f.header for f in TASKS.input_fields if f.header in frame.columns]
    engine_headers = [TASKS.field(k).header for k in ENGINE]
    checked = 0
    for row in frame.index:
        shown = {h: frame.at[row, h] for h in engine_headers if frame.at[row, h] not in ("", None)}
        if not shown:
            continue
        ident = tuple(str(v) for v in frame.loc[row, inputs])
        assert ident in expected, f"row {row} shows engine values computed for another row: {shown}"
        want = {h: ("" if v is None else v) for h, v in expected[ident].items()}
        for h, v in shown.items():
            assert v == want.get(h, ""), f"row {row}, {h}: {v!r} != {want.get(h)!r}"
        checked += 1
    return checked


def read_and_plan(book: GoogleBook):
    backend = open_source(book.source)
    grids = backend.read()
    ev = evaluate(grids, SCHEMAS, PROFILE, as_of="2026-11-26")
    return backend, plan_writes(ev, grids, SCHEMAS)


def key_column(book: GoogleBook) -> list:
    return [row[0] if row else "" for row in book.values("tasks")[1:]]


def test_insert_delete_and_sort_between_read_and_write(emulator, gc):
    book = busy_unit(gc)
    backend, plan = read_and_plan(book)
    expected = expected_by_content(book, plan)
    ws = book.ws("tasks")
    # Meanwhile: two rows inserted at the top, NV03 deleted, the tab sorted by task name, descending.
    ws.insert_rows([["NV98", "11/2026", "Chèn thêm 1"], ["NV99", "11/2026", "Chèn thêm 2"]], row=2)
    ws.delete_rows(key_column(book).index("NV03") + 2)
    ws.sort((3, "des"), range=f"A2:AB{ws.row_count}")
    assert key_column(book)[:3] == ["NV12", "NV11", "NV10"]

    emulator.reset_counts()
    info = backend.write(plan)
    assert info["requests"] == 4 and emulator.request_count["total"] == 3  # + the read before
    assert info["moved_rows"] > 0
    assert [s["key"] for s in info["skipped"]] == [["NV03"]] and info["skipped_rows"] == 1
    assert any("NV03" in w for w in info["warnings"])
    assert assert_nothing_misplaced(book, expected) == 11
    frame = tasks_frame(book).set_index("Mã nhiệm vụ")
    for new in ("NV98", "NV99"):
        assert frame.at[new, TASKS.field("check_status").header] == ""


def test_rows_without_unique_key_found_by_content(emulator, gc):
    book = busy_unit(gc, odd_keys=True)
    backend, plan = read_and_plan(book)
    expected = expected_by_content(book, plan)
    ws = book.ws("tasks")
    ws.insert_rows([["NV50", "11/2026", "Chèn"]], row=3)
    ws.sort((3, "asc"), range=f"A2:AB{ws.row_count}")
    info = backend.write(plan)
    assert info["requests"] == 4
    assert info["skipped_rows"] == 0, info.get("warnings")
    assert assert_nothing_misplaced(book, expected) == 14
    frame = tasks_frame(book)
    no_key = frame[frame["Tên nhiệm vụ"] == "Việc không có mã"].iloc[0]
    assert no_key[TASKS.field("check_status").header] == "Lỗi"


def test_edited_row_without_key_is_skipped_not_misplaced(emulator, gc):
    book = busy_unit(gc, odd_keys=True)
    backend, plan = read_and_plan(book)
    expected = expected_by_content(book, plan)
    ws = book.ws("tasks")
    frame = tasks_frame(book)
    row = int(frame.index[frame["Tên nhiệm vụ"] == "Việc không có mã"][0])
    ws.insert_rows([["NV50", "11/2026", "Chèn"]], row=2)
    ws.update_acell(f"C{row + 1}", "Việc không có mã (đã sửa)")
    info = backend.write(plan)
    assert info["skipped_rows"] == 1 and info["skipped"][0]["key"] == [None]
    assert_nothing_misplaced(book, expected)


def test_column_inserted_before_engine_columns(emulator, gc):
    book = busy_unit(gc)
    backend, plan = read_and_plan(book)
    expected = expected_by_content(book, plan)
    info_before = tasks_frame(book).shape[1]
    book.sh.batch_update({"requests": [{"insertDimension": {"range": {
        "sheetId": book.ws("tasks").id, "dimension": "COLUMNS", "startIndex": 4, "endIndex": 5}}}]})
    ws = book.ws("tasks")
    ws.update_acell("E1", "Ghi chú riêng")
    info = backend.write(plan)
    assert info["skipped_rows"] == 0
    frame = tasks_frame(book)
    assert frame.shape[1] == info_before + 1
    status = frame.set_index("Mã nhiệm vụ")[TASKS.field("check_status").header]
    assert (status != "").all()
    # The content identity ignores the new column, which is blank.
    frame = frame.drop(columns=["Ghi chú riêng"])
    inputs = [f.header for f in TASKS.input_fields]
    for row in frame.index:
        ident = tuple(str(v) for v in frame.loc[row, inputs])
        for h, v in expected[ident].items():
            assert frame.at[row, h] == ("" if v is None else v)


def test_key_column_moved_skips_the_tab(emulator, gc):
    book = busy_unit(gc)
    backend, plan = read_and_plan(book)
    book.sh.batch_update({"requests": [{"insertDimension": {"range": {
        "sheetId": book.ws("tasks").id, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}}}]})
    info = backend.write(plan)
    assert any("cột mã" in w for w in info["warnings"])
    values = book.values("tasks")
    status_col = values[0].index(TASKS.field("check_status").header)
    assert all((r[status_col] if status_col < len(r) else "") == "" for r in values[1:])
    # Other tabs were still written.
    evals = book.values("evaluations")
    col = evals[0].index(SCHEMAS["evaluations"].field("check_status").header)
    assert evals[1][col] != ""
