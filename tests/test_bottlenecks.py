"""`sheetsync bottlenecks`: where work is stuck, per unit and manager, worked out by hand on a
small unit: an overdue task, a task returned twice, a task gone quiet, an obstacle raised in a
weekly report, and the people who stopped updating."""

from __future__ import annotations

import base64
import datetime as dt

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from unitbook import UnitBook

from sheetsync.cli import main
from sheetsync.config.profile import load_profile
from sheetsync.errors import ProfileError
from sheetsync.history.bottlenecks import NO_MANAGER
from sheetsync.service import sync
from sheetsync.service.reports import bottlenecks

AS_OF = "2026-11-24"


def stuck_unit(book: UnitBook) -> UnitBook:
    book.product("SP1", 1)
    book.person("S1", "Nguyễn Văn An")
    book.person("S2", "Trần Thị Bình", manager="S1")
    book.person("S3", "Lê Văn Cường", manager="S1")
    book.person("S4", "Phạm Thu Dung", manager="S2")
    # All tasks start on Monday 2/11/2026.
    book.task("T1", "S2", due=dt.date(2026, 11, 12))  # 12 days overdue on 24/11
    book.task("T2", "S2", due=dt.date(2026, 11, 30), done=1, review="Trả lại", returns=2,
              return_reason="Thiếu số liệu tổ dân phố")  # done, but returned twice
    book.task("T3", "S3", due=dt.date(2026, 11, 30))  # last weekly report 6/11: 18 days quiet
    book.task("T4", "S4", due=dt.date(2026, 11, 30))  # reported 20/11 with an obstacle
    book.task("T5", "S1", due=dt.date(2026, 11, 22))  # 2 days overdue: within the 3 days allowed
    book.add("weekly", staff_id="S3", week="2026-W45", task_id="T3", progress_pct=20, work_done="Khảo sát",
             report_date=dt.date(2026, 11, 6))
    book.add("weekly", staff_id="S4", week="2026-W47", task_id="T4", progress_pct=40, work_done="Tổng hợp",
             obstacles="Chưa nhận được số liệu của tổ dân phố", proposals="Đề nghị lãnh đạo đôn đốc",
             report_date=dt.date(2026, 11, 20))
    for s in ("S1", "S2", "S3", "S4"):
        book.evaluation(s)
    book.save()
    return book


@pytest.fixture
def unit(book: UnitBook) -> UnitBook:
    return stuck_unit(book)


def items_of(res) -> set[tuple]:
    return {(i["kind"], i["staff_id"], i["task_id"], i["days"] if i["days"] == i["days"] else None)
            for i in res.report.items.to_dict("records")}


def test_each_kind_of_bottleneck_is_found_with_its_days(unit, tmp_path):
    res = bottlenecks([str(unit.path)], as_of=AS_OF, store="none", out=None)
    assert items_of(res) == {
        ("overdue", "S2", "T1", 12),
        ("returned", "S2", "T2", None),
        ("stale", "S3", "T3", 18),
        ("obstacle", "S4", "T4", 4),
        ("silent", "S1", "", 22),  # T5 running since 2/11, never updated
        ("silent", "S2", "", 22),
        ("silent", "S3", "", 18),
    }
    items = res.report.items.set_index(["kind", "staff_id"])
    assert items.loc[("returned", "S2"), "detail"] == "Trả lại 2 lần: Thiếu số liệu tổ dân phố"
    assert items.loc[("obstacle", "S4"), "detail"] == \
        "Chưa nhận được số liệu của tổ dân phố — Đề xuất: Đề nghị lãnh đạo đôn đốc"
    assert items.loc[("stale", "S3"), "detail"] == "18 ngày không cập nhật (cập nhật gần nhất ngày 06/11/2026)"
    assert items.loc[("overdue", "S2"), "detail"] == "Quá hạn 12 ngày (hạn 12/11/2026)"
    # Grouped by the person's direct manager.
    assert items.loc[("obstacle", "S4"), "manager"] == "Trần Thị Bình (S2)"
    assert items.loc[("overdue", "S2"), "manager"] == "Nguyễn Văn An (S1)"
    assert items.loc[("silent", "S1"), "manager"] == NO_MANAGER
    counts = res.report.counts().loc["Phòng thử nghiệm"].to_dict()
    assert counts == {"obstacle": 1, "overdue": 1, "stale": 1, "returned": 1, "silent": 3}
    assert res.exit_code == 1


def test_a_day_earlier_the_later_report_does_not_count_yet(unit):
    """On 19/11 the report of 20/11 has not been sent: T4 and S4 look quiet, T3 is within 14 days."""
    res = bottlenecks([str(unit.path)], as_of="2026-11-19", store="none", out=None)
    assert items_of(res) == {
        ("overdue", "S2", "T1", 7),
        ("returned", "S2", "T2", None),
        ("stale", "S4", "T4", 17),
        ("stale", "S1", "T5", 17),  # due 22/11: not overdue yet, and never updated
        ("silent", "S1", "", 17),
        ("silent", "S2", "", 17),
        ("silent", "S4", "", 17),
    }


def test_the_thresholds_come_from_the_profile(unit, tmp_path):
    raw = yaml.safe_load(load_profile("nd335").source.read_text(encoding="utf-8"))
    raw["bottlenecks"] = {"overdue_days": 20, "stale_days": 30, "returns_above": 2, "no_update_days": 20,
                          "obstacle_days": 3}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    res = bottlenecks([str(unit.path)], as_of=AS_OF, store="none", out=None, profile=str(path))
    assert items_of(res) == {("silent", "S1", "", 22), ("silent", "S2", "", 22)}
    assert res.report.settings["overdue_days"] == 20


@pytest.mark.parametrize("value", [-1, "ba", True, 1.5])
def test_a_wrong_threshold_is_refused(tmp_path, value):
    raw = yaml.safe_load(load_profile("nd335").source.read_text(encoding="utf-8"))
    raw["bottlenecks"] = {"overdue_days": value}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ProfileError, match="bottlenecks.overdue_days"):
        load_profile(str(path))


def test_an_unknown_threshold_is_refused(tmp_path):
    raw = yaml.safe_load(load_profile("nd335").source.read_text(encoding="utf-8"))
    raw["bottlenecks"] = {"overdue_dayz": 3}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ProfileError, match="overdue_dayz"):
        load_profile(str(path))


def test_without_weekly_reports_or_a_record_nothing_is_called_stale(tmp_path):
    book = UnitBook(tmp_path / "u.xlsx")
    book.product("SP1", 1)
    book.person("S1", "Nguyễn Văn An")
    book.task("T1", "S1", due=dt.date(2026, 11, 30))  # running since 2/11, but nobody can tell its updates
    book.task("T2", "S1", due=dt.date(2026, 11, 10))
    book.save()
    res = bottlenecks([str(book.path)], as_of=AS_OF, store="none", out=None)
    assert items_of(res) == {("overdue", "S1", "T2", 14)}
    assert any("Chưa có kho lịch sử" in m for m in res.messages)


def test_returns_counted_by_the_store_even_when_the_sheet_lowers_them(unit, tmp_path):
    store = str(tmp_path / "h.db")
    sync([str(unit.path)], as_of=AS_OF, store=store)
    wb = openpyxl.load_workbook(unit.path)
    ws = wb["Nhiệm vụ"]
    col = unit.column_of("tasks", "returns")
    assert ws.cell(3, 1).value == "T2"
    ws.cell(3, col).value = 1  # someone lowers the count
    wb.save(unit.path)
    res = bottlenecks([str(unit.path)], as_of=AS_OF, store=store, out=None)
    returned = res.report.items[res.report.items["kind"] == "returned"]
    assert list(returned["task_id"]) == ["T2"]
    assert returned["detail"].iloc[0] == "Trả lại 2 lần: Thiếu số liệu tổ dân phố"
    assert res.store == store


def test_the_report_is_written_as_xlsx_and_a_page_with_a_chart(unit, tmp_path):
    res = bottlenecks([str(unit.path)], as_of=AS_OF, store="none", out=tmp_path / "out")
    xlsx, html = sorted(res.paths, key=lambda p: p.suffix, reverse=True)
    assert xlsx.name == "Diem_nghen_Phong_thu_nghiem_2026-11-24.xlsx" and html.suffix == ".html"
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["Tổng hợp", "Chi tiết"]
    summary = [[c.value for c in row] for row in wb["Tổng hợp"].iter_rows(min_row=4)]
    assert summary[0] == ["Đơn vị", "Người quản lý trực tiếp", "Khó khăn, vướng mắc", "Quá hạn", "Lâu không cập nhật",
                          "Trả lại nhiều lần", "Người không cập nhật", "Cộng"]
    assert summary[1] == ["Phòng thử nghiệm", "Cả đơn vị", 1, 1, 1, 1, 3, 7]
    managers = {r[1]: r[2:] for r in summary[2:-1]}
    assert managers["Nguyễn Văn An (S1)"] == [0, 1, 1, 1, 2, 5]  # S2's and S3's
    assert managers["Trần Thị Bình (S2)"] == [1, 0, 0, 0, 0, 1]  # S4's obstacle
    assert managers[NO_MANAGER] == [0, 0, 0, 0, 1, 1]
    assert summary[-1] == ["Toàn bộ", None, 1, 1, 1, 1, 3, 7]
    detail = list(wb["Chi tiết"].iter_rows(values_only=True))
    assert len(detail) == 1 + 7 and detail[0][:3] == ("Đơn vị", "Người quản lý trực tiếp", "Loại")
    page = html.read_text(encoding="utf-8")
    assert "Điểm nghẽn trong thực hiện nhiệm vụ – Phòng thử nghiệm" in page
    assert "Quản lý trực tiếp: Nguyễn Văn An (S1) (5)" in page and "Quản lý trực tiếp: Trần Thị Bình (S2) (1)" in page
    src = page.split('<img src="data:image/svg+xml;base64,')[1].split('"')[0]
    assert base64.b64decode(src).decode("utf-8").startswith("<svg")
    assert "Chưa nhận được số liệu của tổ dân phố" in page


def test_the_command_prints_counts_per_unit(unit, tmp_path):
    res = CliRunner().invoke(main, ["bottlenecks", str(unit.path), "--as-of", "24/11/2026", "--store", "none",
                                    "--out", str(tmp_path / "o")])
    assert res.exit_code == 1, res.output
    assert "Phòng thử nghiệm" in res.output and "Người không cập nhật" in res.output
    assert "Diem_nghen_Phong_thu_nghiem_2026-11-24.html" in res.output
    bad = CliRunner().invoke(main, ["bottlenecks", str(unit.path), "--format", "pdf", "--store", "none"])
    assert bad.exit_code == 2 and "Định dạng không hỗ trợ: pdf" in bad.output
