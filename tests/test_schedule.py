"""The work schedule (tab Lịch công tác): times as people write them, every rule on its cell,
staff codes printed as people, and a workbook without the tab still valid."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from unitbook import SCHEMAS, UnitBook, findings_of, sync

from sheetsync.domain.calendar import parse_time_span
from sheetsync.engine.schedule import schedule_events

SCHEDULE = SCHEMAS["schedule"].title
MONDAY = dt.date(2026, 10, 26)  # ISO week 44 of 2026


def event(book, day=MONDAY, time="08:00", content="Giao ban lãnh đạo phường", **extra) -> int:
    return book.add("schedule", date=day, time=time, content=content, **extra)


@pytest.fixture
def unit(book: UnitBook) -> UnitBook:
    book.product("SP1", 1)
    book.person("CB1", "Nguyễn Văn An")
    book.set("staff", 2, "position", "Chủ tịch UBND phường")
    book.person("CB2", "Trần Thị Bình", manager="CB1")
    return book


def cell(book, row, key):
    return f"{openpyxl.utils.get_column_letter(book.column_of('schedule', key))}{row}"


# -- times ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, want", [
    ("8:00", "08:00"), ("08:00", "08:00"), ("8h", "08:00"), ("8h30", "08:30"), ("8 giờ 30", "08:30"),
    ("14 giờ", "14:00"), ("14g00", "14:00"), ("7:30 - 9:00", "07:30-09:00"), ("7h30–11h", "07:30-11:00"),
    ("14h đến 16h30", "14:00-16:30"), ("Cả ngày", "Cả ngày"), ("cả ngày", "Cả ngày"),
])
def test_a_time_is_read_from_every_usual_form(text, want):
    assert parse_time_span(text) == want


@pytest.mark.parametrize("text", ["8", "25:00", "8:75", "9:00 - 8:00", "Sáng", "sáng mai", "8:00 - 8:00"])
def test_a_wrong_time_is_not_a_time(text):
    assert parse_time_span(text) is None


# -- the tab ------------------------------------------------------------------------------------

def test_init_creates_the_schedule_tab_and_a_workbook_without_it_stays_valid(tmp_path):
    book = UnitBook(tmp_path / "u.xlsx")
    assert SCHEDULE in book.wb.sheetnames
    headers = [c.value for c in book.wb[SCHEDULE][1]]
    assert headers == ["Ngày", "Thời gian", "Nội dung", "Chủ trì", "Thành phần", "Địa điểm", "Đơn vị chuẩn bị",
                       "Ghi chú", "Kết quả kiểm tra", "Ghi chú kiểm tra"]
    book.product("SP1", 1)
    book.person("S1")
    del book.wb[SCHEDULE]
    res = sync(book.save(), as_of="2026-10-26")
    assert findings_of(res, "tab.missing").empty
    assert schedule_events(res.evaluation).empty


def test_clean_events_give_no_finding_and_are_written_as_valid(unit):
    rows = [event(unit, time="8h", place="Phòng họp số 1", chair="CB1", participants="CB2; Văn phòng"),
            event(unit, time=dt.time(14, 0), content="Tiếp công dân định kỳ", chair="CB1"),
            event(unit, day=dt.date(2026, 10, 28), time="7:30 - 11:30", content="Kiểm tra công trình",
                  chair="Đ/c Phó Chủ tịch phụ trách", preparing_unit="Phòng Kinh tế")]
    res = sync(unit.save(), as_of="2026-10-26")
    assert findings_of(res, tab="schedule").empty, findings_of(res, tab="schedule").to_string()
    ws = openpyxl.load_workbook(unit.path)[SCHEDULE]
    status = unit.column_of("schedule", "check_status")
    assert [ws.cell(r, status).value for r in rows] == ["Hợp lệ"] * 3
    ev = schedule_events(res.evaluation)
    assert list(ev["time"]) == ["08:00", "14:00", "07:30-11:30"]
    assert list(ev["start"]) == ["08:00", "14:00", "07:30"] and list(ev["end"]) == ["", "", "11:30"]
    assert ev["chair"].iloc[0] == "Nguyễn Văn An (Chủ tịch UBND phường)"  # a staff code printed as the person
    assert ev["participants"].iloc[0] == "Trần Thị Bình, Văn phòng"
    assert ev["chair"].iloc[2] == "Đ/c Phó Chủ tịch phụ trách"  # free text kept as written


@pytest.mark.parametrize("key, value, code", [
    ("date", "31/10/2026x", "field.type"),
    ("date", "30/02/2026", "field.type"),  # not a real day
    ("date", None, "field.required"),
    ("time", "Sáng", "field.type"),
    ("time", "10:00 - 9:00", "field.type"),  # ends before it starts
    ("time", None, "field.required"),
    ("content", None, "field.required"),
])
def test_each_field_rule_lands_on_its_cell(unit, key, value, code):
    row = event(unit)
    unit.set("schedule", row, key, value)
    res = sync(unit.save(), as_of="2026-10-26")
    f = findings_of(res, tab="schedule")
    hit = f[f["cell"] == cell(unit, row, key)]
    assert code in set(hit["code"]), f.to_string()
    assert set(hit["severity"]) == {"error"}
    assert schedule_events(res.evaluation).empty  # a row with a broken date, time or content is not printed


def test_a_bad_time_says_what_is_expected(unit):
    row = event(unit, time="sáng thứ Hai")
    res = sync(unit.save(), as_of="2026-10-26")
    msg = findings_of(res, "field.type", "schedule")["message"].iloc[0]
    assert "'sáng thứ Hai' không hợp lệ ở cột Thời gian" in msg and "08:00" in msg
    assert cell(unit, row, "time") in set(findings_of(res, tab="schedule")["cell"])


def test_the_same_event_twice_is_a_duplicate(unit):
    a = event(unit)
    b = event(unit, time="8:00")
    res = sync(unit.save(), as_of="2026-10-26")
    f = findings_of(res, "row.key-duplicate", "schedule")
    assert sorted(f["row"]) == [a, b]
    assert "mỗi cuộc họp, hoạt động chỉ ghi một hàng" in f["message"].iloc[0]


def test_one_chair_in_two_overlapping_events_is_warned(unit):
    a = event(unit, time="8:00 - 10:00", chair="CB1")
    b = event(unit, time="9:00", content="Làm việc với Công an phường", chair="cb1")
    c = event(unit, time="10:00", content="Họp chi bộ", chair="CB1")  # starts as the first ends
    d = event(unit, time="9:00", content="Họp tổ dân phố", chair="CB2")
    res = sync(unit.save(), as_of="2026-10-26")
    f = findings_of(res, "schedule.chair-overlap", "schedule")
    assert sorted(f["row"]) == [a, b]
    assert set(f["severity"]) == {"warning"}
    assert c not in set(f["row"]) and d not in set(f["row"])
    assert "26/10/2026" in f["message"].iloc[0] and "cần xếp lại" in f["message"].iloc[0]


def test_each_overlapping_event_names_the_others_in_order_of_their_start(unit):
    late = event(unit, time="10:30", content="Tiếp công dân", chair="CB1")
    long = event(unit, time="9:00 - 11:00", content="Họp giao ban", chair="CB1")
    early = event(unit, time="8:00 - 9:30", content="Làm việc với tổ dân phố", chair="CB1")
    other_day = event(unit, day=MONDAY + dt.timedelta(days=1), time="9:00", content="Họp chi bộ", chair="CB1")
    res = sync(unit.save(), as_of="2026-10-26")
    f = findings_of(res, "schedule.chair-overlap", "schedule")
    assert f["row"].tolist() == [early, long, late]  # by start time within the chair's day
    said = dict(zip(f["row"], f["message"]))
    assert f"(cũng ở hàng {long})" in said[early]
    assert f"(cũng ở hàng {early}, {late})" in said[long]
    assert f"(cũng ở hàng {long})" in said[late]
    assert other_day not in set(f["row"])


def test_an_excel_time_cell_is_read_as_its_time(unit):
    row = event(unit, time=dt.time(7, 30))
    unit.ws("schedule").cell(row, unit.column_of("schedule", "time")).number_format = "hh:mm"
    res = sync(unit.save(), as_of="2026-10-26")
    assert findings_of(res, tab="schedule").empty
    assert list(schedule_events(res.evaluation)["time"]) == ["07:30"]
