"""From a backend's raw grid of cells to a tab bound to its schema.

Backends (xlsx, Google Sheets) hand over each tab as a `SheetGrid`: the cell values as read,
merged ranges and marked cells. `bind_tab` finds the header row, matches headers to schema
fields by text (never by position), and cuts out the data rows as a DataFrame indexed by the
sheet row number the user sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.config.schema import TabSchema
from sheetsync.domain.a1 import col_letter
from sheetsync.engine.cells import CellIssue
from sheetsync.engine.findings import Findings
from sheetsync.engine.messages import message
from sheetsync.engine.values import factorize
from sheetsync.text import normalize_key

HEADER_SEARCH_ROWS = 10


@dataclass
class SheetGrid:
    """One tab as a backend read it. `rows[0][0]` is the cell at (first_row, first_col)."""

    title: str
    rows: list[list[Any]]
    first_row: int = 1
    first_col: int = 1
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (r1, c1, r2, c2), 1-based
    issues: dict[tuple[int, int], CellIssue] = field(default_factory=dict)
    # How the sheet is laid out now, where the backend can tell (else empty: defaults assumed):
    row_heights: dict[int, float] = field(default_factory=dict)  # 1-based row → height in points
    col_widths: dict[int, float] = field(default_factory=dict)  # 1-based column → width in characters

    def cell(self, row: int, col: int) -> Any:
        r, c = row - self.first_row, col - self.first_col
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return None

    @property
    def last_col(self) -> int:
        width = max((len(r) for r in self.rows), default=0)
        return self.first_col + width - 1


@dataclass
class BoundTab:
    schema: TabSchema
    title: str
    header_row: int
    columns: dict[str, int]  # field key → 1-based column
    headers: dict[str, str]  # field key → header text as written in the sheet
    raw: pd.DataFrame  # data rows (input and engine fields present), index = sheet row
    last_col: int  # last column holding a header or data
    blank: pd.Series | None = None  # rows with no input (kept only for their stale engine cells)


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


def _all_blank(raw: pd.DataFrame, keys: list[str], among: np.ndarray | None = None) -> np.ndarray:
    """Rows (of those `among`, default all) whose cells in `keys` are all blank. Column by column
    over the rows still blank, each distinct value judged once (a filled first column settles most
    rows; an engine column holds a handful of distinct values over a year of rows)."""
    blank = np.ones(len(raw), dtype=bool) if among is None else among.copy()
    cells = raw.to_numpy(dtype=object) if keys else None
    names = list(raw.columns)
    for k in keys:
        left = np.flatnonzero(blank)
        if not len(left):
            break
        codes, uniques = factorize(cells[left, names.index(k)])
        judged = np.array([_is_blank(u) for u in uniques] + [True], dtype=bool)  # code -1: NaN/None
        blank[left] = judged[codes]
    return blank


def find_tab(schema: TabSchema, titles: list[str]) -> str | None:
    wanted = schema.match_keys
    for t in titles:
        if normalize_key(t) in wanted:
            return t
    return None


def bind_tab(schema: TabSchema, grid: SheetGrid, findings: Findings) -> BoundTab | None:
    """Match the grid's header row to the schema. Structural problems become findings;
    returns None when no header row can be recognised at all."""
    match = {}
    for f in schema.fields:
        for k in f.match_keys:
            match.setdefault(k, f.key)

    best_row, best_hits = None, 0
    for r in range(len(grid.rows[:HEADER_SEARCH_ROWS])):
        hits = sum(1 for v in grid.rows[r] if isinstance(v, str) and normalize_key(v) in match)
        if hits > best_hits:
            best_row, best_hits = r, hits
    if best_row is None:
        for f in schema.input_fields:
            if not f.optional_column:
                findings.add(grid.title, None, f.header, "error", "header.missing",
                             message("header.missing", tab=grid.title, header=f.header))
        return None

    header_row = grid.first_row + best_row
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    seen: dict[str, list[int]] = {}
    for i, v in enumerate(grid.rows[best_row]):
        if not isinstance(v, str):
            continue
        key = match.get(normalize_key(v))
        if key is None:
            continue
        col = grid.first_col + i
        seen.setdefault(key, []).append(col)
        if key not in columns:
            columns[key] = col
            headers[key] = v.strip()
    for key, cols in seen.items():
        if len(cols) > 1:
            letters = ", ".join(col_letter(c) for c in cols)
            findings.add(grid.title, header_row, headers[key], "error", "header.duplicate",
                         message("header.duplicate", header=headers[key], columns=letters,
                                 used=col_letter(cols[0])),
                         cell=f"{col_letter(cols[1])}{header_row}")

    for f in schema.input_fields:
        if f.key in columns or f.optional_column:
            continue
        code = "header.missing" if f.required else "header.missing-optional"
        findings.add(grid.title, header_row, f.header, "error" if f.required else "warning", code,
                     message(code, tab=grid.title, header=f.header))

    raw = _data_frame(grid, best_row + 1, columns)
    # Blank rows (no input at all) are not data; they are kept only when stale engine values
    # sit on them, so that write-back can clear those.
    input_keys = [f.key for f in schema.input_fields if f.key in columns]
    engine_keys = [f.key for f in schema.engine_fields if f.key in columns]
    if not len(raw):
        blank = pd.Series(dtype=bool)
    else:
        blank_in = _all_blank(raw, input_keys)
        keep = ~_all_blank(raw, engine_keys, among=blank_in)  # engine cells looked at only where no input
        if not keep.all():
            raw = raw[keep]
        blank = pd.Series(blank_in[keep], index=raw.index)
    _mark_merged(raw, grid, header_row, columns)
    return BoundTab(schema, grid.title, header_row, columns, headers, raw,
                    last_col=max(grid.last_col, max(columns.values(), default=0)), blank=blank)


def _data_frame(grid: SheetGrid, start: int, columns: dict[str, int]) -> pd.DataFrame:
    body = grid.rows[start:]
    index = pd.RangeIndex(grid.first_row + start, grid.first_row + start + len(body))
    # A sparse read leaves rows without any cell as empty lists (a stray cell a million rows
    # down); they are blank by definition, so they never become frame rows.
    present = [i for i, r in enumerate(body) if r]
    if len(present) < len(body):
        index = pd.Index([grid.first_row + start + i for i in present], dtype="int64")
        body = [body[i] for i in present]
    width = max((len(r) for r in body), default=0)
    need = max((col - grid.first_col + 1 for col in columns.values()), default=0)
    if body and width <= 2 * need + 64:
        # The rows to one 2-D object array in C (short rows padded with None first), then the columns
        # wanted picked by position into one block: no Python work per cell (a year
        # has 20,000 task rows and 60,000 weekly reports); not for rows reaching far to the right
        # (a stray cell thousands of columns away).
        if any(len(r) != width for r in body):  # a sparse read or an API trims rows: pad them
            body = [r if len(r) == width else [*r, *([None] * (width - len(r)))] for r in body]
        table = _table(body)
        picked = np.full((len(body), len(columns)), None, dtype=object)
        for j, col in enumerate(columns.values()):
            c = col - grid.first_col
            if 0 <= c < table.shape[1]:
                picked[:, j] = table[:, c]
        df = pd.DataFrame(picked, index=index, columns=list(columns), dtype=object)
    else:
        df = pd.DataFrame({key: pd.Series([r[col - grid.first_col] if col - grid.first_col < len(r) else None
                                           for r in body], index=index, dtype=object)
                           for key, col in columns.items()}, index=index)
    _put_issues(df, grid, columns)
    return df


def _table(body: list[list[Any]]) -> np.ndarray:
    """Rows of equal length as one 2-D object array. A small tab's rows go to numpy (pandas' frame
    costs more than the copy there); a large tab's through pandas, faster on many rows, which also
    keeps whole any cell numpy cannot place (a cell that is a sequence)."""
    table = None
    if len(body) <= _NUMPY_TABLE_ROWS:
        try:
            table = np.array(body, dtype=object)
        except ValueError:
            table = None
    if table is None or table.shape != (len(body), len(body[0])):
        table = pd.DataFrame(body, dtype=object).to_numpy(dtype=object)
    return table


_NUMPY_TABLE_ROWS = 100  # about where the two cost the same (40 columns)


def _put_issues(df: pd.DataFrame, grid: SheetGrid, columns: dict[str, int]) -> None:
    for (row, col), issue in grid.issues.items():
        if row in df.index:
            for key, kcol in columns.items():
                if kcol == col:
                    df.at[row, key] = issue


def _mark_merged(raw: pd.DataFrame, grid: SheetGrid, header_row: int, columns: dict[str, int]) -> None:
    """The hidden cells of a merged range read as blanks; mark them so the finding says why."""
    if not grid.merged or raw.empty:
        return
    by_col = {col: key for key, col in columns.items()}
    for r1, c1, r2, c2 in grid.merged:
        if r2 <= header_row:
            continue
        ref = f"{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"
        for r in range(max(r1, header_row + 1), r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) == (r1, c1) or c not in by_col or r not in raw.index:
                    continue
                raw.at[r, by_col[c]] = CellIssue("merged", ref)
