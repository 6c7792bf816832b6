"""Plans and ad-hoc work, feedback on unclear tasks, tasks serving key results (issue 12, items 3,
6 and 8): each rule on its cell, the unit summary, `status`, and old workbooks without the columns."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
import yaml
from unitbook import SCHEMAS, UnitBook, findings_of, sync
from unitbook import person_scores as _person_scores

from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.config.profile import load_profile
from sheetsync.engine.plans import ADHOC, PLANNED
from sheetsync.history.tracking import status
from sheetsync.service import run_unit

D = dt.date
NEW_TASK_FIELDS = ("assigned_date", "kr_id", "feedback_kind", "feedback", "feedback_date", "answer", "answer_date",
                   "plan_kind")


def person_scores(result, staff_id: str) -> dict:
    """A person's month as comparable values (NaN, which never equals itself, as None)."""
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in _person_scores(result, staff_id).items()}


def cell(book: UnitBook, tab: str, row: int, key: str) -> str:
    return f"{openpyxl.utils.get_column_letter(book.column_of(tab, key))}{row}"


def written(book: UnitBook, tab: str, row: int, key: str):
    ws = openpyxl.load_workbook(book.path)[SCHEMAS[tab].title]
    return ws.cell(row, book.column_of(tab, key)).value


def summary_rows(path) -> list[list]:
    ws = openpyxl.load_workbook(path)[SCHEMAS.summary_title]
    return [[c.value for c in r] for r in ws.iter_rows()]


def profile_with(tmp_path, **sections):
    raw = yaml.safe_load(open(load_profile("nd335").source, encoding="utf-8"))
    for k, v in sections.items():
        raw[k] = {**(raw.get(k) or {}), **v}
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_profile(path)


@pytest.fixture
def unit(book: UnitBook) -> UnitBook:
    book.product("SP1", 1)
    book.product("SP2", 1.5)
    book.product("SP3", 2)
    book.person("S1", "Nguyễn Văn A", role="Người đứng đầu")
    book.person("S2", "Trần Thị B", manager="S1")
    book.person("S3", "Lê Văn C", manager="S1")
    return book


# -- item 3: planned or ad-hoc ------------------------------------------------------------------

def test_the_date_a_task_was_given_decides_planned_or_adhoc_and_the_group_decides_without_one(unit):
    rows = {
        "on the plan day": unit.task("T1", "S2", assigned_date=D(2026, 11, 5)),
        "the day after": unit.task("T2", "S2", assigned_date=D(2026, 11, 6)),
        "in last month's plan": unit.task("T3", "S2", assigned_date=D(2026, 10, 28)),
        "undated regular": unit.task("T4", "S2"),
        "undated ad-hoc group": unit.task("T5", "S2", task_group="Phát sinh, đột xuất"),
        "expected ad-hoc, in the plan": unit.task("T6", "S2", task_group="Đột xuất", assigned_date=D(2026, 11, 3)),
        "focus added mid-month": unit.task("T7", "S2", task_group="Trọng tâm", assigned_date="16/11/2026"),
    }
    res = sync(unit.save())
    got = {k: written(unit, "tasks", r, "plan_kind") for k, r in rows.items()}
    assert got == {"on the plan day": PLANNED, "the day after": ADHOC, "in last month's plan": PLANNED,
                   "undated regular": PLANNED, "undated ad-hoc group": ADHOC, "expected ad-hoc, in the plan": PLANNED,
                   "focus added mid-month": ADHOC}
    assert list(res.evaluation.plans.kinds.loc[[rows["the day after"], rows["undated regular"]]]) == [ADHOC, PLANNED]


def test_the_plan_day_comes_from_the_profile(unit, tmp_path):
    row = unit.task("T1", "S2", assigned_date=D(2026, 11, 8))
    unit.save()
    late = run_unit(XlsxBackend(unit.path), SCHEMAS, load_profile("nd335"), as_of="2026-11-24", write=False)
    assert late.evaluation.plans.kinds[row] == ADHOC
    ten = profile_with(tmp_path, plans={"planned_by_day": 10})
    res = run_unit(XlsxBackend(unit.path), SCHEMAS, ten, as_of="2026-11-24", write=False)
    assert res.evaluation.plans.kinds[row] == PLANNED


def test_the_summary_shows_planned_and_adhoc_work_per_person_with_its_converted_weight(unit):
    unit.task("T1", "S2", product="SP2", qty=2, assigned_date=D(2026, 11, 2))  # planned, 2 × 1,5 = 3
    unit.task("T2", "S2", product="SP3", qty=1, assigned_date=D(2026, 11, 12))  # ad-hoc, 1 × 2 = 2
    unit.task("T3", "S2", product="SP1", qty=3, task_group="Phát sinh, đột xuất")  # ad-hoc, 3 × 1 = 3
    unit.task("T4", "S3", product="SP3", qty=2)  # planned, 4
    unit.task("T5", "S1", product="SPX", qty=2)  # unknown product: not scored, not counted
    for s in ("S1", "S2", "S3"):
        unit.evaluation(s)
    sync(unit.save())
    rows = summary_rows(unit.path)
    header = next(r for r in rows if r[0] == "Mã cán bộ")
    cols = [header.index(h) for h in ("NV trong kế hoạch", "Quy đổi trong kế hoạch", "NV phát sinh",
                                      "Quy đổi phát sinh")]
    by_person = {r[0]: [r[c] for c in cols] for r in rows if r[0] in ("S1", "S2", "S3")}
    assert by_person == {"S1": [0, 0, 0, 0], "S2": [1, 3, 2, 5], "S3": [1, 4, 0, 0]}
    # Ad-hoc work is 5 of 12 converted products: 41,7%.
    line = next(r[0] for r in rows if isinstance(r[0], str) and r[0].startswith("Kế hoạch tháng 11/2026"))
    assert line == ("Kế hoạch tháng 11/2026: quy đổi trong kế hoạch 7, phát sinh 5 "
                    "(41,7% khối lượng là việc phát sinh)")


def test_a_person_without_a_planned_task_is_flagged_once_the_plan_day_has_passed(unit):
    unit.task("T1", "S1")  # planned (undated, regular)
    unit.task("T2", "S2", assigned_date=D(2026, 11, 9))  # only ad-hoc work
    unit.save()  # S3 has nothing at all
    assert findings_of(sync(unit.path, as_of="2026-11-05"), "plan.no-planned-task").empty  # the day itself
    res = sync(unit.path, as_of="2026-11-06")
    f = findings_of(res, "plan.no-planned-task", "staff")
    assert list(f["cell"]) == [cell(unit, "staff", 3, "staff_id"), cell(unit, "staff", 4, "staff_id")]
    assert set(f["severity"]) == {"warning"}
    assert f["message"].iloc[0].startswith("Chưa có nhiệm vụ trong kế hoạch tháng 11/2026 (giao đến ngày 05/11/2026)")
    assert res.evaluation.plans.missing == {"2026-11": ["S2", "S3"]}
    text = [r[0] for r in summary_rows(unit.path) if isinstance(r[0], str)]
    assert ("Tháng 11/2026 — Chưa có nhiệm vụ trong kế hoạch (giao đến ngày 05/11/2026): 2 người — S2 Trần Thị B, "
            "S3 Lê Văn C") in text
    report = status({"Phòng thử nghiệm": res.evaluation}, None, "2026-11-06", load_profile("nd335"))
    items = report.items[report.items["code"] == "plan-missing"]
    assert list(items["staff_id"]) == ["S2", "S3"]
    assert items["message"].iloc[0] == "Chưa có nhiệm vụ trong kế hoạch tháng 11/2026 (hạn giao ngày 05/11/2026)."


def test_once_a_month_is_evaluated_only_the_people_evaluated_or_with_tasks_must_have_had_a_plan(unit):
    unit.task("T1", "S1")
    unit.task("T2", "S2", assigned_date=D(2026, 11, 9))
    unit.evaluation("S1")
    unit.evaluation("S2")  # S3 was not in the unit in November: no evaluation, no task
    res = sync(unit.save(), as_of="2026-11-26")
    assert res.evaluation.plans.missing == {"2026-11": ["S2"]}


def test_a_month_without_any_task_after_its_plan_day_is_said_once_for_the_unit(unit):
    unit.task("T1", "S1")
    unit.save()
    assert findings_of(sync(unit.path, as_of="2026-12-05"), "plan.month-without-tasks").empty
    f = findings_of(sync(unit.path, as_of="2026-12-07"), "plan.month-without-tasks")
    assert len(f) == 1 and f["row"].isna().all()
    assert "Tháng 12/2026 chưa có nhiệm vụ nào" in f["message"].iloc[0]


# -- item 6: feedback on unclear tasks ----------------------------------------------------------

def test_open_feedback_is_a_warning_for_the_manager_on_the_task_row(unit):
    open_ = unit.task("T1", "S2", feedback_kind="Phạm vi", feedback="Chưa rõ phải rà soát những tổ dân phố nào",
                      feedback_date=D(2026, 11, 3))
    answered = unit.task("T2", "S2", feedback_kind="Thiếu nguồn lực", feedback_date=D(2026, 11, 3),
                         answer="Bố trí thêm 01 cán bộ hỗ trợ", answer_date=D(2026, 11, 4))
    res = sync(unit.save(), as_of="2026-11-04")
    f = findings_of(res, "task.feedback-open")
    assert list(f["cell"]) == [cell(unit, "tasks", open_, "feedback_kind")] and set(f["severity"]) == {"warning"}
    assert f["message"].iloc[0] == (
        "Người thực hiện phản hồi nhiệm vụ chưa rõ ngày 03/11/2026: Chưa rõ phạm vi — Chưa rõ phải rà soát những tổ "
        "dân phố nào; người quản lý cần trả lời ở cột Trả lời của quản lý.")
    assert written(unit, "tasks", open_, "check_status") == "Cảnh báo"
    assert written(unit, "tasks", answered, "check_status") == "Hợp lệ"
    assert not res.evaluation.plans.feedback["escalated"].any()  # one day old


def test_feedback_unanswered_for_the_profiles_days_goes_to_the_focal_person(unit, tmp_path):
    row = unit.task("T1", "S2", feedback_kind="Chưa rõ thẩm quyền", feedback_date=D(2026, 11, 3))
    unit.evaluation("S2")
    unit.save()
    assert not sync(unit.path, as_of="2026-11-05").evaluation.plans.feedback["escalated"].any()  # 2 days
    res = sync(unit.path, as_of="2026-11-06")  # 3 days: escalated
    fb = res.evaluation.plans.feedback
    assert list(fb.index) == [row] and bool(fb.at[row, "escalated"]) and fb.at[row, "days"] == 3
    assert fb.at[row, "manager"] == "S1"
    msg = findings_of(res, "task.feedback-open")["message"].iloc[0]
    assert msg.endswith("Đã 3 ngày chưa được trả lời (quá 3 ngày): đã báo đầu mối của đơn vị.")
    text = [r[0] for r in summary_rows(unit.path) if isinstance(r[0], str)]
    assert "Phản hồi nhiệm vụ chưa rõ, quá 3 ngày chưa được trả lời: 1" in text
    assert ("T1 (S2 Trần Thị B, quản lý trực tiếp S1 Nguyễn Văn A): Chưa rõ thẩm quyền; phản hồi ngày 03/11/2026, "
            "3 ngày") in text
    report = status({"Phòng thử nghiệm": res.evaluation}, None, "2026-11-06", load_profile("nd335"))
    items = report.items[report.items["code"] == "feedback-open"]
    assert list(items["staff_id"]) == ["S1"]  # the manager who owes the answer
    assert items["message"].iloc[0] == ("Phản hồi của S2 Trần Thị B về nhiệm vụ T1 (Chưa rõ thẩm quyền) từ ngày "
                                        "03/11/2026 chưa được trả lời (3 ngày).")
    # The number of days is the profile's.
    week = profile_with(tmp_path, feedback={"escalate_after_days": 7})
    later = run_unit(XlsxBackend(unit.path), SCHEMAS, week, as_of="2026-11-06", write=False)
    assert not later.evaluation.plans.feedback["escalated"].any()


@pytest.mark.parametrize("values, key, code, severity", [
    (dict(feedback_kind="Nguồn lực"), "feedback_date", "task.feedback-undated", "warning"),
    (dict(feedback_kind="Khác", feedback_date=D(2026, 11, 3)), "feedback", "task.feedback-other-without-text",
     "warning"),
    (dict(feedback_kind="Linh tinh", feedback_date=D(2026, 11, 3)), "feedback_kind", "field.enum", "error"),
    (dict(feedback="Chưa có kinh phí", feedback_date=D(2026, 11, 5), answer="Đã trình", answer_date=D(2026, 11, 4)),
     "answer_date", "field.not-before", "error"),
])
def test_each_feedback_rule_lands_on_its_cell_and_never_changes_the_score(unit, values, key, code, severity):
    unit.task("T0", "S2", done=1, review="Đạt")
    row = unit.task("T1", "S2", done=1, review="Đạt")
    unit.evaluation("S2", mgr_general=27)
    before = person_scores(sync(unit.save()), "S2")
    for k, v in values.items():
        unit.set("tasks", row, k, v)
    res = sync(unit.save())
    f = findings_of(res, code)
    assert list(f["cell"]) == [cell(unit, "tasks", row, key)] and list(f["severity"]) == [severity]
    assert person_scores(res, "S2") == before


# -- item 8: tasks serving key results ----------------------------------------------------------

def okr(book: UnitBook, objective: str, kr: str, level: str, parent: str | None = None, owner: str | None = None,
        actual=None, period="Q4/2026", weight=100, target=100) -> int:
    return book.add("okr", objective_id=objective, objective=f"Mục tiêu {objective}", level=level, owner=owner,
                    parent_id=parent, kr_id=kr, key_result=f"Kết quả {kr}", kpi_unit="%", kpi_formula="Tỷ lệ",
                    weight=weight, data_source="Báo cáo", target=target, actual=actual, period=period)


@pytest.fixture
def okr_unit(unit: UnitBook) -> UnitBook:
    okr(unit, "MT01", "KR0", "Đơn vị", actual=80)
    okr(unit, "MT02", "KR2", "Phòng/bộ phận", parent="MT01", actual=90)
    okr(unit, "MT03", "KR1", "Cá nhân", parent="MT02", owner="S2")
    for s in ("S1", "S2", "S3"):
        unit.evaluation(s)
    return unit


def test_a_key_result_without_a_measured_value_takes_its_tasks_progress_weighted_by_converted_weight(okr_unit):
    u = okr_unit
    u.task("T1", "S2", product="SP1", qty=2, done=2, review="Đạt", kr_id="KR1")  # weight 2, done: 100%
    u.task("T2", "S3", product="SP2", qty=2, progress_pct=40, kr_id="kr1")  # weight 3, 40%
    u.task("T3", "S2", product="SP1", qty=1, kr_id="KR1")  # weight 1, nothing yet: 0%
    u.task("T4", "S2", product="SP3", qty=1, progress_pct=50, kr_id="KR2")  # KR2 is measured
    res = sync(u.save())
    # (2 × 100 + 3 × 40 + 1 × 0) / (2 + 3 + 1) = 320 / 6 = 53,33
    assert written(u, "okr", 4, "task_progress") == 53.33
    assert written(u, "okr", 4, "attainment") == 53.33 and written(u, "okr", 4, "kr_status") == "Chưa đạt"
    assert written(u, "okr", 3, "task_progress") == 50
    assert written(u, "okr", 3, "attainment") == 90 and written(u, "okr", 3, "kr_status") == "Chưa đạt"
    assert written(u, "okr", 2, "task_progress") is None
    assert findings_of(res, "okr.no-actual").empty


def test_the_latest_weekly_report_stands_in_for_a_tasks_missing_progress(okr_unit):
    u = okr_unit
    u.task("T1", "S2", qty=1, due=D(2026, 11, 30), kr_id="KR1")
    u.add("weekly", staff_id="S2", week="2026-W46", task_id="T1", progress_pct=70, work_done="Khảo sát")
    sync(u.save())
    assert written(u, "okr", 4, "task_progress") == 70


def test_a_fully_done_set_of_tasks_reaches_the_key_result(okr_unit):
    u = okr_unit
    u.task("T1", "S2", qty=3, done=5, review="Đạt", kr_id="KR1")  # over-done counts as 100%
    sync(u.save())
    assert written(u, "okr", 4, "task_progress") == 100 and written(u, "okr", 4, "kr_status") == "Đạt"


def test_the_okr_tab_shows_the_alignment_from_person_to_unit_objective(okr_unit):
    u = okr_unit
    u.task("T1", "S3", kr_id="KR1")
    u.task("T2", "S2", kr_id="KR1")
    okr(u, "MT09", "KR9", "Cá nhân", parent="MT99", owner="S3")  # its parent is not on this tab
    sync(u.save())
    assert written(u, "okr", 4, "alignment") == (
        "S2 Trần Thị B, S3 Lê Văn C (2 nhiệm vụ) → MT03 (Cá nhân) → MT02 (Phòng/bộ phận) → MT01 (Đơn vị)")
    assert written(u, "okr", 2, "alignment") == "MT01 (Đơn vị)"
    assert written(u, "okr", 5, "alignment") == (
        "S3 Lê Văn C → MT09 (Cá nhân) → MT99 (ngoài trang OKR); chưa nối tới mục tiêu cấp Đơn vị")


def test_a_task_naming_an_unknown_key_result_is_an_error_that_keeps_its_score(okr_unit):
    u = okr_unit
    row = u.task("T1", "S2", done=1, review="Đạt")
    before = person_scores(sync(u.save()), "S2")
    u.set("tasks", row, "kr_id", "KR7")
    res = sync(u.save())
    f = findings_of(res, "field.ref")
    assert list(f["cell"]) == [cell(u, "tasks", row, "kr_id")] and "KR7" in f["message"].iloc[0]
    assert person_scores(res, "S2") == before


def test_a_task_of_a_month_outside_the_key_results_period_is_warned_and_not_counted(okr_unit):
    u = okr_unit
    okr(u, "MT03", "KR1-Q3", "Cá nhân", parent="MT02", owner="S2", period="Q3/2026")
    row = u.task("T1", "S2", done=1, review="Đạt", kr_id="KR1-Q3")
    res = sync(u.save())
    f = findings_of(res, "task.kr-period")
    assert list(f["cell"]) == [cell(u, "tasks", row, "kr_id")] and set(f["severity"]) == {"warning"}
    assert "Nhiệm vụ tháng 11/2026 phục vụ kết quả then chốt KR1-Q3 của kỳ Q3/2026" in f["message"].iloc[0]
    assert written(u, "okr", 5, "task_progress") is None


def test_a_month_lies_in_its_own_month_quarter_and_year_and_an_empty_period_takes_any_month():
    import pandas as pd

    from sheetsync.engine.alignment import _in_period

    months = pd.Series(["2026-03", "2026-04", "2026-12", "2026-12", "2026-11", "2026-11", None, "2026-01"],
                       index=[3, 4, 5, 6, 7, 8, 9, 10], dtype=object)
    periods = pd.Series(["2026-Q1", "2026-Q1", "2026-Q4", "2026", "2025", None, "2026", "2026-01"],
                        index=months.index, dtype=object)
    inside = _in_period(months, periods)
    assert inside.dtype == bool and list(inside.index) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert inside.tolist() == [True, False, True, True, False, True, False, True]


def test_a_key_result_named_without_an_okr_tab_is_an_error(unit):
    row = unit.task("T1", "S2", kr_id="KR1")
    del unit.wb[SCHEMAS["okr"].title]
    res = sync(unit.save())
    f = findings_of(res, "task.kr-without-okr")
    assert list(f["cell"]) == [cell(unit, "tasks", row, "kr_id")] and set(f["severity"]) == {"error"}


# -- old workbooks, init ------------------------------------------------------------------------

def test_a_workbook_without_the_new_columns_syncs_quietly_and_scores_the_same(tmp_path):
    def fill(book: UnitBook) -> UnitBook:
        book.product("SP1", 1.5)
        book.person("S1", "Nguyễn Văn A")
        book.task("T1", "S1", qty=2, done=2, review="Đạt")
        book.task("T2", "S1", qty=1, done=1, review="Trả lại", returns=1, return_reason="Sai thể thức",
                  task_group="Phát sinh, đột xuất")
        book.evaluation("S1", mgr_general=28)
        return book

    new = fill(UnitBook(tmp_path / "new.xlsx"))
    old = UnitBook(tmp_path / "old.xlsx")
    ws = old.ws("tasks")
    for key in reversed(NEW_TASK_FIELDS):
        ws.delete_cols(old.column_of("tasks", key))
    for key in ("task_progress", "alignment"):
        old.ws("okr").delete_cols(old.column_of("okr", key))
    fill(old)
    a, b = sync(new.save()), sync(old.save())
    codes = set(b.evaluation.findings["code"])
    assert not {c for c in codes if c.startswith("header.")}, codes
    assert person_scores(a, "S1") == person_scores(b, "S1")
    header = [c.value for c in openpyxl.load_workbook(old.path)[SCHEMAS["tasks"].title][1]]
    assert header[-1] == "Kế hoạch tháng"  # the engine column is appended, filled from the task group
    col = len(header)
    ws = openpyxl.load_workbook(old.path)[SCHEMAS["tasks"].title]
    assert [ws.cell(r, col).value for r in (2, 3)] == [PLANNED, ADHOC]


def test_init_lays_out_the_new_columns_with_their_dropdowns(tmp_path):
    book = UnitBook(tmp_path / "u.xlsx")
    headers = [c.value for c in book.ws("tasks")[1]]
    for key in NEW_TASK_FIELDS:
        assert SCHEMAS["tasks"].field(key).header in headers
    assert "Điểm thưởng" not in [c.value for c in book.ws("evaluations")[1]]  # the bonus only with its profile
    rules = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in book.ws("tasks").data_validations.dataValidation}
    kind = cell(book, "tasks", 2, "feedback_kind")
    kr = cell(book, "tasks", 2, "kr_id")
    assert "_Danh sách" in rules[kind]
    assert rules[kr].startswith("='OKR'!$F$2:$F$")
    okr_headers = [c.value for c in book.ws("okr")[1]]
    assert {"Tiến độ theo nhiệm vụ (%)", "Liên kết mục tiêu"} <= set(okr_headers)
