"""Validation: every rule gives a finding at the right cell, in Vietnamese, with a stable code."""

import datetime as dt
import unicodedata

import openpyxl
import pandas as pd
import pytest
from unitbook import UnitBook, findings_of, sync

from sheetsync.config.schema import load_schemas
from sheetsync.engine.findings import Findings
from sheetsync.engine.validate import validate_frame


@pytest.fixture
def unit(book: UnitBook) -> UnitBook:
    book.product("SP1", 1)
    book.person("S1")
    return book


def at(res, tab_title, cell):
    f = res.evaluation.findings
    return f[(f["tab"] == tab_title) & (f["cell"] == cell)]


def test_a_clean_workbook_has_no_errors(unit):
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unit.evaluation("S1", mgr_general=30, mgr_date=dt.date(2026, 11, 26), approved_rating="A",
                    approved_date=dt.date(2026, 11, 27))
    res = sync(unit.save(), as_of="2026-11-28")
    assert res.evaluation.error_count == 0, res.evaluation.findings.to_string()
    assert res.ok


@pytest.mark.parametrize("key, value, code", [
    ("assigned_qty", "hai", "field.type"),
    ("assigned_qty", 0, "field.min-exclusive"),
    ("assigned_qty", -3, "field.min-exclusive"),
    ("due_date", "31/02/2026", "field.type"),
    ("start_date", "hôm nay", "field.type"),
    ("month", "13/2026", "field.type"),
    ("task_group", "Quan trọng", "field.enum"),
    ("review", "OK", "field.enum"),
    ("returns", 1.5, "field.type"),
    ("returns", -1, "field.min"),
    ("progress_pct", 150, "field.max"),
    ("owner_id", "S9", "field.ref"),
    ("product_code", "SP9", "field.ref"),
    ("collaborators", "S1, S7", "field.ref"),
    ("basis", None, "field.required"),
    ("quality_criteria", "   ", "field.required"),
])
def test_each_field_rule_lands_on_its_cell(unit, key, value, code):
    row = unit.task("T1", "S1", qty=2, done=1, review="Đạt")
    unit.set("tasks", row, key, value)
    unit.evaluation("S1", mgr_general=30)
    res = sync(unit.save(), write=False)
    letter = openpyxl.utils.get_column_letter(unit.column_of("tasks", key))
    found = at(res, "Nhiệm vụ", f"{letter}{row}")
    assert code in set(found["code"]), res.evaluation.findings[["cell", "code", "message"]].to_string()
    msg = found[found["code"] == code]["message"].iloc[0]
    assert "cần" in msg  # says what is expected
    if isinstance(value, str) and value.strip():
        assert value.split(",")[-1].strip() in msg  # says what was found


def test_conditional_requirements_and_date_order(unit):
    row = unit.task("T1", "S1", qty=2, done=1, done_date=None, evidence=None,
                    start_date=dt.date(2026, 11, 10), due=dt.date(2026, 11, 5))
    res = sync(unit.save(), write=False)
    codes = set(findings_of(res, tab="tasks")["code"])
    assert {"field.required-when", "field.not-before"} <= codes
    evidence = at(res, "Nhiệm vụ", f"{openpyxl.utils.get_column_letter(unit.column_of('tasks', 'evidence'))}{row}")
    assert "Minh chứng" in evidence["message"].iloc[0]


def test_duplicates_name_the_other_rows(unit):
    r1 = unit.task("T1", "S1")
    r2 = unit.task("T1", "S1")
    unit.evaluation("S1")
    unit.evaluation("S1")
    res = sync(unit.save(), write=False)
    dup = findings_of(res, "field.unique")
    assert sorted(dup["row"].tolist()) == [r1, r2]
    assert f"hàng {r2}" in dup[dup["row"] == r1]["message"].iloc[0]
    assert len(findings_of(res, "row.key-duplicate")) == 2


def test_codes_left_blank_are_missing_not_duplicates_of_each_other():
    """Blank cells (None, as a backend may deliver them) in a column of unique codes."""
    findings = Findings()
    raw = pd.DataFrame({"staff_id": ["S1", None, None, "S2"], "full_name": ["A", "B", "C", "D"]}, dtype=object)
    validate_frame(load_schemas()["staff"], raw, findings)
    f = findings.frame()
    assert sorted(f[f["code"] == "field.required"]["row"].tolist()) == [1, 2]
    assert "field.unique" not in set(f["code"])


def test_management_cycles_and_self_management_are_errors(book):
    book.person("A", manager="B")
    book.person("B", manager="C")
    book.person("C", manager="A")
    book.person("D", manager="D")
    res = sync(book.save(), write=False)
    cycle = findings_of(res, "staff.manager-cycle")
    assert len(cycle) == 3 and "A → B → C → A" in cycle["message"].iloc[0] or "→" in cycle["message"].iloc[0]
    assert len(findings_of(res, "tree.self")) == 1


def test_optional_contact_fields_are_checked_as_warnings(book):
    row = book.add("staff", staff_id="S1", full_name="A", category="Viên chức", phone="12345", email="khong-co-a-cong")
    ok = book.add("staff", staff_id="S2", full_name="B", category="Viên chức", phone="0912 345 678",
                  email="b@hanoi.gov.vn")
    res = sync(book.save(), write=False)
    f = findings_of(res, "field.pattern")
    assert sorted(f["row"].tolist()) == [row, row] and set(f["severity"]) == {"warning"}
    assert ok not in f["row"].tolist()


def test_headers_match_across_nfd_case_spacing_and_aliases(tmp_path):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet(unicodedata.normalize("NFD", "CÁN BỘ"))
    ws.append([unicodedata.normalize("NFD", "  mã   CÁN bộ "), "Họ tên", "đối tượng", "Cột riêng của đơn vị"])
    ws.append(["S1", "Nguyễn Văn A", "Công chức", "giữ nguyên"])
    path = tmp_path / "nfd.xlsx"
    wb.save(path)
    res = sync(path, write=False)
    assert "staff" in res.evaluation.tabs
    staff = res.evaluation.tabs["staff"]
    assert staff.values["staff_id"].tolist() == ["S1"] and staff.values["full_name"].tolist() == ["Nguyễn Văn A"]
    missing_tabs = set(findings_of(res, "tab.missing")["tab"])
    assert missing_tabs == {"Danh mục sản phẩm", "Nhiệm vụ", "Đánh giá tháng"}
    msg = findings_of(res, "tab.missing")["message"].iloc[0]
    assert "sheetsync init" in msg


def test_missing_and_duplicate_headers_are_named(unit):
    ws = unit.ws("tasks")
    col = unit.column_of("tasks", "basis")
    ws.cell(1, col).value = "Căn cứ (cũ)"
    ws.cell(1, unit.column_of("tasks", "output") + 0).value = "Tên nhiệm vụ"
    res = sync(unit.save(), write=False)
    missing = findings_of(res, "header.missing")
    assert set(missing["column"]) == {"Căn cứ giao nhiệm vụ", "Sản phẩm đầu ra"}
    assert "Trang 'Nhiệm vụ' thiếu cột 'Căn cứ giao nhiệm vụ'" in " ".join(missing["message"])
    assert len(findings_of(res, "header.duplicate")) == 1


def test_header_row_below_a_title_is_found(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh mục sản phẩm"
    ws.append(["DANH MỤC SẢN PHẨM CỦA PHÒNG"])
    ws.append([])
    ws.append(["Mã sản phẩm", "Tên sản phẩm/công việc", "Đơn vị tính", "Hệ số quy đổi"])
    ws.append(["SP1", "Báo cáo", "văn bản", "1,5"])
    path = tmp_path / "title.xlsx"
    wb.save(path)
    res = sync(path, write=False)
    cat = res.evaluation.tabs["catalogue"]
    assert cat.values["coefficient"].tolist() == [1.5] and cat.values.index.tolist() == [4]


def test_formula_errors_uncomputed_formulas_and_merged_cells(unit):
    r1 = unit.task("T1", "S1", qty=2)
    r2 = unit.task("T2", "S1", qty=2)
    r3 = unit.task("T3", "S1", qty=2)
    ws = unit.ws("tasks")
    qty_col = openpyxl.utils.get_column_letter(unit.column_of("tasks", "assigned_qty"))
    ws[f"{qty_col}{r1}"] = "#REF!"  # openpyxl stores this as an error cell
    ws[f"{qty_col}{r2}"] = "=SUM(A1:A2)"  # a formula no spreadsheet program has computed yet
    name_col = unit.column_of("tasks", "task_name")
    ws.merge_cells(start_row=r3, start_column=name_col, end_row=r3, end_column=name_col + 1)
    res = sync(unit.save(), write=False)
    assert at(res, "Nhiệm vụ", f"{qty_col}{r1}")["code"].tolist() == ["cell.error"]
    assert "#REF!" in at(res, "Nhiệm vụ", f"{qty_col}{r1}")["message"].iloc[0]
    assert at(res, "Nhiệm vụ", f"{qty_col}{r2}")["code"].tolist() == ["cell.formula-without-value"]
    merged = findings_of(res, "cell.merged")
    assert merged["row"].tolist() == [r3] and "gộp" in merged["message"].iloc[0]


def test_blank_rows_in_the_middle_are_skipped_and_huge_or_odd_text_is_reported_not_fatal(unit):
    unit.task("T1", "S1", qty=1)
    unit.ws("tasks").append([])
    unit.ws("tasks").append([])
    huge = "Nhiệm vụ 📄 " * 2800  # about 30,000 characters
    row = unit.task("T2", "S1", qty=1, task_name=huge)
    res = sync(unit.save(), write=False)
    tasks = res.evaluation.tabs["tasks"]
    assert len(tasks.rows) == 2
    too_long = findings_of(res, "field.too-long")
    assert too_long["row"].tolist() == [row] and too_long["severity"].tolist() == ["warning"]


def test_month_filter_reports_only_that_months_rows(unit):
    unit.task("T1", "S1", qty="x", month="10/2026")
    unit.task("T2", "S1", qty="y", month="11/2026")
    res = sync(unit.save(), write=False)
    f = res.evaluation.findings_in(["2026-11"])
    assert set(f[f["code"] == "field.type"]["row"]) == {3}


def test_a_date_cell_holding_an_impossible_number_is_a_finding_not_a_crash(unit):
    row = unit.task("T1", "S1", qty=1)
    letter = openpyxl.utils.get_column_letter(unit.column_of("tasks", "due_date"))
    unit.ws("tasks")[f"{letter}{row}"].value = -4.5e16  # the column is date-formatted
    res = sync(unit.save(), write=False)
    assert "field.type" in set(at(res, "Nhiệm vụ", f"{letter}{row}")["code"])


def _staff_checked(rows: dict[str, list]) -> tuple[pd.DataFrame, object]:
    findings = Findings()
    n = len(next(iter(rows.values())))
    raw = pd.DataFrame(rows, index=range(2, 2 + n), dtype=object)
    tab = validate_frame(load_schemas()["staff"], raw, findings)
    return findings.frame(), tab


def test_an_empty_tab_and_a_one_row_tab_are_checked_like_any_other():
    f, tab = _staff_checked({"staff_id": [], "full_name": []})
    assert f.empty and tab.values.empty and list(tab.errors.columns) == ["staff_id", "full_name"]
    f, tab = _staff_checked({"staff_id": [None], "full_name": ["A"]})
    assert f["code"].tolist() == ["field.required"] and f["row"].tolist() == [2]
    assert tab.errors["staff_id"].tolist() == [True] and tab.errors["full_name"].tolist() == [False]
    assert tab.empty["staff_id"].tolist() == [True] and tab.empty["full_name"].tolist() == [False]


def test_patterns_are_matched_after_phone_punctuation_and_blank_or_space_cells_pass():
    f, tab = _staff_checked({
        "staff_id": ["S1", "S2", "S3", "S4", "S5"],
        "full_name": ["A", "B", "C", "D", "E"],
        "phone": ["(091) 234-5678", "0912.345.678", "12345", None, "   "],
        "email": [float("nan"), "a@b.vn", "a@b", "", "a@b.vn"],
    })
    bad = f[f["code"] == "field.pattern"]
    assert sorted(zip(bad["row"], bad["column"])) == [(4, "Email"), (4, "Số điện thoại")]
    assert "12345" in bad[bad["column"] == "Số điện thoại"]["message"].iloc[0]
    assert not tab.errors["phone"].any()  # a pattern on an optional column only warns


def test_unique_codes_compare_as_people_read_them_and_each_duplicate_names_the_others():
    f, tab = _staff_checked({"staff_id": ["cb01", " CB01", "CB02", None, None, "CB01 "],
                             "full_name": ["A", "B", "C", "D", "E", "F"]})
    dup = f[f["code"] == "field.unique"].sort_values("row")
    assert dup["row"].tolist() == [2, 3, 7]
    assert "hàng 3, 7" in dup["message"].iloc[0] and "hàng 2, 3" in dup["message"].iloc[2]
    assert tab.errors["staff_id"].tolist() == [True, True, False, True, True, True]  # blanks: required


def test_too_long_text_is_a_warning_on_each_of_its_rows():
    findings = Findings()
    long_name = "x" * 501
    raw = pd.DataFrame({"product_code": ["P1", "P2", "P3"], "product_name": [long_name, "ngắn", long_name]},
                       index=[5, 6, 7], dtype=object)
    tab = validate_frame(load_schemas()["catalogue"], raw, findings)
    f = findings.frame()
    too_long = f[f["code"] == "field.too-long"]
    assert too_long["row"].tolist() == [5, 7] and set(too_long["severity"]) == {"warning"}
    assert "501" in too_long["message"].iloc[0]
    assert not tab.errors["product_name"].any()


def test_a_tabs_rows_become_one_grid_with_every_cell_whole_small_or_large():
    from sheetsync.engine.grid import _table

    small = [["CB1", 1.5, None, dt.date(2026, 10, 1)], ["CB2", "", 2, dt.datetime(2026, 10, 2, 8)]]
    assert _table(small).shape == (2, 4) and _table(small).tolist() == small
    odd = [["CB1", ("a", "b")], ["CB2", ("c", "d")]]  # a cell that is itself a sequence stays one cell
    assert _table(odd).shape == (2, 2) and _table(odd)[1, 1] == ("c", "d")
    large = [[f"CB{i}", float(i), None] for i in range(500)]
    assert _table(large).shape == (500, 3) and _table(large).tolist() == large
