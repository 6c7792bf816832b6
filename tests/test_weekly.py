"""Weekly reports (tab Báo cáo tuần): weeks as people write them, every rule on its cell, the
latest weekly progress standing in for a task's, and tasks gone without a report flagged."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
import yaml
from unitbook import SCHEMAS, UnitBook, findings_of, sync

from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.config.profile import load_profile
from sheetsync.domain.calendar import parse_week, week_label, week_of
from sheetsync.engine.weekly import task_progress
from sheetsync.errors import PeriodError, ProfileError
from sheetsync.service import run_unit

WEEKLY = SCHEMAS["weekly"].title

END = dt.date(2026, 11, 30)
# November 2026: Monday 2/11 starts ISO week 45; Friday 20/11 is in week 47; Tuesday 24/11 in 48.


def report(book, staff="S1", week="2026-W46", task="T1", progress=None, done="Soạn dự thảo", **extra) -> int:
    return book.add("weekly", staff_id=staff, week=week, task_id=task, progress_pct=progress, work_done=done,
                    **extra)


@pytest.fixture
def unit(book: UnitBook) -> UnitBook:
    book.product("SP1", 1)
    book.person("S1", "Nguyễn Văn A")
    book.person("S2", "Trần Thị B")
    book.person("S3", "Lê Văn C")
    book.task("T1", "S1", collaborators="S2", due=END)  # open, started 2/11, due 30/11
    return book


def weekly_findings(res, code=None):
    f = findings_of(res, code, "weekly")
    return f


def cell(book, row, key):
    return f"{openpyxl.utils.get_column_letter(book.column_of('weekly', key))}{row}"


# -- weeks ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2026-W47", "2026W47", "2026-w47", "W47/2026", "Tuần 47/2026", "tuần 47 / 2026",
                                  "47/2026", "20/11/2026", "2026-11-16", dt.date(2026, 11, 22)])
def test_a_week_is_read_from_every_usual_form(text):
    assert parse_week(text) == "2026-W47"


@pytest.mark.parametrize("text", ["2026-W54", "Tuần 0/2026", "tuần sau", "31/11/2026"])
def test_a_wrong_week_is_refused_in_vietnamese(text):
    with pytest.raises(PeriodError, match="tuần|ngày"):
        parse_week(text)


def test_iso_weeks_cross_years_and_show_their_days():
    assert week_of(dt.date(2027, 1, 1)) == "2026-W53"  # 2026 has 53 ISO weeks
    assert parse_week("2026-W53") == "2026-W53"
    assert week_of(dt.date(2025, 12, 29)) == "2026-W01"
    assert week_label("2026-W47") == "Tuần 47/2026 (16/11–22/11)"


# -- the tab ------------------------------------------------------------------------------------

def test_init_creates_the_weekly_tab_and_a_workbook_without_it_stays_valid(tmp_path):
    book = UnitBook(tmp_path / "u.xlsx")
    assert WEEKLY in book.wb.sheetnames
    headers = [c.value for c in book.wb[WEEKLY][1]]
    assert headers[:9] == ["Mã cán bộ", "Tuần", "Mã nhiệm vụ", "Tiến độ (%)", "Nội dung đã thực hiện",
                           "Khó khăn, vướng mắc", "Đề xuất, kiến nghị", "Ngày báo cáo", "Ghi chú"]
    book.product("SP1", 1)
    book.person("S1")
    book.task("T1", "S1")
    del book.wb[WEEKLY]
    res = sync(book.save(), as_of="2026-11-24")
    assert findings_of(res, "tab.missing").empty
    assert findings_of(res, "task.weekly-stale").empty  # no weekly tab: no weekly duty
    assert res.evaluation.weekly is None


def test_clean_reports_give_no_finding_and_are_written_as_valid(unit):
    r1 = report(unit, week="2026-W45", progress=20, report_date=dt.date(2026, 11, 6))
    r2 = report(unit, week="2026-W46", progress=50, obstacles="Chờ số liệu của phường")
    r3 = report(unit, staff="S2", week=dt.date(2026, 11, 18), progress=60)  # collaborator, a date in W47
    res = sync(unit.save(), as_of="2026-11-24")
    assert weekly_findings(res).empty, weekly_findings(res).to_string()
    ws = openpyxl.load_workbook(unit.path)[WEEKLY]
    status = unit.column_of("weekly", "check_status")
    assert [ws.cell(r, status).value for r in (r1, r2, r3)] == ["Hợp lệ"] * 3
    latest = res.evaluation.weekly.loc["t1"]
    assert latest["last_week"] == "2026-W47" and latest["reports"] == 3
    assert latest["progress"] == 60 and latest["progress_week"] == "2026-W47"


def test_a_report_by_someone_not_on_the_task_is_an_error_on_the_reporter(unit):
    row = report(unit, staff="S3")
    res = sync(unit.save(), as_of="2026-11-24")
    f = weekly_findings(res, "weekly.not-assigned")
    assert list(f["cell"]) == [cell(unit, row, "staff_id")]
    assert list(f["severity"]) == ["error"]
    assert "không phải người chịu trách nhiệm" in f["message"].iloc[0] and "cần" in f["message"].iloc[0]


@pytest.mark.parametrize("key, value, code", [
    ("task_id", "T9", "field.ref"),
    ("staff_id", "S9", "field.ref"),
    ("week", "2026-W54", "field.type"),
    ("week", "11/2026", "field.type"),  # a month, not a week
    ("week", None, "field.required"),
    ("work_done", None, "field.required"),
    ("progress_pct", 120, "field.max"),
])
def test_each_field_rule_lands_on_its_cell(unit, key, value, code):
    row = report(unit)
    unit.set("weekly", row, key, value)
    res = sync(unit.save(), as_of="2026-11-24")
    f = weekly_findings(res)
    hit = f[f["cell"] == cell(unit, row, key)]
    assert code in set(hit["code"]), f.to_string()


def test_a_week_outside_the_tasks_time_is_an_error(unit):
    unit.task("T2", "S1", done=1, done_date=dt.date(2026, 11, 18), review="Đạt")  # done in W47
    before = report(unit, week="2026-W43")  # October: before the month and the start
    after = report(unit, week="2026-W50", task="T2")  # December, after the month and the done date
    late_open = report(unit, week="2026-W49", task="T1")  # T1 is overdue but open: still reported on
    res = sync(unit.save(), as_of="2026-12-10")
    f = weekly_findings(res, "weekly.week-outside-task")
    assert set(f["cell"]) == {cell(unit, before, "week"), cell(unit, after, "week")}
    assert cell(unit, late_open, "week") not in set(weekly_findings(res)["cell"])
    msg = f[f["cell"] == cell(unit, after, "week")]["message"].iloc[0]
    assert "Tuần 50/2026" in msg and "đến 30/11/2026" in msg


def test_a_week_not_started_is_a_warning(unit):
    row = report(unit, week="2026-W49")
    res = sync(unit.save(), as_of="2026-11-24")
    f = weekly_findings(res, "weekly.future-week")
    assert list(f["cell"]) == [cell(unit, row, "week")] and list(f["severity"]) == ["warning"]


def test_progress_going_back_needs_a_note(unit):
    report(unit, week="2026-W45", progress=40)
    down = report(unit, week="2026-W46", progress=30)
    report(unit, week="2026-W47", progress=35, note="Phải làm lại phần số liệu")  # down from 40, explained
    report(unit, staff="S2", week="2026-W46", progress=10)  # another person's own series
    res = sync(unit.save(), as_of="2026-11-24")
    f = weekly_findings(res, "weekly.progress-backwards")
    assert list(f["cell"]) == [cell(unit, down, "progress_pct")]
    assert "30% thấp hơn tuần trước (40%)" in f["message"].iloc[0] and "Ghi chú" in f["message"].iloc[0]


def test_duplicate_reports_name_the_week_rule(unit):
    report(unit, week="2026-W46")
    report(unit, week="16/11/2026")  # W47
    dup = report(unit, week="12/11/2026")  # W46 again
    res = sync(unit.save(), as_of="2026-11-24")
    f = weekly_findings(res, "row.key-duplicate")
    assert len(f) == 2 and str(dup) in " ".join(f["message"])
    assert "mỗi nhiệm vụ trong một tuần" in f["message"].iloc[0]


# -- what the reports feed ---------------------------------------------------------------------------

def test_the_latest_weekly_progress_stands_in_where_the_task_row_has_none(unit):
    own = unit.task("T2", "S1", progress_pct=70)
    report(unit, week="2026-W45", progress=20)
    report(unit, week="2026-W47", progress=45)
    report(unit, staff="S2", week="2026-W47", progress=40)  # the owner's report wins in the same week
    report(unit, week="2026-W46", task="T2", progress=10)
    report(unit, week="2026-W48", progress=None)  # a report without a figure keeps the last figure
    res = sync(unit.save(), as_of="2026-11-24")
    ev = res.evaluation
    p = task_progress(ev.tabs["tasks"], ev.weekly)
    t1 = unit.ws("tasks").max_row - 1
    assert p.loc[t1].tolist() == [45.0, "weekly", "2026-W47"]
    assert p.loc[own].tolist() == [70.0, "task", None]
    assert ev.weekly.loc["t1", "last_week"] == "2026-W48"


def test_an_unfinished_task_without_weekly_reports_is_flagged_stale(unit):
    quiet = unit.ws("tasks").max_row
    reported = unit.task("T2", "S1", due=END)
    done = unit.task("T3", "S1", done=1, review="Đạt", due=END)
    unit.task("T4", "S1", start_date=dt.date(2026, 11, 23), due=END)
    unit.task("T5", "S1")  # overdue since 20/11: status lists it as overdue instead  # started this week: nothing due yet
    report(unit, week="2026-W47", task="T2")
    res = sync(unit.save(), as_of="2026-11-24")
    f = findings_of(res, "task.weekly-stale", "tasks")
    letter = openpyxl.utils.get_column_letter(unit.column_of("tasks", "progress_pct"))
    assert list(f["cell"]) == [f"{letter}{quiet}"]
    assert list(f["severity"]) == ["warning"]
    assert "đã qua 3 kỳ báo cáo tuần" in f["message"].iloc[0]  # Fridays 6, 13 and 20/11
    assert reported not in set(f["row"]) and done not in set(f["row"])


def test_stale_counts_weeks_since_the_last_report_by_the_profiles_report_day(unit, tmp_path):
    report(unit, week="2026-W45")
    path = unit.save()
    # With Friday reports, by Tuesday 24/11 weeks 46 and 47 are due and missing: stale at 2.
    res = sync(path, as_of="2026-11-24")
    assert "đã qua 2 kỳ" in findings_of(res, "task.weekly-stale")["message"].iloc[0]
    # Reports due on Wednesdays and three weeks allowed: week 48's is not yet due, 2 < 3.
    raw = yaml.safe_load(load_profile("nd335").source.read_text(encoding="utf-8"))
    raw["weekly"] = {"report_day": 3, "stale_weeks": 3}
    custom = tmp_path / "tuan.yaml"
    custom.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    res = run_unit(XlsxBackend(path), SCHEMAS, load_profile(str(custom)), as_of="2026-11-24", write=False)
    assert findings_of(res, "task.weekly-stale").empty
    res = run_unit(XlsxBackend(path), SCHEMAS, load_profile(str(custom)), as_of="2026-11-25", write=False)
    assert "đã qua 3 kỳ" in findings_of(res, "task.weekly-stale")["message"].iloc[0]


@pytest.mark.parametrize("weekly, word", [({"report_day": 8}, "report_day"), ({"report_day": "thứ Sáu"}, "report_day"),
                                          ({"stale_weeks": 0}, "stale_weeks"), ("thứ Sáu", "weekly")])
def test_a_wrong_weekly_setting_in_a_profile_is_refused(tmp_path, weekly, word):
    raw = yaml.safe_load(load_profile("nd335").source.read_text(encoding="utf-8"))
    raw["weekly"] = weekly
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ProfileError, match=word):
        load_profile(str(path))


def test_resync_writes_nothing_new(unit):
    report(unit, week="2026-W45", progress=20)
    report(unit, staff="S3")
    path = unit.save()
    first = sync(path, as_of="2026-11-24")
    assert first.written
    again = sync(path, as_of="2026-11-24")
    assert not again.plan
