"""The xlsx forms: names, official look, print set-up, number formats, no formula injection."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from sample_data import INJECTIONS, SCRIPT_NAME

from sheetsync.forms import write_reports


def sheet(path):
    return openpyxl.load_workbook(path).active


def texts(ws):
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def header_row(ws):
    row = find(ws, "STT").row
    return [ws.cell(row=row, column=c).value for c in range(1, ws.max_column + 1)]


def find(ws, value):
    return next(c for row in ws.iter_rows() for c in row if c.value == value)


def test_file_names_follow_the_convention(reports):
    ward = reports.ward
    assert ward.slug == "Phuong_Ba_Dinh"
    assert ward.paths["01A.xlsx"].name == "Mau_01A_Phuong_Ba_Dinh_2026-03.xlsx"
    assert ward.paths["02A.xlsx"].name == "Mau_02A_Phuong_Ba_Dinh_2026-03.xlsx"
    school = reports.scope("Trường Tiểu học Phúc Xá")
    assert school.paths["01A.xlsx"].name == "Mau_01A_Truong_Tieu_hoc_Phuc_Xa_2026-03.xlsx"
    assert {s.kind for s in reports.scopes} == {"ward", "unit"} and len(reports.scopes) == 4


def test_official_heading_title_and_signatures(reports):
    ws = sheet(reports.ward.paths["01A.xlsx"])
    values = texts(ws)
    for expected in ("Mẫu số 01A", "UBND PHƯỜNG BA ĐÌNH", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc",
                     "TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC, LAO ĐỘNG HỢP ĐỒNG",
                     "Tháng 03/2026", "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ",
                     "Ba Đình, ngày ..... tháng ..... năm 2026"):
        assert expected in values, expected
    number, motto, body = find(ws, "Mẫu số 01A"), find(ws, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), \
        find(ws, "UBND PHƯỜNG BA ĐÌNH")
    assert number.row == 1 and number.alignment.horizontal == "right"
    assert body.column == 1 and motto.column > ws.max_column // 3  # issuer left, motto right
    assert find(ws, "Độc lập - Tự do - Hạnh phúc").font.u == "single"
    title = find(ws, "TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC, LAO ĐỘNG HỢP ĐỒNG")
    assert title.font.b and title.alignment.horizontal == "center"
    assert any(str(r).startswith(f"A{title.row}:") for r in ws.merged_cells.ranges)
    # A unit's form names the unit under its superior body, in capitals and bold.
    unit_ws = sheet(reports.scope("Trường Tiểu học Phúc Xá").paths["01A.xlsx"])
    assert find(unit_ws, "TRƯỜNG TIỂU HỌC PHÚC XÁ").font.b
    assert not find(unit_ws, "UBND PHƯỜNG BA ĐÌNH").font.b


def test_every_written_cell_is_times_new_roman(reports):
    for key in ("01A.xlsx", "02A.xlsx"):
        ws = sheet(reports.ward.paths[key])
        fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value not in (None, "")}
        assert fonts == {"Times New Roman"}


def test_print_setup_a4_landscape_fit_to_width_with_repeated_header(reports):
    for scope in reports.scopes:
        for key in ("01A.xlsx", "02A.xlsx"):
            ws = sheet(scope.paths[key])
            assert ws.page_setup.orientation == "landscape"
            assert int(ws.page_setup.paperSize) == 9  # A4
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
            header = find(ws, "STT")
            first, last = ws.print_title_rows.replace("$", "").split(":")
            assert int(first) == header.row
            assert int(last) == header.row + 2  # two header rows + the (1), (2)... row
            assert ws.cell(row=int(last), column=1).value == "(1)"


def test_01a_numbers_are_numeric_right_aligned_two_decimals(reports):
    ws = sheet(reports.ward.paths["01A.xlsx"])
    total = find(ws, "Tổng cộng")
    row = [ws.cell(row=total.row, column=c) for c in range(1, ws.max_column + 1)]
    # STT, Đơn vị, Tổng, Được đánh giá, (SL, %) x 4, Chưa đánh giá, Ghi chú
    assert [c.value for c in row[2:4]] == [25, 22]
    assert [c.value for c in row[4:12]] == [5, 22.73, 10, 45.45, 5, 22.73, 2, 9.09]
    assert row[12].value == 3
    assert row[5].number_format == "0.00" and row[4].number_format == "0"
    assert all(c.alignment.horizontal == "right" for c in row[2:13])
    assert all(c.font.b for c in row if c.value is not None)
    assert all(c.border.left.style == "thin" for c in row)


def test_02a_scores_two_decimals_and_provisional_asterisk(reports):
    ws = sheet(reports.ward.paths["02A.xlsx"])
    leader = find(ws, "Trần Văn Bình")
    cells = [ws.cell(row=leader.row, column=c) for c in range(1, ws.max_column + 1)]
    assert [c.value for c in cells[5:14]] == [92.5, 92.5, 92.5, 100, 50, 85, 27.75, 64.75, 92.5]
    assert all(c.number_format == "0.00" and c.alignment.horizontal == "right" for c in cells[5:14])
    assert [c.value for c in cells[14:17]] == ["HTXSNV", "HTXSNV", "HTXSNV"]
    provisional = find(ws, INJECTIONS[0])
    total = ws.cell(row=provisional.row, column=14)
    assert total.value == 71.0 and total.number_format == '0.00"*"'
    assert ws.cell(row=provisional.row, column=18).value.startswith("(tạm tính)")


def test_02a_group_rows_are_bold_and_span_the_row(reports):
    ws = sheet(reports.ward.paths["02A.xlsx"])
    for numeral, unit in (("I", "Trường Tiểu học Phúc Xá"), ("II", "Văn phòng HĐND và UBND phường"),
                          ("III", "Phòng Văn hóa - Xã hội")):
        cell = find(ws, unit)
        assert cell.font.b and cell.column == 2
        assert ws.cell(row=cell.row, column=1).value == numeral
        assert f"B{cell.row}:R{cell.row}" in {str(r) for r in ws.merged_cells.ranges}
    order = [c.value for c in ws["B"] if c.value in ("Trần Văn Bình", "Ngô Thị Thu", "Nguyễn Đức Thắng")]
    assert order == ["Trần Văn Bình", "Ngô Thị Thu", "Nguyễn Đức Thắng"]


@pytest.mark.parametrize("text", [*INJECTIONS, SCRIPT_NAME])
def test_injection_strings_land_as_text_cells(reports, text):
    ws = sheet(reports.ward.paths["02A.xlsx"])
    cell = find(ws, text)
    assert cell.data_type == "s"
    if text[0] in "=+-@":
        assert cell.quotePrefix


def test_no_formula_in_the_file_at_all(reports):
    """Read the raw XML: no <f> element anywhere, and the strings stored verbatim."""
    for scope in reports.scopes:
        for key in ("01A.xlsx", "02A.xlsx"):
            with zipfile.ZipFile(scope.paths[key]) as z:
                sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
                assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    with zipfile.ZipFile(reports.ward.paths["02A.xlsx"]) as z:
        strings = "".join(z.read(n).decode() for n in z.namelist()
                          if n in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"))
    assert '=HYPERLINK("http://x","y")' in strings.replace("&quot;", '"')


def test_unit_names_that_fold_to_one_slug_get_distinct_files(units, ward, tmp_path):
    twin = units[0].__class__("Trường Tiểu học Phúc Xa", units[0].month, units[0].people, [])
    out = write_reports([units[0], twin], ward, tmp_path, formats=("xlsx",))
    names = sorted(p.name for p in out.paths)
    assert "Mau_01A_Truong_Tieu_hoc_Phuc_Xa_2026-03.xlsx" in names
    assert "Mau_01A_Truong_Tieu_hoc_Phuc_Xa_2_2026-03.xlsx" in names
    assert len(set(names)) == len(names) == 6


def test_per_unit_false_writes_only_the_ward(units, ward, tmp_path):
    out = write_reports(units, ward, tmp_path, formats=("xlsx",), per_unit=False)
    assert [s.kind for s in out.scopes] == ["ward"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "Mau_01A_Phuong_Ba_Dinh_2026-03.xlsx", "Mau_02A_Phuong_Ba_Dinh_2026-03.xlsx"]


def test_column_order_and_labels_of_both_forms(reports):
    ws = sheet(reports.ward.paths["02A.xlsx"])
    top = header_row(ws)
    below = [ws.cell(row=find(ws, "STT").row + 1, column=c).value for c in range(1, 19)]
    assert top == ["STT", "Họ và tên", "Chức vụ", "Phòng/bộ phận", "Đối tượng", "Điểm thành phần",
                   None, None, None, None, None, "Điểm tiêu chí chung", "Điểm kết quả thực hiện nhiệm vụ",
                   "Tổng điểm", "Tự xếp loại", "Xếp loại gợi ý", "Xếp loại được phê duyệt", "Ghi chú"]
    assert below[5:11] == ["a", "b", "c", "d", "đ", "e"]
    ws = sheet(reports.ward.paths["01A.xlsx"])
    top = header_row(ws)
    below = [ws.cell(row=find(ws, "STT").row + 1, column=c).value for c in range(1, 15)]
    assert top == ["STT", "Đơn vị", "Tổng số người", "Số người được đánh giá",
                   "Hoàn thành xuất sắc nhiệm vụ", None, "Hoàn thành tốt nhiệm vụ", None,
                   "Hoàn thành nhiệm vụ", None, "Không hoàn thành nhiệm vụ", None, "Chưa đánh giá", "Ghi chú"]
    assert below[4:12] == ["Số lượng", "Tỷ lệ (%)"] * 4
    unit_ws = sheet(reports.scope("Trường Tiểu học Phúc Xá").paths["01A.xlsx"])
    assert header_row(unit_ws)[1] == "Đối tượng"


def test_without_a_place_the_date_line_leaves_a_dotted_blank_not_a_bare_comma(units, tmp_path):
    from sheetsync.config.profile import load_profile
    from sheetsync.forms.collect import ward_info

    # A single workbook reported without ward.yaml: no place is known.
    info = ward_info(None, load_profile("nd335"), "Trường Tiểu học Phúc Xá")
    out = write_reports(units[:1], info, tmp_path, formats=("xlsx", "html"), per_unit=False)
    line = "…………, ngày ..... tháng ..... năm 2026"
    assert line in texts(sheet(out.ward.paths["01A.xlsx"]))
    assert line in texts(sheet(out.ward.paths["02A.xlsx"]))
    html = out.ward.paths["html"].read_text(encoding="utf-8")
    assert f'<p class="date-line">{line}</p>' in html and ">, ngày" not in html


def test_the_rule_under_the_agency_name_is_a_drawn_line_in_the_row_below_it(reports):
    import re

    path = reports.scope("Trường Tiểu học Phúc Xá").paths["01A.xlsx"]
    with zipfile.ZipFile(path) as z:
        drawing = z.read("xl/drawings/drawing1.xml").decode()
        assert 'r:id="rIdRule1"' in z.read("xl/worksheets/sheet1.xml").decode()
        assert "/xl/drawings/drawing1.xml" in z.read("[Content_Types].xml").decode()
    assert '<a:prstGeom prst="line">' in drawing
    name_row = find(sheet(path), "TRƯỜNG TIỂU HỌC PHÚC XÁ").row
    assert int(re.search(r"<xdr:row>(\d+)</xdr:row>", drawing).group(1)) + 1 == name_row + 1
    width = int(re.search(r'<xdr:ext cx="(\d+)"', drawing).group(1))
    assert 12700 * 30 < width < 12700 * 80  # 30–80 pt: a third to a half of the name, not the block
