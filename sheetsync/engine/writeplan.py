"""The write-back plan: exactly which engine cells change, addressed by row key.

The engine computes what every engine cell should hold, compares it with what the sheet
holds now, and keeps only the differences. A backend then applies the plan; because each
row carries its key, a backend that cannot trust row positions (a Google Sheet people are
editing) re-finds the rows by key before writing.
"""

from __future__ import annotations

import math
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

    def __bool__(self) -> bool:
        return bool(self.cells or self.new_headers)


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
            "summary_rewritten": self.summary is not None,
        }


def _same_column(have: pd.Series, want: pd.Series) -> np.ndarray:
    """True where a cell already shows what the engine would write (blank matches None,
    numbers within float noise, text as written), so nothing is written there."""
    types = have.map(type)
    blank = have.isna().to_numpy() | (types.eq(str).to_numpy() & have.eq("").to_numpy())
    if pd.api.types.is_numeric_dtype(want.dtype):
        w = want.to_numpy(dtype="float64")
        is_num = types.isin((int, float, np.int64, np.float64)).to_numpy()
        h = pd.to_numeric(have.where(is_num), errors="coerce").to_numpy(dtype="float64")
        close = is_num & (np.abs(h - w) <= 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(w))))
        return np.where(np.isnan(w), blank, close)
    # Engine text repeats (three statuses, mostly empty notes): clean each distinct value once.
    codes, uniques = pd.factorize(want, use_na_sentinel=True)
    cleaned = np.array([clean(u) for u in uniques] + [None], dtype=object)
    w = pd.Series(cleaned.take(np.where(codes < 0, len(uniques), codes)), index=want.index, dtype=object)
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
             keys: pd.DataFrame) -> TabPatch:
    """Compare desired engine values with the sheet's; engine columns missing from the sheet
    are appended after the last used column, header first."""
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
    if patch.cells and len(keys.columns):
        rows = sorted({r for r, _ in patch.cells})
        sub = keys.reindex(rows)
        patch.row_keys = {r: tuple(clean(v) for v in t)
                          for r, t in zip(rows, sub.itertuples(index=False, name=None))}
    return patch


def summary_differs(new: SummaryTab, current_rows: list[list[Any]] | None) -> bool:
    """Whether the engine tab's content (apart from the sync time) would change."""
    if current_rows is None:
        return True
    width = max((len(r) for r in new.grid), default=0)

    def norm(rows, skip):
        out = []
        for i, row in enumerate(rows):
            if i in skip:
                continue
            vals = [clean(v.value if isinstance(v, SummaryCell) else v) for v in row][:width]
            vals += [None] * (width - len(vals))
            vals = [round(v, 6) if isinstance(v, float) else v for v in vals]
            out.append(vals)
        while out and all(v is None for v in out[-1]):
            out.pop()
        return out

    cur = [list(r) for r in current_rows]
    extra_cols = any(any(clean(v) is not None for v in r[width:]) for r in cur)
    return extra_cols or norm(new.grid, set(new.volatile_rows)) != norm(cur, set(new.volatile_rows))
