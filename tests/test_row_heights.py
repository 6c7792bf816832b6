"""Rows grow with their engine text: `Ghi chú kiểm tra`, `Xếp loại gợi ý` and the other wrapped
engine cells are readable as written, in Excel, LibreOffice and Google Sheets, none of which
re-fits a row by itself. Heights change only when the text does; a row the user made taller
never shrinks; input cells are never touched. (The rendering in LibreOffice is checked in
test_workbook_rendered.py.)"""

from __future__ import annotations

import os
import zipfile

import openpyxl
import pytest
from unitbook import UnitBook, columns_by_header, input_cells, sync

from sheetsync.engine.writeplan import height_for, text_lines


def heights(path, tab="Nhiệm vụ") -> dict[int, float | None]:
    ws = openpyxl.load_workbook(path)[tab]
    return {r: ws.row_dimensions[r].height for r in range(1, ws.max_row + 1)}


def custom(path, tab_part="xl/worksheets/sheet3.xml") -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(tab_part)


@pytest.fixture
def unit(book: UnitBook) -> UnitBook:
    book.product("SP1", 1)
    book.person("S1", "Nguyễn Thị Hồng Nhung")
    return book


def test_wrapping_estimate_counts_lines_at_a_columns_width():
    assert text_lines("Hợp lệ", 12) == 1
    assert text_lines("Hoàn thành xuất sắc nhiệm vụ", 22) == 2  # 28 characters in a 22-wide column
    assert text_lines("một\nhai\nba", 50) == 3
    long = "Cảnh báo [L]: Quá hạn: hạn 20/11/2026, đến ngày 24/11/2026 chưa hoàn thành (chưa có số lượng)."
    assert 2 <= text_lines(long, 50) <= 3
    assert text_lines("x" * 200, 10) >= 20  # a word longer than the column breaks anywhere
    assert height_for(1) == 15.0 and height_for(3) == 40.5
    assert height_for(500) == 409  # Excel's tallest row


def test_a_row_grows_to_its_notes_and_single_line_rows_keep_the_default(unit):
    messy = unit.task("T1", "S1", qty="hai", done=1, due=None, basis=None)  # three findings
    fine = unit.task("T2", "S1", qty=1, done=1, review="Đạt")
    unit.evaluation("S1", mgr_general=28)
    before = input_cells(unit.save())
    sync(unit.path)
    ws = openpyxl.load_workbook(unit.path)["Nhiệm vụ"]
    notes = ws.cell(messy, columns_by_header(ws)["Ghi chú kiểm tra"]).value
    assert notes.count("\n") >= 2
    assert ws.row_dimensions[messy].height == height_for(text_lines(notes, 50))
    assert ws.row_dimensions[messy].height >= 3 * 12.75
    assert ws.row_dimensions[fine].height is None  # "Hợp lệ": one line, the default height
    assert b'customHeight="1"' in custom(unit.path)
    assert input_cells(unit.path) == before  # only the rows' heights and engine cells changed


def test_a_suggested_rating_of_two_lines_gets_a_two_line_row(unit):
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    row = unit.evaluation("S1", mgr_general=30)  # 30 + 70 = 100 → Hoàn thành xuất sắc nhiệm vụ
    sync(unit.save())
    ws = openpyxl.load_workbook(unit.path)["Đánh giá tháng"]
    h = columns_by_header(ws)
    assert ws.cell(row, h["Xếp loại gợi ý"]).value == "Hoàn thành xuất sắc nhiệm vụ"
    notes = ws.cell(row, h["Ghi chú kiểm tra"]).value or ""
    assert ws.row_dimensions[row].height == height_for(max(2, text_lines(notes, 50)))


def test_a_second_sync_with_nothing_changed_writes_nothing(unit):
    unit.task("T1", "S1", qty="hai", done=1, due=None, basis=None)
    unit.evaluation("S1", mgr_general=28)
    sync(unit.save())
    stat, data = os.stat(unit.path), unit.path.read_bytes()
    again = sync(unit.path)
    assert not again.plan and not again.written
    assert unit.path.read_bytes() == data and os.stat(unit.path).st_mtime_ns == stat.st_mtime_ns


def test_a_row_the_user_made_taller_never_shrinks(unit):
    messy = unit.task("T1", "S1", qty="hai", done=1, due=None, basis=None)
    unit.evaluation("S1", mgr_general=28)
    unit.ws("tasks").row_dimensions[messy].height = 150
    sync(unit.save())
    assert heights(unit.path)[messy] == 150
    wb = openpyxl.load_workbook(unit.path)  # the user fixes the row: the notes get short
    ws = wb["Nhiệm vụ"]
    h = columns_by_header(ws)
    ws.cell(messy, h["Số lượng giao"]).value = 1
    ws.cell(messy, h["Căn cứ giao nhiệm vụ"]).value = "Kế hoạch 12/KH-UBND"
    wb.save(unit.path)
    sync(unit.path)
    assert heights(unit.path)[messy] == 150


def test_a_height_sheetsync_gave_comes_back_down_when_the_text_gets_short(unit):
    messy = unit.task("T1", "S1", qty="hai", done=1, review="Đạt", basis=None)
    unit.evaluation("S1", mgr_general=28)
    sync(unit.save())
    assert heights(unit.path)[messy] >= 2 * 12.75
    wb = openpyxl.load_workbook(unit.path)
    ws = wb["Nhiệm vụ"]
    h = columns_by_header(ws)
    ws.cell(messy, h["Số lượng giao"]).value = 1
    ws.cell(messy, h["Căn cứ giao nhiệm vụ"]).value = "Kế hoạch 12/KH-UBND"
    wb.save(unit.path)
    result = sync(unit.path)
    assert ws.cell(messy, h["Kết quả kiểm tra"]).value != "Hợp lệ"  # (as it was before this sync)
    assert openpyxl.load_workbook(unit.path)["Nhiệm vụ"].cell(messy, h["Kết quả kiểm tra"]).value == "Hợp lệ"
    assert heights(unit.path)[messy] is None  # back to the default height
    assert result.plan.describe()["rows_resized"] >= 1


def test_a_workbook_synced_before_rows_were_fitted_gets_its_heights_and_nothing_else(unit):
    messy = unit.task("T1", "S1", qty="hai", done=1, due=None, basis=None)
    unit.evaluation("S1", mgr_general=28)
    sync(unit.save())
    wb = openpyxl.load_workbook(unit.path)  # as an older sheetsync left it: no row heights
    wb["Nhiệm vụ"].row_dimensions[messy].height = None
    wb.save(unit.path)
    before = input_cells(unit.path)
    refit = sync(unit.path)
    assert refit.written and refit.plan.cell_count == 0
    assert heights(unit.path)[messy] >= 3 * 12.75
    assert input_cells(unit.path) == before
    assert not sync(unit.path).written
