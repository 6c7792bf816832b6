"""The monthly cycle on Google through real gspread and the emulator: init → fill → sync →
re-sync writes nothing, with the request budget asserted per phase."""

from __future__ import annotations

from googlebook import SCHEMAS, GoogleBook, small_unit, sync

from sheetsync import service
from sheetsync.backends import open_source
from sheetsync.engine.writeplan import TabPatch, WritePlan


def engine_column(book: GoogleBook, tab: str, key: str) -> list:
    col = book.column_of(tab, key) - 1
    return [row[col] if col < len(row) else "" for row in book.values(tab)[1:]]


def test_full_cycle_and_request_budget(emulator, gc):
    emulator.reset_counts()
    book = GoogleBook(gc)
    assert book.init.requests <= 3  # sheet list, check of the default tab, one batchUpdate
    small_unit(book)

    emulator.reset_counts()
    result, backend = sync(book)
    assert result.written
    # read + key check + structure (summary tab) + values: the budget's maximum
    assert result.write_info["requests"] == backend.requests == 4
    assert emulator.request_count["total"] == 4
    assert emulator.request_count["read"] == 2 and emulator.request_count["write"] == 2
    status = engine_column(book, "tasks", "check_status")
    assert status[:5] == ["Hợp lệ", "Hợp lệ", "Cảnh báo", "Lỗi", "Cảnh báo"]
    summary = book.sh.worksheet(SCHEMAS.summary_title).get_values()
    assert summary[0][0].startswith("TỔNG HỢP KẾT QUẢ")

    emulator.reset_counts()
    again, backend = sync(book)
    assert not again.plan and not again.written
    assert backend.requests == 1 and emulator.request_count["total"] == 1
    assert emulator.request_count["write"] == 0

    # One person fixes one row: one changed status, maybe scores and the summary.
    ws = book.ws("tasks")
    ws.update_acell(f"I{5}", "SP1")  # NV04: the unknown product becomes a known one
    emulator.reset_counts()
    fixed, backend = sync(book)
    assert fixed.written and 3 <= backend.requests <= 4
    assert emulator.request_count["total"] == backend.requests
    # The error is gone; what remains is that NV04 (nothing done) is past its deadline.
    assert engine_column(book, "tasks", "check_status")[3] == "Cảnh báo"
    assert engine_column(book, "tasks", "check_notes")[3].startswith("Cảnh báo [L]: Quá hạn")

    emulator.reset_counts()
    _, backend = sync(book)
    assert backend.requests == 1 and emulator.request_count["write"] == 0


def test_requests_do_not_grow_with_rows(emulator, gc):
    book = GoogleBook(gc, rows=200)
    book.person("CB01", role="Người đứng đầu")
    book.product("SP1", 1)
    for i in range(150):
        book.task(f"NV{i:03d}", "CB01" if i % 3 else "CB99", done=1, review="Đạt")
    book.evaluation("CB01")
    book.save()
    emulator.reset_counts()
    result, backend = sync(book)
    assert result.plan.cell_count > 300
    assert backend.requests == 4 and emulator.request_count["total"] == 4


def test_raw_write_keeps_formula_text_as_text(emulator, gc):
    book = small_unit(GoogleBook(gc))
    backend = open_source(book.source)
    backend.read()
    col = book.column_of("tasks", "check_notes")
    plan = WritePlan([TabPatch(SCHEMAS["tasks"].title, 1, [1], cells={(2, col): "=1+1"})])
    info = backend.write(plan)
    assert info["requests"] == 3  # read, key check, values
    cell = book.ws("tasks").cell(2, col, value_render_option="FORMULA")
    assert cell.value == "=1+1"  # stored as text, not as a formula
    assert book.ws("tasks").cell(2, col, value_render_option="UNFORMATTED_VALUE").value == "=1+1"


def test_engine_columns_added_when_missing(emulator, gc):
    """A sheet laid out by hand without engine columns gets them appended, with header notes."""
    sh = gc.create("Tự lập")
    titles = {name: SCHEMAS[name].title for name in SCHEMAS.tabs}
    sh.sheet1.update_title(titles["staff"])
    for name in ("catalogue", "tasks", "evaluations", "okr"):
        sh.add_worksheet(titles[name], rows=20, cols=len(SCHEMAS[name].input_fields))
    for name in ("staff", "catalogue", "tasks", "evaluations", "okr"):  # no optional Báo cáo tuần
        headers = [f.header for f in SCHEMAS[name].input_fields if not f.optional_column]
        sh.worksheet(titles[name]).update([headers], "A1")
    ws = sh.worksheet(titles["staff"])
    ws.update([["CB01", "Nguyễn Văn A", "", "", "", "Công chức", "Người đứng đầu"]], "A2")
    emulator.reset_counts()
    _, backend = sync(f"gsheet:{sh.id}")
    assert backend.requests == 4
    header = sh.worksheet(titles["staff"]).row_values(1)
    assert SCHEMAS["staff"].field("check_status").header in header
    tasks_header = sh.worksheet(titles["tasks"]).row_values(1)
    assert tasks_header[-len(SCHEMAS["tasks"].engine_fields):] == [f.header for f in SCHEMAS["tasks"].engine_fields]
    emulator.reset_counts()
    _, backend = sync(f"gsheet:{sh.id}")
    assert backend.requests == 1


def test_api_run_mixes_google_and_xlsx_and_reports_requests(emulator, gc, tmp_path):
    from unitbook import UnitBook

    book = small_unit(GoogleBook(gc))
    xl = UnitBook(tmp_path / "xlsx-unit.xlsx")
    xl.person("CB01", role="Người đứng đầu")
    xl.save()
    ward = tmp_path / "ward.yaml"
    ward.write_text(f"ward: Thử\nunits:\n  - name: Phòng Google\n    source: {book.source}\n"
                    f"  - name: Phòng Excel\n    source: xlsx-unit.xlsx\n", encoding="utf-8")
    result = service.sync([str(ward)], as_of="2026-11-26")
    by_name = {u.unit: u for u in result.units}
    assert by_name["Phòng Google"].error is None and by_name["Phòng Google"].write_info["requests"] == 4
    assert by_name["Phòng Excel"].error is None
    payload = by_name["Phòng Google"].to_dict(None, with_findings=False)
    assert payload["write"]["requests"] == 4
