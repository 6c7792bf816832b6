"""`status` tracks the weekly report day like the monthly steps: per person and week, a report
missing once the day has passed, or sent after it; from the unit's first weekly report on."""

from __future__ import annotations

import datetime as dt

from history_support import PROFILE, evaluate_file, new_book

from sheetsync import service
from sheetsync.history.tracking import status

UNIT = "Phòng thử nghiệm"
ROSTER = {"CB1": {"name": "Nguyễn Văn An"}, "CB2": {"name": "Trần Thị Bình"}, "CB3": {"name": "Lê Văn Cường"}}


def weekly_book(tmp_path):
    """November 2026 (Fridays 6, 13, 20, 27): CB1 owns a task CB2 helps with (CB2 reports on it
    in weeks 45 and 46 though not asked to), CB2 owns one from week 47 and reports nothing that
    week, CB3 has one finished on 10/11; nobody reported before week 45."""
    b = new_book(tmp_path / "unit.xlsx", ROSTER)
    b.task("NV-CHUNG", "CB1", collaborators="CB2", start_date=dt.date(2026, 11, 2), due=dt.date(2026, 11, 30))
    b.task("NV-RIENG", "CB2", start_date=dt.date(2026, 11, 16), due=dt.date(2026, 11, 30))  # CB2's own, from week 47
    b.task("NV-NGAN", "CB3", qty=1, done=1, review="Đạt", start_date=dt.date(2026, 11, 2), due=dt.date(2026, 11, 10),
           done_date=dt.date(2026, 11, 10))
    for sid, week, sent in [("CB1", "2026-W45", dt.date(2026, 11, 6)), ("CB2", "2026-W45", dt.date(2026, 11, 6)),
                            ("CB1", "2026-W46", dt.date(2026, 11, 16)),  # Monday after: late
                            ("CB2", "2026-W46", dt.date(2026, 11, 13)),
                            ("CB1", "2026-W47", dt.date(2026, 11, 20))]:
        b.add("weekly", staff_id=sid, week=week, task_id="NV-CHUNG", work_done="Thực hiện", report_date=sent)
    b.add("weekly", staff_id="CB3", week="2026-W45", task_id="NV-NGAN", work_done="Hoàn thành",
          report_date=dt.date(2026, 11, 6))
    b.save()
    return b


def items(report, code):
    it = report.items[report.items["code"] == code]
    return sorted(zip(it["staff_id"], it["message"]))


def test_missing_and_late_weekly_reports_per_person(tmp_path):
    b = weekly_book(tmp_path)
    report = status({UNIT: evaluate_file(b.path, UNIT, "2026-11-24")}, None, "2026-11-24", PROFILE)
    assert items(report, "weekly-late") == [
        ("CB1", "Báo cáo tuần 46/2026 (09/11–15/11) ngày 16/11/2026, sau hạn thứ Sáu 13/11/2026.")]
    # CB3's task was done on Tuesday 10/11: week 46 still owes a report (the finish), week 47 not.
    assert items(report, "weekly-missing") == [
        ("CB2", "Chưa báo cáo tuần 47/2026 (16/11–22/11) (hạn thứ Sáu 20/11/2026)."),
        ("CB3", "Chưa báo cáo tuần 46/2026 (09/11–15/11) (hạn thứ Sáu 13/11/2026).")]
    # Week 48's report is due on Friday 27/11, not yet past on Tuesday 24/11.
    later = status({UNIT: evaluate_file(b.path, UNIT, "2026-11-28")}, None, "2026-11-28", PROFILE)
    assert [m for _, m in items(later, "weekly-missing") if "tuần 48" in m] == [
        "Chưa báo cáo tuần 48/2026 (23/11–29/11) (hạn thứ Sáu 27/11/2026).",
        "Chưa báo cáo tuần 48/2026 (23/11–29/11) (hạn thứ Sáu 27/11/2026)."]


def test_a_unit_without_weekly_reports_is_not_asked_for_them(tmp_path):
    b = new_book(tmp_path / "unit.xlsx", ROSTER)
    b.task("NV-1", "CB1", start_date=dt.date(2026, 11, 2), due=dt.date(2026, 11, 30))
    b.save()
    report = status({UNIT: evaluate_file(b.path, UNIT, "2026-11-24")}, None, "2026-11-24", PROFILE)
    assert not report.items["code"].str.startswith("weekly").any()


def test_status_command_lists_weekly_items(tmp_path):
    b = weekly_book(tmp_path)
    res = service.status([str(b.path)], as_of="2026-11-24", store="none")
    codes = res.report.codes()
    assert codes.get("weekly-late") == 1 and codes.get("weekly-missing") == 2
    assert res.exit_code == 1


def test_the_unit_summary_shows_each_persons_missing_and_late_weekly_reports(tmp_path):
    import openpyxl
    from unitbook import sync

    b = weekly_book(tmp_path)
    for sid in ROSTER:
        b.evaluation(sid)
    sync(b.save(), as_of="2026-11-24")
    ws = openpyxl.load_workbook(b.path)["Tổng hợp"]
    lines = [r[0] for r in ws.iter_rows(values_only=True) if isinstance(r[0], str)]
    at = lines.index("Báo cáo tuần tháng 11/2026: 2 báo cáo thiếu, 1 báo cáo trễ hạn")
    assert lines[at + 1:at + 4] == ["CB1 Nguyễn Văn An: trễ 1 (tuần 46)", "CB2 Trần Thị Bình: thiếu 1 (tuần 47)",
                                    "CB3 Lê Văn Cường: thiếu 1 (tuần 46)"]


def test_a_collaborator_may_report_but_is_not_asked_to(tmp_path):
    b = new_book(tmp_path / "unit.xlsx", ROSTER)
    b.task("NV-1", "CB1", collaborators="CB2", start_date=dt.date(2026, 11, 2), due=dt.date(2026, 11, 30))
    for week in ("2026-W45", "2026-W46", "2026-W47"):
        b.add("weekly", staff_id="CB1", week=week, task_id="NV-1", work_done="Thực hiện")
    b.save()
    report = status({UNIT: evaluate_file(b.path, UNIT, "2026-11-24")}, None, "2026-11-24", PROFILE)
    assert not report.items["code"].str.startswith("weekly").any()
