"""What a focal person reads in the terminal: Vietnamese throughout, months and dates typed the
Vietnamese way, warnings shown (capped, all with --verbose), and the run saying what happened
to months that became frozen, months that have no data, and workbooks counted twice."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
from click.testing import CliRunner
from unitbook import UnitBook

from sheetsync.cli import main


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)


@pytest.fixture
def unit(tmp_path) -> UnitBook:
    b = UnitBook(tmp_path / "phong-a.xlsx", unit="Phòng A")
    b.product("SP1", 1)
    b.person("S1", "Nguyễn Văn An")
    b.person("S2", "Trần Thị Bình")
    return b


@pytest.mark.parametrize("args", [["--help"], ["sync", "--help"], ["report", "--help"], ["status", "--help"]])
def test_help_is_vietnamese(args):
    out = run(*args).output
    assert "Cách dùng:" in out and "In hướng dẫn này rồi thoát." in out
    for english in ("Usage:", "Options:", "Show this message", "Commands:", "[OPTIONS]"):
        assert english not in out


def every_command(group, path=()):
    import click

    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


@pytest.mark.parametrize("command", [(), *every_command(main)], ids=" ".join)
def test_every_help_shows_its_placeholders_in_vietnamese(command):
    from sheetsync.cli.i18n import METAVARS

    out = run(*command, "--help").output
    assert "Cách dùng:" in out
    assert not set(re.findall(r"\b[A-Z][A-Z_]+\b", out)) & set(METAVARS), out


def test_click_errors_are_vietnamese():
    res = CliRunner().invoke(main, ["sync"])
    assert res.exit_code == 2 and "Thiếu tham số" in res.output and "Missing" not in res.output
    res = CliRunner().invoke(main, ["synk"])
    assert res.exit_code == 2 and "Không có lệnh" in res.output and "No such" not in res.output


def test_months_and_dates_are_typed_the_vietnamese_way(unit):
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unit.evaluation("S1", mgr_general=28)
    path = unit.save()
    for month, as_of in (("11/2026", "30/11/2026"), ("2026-11", "2026-11-30"), ("Tháng 11/2026", "30/11/2026")):
        res = run("validate", path, "--month", month, "--as-of", as_of, "--store", "none")
        assert res.exit_code in (0, 1) and "xét hạn đến 30/11/2026" in res.output and "Chỉ tính tháng 11/2026" in res.output
    bad = run("validate", path, "--as-of", "31/02/2026")
    assert bad.exit_code == 2 and "không phải một ngày có thật" in bad.output


def test_warnings_are_printed_capped_and_all_with_verbose(unit):
    for i in range(8):  # done, approved, but no evidence: a warning each
        unit.task(f"T{i}", "S1", qty=1, done=1, review="Đạt", evidence=None)
    unit.evaluation("S1", mgr_general=28)
    path = unit.save()
    res = run("validate", path, "--as-of", "24/11/2026", "--store", "none")
    assert "cảnh báo, ví dụ:" in res.output and "khác (xem cột Ghi chú kiểm tra, hoặc chạy lại với --verbose)" in res.output
    shown = [line for line in res.output.splitlines() if line.startswith("  - Cảnh báo")]
    assert len(shown) == 5
    everything = run("validate", path, "--as-of", "24/11/2026", "--store", "none", "--verbose").output
    assert len([line for line in everything.splitlines() if line.startswith("  - Cảnh báo")]) > 5
    assert "--verbose" not in everything.split("Hàng c.báo")[1]


def test_a_month_without_data_is_said(unit):
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unit.evaluation("S1", mgr_general=28)
    res = run("sync", unit.save(), "--month", "10/2026", "--store", "none")
    assert "Không có hàng đánh giá nào của tháng 10/2026" in res.output


def test_a_month_becoming_frozen_and_then_edited_is_said(unit, tmp_path):
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    for sid in ("S1", "S2"):
        unit.evaluation(sid, mgr_general=28, mgr_date=dt.date(2026, 11, 26), approved_rating="B",
                        approved_date=dt.date(2026, 11, 27))
    path = unit.save()
    store = tmp_path / "kho.db"
    first = run("sync", path, "--as-of", "28/11/2026", "--store", store)
    assert "Tháng 11/2026: mọi người đã có xếp loại được phê duyệt; tháng được khóa" in first.output
    again = run("sync", path, "--as-of", "28/11/2026", "--store", store)
    assert "được khóa" not in again.output
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[unit.ws("tasks").title]
    ws.cell(2, unit.column_of("tasks", "done_qty")).value = 0
    wb.save(path)
    edited = run("sync", path, "--as-of", "28/11/2026", "--store", store)
    assert "Tháng 11/2026 đã được phê duyệt và khóa nhưng bảng tính bị sửa sau đó" in edited.output


def test_two_copies_of_one_workbook_are_warned_and_counted_once(unit, tmp_path):
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unit.evaluation("S1", mgr_general=28)
    path = unit.save()
    folder = tmp_path / "phuong"
    folder.mkdir()
    shutil.copy(path, folder / "phong-a.xlsx")
    shutil.copy(path, folder / "phong-a (1).xlsx")
    res = run("report", folder, "--month", "11/2026", "--out", tmp_path / "bc", "--format", "xlsx", "--store", "none")
    assert "Đơn vị 'Phòng A' có hai bảng tính" in res.output
    assert "Mã cán bộ S1 có trong danh sách của nhiều đơn vị" not in res.output  # the copy is left out
    assert sorted(p.name for p in (tmp_path / "bc").glob("Mau_01A_*.xlsx")) == ["Mau_01A_Phong_A_2026-11.xlsx"]


def test_one_staff_code_in_two_units_is_warned(tmp_path):
    for name in ("Phòng A", "Phòng B"):
        b = UnitBook(tmp_path / "phuong" / f"{name}.xlsx", unit=name)
        b.product("SP1", 1)
        b.person("S1", "Nguyễn Văn An")
        b.save()
    res = run("validate", tmp_path / "phuong", "--store", "none")
    assert "Mã cán bộ S1 có trong danh sách của nhiều đơn vị: Phòng A, Phòng B" in res.output
