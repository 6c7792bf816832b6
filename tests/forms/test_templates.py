"""An office restyles the forms by editing template files, with no Python."""

from __future__ import annotations

import shutil

import openpyxl
import pytest
import yaml

from sheetsync.forms import write_reports
from sheetsync.forms.layout import LayoutError, default_templates_dir, load_layout


def edit_yaml(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def header_row(ws):
    row = next(c.row for r in ws.iter_rows() for c in r if c.value == "STT")
    return [ws.cell(row=row, column=c).value for c in range(1, ws.max_column + 1)]


@pytest.fixture
def office_templates(tmp_path):
    folder = tmp_path / "mau_cua_phuong"
    shutil.copytree(default_templates_dir(), folder)
    return folder


def test_edited_copy_changes_title_columns_fonts_and_signatures(units, ward, office_templates, tmp_path):
    def form_01a(data):
        data["title"] = "BÁO CÁO NHANH KẾT QUẢ XẾP LOẠI"
        cols = {c.get("key", "per_rating"): c for c in data["columns"]}  # the block of rating columns
        cols["total"]["label"] = "Tổng số CBCCVC"
        keys = list(cols)
        keys.remove("notes")
        keys.insert(2, "notes")  # Ghi chú moved right after the name
        data["columns"] = [cols[k] for k in keys]

    def document(data):
        data["font"]["name"] = "Arial"
        data["signatures"].append({"title": "CHỦ TỊCH UBND PHƯỜNG", "note": "(Ký tên, đóng dấu)",
                                   "name": "Nguyễn Văn A"})

    edit_yaml(office_templates / "mau_01a.yaml", form_01a)
    edit_yaml(office_templates / "document.yaml", document)
    css = office_templates / "report.css.j2"
    css.write_text(css.read_text(encoding="utf-8") + "\n.title { color: #123456; }\n", encoding="utf-8")

    out = write_reports(units, ward, tmp_path / "out", formats=("xlsx", "html"),
                        templates_dir=office_templates)
    ws = openpyxl.load_workbook(out.ward.paths["01A.xlsx"]).active
    values = [c.value for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    assert "BÁO CÁO NHANH KẾT QUẢ XẾP LOẠI" in values
    assert "TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC, LAO ĐỘNG HỢP ĐỒNG" not in values
    assert header_row(ws)[:4] == ["STT", "Đơn vị", "Ghi chú", "Tổng số CBCCVC"]
    assert "CHỦ TỊCH UBND PHƯỜNG" in values and "Nguyễn Văn A" in values
    assert {c.font.name for r in ws.iter_rows() for c in r if c.value} == {"Arial"}
    # The notes now sit in column C of the data rows.
    school = next(c for r in ws.iter_rows() for c in r if c.value == "Trường Tiểu học Phúc Xá")
    assert ws.cell(row=school.row, column=3).value.startswith("Vượt tỷ lệ HTXSNV")

    html = out.ward.paths["html"].read_text(encoding="utf-8")
    assert "BÁO CÁO NHANH KẾT QUẢ XẾP LOẠI" in html and "Tổng số CBCCVC" in html
    assert html.index(">Ghi chú<") < html.index(">Tổng số CBCCVC<")
    assert "CHỦ TỊCH UBND PHƯỜNG" in html and '"Arial"' in html and "#123456" in html

    # The untouched 02A keeps the shipped title.
    ws2 = openpyxl.load_workbook(out.ward.paths["02A.xlsx"]).active
    assert "DANH SÁCH KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI HẰNG THÁNG" in [c.value for r in ws2.iter_rows() for c in r]


def test_folder_with_only_the_changed_file_falls_back_to_the_shipped_ones(units, ward, tmp_path):
    folder = tmp_path / "chi_sua_02a"
    folder.mkdir()
    shutil.copy(default_templates_dir() / "mau_02a.yaml", folder)
    edit_yaml(folder / "mau_02a.yaml", lambda d: d.update(title="DANH SÁCH THÁNG {month} CỦA {scope_upper}",
                                                          rating_text="full"))
    out = write_reports(units[:1], ward, tmp_path / "out", formats=("xlsx", "html"),
                        templates_dir=folder, per_unit=False)
    ws = openpyxl.load_workbook(out.ward.paths["02A.xlsx"]).active
    values = [c.value for r in ws.iter_rows() for c in r]
    assert "DANH SÁCH THÁNG 03/2026 CỦA PHƯỜNG BA ĐÌNH" in values
    assert "Hoàn thành xuất sắc nhiệm vụ" in values and "HTXSNV" not in values
    assert "Mẫu số 01A" in out.ward.paths["html"].read_text(encoding="utf-8")


def test_page_template_order_can_be_changed(units, ward, office_templates, tmp_path):
    page = office_templates / "report.html.j2"
    text = page.read_text(encoding="utf-8")
    shipped = '{{ form_section(forms["01A"]) }}\n{{ charts_section(charts) }}\n{{ form_section(forms["02A"]) }}'
    assert shipped in text
    text = text.replace(shipped, '{{ form_section(forms["02A"]) }}\n{{ form_section(forms["01A"]) }}')
    page.write_text(text, encoding="utf-8")
    out = write_reports(units, ward, tmp_path / "out", formats=("html",), templates_dir=office_templates,
                        per_unit=False)
    html = out.ward.paths["html"].read_text(encoding="utf-8")
    assert html.index('id="mau-02a"') < html.index('id="mau-01a"') and 'id="bieu-do"' not in html


def test_a_mistyped_column_key_is_reported_in_vietnamese(office_templates):
    edit_yaml(office_templates / "mau_01a.yaml",
              lambda d: d["columns"].append({"key": "tong_so", "label": "X"}))
    with pytest.raises(LayoutError, match="cột 'tong_so' không có"):
        load_layout("01A", "ward", {}, office_templates)


def test_labels_can_differ_between_unit_and_ward_forms():
    ctx = {"scope": "Phường", "scope_upper": "PHƯỜNG"}
    assert load_layout("01A", "ward", ctx).columns[1].label == "Đơn vị"
    assert load_layout("01A", "unit", ctx).columns[1].label == "Đối tượng"
    # Stray braces typed by an office stay as typed.
    assert load_layout("01A", "unit", ctx).title.startswith("TỔNG HỢP")
