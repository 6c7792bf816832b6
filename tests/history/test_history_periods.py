"""Quarters and years from recorded months: missing months, a transfer between units, leaders'
quarters, discipline, quotas, the year's check against the monthly record, and period forms."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest
from history_support import (
    FAIL,
    GOOD,
    PASS,
    PROFILE,
    XS,
    fill_month,
    new_book,
    sync_once,
)

from sheetsync.forms import WardInfo
from sheetsync.history.periods import (
    Period,
    PeriodError,
    compute_period,
    parse_quarter,
    parse_year,
    write_period_forms,
)
from sheetsync.history.store import open_store

A, B = "Phòng A", "Phòng B"
ROSTER_A = {"L1": {"name": "Lãnh Đạo Một", "role": "Người đứng đầu"},
            "P1": {"name": "Phạm Thị Một", "manager": "L1"},
            "P2": {"name": "Phạm Văn Hai", "manager": "L1"},
            "D1": {"name": "Đỗ Văn Kỷ", "manager": "L1"},
            "T1": {"name": "Trần Chuyển", "manager": "L1"}}
ROSTER_B = {"M1": {"name": "Mai Lãnh Đạo", "role": "Người đứng đầu"},
            "Q1": {"name": "Quách Thị Cao", "manager": "M1"}}


def month_people(general: dict[str, float], approved: dict[str, str] | None = None, **extra) -> dict[str, dict]:
    """Everyone's tasks done in full and on time: a non-leader's total is general + 70."""
    out = {}
    for sid, g in general.items():
        p = {"general": g, "approved": (approved or {}).get(sid)}
        if sid in ("L1", "M1"):
            p["leader_e"] = 100
        p.update(extra.get(sid, {}))
        out[sid] = p
    return out


@pytest.fixture(scope="module")
def ward(tmp_path_factory):
    """Apr–May approved in both units; T1 moves from A to B in June (not yet approved);
    October approved in A for L1 and P2 only. P1 has no row in May."""
    d = tmp_path_factory.mktemp("periods")
    store = open_store(d / "sheetsync.db")
    a, b = new_book(d / "a.xlsx", ROSTER_A, unit=A), new_book(d / "b.xlsx", ROSTER_B, unit=B)
    apr = {"L1": 28, "P1": 20, "P2": 0, "D1": 28, "T1": 28}
    may = {"L1": 25, "P2": 5, "D1": 28, "T1": 26}
    fill_month(a, "2026-04", month_people(apr, dict.fromkeys(apr, GOOD)))
    fill_month(a, "2026-05", month_people(may, dict.fromkeys(may, GOOD) | {"D1": FAIL},
                                          D1={"eval": {"disciplined": "Có"}}))
    fill_month(b, "2026-04", month_people({"M1": 27, "Q1": 29}, {"M1": XS, "Q1": PASS}))
    fill_month(b, "2026-05", month_people({"M1": 27, "Q1": 29}, {"M1": XS, "Q1": PASS}))
    a.save(), b.save()
    evs = {}
    for book, unit in ((a, A), (b, B)):
        evs[(unit, 1)], _ = sync_once(store, book.path, unit, "2026-05-31", now=datetime(2026, 5, 31, 18))

    ws = a.ws("staff")  # T1 leaves A: their row is cleared from A's roster
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "T1":
            for c in row:
                c.value = None
    b.person("T1", "Trần Chuyển", manager="M1")
    fill_month(a, "2026-06", month_people({"L1": 22, "P1": 10, "P2": 29, "D1": 28}))
    fill_month(b, "2026-06", month_people({"M1": 27, "Q1": 29, "T1": 20}))
    fill_month(a, "2026-10", month_people({"L1": 28, "P2": 28}, {"L1": XS, "P2": XS}))
    a.save(), b.save()
    for book, unit in ((a, A), (b, B)):
        evs[(unit, 2)], _ = sync_once(store, book.path, unit, "2026-10-31", now=datetime(2026, 10, 31, 18))
    yield store, evs, d
    store.close()


def test_periods_are_read_the_vietnamese_way():
    assert parse_quarter("2/2026") == Period("quarter", 2026, 2) == parse_quarter("Q2/2026") == parse_quarter("2026-Q2")
    assert parse_quarter("Quý 4/2026").months == ["2026-10", "2026-11", "2026-12"]
    assert parse_year("2026").months[0] == "2026-01" and parse_quarter("2/2026").label == "Quý II/2026"
    for bad in ("5/2026", "2026", "Q2"):
        with pytest.raises(PeriodError):
            parse_quarter(bad)


def test_quarter_means_the_months_that_have_a_score(ward):
    store, evs, _ = ward
    q2 = compute_period(store, parse_quarter("2/2026"), PROFILE, units=[A, B])
    p1 = q2.person("P1")
    assert p1["monthly"] == {"2026-04": 90.0, "2026-06": 80.0} and p1["missing"] == ["2026-05"]
    assert p1["score"] == 85.0 and p1["rating"] == GOOD  # (90 + 80) / 2, May not counted as 0
    assert "Thiếu điểm tháng 05/2026" in p1["notes"]
    p2 = q2.person("P2")
    assert p2["monthly"] == {"2026-04": 70.0, "2026-05": 75.0, "2026-06": 99.0}
    assert p2["score"] == 81.33 and p2["rating"] == GOOD  # 245 / 3 = 81.333… half up
    assert p2["provisional"] and "tạm tính" in p2["notes"]  # June not approved yet
    l1 = q2.person("L1")  # a leader in Q2 is rated for the quarter
    engine = [evs[(A, 1)].scores.months[m].people.set_index("staff_id").at["L1", "total_points"]
              for m in ("2026-04", "2026-05")] + [evs[(A, 2)].scores.months["2026-06"].people
                                                  .set_index("staff_id").at["L1", "total_points"]]
    assert l1["leader"] and l1["rated"] and l1["score"] == round(sum(engine) / 3 + 1e-9, 2)


def test_a_transfer_keeps_its_months(ward):
    store, _, _ = ward
    q2 = compute_period(store, parse_quarter("2/2026"), PROFILE, units=[A, B])
    t1 = q2.person("T1")
    assert t1["unit"] == B and t1["units"] == [A, B]
    assert t1["monthly"] == {"2026-04": 98.0, "2026-05": 96.0, "2026-06": 90.0} and t1["score"] == 94.67
    assert "Chuyển công tác: có tháng tại Phòng A" in t1["notes"]
    assert list(q2.people["staff_id"]) == ["L1", "P1", "P2", "D1", "M1", "Q1", "T1"]  # by unit, roster order
    history = store.person_history("T1")
    assert list(zip(history["unit"], history["month"])) == [(A, "2026-04"), (A, "2026-05"), (B, "2026-06")]
    assert history["frozen"].tolist() == [True, True, False]


def test_discipline_in_any_month_rates_the_period_lowest(ward):
    store, _, _ = ward
    d1 = compute_period(store, parse_quarter("2/2026"), PROFILE, units=[A, B]).person("D1")
    assert d1["score"] == 98.0 and d1["rating"] == FAIL and "kỷ luật" in d1["notes"]


def test_quotas_are_applied_per_unit_not_enforced(ward):
    store, _, _ = ward
    q2 = compute_period(store, parse_quarter("2/2026"), PROFILE, units=[A, B])
    unit_b = next(q for q in q2.quotas[B] if q["scope"] == "unit")
    assert (unit_b["count"], unit_b["base"], unit_b["limit"], unit_b["exceeded"]) == (3, 0, 0, True)
    people = q2.people.set_index("staff_id")
    assert people.loc["Q1", "rating"] == XS and people.loc["Q1", "quota_marked"]  # reported, rating kept
    assert "Vượt tỷ lệ" in people.loc["Q1", "notes"]


def test_leaders_fourth_quarter_folds_into_the_year(ward):
    store, _, _ = ward
    q4 = compute_period(store, parse_quarter("4/2026"), PROFILE, units=[A, B])
    l1, p2 = q4.person("L1"), q4.person("P2")
    assert l1["score"] is not None and l1["rating"] is None and not l1["rated"]
    assert "quý IV đánh giá cùng kết quả năm" in l1["notes"]
    assert p2["rated"] and p2["rating"] == XS
    unit_a = next(q for q in q4.quotas[A] if q["scope"] == "unit")
    assert unit_a["count"] == 1  # P2 only: L1's 98 is not a Q4 rating
    year = compute_period(store, parse_year(2026), PROFILE, units=[A, B])
    assert year.person("L1")["rated"] and len(year.person("L1")["monthly"]) == 4


def test_year_flags_a_rating_far_from_the_monthly_record(ward):
    store, _, _ = ward
    year = compute_period(store, parse_year(2026), PROFILE, units=[A, B])
    q1 = year.person("Q1")  # 99 every month, approved Hoàn thành nhiệm vụ in April and May; June suggested
    assert q1["rating"] == XS and q1["record_rating"] == PASS and q1["deviation"] == -1.33 and q1["flagged"]
    assert "Xếp loại năm cao hơn kết quả hằng tháng (1 tháng HTXSNV, 2 tháng HTNV)" in q1["notes"]
    p2 = year.person("P2")  # 70, 75, 99, 98: HTTNV ×2, HTXSNV ×2 → mean level 0.5
    assert p2["score"] == 85.5 and p2["rating"] == GOOD and p2["deviation"] == 0.5 and not p2["flagged"]
    # An authority's proposal is checked instead of the computed rating.
    proposed = compute_period(store, parse_year(2026), PROFILE, units=[A, B], proposed={"P2": "D"})
    assert proposed.person("P2")["rating"] == FAIL and proposed.person("P2")["flagged"]


def test_period_forms_reuse_the_monthly_renderers(ward):
    store, _, d = ward
    q2 = compute_period(store, parse_quarter("2/2026"), PROFILE, units=[A, B])
    info = WardInfo("Phường Thử", "UBND PHƯỜNG THỬ", "Thử", {"rating": XS, "max_ratio": 0.2, "label": "Tối đa 20%"})
    out = write_period_forms(q2, info, d / "forms", formats=("xlsx", "html"), per_unit=False)
    names = sorted(p.name for p in out.paths)
    assert names == ["Mau_01A_02A_Quy_Phuong_Thu_2026-Q2.html", "Mau_01A_Quy_Phuong_Thu_2026-Q2.xlsx",
                     "Mau_02A_Quy_Phuong_Thu_2026-Q2.xlsx"]
    ws = openpyxl.load_workbook(out.ward.paths["02A.xlsx"]).active
    text = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    flat = [str(c) for row in text for c in row]
    assert "Quý II/2026" in flat and "Tháng 04/2026" in flat and "Điểm bình quân quý" in flat
    p1 = next(row for row in text if "Phạm Thị Một" in row)
    assert 90 in p1 and 80 in p1 and 85 in p1 and "HTTNV" in p1
    page = out.ward.paths["html"].read_text(encoding="utf-8")
    assert "Mẫu số 02A-Q" in page and "Quý II/2026" in page and "Biểu đồ 1. Kết quả xếp loại quý II/2026" in page
    s01 = openpyxl.load_workbook(out.ward.paths["01A.xlsx"]).active
    assert any("Phòng B" in str(c) for row in s01.iter_rows(values_only=True) for c in row if c)
