"""The data the xlsx layer exchanges with its callers: what a scan reports (CellError, SheetLayout)
and what a write is asked to do (SheetPatch, StyledCell), plus a sheet's hard limits.

Kept apart from the code that reads and writes XML: every module of the package and every caller
(the xlsx backend, scripts, tests) names these types, and they depend on nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Union

CellValue = str | float | int | None
PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class CellError:
    """A cell whose value calamine reports as '' but which is not really empty.

    ``code`` is the Excel error text ("#REF!", "#DIV/0!", ...) or
    ``"formula-without-value"`` for a formula that was never calculated (e.g.
    written by openpyxl or a script), whose value we therefore cannot know.
    """

    code: str
    formula: str | None = None


FORMULA_WITHOUT_VALUE = "formula-without-value"


@dataclass
class StyledCell:
    """One cell of an engine-generated sheet (see :data:`STYLE_NAMES`)."""

    value: CellValue
    style: str = "text"


@dataclass
class SheetPatch:
    """Values to write into engine-owned cells of an existing tab.

    ``cells`` maps 1-based (row, col) to the new value; ``None`` clears the value
    but keeps the cell's formatting. Cells that do not exist yet take the row's
    or column's own format when the user gave one (what Excel does when you
    type), else ``new_cell_style``. ``headers`` are new header cells of engine
    columns appended to the tab.
    """

    sheet: str
    cells: dict[tuple[int, int], CellValue]
    new_cell_style: str = "engine"
    headers: dict[tuple[int, int], str] = field(default_factory=dict)
    # 1-based row → height in points (written as ht with customHeight="1"); 0 removes the row's
    # height, back to the sheet's default.
    row_heights: dict[int, float] = field(default_factory=dict)


@dataclass
class SheetLayout:
    """How a worksheet is laid out: explicit row heights (points) and column widths (characters)."""

    row_heights: dict[int, float] = field(default_factory=dict)
    col_widths: dict[int, float] = field(default_factory=dict)


# Excel's limits of a sheet.
MAX_ROWS = 1_048_576
MAX_COLS = 16_384
