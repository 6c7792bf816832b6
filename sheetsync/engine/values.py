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
import re
import unicodedata
from dataclasses import dataclass

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


@dataclass
class Parsed:
    """One column after parsing. All series share the raw column's index (sheet rows)."""

    value: pd.Series  # typed values (float64, datetime64, or object text/canonical)
    empty: pd.Series  # nothing in the cell (blank, spaces only) — or a CellIssue
    bad: pd.Series  # something in the cell that is not a valid value of the type
    issue: pd.Series  # the cell holds a CellIssue marker (reported separately)
    codes: np.ndarray | None = None  # row → position in `distinct` (when parsed by distinct value)
    distinct: pd.Series | None = None  # the parsed distinct values

    def per_distinct(self, func, vectorized: bool = False) -> pd.Series:
        """func over the parsed values, computed once per distinct value and spread to rows."""
        if self.codes is None or self.distinct is None:
            return map_distinct(self.value, func, vectorized)
        vals = self.distinct.to_numpy()
        out = np.array(func(list(vals)) if vectorized else [func(v) for v in vals], dtype=object)
        return pd.Series(out.take(self.codes), index=self.value.index, dtype=object)


def cell_types(raw: pd.Series) -> pd.Series:
    return raw.map(type)


def _blank(raw: pd.Series, ty: pd.Series) -> pd.Series:
    is_str = (ty == str).to_numpy()
    blank = raw.isna().to_numpy() & ~is_str
    if is_str.any():
        blank[is_str] = [not x.strip() for x in raw.to_numpy()[is_str]]
    return pd.Series(blank, index=raw.index)


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
    ty = cell_types(raw) if ty is None else ty
    out = pd.Series(None, index=raw.index, dtype=object)
    is_str = ty == str
    if is_str.any():
        out[is_str] = _clean_strings(raw[is_str].to_numpy())
    other = ~is_str & raw.notna() & (ty != CellIssue)
    if other.any():
        out[other] = raw[other].map(_display_one)
    return out


def _issue_mask(ty: pd.Series) -> pd.Series:
    return ty == CellIssue


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


def parse_number(raw: pd.Series, ty: pd.Series | None = None, percent: bool = False) -> Parsed:
    ty = cell_types(raw) if ty is None else ty
    issue = _issue_mask(ty)
    empty = _blank(raw, ty) | issue
    value = pd.Series(np.nan, index=raw.index, dtype="float64")
    is_num = ty.isin((float, int, np.float64, np.int64))
    if is_num.any():
        value[is_num] = raw[is_num].astype("float64")
    has_pct = pd.Series(False, index=raw.index)
    is_str = (ty == str) & ~empty
    if is_str.any():
        s = raw[is_str].str.strip()
        if percent:
            pct = s.str.endswith("%")
            has_pct[is_str] = pct
            s = s.where(~pct, s.str[:-1].str.strip())
        fast = pd.to_numeric(s, errors="coerce")
        slow = fast.isna()
        if slow.any():
            fast[slow] = s[slow].map(_vn_number)
        value[is_str] = fast.astype("float64")
    value = value.where(np.isfinite(value))
    bad = ~empty & value.isna()
    if percent:
        # A fraction typed as 0..1 (or an Excel cell formatted as %) means that share of 100.
        frac = ~has_pct & value.between(0, 1) & ~bad
        value = value.where(~frac, value * 100)
    return Parsed(value, empty, bad, issue)


def parse_integer(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    p = parse_number(raw, ty)
    whole = p.value.isna() | (p.value == np.floor(p.value))
    return Parsed(p.value, p.empty, p.bad | ~whole, p.issue)


def parse_date(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    ty = cell_types(raw) if ty is None else ty
    issue = _issue_mask(ty)
    empty = _blank(raw, ty) | issue
    value = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    is_date = ty.isin(_DATE_TYPES)
    if is_date.any():
        value[is_date] = pd.to_datetime(raw[is_date].map(_as_datetime), errors="coerce").dt.floor("D")
    is_num = ty.isin((float, int, np.float64, np.int64))
    if is_num.any():
        serial = raw[is_num].astype("float64")
        ok = serial.between(_SERIAL_MIN, _SERIAL_MAX)
        days = np.floor(serial[ok]).astype("int64")
        value[ok[ok].index] = EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
    is_str = (ty == str) & ~empty
    if is_str.any():
        value[is_str] = _dates_from_text(raw[is_str].str.strip())
    years = value.dt.year
    value = value.where(years.between(MIN_YEAR, MAX_YEAR))
    bad = ~empty & value.isna()
    return Parsed(value, empty, bad, issue)


def _as_datetime(v):
    if isinstance(v, dt.datetime):
        return v
    return dt.datetime(v.year, v.month, v.day)


def _dates_from_text(s: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    todo = s
    for fmt in _DATE_FORMATS + tuple(f + suf for f in _DATE_FORMATS for suf in _DATETIME_SUFFIXES):
        if todo.empty:
            break
        got = pd.to_datetime(todo, format=fmt, errors="coerce")
        hit = got.notna()
        if hit.any():
            out[hit[hit].index] = got[hit].dt.floor("D")
            todo = todo[~hit]
    return out


def _parse_text_or_date(raw: pd.Series, ty: pd.Series | None, from_text, from_dates) -> Parsed:
    """The skeleton shared by months and weeks: text cells through `from_text` (a Series of
    canonical values, None where unreadable), date and number cells read as dates and turned
    into values by `from_dates` (a Series of Timestamps, NaT where none)."""
    ty = cell_types(raw) if ty is None else ty
    issue = _issue_mask(ty)
    empty = _blank(raw, ty) | issue
    value = pd.Series(None, index=raw.index, dtype=object)
    is_str = (ty == str) & ~empty
    if is_str.any():
        value[is_str] = from_text(raw[is_str].str.strip())
    rest = ~is_str & ~empty
    if rest.any():
        value[rest] = from_dates(parse_date(raw[rest], ty[rest]).value)
    bad = ~empty & value.isna()
    return Parsed(value, empty, bad, issue)


def parse_month(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    """Months as canonical "YYYY-MM" text."""
    return _parse_text_or_date(raw, ty, _months_from_text,
                               lambda d: d.dt.strftime("%Y-%m").where(d.notna(), None))


def _months_from_text(s: pd.Series) -> pd.Series:
    out = pd.Series(None, index=s.index, dtype=object)
    m = s.str.extract(MONTH_FIRST)
    y = s.str.extract(YEAR_FIRST)
    month = pd.to_numeric(m[0], errors="coerce").fillna(pd.to_numeric(y[1], errors="coerce"))
    year = pd.to_numeric(m[1], errors="coerce").fillna(pd.to_numeric(y[0], errors="coerce"))
    ok = month.between(1, 12) & year.between(MIN_YEAR, MAX_YEAR)
    if ok.any():
        out[ok] = year[ok].astype(int).astype(str) + "-" + month[ok].astype(int).map("{:02d}".format)
    rest = ~ok
    if rest.any():
        d = _dates_from_text(s[rest])
        d = d.where(d.dt.year.between(MIN_YEAR, MAX_YEAR))
        out[rest] = d.dt.strftime("%Y-%m").where(d.notna(), None)
    return out


def parse_period(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    """A month ("YYYY-MM"), a quarter ("YYYY-Qn") or a year ("YYYY")."""
    ty = cell_types(raw) if ty is None else ty
    text = to_text(raw, ty)
    month = parse_month(raw, ty)
    value = month.value.copy()
    need = month.bad
    if need.any():
        s = text[need].astype(str)
        q = s.str.extract(QUARTER_WRITTEN)
        yr = s.str.extract(YEAR_WRITTEN)
        quarter = q[1].where(q[1].isna(), q[1] + "-Q" + q[0])
        value[need] = quarter.fillna(yr[0]).where(lambda v: v.notna(), None)
    year_num = ty.isin((float, int)) & raw.isin(range(MIN_YEAR, MAX_YEAR + 1))
    value[year_num] = raw[year_num].map(lambda v: str(int(v)))
    bad = ~month.empty & value.isna()
    return Parsed(value, month.empty, bad, month.issue)


def parse_week(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    """ISO weeks as canonical "YYYY-Www" text (from week text or any date in the week)."""
    return _parse_text_or_date(raw, ty, _weeks_from_text, lambda d: d.map(_week_of_stamp))


def _week_of_stamp(t) -> str | None:
    return week_of(t.date()) if pd.notna(t) and MIN_YEAR <= t.year <= MAX_YEAR else None


def _weeks_from_text(s: pd.Series) -> pd.Series:
    """Week text (`2026-W44`, `Tuần 44/2026`...) or, failing that, a date in the week."""
    out = s.map(_week_or_none)
    dated = out.isna()
    if dated.any():
        out[dated] = _dates_from_text(s[dated]).map(_week_of_stamp)
    return out


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
    ty = cell_types(raw) if ty is None else ty
    issue = _issue_mask(ty)
    empty = _blank(raw, ty) | issue
    value = pd.Series(None, index=raw.index, dtype=object)
    for i in raw.index[~empty]:
        value[i] = _time_or_none(raw[i])
    bad = ~empty & value.isna()
    return Parsed(value, empty, bad, issue)


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
    ty = cell_types(raw) if ty is None else ty
    issue = _issue_mask(ty)
    text = to_text(raw, ty)
    empty = text.isna() | issue
    value = pd.Series(None, index=raw.index, dtype=object)
    filled = ~empty
    if filled.any():
        keys = text[filled].map(normalize_key)
        value[filled] = keys.map(lookup)
    bad = filled & value.isna()
    if default is not None:
        value = value.where(~empty, default)
    return Parsed(value, empty, bad, issue)


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
    ty = cell_types(raw) if ty is None else ty
    issue = _issue_mask(ty)
    value = to_text(raw, ty)
    empty = value.isna() | issue
    return Parsed(value, empty, pd.Series(False, index=raw.index), issue)


def parse_list(raw: pd.Series, ty: pd.Series | None = None) -> Parsed:
    """Comma- or semicolon-separated codes, as a tuple per cell (empty tuple when blank)."""
    p = parse_text(raw, ty)
    value = p.value.map(lambda t: tuple(x for x in (p.strip() for p in re.split(r"[,;]", t)) if x)
                        if isinstance(t, str) else ())
    return Parsed(value, p.empty, p.bad, p.issue)


def parse_field(field, raw: pd.Series) -> Parsed:
    """Parse a raw column according to a schema field's type (`parse_fields` for one column)."""
    return parse_fields([field], raw.to_frame(field.key))[field.key]


def parse_fields(fields, raw: pd.DataFrame) -> dict:
    """Parse the columns of `raw` named by `fields` (schema fields, by key) according to their types.

    Columns in a sheet repeat themselves (a few hundred staff codes, dates and quantities over
    a million rows), so each distinct cell value is parsed once and the result is broadcast
    back by code: the cost follows the number of distinct values, not of rows. Columns that
    parse alike (same type, vocabulary and default) are parsed in one pass over all their
    distinct values, so a small tab pays each parser's fixed cost once, not once per column.
    """
    groups: dict[tuple, list] = {}
    for f in fields:
        groups.setdefault(_parse_signature(f), []).append(f)
    index = raw.index
    out = {}
    for group in groups.values():
        distinct: list = []
        spans = []
        for f in group:
            codes, uniques = pd.factorize(raw[f.key], use_na_sentinel=True)
            spans.append((f.key, codes, len(distinct)))
            distinct.extend(uniques)
        blank = len(distinct)  # blank cells (None/NaN) share one slot at the end, so every code is valid
        p = _parse_distinct(group[0], pd.Series(distinct + [None], dtype=object))
        arrays = [(s.to_numpy(), s.dtype) for s in (p.value, p.empty, p.bad, p.issue)]
        for key, codes, start in spans:
            codes = np.where(codes < 0, blank, codes + start)
            value, empty, bad, issue = (pd.Series(a.take(codes), index=index, dtype=dtype) for a, dtype in arrays)
            out[key] = Parsed(value, empty, bad, issue, codes, p.value)
    return out


def _parse_signature(field) -> tuple:
    """What decides how a field's cells parse: fields alike in this parse in one pass."""
    return (field.type, id(field.enum) if field.type == "enum" else None,
            field.default if field.type == "enum" else None)


def _parse_distinct(field, raw: pd.Series) -> Parsed:
    ty = cell_types(raw)
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
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) == 0:
        return pd.Series(None, index=s.index, dtype=object)
    done = func(list(uniques)) if vectorized else [func(u) for u in uniques]
    mapped = np.array(list(done) + [None], dtype=object)
    return pd.Series(mapped.take(np.where(codes < 0, len(uniques), codes)), index=s.index, dtype=object)


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(month_start(month)), pd.Timestamp(month_end(month))
