"""The schedule as an iCalendar file (RFC 5545, with the `icalendar` library) that phones and
Outlook import or subscribe to, with the month's evaluation deadlines as all-day events.

Times are local to Asia/Ho_Chi_Minh (a VTIMEZONE is included). Every event's UID is derived from
what identifies it, never from its position or the export time, so exporting again updates the
events a calendar already has instead of adding copies: a schedule event by its unit, date,
content and its rank among same-content events that day (its time and place may change); a
deadline by the scope, the step and the month.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from sheetsync.config.profile import Profile
from sheetsync.domain.calendar import month_label, month_of, month_range, next_month
from sheetsync.history.tracking import month_deadlines
from sheetsync.schedule.document import ScheduleLayout
from sheetsync.text import normalize_key

TIMEZONE = "Asia/Ho_Chi_Minh"
PRODID = "-//sheetsync//Lich cong tac//VI"


def _uid(*parts: str) -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]
    return f"{digest}@sheetsync"


def event_uids(events: pd.DataFrame) -> dict:
    """A stable UID per event row, by index label (events need columns unit, date, start, content)."""
    seen: dict[tuple, int] = {}
    out: list[tuple] = []
    for x in events.sort_values(["unit", "date", "start", "row"], kind="stable").itertuples():
        key = (normalize_key(x.unit), pd.Timestamp(x.date).strftime("%Y-%m-%d"), normalize_key(x.content))
        seen[key] = seen.get(key, 0) + 1
        out.append((x.Index, _uid("event", *key, str(seen[key]))))
    return dict(out)


def deadline_months(events: pd.DataFrame, week_first: date) -> list[str]:
    """The months whose deadlines go into the calendar: from the earliest month with an event
    (or the week's) to the month after the latest (so the coming deadlines are always there)."""
    months = {month_of(week_first)} | {month_of(pd.Timestamp(d).date()) for d in events["date"]}
    return month_range(min(months), next_month(max(months)))


def _description(x) -> str:
    parts = [("Chủ trì", x.chair), ("Thành phần", x.participants), ("Đơn vị chuẩn bị", x.preparing_unit),
             ("Ghi chú", x.note), ("Đơn vị", x.unit)]
    return "\n".join(f"{k}: {v}" for k, v in parts if isinstance(v, str) and v)


def build_calendar(scope: str, events: pd.DataFrame, profile: Profile, layout: ScheduleLayout, week_first: date,
                   *, stamp: datetime | None = None):
    """The calendar of `scope`: every event of `events` (all weeks: a subscription shows the
    whole schedule), and the deadlines of the months they cover."""
    from icalendar import Calendar, Event, vDuration

    tz = ZoneInfo(TIMEZONE)
    stamp = (stamp or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = layout.calendar.get("name") or f"Lịch công tác – {scope}"
    cal.add("x-wr-calname", name)
    cal.add("name", name)
    cal.add("x-wr-timezone", TIMEZONE)
    hours = layout.calendar.get("refresh_hours")
    if isinstance(hours, (int, float)) and hours > 0:
        cal.add("refresh-interval", vDuration(timedelta(hours=hours)), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(timedelta(hours=hours)))
    minutes = layout.calendar.get("default_minutes", 60)
    minutes = minutes if isinstance(minutes, (int, float)) and minutes > 0 else 60
    uids = event_uids(events) if len(events) else {}
    for x in events.itertuples():
        ev = Event()
        ev.add("uid", uids[x.Index])
        ev.add("dtstamp", stamp)
        ev.add("summary", x.content)
        day = pd.Timestamp(x.date).date()
        if not x.start:
            ev.add("dtstart", day)
            ev.add("dtend", day + timedelta(days=1))
        else:
            start = datetime.combine(day, time(int(x.start[:2]), int(x.start[3:]))).replace(tzinfo=tz)
            if x.end:
                end = datetime.combine(day, time(0)).replace(tzinfo=tz) + timedelta(hours=int(x.end[:2]),
                                                                                 minutes=int(x.end[3:]))
            else:
                end = start + timedelta(minutes=minutes)
            ev.add("dtstart", start)
            ev.add("dtend", end)
        if x.place:
            ev.add("location", x.place)
        desc = _description(x)
        if desc:
            ev.add("description", desc)
        if x.unit:
            ev.add("categories", [x.unit])
        ev.add("transp", "OPAQUE")
        cal.add_component(ev)
    for month in deadline_months(events, week_first):
        for step, day in month_deadlines(month, profile):
            ev = Event()
            ev.add("uid", _uid("deadline", normalize_key(scope), step, month))
            ev.add("dtstamp", stamp)
            ev.add("summary", f"Hạn {step} tháng {month_label(month)}")
            ev.add("dtstart", day)
            ev.add("dtend", day + timedelta(days=1))
            ev.add("description", f"Hạn {step} của tháng {month_label(month)} theo bộ tiêu chí {profile.title}.")
            ev.add("categories", ["Hạn đánh giá tháng"])
            ev.add("transp", "TRANSPARENT")
            cal.add_component(ev)
    cal.add_missing_timezones()
    return cal


def write_ics(path: Path, calendar) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(calendar.to_ical())
    tmp.replace(path)
    return path
