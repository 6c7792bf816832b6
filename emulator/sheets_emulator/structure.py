"""Structural edits shared by batchUpdate and values.append: inserting/deleting
rows and columns, resizing, moving and renaming sheets.

Google keeps everything that points into a sheet consistent through such
edits: formulas (``=A5`` becomes ``=A8`` after three rows are inserted above,
or ``#REF!`` when its row is deleted), protected ranges, merges, filters and
named ranges.  The functions here do the same on the model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import a1, formula
from .model import Sheet, Spreadsheet
from .schema import as_int


def shift_sheet(ss: Spreadsheet, sheet: Sheet, dimension: str, index: int, count: int) -> None:
    """Insert (count > 0) or delete (count < 0) rows/columns at ``index`` and fix every reference."""
    rows = dimension == "ROWS"
    n = abs(count)

    def move(i: int) -> int | None:
        if i < index:
            return i
        if count > 0:
            return i + n
        return None if i < index + n else i - n

    new_cells: dict[tuple[int, int], dict[str, Any]] = {}
    for (r, c), cell in sheet.cells.items():
        target = move(r) if rows else move(c)
        if target is None:
            continue
        new_cells[(target, c) if rows else (r, target)] = cell
    sheet.cells = new_cells
    meta = sheet.row_meta if rows else sheet.col_meta
    shifted = {move(i): m for i, m in meta.items()}
    shifted.pop(None, None)
    if rows:
        sheet.row_meta = shifted  # type: ignore[assignment]
    else:
        sheet.col_meta = shifted  # type: ignore[assignment]
    depths = {move(i): d for i, d in sheet.group_depth[dimension].items()}
    depths.pop(None, None)
    if count > 0:  # rows inserted inside a group join it, as in the UI
        for k in range(index, index + n):
            inner = min(sheet.group_depth[dimension].get(index - 1, 0), sheet.group_depth[dimension].get(index, 0))
            if inner:
                depths[k] = inner
    sheet.group_depth[dimension] = depths  # type: ignore[assignment]
    sheet.collapsed_groups[dimension] = []

    start_key, end_key = ("startRowIndex", "endRowIndex") if rows else ("startColumnIndex", "endColumnIndex")

    def shift_range(grid_range: dict[str, Any] | None) -> dict[str, Any] | None:
        if not grid_range or as_int(grid_range.get("sheetId"), 0) != sheet.sheet_id:
            return grid_range
        out = dict(grid_range)
        start, end = as_int(out.get(start_key)), as_int(out.get(end_key))
        if count > 0:
            if start is not None and start >= index:
                out[start_key] = start + n
            if end is not None and end > index:
                out[end_key] = end + n
        else:
            lo, hi = index, index + n
            if start is not None:
                out[start_key] = start if start < lo else (lo if start < hi else start - n)
            if end is not None:
                out[end_key] = end if end <= lo else (lo if end <= hi else end - n)
            if start is not None and end is not None and out[end_key] <= out[start_key]:
                return None
        return out

    for other in ss.sheets:
        for pr in other.protected_ranges:
            pr["range"] = shift_range(pr.get("range")) or pr.get("range")
        other.merges = [m for m in (shift_range(m) for m in other.merges) if m]
        if other.basic_filter:
            other.basic_filter["range"] = shift_range(other.basic_filter.get("range"))
    for nr in ss.named_ranges:
        nr["range"] = shift_range(nr.get("range")) or nr.get("range")

    grid_key = "rowCount" if rows else "columnCount"
    sheet.grid[grid_key] = sheet.grid.get(grid_key, 0) + count
    frozen_key = "frozenRowCount" if rows else "frozenColumnCount"
    frozen = sheet.grid.get(frozen_key, 0) or 0
    if count > 0 and index < frozen:
        sheet.grid[frozen_key] = frozen + n
    elif count < 0 and index < frozen:
        sheet.grid[frozen_key] = max(index, frozen - n) if index + n >= frozen else frozen - n

    rewrite_formulas(ss, sheet, lambda text: formula.shift_reference(text, dimension, index, count))


def rewrite_formulas(ss: Spreadsheet, target: Sheet, rewrite_token: Callable[[str], str]) -> None:
    """Apply ``rewrite_token`` to every reference (from any sheet) that points into ``target``."""
    for sheet in ss.sheets:
        for key, cell in list(sheet.cells.items()):
            value = cell.get("userEnteredValue") or {}
            text = value.get("formulaValue")
            if not text:
                continue

            def rewrite(ref_sheet: str | None, token: str, _home: Sheet = sheet) -> str | None:
                points_to = ss.sheet_by_title(ref_sheet) if ref_sheet is not None else _home
                if points_to is not target:
                    return None
                return rewrite_token(token)

            new_text = formula.rewrite_refs(text, rewrite)
            if new_text != text:
                sheet.cells[key] = {**cell, "userEnteredValue": {"formulaValue": new_text}}


def rename_references(ss: Spreadsheet, sheet: Sheet, new_title: str) -> None:
    def retitle(token: str) -> str:
        if "!" not in token:
            return token
        return a1.quote_title(new_title) + "!" + token.rpartition("!")[2]

    rewrite_formulas(ss, sheet, retitle)


def resize(sheet: Sheet, rows: int | None, cols: int | None) -> None:
    """Shrinking the grid drops whatever lies outside it."""
    if rows is not None and rows < sheet.row_count:
        sheet.cells = {k: v for k, v in sheet.cells.items() if k[0] < rows}
        sheet.row_meta = {i: m for i, m in sheet.row_meta.items() if i < rows}
    if cols is not None and cols < sheet.col_count:
        sheet.cells = {k: v for k, v in sheet.cells.items() if k[1] < cols}
        sheet.col_meta = {i: m for i, m in sheet.col_meta.items() if i < cols}
    if rows is not None:
        sheet.grid["rowCount"] = rows
    if cols is not None:
        sheet.grid["columnCount"] = cols


def move_sheet(ss: Spreadsheet, sheet: Sheet, index: int) -> None:
    """Google counts the target index "before the move": moving right lands one earlier."""
    current = ss.sheets.index(sheet)
    index = max(0, min(index, len(ss.sheets)))
    if index > current:
        index -= 1
    ss.sheets.remove(sheet)
    ss.sheets.insert(index, sheet)
    ss.reindex()
