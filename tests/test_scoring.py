"""Scoring as scoring.md says, each expectation computed by hand in the test."""

import datetime as dt

import pandas as pd
import pytest
from unitbook import UnitBook, columns_by_header, findings_of, person_scores, sync

LATE = dt.date(2026, 11, 22)  # after the default due date 20/11


@pytest.fixture
def unit(book: UnitBook) -> UnitBook:
    book.product("SP1", 1)
    book.product("SP2", 2)
    return book


def test_task_conversions_deductions_and_person_scores(unit):
    unit.person("S1")
    r1 = unit.task("T1", "S1", "SP1", qty=4, done=4, review="Đạt", returns=0)
    # k=2: A=4, D=2; one return → Q = 2×0.75; done late → one delay → T = 2×0.75
    r2 = unit.task("T2", "S1", "SP2", qty=2, done=1, review="Đạt", returns=1, done_date=LATE)
    # done above assigned counts as assigned (D=2); returned → Q=0; two delays typed → T = 2×0.5
    r3 = unit.task("T3", "S1", "SP1", qty=2, done=3, review="Trả lại", returns=2, delays=2)
    # excused: returns and delays deduct nothing
    r4 = unit.task("T4", "S1", "SP1", qty=2, done=2, review="Đạt", returns=3, done_date=LATE, excused="Có")
    unit.evaluation("S1", mgr_general=28, mgr_date=dt.date(2026, 11, 26))
    res = sync(unit.save())

    t = res.evaluation.scores.tasks.frame
    assert t.loc[r1, ["A", "D", "Q", "T"]].tolist() == [4, 4, 4, 4]
    assert t.loc[r2, ["A", "D", "Q", "T"]].tolist() == [4, 2, 1.5, 1.5]
    assert t.loc[r3, ["A", "D", "Q", "T"]].tolist() == [2, 2, 0, 1.0]
    assert t.loc[r4, ["A", "D", "Q", "T"]].tolist() == [2, 2, 2, 2]
    assert len(findings_of(res, "task.done-over-assigned")) == 1

    # ΣA=12 ΣD=10 ΣQ=7.5 ΣT=8.5 → a=83.33 b=62.5 c=70.83; 70×(a+b+c)/300 = 50.5556; +28 = 78.56
    p = person_scores(res, "S1")
    assert (p["score_a"], p["score_b"], p["score_c"]) == (83.33, 62.5, 70.83)
    assert p["task_points"] == 50.56
    assert p["total_points"] == 78.56
    assert p["suggested_rating"] == "Hoàn thành tốt nhiệm vụ"


def test_engine_columns_carry_the_conversions(unit):
    unit.person("S1")
    row = unit.task("T2", "S1", "SP2", qty=2, done=1, review="Đạt", returns=1, done_date=LATE)
    unit.evaluation("S1", mgr_general=28)
    path = unit.save()
    sync(path)
    import openpyxl
    ws = openpyxl.load_workbook(path)["Nhiệm vụ"]
    headers = columns_by_header(ws)
    got = [ws.cell(row, headers[h]).value for h in
           ("Quy đổi giao", "Quy đổi hoàn thành", "Quy đổi đạt chất lượng", "Quy đổi đúng hạn")]
    assert got == [4, 2, 1.5, 1.5]


def test_leaders_get_d_dd_e_over_the_people_they_manage(unit):
    unit.person("L", role="Người đứng đầu")
    unit.person("D", role="Cấp phó", manager="L")
    unit.person("S1", manager="D")
    unit.person("S2", manager="D")
    unit.task("TL", "L", qty=1, done=1, review="Đạt")
    unit.task("TD", "D", qty=1, done=1, review="Đạt")
    unit.task("T1", "S1", qty=2, done=1, review="Đạt")  # S1: a=50 b=50 c=50 → 35 + 28 = 63 → HTNV
    unit.task("T2", "S2", qty=1, done=0)  # S2: a=b=c=0 → 0 + 20 = 20 → KHTNV
    unit.evaluation("L", mgr_general=30, leader_e=90)
    unit.evaluation("D", mgr_general=30, leader_e=80)
    unit.evaluation("S1", mgr_general=28)
    unit.evaluation("S2", mgr_general=20)
    res = sync(unit.save())

    assert person_scores(res, "S1")["suggested_rating"] == "Hoàn thành nhiệm vụ"
    assert person_scores(res, "S2")["suggested_rating"] == "Không hoàn thành nhiệm vụ"
    d = person_scores(res, "D")
    # S2 is rated KHTNV → d=50; S1/S2 work not all done → đ=50; e=80
    assert (d["score_d"], d["score_dd"], d["score_e"]) == (50, 50, 80)
    # 70 × (100+100+100+50+50+80)/600 = 56; +30 = 86
    assert (d["task_points"], d["total_points"]) == (56, 86)
    lead = person_scores(res, "L")
    assert (lead["score_d"], lead["score_dd"], lead["score_e"]) == (50, 50, 90)
    assert lead["total_points"] == pytest.approx(30 + 70 * (100 * 3 + 50 + 50 + 90) / 600, abs=0.005)


def test_a_leader_whose_people_all_pass_and_finish_gets_full_d_and_dd(unit):
    unit.person("L", role="Người đứng đầu")
    unit.person("S1", manager="L")
    unit.task("TL", "L", qty=1, done=1, review="Đạt")
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unit.evaluation("L", mgr_general=30, leader_e=100)
    unit.evaluation("S1", mgr_general=25)
    res = sync(unit.save())
    lead = person_scores(res, "L")
    assert (lead["score_d"], lead["score_dd"], lead["total_points"]) == (100, 100, 100)


def test_a_leader_managing_nobody_is_scored_as_staff_with_a_warning(unit):
    unit.person("L", role="Cấp phó")
    unit.task("TL", "L", qty=1, done=1, review="Đạt")
    unit.evaluation("L", mgr_general=30, leader_e=50)
    res = sync(unit.save())
    p = person_scores(res, "L")
    assert p["total_points"] == 100 and p["score_d"] != p["score_d"]  # d is NaN
    assert len(findings_of(res, "score.leader-no-staff")) == 1


def test_a_leader_without_e_gets_an_error_and_no_total(unit):
    unit.person("L", role="Người đứng đầu")
    unit.person("S1", manager="L")
    unit.task("TL", "L", qty=1, done=1, review="Đạt")
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unit.evaluation("L", mgr_general=30)
    unit.evaluation("S1", mgr_general=30)
    res = sync(unit.save())
    assert findings_of(res, "score.leader-e-missing")["severity"].tolist() == ["error"]
    assert person_scores(res, "L")["total_points"] != person_scores(res, "L")["total_points"]


@pytest.mark.parametrize("general, total, rating", [
    (19.995, 90.0, "Hoàn thành xuất sắc nhiệm vụ"),   # 89.995 rounds half up to 90.00
    (19.994, 89.99, "Hoàn thành tốt nhiệm vụ"),
    (0.005, 70.01, "Hoàn thành tốt nhiệm vụ"),
    (0, 70.0, "Hoàn thành tốt nhiệm vụ"),
])
def test_rounding_half_up_at_band_edges(unit, general, total, rating):
    unit.person("S1")
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")  # task points exactly 70
    unit.evaluation("S1", mgr_general=general)
    p = person_scores(sync(unit.save()), "S1")
    assert (p["total_points"], p["suggested_rating"]) == (total, rating)


def test_band_edges_50_and_below(unit):
    unit.person("S1")
    unit.person("S2")
    unit.task("T1", "S1", qty=3, done=1, review="Đạt")  # a=b=c=33.33 → 23.33
    unit.task("T2", "S2", qty=3, done=1, review="Đạt")
    unit.evaluation("S1", mgr_general=26.67)  # 70×(1/3) = 23.3333 + 26.67 = 50.0033 → 50.00
    unit.evaluation("S2", mgr_general=26.66)  # 49.9933 → 49.99
    res = sync(unit.save())
    assert person_scores(res, "S1")["total_points"] == 50.0
    assert person_scores(res, "S1")["suggested_rating"] == "Hoàn thành nhiệm vụ"
    assert person_scores(res, "S2")["suggested_rating"] == "Không hoàn thành nhiệm vụ"


def test_general_points_fall_back_to_self_assessment_with_a_warning(unit):
    unit.person("S1")
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unit.evaluation("S1", self_general=25, mgr_general=None)
    res = sync(unit.save())
    assert person_scores(res, "S1")["total_points"] == 95
    assert len(findings_of(res, "score.general-from-self")) == 1


def test_no_general_points_at_all_is_an_error_and_no_total(unit):
    unit.person("S1")
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unit.evaluation("S1", self_general=None, mgr_general=None)
    res = sync(unit.save())
    assert findings_of(res, "score.general-missing")["severity"].tolist() == ["error"]
    assert person_scores(res, "S1")["suggested_rating"] is None


def test_no_assigned_work_is_an_error_on_the_person(unit):
    unit.person("S1")
    unit.evaluation("S1", mgr_general=30)
    res = sync(unit.save())
    f = findings_of(res, "score.no-work")
    assert f["severity"].tolist() == ["error"] and f["tab"].tolist() == ["Đánh giá tháng"]
    assert person_scores(res, "S1")["total_points"] != person_scores(res, "S1")["total_points"]


def test_discipline_forces_the_lowest_rating(unit):
    unit.person("S1")
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unit.evaluation("S1", mgr_general=30, disciplined="Có")
    p = person_scores(sync(unit.save()), "S1")
    assert p["total_points"] == 100 and p["suggested_rating"] == "Không hoàn thành nhiệm vụ"


def test_rows_with_errors_are_excluded_or_zeroed_and_the_score_is_provisional(unit):
    unit.person("S1")
    ok = unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unknown_product = unit.task("T2", "S1", product="SP9", qty=5, done=5, review="Đạt")
    no_basis = unit.task("T3", "S1", qty=1, done=1, review="Đạt", basis=None)
    unit.evaluation("S1", mgr_general=30)
    res = sync(unit.save())
    t = res.evaluation.scores.tasks.frame
    assert bool(t.loc[unknown_product, "excluded"]) and t.loc[unknown_product, "A"] != t.loc[unknown_product, "A"]
    assert t.loc[no_basis, ["A", "D", "Q", "T"]].tolist() == [1, 0, 0, 0]
    assert t.loc[ok, ["A", "D", "Q", "T"]].tolist() == [1, 1, 1, 1]
    p = person_scores(res, "S1")
    assert p["provisional"] and p["score_a"] == 50  # ΣD=1 of ΣA=2
    notes = findings_of(res, "score.provisional")
    assert len(notes) == 1 and "tạm tính" in notes["message"].iloc[0].lower()


def test_collaborators_get_no_quantity_credit(unit):
    unit.person("S1")
    unit.person("S2")
    unit.task("T1", "S1", qty=1, done=1, review="Đạt", collaborators="S2")
    unit.task("T2", "S2", qty=1, done=0)
    unit.evaluation("S1", mgr_general=30)
    unit.evaluation("S2", mgr_general=30)
    res = sync(unit.save())
    assert person_scores(res, "S2")["score_a"] == 0


def test_quota_nd335_excellent_at_most_20_percent_of_good_marks_the_lowest(unit):
    for i in range(1, 4):
        unit.person(f"X{i}")
        unit.task(f"TX{i}", f"X{i}", qty=1, done=1, review="Đạt")
    # X1 and X2 excellent (100 and 95), X3 good (80): limit = floor(0.2 × 1) = 0 → both beyond
    unit.evaluation("X1", mgr_general=30)
    unit.evaluation("X2", mgr_general=25)
    unit.evaluation("X3", mgr_general=10)
    res = sync(unit.save())
    q = res.evaluation.scores.months["2026-11"].quota[0]
    assert (q["count"], q["limit"], q["exceeded"]) == (2, 0, True)
    assert q["marked"] == ["X1", "X2"]
    assert len(findings_of(res, "quota.exceeded")) == 1
    # The engine never changes a rating to meet the quota.
    assert person_scores(res, "X1")["suggested_rating"] == "Hoàn thành xuất sắc nhiệm vụ"


def test_quota_is_met_with_five_good_for_one_excellent_and_checked_per_peer_group(unit):
    for i in range(6):
        unit.person(f"P{i}", group="G1" if i < 2 else "G2")
        unit.task(f"T{i}", f"P{i}", qty=1, done=1, review="Đạt")
        unit.evaluation(f"P{i}", mgr_general=25 if i == 0 else 10)  # P0 excellent, others good
    res = sync(unit.save())
    quotas = {q["label"]: q for q in res.evaluation.scores.months["2026-11"].quota}
    assert quotas["đơn vị"]["exceeded"] is False  # 1 ≤ 0.2 × 5
    assert quotas["nhóm 'G1'"]["exceeded"] is True  # 1 > 0.2 × 1
    assert quotas["nhóm 'G2'"]["exceeded"] is False


def test_quota_counts_approved_ratings_where_present(unit):
    for i in range(2):
        unit.person(f"P{i}")
        unit.task(f"T{i}", f"P{i}", qty=1, done=1, review="Đạt")
    unit.evaluation("P0", mgr_general=30, approved_rating="B")
    unit.evaluation("P1", mgr_general=10)
    res = sync(unit.save())
    q = res.evaluation.scores.months["2026-11"].quota[0]
    assert q["count"] == 0 and not q["exceeded"]


def test_hanoi_3814_profile_general_20_bonus_and_30_percent_of_rated(tmp_path):
    unit = UnitBook(tmp_path / "hn.xlsx", bonus=True)
    unit.product("SP1", 1)
    for i in range(4):
        unit.person(f"P{i}")
        unit.task(f"T{i}", f"P{i}", qty=1, done=1, review="Đạt")
    unit.evaluation("P0", self_general=18, mgr_general=20, bonus=5)  # 20 + 70 + 5 = 95 → A
    unit.evaluation("P1", self_general=18, mgr_general=20, bonus=0)  # 90 → A
    unit.evaluation("P2", self_general=18, mgr_general=10)  # 80 → B
    # 25 is above this profile's maximum of 20: an error, and the value is not used, so the
    # self-assessed 18 stands in: 88 → B
    unit.evaluation("P3", self_general=18, mgr_general=25)
    res = sync(unit.save(), profile="hanoi-3814")
    assert person_scores(res, "P0")["total_points"] == 95
    assert person_scores(res, "P0")["suggested_rating"] == "Hoàn thành xuất sắc nhiệm vụ"
    assert len(findings_of(res, "field.max")) == 1
    assert person_scores(res, "P3")["total_points"] == 88
    q = res.evaluation.scores.months["2026-11"].quota[0]
    # A at most 30% of the 4 rated → 1; two are A
    assert (q["base"], q["limit"], q["count"], q["exceeded"]) == (4, 1, 2, True)
    assert q["marked"] == ["P1"]


def test_late_and_missing_steps_are_warnings_relative_to_as_of(unit):
    unit.person("S1")
    unit.person("S2")
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unit.task("T2", "S2", qty=1, done=1, review="Đạt")
    unit.evaluation("S1", self_date=dt.date(2026, 11, 27), mgr_general=30, mgr_date=dt.date(2026, 11, 26))
    unit.evaluation("S2", self_general=None, self_rating=None, self_date=None)
    path = unit.save()
    early = sync(path, as_of="2026-11-20", write=False)
    assert set(findings_of(early)["code"]) >= {"deadline.self_assessment-late"}
    assert not len(findings_of(early, "deadline.self_assessment-missing"))
    late = sync(path, as_of="2026-11-29", write=False)
    codes = findings_of(late)["code"].value_counts()
    assert codes["deadline.self_assessment-missing"] == 1
    assert codes["deadline.manager_review-missing"] == 1
    assert codes["deadline.approval-missing"] == 2


def test_honesty_checks(unit):
    unit.person("S1")
    unit.task("T1", "S1", qty=2, done=1, review="Đạt", evidence=None)
    unit.task("T2", "S1", qty=1, done=None, review="Đạt")
    unit.task("T3", "S1", qty=1, done=1, review="Trả lại", returns=0)
    unit.evaluation("S1", mgr_general=10, approved_rating="A")
    res = sync(unit.save(), write=False)
    codes = set(findings_of(res)["code"])
    assert {"honesty.approved-above", "honesty.approved-missing-evidence", "task.approved-without-output",
            "task.returned-without-count"} <= codes


def test_okr_attainment_status_and_weight_rules(book):
    rows = [
        dict(objective_id="MT1", kr_id="KR1", weight=50, target=100, stretch=120, actual=130),
        dict(objective_id="MT1", kr_id="KR2", weight=50, target=10, stretch=5, actual=8),  # lower is better
        dict(objective_id="MT2", kr_id="KR3", weight=40, target=10, actual=5),
        dict(objective_id="MT2", kr_id="KR4", weight=40, target=10, actual=10),
        dict(objective_id="MT3", kr_id="KR5", weight=33, target=1, actual=1),
        dict(objective_id="MT3", kr_id="KR6", weight=33, target=1, actual=1),
        dict(objective_id="MT3", kr_id="KR7", weight=33, target=1, actual=1),
    ]
    for r in rows:
        book.add("okr", objective="Mục tiêu", key_result="KR", kpi_unit="%", kpi_formula="x", data_source="báo cáo",
                 period="11/2026", **r)
    res = sync(book.save(), write=False)
    okr = res.evaluation.scores.okr
    assert okr["attainment"].tolist() == [130, 125, 50, 100, 100, 100, 100]
    assert okr["kr_status"].tolist() == ["Vượt", "Đạt", "Chưa đạt", "Đạt", "Đạt", "Đạt", "Đạt"]
    sums = findings_of(res, "okr.weights-sum")
    assert len(sums) == 5  # MT2 sums to 80, MT3 to 99
    assert len(findings_of(res, "okr.equal-weights")) == 3


def test_okr_lower_is_better_at_zero_gets_the_cap_and_attainment_is_capped(book):
    for r in [dict(objective_id="MT1", kr_id="KR1", weight=50, target=2, stretch=0, actual=0),
              dict(objective_id="MT1", kr_id="KR2", weight=50, target=5, actual=20)]:
        book.add("okr", objective="Mục tiêu", key_result="KR", kpi_unit="%", kpi_formula="x", data_source="báo cáo",
                 period="Q3/2026", **r)
    book.add("okr", objective_id="MT2", objective="M", key_result="KR", kr_id="KR3", kpi_unit="%", kpi_formula="x",
             weight=100, data_source="bc", target=1, period="Q3/2026")
    res = sync(book.save(), as_of="2026-10-05", write=False)
    okr = res.evaluation.scores.okr
    assert okr["attainment"].tolist()[:2] == [200, 200]
    assert okr["kr_status"].tolist()[:2] == ["Vượt", "Đạt"]
    assert findings_of(res, "okr.no-actual")["row"].tolist() == [4]


def test_tasks_of_a_month_without_evaluation_rows_are_reported_once_due(unit):
    unit.person("S1")
    unit.task("T1", "S1", month="10/2026", due=dt.date(2026, 10, 20), start_date=dt.date(2026, 10, 1))
    assert not len(findings_of(sync(unit.save(), as_of="2026-10-20", write=False), "score.task-month"))
    f = findings_of(sync(unit.path, as_of="2026-10-27", write=False), "score.task-month")
    assert len(f) == 1 and "10/2026" in f["message"].iloc[0]


def test_a_task_past_its_deadline_and_not_done_says_so_on_its_row(unit):
    unit.person("S1")
    overdue = unit.task("T1", "S1", qty=3, done=1, due=dt.date(2026, 11, 20))
    unit.task("T2", "S1", qty=1, done=1, review="Đạt")  # done: never overdue
    unit.task("T3", "S1", qty=1, due=dt.date(2026, 11, 30))  # not due yet on 24/11
    unit.task("T4", "S1", qty=2, done=2, due=dt.date(2026, 11, 10), review="Đạt")  # done in full, late
    unit.evaluation("S1", mgr_general=28)
    res = sync(unit.save(), as_of="2026-11-24")
    late = findings_of(res, "task.overdue")
    assert late["row"].tolist() == [overdue]
    assert late["severity"].tolist() == ["warning"]
    assert late["message"].iloc[0] == ("Quá hạn: hạn 20/11/2026, đến ngày 24/11/2026 chưa hoàn thành "
                                       "(mới hoàn thành 1/3); cần cập nhật kết quả hoặc điều chỉnh hạn.")
    # Relative to --as-of: the day before the deadline nothing is overdue.
    assert findings_of(sync(unit.path, as_of="2026-11-19", write=False), "task.overdue").empty
    import openpyxl
    ws = openpyxl.load_workbook(unit.path)["Nhiệm vụ"]
    h = columns_by_header(ws)
    assert ws.cell(overdue, h["Kết quả kiểm tra"]).value == "Cảnh báo"
    assert "Quá hạn: hạn 20/11/2026" in ws.cell(overdue, h["Ghi chú kiểm tra"]).value


def test_a_leaders_d_and_dd_below_full_name_the_people_and_tasks_that_caused_them(unit):
    unit.person("L", "Trần Thị Lãnh", role="Người đứng đầu")
    for i in range(1, 8):
        unit.person(f"S{i}", f"Người số {i}", manager="L")
    unit.task("TL", "L", qty=1, done=1, review="Đạt")
    for i in range(1, 8):
        # S1..S6 do nothing → KHTNV; S7 finishes everything
        unit.task(f"T{i}", f"S{i}", qty=1, done=1 if i == 7 else 0, review="Đạt" if i == 7 else None)
        unit.evaluation(f"S{i}", mgr_general=20 if i < 7 else 30)
    row = unit.evaluation("L", mgr_general=30, leader_e=90)
    res = sync(unit.save())
    lead = person_scores(res, "L")
    assert (lead["score_d"], lead["score_dd"]) == (50, 50)  # scores unchanged by the reasons
    d = findings_of(res, "score.leader-d")
    assert d["row"].tolist() == [row] and d["severity"].tolist() == ["warning"]
    assert d["message"].iloc[0] == (
        "Điểm d = 50 vì trong phạm vi quản lý có người xếp loại Không hoàn thành nhiệm vụ: "
        "S1 Người số 1, S2 Người số 2, S3 Người số 3, S4 Người số 4, S5 Người số 5 và 1 người khác.")
    dd = findings_of(res, "score.leader-dd")
    assert dd["row"].tolist() == [row]
    assert dd["message"].iloc[0].endswith("ở trang Nhiệm vụ: T1, T2, T3, T4, T5 và 1 nhiệm vụ khác.")
    assert "T7" not in dd["message"].iloc[0] and "TL" not in dd["message"].iloc[0]
    import openpyxl
    ws = openpyxl.load_workbook(unit.path)["Đánh giá tháng"]
    notes = ws.cell(row, columns_by_header(ws)["Ghi chú kiểm tra"]).value
    assert "Điểm d = 50 vì" in notes and "Điểm đ = 50 vì" in notes


def test_a_leader_with_full_d_and_dd_gets_no_reason(unit):
    unit.person("L", role="Người đứng đầu")
    unit.person("S1", manager="L")
    unit.task("TL", "L", qty=1, done=1, review="Đạt")
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    unit.evaluation("L", mgr_general=30, leader_e=100)
    unit.evaluation("S1", mgr_general=25)
    res = sync(unit.save())
    assert findings_of(res, "score.leader-d").empty and findings_of(res, "score.leader-dd").empty


def test_a_provisional_score_names_the_tasks_tab_row_and_task_code(unit):
    unit.person("S1")
    unit.task("T1", "S1", qty=1, done=1, review="Đạt")
    bad = unit.task("NV-07", "S1", product="SP9", qty=5, done=5, review="Đạt")
    unit.evaluation("S1", mgr_general=30)
    res = sync(unit.save())
    msg = findings_of(res, "score.provisional")["message"].iloc[0]
    assert msg == (f"Điểm tạm tính: có 1 hàng nhiệm vụ đang lỗi (trang Nhiệm vụ: hàng {bad} (NV-07)); "
                   "cần sửa để điểm được tính đầy đủ.")


def test_a_months_rating_counts_list_the_most_frequent_first_and_ties_as_they_first_appear():
    from sheetsync.engine.scoring import _counts

    ratings = ["Hoàn thành tốt", None, "Hoàn thành xuất sắc", "Hoàn thành tốt", float("nan"), "Hoàn thành xuất sắc",
               "Không hoàn thành"]
    counts = _counts(ratings)
    assert list(counts.items()) == [("Hoàn thành tốt", 2), ("Hoàn thành xuất sắc", 2), ("Không hoàn thành", 1)]
    assert counts == pd.Series(ratings, dtype=object).value_counts().to_dict()
    assert list(counts) == list(pd.Series(ratings, dtype=object).value_counts().to_dict())
    assert _counts([]) == {}
