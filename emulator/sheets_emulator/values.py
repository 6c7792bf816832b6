"""spreadsheets.values.*: get, batchGet, update, batchUpdate, append, clear, batchClear.

The behaviour mirrors the recordings: ranges come back normalised and bounded
by the grid, trailing empty cells and rows are trimmed (an empty row in the
middle is ``[]``, an all-empty range has no ``values`` key at all), RAW stores
strings verbatim while USER_ENTERED parses numbers, booleans, dates and
formulas, and ``null`` in input leaves a cell untouched.
"""

from __future__ import annotations

from typing import Any

from . import a1, formula, numfmt
from .errors import ApiError, invalid_argument, invalid_value, json_repr
from .model import (
    MAX_CELLS,
    Calculator,
    Sheet,
    Spreadsheet,
    grid_limit_error,
    json_number,
    outside_grid,
    resolve_bounds,
)
from .structure import shift_sheet

VALUE_INPUT_OPTIONS = ("RAW", "USER_ENTERED")
VALUE_RENDER_OPTIONS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATETIME_RENDER_OPTIONS = ("SERIAL_NUMBER", "FORMATTED_STRING")
DIMENSIONS = ("ROWS", "COLUMNS")
INSERT_DATA_OPTIONS = ("OVERWRITE", "INSERT_ROWS")

_ENUM_TYPES = {
    "valueInputOption": ("value_input_option", "ValueInputOption", ("INPUT_VALUE_OPTION_UNSPECIFIED",) + VALUE_INPUT_OPTIONS),
    "valueRenderOption": ("value_render_option", "ValueRenderOption", VALUE_RENDER_OPTIONS),
    "responseValueRenderOption": ("response_value_render_option", "ValueRenderOption", VALUE_RENDER_OPTIONS),
    "dateTimeRenderOption": ("date_time_render_option", "DateTimeRenderOption", DATETIME_RENDER_OPTIONS),
    "responseDateTimeRenderOption": (
        "response_date_time_render_option",
        "DateTimeRenderOption",
        DATETIME_RENDER_OPTIONS,
    ),
    "majorDimension": ("major_dimension", "Dimension", ("DIMENSION_UNSPECIFIED",) + DIMENSIONS),
    "insertDataOption": ("insert_data_option", "InsertDataOption", INSERT_DATA_OPTIONS),
}


class Options:
    """Query/body options with Google's defaults and enum validation."""

    def __init__(self, source: dict[str, Any], prefix: str = "") -> None:
        self.source = source
        self.prefix = prefix

    def enum(self, name: str, default: str | None) -> str | None:
        value = self.source.get(name)
        if value is None or value == "":
            return default
        field, type_name, allowed = _ENUM_TYPES[name]
        if value not in allowed:
            where = f"{self.prefix}{field}" if self.prefix else field
            raise invalid_value(where, f"type.googleapis.com/google.apps.sheets.v4.{type_name}", value)
        return str(value)

    def flag(self, name: str) -> bool:
        value = self.source.get(name)
        if isinstance(value, bool):
            return value
        return str(value).lower() == "true" if value is not None else False


# --------------------------------------------------------------------------- rendering


def render_cell(calc: Calculator, sheet: Sheet, row: int, col: int, render: str, dt_render: str) -> Any:
    """One cell as the values API returns it; None when the cell has no value."""
    cell = sheet.cells.get((row, col))
    if not cell or "userEnteredValue" not in cell:
        return None
    entered = cell["userEnteredValue"]
    if render == "FORMULA" and "formulaValue" in entered:
        return entered["formulaValue"]
    value = calc.effective(sheet, row, col)
    return render_scalar(value, calc.number_format(sheet, row, col), render, dt_render)


def render_scalar(value: formula.Scalar, number_format: dict[str, Any] | None, render: str, dt_render: str) -> Any:
    if value is None:
        return None
    if isinstance(value, formula.Err):
        return value.code
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if render == "FORMATTED_VALUE" else value
    if isinstance(value, str):
        return value
    if render == "FORMATTED_VALUE":
        return numfmt.format_number(value, number_format)
    if numfmt.is_date_format(number_format) and dt_render == "FORMATTED_STRING":
        return numfmt.format_number(value, number_format)
    return json_number(value)


def value_range(
    calc: Calculator,
    sheet: Sheet,
    box: tuple[int, int, int, int],
    major: str,
    render: str,
    dt_render: str,
) -> dict[str, Any]:
    """A ValueRange for a bounded rectangle, trimmed like Google trims."""
    r0, r1, c0, c1 = box
    found: dict[tuple[int, int], Any] = {}
    for r, c, _cell in sheet.cells_in(r0, r1, c0, c1):
        rendered = render_cell(calc, sheet, r, c, render, dt_render)
        if rendered is not None:
            found[(r - r0, c - c0) if major == "ROWS" else (c - c0, r - r0)] = rendered
    result: dict[str, Any] = {"range": a1.format_range(sheet.title, r0, r1, c0, c1), "majorDimension": major}
    if found:
        height = max(i for i, _ in found) + 1
        rows: list[list[Any]] = [[] for _ in range(height)]
        widths: dict[int, int] = {}
        for i, j in found:
            widths[i] = max(widths.get(i, 0), j + 1)
        for i, width in widths.items():
            rows[i] = [found.get((i, j), "") for j in range(width)]
        result["values"] = rows
    return result


def _read_options(params: dict[str, Any]) -> tuple[str, str, str]:
    opts = Options(params)
    major = opts.enum("majorDimension", "ROWS")
    if major == "DIMENSION_UNSPECIFIED":
        major = "ROWS"
    render = opts.enum("valueRenderOption", "FORMATTED_VALUE")
    dt_render = opts.enum("dateTimeRenderOption", "SERIAL_NUMBER")
    return major, render, dt_render  # type: ignore[return-value]


def read(ss: Spreadsheet, range_text: str, params: dict[str, Any], calc: Calculator | None = None) -> dict[str, Any]:
    sheet, bounds, _ = ss.resolve_range(range_text)
    box = resolve_bounds(sheet, bounds)
    major, render, dt_render = _read_options(params)
    return value_range(calc or Calculator(ss), sheet, box, major, render, dt_render)


def get(ss: Spreadsheet, range_text: str, params: dict[str, Any]) -> dict[str, Any]:
    return read(ss, range_text, params)


def batch_get(ss: Spreadsheet, ranges: list[str], params: dict[str, Any]) -> dict[str, Any]:
    calc = Calculator(ss)
    result: dict[str, Any] = {"spreadsheetId": ss.id}
    if ranges:
        result["valueRanges"] = [read(ss, text, params, calc) for text in ranges]
    return result


# --------------------------------------------------------------------------- writing


def input_cell(raw: Any, option: str, locale: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(userEnteredValue or None to clear, numberFormat to set or None) for one input value."""
    if isinstance(raw, bool):
        return {"boolValue": raw}, None
    if isinstance(raw, (int, float)):
        return {"numberValue": json_number(float(raw)) if isinstance(raw, float) else raw}, None
    text = str(raw)
    if text == "":
        return None, None
    if option == "RAW":
        return {"stringValue": text}, None
    value, number_format = numfmt.parse_user_entered(text, locale)
    if "formulaValue" in value:
        value = {"formulaValue": formula.normalize(value["formulaValue"])}
    return value, number_format


def check_values(values: Any, field: str) -> list[list[Any]]:
    """Validate the ``values`` member like Google's JSON→proto decoding does."""
    if values is None:
        return []
    if not isinstance(values, list):
        raise invalid_value(field, "type.googleapis.com/google.protobuf.ListValue", values)
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise invalid_value(f"{field}[{i}]", "type.googleapis.com/google.protobuf.ListValue", row)
        for j, item in enumerate(row):
            if isinstance(item, (dict, list)):
                raise invalid_argument(f"Invalid values[{i}][{j}]: {_proto_text(item)}")
    return values


def _proto_text(item: Any, depth: int = 0) -> str:
    """Render a JSON value the way Google echoes a ``google.protobuf.Value`` in errors."""
    pad = "  " * (depth + 1)
    if isinstance(item, list):
        inner = "".join(f"{pad}values {{\n{_proto_field(v, depth + 2)}{pad}}}\n" for v in item)
        return f"list_value \t {{\n{inner}{'  ' * depth}}}\n"
    if isinstance(item, dict):
        inner = "".join(
            f"{pad}fields {{\n{pad}  key: {json_repr(k)}\n{pad}  value {{\n{_proto_field(v, depth + 3)}{pad}  }}\n{pad}}}\n"
            for k, v in item.items()
        )
        return f"struct_value \t {{\n{inner}{'  ' * depth}}}\n"
    return _proto_field(item, depth)


def _proto_field(item: Any, depth: int) -> str:
    pad = "  " * depth
    if isinstance(item, bool):
        return f"{pad}bool_value: {'true' if item else 'false'}\n"
    if isinstance(item, (int, float)):
        return f"{pad}number_value: {float(item)!r}\n"
    if isinstance(item, str):
        return f"{pad}string_value: {json_repr(item)}\n"
    if item is None:
        return f"{pad}null_value: NULL_VALUE\n"
    return pad + _proto_text(item, depth)


def write_block(
    ss: Spreadsheet,
    sheet: Sheet,
    r0: int,
    c0: int,
    rows: list[list[Any]],
    option: str,
) -> tuple[int, int, int]:
    """Write a block at (r0, c0); returns (updatedRows, updatedColumns, updatedCells)."""
    touched_rows: set[int] = set()
    touched_cols: set[int] = set()
    count = 0
    for i, row in enumerate(rows):
        for j, raw in enumerate(row):
            if raw is None:
                continue  # null means "leave this cell alone"
            value, number_format = input_cell(raw, option, ss.locale)
            cell = dict(sheet.cells.get((r0 + i, c0 + j)) or {})
            if value is None:
                cell.pop("userEnteredValue", None)
            else:
                cell["userEnteredValue"] = value
            if number_format is not None:
                fmt = dict(cell.get("userEnteredFormat") or {})
                if not numfmt.is_date_format(fmt.get("numberFormat")) or numfmt.is_date_format(number_format):
                    fmt["numberFormat"] = number_format
                cell["userEnteredFormat"] = fmt
            sheet.put(r0 + i, c0 + j, cell)
            touched_rows.add(i)
            touched_cols.add(j)
            count += 1
    return len(touched_rows), len(touched_cols), count


def _oriented(values: list[list[Any]], major: str) -> list[list[Any]]:
    if major != "COLUMNS" or not values:
        return values
    height = max(len(col) for col in values)
    return [[col[i] if i < len(col) else None for col in values] for i in range(height)]


def _prepare_write(
    ss: Spreadsheet,
    range_text: str,
    body: dict[str, Any],
    field_prefix: str,
) -> tuple[Sheet, int, int, list[list[Any]]]:
    """Resolve target and validate a ValueRange body before anything is written."""
    values = check_values(body.get("values"), f"{field_prefix}values")
    major = Options(body, field_prefix).enum("majorDimension", "ROWS")
    rows = _oriented(values, "COLUMNS" if major == "COLUMNS" else "ROWS")
    sheet, bounds, has_end = ss.resolve_range(range_text)
    r0 = bounds.start_row or 0
    c0 = bounds.start_col or 0
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    if has_end:
        limit_rows = bounds.end_row
        limit_cols = bounds.end_col
        shown = a1.format_unbounded(sheet.title, bounds)
        if limit_rows is not None and r0 + height > limit_rows:
            raise invalid_argument(
                f"Requested writing within range [{shown}], but tried writing to row [{limit_rows + 1}]"
            )
        if limit_cols is not None and c0 + width > limit_cols:
            raise invalid_argument(
                f"Requested writing within range [{shown}], but tried writing to column "
                f"[{a1.column_letters(limit_cols)}]"
            )
    if outside_grid(sheet, r0, r0 + max(height, 1), c0, c0 + max(width, 1)):
        label = a1.format_unbounded(sheet.title, bounds) if bounds != a1.WHOLE_SHEET else a1.format_range(
            sheet.title, r0, r0 + max(height, 1), c0, c0 + max(width, 1)
        )
        raise grid_limit_error(sheet, label)
    return sheet, r0, c0, rows


def _update_response(
    ss: Spreadsheet,
    sheet: Sheet,
    r0: int,
    c0: int,
    rows: list[list[Any]],
    counts: tuple[int, int, int],
    params: Options,
) -> dict[str, Any]:
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    result: dict[str, Any] = {"spreadsheetId": ss.id}
    box = (r0, r0 + max(height, 1), c0, c0 + max(width, 1))
    result["updatedRange"] = a1.format_range(sheet.title, *box)
    if counts[2]:
        result["updatedRows"], result["updatedColumns"], result["updatedCells"] = counts
    if params.flag("includeValuesInResponse"):
        render = params.enum("responseValueRenderOption", "FORMATTED_VALUE")
        dt_render = params.enum("responseDateTimeRenderOption", "SERIAL_NUMBER")
        result["updatedData"] = value_range(Calculator(ss), sheet, box, "ROWS", render, dt_render)  # type: ignore[arg-type]
    return result


def _input_option(opts: Options) -> str:
    option = opts.enum("valueInputOption", None)
    if option in (None, "INPUT_VALUE_OPTION_UNSPECIFIED"):
        raise invalid_argument("'valueInputOption' is required but not specified")
    return option  # type: ignore[return-value]


def update(ss: Spreadsheet, range_text: str, body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    opts = Options(params)
    option = _input_option(opts)
    check_body_range(ss, range_text, body)
    sheet, r0, c0, rows = _prepare_write(ss, range_text, body, "data.")
    counts = write_block(ss, sheet, r0, c0, rows, option)
    return _update_response(ss, sheet, r0, c0, rows, counts, opts)


def check_body_range(ss: Spreadsheet, range_text: str, body: dict[str, Any]) -> None:
    """A ValueRange body may repeat the range, but it must be the URL's range."""
    in_body = body.get("range")
    if not in_body:
        return
    if _canonical(ss, str(in_body)) != _canonical(ss, range_text):
        raise invalid_argument(f"Request range[{range_text}] does not match value's range[{in_body}]")


def _canonical(ss: Spreadsheet, text: str) -> tuple[int, a1.Bounds] | str:
    try:
        sheet, bounds, _ = ss.resolve_range(text)
    except ApiError:
        return text
    return sheet.sheet_id, bounds


def batch_update(ss: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    """values:batchUpdate — validated completely before the first write (all or nothing)."""
    opts = Options(body)
    option = _input_option(opts)
    data = body.get("data") or []
    plans = []
    for i, item in enumerate(data):
        try:
            plans.append(_prepare_write(ss, str(item.get("range", "")), item, f"data[{i}]."))
        except ApiError as exc:
            if exc.code == 400 and "details" not in exc.body["error"]:
                raise invalid_argument(f"Invalid data[{i}]: {exc.message}") from None
            raise
    responses = []
    rows_touched: set[tuple[int, int]] = set()
    cols_touched: set[tuple[int, int]] = set()
    sheets_touched: set[int] = set()
    total_cells = 0
    for sheet, r0, c0, rows in plans:
        counts = write_block(ss, sheet, r0, c0, rows, option)
        responses.append(_update_response(ss, sheet, r0, c0, rows, counts, opts))
        for i, row in enumerate(rows):
            for j, raw in enumerate(row):
                if raw is not None:
                    rows_touched.add((sheet.sheet_id, r0 + i))
                    cols_touched.add((sheet.sheet_id, c0 + j))
                    sheets_touched.add(sheet.sheet_id)
        total_cells += counts[2]
    result: dict[str, Any] = {"spreadsheetId": ss.id}
    if total_cells:
        result.update(
            totalUpdatedRows=len(rows_touched),
            totalUpdatedColumns=len(cols_touched),
            totalUpdatedCells=total_cells,
            totalUpdatedSheets=len(sheets_touched),
        )
    if responses:
        result["responses"] = responses
    return result


def _has_value(cell: dict[str, Any]) -> bool:
    return "userEnteredValue" in cell


def find_table(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> tuple[int, int, int, int] | None:
    """The 'table' values.append looks for: the region of contiguous data around the
    last non-empty cell of the range in reading order (it may extend past the range, so that
    ``table_range="A1"`` finds a table starting at A1). Recorded: with data in A1 and C1 only,
    Google reports ``tableRange`` C1 and appends at C2, so the search ends at the last cell."""
    filled = {(r, c) for (r, c), cell in sheet.cells.items() if _has_value(cell)}
    seeds = sorted((r, c) for r, c in filled if r0 <= r < r1 and c0 <= c < c1)
    if not seeds:
        return None
    top, left = seeds[-1]
    bottom, right = top + 1, left + 1
    while True:  # grow the rectangle while any cell touching its border holds data
        before = (top, bottom, left, right)
        while any((bottom, c) in filled for c in range(left - 1, right + 1)):
            bottom += 1
        while top > 0 and any((top - 1, c) in filled for c in range(left - 1, right + 1)):
            top -= 1
        while any((r, right) in filled for r in range(top - 1, bottom + 1)):
            right += 1
        while left > 0 and any((r, left - 1) in filled for r in range(top - 1, bottom + 1)):
            left -= 1
        if (top, bottom, left, right) == before:
            return top, bottom, left, right


def append(
    ss: Spreadsheet,
    range_text: str,
    body: dict[str, Any],
    params: dict[str, Any],
) -> dict[str, Any]:
    opts = Options(params)
    option = _input_option(opts)
    insert_mode = opts.enum("insertDataOption", "OVERWRITE")
    values = check_values(body.get("values"), "data.values")
    major = Options(body, "data.").enum("majorDimension", "ROWS")
    rows = _oriented(values, "COLUMNS" if major == "COLUMNS" else "ROWS")
    check_body_range(ss, range_text, body)
    sheet, bounds, _ = ss.resolve_range(range_text)
    r0, r1, c0, c1 = resolve_bounds(sheet, bounds)
    table = find_table(sheet, r0, r1, c0, c1)
    start_row, start_col = (table[1], table[2]) if table else (r0, c0)
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    if start_col + width > sheet.col_count:
        raise grid_limit_error(
            sheet, a1.format_range(sheet.title, start_row, start_row + max(height, 1), start_col, start_col + width)
        )
    if insert_mode == "INSERT_ROWS" and height:
        if ss.total_cells() + height * sheet.col_count > MAX_CELLS:
            raise invalid_argument(
                f"This action would increase the number of cells in the workbook above the limit of {MAX_CELLS} cells."
            )
        shift_sheet(ss, sheet, "ROWS", start_row, height)
    elif start_row + height > sheet.row_count:
        grow = start_row + height - sheet.row_count
        if ss.total_cells() + grow * sheet.col_count > MAX_CELLS:
            raise invalid_argument(
                f"This action would increase the number of cells in the workbook above the limit of {MAX_CELLS} cells."
            )
        sheet.grid["rowCount"] = sheet.row_count + grow
    counts = write_block(ss, sheet, start_row, start_col, rows, option)
    result: dict[str, Any] = {"spreadsheetId": ss.id}
    if table:
        result["tableRange"] = a1.format_range(sheet.title, *table)
    result["updates"] = _update_response(ss, sheet, start_row, start_col, rows, counts, opts)
    return result


def replace_with_rows(ss: Spreadsheet, rows: list[list[str]]) -> None:
    """Make ``rows`` the whole content of the first sheet (typed in: numbers and dates parsed)
    and drop every other sheet, as converting an uploaded CSV into the spreadsheet does."""
    first = ss.sheets[0]
    ss.sheets = [first]
    first.cells = {}
    first.merges = []
    first.basic_filter = None
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    first.grid["rowCount"] = max(first.row_count, height)
    first.grid["columnCount"] = max(first.col_count, width)
    ss.named_ranges = [n for n in ss.named_ranges if (n.get("range") or {}).get("sheetId", 0) == first.sheet_id]
    write_block(ss, first, 0, 0, [[v if v != "" else None for v in row] for row in rows], "USER_ENTERED")


def clear(ss: Spreadsheet, range_text: str) -> str:
    """Remove values (formats and notes stay); returns the normalised cleared range."""
    sheet, bounds, _ = ss.resolve_range(range_text)
    r0, r1, c0, c1 = resolve_bounds(sheet, bounds)
    for r, c, cell in list(sheet.cells_in(r0, r1, c0, c1)):
        if "userEnteredValue" in cell:
            remaining = {k: v for k, v in cell.items() if k != "userEnteredValue"}
            sheet.put(r, c, remaining)
    return a1.format_range(sheet.title, r0, r1, c0, c1)


def batch_clear(ss: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    ranges = body.get("ranges") or []
    for text in ranges:  # validate everything first: a bad range must not leave a half-cleared sheet
        sheet, bounds, _ = ss.resolve_range(str(text))
        resolve_bounds(sheet, bounds)
    cleared = [clear(ss, str(text)) for text in ranges]
    result: dict[str, Any] = {"spreadsheetId": ss.id}
    if cleared:
        result["clearedRanges"] = cleared
    return result
