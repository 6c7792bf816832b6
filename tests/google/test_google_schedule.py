"""The work schedule on Google: the tab made by `init`, dates typed as Sheets turns them into
date cells, times as text, the same findings and events as the .xlsx backend, a quiet re-sync."""

from __future__ import annotations

import datetime as dt

from googlebook import SCHEMAS, GoogleBook, sync

from sheetsync.engine.schedule import schedule_events


def test_the_schedule_is_checked_and_read_on_google_like_on_xlsx(emulator, gc):
    book = GoogleBook(gc)
    assert SCHEMAS["schedule"].title in [ws.title for ws in book.sh.worksheets()]
    book.person("CB1", "Nguyễn Văn An")
    book.product("SP1", 1)
    rows = [
        dict(date=dt.date(2026, 10, 26), time="8h00", content="Giao ban", chair="CB1", place="Phòng họp 1"),
        dict(date=dt.date(2026, 10, 26), time="9:00", content="Tiếp dân", chair="CB1"),  # after the 8h event: no overlap
        dict(date="31/02/2026", time="14:00", content="Họp"),  # not a real day
        dict(date=dt.date(2026, 10, 27), time="chiều", content="Kiểm tra"),  # no hour
        dict(date=dt.date(2026, 10, 28), time="7:30 - 11:30", content="Kiểm tra công trình",
             participants="CB1, Phòng Kinh tế"),
    ]
    for r in rows:
        book.add("schedule", **r)
    book.save()

    result, _ = sync(book, as_of="2026-10-26")
    f = result.evaluation.findings
    mine = f[f["tab"] == SCHEMAS["schedule"].title]
    assert sorted(zip(mine["row"], mine["code"])) == [(4, "field.type"), (5, "field.type")]
    events = schedule_events(result.evaluation)
    assert list(events["time"]) == ["08:00", "09:00", "07:30-11:30"]
    assert list(events["date"].dt.strftime("%d/%m")) == ["26/10", "26/10", "28/10"]
    assert events["participants"].iloc[2] == "Nguyễn Văn An, Phòng Kinh tế"

    col = book.column_of("schedule", "check_status") - 1
    status = [r[col] for r in book.values("schedule")[1:6]]
    assert status == ["Hợp lệ", "Hợp lệ", "Lỗi", "Lỗi", "Hợp lệ"]
    again, _ = sync(book, as_of="2026-10-26")
    assert not again.plan


def test_sheetsync_schedule_prints_and_exports_a_google_units_week(emulator, gc, tmp_path):
    import icalendar

    from sheetsync.service.schedule import schedule

    book = GoogleBook(gc, unit="Phòng Kinh tế")
    book.person("CB1", "Nguyễn Văn An")
    book.add("schedule", date=dt.date(2026, 10, 26), time="8h00", content="Giao ban", chair="CB1", place="Phòng họp 1")
    book.add("schedule", date=dt.date(2026, 10, 29), time="14:00 - 16:00", content="Kiểm tra công trình")
    book.save()
    res = schedule([book.source], week="2026-W44", out=tmp_path, formats=["html", "ics"])
    assert res.exit_code == 0, res.messages
    (scope,) = res.scopes
    assert scope.name == "Phòng Kinh tế" and scope.events == 2
    html = scope.paths["html"].read_text(encoding="utf-8")
    assert "CỦA PHÒNG KINH TẾ" in html and "Nguyễn Văn An" in html and "14h00 - 16h00" in html
    cal = icalendar.Calendar.from_ical(scope.paths["ics"].read_bytes())
    starts = {str(e["SUMMARY"]): e.decoded("DTSTART") for e in cal.walk("VEVENT")}
    assert starts["Kiểm tra công trình"].isoformat() == "2026-10-29T14:00:00+07:00"
