"""Months, quarters, years and dates: how people write them, how sheetsync keys them, how
they are shown, and the days of the month a deadline falls on.

A month is keyed `yyyy-mm` everywhere inside sheetsync (store, JSON, file names) and shown
`mm/yyyy`. People may type either, and `Tháng 11/2026`; a date is typed `dd/mm/yyyy` (the
Vietnamese way) or `yyyy-mm-dd`. Quarters are typed `2/2026`, `Q2/2026`, `Quý 2/2026` or
`2026-Q2`, and shown `Quý II/2026`.
"""

from __future__ import annotations

import calendar as _cal
import re
from dataclasses import dataclass
from datetime import date, timedelta

from sheetsync.errors import PeriodError

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

# The written forms, shared with the engine's vectorised cell parsers (engine/values.py).
MONTH_FIRST = re.compile(r"^(?:tháng\s*)?(\d{1,2})\s*[/.\-]\s*(\d{4})$", re.IGNORECASE)  # 11/2026
YEAR_FIRST = re.compile(r"^(\d{4})\s*[/\-]\s*(\d{1,2})$")  # 2026-11
QUARTER_WRITTEN = re.compile(r"^(?:q|quý)\s*([1-4])\s*[/.\-]\s*(\d{4})$", re.IGNORECASE)  # Q2/2026
QUARTER_BARE = re.compile(r"^([1-4])\s*[/.\-]\s*(\d{4})$")  # 2/2026: a quarter only where one is asked for
QUARTER_ISO = re.compile(r"^(\d{4})\s*-?\s*q([1-4])$", re.IGNORECASE)  # 2026-Q2
YEAR_WRITTEN = re.compile(r"^(?:năm\s*)?(\d{4})$", re.IGNORECASE)  # 2026, Năm 2026
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_VN_DATE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$")


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_month(text: str) -> str:
    """`2026-11`, `11/2026`, `Tháng 11/2026` → `2026-11`; anything else raises PeriodError."""
    t = " ".join(str(text).split())
    m = YEAR_FIRST.match(t)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
    else:
        m = MONTH_FIRST.match(t)
        if not m:
            raise PeriodError(f"'{text}' không phải tháng; cần dạng mm/yyyy (ví dụ 11/2026) hoặc yyyy-mm (2026-11).")
        mo, y = int(m.group(1)), int(m.group(2))
    if not 1 <= mo <= 12:
        raise PeriodError(f"'{text}' không phải tháng: tháng phải từ 1 đến 12.")
    return month_key(y, mo)


def parse_date(text: str | date) -> date:
    """`26/11/2026` or `2026-11-26` → a date; anything else raises PeriodError."""
    if isinstance(text, date):
        return text
    t = str(text).strip()
    try:
        m = _VN_DATE.match(t)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _ISO_DATE.match(t)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise PeriodError(f"'{text}' không phải một ngày có thật.") from None
    raise PeriodError(f"'{text}' không phải ngày; cần dạng dd/mm/yyyy (ví dụ 26/11/2026) hoặc yyyy-mm-dd.")


def parse_months(spec: str) -> list[str]:
    """One month, a comma list, or a range `a..b` (each end in any form `parse_month` reads)."""
    spec = spec.strip()
    if ".." in spec:
        first, last = (parse_month(x) for x in spec.split("..", 1))
        if last < first:
            raise PeriodError(f"Khoảng tháng '{spec}' ngược: tháng đầu sau tháng cuối.")
        return month_range(first, last)
    months = [parse_month(x) for x in spec.split(",") if x.strip()]
    if not months:
        raise PeriodError("Cần ít nhất một tháng.")
    return months


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while month_key(y, m) <= last:
        out.append(month_key(y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_label(month: str) -> str:
    """`2026-03` as people read it: `03/2026`."""
    return f"{month[5:7]}/{month[:4]}"


def month_of(day: date) -> str:
    return month_key(day.year, day.month)


def month_start(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def month_end(month: str) -> date:
    y, m = int(month[:4]), int(month[5:7])
    return date(y, m, _cal.monthrange(y, m)[1])


def next_month(month: str) -> str:
    return month_of(month_end(month) + timedelta(days=1))


def last_months(day: date, n: int = 12) -> list[str]:
    """The n months up to and including the month of `day`, oldest first."""
    out = [month_of(day)]
    while len(out) < n:
        out.insert(0, month_of(month_start(out[0]) - timedelta(days=1)))
    return out


def day_in_month(month: str, day: int) -> date:
    """Day `day` of the month, or its last day when the month is shorter (a deadline on the
    30th falls on 28 February)."""
    y, m = int(month[:4]), int(month[5:7])
    return date(y, m, min(day, _cal.monthrange(y, m)[1]))


@dataclass(frozen=True)
class Period:
    """A quarter or a year of monthly results."""

    kind: str  # "quarter" | "year"
    year: int
    quarter: int | None = None

    @property
    def months(self) -> list[str]:
        first, last = ((self.quarter - 1) * 3 + 1, self.quarter * 3) if self.quarter else (1, 12)
        return [month_key(self.year, m) for m in range(first, last + 1)]

    @property
    def label(self) -> str:
        return f"Quý {ROMAN[self.quarter]}/{self.year}" if self.quarter else f"Năm {self.year}"

    @property
    def phrase(self) -> str:
        """The label inside a sentence: "quý II/2026", "năm 2026"."""
        return self.label[0].lower() + self.label[1:]

    @property
    def slug(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else str(self.year)


def parse_quarter(text: str) -> Period:
    """`2/2026`, `Q2/2026`, `Quý 2/2026`, `2026-Q2` → the quarter."""
    t = " ".join(str(text).split())
    m = QUARTER_WRITTEN.match(t) or QUARTER_BARE.match(t)
    if m:
        return Period("quarter", int(m.group(2)), int(m.group(1)))
    m = QUARTER_ISO.match(t)
    if m:
        return Period("quarter", int(m.group(1)), int(m.group(2)))
    raise PeriodError(f"'{text}' không phải quý; cần dạng q/yyyy, ví dụ 2/2026 hoặc Q2/2026.")


def parse_year(text: str | int) -> Period:
    m = YEAR_WRITTEN.match(str(text).strip())
    if m:
        return Period("year", int(m.group(1)))
    raise PeriodError(f"'{text}' không phải năm; cần dạng yyyy, ví dụ 2026.")


# -- ISO weeks ---------------------------------------------------------------------------------
# A week is keyed `2026-W47` (ISO 8601: weeks start on Monday, week 1 holds the year's first
# Thursday) and shown `Tuần 47/2026 (16/11–22/11)`. People may type `2026-W47`, `W47/2026`,
# `Tuần 47/2026`, `47/2026` where a week is asked for, or any date in the week.
WEEK_ISO = re.compile(r"^(\d{4})\s*-?\s*w\s*(\d{1,2})$", re.IGNORECASE)  # 2026-W47
WEEK_WRITTEN = re.compile(r"^(?:w|tuần)\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$", re.IGNORECASE)  # Tuần 47/2026, W47/2026
WEEK_BARE = re.compile(r"^(\d{1,2})\s*/\s*(\d{4})$")  # 47/2026: a week only where one is asked for


def week_key(year: int, week: int) -> str:
    return f"{year:04d}-W{week:02d}"


def weeks_in_year(year: int) -> int:
    """52 or 53: the ISO week of 28 December is always the year's last."""
    return date(year, 12, 28).isocalendar()[1]


def week_of(day: date) -> str:
    iso = day.isocalendar()
    return week_key(iso[0], iso[1])


def week_start(week: str) -> date:
    """The Monday of an ISO week key."""
    return date.fromisocalendar(int(week[:4]), int(week[6:8]), 1)


def week_end(week: str) -> date:
    return week_start(week) + timedelta(days=6)


def week_day(week: str, weekday: int) -> date:
    """Day `weekday` (ISO: 1 = Monday … 7 = Sunday) of the week: the weekly report day."""
    return week_start(week) + timedelta(days=weekday - 1)


def week_label(week: str) -> str:
    """`2026-W47` as people read it: `Tuần 47/2026 (16/11–22/11)`."""
    a, b = week_start(week), week_end(week)
    return f"Tuần {int(week[6:8])}/{week[:4]} ({a:%d/%m}–{b:%d/%m})"


def parse_week(text: str | date) -> str:
    """`2026-W47`, `W47/2026`, `Tuần 47/2026`, `47/2026` or a date in the week → `2026-W47`;
    anything else raises PeriodError."""
    if isinstance(text, date):
        return week_of(text)
    t = " ".join(str(text).split())
    m = WEEK_ISO.match(t)
    if m:
        y, w = int(m.group(1)), int(m.group(2))
    else:
        m = WEEK_WRITTEN.match(t) or WEEK_BARE.match(t)
        if not m:
            try:
                return week_of(parse_date(t))
            except PeriodError:
                raise PeriodError(f"'{text}' không phải tuần; cần dạng yyyy-Www (ví dụ 2026-W47), "
                                  "Tuần 47/2026 hoặc một ngày trong tuần.") from None
        w, y = int(m.group(1)), int(m.group(2))
    if not 1 <= w <= weeks_in_year(y):
        raise PeriodError(f"'{text}' không phải tuần: năm {y} có các tuần từ 1 đến {weeks_in_year(y)}.")
    return week_key(y, w)


def weeks_between(first: str, last: str) -> int:
    """How many weeks `last` is after `first` (negative when before)."""
    return (week_start(last) - week_start(first)).days // 7


# -- times of day (the work schedule) ----------------------------------------------------------
# A schedule's time is kept as `HH:MM` or `HH:MM-HH:MM` (start and end), or `Cả ngày` for an
# event without hours. People write `8:00`, `08h00`, `8h`, `8 giờ 30`, `8g30`, a range joined by
# `-`, `–` or `đến`, or an Excel time (a fraction of a day).
ALL_DAY = "Cả ngày"
_CLOCK = r"(\d{1,2})\s*(?:(?::|h|g|giờ)\s*(\d{2})?)?\s*(?:phút)?"
_TIME_ONE = re.compile(rf"^{_CLOCK}$", re.IGNORECASE)
_TIME_RANGE = re.compile(rf"^{_CLOCK}\s*(?:-|–|—|đến|tới|->)\s*{_CLOCK}$", re.IGNORECASE)
_ALL_DAY = re.compile(r"^(?:cả ngày|ca ngay|cả ngày làm việc)$", re.IGNORECASE)


def _clock(hour: str, minute: str | None, *, bare_ok: bool) -> str | None:
    h, m = int(hour), int(minute or 0)
    if minute is None and not bare_ok:
        return None
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return f"{h:02d}:{m:02d}"


def parse_time_span(text: str) -> str | None:
    """A time of day or a span as written (`8h`, `7:30 - 9:00`, `14 giờ`, `Cả ngày`) → its
    canonical form (`08:00`, `07:30-09:00`, `Cả ngày`); None when it is not one (a bare `8` is
    not a time; an end not after the start is not a span)."""
    t = " ".join(str(text).split())
    if _ALL_DAY.match(t):
        return ALL_DAY
    m = _TIME_ONE.match(t)
    if m:
        has_unit = bool(re.search(r"[:hg]|giờ", t, re.IGNORECASE))
        return _clock(m.group(1), m.group(2), bare_ok=has_unit)
    m = _TIME_RANGE.match(t)
    if m:
        a = _clock(m.group(1), m.group(2), bare_ok=True)
        b = _clock(m.group(3), m.group(4), bare_ok=True)
        if a is None or b is None or b <= a:
            return None
        return f"{a}-{b}"
    return None


def time_from_fraction(fraction: float) -> str | None:
    """An Excel or Google time (a fraction of a day, 0.3125 = 07:30) → `HH:MM`."""
    if not 0 <= fraction < 1:
        return None
    minutes = int(round(fraction * 24 * 60))
    return None if minutes >= 24 * 60 else f"{minutes // 60:02d}:{minutes % 60:02d}"


def time_bounds(span: str) -> tuple[str | None, str | None]:
    """(start, end) of a canonical time span; (None, None) for `Cả ngày`."""
    if span == ALL_DAY:
        return None, None
    start, _, end = span.partition("-")
    return start, end or None


def weekday_name(day: date) -> str:
    """`Thứ Hai` … `Thứ Bảy`, `Chủ nhật`: how a schedule names its days."""
    return ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")[day.weekday()]
