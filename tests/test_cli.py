"""The command line as a focal person and a scheduler use it: exit codes, --json, init,
ward files and folders, and the forms agreeing with the synced workbooks."""

import datetime as dt
import json

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from unitbook import UnitBook

from sheetsync.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def clean_unit(tmp_path) -> UnitBook:
    b = UnitBook(tmp_path / "phong-a.xlsx", unit="Phòng A")
    b.product("SP1", 1)
    b.person("S1", "Nguyễn Văn An")
    row = b.person("S2", "=HYPERLINK(\"http://x\",\"y\")")
    # Typed as text (a leading apostrophe in Excel): a name, not a formula.
    b.ws("staff").cell(row, b.column_of("staff", "full_name")).data_type = "s"
    b.task("T1", "S1", qty=1, done=1, review="Đạt")
    b.task("T2", "S2", qty=2, done=1, review="Đạt")
    b.evaluation("S1", mgr_general=30, approved_rating="A", mgr_date=dt.date(2026, 11, 26),
                 approved_date=dt.date(2026, 11, 27))
    b.evaluation("S2", mgr_general=20, approved_rating="B", mgr_date=dt.date(2026, 11, 26),
                 approved_date=dt.date(2026, 11, 27))
    b.save()
    return b


def test_init_creates_every_tab_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "moi.xlsx"
    res = run("init", path, "--unit", "Trường Tiểu học Phúc Xá")
    assert res.exit_code == 0 and "Đã tạo" in res.output
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Cán bộ", "Danh mục sản phẩm", "Nhiệm vụ", "Đánh giá tháng", "OKR", "Báo cáo tuần", "Lịch công tác",
                             "Tổng hợp", "_Danh sách"]
    assert wb["_Danh sách"].sheet_state == "hidden"
    ws = wb["Nhiệm vụ"]
    assert ws.freeze_panes == "B2" and ws.protection.sheet
    assert ws["A1"].comment is not None
    assert run("init", path, "--unit", "X").exit_code == 2


def test_validate_exit_codes_and_json(clean_unit):
    path = clean_unit.path
    res = run("validate", path, "--as-of", "2026-11-28", "--json")
    data = json.loads(res.output)
    assert res.exit_code == 0, data
    unit = data["units"][0]
    assert unit["unit"] == "Phòng A" and unit["errors"] == 0 and unit["written"] is False
    assert unit["months"]["2026-11"]["ratings"] == {"Hoàn thành xuất sắc nhiệm vụ": 1, "Hoàn thành tốt nhiệm vụ": 1}
    clean_unit.task("T3", "S1", qty="hai")
    clean_unit.save()
    res = run("validate", path, "--as-of", "2026-11-28", "--json")
    assert res.exit_code == 1
    finding = [f for f in json.loads(res.output)["units"][0]["findings"] if f["code"] == "field.type"][0]
    assert finding["tab"] == "Nhiệm vụ" and finding["row"] == 4 and finding["severity"] == "error"


def test_sync_prints_a_table_and_a_second_run_changes_nothing(clean_unit):
    first = run("sync", clean_unit.path, "--as-of", "2026-11-28")
    assert first.exit_code == 0 and "Phòng A" in first.output
    second = run("sync", clean_unit.path, "--as-of", "2026-11-28", "--json")
    unit = json.loads(second.output)["units"][0]
    assert unit["written"] is False and unit["cells_written"] == 0


def test_usage_and_io_problems_exit_2(tmp_path):
    assert run("validate", tmp_path / "khong-co.xlsx").exit_code == 2
    assert run("validate", tmp_path / "x.csv").exit_code == 2
    assert run("validate", "--month", "13/2026", tmp_path).exit_code == 2
    (tmp_path / "hong.xlsx").write_bytes(b"not a zip")
    res = run("validate", tmp_path / "hong.xlsx", "--json")
    error = json.loads(res.output)["units"][0]["error"]
    assert res.exit_code == 2 and "không" in error["message"].lower() and error["code"] == "source.unreadable"
    assert run("sync", tmp_path / "a.xlsx", "--profile", "khong-co").exit_code == 2


def test_ward_file_and_folder_sources(clean_unit, tmp_path):
    other = UnitBook(tmp_path / "phong-b.xlsx", unit="Phòng B")
    other.product("SP1", 1)
    other.person("B1")
    other.save()
    ward = tmp_path / "ward.yaml"
    ward.write_text(yaml.safe_dump({"ward": "Phường Thử", "profile": "nd335", "units": [
        {"name": "Phòng A", "source": "phong-a.xlsx"}, {"name": "Phòng B", "source": "phong-b.xlsx"}]},
        allow_unicode=True), encoding="utf-8")
    by_ward = json.loads(run("validate", ward, "--as-of", "2026-11-28", "--json").output)
    by_folder = json.loads(run("validate", tmp_path, "--as-of", "2026-11-28", "--json").output)
    assert [u["unit"] for u in by_ward["units"]] == ["Phòng A", "Phòng B"]
    assert sorted(u["unit"] for u in by_folder["units"]) == ["Phòng A", "Phòng B"]
    assert by_ward["ward"] == "Phường Thử"


def test_report_forms_agree_with_the_synced_summary_tab(clean_unit, tmp_path):
    run("sync", clean_unit.path, "--as-of", "2026-11-28")
    out = tmp_path / "bao-cao"
    res = run("report", clean_unit.path, "--month", "2026-11", "--as-of", "2026-11-28", "--out", out,
              "--format", "xlsx,html", "--json")
    data = json.loads(res.output)
    assert res.exit_code == 0, data
    files = [p for p in data["files"] if "Mau_02A" in p and p.endswith(".xlsx")]
    form = openpyxl.load_workbook(files[0]).active
    cells = [c for row in form.iter_rows() for c in row if c.value is not None]
    # The injected name lands as plain text, never a formula.
    inj = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert inj and all(c.data_type == "s" for c in inj)
    totals_in_form = sorted(c.value for c in cells if isinstance(c.value, (int, float)) and c.value > 50)
    summary = openpyxl.load_workbook(clean_unit.path)["Tổng hợp"]
    head_row = next(r for r in summary.iter_rows() if r[0].value == "Mã cán bộ")
    col = [c.value for c in head_row].index("Tổng điểm")
    totals_in_sheet = sorted(r[col].value for r in summary.iter_rows(min_row=head_row[0].row + 1)
                             if r[0].value in ("S1", "S2"))
    # S1: all done → 70 + 30; S2: half done → 70 × 0.5 + 20
    assert totals_in_sheet == [55.0, 100.0]
    assert set(totals_in_sheet) <= set(totals_in_form)
    html = [p for p in data["files"] if p.endswith(".html")][0]
    text = open(html, encoding="utf-8").read()
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in text or "=HYPERLINK(&quot;http://x&quot;" in text


def test_a_broken_schema_or_ward_file_is_a_clear_error_not_a_traceback(clean_unit, tmp_path, monkeypatch):
    broken = tmp_path / "schemas"
    import shutil

    from sheetsync.config.resources import schemas_dir
    shutil.copytree(schemas_dir(), broken)
    (broken / "tasks.yaml").write_text("name: tasks\ntitle: Nhiệm vụ\nfields:\n  - {key: x, header: X, type: so}\n",
                                       encoding="utf-8")
    monkeypatch.setenv("SHEETSYNC_SCHEMAS", str(broken))
    res = run("validate", clean_unit.path)
    assert res.exit_code == 2 and "unknown type" in res.output
    monkeypatch.delenv("SHEETSYNC_SCHEMAS")
    bad_ward = tmp_path / "ward.yaml"
    bad_ward.write_text("units: [", encoding="utf-8")
    res = run("validate", bad_ward)
    assert res.exit_code == 2 and "YAML" in res.output


def test_sync_and_the_history_commands_meet_in_the_store_named_by_the_environment(clean_unit, tmp_path, monkeypatch):
    elsewhere = tmp_path / "kho" / "chung.db"
    elsewhere.parent.mkdir()
    monkeypatch.setenv("SHEETSYNC_STORE", str(elsewhere))
    assert run("sync", clean_unit.path, "--as-of", "2026-11-28").exit_code == 0
    assert elsewhere.exists() and not (clean_unit.path.parent / "sheetsync.db").exists()
    res = run("history", clean_unit.path, "--person", "S1", "--json")
    assert res.exit_code == 0, res.output
    assert "2026-11" in res.output
