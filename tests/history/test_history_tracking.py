"""What is missing or late now: evaluation steps after their deadlines, forms to the ward, overdue
tasks, tasks whose progress has not moved in the record for N days; and the year's counts."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

import pytest
from history_support import GOOD, evaluate_file, fill_month, new_book

from sheetsync.history.store import open_store
from sheetsync.history.tracking import status, year_counts

UNIT = "Phòng thử nghiệm"
ROSTER = {"CB1": {"name": "Nguyễn Văn An"}, "CB2": {"name": "Trần Thị Bình"}, "CB3": {"name": "Lê Văn Cường"}}
AS_OF = "2026-11-29"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """September and October approved; November under way, recorded on the 10th and the 25th."""
    d = tmp_path_factory.mktemp("tracking")
    store = open_store(d / "sheetsync.db")
    book = new_book(d / "unit.xlsx", ROSTER)
    everyone = {sid: {"approved": GOOD} for sid in ROSTER}
    fill_month(book, "2026-09", everyone)
    fill_month(book, "2026-10", everyone)
    b = book
    b.evaluation("CB1", month="11/2026", self_general=28, mgr_general=28, self_date=dt.date(2026, 11, 24),
                 mgr_date=dt.date(2026, 11, 26), approved_rating=GOOD, approved_date=dt.date(2026, 11, 28))
    b.evaluation("CB2", month="11/2026", self_general=27, self_date=dt.date(2026, 11, 27))  # late, then nothing
    # CB3 has no evaluation row in November at all.
    b.task("NV-XONG", "CB1", qty=1, done=1, review="Đạt", start_date=dt.date(2026, 11, 2))
    b.task("NV-TRE", "CB2", qty=2, done=None, due=dt.date(2026, 11, 20), returns=2, start_date=dt.date(2026, 11, 2))
    stale = b.task("NV-DUNG", "CB3", qty=4, done=None, due=dt.date(2026, 11, 30), progress_pct=30,
                   start_date=dt.date(2026, 11, 2))
    moving = b.task("NV-CHAY", "CB1", qty=4, done=None, due=dt.date(2026, 11, 30), progress_pct=10,
                    start_date=dt.date(2026, 11, 2))
    b.save()
    store.record_unit(UNIT, str(b.path), evaluate_file(b.path, UNIT, "2026-11-10"), now=datetime(2026, 11, 10, 9))
    store.record_unit(UNIT, str(b.path), evaluate_file(b.path, UNIT, "2026-11-10"), run_kind="report",
                      covers=["2026-10"], now=datetime(2026, 11, 2, 8))  # October's forms, two days late
    b.set("tasks", moving, "progress_pct", 50)
    b.save()
    store.record_unit(UNIT, str(b.path), evaluate_file(b.path, UNIT, "2026-11-25"), now=datetime(2026, 11, 25, 16))
    yield store, b, stale, evaluate_file(b.path, UNIT, AS_OF)
    store.close()


@pytest.fixture
def unit(recorded):
    _, book, stale, _ = recorded
    return book, stale


@pytest.fixture
def store(recorded):
    return recorded[0]


def _items(report, code):
    return report.items[report.items["code"] == code]


def test_status_lists_what_is_missing_or_late_now(recorded, profile):
    store, _, _, now = recorded
    report = status({UNIT: now}, store, AS_OF, profile)
    assert report.open_months == {UNIT: ["2026-11"]}  # September and October are approved and frozen
    who = {code: sorted(_items(report, code)["staff_id"]) for code in report.codes()}
    assert who["self_assessment-late"] == ["CB2"]
    assert who["self_assessment-missing"] == ["CB3"]
    assert who["manager_review-missing"] == ["CB2", "CB3"]
    assert who["approval-missing"] == ["CB2", "CB3"]
    assert who["task-overdue"] == ["CB2"]
    assert who["task-stale"] == ["CB3"]  # NV-CHAY moved on 25/11: 4 days is not stale
    late = _items(report, "self_assessment-late")["message"].iloc[0]
    assert late == "Tự đánh giá tháng 11/2026 ngày 27/11/2026, sau hạn ngày 25/11/2026."
    stale = _items(report, "task-stale")["message"].iloc[0]
    assert stale == "Nhiệm vụ NV-DUNG chưa cập nhật tiến độ từ ngày 10/11/2026 (19 ngày)."
    assert "quá hạn từ ngày 20/11/2026 (chưa hoàn thành)" in _items(report, "task-overdue")["message"].iloc[0]
    forms = report.items[report.items["code"].str.startswith("forms")].set_index("month")["code"].to_dict()
    assert forms == {"2026-09": "forms-missing", "2026-10": "forms-late"}  # November's are due on the 30th


def test_before_the_deadlines_nothing_is_missing_yet(store, unit, profile):
    book, _ = unit
    report = status({UNIT: evaluate_file(book.path, UNIT, "2026-11-24")}, store, "2026-11-24", profile)
    codes = report.codes()
    assert not any(c.endswith("-missing") and not c.startswith("forms") for c in codes)
    assert "task-overdue" in codes  # NV-TRE was due on the 20th


def test_a_changed_row_is_not_stale_and_days_come_from_the_profile(recorded, profile):
    store, book, stale_row, now = recorded
    book.set("tasks", stale_row, "progress_pct", 40)  # updated in the sheet, not yet synced
    book.save()
    try:
        report = status({UNIT: evaluate_file(book.path, UNIT, AS_OF)}, store, AS_OF, profile)
    finally:
        book.set("tasks", stale_row, "progress_pct", 30)
        book.save()
    assert "task-stale" not in report.codes()
    profile.deadlines["progress_stale_days"] = 30
    assert "task-stale" not in status({UNIT: now}, store, AS_OF, profile).codes()


def test_counts_per_person_and_month_are_kept_for_the_year(store, unit):
    counts = year_counts(store, 2026, [UNIT]).set_index(["staff_id", "month"])
    assert counts.loc[("CB2", "2026-11"), ["tasks", "returns", "overdue"]].tolist() == [1, 2, 1]
    assert counts.loc[("CB1", "2026-11"), ["tasks", "returns", "delays", "overdue"]].tolist() == [2, 0, 0, 0]
    assert counts.loc[("CB3", "2026-11"), ["tasks", "overdue"]].tolist() == [1, 0]  # no evaluation row, still counted
    assert set(counts.index.get_level_values("month")) == {"2026-09", "2026-10", "2026-11"}


def test_without_a_store_the_sheet_alone_still_speaks(recorded, profile):
    report = status({UNIT: recorded[3]}, None, AS_OF, profile)
    codes = report.codes()
    assert "task-stale" not in codes and not any(c.startswith("forms") for c in codes)
    assert report.open_months[UNIT] == ["2026-09", "2026-10", "2026-11"] and report.counts.empty
