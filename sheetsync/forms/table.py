"""Form models laid out as table rows in the template's column order, ready for any renderer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sheetsync.forms.build import Form01A, Form02A, PersonRow, SummaryRow
from sheetsync.forms.layout import Column, Layout
from sheetsync.forms.numbers import format_number

RowKind = Literal["data", "total", "group"]
PROVISIONAL_SUFFIX = "*"


@dataclass(frozen=True)
class Cell:
    """A value and how to show it: kind is stt, text, rating, count or decimal."""

    value: str | int | float | None
    kind: str
    suffix: str = ""  # e.g. "*" after a provisional total

    @property
    def is_number(self) -> bool:
        return self.kind in ("count", "decimal") and self.value is not None


@dataclass(frozen=True)
class TableRow:
    """A body row: data, total (bold) or group (bold, name across the row)."""

    kind: RowKind
    cells: tuple[Cell, ...]


def _summary_value(row: SummaryRow, key: str) -> str | int | float | None:
    if key == "stt":
        return row.stt
    if key == "name":
        return row.label
    if key in ("total", "rated", "not_rated", "provisional", "notes"):
        return getattr(row, key)
    code, _, what = key.rpartition("_")
    rating = row.scale.normalize(code)  # a column key names the rating by its code: htxsnv_count
    return row.counts[rating] if what == "count" else row.percent(rating)


def rows_01a(form: Form01A, layout: Layout) -> list[TableRow]:
    """01A body then total, cells in the template's column order."""
    return [
        TableRow("total" if row.is_total else "data",
                 tuple(Cell(_summary_value(row, c.key), c.kind) for c in layout.columns))
        for row in form.rows
    ]


def _person_cell(person: PersonRow, column: Column, layout: Layout, scale) -> Cell:
    key = column.key
    if column.kind == "decimal":
        suffix = PROVISIONAL_SUFFIX if key == "total_points" and person.provisional else ""
        return Cell(person.scores[key], "decimal", suffix)
    value = getattr(person, key)
    if column.kind == "rating" and value and layout.rating_text == "code":
        value = scale.code(value)
    return Cell(value, column.kind)


def rows_02a(form: Form02A, layout: Layout) -> list[TableRow]:
    """02A: per unit a group row (Roman numeral, unit name), then its people in roster order."""
    rows = []
    for group in form.groups:
        rows.append(TableRow("group", (Cell(group.stt, "stt"), Cell(group.unit, "text"))))
        rows.extend(
            TableRow("data", tuple(_person_cell(p, c, layout, form.scale) for c in layout.columns))
            for p in group.people
        )
    return rows


def cell_text(cell: Cell, layout: Layout) -> str:
    """What a printed page shows for a cell: numbers with the office's separators."""
    if cell.value is None:
        return ""
    if cell.kind == "count":
        text = format_number(cell.value, 0, layout.decimal_separator, layout.thousands_separator)
    elif cell.kind == "decimal":
        text = format_number(cell.value, 2, layout.decimal_separator, layout.thousands_separator)
    else:
        text = str(cell.value)
    return text + cell.suffix
