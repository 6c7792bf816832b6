"""spreadsheets:batchUpdate — the structural and formatting requests.

The whole batch is atomic like Google's: every request is decoded (schema
validation) first, then the requests are applied one after another to a deep
copy of the spreadsheet, so later requests see the effect of earlier ones (a
sheet added in request 0 can be formatted in request 1).  The first failure
raises Google's ``Invalid requests[i].kind: ...`` 400 and the copy is thrown
away, leaving the stored spreadsheet untouched.
"""

from __future__ import annotations

import copy
import functools
import random
import string
from collections.abc import Callable
from typing import Any

from . import a1, fieldmask, formula
from .errors import ApiError, invalid_argument, invalid_value, sheets_error, unknown_name
from .model import (
    DEFAULT_COLUMN_COUNT,
    DEFAULT_ROW_COUNT,
    MAX_CELLS,
    Calculator,
    Sheet,
    Spreadsheet,
    Store,
    clone,
    new_int_id,
    new_sheet_properties,
    scalar_to_extended,
)
from .resource import color_json, grid_range_json, protected_range_json, sheet_properties_json, spreadsheet_json
from .schema import IMPLEMENTED_REQUESTS, OTHER_REQUESTS, as_int, snake, validate
from .structure import move_sheet, rename_references, resize, rewrite_formulas, shift_sheet
from .values import render_cell

# Colour fields that Google keeps in step with their *Style twin.
_COLOR_PAIRS = (("backgroundColor", "backgroundColorStyle"), ("foregroundColor", "foregroundColorStyle"),
                ("color", "colorStyle"), ("tabColor", "tabColorStyle"))
_WRITABLE_CELL_FIELDS = ("userEnteredValue", "userEnteredFormat", "note", "dataValidation", "hyperlink", "textFormatRuns")
_RNG = random.SystemRandom()
_MISSING_FIELDS = "At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)"


class RequestError(Exception):
    """A semantic failure of one subrequest; becomes ``Invalid requests[i].kind: message``."""


class Batch:
    """Applies subrequests to a working copy of one spreadsheet."""

    def __init__(self, store: Store, ss: Spreadsheet) -> None:
        self.store = store
        self.ss = ss

    # -- lookups ------------------------------------------------------------
    def sheet(self, sheet_id: Any) -> Sheet:
        sid = as_int(sheet_id, 0)
        sheet = self.ss.sheet_by_id(sid)  # type: ignore[arg-type]
        if sheet is None:
            raise RequestError(f"No grid with id: {sid}")
        return sheet

    def grid_box(self, grid_range: dict[str, Any] | None) -> tuple[Sheet, int, int, int, int]:
        """Resolve a GridRange (unbounded sides run to the grid's edge) and check it fits."""
        grid_range = grid_range or {}
        sheet = self.sheet(grid_range.get("sheetId"))
        r0 = as_int(grid_range.get("startRowIndex"), 0) or 0
        r1 = as_int(grid_range.get("endRowIndex"), sheet.row_count)
        c0 = as_int(grid_range.get("startColumnIndex"), 0) or 0
        c1 = as_int(grid_range.get("endColumnIndex"), sheet.col_count)
        assert r1 is not None and c1 is not None
        if r0 < 0 or c0 < 0:
            raise RequestError("GridRange indexes must not be negative.")
        if r1 < r0 or c1 < c0:
            raise RequestError(
                f"Invalid range: start index must be less than or equal to end index ({r0}:{r1}, {c0}:{c1})."
            )
        if r1 > sheet.row_count or c1 > sheet.col_count:
            label = a1.format_range(sheet.title, r0, max(r1, r0 + 1), c0, max(c1, c0 + 1))
            raise RequestError(
                f"Range ({label}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
            )
        return sheet, r0, r1, c0, c1

    def dimension_range(self, dim_range: dict[str, Any] | None) -> tuple[Sheet, str, int, int]:
        dim_range = dim_range or {}
        sheet = self.sheet(dim_range.get("sheetId"))
        dimension = dim_range.get("dimension") or "DIMENSION_UNSPECIFIED"
        if dimension not in ("ROWS", "COLUMNS"):
            raise RequestError("range.dimension must be ROWS or COLUMNS.")
        size = sheet.row_count if dimension == "ROWS" else sheet.col_count
        start = as_int(dim_range.get("startIndex"), 0) or 0
        end = as_int(dim_range.get("endIndex"), size)
        assert end is not None
        if start < 0 or end < start:
            raise RequestError(f"Invalid dimension range: startIndex {start}, endIndex {end}.")
        return sheet, dimension, start, end

    def check_cell_limit(self, extra: int) -> None:
        if self.ss.total_cells() + extra > MAX_CELLS:
            raise RequestError(
                f"This action would increase the number of cells in the workbook above the limit of {MAX_CELLS} cells."
            )

    def fields(self, request: dict[str, Any]) -> fieldmask.MaskTree:
        mask = request.get("fields")
        if not mask or not str(mask).strip():
            raise RequestError(_MISSING_FIELDS)
        try:
            return fieldmask.parse(str(mask))
        except fieldmask.FieldMaskError as exc:
            raise RequestError(str(exc)) from None


# --------------------------------------------------------------------------- helpers


def _normalise_colors(obj: Any) -> Any:
    """Drop zero colour components and add the missing half of each colour/style pair."""
    if isinstance(obj, list):
        return [_normalise_colors(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: _normalise_colors(v) for k, v in obj.items() if v is not None}
    for color_key, style_key in _COLOR_PAIRS:
        if isinstance(out.get(color_key), dict):
            out[color_key] = color_json(out[color_key])
        style = out.get(style_key)
        if isinstance(style, dict) and isinstance(style.get("rgbColor"), dict):
            style["rgbColor"] = color_json(style["rgbColor"])
        if color_key in out and style_key not in out:
            out[style_key] = {"rgbColor": out[color_key]}
        elif style_key in out and color_key not in out and isinstance(style, dict) and "rgbColor" in style:
            out[color_key] = style["rgbColor"]
    return out


def _expand_pairs(paths: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """A mask naming ``backgroundColor`` also updates ``backgroundColorStyle`` (and vice versa)."""
    out = list(paths)
    for path in paths:
        for color_key, style_key in _COLOR_PAIRS:
            if path[-1] == color_key:
                out.append(path[:-1] + (style_key,))
            elif path[-1] == style_key:
                out.append(path[:-1] + (color_key,))
    return list(dict.fromkeys(out))


def _get_path(obj: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = obj
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _set_path(obj: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = obj
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            if value is None:
                return
            child = {}
        else:
            child = dict(child)
        node[key] = child
        node = child
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = copy.deepcopy(value)


def _prune(obj: Any) -> Any:
    if isinstance(obj, dict):
        out = {k: _prune(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v not in (None, {})}
    return obj


def _clean_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A DataValidationRule as Google echoes it: false flags and empty strings omitted."""
    out: dict[str, Any] = {}
    condition = rule.get("condition") or {}
    cond: dict[str, Any] = {}
    if condition.get("type"):
        cond["type"] = condition["type"]
    vals = [
        {k: v for k, v in (item or {}).items() if v not in (None, "")}
        for item in condition.get("values") or []
    ]
    if vals:
        cond["values"] = vals
    out["condition"] = cond
    if rule.get("inputMessage"):
        out["inputMessage"] = rule["inputMessage"]
    if rule.get("strict"):
        out["strict"] = True
    if rule.get("showCustomUi"):
        out["showCustomUi"] = True
    return out


def apply_cell_fields(cell: dict[str, Any], source: dict[str, Any], paths: list[tuple[str, ...]]) -> dict[str, Any]:
    """Write the masked parts of ``source`` (a CellData) into ``cell``."""
    out = dict(cell)
    for path in paths:
        if path[0] == "*":
            for key in _WRITABLE_CELL_FIELDS:
                _set_path(out, (key,), source.get(key))
            continue
        if path[0] not in _WRITABLE_CELL_FIELDS:
            continue  # effective values and formats are computed, never written
        _set_path(out, path, _get_path(source, path))
    value = out.get("userEnteredValue")
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if v is not None}
        if "formulaValue" in value:
            value = {"formulaValue": formula.normalize(str(value["formulaValue"]))}
        out["userEnteredValue"] = value or None
    if isinstance(out.get("dataValidation"), dict):
        out["dataValidation"] = _clean_rule(out["dataValidation"])
    if isinstance(out.get("userEnteredFormat"), dict):
        out["userEnteredFormat"] = _prune(out["userEnteredFormat"])
    if out.get("note") == "":
        out.pop("note")
    return out


def _prepare_cell_source(source: dict[str, Any] | None) -> dict[str, Any]:
    return _normalise_colors(copy.deepcopy(source or {}))


def _cell_paths(batch: Batch, request: dict[str, Any]) -> list[tuple[str, ...]]:
    return _expand_pairs(fieldmask.leaf_paths(batch.fields(request)))


def _check_title(ss: Spreadsheet, title: str, ignore: Sheet | None = None) -> None:
    if not title.strip():
        raise RequestError("Sheet names must not be empty.")
    existing = ss.sheet_by_title(title)
    if existing is not None and existing is not ignore and existing.title.casefold() == title.casefold():
        raise RequestError(f'A sheet with the name "{title}" already exists. Please enter another name.')


def _default_title(ss: Spreadsheet, prefix: str = "Sheet") -> str:
    n = len(ss.sheets) + 1
    while ss.sheet_by_title(f"{prefix}{n}") is not None:
        n += 1
    return f"{prefix}{n}"


# --------------------------------------------------------------------------- handlers

Handler = Callable[[Batch, dict[str, Any]], dict[str, Any]]


def add_sheet(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    ss = batch.ss
    props = _normalise_colors(copy.deepcopy(req.get("properties") or {}))
    title = props.get("title") or _default_title(ss)
    _check_title(ss, title)
    sheet_id = as_int(props.get("sheetId"))
    if sheet_id is None:
        sheet_id = new_int_id(ss.taken_sheet_ids())
    elif sheet_id < 0:
        raise RequestError(f"Invalid sheetId: {sheet_id}")
    elif ss.sheet_by_id(sheet_id) is not None:
        raise RequestError(f"Sheet with id {sheet_id} already exists.")
    grid = props.get("gridProperties") or {}
    rows = as_int(grid.get("rowCount"), DEFAULT_ROW_COUNT) or DEFAULT_ROW_COUNT
    cols = as_int(grid.get("columnCount"), DEFAULT_COLUMN_COUNT) or DEFAULT_COLUMN_COUNT
    if cols > a1.MAX_COLUMNS:
        raise RequestError(f"The number of columns exceeds the limit of {a1.MAX_COLUMNS}.")
    batch.check_cell_limit(rows * cols)
    index = as_int(props.get("index"), len(ss.sheets))
    new_props = new_sheet_properties(title, sheet_id, 0, rows, cols)
    if props.get("sheetType") not in (None, "GRID", "SHEET_TYPE_UNSPECIFIED"):
        raise RequestError(f"Only GRID sheets can be added (got {props['sheetType']}).")
    for key in ("frozenRowCount", "frozenColumnCount", "hideGridlines", "rowGroupControlAfter", "columnGroupControlAfter"):
        if grid.get(key) is not None:
            new_props["gridProperties"][key] = grid[key]
    for key in ("hidden", "tabColor", "tabColorStyle", "rightToLeft"):
        if props.get(key) is not None:
            new_props[key] = props[key]
    sheet = Sheet(new_props)
    ss.sheets.insert(max(0, min(index or 0, len(ss.sheets))), sheet)  # type: ignore[arg-type]
    ss.reindex()
    return {"addSheet": {"properties": sheet_properties_json(sheet.properties)}}


def delete_sheet(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    ss = batch.ss
    sheet = batch.sheet(req.get("sheetId"))
    if len(ss.sheets) == 1:
        raise RequestError("You can't remove all the sheets in a document.")
    rewrite_formulas(ss, sheet, lambda token: "#REF!")
    ss.sheets.remove(sheet)
    ss.reindex()
    return {}


def update_sheet_properties(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    ss = batch.ss
    source = _normalise_colors(copy.deepcopy(req.get("properties") or {}))
    sheet = batch.sheet(source.get("sheetId"))
    paths = _expand_pairs(fieldmask.leaf_paths(batch.fields(req)))
    updated = copy.deepcopy(sheet.properties)
    for path in paths:
        if path[0] == "*":
            for key, value in source.items():
                updated[key] = copy.deepcopy(value)
            continue
        _set_path(updated, path, _get_path(source, path))
    if as_int(updated.get("sheetId"), 0) != sheet.sheet_id:
        raise RequestError("You can't change the sheet ID.")
    if updated.get("sheetType", "GRID") != sheet.properties.get("sheetType", "GRID"):
        raise RequestError("You can't change the sheet type.")
    new_title = updated.get("title")
    if not new_title:
        raise RequestError("Sheet names must not be empty.")
    if new_title != sheet.title:
        _check_title(ss, new_title, ignore=sheet)
        rename_references(ss, sheet, new_title)
    grid = updated.get("gridProperties") or {}
    rows = as_int(grid.get("rowCount"), sheet.row_count)
    cols = as_int(grid.get("columnCount"), sheet.col_count)
    assert rows is not None and cols is not None
    if rows < 1 or cols < 1:
        raise RequestError("Sheets must have at least one row and one column.")
    if cols > a1.MAX_COLUMNS:
        raise RequestError(f"The number of columns exceeds the limit of {a1.MAX_COLUMNS}.")
    batch.check_cell_limit(rows * cols - sheet.row_count * sheet.col_count)
    frozen_rows = as_int(grid.get("frozenRowCount"), 0) or 0
    frozen_cols = as_int(grid.get("frozenColumnCount"), 0) or 0
    if frozen_rows < 0 or frozen_cols < 0:
        raise RequestError("Frozen counts must not be negative.")
    if frozen_rows and frozen_rows >= rows:
        raise RequestError("You can't freeze all visible rows on the sheet.")
    if frozen_cols and frozen_cols >= cols:
        raise RequestError("You can't freeze all visible columns on the sheet.")
    if updated.get("hidden") and all(s is sheet or s.properties.get("hidden") for s in ss.sheets):
        raise RequestError("You can't hide all the sheets in a document.")
    new_index = as_int(updated.get("index"), sheet.properties.get("index"))
    resize(sheet, rows, cols)
    updated["gridProperties"] = {**grid, "rowCount": rows, "columnCount": cols}
    updated["index"] = sheet.properties.get("index")
    sheet.properties = updated
    if new_index is not None and new_index != ss.sheets.index(sheet):
        move_sheet(ss, sheet, new_index)
    return {}


def update_spreadsheet_properties(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    ss = batch.ss
    source = copy.deepcopy(req.get("properties") or {})
    paths = fieldmask.leaf_paths(batch.fields(req))
    for path in paths:
        if path[0] == "*":
            ss.properties.update(copy.deepcopy(source))
            continue
        _set_path(ss.properties, path, _get_path(source, path))
    if not ss.properties.get("title"):
        ss.properties["title"] = "Untitled spreadsheet"
    return {}


def duplicate_sheet(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    ss = batch.ss
    source = batch.sheet(req.get("sourceSheetId"))
    title = req.get("newSheetName") or f"Copy of {source.title}"
    _check_title(ss, title)
    new_id = as_int(req.get("newSheetId"))
    if new_id is None:
        new_id = new_int_id(ss.taken_sheet_ids())
    elif ss.sheet_by_id(new_id) is not None:
        raise RequestError(f"Sheet with id {new_id} already exists.")
    batch.check_cell_limit(source.row_count * source.col_count)
    sheet = copy.deepcopy(source)
    sheet.properties["sheetId"] = new_id
    sheet.properties["title"] = title
    sheet.properties.pop("hidden", None)
    taken: set[int] = {pr["protectedRangeId"] for s in ss.sheets for pr in s.protected_ranges}
    for pr in sheet.protected_ranges:
        pr["protectedRangeId"] = new_int_id(taken)
        taken.add(pr["protectedRangeId"])
        if pr.get("range"):
            pr["range"]["sheetId"] = new_id
    for merge in sheet.merges:
        merge["sheetId"] = new_id
    if sheet.basic_filter and sheet.basic_filter.get("range"):
        sheet.basic_filter["range"]["sheetId"] = new_id
    index = as_int(req.get("insertSheetIndex"), len(ss.sheets))
    ss.sheets.insert(max(0, min(index or 0, len(ss.sheets))), sheet)  # type: ignore[arg-type]
    ss.reindex()
    return {"duplicateSheet": {"properties": sheet_properties_json(sheet.properties)}}


def insert_dimension(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = batch.dimension_range(req.get("range"))
    size = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if start > size:
        raise RequestError(f"range.startIndex [{start}] must be less than or equal to the {dimension.lower()} count [{size}].")
    count = end - start
    if count <= 0:
        raise RequestError("range must span at least one row or column.")
    if dimension == "COLUMNS" and sheet.col_count + count > a1.MAX_COLUMNS:
        raise RequestError(f"The number of columns exceeds the limit of {a1.MAX_COLUMNS}.")
    batch.check_cell_limit(count * (sheet.col_count if dimension == "ROWS" else sheet.row_count))
    inherit_before = bool(req.get("inheritFromBefore"))
    if inherit_before and start == 0:
        raise RequestError("Cannot inherit properties from before the first row or column.")
    shift_sheet(batch.ss, sheet, dimension, start, count)
    # New rows/columns take the formatting of their neighbour, like in the UI.
    neighbour = start - 1 if inherit_before else start + count
    if 0 <= neighbour < (sheet.row_count if dimension == "ROWS" else sheet.col_count):
        for (r, c), cell in list(sheet.cells.items()):
            if (r if dimension == "ROWS" else c) != neighbour or not cell.get("userEnteredFormat"):
                continue
            for k in range(start, end):
                key = (k, c) if dimension == "ROWS" else (r, k)
                sheet.put(*key, {"userEnteredFormat": copy.deepcopy(cell["userEnteredFormat"])})
    return {}


def delete_dimension(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = batch.dimension_range(req.get("range"))
    size = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if end > size:
        raise RequestError(
            f"Range ({dimension.lower()} {start + 1}-{end}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )
    if end - start >= size:
        raise RequestError(f"You can't delete all the {dimension.lower()} on the sheet.")
    if end > start:
        shift_sheet(batch.ss, sheet, dimension, start, -(end - start))
    return {}


def append_dimension(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet = batch.sheet(req.get("sheetId"))
    dimension = req.get("dimension")
    length = as_int(req.get("length"), 0) or 0
    if dimension not in ("ROWS", "COLUMNS"):
        raise RequestError("dimension must be ROWS or COLUMNS.")
    if length <= 0:
        raise RequestError("length must be greater than 0.")
    if dimension == "ROWS":
        batch.check_cell_limit(length * sheet.col_count)
        sheet.grid["rowCount"] = sheet.row_count + length
    else:
        if sheet.col_count + length > a1.MAX_COLUMNS:
            raise RequestError(f"The number of columns exceeds the limit of {a1.MAX_COLUMNS}.")
        batch.check_cell_limit(length * sheet.row_count)
        sheet.grid["columnCount"] = sheet.col_count + length
    return {}


def update_dimension_properties(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = batch.dimension_range(req.get("range"))
    size = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if end > size:
        raise RequestError(f"range.endIndex [{end}] is beyond the {dimension.lower()} count [{size}].")
    source = req.get("properties") or {}
    paths = fieldmask.leaf_paths(batch.fields(req))
    meta = sheet.row_meta if dimension == "ROWS" else sheet.col_meta
    for i in range(start, end):
        entry = dict(meta.get(i) or {})
        for path in paths:
            if path[0] == "*":
                entry.update({k: v for k, v in source.items() if k in ("pixelSize", "hiddenByUser", "developerMetadata")})
            elif path[0] in ("pixelSize", "hiddenByUser", "developerMetadata"):
                _set_path(entry, path, _get_path(source, path))
        entry = {k: v for k, v in entry.items() if v not in (None, False)}
        if entry:
            meta[i] = entry
        else:
            meta.pop(i, None)
    return {}


# Approximate metrics of the default font (Arial 10): Google measures rendered text, the emulator
# counts characters, which is enough for "wider than before" and "fits a short label".
CHAR_PIXELS = 7
CELL_PADDING = 8
LINE_PIXELS = 21


def auto_resize_dimensions(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    """Fit columns to their widest shown value and rows to their line count; empty ones keep their size."""
    sheet, dimension, start, end = batch.dimension_range(req.get("dimensions"))
    size = sheet.row_count if dimension == "ROWS" else sheet.col_count
    end = min(end, size)
    calc = Calculator(batch.ss)
    needed: dict[int, int] = {}
    for (r, c), cell in sheet.cells.items():
        index = r if dimension == "ROWS" else c
        if not start <= index < end or "userEnteredValue" not in cell:
            continue
        shown = render_cell(calc, sheet, r, c, "FORMATTED_VALUE", "SERIAL_NUMBER")
        lines = str(shown if shown is not None else "").split("\n")
        if dimension == "COLUMNS":
            pixels = max(len(line) for line in lines) * CHAR_PIXELS + CELL_PADDING
        else:
            pixels = len(lines) * LINE_PIXELS
        needed[index] = max(needed.get(index, 0), pixels)
    meta = sheet.row_meta if dimension == "ROWS" else sheet.col_meta
    for index, pixels in needed.items():
        meta[index] = {**(meta.get(index) or {}), "pixelSize": pixels}
    return {}


# --------------------------------------------------------------------------- dimension groups

MAX_GROUP_DEPTH = 8


def _group_range(batch: Batch, dim_range: dict[str, Any] | None) -> tuple[Sheet, str, int, int]:
    sheet, dimension, start, end = batch.dimension_range(dim_range)
    size = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if end > size:
        raise RequestError(f"range.endIndex [{end}] is beyond the {dimension.lower()} count [{size}].")
    if end <= start:
        raise RequestError("range must span at least one row or column.")
    return sheet, dimension, start, end


def add_dimension_group(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    """Nesting as Google documents it: each index covered gets one level deeper, so a superset,
    subset or partial overlap of an existing group yields the documented pair of groups."""
    sheet, dimension, start, end = _group_range(batch, req.get("range"))
    depths = sheet.group_depth[dimension]
    if any(depths.get(i, 0) >= MAX_GROUP_DEPTH for i in range(start, end)):
        raise RequestError(f"Cannot add a group deeper than {MAX_GROUP_DEPTH} levels.")
    for i in range(start, end):
        depths[i] = depths.get(i, 0) + 1
    return {"addDimensionGroup": {"dimensionGroups": sheet.dimension_groups(dimension)}}


def delete_dimension_group(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = _group_range(batch, req.get("range"))
    depths = sheet.group_depth[dimension]
    if not any(depths.get(i, 0) for i in range(start, end)):
        raise RequestError("There is no group in the given range.")
    for i in range(start, end):
        if depths.get(i, 0) > 1:
            depths[i] -= 1
        else:
            depths.pop(i, None)
    live = {(g["range"]["startIndex"], g["range"]["endIndex"], g["depth"]) for g in sheet.dimension_groups(dimension)}
    sheet.collapsed_groups[dimension] = [g for g in sheet.collapsed_groups[dimension] if tuple(g) in live]
    groups = sheet.dimension_groups(dimension)
    return {"deleteDimensionGroup": {"dimensionGroups": groups} if groups else {}}


def update_dimension_group(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    group = req.get("dimensionGroup") or {}
    sheet, dimension, start, end = _group_range(batch, group.get("range"))
    depth = as_int(group.get("depth"), 0) or 0
    paths = fieldmask.leaf_paths(batch.fields(req))
    existing = {(g["range"]["startIndex"], g["range"]["endIndex"], g["depth"]) for g in sheet.dimension_groups(dimension)}
    if (start, end, depth) not in existing:
        raise RequestError(f"No group found for range {start}:{end} at depth {depth}.")
    if any(path[0] in ("*", "collapsed") for path in paths):
        key = [start, end, depth]
        collapsed = [g for g in sheet.collapsed_groups[dimension] if g != key]
        if group.get("collapsed"):
            collapsed.append(key)
        sheet.collapsed_groups[dimension] = collapsed
    return {}


# --------------------------------------------------------------------------- copy / cut and paste

# Which parts of a cell each paste type carries (None: the whole cell).
_PASTE_PARTS: dict[str, tuple[str, ...] | None] = {
    "PASTE_NORMAL": None,
    "PASTE_NO_BORDERS": None,
    "PASTE_VALUES": ("userEnteredValue",),
    "PASTE_FORMULA": ("userEnteredValue",),
    "PASTE_FORMAT": ("userEnteredFormat",),
    "PASTE_DATA_VALIDATION": ("dataValidation",),
    "PASTE_CONDITIONAL_FORMATTING": (),
}


def _pasted_cell(source: dict[str, Any] | None, target: dict[str, Any] | None, paste_type: str,
                 value: dict[str, Any] | None) -> dict[str, Any]:
    """The destination cell after pasting ``source`` onto ``target``; ``value`` replaces a formula
    for PASTE_VALUES (its computed value), or carries a formula already shifted for the new place."""
    parts = _PASTE_PARTS[paste_type]
    source = dict(source or {})
    if value:
        source["userEnteredValue"] = value
    elif value is not None:  # {}: a formula whose result is empty pastes as nothing
        source.pop("userEnteredValue", None)
    if parts is None:
        cell = {k: v for k, v in source.items() if k in _WRITABLE_CELL_FIELDS}
        if paste_type == "PASTE_NO_BORDERS" and cell.get("userEnteredFormat"):
            fmt = {k: v for k, v in cell["userEnteredFormat"].items() if k != "borders"}
            cell["userEnteredFormat"] = fmt
            previous = ((target or {}).get("userEnteredFormat") or {}).get("borders")
            if previous:
                fmt["borders"] = previous
        return cell
    cell = dict(target or {})
    for part in parts:
        if part in source:
            cell[part] = source[part]
        else:
            cell.pop(part, None)
    return cell


def _snapshot(batch: Batch, sheet: Sheet, r0: int, r1: int, c0: int, c1: int,
              paste_type: str) -> list[list[tuple[dict[str, Any] | None, dict[str, Any] | None]]]:
    """Source cells with, for formulas, what PASTE_VALUES must write instead."""
    calc = Calculator(batch.ss) if paste_type == "PASTE_VALUES" else None
    out = []
    for r in range(r0, r1):
        row = []
        for c in range(c0, c1):
            cell = sheet.cells.get((r, c))
            value = None
            if calc is not None and cell and "formulaValue" in (cell.get("userEnteredValue") or {}):
                value = scalar_to_extended(calc.effective(sheet, r, c)) or {}
            row.append((cell, value))
        out.append(row)
    return out


def _check_fits(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> None:
    if r1 > sheet.row_count or c1 > sheet.col_count:
        label = a1.format_range(sheet.title, r0, r1, c0, c1)
        raise RequestError(
            f"Range ({label}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )


def copy_paste(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    """Paste the source into the destination; a destination that is a multiple of the source
    repeats it, a smaller one still receives the whole source (both as Google documents)."""
    src, sr0, sr1, sc0, sc1 = batch.grid_box(req.get("source"))
    dst, dr0, dr1, dc0, dc1 = batch.grid_box(req.get("destination"))
    paste_type = req.get("pasteType") or "PASTE_NORMAL"
    transpose = req.get("pasteOrientation") == "TRANSPOSE"
    block = _snapshot(batch, src, sr0, sr1, sc0, sc1, paste_type)
    if transpose:
        block = [list(col) for col in zip(*block)]
    height, width = len(block), len(block[0]) if block else 0
    if not height or not width:
        return {}
    tiles_down = (dr1 - dr0) // height if (dr1 - dr0) >= height and (dr1 - dr0) % height == 0 else 1
    tiles_across = (dc1 - dc0) // width if (dc1 - dc0) >= width and (dc1 - dc0) % width == 0 else 1
    _check_fits(dst, dr0, dr0 + height * tiles_down, dc0, dc0 + width * tiles_across)
    for ty in range(tiles_down):
        for tx in range(tiles_across):
            for i, row in enumerate(block):
                for j, (cell, value) in enumerate(row):
                    r, c = dr0 + ty * height + i, dc0 + tx * width + j
                    src_r, src_c = (sr0 + j, sc0 + i) if transpose else (sr0 + i, sc0 + j)
                    if value is None and paste_type in ("PASTE_NORMAL", "PASTE_NO_BORDERS", "PASTE_FORMULA"):
                        entered = (cell or {}).get("userEnteredValue") or {}
                        if "formulaValue" in entered:  # relative references follow the copy
                            value = {"formulaValue": formula.offset_references(
                                entered["formulaValue"], r - src_r, c - src_c)}
                    dst.put(r, c, _pasted_cell(cell, dst.cells.get((r, c)), paste_type, value))
    return {}


def cut_paste(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    """Move the source to the destination corner; the source is emptied of what was moved.
    Formulas move unchanged (a cut keeps their references, unlike a copy)."""
    src, sr0, sr1, sc0, sc1 = batch.grid_box(req.get("source"))
    coordinate = req.get("destination") or {}
    dst = batch.sheet(coordinate.get("sheetId"))
    dr0, dc0 = as_int(coordinate.get("rowIndex"), 0) or 0, as_int(coordinate.get("columnIndex"), 0) or 0
    paste_type = req.get("pasteType") or "PASTE_NORMAL"
    block = _snapshot(batch, src, sr0, sr1, sc0, sc1, paste_type)
    _check_fits(dst, dr0, dr0 + (sr1 - sr0), dc0, dc0 + (sc1 - sc0))
    parts = _PASTE_PARTS[paste_type]
    for r in range(sr0, sr1):
        for c in range(sc0, sc1):
            cell = src.cells.get((r, c))
            if cell:
                src.put(r, c, {} if parts is None else {k: v for k, v in cell.items() if k not in parts})
    for i, row in enumerate(block):
        for j, (cell, value) in enumerate(row):
            r, c = dr0 + i, dc0 + j
            dst.put(r, c, _pasted_cell(cell, dst.cells.get((r, c)), paste_type, value))
    return {}


def sort_range(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet, r0, r1, c0, c1 = batch.grid_box(req.get("range"))
    specs = req.get("sortSpecs") or []
    calc = Calculator(batch.ss)
    for spec in specs:
        index = as_int(spec.get("dimensionIndex"), 0) or 0
        if not c0 <= index < c1:
            raise RequestError(f"sortSpecs dimensionIndex {index} is outside the range.")
    last_row = max((r for r, c, _ in sheet.cells_in(r0, r1, c0, c1)), default=r0 - 1)
    rows = list(range(r0, last_row + 1))
    keyed = []
    for r in rows:
        keys = [calc.effective(sheet, r, as_int(spec.get("dimensionIndex"), 0) or 0) for spec in specs]
        keyed.append((r, keys))

    def order(a: tuple[int, list[Any]], b: tuple[int, list[Any]]) -> int:
        for spec, x, y in zip(specs, a[1], b[1]):
            if x is None or y is None:  # blanks always sort last
                if x is None and y is None:
                    continue
                return 1 if x is None else -1
            if isinstance(x, formula.Err) or isinstance(y, formula.Err):
                cmp = (isinstance(x, formula.Err)) - (isinstance(y, formula.Err))
            else:
                cmp = formula.compare(x, y)
            if spec.get("sortOrder") == "DESCENDING":
                cmp = -cmp
            if cmp:
                return cmp
        return 0

    ordered = sorted(keyed, key=functools.cmp_to_key(order))
    moved = {(r, c): sheet.cells.pop((r, c)) for r in rows for c in range(c0, c1) if (r, c) in sheet.cells}
    for new_r, (old_r, _) in zip(rows, ordered):
        for c in range(c0, c1):
            if (old_r, c) in moved:
                sheet.cells[(new_r, c)] = moved[(old_r, c)]
    return {}


def repeat_cell(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet, r0, r1, c0, c1 = batch.grid_box(req.get("range"))
    paths = _cell_paths(batch, req)
    source = _prepare_cell_source(req.get("cell"))
    blank = apply_cell_fields({}, source, paths)  # shared by every empty cell (cells are immutable)
    for r in range(r0, r1):
        for c in range(c0, c1):
            existing = sheet.cells.get((r, c))
            sheet.put(r, c, apply_cell_fields(existing, source, paths) if existing else blank)
    return {}


def _write_rows(
    sheet: Sheet,
    rows: list[dict[str, Any]],
    r0: int,
    c0: int,
    paths: list[tuple[str, ...]],
    box: tuple[int, int] | None = None,
) -> None:
    """Write RowData starting at (r0, c0); with ``box`` = (r1, c1), uncovered cells are cleared."""
    height = box[0] - r0 if box else len(rows)
    for i in range(height):
        row = rows[i] if i < len(rows) else {}
        values = (row or {}).get("values") or []
        width = (box[1] - c0) if box else len(values)
        for j in range(width):
            source = _prepare_cell_source(values[j] if j < len(values) else {})
            sheet.put(r0 + i, c0 + j, apply_cell_fields(sheet.cells.get((r0 + i, c0 + j)) or {}, source, paths))


def update_cells(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    rows = req.get("rows") or []
    paths = _cell_paths(batch, req)
    if req.get("range") is not None and req.get("start") is not None:
        raise RequestError("Only one of start or range may be set.")
    height = len(rows)
    width = max((len((row or {}).get("values") or []) for row in rows), default=0)
    if req.get("range") is not None:
        sheet, r0, r1, c0, c1 = batch.grid_box(req["range"])
        if height > r1 - r0 or width > c1 - c0:
            raise RequestError(
                f"Attempting to write to {height} rows x {width} columns, but the range is "
                f"{r1 - r0} rows x {c1 - c0} columns."
            )
        _write_rows(sheet, rows, r0, c0, paths, (r1, c1))
        return {}
    start = req.get("start") or {}
    sheet = batch.sheet(start.get("sheetId"))
    r0 = as_int(start.get("rowIndex"), 0) or 0
    c0 = as_int(start.get("columnIndex"), 0) or 0
    if r0 + height > sheet.row_count or c0 + width > sheet.col_count:
        label = a1.format_range(sheet.title, r0, r0 + max(height, 1), c0, c0 + max(width, 1))
        raise RequestError(
            f"Range ({label}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )
    _write_rows(sheet, rows, r0, c0, paths)
    return {}


def append_cells(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet = batch.sheet(req.get("sheetId"))
    rows = req.get("rows") or []
    paths = _cell_paths(batch, req)
    start = max((r for (r, _c), cell in sheet.cells.items() if "userEnteredValue" in cell), default=-1) + 1
    width = max((len((row or {}).get("values") or []) for row in rows), default=0)
    if width > sheet.col_count:
        raise RequestError(f"Rows are wider than the sheet ({width} > {sheet.col_count} columns).")
    needed = start + len(rows) - sheet.row_count
    if needed > 0:
        batch.check_cell_limit(needed * sheet.col_count)
        sheet.grid["rowCount"] = sheet.row_count + needed
    _write_rows(sheet, rows, start, 0, paths)
    return {}


def set_data_validation(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet, r0, r1, c0, c1 = batch.grid_box(req.get("range"))
    rule = req.get("rule")
    if rule is not None:
        condition = rule.get("condition") or {}
        if not condition.get("type"):
            raise RequestError("rule.condition.type is required.")
        if condition["type"] == "ONE_OF_LIST" and not condition.get("values"):
            raise RequestError("ONE_OF_LIST requires at least one value.")
        cleaned = _clean_rule(rule)
    for r in range(r0, r1):
        for c in range(c0, c1):
            cell = dict(sheet.cells.get((r, c)) or {})
            if rule is None:
                cell.pop("dataValidation", None)
            else:
                cell["dataValidation"] = copy.deepcopy(cleaned)
            sheet.put(r, c, cell)
    return {}


def _protected_ids(ss: Spreadsheet) -> set[int]:
    return {pr["protectedRangeId"] for s in ss.sheets for pr in s.protected_ranges}


def _normalise_editors(editors: dict[str, Any] | None) -> dict[str, Any]:
    editors = editors or {}
    out: dict[str, Any] = {}
    if editors.get("users"):
        out["users"] = list(editors["users"])
    if editors.get("groups"):
        out["groups"] = list(editors["groups"])
    if editors.get("domainUsersCanEdit"):
        out["domainUsersCanEdit"] = True
    return out


def _stored_range(grid_range: dict[str, Any] | None) -> dict[str, Any]:
    grid_range = grid_range or {}
    out = {
        k: as_int(grid_range[k])
        for k in ("sheetId", "startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")
        if grid_range.get(k) is not None
    }
    out.setdefault("sheetId", 0)
    return out


def add_protected_range(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    ss = batch.ss
    pr = req.get("protectedRange") or {}
    named = pr.get("namedRangeId")
    if named:
        match = next((n for n in ss.named_ranges if n.get("namedRangeId") == named), None)
        if match is None:
            raise RequestError(f"No named range with id: {named}")
        grid_range = match["range"]
    else:
        grid_range = pr.get("range") or {}
    sheet, *_ = batch.grid_box(grid_range)
    taken = _protected_ids(ss)
    pr_id = as_int(pr.get("protectedRangeId"))
    if pr_id is None:
        pr_id = new_int_id(taken)
    elif pr_id in taken:
        raise RequestError(f"A protected range with id {pr_id} already exists.")
    if pr.get("warningOnly") and _normalise_editors(pr.get("editors")):
        raise RequestError("A warning-only protected range cannot have editors.")
    stored: dict[str, Any] = {"protectedRangeId": pr_id}
    if named:
        stored["namedRangeId"] = named
    else:
        stored["range"] = _stored_range(grid_range)
    for key in ("description", "warningOnly"):
        if pr.get(key):
            stored[key] = pr[key]
    if pr.get("unprotectedRanges"):
        stored["unprotectedRanges"] = [_stored_range(r) for r in pr["unprotectedRanges"]]
    stored["editors"] = _normalise_editors(pr.get("editors"))
    sheet.protected_ranges.append(stored)
    return {"addProtectedRange": {"protectedRange": protected_range_json(stored, owner=None)}}


def _find_protected(ss: Spreadsheet, pr_id: Any) -> tuple[Sheet, dict[str, Any]]:
    wanted = as_int(pr_id)
    for sheet in ss.sheets:
        for pr in sheet.protected_ranges:
            if pr["protectedRangeId"] == wanted:
                return sheet, pr
    raise RequestError(f"No protected range with id: {wanted}")


def update_protected_range(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    source = req.get("protectedRange") or {}
    sheet, pr = _find_protected(batch.ss, source.get("protectedRangeId"))
    paths = fieldmask.leaf_paths(batch.fields(req))
    updated = copy.deepcopy(pr)
    for path in paths:
        if path[0] == "*":
            updated.update({k: copy.deepcopy(v) for k, v in source.items() if k != "protectedRangeId"})
        elif path[0] != "protectedRangeId":
            _set_path(updated, path, _get_path(source, path))
    if "range" in updated:
        new_sheet, *_ = batch.grid_box(updated["range"])
        updated["range"] = _stored_range(updated["range"])
        if new_sheet is not sheet:
            sheet.protected_ranges.remove(pr)
            new_sheet.protected_ranges.append(pr)
    updated["editors"] = _normalise_editors(updated.get("editors"))
    pr.clear()
    pr.update({k: v for k, v in updated.items() if v not in (None, False, "")})
    return {}


def delete_protected_range(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet, pr = _find_protected(batch.ss, req.get("protectedRangeId"))
    sheet.protected_ranges.remove(pr)
    return {}


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _merge_box(sheet: Sheet, m: dict[str, Any]) -> tuple[int, int, int, int]:
    return (
        as_int(m.get("startRowIndex"), 0) or 0,
        as_int(m.get("endRowIndex"), sheet.row_count) or 0,
        as_int(m.get("startColumnIndex"), 0) or 0,
        as_int(m.get("endColumnIndex"), sheet.col_count) or 0,
    )


def merge_cells(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet, r0, r1, c0, c1 = batch.grid_box(req.get("range"))
    kind = req.get("mergeType") or "MERGE_ALL"
    if kind == "MERGE_ROWS":
        boxes = [(r, r + 1, c0, c1) for r in range(r0, r1)]
    elif kind == "MERGE_COLUMNS":
        boxes = [(r0, r1, c, c + 1) for c in range(c0, c1)]
    else:
        boxes = [(r0, r1, c0, c1)]
    boxes = [b for b in boxes if (b[1] - b[0]) * (b[3] - b[2]) > 1]
    # Like Google: merges the new ones overlap are replaced, not refused.
    sheet.merges = [m for m in sheet.merges if not any(_overlaps(box, _merge_box(sheet, m)) for box in boxes)]
    for box in boxes:
        br0, br1, bc0, bc1 = box
        for r, c, cell in list(sheet.cells_in(br0, br1, bc0, bc1)):
            if (r, c) != (br0, bc0) and "userEnteredValue" in cell:  # only the top-left value survives
                sheet.put(r, c, {k: v for k, v in cell.items() if k != "userEnteredValue"})
        sheet.merges.append(
            {"sheetId": sheet.sheet_id, "startRowIndex": br0, "endRowIndex": br1, "startColumnIndex": bc0, "endColumnIndex": bc1}
        )
    return {}


def unmerge_cells(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet, r0, r1, c0, c1 = batch.grid_box(req.get("range"))
    sheet.merges = [m for m in sheet.merges if not _overlaps((r0, r1, c0, c1), _merge_box(sheet, m))]
    return {}


def set_basic_filter(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(req.get("filter") or {})
    sheet, r0, r1, c0, c1 = batch.grid_box(spec.get("range"))
    # Google stores the resolved box (open sides clipped to the grid) and echoes all four indexes.
    spec["range"] = {"sheetId": sheet.sheet_id, "startRowIndex": r0, "endRowIndex": r1,
                     "startColumnIndex": c0, "endColumnIndex": c1}
    sheet.basic_filter = {k: v for k, v in spec.items() if v is not None}
    return {}


def clear_basic_filter(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    batch.sheet(req.get("sheetId")).basic_filter = None
    return {}


def update_borders(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    sheet, r0, r1, c0, c1 = batch.grid_box(req.get("range"))
    sides = {k: _normalise_colors(copy.deepcopy(req[k])) for k in (
        "top", "bottom", "left", "right", "innerHorizontal", "innerVertical") if req.get(k) is not None}

    def border(spec: dict[str, Any]) -> dict[str, Any] | None:
        if spec.get("style") in (None, "NONE"):
            return None
        out = dict(spec)
        out.setdefault("width", 2 if spec["style"] == "SOLID_MEDIUM" else 3 if spec["style"] == "SOLID_THICK" else 1)
        return out

    for r in range(r0, r1):
        for c in range(c0, c1):
            wanted: dict[str, dict[str, Any]] = {}
            if r == r0 and "top" in sides:
                wanted["top"] = sides["top"]
            if r > r0 and "innerHorizontal" in sides:
                wanted["top"] = sides["innerHorizontal"]
            if r == r1 - 1 and "bottom" in sides:
                wanted["bottom"] = sides["bottom"]
            if r < r1 - 1 and "innerHorizontal" in sides:
                wanted["bottom"] = sides["innerHorizontal"]
            if c == c0 and "left" in sides:
                wanted["left"] = sides["left"]
            if c > c0 and "innerVertical" in sides:
                wanted["left"] = sides["innerVertical"]
            if c == c1 - 1 and "right" in sides:
                wanted["right"] = sides["right"]
            if c < c1 - 1 and "innerVertical" in sides:
                wanted["right"] = sides["innerVertical"]
            if not wanted:
                continue
            cell = dict(sheet.cells.get((r, c)) or {})
            fmt = dict(cell.get("userEnteredFormat") or {})
            borders = dict(fmt.get("borders") or {})
            for side, spec in wanted.items():
                value = border(spec)
                if value is None:
                    borders.pop(side, None)
                else:
                    borders[side] = value
            fmt["borders"] = borders
            cell["userEnteredFormat"] = _prune(fmt)
            sheet.put(r, c, cell)
    return {}


def add_named_range(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    ss = batch.ss
    named = req.get("namedRange") or {}
    name = named.get("name") or ""
    if not name or not name.replace("_", "a").isalnum() or name[0].isdigit():
        raise RequestError(f"Invalid named range name: {name}")
    if any(n["name"].casefold() == name.casefold() for n in ss.named_ranges):
        raise RequestError(f"A named range with the name \"{name}\" already exists.")
    batch.grid_box(named.get("range"))
    entry = {
        "namedRangeId": named.get("namedRangeId") or _new_named_range_id(),
        "name": name,
        "range": _stored_range(named.get("range")),
    }
    ss.named_ranges.append(entry)
    return {"addNamedRange": {"namedRange": {**entry, "range": grid_range_json(entry["range"])}}}


def _new_named_range_id() -> str:
    return "".join(_RNG.choice(string.ascii_lowercase + string.digits) for _ in range(12))


def update_named_range(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    ss = batch.ss
    named = req.get("namedRange") or {}
    wanted = named.get("namedRangeId")
    entry = next((n for n in ss.named_ranges if n.get("namedRangeId") == wanted), None)
    if entry is None:
        raise RequestError(f"No named range with id: {wanted}")
    paths = fieldmask.leaf_paths(batch.fields(req))
    every = any(path[0] == "*" for path in paths)
    if every or any(path[0] == "name" for path in paths):
        name = named.get("name") or ""
        if not name or not name.replace("_", "a").isalnum() or name[0].isdigit():
            raise RequestError(f"Invalid named range name: {name}")
        if any(n is not entry and n["name"].casefold() == name.casefold() for n in ss.named_ranges):
            raise RequestError(f"A named range with the name \"{name}\" already exists.")
        entry["name"] = name
    if every or any(path[0] == "range" for path in paths):
        batch.grid_box(named.get("range"))
        entry["range"] = _stored_range(named.get("range"))
    return {}


def delete_named_range(batch: Batch, req: dict[str, Any]) -> dict[str, Any]:
    ss = batch.ss
    wanted = req.get("namedRangeId")
    before = len(ss.named_ranges)
    ss.named_ranges = [n for n in ss.named_ranges if n.get("namedRangeId") != wanted]
    if len(ss.named_ranges) == before:
        raise RequestError(f"No named range with id: {wanted}")
    return {}


HANDLERS: dict[str, Handler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "duplicateSheet": duplicate_sheet,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "appendDimension": append_dimension,
    "updateDimensionProperties": update_dimension_properties,
    "autoResizeDimensions": auto_resize_dimensions,
    "sortRange": sort_range,
    "repeatCell": repeat_cell,
    "updateCells": update_cells,
    "appendCells": append_cells,
    "setDataValidation": set_data_validation,
    "addProtectedRange": add_protected_range,
    "updateProtectedRange": update_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
    "setBasicFilter": set_basic_filter,
    "clearBasicFilter": clear_basic_filter,
    "updateBorders": update_borders,
    "addNamedRange": add_named_range,
    "deleteNamedRange": delete_named_range,
    "updateNamedRange": update_named_range,
    "addDimensionGroup": add_dimension_group,
    "deleteDimensionGroup": delete_dimension_group,
    "updateDimensionGroup": update_dimension_group,
    "copyPaste": copy_paste,
    "cutPaste": cut_paste,
}
assert set(HANDLERS) == set(IMPLEMENTED_REQUESTS)


# --------------------------------------------------------------------------- entry point


def _request_kind(request: Any, index: int) -> str:
    where = f"requests[{index}]"
    if not isinstance(request, dict):
        raise invalid_value(where, "type.googleapis.com/google.apps.sheets.v4.Request", request)
    kinds = [k for k, v in request.items() if v is not None]
    for k in kinds:
        if k not in IMPLEMENTED_REQUESTS and k not in OTHER_REQUESTS:
            raise unknown_name(k, where)
    if not kinds:
        raise invalid_argument(f"Invalid requests[{index}]: No request set.")
    if len(kinds) > 1:
        raise invalid_argument(
            f"Invalid value at '{where}' (oneof), oneof field 'kind' is already set. Cannot set '{kinds[1]}'"
        )
    return kinds[0]


def batch_update(store: Store, ss: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    """Apply a batchUpdate body atomically; returns the response JSON."""
    validate(body, "BatchUpdateSpreadsheetRequest", "")
    requests = body.get("requests")
    if requests is not None and not isinstance(requests, list):
        raise invalid_value("requests", "type.googleapis.com/google.apps.sheets.v4.Request", requests)
    if not requests:
        raise invalid_argument("Must specify at least one request.")
    kinds = []
    for i, request in enumerate(requests):
        kind = _request_kind(request, i)
        if kind in OTHER_REQUESTS:
            raise sheets_error(501, f"Request type '{kind}' (requests[{i}]) is not implemented by the emulator.")
        validate(request[kind], IMPLEMENTED_REQUESTS[kind], f"requests[{i}].{snake(kind)}")
        kinds.append(kind)
    work = clone(ss)
    batch = Batch(store, work)
    replies = []
    for i, (kind, request) in enumerate(zip(kinds, requests)):
        try:
            replies.append(HANDLERS[kind](batch, request[kind]))
        except RequestError as exc:
            raise invalid_argument(f"Invalid requests[{i}].{kind}: {exc}") from None
        except ApiError as exc:
            if exc.code == 400 and "details" not in exc.body["error"]:
                raise invalid_argument(f"Invalid requests[{i}].{kind}: {exc.message}") from None
            raise
    store.replace_spreadsheet(work)
    response: dict[str, Any] = {"spreadsheetId": work.id, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        response["updatedSpreadsheet"] = spreadsheet_json(
            work,
            store.account_email,
            include_grid_data=bool(body.get("responseIncludeGridData")),
            ranges=list(body.get("responseRanges") or []),
        )
    return response
