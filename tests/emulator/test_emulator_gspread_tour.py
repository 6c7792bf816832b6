"""A tour of more gspread Worksheet/Spreadsheet methods, so the emulator supports what sheetsync may call."""

from __future__ import annotations

from gspread.utils import ValueInputOption, ValueRenderOption


def test_cells_find_and_records(sh):
    ws = sh.sheet1
    ws.update([["Mã", "Họ tên", "Điểm"], ["NV01", "An", 9], ["NV02", "Bình", 7], ["NV03", "An", 8]], "A1")
    ws.update_acell("D1", "Ghi chú")
    cells = ws.range("D2:D3")
    for cell, text in zip(cells, ["tốt", "khá"]):
        cell.value = text
    ws.update_cells(cells)
    assert ws.row_values(2) == ["NV01", "An", "9", "tốt"]
    assert ws.col_values(2) == ["Họ tên", "An", "Bình", "An"]
    assert ws.find("Bình").address == "B3"
    assert [c.address for c in ws.findall("An")] == ["B2", "B4"]
    records = ws.get_all_records()
    assert records[0] == {"Mã": "NV01", "Họ tên": "An", "Điểm": 9, "Ghi chú": "tốt"}
    assert ws.cell(3, 3, value_render_option=ValueRenderOption.unformatted).value == 7


def test_formatting_and_layout_calls(sh):
    ws = sh.sheet1
    ws.batch_format([
        {"range": "A1:C1", "format": {"textFormat": {"bold": True}}},
        {"range": "C2:C10", "format": {"numberFormat": {"type": "NUMBER", "pattern": "0.00"}}},
    ])
    ws.update([["x", "y", 9.5]], "A2", value_input_option=ValueInputOption.raw)
    assert ws.acell("C2").value == "9.50"
    ws.hide_rows(4, 6)
    ws.unhide_rows(4, 5)
    ws.hide_columns(5, 6)
    ws.update_tab_color("#ff0000")
    ws.columns_auto_resize(0, 3)
    ws.set_basic_filter("A1:C10")
    ws.clear_basic_filter()
    ws.merge_cells("A20:C20")
    ws.unmerge_cells("A20:C20")
    props = sh.fetch_sheet_metadata()["sheets"][0]["properties"]
    assert props["tabColorStyle"] == {"rgbColor": {"red": 1}}
    assert props["tabColor"] == {"red": 1}
    meta = sh.fetch_sheet_metadata({"includeGridData": "true", "ranges": "Sheet1!A4:A6"})
    # gspread's hide_rows/unhide_rows take 0-based, end-exclusive indexes: rows 6 stays hidden
    assert [m.get("hiddenByUser", False) for m in meta["sheets"][0]["data"][0]["rowMetadata"]] == [False, False, True]


def test_merged_cells_read_back(sh):
    ws = sh.sheet1
    ws.update([["gộp", "mất", "c"]], "A1")
    ws.merge_cells("A1:B1")
    assert ws.get_all_values() == [["gộp", "", "c"]]  # merging kept only the top-left value
    assert ws.get_values("A1:C1", combine_merged_cells=True) == [["gộp", "gộp", "c"]]


def test_columns_named_ranges_and_order(sh):
    ws = sh.sheet1
    ws.update([["a", "b", "c"]], "A1")
    ws.insert_cols([["mới"]], col=2)
    assert ws.row_values(1) == ["a", "mới", "b", "c"]
    ws.delete_columns(1)
    assert ws.row_values(1) == ["mới", "b", "c"]
    ws.define_named_range("A1:B1", "DauBang")
    named = sh.list_named_ranges()
    assert [n["name"] for n in named] == ["DauBang"]
    ws.delete_named_range(named[0]["namedRangeId"])
    assert sh.list_named_ranges() == []
    second = sh.add_worksheet("Hai", 5, 5)
    third = sh.add_worksheet("Ba", 5, 5)
    sh.reorder_worksheets([third, ws, second])
    assert [w.title for w in sh.worksheets()] == ["Ba", "Sheet1", "Hai"]
    second.update_index(0)
    assert [w.title for w in sh.worksheets()] == ["Hai", "Ba", "Sheet1"]


def test_copy_worksheet_to_another_spreadsheet(gc, sh):
    other = gc.create("Đích")
    sh.sheet1.update([["sao chép"]], "A1")
    info = sh.sheet1.copy_to(other.id)
    assert info["title"] == "Copy of Sheet1"
    assert other.worksheet("Copy of Sheet1").acell("A1").value == "sao chép"


def test_clear_and_batch_clear(sh):
    ws = sh.sheet1
    ws.update([["1", "2"], ["3", "4"]], "A1")
    ws.batch_clear(["A1", "B2"])
    assert ws.get_all_values() == [["", "2"], ["3", ""]]
    ws.clear()
    assert ws.get_all_values() == [[]]  # no "values" key, as from Google; gspread turns that into [[]]
