"""The Spreadsheet resource as spreadsheets.get returns it.

Google serialises protobuf messages: fields at their default value are left
out (``frozenRowCount: 0``, ``hidden: false``, a GridRange's ``sheetId: 0``,
colour components of 0), while "optional" fields such as
``SheetProperties.index`` are always present.  The helpers here apply those
rules so that responses compare equal to the recordings.
"""

from __future__ import annotations

import copy
from typing import Any

from . import fieldmask, formula
from .model import (
    DEFAULT_COLUMN_PIXELS,
    DEFAULT_ROW_PIXELS,
    Calculator,
    Sheet,
    Spreadsheet,
    resolve_bounds,
    scalar_to_extended,
)
from .values import render_scalar

_GRID_KEYS = (
    "rowCount",
    "columnCount",
    "frozenRowCount",
    "frozenColumnCount",
    "hideGridlines",
    "rowGroupControlAfter",
    "columnGroupControlAfter",
)
_SHEET_KEYS = ("sheetId", "title", "index", "sheetType", "gridProperties", "hidden", "tabColor", "tabColorStyle", "rightToLeft")

DEFAULT_EFFECTIVE_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "horizontalAlignment": "LEFT",
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "Arial",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "hyperlinkDisplayType": "PLAIN_TEXT",
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}


def color_json(color: dict[str, Any]) -> dict[str, Any]:
    """Colour components default to 0 and are then omitted; alpha is kept when given."""
    out = {k: color[k] for k in ("red", "green", "blue") if color.get(k)}
    if "alpha" in color and color["alpha"] is not None:
        out["alpha"] = color["alpha"]
    return out


def sheet_properties_json(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _SHEET_KEYS:
        if key not in props:
            continue
        value = props[key]
        if key == "gridProperties":
            grid = {k: value[k] for k in _GRID_KEYS if value.get(k) not in (None, 0, False)}
            out[key] = grid
        elif key in ("hidden", "rightToLeft") and not value:
            continue
        elif value is None:
            continue
        else:
            out[key] = value
    return out


def grid_range_json(grid_range: dict[str, Any]) -> dict[str, Any]:
    out = {
        k: grid_range[k]
        for k in ("sheetId", "startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")
        if grid_range.get(k) is not None
    }
    if not out.get("sheetId"):
        out.pop("sheetId", None)
    return out


def editors_json(editors: dict[str, Any] | None, owner: str | None = None) -> dict[str, Any]:
    editors = editors or {}
    users = list(editors.get("users") or [])
    if owner is not None and owner not in users:
        users.insert(0, owner)
    out: dict[str, Any] = {}
    if users:
        out["users"] = users
    if editors.get("groups"):
        out["groups"] = list(editors["groups"])
    if editors.get("domainUsersCanEdit"):
        out["domainUsersCanEdit"] = True
    return out


def protected_range_json(pr: dict[str, Any], owner: str | None) -> dict[str, Any]:
    """A ProtectedRange; ``owner`` is listed among editors except in batchUpdate replies."""
    out: dict[str, Any] = {"protectedRangeId": pr["protectedRangeId"]}
    if pr.get("namedRangeId"):
        out["namedRangeId"] = pr["namedRangeId"]
    if pr.get("range") is not None:
        out["range"] = grid_range_json(pr["range"])
    if pr.get("description"):
        out["description"] = pr["description"]
    if pr.get("warningOnly"):
        out["warningOnly"] = True
    out["requestingUserCanEdit"] = True
    if pr.get("unprotectedRanges"):
        out["unprotectedRanges"] = [grid_range_json(r) for r in pr["unprotectedRanges"]]
    out["editors"] = editors_json(pr.get("editors"), owner)
    return out


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def cell_data_json(calc: Calculator, sheet: Sheet, row: int, col: int) -> dict[str, Any]:
    """Full CellData: entered and effective value, formatted value, formats, note, validation."""
    cell = sheet.cells.get((row, col))
    if not cell:
        return {}
    out: dict[str, Any] = {}
    entered = cell.get("userEnteredValue")
    effective: formula.Scalar = None
    if entered is not None:
        out["userEnteredValue"] = entered
        effective = calc.effective(sheet, row, col)
        extended = scalar_to_extended(effective)
        if extended is not None:
            out["effectiveValue"] = extended
            number_format = calc.number_format(sheet, row, col)
            out["formattedValue"] = render_scalar(effective, number_format, "FORMATTED_VALUE", "SERIAL_NUMBER")
    if cell.get("userEnteredFormat"):
        out["userEnteredFormat"] = cell["userEnteredFormat"]
    if entered is not None or cell.get("userEnteredFormat"):
        effective_format = _deep_merge(DEFAULT_EFFECTIVE_FORMAT, cell.get("userEnteredFormat") or {})
        if "horizontalAlignment" not in (cell.get("userEnteredFormat") or {}):
            if isinstance(effective, bool):
                effective_format["horizontalAlignment"] = "CENTER"
            elif isinstance(effective, (int, float)):
                effective_format["horizontalAlignment"] = "RIGHT"
        inferred = calc.number_format(sheet, row, col) if entered is not None else None
        if inferred and "numberFormat" not in effective_format:
            effective_format["numberFormat"] = inferred
        out["effectiveFormat"] = effective_format
    if cell.get("note"):
        out["note"] = cell["note"]
    if cell.get("dataValidation"):
        out["dataValidation"] = cell["dataValidation"]
    return out


def grid_data_json(calc: Calculator, sheet: Sheet, box: tuple[int, int, int, int]) -> dict[str, Any]:
    r0, r1, c0, c1 = box
    out: dict[str, Any] = {}
    if r0:
        out["startRow"] = r0
    if c0:
        out["startColumn"] = c0
    present = [(r, c) for r, c, _ in sheet.cells_in(r0, r1, c0, c1)]
    if present:
        last_row = max(r for r, _ in present)
        widths: dict[int, int] = {}
        for r, c in present:
            widths[r] = max(widths.get(r, c0), c + 1)
        rows = []
        for r in range(r0, last_row + 1):
            if r not in widths:
                rows.append({})
                continue
            rows.append({"values": [cell_data_json(calc, sheet, r, c) for c in range(c0, widths[r])]})
        out["rowData"] = rows
    out["rowMetadata"] = [_dimension_json(sheet.row_meta.get(r), DEFAULT_ROW_PIXELS) for r in range(r0, r1)]
    out["columnMetadata"] = [_dimension_json(sheet.col_meta.get(c), DEFAULT_COLUMN_PIXELS) for c in range(c0, c1)]
    return out


def _dimension_json(meta: dict[str, Any] | None, default_pixels: int) -> dict[str, Any]:
    meta = meta or {}
    out: dict[str, Any] = {}
    if meta.get("hiddenByUser"):
        out["hiddenByUser"] = True
    out["pixelSize"] = meta.get("pixelSize", default_pixels)
    if meta.get("developerMetadata"):
        out["developerMetadata"] = meta["developerMetadata"]
    return out


def sheet_json(sheet: Sheet, owner: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"properties": sheet_properties_json(sheet.properties)}
    if sheet.merges:
        entry["merges"] = [grid_range_json(m) for m in sheet.merges]
    if sheet.protected_ranges:
        entry["protectedRanges"] = [protected_range_json(pr, owner) for pr in sheet.protected_ranges]
    if sheet.basic_filter:
        basic = dict(sheet.basic_filter)
        basic["range"] = grid_range_json(basic.get("range", {}))
        entry["basicFilter"] = basic
    for key, dimension in (("rowGroups", "ROWS"), ("columnGroups", "COLUMNS")):
        groups = sheet.dimension_groups(dimension)
        if groups:
            entry[key] = groups
    return entry


def spreadsheet_json(
    ss: Spreadsheet,
    owner: str,
    *,
    include_grid_data: bool = False,
    ranges: list[str] | None = None,
    fields: str | None = None,
) -> dict[str, Any]:
    """The resource for spreadsheets.get (also create/batchUpdate's updatedSpreadsheet)."""
    tree = fieldmask.parse(fields) if fields else None
    # "includeGridData ... is ignored if a field mask was set in the request."
    want_data = fieldmask.selects(tree, "sheets", "data") if tree is not None else include_grid_data
    boxes: dict[int, list[tuple[int, int, int, int]]] = {}
    if ranges:
        for text in ranges:
            sheet, bounds, _ = ss.resolve_range(text)
            boxes.setdefault(sheet.sheet_id, []).append(resolve_bounds(sheet, bounds))
    calc = Calculator(ss) if want_data else None
    sheets_out = []
    for sheet in ss.sheets:
        if ranges and sheet.sheet_id not in boxes:
            continue
        entry = sheet_json(sheet, owner)
        if want_data:
            assert calc is not None
            sheet_boxes = boxes.get(sheet.sheet_id) or [(0, sheet.row_count, 0, sheet.col_count)]
            data = [grid_data_json(calc, sheet, box) for box in sheet_boxes]
            entry = {"properties": entry.pop("properties"), "data": data, **entry}
        sheets_out.append(entry)
    resource: dict[str, Any] = {
        "spreadsheetId": ss.id,
        "properties": ss.properties,
        "sheets": sheets_out,
    }
    if ss.named_ranges:
        resource["namedRanges"] = [
            {**nr, "range": grid_range_json(nr.get("range", {}))} for nr in ss.named_ranges
        ]
    resource["spreadsheetUrl"] = ss.url
    if tree is not None:
        resource = fieldmask.apply(resource, tree)
        _trim_grid_data(resource)
    return resource


def _trim_grid_data(resource: dict[str, Any]) -> None:
    """After masking, cells with nothing selected are ``{}``; trailing ones are dropped."""
    for sheet in resource.get("sheets", []) or []:
        for grid in sheet.get("data", []) or []:
            rows = grid.get("rowData")
            if rows is None:
                continue
            for row in rows:
                values = row.get("values")
                if values is None:
                    continue
                while values and values[-1] == {}:
                    values.pop()
                if not values:
                    del row["values"]
            while rows and rows[-1] == {}:
                rows.pop()
            if not rows:
                del grid["rowData"]
