"""Vectorised cell parsing: a column of raw cells (whatever people typed, as a backend read
it) becomes a typed column plus masks of blank and unparseable cells.

Raw cells arrive as Python objects: str, float, int, bool, date/datetime, None, or a
`CellIssue` marker. Each type is handled over the whole column at once: common forms go
through pandas' C paths, and only the rare odd cells (say "1.234,5") reach a Python function.

Rules (documented in the README):
- Numbers: `1.5` and `1,5` are both 1.5 (one separator is the decimal mark); `1.234.567`,
  `1 234 567` and `1,234,567` are thousands-grouped; `1.234,5` is 1234.5.
- Percentages: `80`, `80%` and `0,8` are all 80%: a value with a % sign is taken as written,
  a plain value from 0 to 1 is a fraction (so `1` means 100%), anything above 1 is in points.
- Dates: real date cells, spreadsheet serial numbers, and text `dd/mm/yyyy`, `d/m/yyyy`,
  `dd-mm-yyyy`, `dd.mm.yyyy`, ISO `yyyy-mm-dd` (a time part is ignored); years 1900 to 2100.
- Months: `mm/yyyy`, `m/yyyy`, `yyyy-mm`, `Tháng 11/2026`, or any date in the month.
- Weeks: ISO `2026-W47`, `W47/2026`, `Tuần 47/2026`, `47/2026`, or any date in the week.
- Times of day: `8:00`, `8h`, `8h30`, `8 giờ 30`, a span `7:30 - 9:00`, `Cả ngày`, or an
  Excel/Google time cell (a fraction of a day).
- Enums and yes/no: the canonical text, a code or an alias, in any case or composition.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

import numpy as np
import pandas as pd

from sheetsync.domain.calendar import (
    MONTH_FIRST,
    QUARTER_WRITTEN,
    WEEK_BARE,
    YEAR_FIRST,
    YEAR_WRITTEN,
    month_end,
    month_start,
    parse_time_span,
    time_from_fraction,
    week_of,
)
from sheetsync.domain.calendar import (
    parse_week as _parse_week_text,
)
from sheetsync.engine.cells import CellIssue
from sheetsync.errors import PeriodError
from sheetsync.text import normalize_key

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
MIN_YEAR, MAX_YEAR = 1900, 2100
# Serial numbers for 1/1/1900 .. 31/12/2100: anything else in a date column is not a date.
_SERIAL_MIN, _SERIAL_MAX = 2, 73415

_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d")
_DATETIME_SUFFIXES = (" %H:%M:%S", " %H:%M", "T%H:%M:%S")
_NUM_VN = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:[.\s]\d{3})+)(?:,\d+)?$")
_NUM_EN = re.compile(r"^[+-]?\d{1,3}(?:[,\s]\d{3})+(?:\.\d+)?$")

_DATE_TYPES = (dt.datetime, dt.date, pd.Timestamp)


class Parsed:
    """One column after parsing, as arrays in the order of the raw column's rows, and as Series
    on its index (sheet rows) when asked for. A tab's checks read the arrays: on a small tab,
    making four Series per column cost more than parsing it, and most are never looked at."""

    def __init__(self, index: pd.Index | None, value: np.ndarray, empty: np.ndarray, bad: np.ndarray,
                 issue: np.ndarray, codes: np.ndarray | None = None, distinct: np.ndarray | None = None):
        self._index = index  # None: positions (cells given as an array), made into an index when asked
        self.value_array = value  # typed values (float64, datetime64, or object text/canonical)
        self.empty_array = empty  # nothing in the cell (blank, spaces only) — or a CellIssue
        self.bad_array = bad  # something in the cell that is not a valid value of the type
        self.issue_array = issue  # the cell holds a CellIssue marker (reported separately)
        self.codes = codes  # row → position in `distinct` (when parsed by distinct value)
        self.distinct = distinct  # the parsed distinct values

    @property
    def index(self) -> pd.Index:
        if self._index is None:
            self._index = pd.RangeIndex(len(self.value_array))
        return self._index

    @functools.cached_property
    def value(self) -> pd.Series:
        return _series(self.index, self.value_array)

    @functools.cached_property
    def empty(self) -> pd.Series:
        return _series(self.index, self.empty_array)

    @functools.cached_property
    def bad(self) -> pd.Series:
        return _series(self.index, self.bad_array)

    @functools.cached_property
    def issue(self) -> pd.Series:
        return _series(self.index, self.issue_array)

    def per_distinct(self, func, vectorized: bool = False) -> pd.Series:
        """func over the parsed values, computed once per distinct value and spread to rows."""
        if self.codes is None or self.distinct is None:
            return map_distinct(self.value, func, vectorized)
        return pd.Series(self.per_distinct_array(func, vectorized), index=self.index, dtype=object)

    def per_distinct_array(self, func, vectorized: bool = False) -> np.ndarray:
        """`per_distinct` as an object array in row order."""
        if self.codes is None or self.distinct is None:
            return map_distinct(self.value, func, vectorized).to_numpy(dtype=object)
        vals = self.distinct
        out = np.array(func(list(vals)) if vectorized else [func(v) for v in vals], dtype=object)
        return out.take(self.codes)


def _series(index: pd.Index, a: np.ndarray) -> pd.Series:
    return pd.Series(a, index=index, dtype=a.dtype, copy=False)  # object stays object


def cell_types(raw: pd.Series) -> pd.Series:
    return pd.Series(_types(raw.to_numpy(dtype=object)), index=raw.index, dtype=object)


# The parsers work on plain arrays of cells and masks, and make Series only for what they
# return: they run over a column's distinct values, often a handful, where pandas' per-call
# cost would outweigh the work; on large columns the same array operations are as fast.

def _types(cells: np.ndarray) -> np.ndarray:
    return _TYPE_OF(cells).astype(object, copy=False)


_TYPE_OF = np.frompyfunc(type, 1, 1)  # in numpy's loop: filling an array from a list of classes is slow


def _cells(raw: pd.Series | np.ndarray, ty: pd.Series | np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The raw cells and their Python types, as object arrays."""
    cells = raw if isinstance(raw, np.ndarray) else raw.to_numpy(dtype=object)
    if ty is None:
        return cells, _types(cells)
    return cells, (ty if isinstance(ty, np.ndarray) else ty.to_numpy(dtype=object))


def _index(raw: pd.Series | np.ndarray) -> pd.Index | None:
    return None if isinstance(raw, np.ndarray) else raw.index


def _of_type(types: np.ndarray, kinds: tuple) -> np.ndarray:
    """Cells whose type is one of `kinds` (exactly: a bool is not an int here)."""
    mask = np.zeros(len(types), dtype=bool)
    for kind in kinds:
        boxed = np.empty((), dtype=object)
        boxed[()] = kind  # compared as an object: numpy would read np.float64 itself as a dtype
        mask |= types == boxed
    return mask


def _issues(types: np.ndarray) -> np.ndarray:
    return _of_type(types, (CellIssue,))


def _blanks(cells: np.ndarray, types: np.ndarray) -> np.ndarray:
    """Nothing in the cell: None/NaN, or text of spaces only."""
    is_str = _of_type(types, (str,))
    blank = pd.isna(cells) & ~is_str
    if is_str.any():
        blank[is_str] = [not x.strip() for x in cells[is_str]]
    return blank


def _clean_strings(values: np.ndarray) -> list:
    """Stripped NFC text, None for blanks: one pass in C-level string methods."""
    nfc = unicodedata.normalize
    return [nfc("NFC", x.strip()) or None for x in values]


def display_text(raw: pd.Series) -> pd.Series:
    """How each raw cell is quoted in a message (dates as dd/mm/yyyy, 12.0 as 12)."""
    return raw.map(_display_one)


def _display_one(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, _DATE_TYPES):
        return v.strftime("%d/%m/%Y")
    return str(v)


def to_text(raw: pd.Series, ty: pd.Series | None = None) -> pd.Series:
    """Cells as stripped NFC text (None where blank). Numbers typed into a text column
    come back as people see them: 1001.0 becomes "1001"."""
    cells, types = _cells(raw, ty)
    return pd.Series(_text_of(cells, types), index=raw.index, dtype=object)


def _text_of(cells: np.ndarray, types: np.ndarray) -> np.ndarray:
    out = np.full(len(cells), None, dtype=object)
    is_str = _of_type(types, (str,))
    if is_str.any():
        out[is_str] = _clean_strings(cells[is_str])
    other = ~is_str & ~pd.isna(cells) & ~_issues(types)
    if other.any():
        out[other] = [_display_one(v) for v in cells[other]]
    return out


def _vn_number(text: str) -> float:
    """The slow path for numbers pandas cannot read: Vietnamese grouping and decimal comma."""
    t = text.replace("\u00a0", " ").strip()
    if _NUM_VN.match(t):
        if "," in t:
            whole, frac = t.rsplit(",", 1)
        else:
            whole, frac = t, ""
        whole = whole.replace(".", "").replace(" ", "")
        return float(f"{whole}.{frac}" if frac else whole)
    if _NUM_EN.match(t):
        return float(t.replace(",", "").replace(" ", ""))
    return np.nan


_NUM_TYPES = (float, int, np.float64, np.int64)


def parse_number(raw: pd.Series, ty: pd.Series | None = None, percent: bool = False) -> Parsed:
    cells, types = _cells(raw, ty)
    issue = _issues(types)
    empty = _blanks(cells, types) | issue
    value = np.full(len(cells), np.nan)
    is_num = _of_type(types, _NUM_TYPES)
    if is_num.any():
        value[is_num] = cells[is_num].astype("float64")
    has_pct = np.zeros(len(cells), dtype=bool)
    is_str = _of_type(types, (str,)) & ~empty
    if is_str.any():
        s = [x.strip() for x in cells[is_str]]
        if percent:
            pct = [x.endswith("%") for x in s]
            has_pct[is_str] = pct
            s = [x[:-1].strip() if p else x for x, p in zip(s, pct)]
        text = np.empty(len(s), dtype=object)
        text[:] = s
        fast = np.array(pd.to_numeric(text, errors="coerce"), dtype="float64")
        slow = np.isnan(fast)
        if slow.any():
            fast[slow] = [_vn_number(x) for x in text[slow]]
        value[is_str] = fast
    value[~np.isfinite(value)] = np.nan
    bad = ~empty & np.isnan(value)
    if percent:
        # A fraction typed as 0..1 (or an Excel cell formatted as %) means that share of 100.
        frac = ~has_pct & (value >= 0) & (value <= 1) & ~bad
        value = np.where(frac, value * 100, value)
    return Parsed(_index(raw), value, empty, bad, issue)


def parse_integer(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    p = parse_number(raw, ty)
    v = p.value_array
    whole = np.isnan(v) | (v == np.floor(v))
    return Parsed(p._index, v, p.empty_array, p.bad_array | ~whole, p.issue_array)


_DAY = np.timedelta64(1, "D")


def parse_date(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    cells, types = _cells(raw, ty)
    issue = _issues(types)
    empty = _blanks(cells, types) | issue
    value = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[us]")
    is_date = _of_type(types, _DATE_TYPES)
    if is_date.any():
        value[is_date] = _days_of(cells[is_date])
    is_num = _of_type(types, _NUM_TYPES)
    if is_num.any():
        serial = cells[is_num].astype("float64")
        ok = (serial >= _SERIAL_MIN) & (serial <= _SERIAL_MAX)
        where = np.flatnonzero(is_num)[ok]
        value[where] = _EPOCH + np.floor(serial[ok]).astype("int64") * _DAY
    is_str = _of_type(types, (str,)) & ~empty
    if is_str.any():
        text = np.empty(int(is_str.sum()), dtype=object)
        text[:] = [x.strip() for x in cells[is_str]]
        value[is_str] = _dates_from_text(text)
    value[~_in_years(value)] = np.datetime64("NaT")
    bad = ~empty & np.isnat(value)
    return Parsed(_index(raw), value, empty, bad, issue)


_EPOCH = EXCEL_EPOCH.to_datetime64().astype("datetime64[us]")
_YEARS = (np.datetime64(f"{MIN_YEAR}-01-01", "us"), np.datetime64(f"{MAX_YEAR + 1}-01-01", "us"))


def _in_years(days: np.ndarray) -> np.ndarray:
    """Dates in the years MIN_YEAR..MAX_YEAR (NaT is not)."""
    return (days >= _YEARS[0]) & (days < _YEARS[1])


def _days_of(cells: np.ndarray) -> np.ndarray:
    """Date and datetime cells as their days (datetime64[us]): numpy reads Python dates directly,
    where pandas' parser costs a fixed ~100 µs a call. Time-zone aware stamps (no backend gives
    them) go through pandas, which places them in UTC."""
    if any(getattr(v, "tzinfo", None) is not None for v in cells):
        stamps = pd.to_datetime([_as_datetime(v) for v in cells], errors="coerce").floor("D")
        if getattr(stamps, "tz", None) is not None:  # the UTC instant, as numpy would take it (with a warning)
            stamps = stamps.tz_convert("UTC").tz_localize(None)
        return stamps.to_numpy().astype("datetime64[us]")
    days = [dt.date(v.year, v.month, v.day) for v in cells]
    return np.array(days, dtype="datetime64[D]").astype("datetime64[us]")


def _as_datetime(v):
    if isinstance(v, dt.datetime):
        return v
    return dt.datetime(v.year, v.month, v.day)


def _dates_from_text(text: np.ndarray) -> np.ndarray:
    """The day each text names (datetime64[us], NaT where none)."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    # Every accepted form starts with a digit (day or year) and has at least 8 characters (two
    # separators, a four-digit year); a form is tried only on text holding its separators.
    todo = np.fromiter((len(t) >= 8 and (t[0].isdigit() or t[0].isspace()) for t in text), dtype=bool,
                       count=len(text))
    # The usual forms read directly; a text that does not make a date this way goes on to the
    # formats below, in their order (no format before its own can read such a text).
    for i in np.flatnonzero(todo).tolist():
        day = _plain_date(text[i])
        if day is not None:
            out[i] = day
            todo[i] = False
    for fmt, literals in _DATE_FORMS:
        if not todo.any():
            break
        tried = todo.copy()
        tried[todo] = [all(c in t or c.lower() in t for c in literals) for t in text[todo]]
        if not tried.any():
            continue
        got = pd.to_datetime(text[tried], format=fmt, errors="coerce")
        hit = got.notna()
        where = np.flatnonzero(tried)[hit]
        out[where] = got[hit].floor("D").to_numpy().astype("datetime64[us]")
        todo[where] = False
    return out


# The forms of the first formats as pandas reads them (`%d`, `%m`: one or two digits, `%Y`: four),
# with ASCII digits; ISO `%Y-%m-%d` only with two-digit month and day (pandas reads ISO strictly).
_PLAIN_DATES = (
    (re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})"), (3, 2, 1)),
    (re.compile(r"([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})"), (3, 2, 1)),
    (re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"), (1, 2, 3)),
    (re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})"), (3, 2, 1)),
)


def _plain_date(text: str) -> np.datetime64 | None:
    """The day of a text in one of the usual date forms (`_PLAIN_DATES`), else None."""
    for pattern, (y, m, d) in _PLAIN_DATES:
        found = pattern.fullmatch(text)
        if found is not None:
            try:
                day = dt.date(int(found.group(y)), int(found.group(m)), int(found.group(d)))
            except ValueError:
                return None
            return np.datetime64(day, "us")
    return None


_DATE_FORMS = tuple((fmt, frozenset(re.sub(r"%.", "", fmt).replace(" ", "")))  # its separators
                    for fmt in _DATE_FORMATS + tuple(f + suf for f in _DATE_FORMATS for suf in _DATETIME_SUFFIXES))


def _parse_text_or_date(raw: pd.Series, ty: pd.Series | None, from_text, from_dates) -> Parsed:
    """The skeleton shared by months and weeks: text cells through `from_text` (a Series of
    canonical values, None where unreadable), date and number cells read as dates and turned
    into values by `from_dates` (a Series of Timestamps, NaT where none)."""
    cells, types = _cells(raw, ty)
    issue = _issues(types)
    empty = _blanks(cells, types) | issue
    value = np.full(len(cells), None, dtype=object)
    is_str = _of_type(types, (str,)) & ~empty
    if is_str.any():
        value[is_str] = from_text(pd.Series([x.strip() for x in cells[is_str]], dtype=object)).to_numpy()
    rest = ~is_str & ~empty
    if rest.any():
        value[rest] = from_dates(parse_date(cells[rest], types[rest]).value).to_numpy()
    bad = ~empty & pd.isna(value)
    return Parsed(_index(raw), value, empty, bad, issue)


def parse_month(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    """Months as canonical "YYYY-MM" text."""
    return _parse_text_or_date(raw, ty, _months_from_text, _months_of_dates)


def _months_of_dates(d: pd.Series) -> pd.Series:
    """"YYYY-MM" of each date (the years are 1900..2100), NaN where there is none: as
    `d.dt.strftime("%Y-%m").where(d.notna(), None)` gives them (a text column's missing value)."""
    days = d.to_numpy(dtype="datetime64[us]")
    out = np.full(len(days), np.nan, dtype=object)
    known = ~np.isnat(days)
    out[known] = np.datetime_as_string(days[known], unit="M").tolist()
    return pd.Series(out, index=d.index, dtype=object)


def _number_in(match: re.Match | None, group: int) -> int | None:
    """A regex group of digits as a number (ASCII digits only, as pandas reads numbers)."""
    text = match.group(group) if match is not None else None
    return int(text) if text is not None and text.isascii() else None


def _months_from_text(s: pd.Series) -> pd.Series:
    found = []
    for text in s.to_numpy(dtype=object):
        m, y = MONTH_FIRST.search(text), YEAR_FIRST.search(text)
        month = _number_in(m, 1)
        month = _number_in(y, 2) if month is None else month
        year = _number_in(m, 2)
        year = _number_in(y, 1) if year is None else year
        ok = month is not None and year is not None and 1 <= month <= 12 and MIN_YEAR <= year <= MAX_YEAR
        found.append(f"{year}-{month:02d}" if ok else None)
    out = np.empty(len(found), dtype=object)
    out[:] = found
    rest = np.array([f is None for f in found], dtype=bool)
    if rest.any():  # a date in the month (in the years read), its month as `_months_of_dates` names it
        days = _dates_from_text(s.to_numpy(dtype=object)[rest])
        named = np.full(len(days), np.nan, dtype=object)
        known = _in_years(days)
        named[known] = np.datetime_as_string(days[known], unit="M").tolist()
        out[rest] = named
    return pd.Series(out, index=s.index, dtype=object)


def parse_period(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    """A month ("YYYY-MM"), a quarter ("YYYY-Qn") or a year ("YYYY")."""
    cells, types = _cells(raw, ty)
    month = parse_month(raw, ty)
    value = month.value_array.copy()
    need = month.bad_array
    if need.any():
        text = _text_of(cells, types)
        found = []
        for t in text[need]:
            t = str(t)
            q, yr = QUARTER_WRITTEN.search(t), YEAR_WRITTEN.search(t)
            found.append(f"{q.group(2)}-Q{q.group(1)}" if q is not None else (yr.group(1) if yr is not None else None))
        value[need] = found
    year_num = _of_type(types, (float, int))
    year_num[year_num] = [v in _YEAR_RANGE for v in cells[year_num]]
    value[year_num] = [str(int(v)) for v in cells[year_num]]
    bad = ~month.empty_array & pd.isna(value)
    return Parsed(month._index, value, month.empty_array, bad, month.issue_array)


_YEAR_RANGE = range(MIN_YEAR, MAX_YEAR + 1)


def parse_week(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    """ISO weeks as canonical "YYYY-Www" text (from week text or any date in the week)."""
    return _parse_text_or_date(raw, ty, _weeks_from_text, lambda d: d.map(_week_of_stamp))


def _week_of_stamp(t) -> str | None:
    return week_of(t.date()) if pd.notna(t) and MIN_YEAR <= t.year <= MAX_YEAR else None


def _weeks_from_text(s: pd.Series) -> pd.Series:
    """Week text (`2026-W44`, `Tuần 44/2026`...) or, failing that, a date in the week."""
    text = s.to_numpy(dtype=object)
    found = [_week_or_none(t) for t in text]
    dated = [i for i, f in enumerate(found) if f is None]
    if dated:
        days = _dates_from_text(text[dated])
        for i, day in zip(dated, days):
            found[i] = _week_of_day(day)
    # As `s.map` reads them: a column holding some week is text, its gaps NaN; else None.
    gap = np.nan if any(f is not None for f in found) else None
    out = np.empty(len(found), dtype=object)
    out[:] = [gap if f is None else f for f in found]
    return pd.Series(out, index=s.index, dtype=object)


def _week_of_day(day: np.datetime64) -> str | None:
    """`_week_of_stamp` of a day as numpy holds it."""
    if np.isnat(day) or not MIN_YEAR <= day.astype("datetime64[Y]").astype("int64") + 1970 <= MAX_YEAR:
        return None
    return week_of(day.astype("datetime64[D]").item())


def _week_or_none(text: str) -> str | None:
    """A week written as a week; `11/2026` is refused in a cell (it reads as a month)."""
    if WEEK_BARE.match(text):
        return None
    try:
        return _parse_week_text(text)
    except PeriodError:
        return None


def parse_time(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    """Times of day as canonical text `HH:MM`, `HH:MM-HH:MM` or `Cả ngày` (domain.calendar)."""
    cells, types = _cells(raw, ty)
    issue = _issues(types)
    empty = _blanks(cells, types) | issue
    value = np.full(len(cells), None, dtype=object)
    value[~empty] = [_time_or_none(v) for v in cells[~empty]]
    bad = ~empty & pd.isna(value)
    return Parsed(_index(raw), value, empty, bad, issue)


def _time_or_none(v) -> str | None:
    if isinstance(v, str):
        return parse_time_span(v)
    if isinstance(v, bool):
        return None
    if isinstance(v, dt.time):
        return f"{v.hour:02d}:{v.minute:02d}"
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        return f"{v.hour:02d}:{v.minute:02d}"  # an Excel time read with its epoch day, or a date and time
    if isinstance(v, (int, float, np.integer, np.floating)):
        return time_from_fraction(float(v))
    return None


def parse_enum(raw: pd.Series, lookup: dict[str, str], default: str | None = None,
               ty: pd.Series | None = None) -> Parsed:
    cells, types = _cells(raw, ty)
    issue = _issues(types)
    text = _text_of(cells, types)
    empty = pd.isna(text) | issue
    value = np.full(len(cells), None, dtype=object)
    filled = ~empty
    if filled.any():
        value[filled] = [lookup.get(normalize_key(t), np.nan) for t in text[filled]]
    bad = filled & pd.isna(value)
    if default is not None:
        value[empty] = default
    return Parsed(_index(raw), value, empty, bad, issue)


def yes_no(value, lookup: dict[str, str], yes: str = "Có") -> bool | None:
    """One value read as a cell of a yes/no column is (the `yesno` list, matched on
    `normalize_key` like `parse_enum`): True for yes, False for no or blank, None when it is
    neither. Configuration reads its yes/no settings through this too, so `"false"` or `Không`
    there never means yes."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    text = value if isinstance(value, str) else _display_one(value)
    if not text.strip():
        return False
    found = lookup.get(normalize_key(text))
    return None if found is None else found == yes


def parse_text(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    cells, types = _cells(raw, ty)
    issue = _issues(types)
    value = _text_of(cells, types)
    empty = pd.isna(value) | issue
    return Parsed(_index(raw), value, empty, np.zeros(len(cells), dtype=bool), issue)


def parse_list(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    """Comma- or semicolon-separated codes, as a tuple per cell (empty tuple when blank)."""
    p = parse_text(raw, ty)
    value = np.empty(len(p.value_array), dtype=object)
    for i, t in enumerate(p.value_array):  # one by one: numpy would spread a tuple over cells
        value[i] = tuple(x for x in (p.strip() for p in re.split(r"[,;]", t)) if x) if isinstance(t, str) else ()
    return Parsed(p._index, value, p.empty_array, p.bad_array, p.issue_array)


def parse_field(field, raw: pd.Series) -> Parsed:
    """Parse a raw column according to a schema field's type (`parse_fields` for one column)."""
    return parse_fields([field], raw.to_frame(field.key))[field.key]


def parse_fields(fields, raw: pd.DataFrame) -> dict:
    """Parse the columns of `raw` named by `fields` (schema fields, by key) according to their types.

    Columns in a sheet repeat themselves (a few hundred staff codes, dates and quantities over
    a million rows), so each distinct cell value is parsed once and the result is broadcast
    back by code: the cost follows the number of distinct values, not of rows. On a small tab,
    columns that parse alike (same type, vocabulary and default) are parsed in one pass over
    all their distinct values, so the tab pays each parser's fixed cost once, not once per
    column; a large tab's columns are parsed one at a time (there the fixed cost is nothing,
    and sharing would only hold every column's distinct values at once).
    """
    out: dict = {}
    if len(raw) > _SHARED_PASS_LIMIT:
        for f in fields:
            _parse_batch([(f, *_factorize(raw[f.key]))], raw.index, out)
        return out
    # A tab's raw cells (every column `object`: one block) as one array, columns by position;
    # a frame of other dtypes column by column.
    if all(t == object for t in raw.dtypes):
        cells = raw.to_numpy(dtype=object)
        at = {k: i for i, k in enumerate(raw.columns)}
        columns = {f.key: cells[:, at[f.key]] for f in fields}
    else:
        columns = {f.key: raw[f.key].to_numpy() for f in fields}
    batches: dict[tuple, list] = {}
    for f in fields:
        batches.setdefault(_parse_signature(f), []).append((f, *factorize(columns[f.key])))
    for batch in batches.values():
        _parse_batch(batch, raw.index, out)
    return out


_SHARED_PASS_LIMIT = 10_000  # rows of a tab beyond which its columns are parsed one at a time


def _factorize(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a column, -1 for blanks, on its array: the Series wrapper
    adds nothing here but its fixed cost, paid once per column of every tab."""
    return factorize(column.to_numpy())


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize(values, use_na_sentinel=True)`. A small column of text and None (most
    columns of a small tab) through a dict: the same codes and distinct values, in order of first
    appearance, without pandas' fixed cost."""
    if values.dtype == object and len(values) <= _DICT_FACTORIZE and all(
            type(v) is str or v is None for v in values.tolist()):
        seen: dict = {}
        codes = np.fromiter((-1 if v is None else seen.setdefault(v, len(seen)) for v in values.tolist()),
                            dtype=np.intp, count=len(values))
        uniques = np.empty(len(seen), dtype=object)
        uniques[:] = list(seen)
        return codes, uniques
    return pd.factorize(values, use_na_sentinel=True)


_DICT_FACTORIZE = 2_000  # values; beyond, pandas' hash table is faster


def _parse_batch(batch: list, index: pd.Index, out: dict) -> None:
    """Parse the distinct values of the columns in `batch` ((field, codes, uniques) each, fields
    that parse alike) in one pass, and spread each column's results to its rows in `out`."""
    distinct: list = []
    starts = []
    for _, _, uniques in batch:
        starts.append(len(distinct))
        distinct.extend(uniques)
    blank = len(distinct)  # blank cells (None/NaN) share one slot at the end, so every code is valid
    cells = np.empty(len(distinct) + 1, dtype=object)
    cells[:-1] = distinct
    p = _parse_distinct(batch[0][0], cells)
    arrays = [p.value_array, p.empty_array, p.bad_array, p.issue_array]
    for (f, codes, uniques), start in zip(batch, starts):
        if len(batch) == 1:
            own, local = arrays, np.where(codes < 0, blank, codes)
        else:  # this column's distinct values (and the blank slot), and its codes into them
            at = np.append(np.arange(start, start + len(uniques)), blank)
            own, local = [a.take(at) for a in arrays], np.where(codes < 0, len(uniques), codes)
        out[f.key] = Parsed(index, *(a.take(local) for a in own), local, own[0])


def _parse_signature(field) -> tuple:
    """What decides how a field's cells parse: fields alike in this parse in one pass."""
    return (field.type, id(field.enum) if field.type == "enum" else None,
            field.default if field.type == "enum" else None)


def _parse_distinct(field, raw: np.ndarray) -> Parsed:
    ty = _types(raw)
    t = field.type
    if t == "text":
        return parse_text(raw, ty)
    if t == "number":
        return parse_number(raw, ty)
    if t == "percent":
        return parse_number(raw, ty, percent=True)
    if t == "integer":
        return parse_integer(raw, ty)
    if t == "date":
        return parse_date(raw, ty)
    if t == "month":
        return parse_month(raw, ty)
    if t == "period":
        return parse_period(raw, ty)
    if t == "week":
        return parse_week(raw, ty)
    if t == "time":
        return parse_time(raw, ty)
    if t == "enum":
        return parse_enum(raw, field.enum.lookup(), field.default, ty)
    if t == "list":
        return parse_list(raw, ty)
    raise ValueError(f"unknown field type {t!r}")


def map_distinct(s: pd.Series, func, vectorized: bool = False) -> pd.Series:
    """`s.map(func)` computed once per distinct value (NaN/None stay None). With
    `vectorized`, func takes the list of distinct values and returns a list."""
    return pd.Series(map_distinct_array(s, func, vectorized), index=s.index, dtype=object, copy=False)


def map_distinct_array(s: pd.Series, func, vectorized: bool = False) -> np.ndarray:
    """`map_distinct` as an object array in the column's order."""
    # An object column is factorized as its array (the same distinct values, without the
    # Series wrapper's cost); other dtypes as the Series (datetimes stay Timestamps).
    codes, uniques = factorize(s.to_numpy()) if s.dtype == object else pd.factorize(s, use_na_sentinel=True)
    if len(uniques) == 0:
        return np.full(len(s), None, dtype=object)
    done = func(list(uniques)) if vectorized else [func(u) for u in uniques]
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = list(done)
    return mapped.take(np.where(codes < 0, len(uniques), codes))


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(month_start(month)), pd.Timestamp(month_end(month))
