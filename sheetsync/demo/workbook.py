"""A unit's rows as cells: as in-memory grids for the engine, and as the .xlsx a person would
have filled in (made by `init_workbook`, then typed by header text, never by column position)."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles import Protection

from sheetsync.backends.xlsx.init import init_workbook
from sheetsync.config.schema import Schemas, TabSchema
from sheetsync.engine.grid import SheetGrid
from sheetsync.text import normalize_key

TABS = ("staff", "catalogue", "tasks", "evaluations", "okr", "weekly", "schedule")
DATE_FORMAT, MONTH_FORMAT = "DD/MM/YYYY", "MM/YYYY"
UNLOCKED = Protection(locked=False)


@dataclass
class UnitSheets:
    """Everything typed into one unit's workbook: rows per tab (None = a blank row) and merges."""

    staff: list[dict[str, Any] | None] = field(default_factory=list)
    catalogue: list[dict[str, Any] | None] = field(default_factory=list)
    tasks: list[dict[str, Any] | None] = field(default_factory=list)
    evaluations: list[dict[str, Any] | None] = field(default_factory=list)
    okr: list[dict[str, Any] | None] = field(default_factory=list)
    weekly: list[dict[str, Any] | None] = field(default_factory=list)
    schedule: list[dict[str, Any] | None] = field(default_factory=list)
    merges: list[tuple[str, str, int, int]] = field(default_factory=list)  # (tab, field, first, last) row indexes


def grids(sheets: UnitSheets, schemas: Schemas, tabs: tuple[str, ...] = TABS) -> dict[str, SheetGrid]:
    """The sheets as the engine reads a workbook: a header row of every input field, then the
    rows; a merged range keeps its first cell's value only, as in a spreadsheet."""
    out = {}
    for name in tabs:
        tab = schemas.tabs[name]
        keys = [f.key for f in tab.input_fields]
        rows = [[(row or {}).get(k) for k in keys] for row in getattr(sheets, name)]
        merged = []
        for tab_name, key, first, last in sheets.merges:
            if tab_name == name:
                col = keys.index(key)
                for r in range(first + 1, last + 1):
                    rows[r][col] = None
                merged.append((first + 2, col + 1, last + 2, col + 1))
        out[tab.title] = SheetGrid(tab.title, [[f.header for f in tab.input_fields]] + rows, merged=merged)
    return out


def _columns_by_header(ws, tab: TabSchema) -> dict[str, int]:
    """Field key → column, found by the header text in row 1 (never by position)."""
    seen = {normalize_key(c.value): c.column for c in ws[1] if isinstance(c.value, str)}
    out = {}
    for f in tab.fields:
        col = next((seen[k] for k in f.match_keys if k in seen), None)
        if col is not None:
            out[f.key] = col
    return out


def _column_styles(ws, col: int, scratch_row: int, date_format: str) -> tuple[Any, Any]:
    """The style of a cell typed into an input column (unlocked, as Excel gives cells typed
    under a column style), plain and as a date. Built once per column on a scratch cell and
    then copied: assigning openpyxl styles cell by cell is what would make the demo slow."""
    cell = ws.cell(row=scratch_row, column=col)
    cell.protection = UNLOCKED
    plain = copy(cell._style)
    cell.number_format = date_format
    dated = copy(cell._style)
    del ws._cells[(scratch_row, col)]
    return plain, dated


def write_workbook(path: Path, unit_name: str, sheets: UnitSheets, schemas: Schemas) -> None:
    init_workbook(path, schemas, unit_name, overwrite=True)
    wb = load_workbook(path)
    for name in TABS:
        tab = schemas.tabs[name]
        ws = wb[tab.title]
        rows = getattr(sheets, name)
        cols = _columns_by_header(ws, tab)
        styles = {key: _column_styles(ws, col, len(rows) + 2,
                                      MONTH_FORMAT if tab.field(key).type == "month" else DATE_FORMAT)
                  for key, col in cols.items()}
        for i, row in enumerate(rows, start=2):
            for key, value in (row or {}).items():
                if value is None or value == "":
                    continue
                cell = ws.cell(row=i, column=cols[key], value=value)
                plain, dated = styles[key]
                cell._style = copy(dated if isinstance(value, date) else plain)
        for tab_name, key, first, last in sheets.merges:
            if tab_name == name:
                col = cols[key]
                ws.merge_cells(start_row=first + 2, start_column=col, end_row=last + 2, end_column=col)
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    tmp.replace(path)
