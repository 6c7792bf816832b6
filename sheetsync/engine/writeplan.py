"""The write-back plan: exactly which engine cells change, addressed by row key.

The engine computes what every engine cell should hold, compares it with what the sheet
holds now, and keeps only the differences. A backend then applies the plan; because each
row carries its key, a backend that cannot trust row positions (a Google Sheet people are
editing) re-finds the rows by key before writing.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.text import cell_text

Value = str | float | int | None


@dataclass
class TabPatch:
    title: str
    header_row: int
    key_columns: list[int]  # 1-based columns holding the row key
    cells: dict[tuple[int, int], Value] = field(default_factory=dict)
    new_headers: dict[int, str] = field(default_factory=dict)  # column → header of an added engine column
    row_keys: dict[int, tuple] = field(default_factory=dict)  # row → key values as read (for guards)
    # row → new height in points so its engine text shows in full (DEFAULT_HEIGHT: back to the
    # sheet's default height); only rows whose height must change.
    row_heights: dict[int, float] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.cells or self.new_headers or self.row_heights)


@dataclass
class SummaryCell:
    value: Value
    style: str = "text"  # title, header, text, number, int, bold, warning, error, muted


@dataclass
class SummaryTab:
    title: str
    grid: list[list[SummaryCell]]
    widths: list[float]
    volatile_rows: tuple[int, ...] = (1,)  # 0-based rows ignored when comparing (the sync time)


@dataclass
class WritePlan:
    patches: list[TabPatch] = field(default_factory=list)
    summary: SummaryTab | None = None

    @property
    def cell_count(self) -> int:
        return sum(len(p.cells) + len(p.new_headers) for p in self.patches)

    def __bool__(self) -> bool:
        return any(self.patches) or self.summary is not None

    def describe(self) -> dict:
        return {
            "cells": self.cell_count,
            "tabs": {p.title: len(p.cells) + len(p.new_headers) for p in self.patches if p},
            "rows_resized": sum(len(p.row_heights) for p in self.patches),
            "summary_rewritten": self.summary is not None,
        }


def _same_column(have: pd.Series, want: pd.Series) -> np.ndarray:
    """True where a cell already shows what the engine would write (blank matches None,
    numbers within float noise, text as written), so nothing is written there.

    Every cell of every engine column is compared (a user may have typed into any of them), a
    year's 20,000 rows per column: a column holding only text or only numbers, as the engine
    left it, is compared with whole-array operations; any other goes the general way."""
    kind = _column_kind(have)
    try:
        if pd.api.types.is_numeric_dtype(want.dtype):
            if kind in ("floating", "integer", "mixed-integer-float", "empty"):
                return _same_numbers(have, want, numeric=kind != "empty")
        elif kind in ("string", "empty"):
            return _same_texts(have, want)
    except (TypeError, ValueError):
        pass
    return _same_column_general(have, want)


def _column_kind(have: pd.Series) -> str:
    """What the sheet's column holds, blanks aside ("string", "floating", "integer", "mixed", …):
    the shortcuts' guard, one pass in C."""
    return pd.api.types.infer_dtype(have.to_numpy(dtype=object), skipna=True)


def _tolerance_close(h: np.ndarray, w: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.abs(h - w) <= 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(w)))


def _same_numbers(have: pd.Series, want: pd.Series, numeric: bool) -> np.ndarray:
    """`_same_column` for a column of numbers and blanks only (`numeric`) or blanks only."""
    w = want.to_numpy(dtype="float64")
    if not numeric:
        return np.isnan(w)
    h = np.array(have.tolist(), dtype="float64")  # None → NaN
    return np.where(np.isnan(w), np.isnan(h), _tolerance_close(h, w))


def _same_texts(have: pd.Series, want: pd.Series) -> np.ndarray:
    """`_same_column` for a column of text and blanks only."""
    h = have.to_numpy(dtype=object)
    w = _cleaned_texts(want)
    wanted = np.not_equal(w, None)
    blank = pd.isna(h) | (h == "")
    equal = (h == w) & wanted
    # Text read back with Windows line ends shows what the engine wrote with "\n".
    for i in np.flatnonzero(wanted & ~equal):
        v = h[i]
        if isinstance(v, str) and "\r\n" in v and v.replace("\r\n", "\n") == w[i]:
            equal[i] = True
    return np.where(wanted, equal, blank)


def _cleaned_texts(want: pd.Series) -> np.ndarray:
    """The engine's text as cells hold it (`clean`); each distinct value cleaned once."""
    codes, uniques = pd.factorize(want, use_na_sentinel=True)
    cleaned = np.array([clean(u) for u in uniques] + [None], dtype=object)
    return cleaned.take(np.where(codes < 0, len(uniques), codes))


def _same_column_general(have: pd.Series, want: pd.Series) -> np.ndarray:
    """`_same_column` for any mix of values, one type test per cell."""
    types = have.map(type)
    blank = have.isna().to_numpy() | (types.eq(str).to_numpy() & have.eq("").to_numpy())
    if pd.api.types.is_numeric_dtype(want.dtype):
        w = want.to_numpy(dtype="float64")
        is_num = types.isin((int, float, np.int64, np.float64)).to_numpy()
        h = pd.to_numeric(have.where(is_num), errors="coerce").to_numpy(dtype="float64")
        close = is_num & (np.abs(h - w) <= 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(w))))
        return np.where(np.isnan(w), blank, close)
    w = pd.Series(_cleaned_texts(want), index=want.index, dtype=object)
    is_str = types.eq(str).to_numpy()
    h = have.where(is_str).str.replace("\r\n", "\n", regex=False)
    equal = (h == w).fillna(False).to_numpy(dtype=bool) & is_str
    return np.where(w.isna().to_numpy(), blank, equal)


def clean(value: Any) -> Value:
    """A computed value as a cell can hold it: NaN → empty, numpy → Python."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        # As a cell can hold it (Excel's limit, the stricter of the backends), so that comparing
        # with what the sheet shows next time finds no difference.
        value = cell_text(value)
        return value if value != "" else None
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def diff_tab(title: str, header_row: int, columns: dict[str, int], last_col: int, key_fields: list[str],
             desired: pd.DataFrame, current: pd.DataFrame, headers: dict[str, str],
             keys: pd.DataFrame, text_fields: Sequence = (), layout: Any = None,
             settled: pd.Index | None = None) -> TabPatch:
    """Compare desired engine values with the sheet's; engine columns missing from the sheet
    are appended after the last used column, header first. With the tab's engine `text_fields`
    and its `layout` as read (a SheetGrid: row heights, column widths), rows whose height does
    not fit their engine text get a new one (see `fit_rows`). `settled` rows, absent from
    `desired`, hold what the engine wants already: only their heights are fitted, to the text
    they hold."""
    patch = TabPatch(title, header_row, [columns[k] for k in key_fields if k in columns])
    next_col = last_col + 1
    placed = dict(columns)
    for key in desired.columns:
        if key not in placed:
            placed[key] = next_col
            patch.new_headers[next_col] = headers[key]
            next_col += 1
    for key in desired.columns:
        col = placed[key]
        want = desired[key]
        have = current[key].reindex(want.index) if key in current else pd.Series(None, index=want.index, dtype=object)
        for row in want.index[~_same_column(have, want)]:
            patch.cells[(int(row), col)] = clean(want[row])
    if text_fields and layout is not None:
        widths = engine_text_widths(text_fields, placed, layout.col_widths)
        patch.row_heights = fit_rows(desired, current, widths, layout.row_heights, settled)
    if (patch.cells or patch.row_heights) and len(keys.columns):
        rows = sorted({r for r, _ in patch.cells} | set(patch.row_heights))
        sub = keys.reindex(rows)
        patch.row_keys = {r: tuple(clean(v) for v in t)
                          for r, t in zip(rows, sub.itertuples(index=False, name=None))}
    return patch


# -- row heights ------------------------------------------------------------------------------
#
# Neither Excel nor LibreOffice re-fits a row's height when a file is opened, and Google Sheets
# does not either once a height was set: wrapped engine text ("Xếp loại gợi ý", "Ghi chú kiểm
# tra") would be cut off on screen and print over the next row. So the plan says how tall each
# row must be for its engine text, from the text's line count at the column's width. A row is
# only ever grown, or brought back down when its height is the one sheetsync gave it for the
# text it shows now (so a row the user made taller stays as tall); nothing changes when the text
# does not, so a sync with nothing new still writes nothing.

LINE_HEIGHT = 12.75  # points per line of 10 pt Arial (Excel's default row height for it)
ROW_PADDING = 2.25  # points above and below the lines
DEFAULT_HEIGHT = 0.0  # in a plan: back to the sheet's default height
DEFAULT_COL_WIDTH = 8.43  # Excel's default column width, in characters
_TOLERANCE = 1.0  # points: Google stores pixels, so a height read back may differ a little
_NARROW = frozenset("iljtfrI.,:;'!|()[]/ ")
_WIDE = frozenset("mwMW@%")


def _char_width(ch: str) -> float:
    """Width of a character in digit widths of 10 pt Arial (diacritics add nothing)."""
    if ch in _NARROW:
        return 0.5
    if ch in _WIDE:
        return 1.5
    return 1.25 if ch.isupper() else 1.0


@functools.lru_cache(maxsize=65536)
def _word_width(word: str) -> float:
    return sum(_char_width(c) for c in word)


@functools.lru_cache(maxsize=65536)
def text_lines(text: str, width: float) -> int:
    """Lines `text` takes when wrapped at word boundaries in a column `width` characters wide,
    as the spreadsheet programs wrap it (estimated a little generously: Excel, LibreOffice and
    Google Sheets each measure with their own copy of the font)."""
    usable = max(1.0, (width - 0.8) * 0.92)
    lines = 0
    for para in text.split("\n"):
        lines += 1
        used = 0.0
        for word in para.split(" "):
            w = _word_width(word)
            space = 0.5 if used > 0 else 0.0
            if used > 0 and used + space + w > usable:
                lines += 1
                used = 0.0
                space = 0.0
            while w > usable:  # a word longer than the column breaks anywhere
                lines += 1
                w -= usable
            used += space + w
    return max(lines, 1)


MAX_HEIGHT = 409.0  # points: the tallest row Excel allows


def height_for(lines: int) -> float:
    """Row height (points) that shows `lines` lines of text, up to the tallest row there can be."""
    return min(round(lines * LINE_HEIGHT + ROW_PADDING, 2), MAX_HEIGHT)


def _row_lines(frame: pd.DataFrame, rows: pd.Index, widths: dict[str, float]) -> pd.Series:
    """Lines each row's engine text takes (the most of its columns)."""
    return _row_lines_both(frame, rows, widths)[0]


def _row_lines_both(frame: pd.DataFrame, rows: pd.Index, widths: dict[str, float]) -> tuple[pd.Series, pd.Series]:
    """`_row_lines` of the text as read, and of the text as the engine wrote it (text read back
    with Windows line ends measured with "\n"), in one pass."""
    out = np.ones(len(rows), dtype="int64")
    written = np.ones(len(rows), dtype="int64")
    for key, width in widths.items():
        if key not in frame:
            continue
        col = frame[key].reindex(rows)
        if col.dtype != object:
            continue  # numbers: one line
        # Engine text repeats (three statuses, mostly empty notes): each distinct text is
        # measured once, a year's rows are looked up.
        codes, uniques = pd.factorize(col.to_numpy(), use_na_sentinel=True)
        per = np.fromiter((_lines(v, width) for v in uniques), dtype="int64", count=len(uniques))
        per_written = np.fromiter((_lines(v.replace("\r\n", "\n"), width) if isinstance(v, str) and "\r" in v
                                   else n for v, n in zip(uniques, per.tolist())), dtype="int64", count=len(uniques))
        at = np.where(codes < 0, len(per), codes)
        np.maximum(out, np.append(per, 1).take(at), out=out)
        np.maximum(written, np.append(per_written, 1).take(at), out=written)
    return pd.Series(out, index=rows), pd.Series(written, index=rows)


def _lines(v: Any, width: float) -> int:
    return text_lines(v, width) if isinstance(v, str) and (len(v) > width * 0.6 or "\n" in v) else 1


def fit_rows(desired: pd.DataFrame, current: pd.DataFrame, widths: dict[str, float],
             heights: dict[int, float], settled: pd.Index | None = None) -> dict[int, float]:
    """New heights (points) for the rows whose engine text needs a different height.

    `widths` are the wrapped engine columns' widths in characters (by field key), `heights` the
    rows' current heights as read (rows at the default height are absent). `settled` rows, not
    in `desired`, hold the engine's text already: they are fitted to the text they hold."""
    text_keys = {k: w for k, w in widths.items() if k in desired}
    rows = desired.index if settled is None or not len(settled) else desired.index.append(settled).sort_values()
    if not text_keys or not len(rows):
        return {}
    if len(current.columns):
        old, held = _row_lines_both(current, rows, text_keys)
    else:
        old = held = pd.Series(1, index=rows)
    new = _row_lines(desired, desired.index, text_keys)
    if len(rows) != len(desired.index):
        new = pd.concat([new, held.reindex(settled)]).reindex(rows)
    n, o = new.to_numpy(), old.to_numpy()
    want = np.where(n > 1, np.minimum(np.round(n * LINE_HEIGHT + ROW_PADDING, 2), MAX_HEIGHT), np.nan)
    had = np.where(o > 1, np.minimum(np.round(o * LINE_HEIGHT + ROW_PADDING, 2), MAX_HEIGHT), np.nan)
    cur = pd.Series(heights, dtype="float64").reindex(rows).to_numpy() if heights else np.full(len(rows), np.nan)
    with np.errstate(invalid="ignore"):
        grow = ~np.isnan(want) & (np.isnan(cur) | (cur < want - _TOLERANCE))  # grow to show the text
        ours = ~np.isnan(cur) & ~np.isnan(had) & (np.abs(cur - had) <= _TOLERANCE)
        shrink = ~grow & ours & (np.isnan(want) | (want < cur - _TOLERANCE))  # our height, text shorter now
    out = {int(r): float(w) for r, w in zip(rows[grow], want[grow])}
    out.update({int(r): (DEFAULT_HEIGHT if np.isnan(w) else float(w)) for r, w in zip(rows[shrink], want[shrink])})
    return dict(sorted(out.items()))


def engine_text_widths(tab_fields, columns: dict[str, int], col_widths: dict[int, float]) -> dict[str, float]:
    """Width (characters) of each engine text column as the sheet has it now, else as the schema
    lays it out, else the default; only columns that can hold more than a line."""
    out = {}
    for f in tab_fields:
        if not f.engine or f.type != "text":
            continue
        col = columns.get(f.key)
        width = col_widths.get(col) if col is not None else None
        out[f.key] = float(width or f.width or DEFAULT_COL_WIDTH)
    return out


def summary_differs(new: SummaryTab, current_rows: list[list[Any]] | None) -> bool:
    """Whether the engine tab's content (apart from the sync time) would change."""
    if current_rows is None:
        return True
    width = max((len(r) for r in new.grid), default=0)

    skip = set(new.volatile_rows)

    def norm(rows):
        """Rows as compared, lazily: the first difference ends the comparison."""
        blank = 0
        for i, row in enumerate(rows):
            if i in skip:
                continue
            vals = [clean(v.value if isinstance(v, SummaryCell) else v) for v in row][:width]
            vals += [None] * (width - len(vals))
            vals = [round(v, 6) if isinstance(v, float) else v for v in vals]
            if all(v is None for v in vals):
                blank += 1  # held back: trailing empty rows do not count
                continue
            for _ in range(blank):
                yield [None] * width
            blank = 0
            yield vals

    if any(any(clean(v) is not None for v in r[width:]) for r in current_rows):
        return True
    missing = object()
    return any(a != b for a, b in itertools.zip_longest(norm(new.grid), norm(current_rows), fillvalue=missing))
