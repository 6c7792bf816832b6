"""The monthly cycle on a real workbook: init → fill → sync → re-sync, and what write-back
may and may not touch."""

import datetime as dt
import hashlib
import os
import zipfile

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill
from unitbook import SCHEMAS, UnitBook, columns_by_header, input_cells, sync

from sheetsync.errors import SourceChanged, SourceLocked


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(book: UnitBook) -> UnitBook:
    book.product("SP1", 1)
    book.product("SP2", "1,5")
    book.person("L", "Phạm Thị Lan", role="Người đứng đầu")
    book.person("S1", "Trần Văn Bình", manager="L")
    book.person("S2", "Lê Thu Hà", category="Viên chức", manager="L")
    book.task("T1", "L", qty=1, done=1, review="Đạt")
    book.task("T2", "S1", "SP2", qty=2, done=2, review="Đạt", done_date=dt.date(2026, 11, 25))
    book.task("T3", "S2", qty=3, done=1, review="Trả lại", returns=1)
    book.task("T4", "S2", qty="hai")  # malformed
    book.evaluation("L", mgr_general=29, leader_e=90)
    book.evaluation("S1", mgr_general=27)
    book.evaluation("S2", mgr_general=26)
    return book


def test_second_sync_writes_nothing_and_leaves_the_file_untouched(filled):
    path = filled.save()
    first = sync(path)
    assert first.written and first.plan.cell_count > 0
    before, mtime = digest(path), os.stat(path).st_mtime_ns
    second = sync(path)
    assert not second.written and not second.plan
    assert digest(path) == before and os.stat(path).st_mtime_ns == mtime


def test_sync_never_changes_an_input_cell_or_the_users_formatting(filled):
    ws = filled.ws("tasks")
    ws["C2"].font = Font(bold=True, color="FF0000")
    ws["C2"].fill = PatternFill("solid", start_color="FFFF00")
    ws.column_dimensions["C"].width = 55
    filled.wb.create_sheet("Ghi chú riêng")["A1"] = "=1+1"
    path = filled.save()
    before = input_cells(path)
    with zipfile.ZipFile(path) as z:
        other = {n: z.read(n) for n in z.namelist() if "sheet" not in n and "styles" not in n}
    sync(path)
    assert input_cells(path) == before
    wb = openpyxl.load_workbook(path)
    assert wb["Nhiệm vụ"].column_dimensions["C"].width == 55
    assert wb["Ghi chú riêng"]["A1"].value == "=1+1"
    assert len(wb["Nhiệm vụ"].data_validations.dataValidation) > 0
    assert wb["Nhiệm vụ"]["A1"].comment is not None
    with zipfile.ZipFile(path) as z:
        for name, data in other.items():
            if name != "docProps/app.xml":
                assert z.read(name) == data, name


def test_results_land_on_the_rows_of_their_keys_in_the_engine_columns(filled):
    path = filled.save()
    sync(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Đánh giá tháng"]
    head = columns_by_header(ws)
    rows = {ws.cell(r, head["Mã cán bộ"]).value: r for r in range(2, ws.max_row + 1)}
    def total(sid):
        return ws.cell(rows[sid], head["Tổng điểm gợi ý"]).value
    # S1: one task done in full and approved but late (25/11 > 20/11): a=b=100, c=75
    # → 70 × 275/300 = 64.17; + 27 = 91.17
    assert total("S1") == 91.17
    assert ws.cell(rows["S1"], head["Xếp loại gợi ý"]).value == "Hoàn thành xuất sắc nhiệm vụ"
    tasks = wb["Nhiệm vụ"]
    th = columns_by_header(tasks)
    status = {tasks.cell(r, th["Mã nhiệm vụ"]).value: tasks.cell(r, th["Kết quả kiểm tra"]).value
              for r in range(2, tasks.max_row + 1)}
    assert status["T4"] == "Lỗi" and status["T1"] == "Hợp lệ"
    notes = tasks.cell(5, th["Ghi chú kiểm tra"]).value
    assert "'hai'" in notes and notes.startswith("Lỗi")
    summary = wb["Tổng hợp"]
    values = [c.value for row in summary.iter_rows() for c in row if c.value is not None]
    assert "Trần Văn Bình" in values and "Tháng 11/2026" in values


def test_an_edit_changes_only_what_it_affects(filled):
    path = filled.save()
    sync(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Nhiệm vụ"]
    head = columns_by_header(ws)
    ws.cell(5, head["Số lượng giao"]).value = 2  # fix T4
    wb.save(path)
    res = sync(path)
    assert res.written
    changed_tabs = res.plan.describe()["tabs"]
    assert set(changed_tabs) <= {"Nhiệm vụ", "Đánh giá tháng"}
    assert res.plan.cell_count < 20


def test_missing_engine_columns_are_appended_after_the_users_own_columns(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh mục sản phẩm"
    ws.append(["Mã sản phẩm", "Tên sản phẩm/công việc", "Đơn vị tính", "Hệ số quy đổi", "Ghi chú của phòng"])
    ws.append(["SP1", "Báo cáo", "văn bản", "abc", "giữ"])
    path = tmp_path / "hand.xlsx"
    wb.save(path)
    sync(path)
    ws = openpyxl.load_workbook(path)["Danh mục sản phẩm"]
    assert [c.value for c in ws[1]] == ["Mã sản phẩm", "Tên sản phẩm/công việc", "Đơn vị tính", "Hệ số quy đổi",
                                        "Ghi chú của phòng", "Kết quả kiểm tra", "Ghi chú kiểm tra"]
    assert ws["E2"].value == "giữ" and ws["F2"].value == "Lỗi" and "'abc'" in ws["G2"].value
    assert "Tổng hợp" in openpyxl.load_workbook(path).sheetnames


def test_stale_engine_values_on_cleared_rows_are_cleared(filled):
    path = filled.save()
    sync(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Nhiệm vụ"]
    head = columns_by_header(ws)
    for c in range(1, head["Kết quả kiểm tra"]):
        ws.cell(5, c).value = None  # the user empties T4's inputs
    wb.save(path)
    sync(path)
    ws = openpyxl.load_workbook(path)["Nhiệm vụ"]
    assert ws.cell(5, head["Kết quả kiểm tra"]).value is None
    assert ws.cell(5, head["Ghi chú kiểm tra"]).value is None


def test_a_workbook_open_in_excel_is_not_written(filled):
    path = filled.save()
    lock = path.with_name("~$" + path.name)
    lock.write_bytes(b"x")
    before = digest(path)
    res = sync(path)
    assert isinstance(res.error, SourceLocked) and not res.written
    assert res.evaluation is not None and "source.not-written" in [n.code for n in res.notices]  # still checked
    assert digest(path) == before


def test_locked_and_changed_workbooks_raise_clear_errors(filled):
    from sheetsync.backends.xlsx.backend import XlsxBackend
    from sheetsync.config.profile import load_profile
    from sheetsync.engine.evaluate import evaluate, plan_writes
    path = filled.save()
    backend = XlsxBackend(path)
    grids = backend.read()
    plan = plan_writes(evaluate(grids, SCHEMAS, load_profile(), as_of="2026-11-24"), grids, SCHEMAS)
    lock = path.with_name(".~lock." + path.name + "#")
    lock.write_text("LibreOffice")
    with pytest.raises(SourceLocked) as exc:
        backend.write(plan)
    assert path.name in str(exc.value) and "đóng" in str(exc.value)
    lock.unlink()
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10_000_000_000))
    with pytest.raises(SourceChanged):
        backend.write(plan)


def test_api_reports_a_locked_workbook_per_unit_with_exit_code_2(filled, tmp_path):
    from sheetsync import service
    path = filled.save()
    path.with_name("~$" + path.name).write_bytes(b"x")
    result = service.sync([str(path)], as_of="2026-11-24")
    assert result.exit_code == 2
    unit = result.units[0]
    assert unit.error.code == "source.locked" and ("đang mở" in str(unit.error) or "khóa" in str(unit.error))
    assert unit.evaluation is not None and not unit.written  # the checks are still reported


def test_month_option_leaves_other_months_scores_alone(filled):
    filled.task("O1", "S1", qty=1, done=1, review="Đạt", month="10/2026", due=dt.date(2026, 10, 20),
                done_date=dt.date(2026, 10, 18), start_date=dt.date(2026, 10, 1))
    filled.evaluation("S1", month="10/2026", mgr_general=20, self_date=dt.date(2026, 10, 24))
    path = filled.save()
    sync(path, months=["2026-11"])
    wb = openpyxl.load_workbook(path)
    ws = wb["Đánh giá tháng"]
    head = columns_by_header(ws)
    october = [r for r in range(2, ws.max_row + 1) if ws.cell(r, head["Tháng"]).value in ("10/2026",)]
    assert october and ws.cell(october[0], head["Tổng điểm gợi ý"]).value is None
    sync(path)
    ws = openpyxl.load_workbook(path)["Đánh giá tháng"]
    assert ws.cell(october[0], head["Tổng điểm gợi ý"]).value == 90


def test_text_longer_than_a_cell_can_hold_does_not_make_every_sync_write(book):
    book.person("Nhiệm vụ 📄 " * 2807)  # beyond Excel's 32,767 UTF-16 units once echoed in Tổng hợp
    path = book.save()
    sync(path, as_of="2026-11-29")
    assert not sync(path, as_of="2026-11-29").written
