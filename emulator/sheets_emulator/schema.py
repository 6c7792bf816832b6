"""Proto-style validation of request bodies.

Google decodes JSON into protobuf messages before doing anything else, so a
misspelt field (``"sheetID"``), a string where a number belongs or an unknown
enum value fails the whole call with a 400 naming the field path in
snake_case.  Catching these in the emulator is the point: code that passes here
will not trip over them against Google.  Only the messages used by the
implemented requests are described; ``ANY`` skips validation of a subtree.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import invalid_value, unknown_name

ANY = "any"
FieldType = str | tuple | list

SHEETS_TYPE = "type.googleapis.com/google.apps.sheets.v4."


def enum(name: str, *values: str) -> tuple[str, str, frozenset[str]]:
    return ("enum", name, frozenset(values))


DIMENSION = enum("Dimension", "DIMENSION_UNSPECIFIED", "ROWS", "COLUMNS")
THEME_COLOR = enum(
    "ThemeColorType",
    "THEME_COLOR_TYPE_UNSPECIFIED", "TEXT", "BACKGROUND", "ACCENT1", "ACCENT2", "ACCENT3",
    "ACCENT4", "ACCENT5", "ACCENT6", "LINK",
)
CONDITION_TYPE = enum(
    "ConditionType",
    "CONDITION_TYPE_UNSPECIFIED", "NUMBER_GREATER", "NUMBER_GREATER_THAN_EQ", "NUMBER_LESS",
    "NUMBER_LESS_THAN_EQ", "NUMBER_EQ", "NUMBER_NOT_EQ", "NUMBER_BETWEEN", "NUMBER_NOT_BETWEEN",
    "TEXT_CONTAINS", "TEXT_NOT_CONTAINS", "TEXT_STARTS_WITH", "TEXT_ENDS_WITH", "TEXT_EQ",
    "TEXT_IS_EMAIL", "TEXT_IS_URL", "DATE_EQ", "DATE_BEFORE", "DATE_AFTER", "DATE_ON_OR_BEFORE",
    "DATE_ON_OR_AFTER", "DATE_BETWEEN", "DATE_NOT_BETWEEN", "DATE_IS_VALID", "ONE_OF_RANGE",
    "ONE_OF_LIST", "BLANK", "NOT_BLANK", "CUSTOM_FORMULA", "BOOLEAN", "TEXT_NOT_EQ", "DATE_NOT_EQ",
    "FILTER_EXPRESSION",
)

PASTE_TYPE = enum(
    "PasteType", "PASTE_NORMAL", "PASTE_VALUES", "PASTE_FORMAT", "PASTE_NO_BORDERS", "PASTE_FORMULA",
    "PASTE_DATA_VALIDATION", "PASTE_CONDITIONAL_FORMATTING",
)

MESSAGES: dict[str, dict[str, FieldType]] = {
    "GridRange": {
        "sheetId": "int32", "startRowIndex": "int32", "endRowIndex": "int32",
        "startColumnIndex": "int32", "endColumnIndex": "int32",
    },
    "DimensionRange": {"sheetId": "int32", "dimension": DIMENSION, "startIndex": "int32", "endIndex": "int32"},
    "GridCoordinate": {"sheetId": "int32", "rowIndex": "int32", "columnIndex": "int32"},
    "Color": {"red": "float", "green": "float", "blue": "float", "alpha": "float"},
    "ColorStyle": {"rgbColor": "Color", "themeColor": THEME_COLOR},
    "GridProperties": {
        "rowCount": "int32", "columnCount": "int32", "frozenRowCount": "int32", "frozenColumnCount": "int32",
        "hideGridlines": "bool", "rowGroupControlAfter": "bool", "columnGroupControlAfter": "bool",
    },
    "SheetProperties": {
        "sheetId": "int32", "title": "string", "index": "int32",
        "sheetType": enum("SheetType", "SHEET_TYPE_UNSPECIFIED", "GRID", "OBJECT", "DATA_SOURCE"),
        "gridProperties": "GridProperties", "hidden": "bool", "tabColor": "Color", "tabColorStyle": "ColorStyle",
        "rightToLeft": "bool", "dataSourceSheetProperties": ANY,
    },
    "SpreadsheetProperties": {
        "title": "string", "locale": "string",
        "autoRecalc": enum("RecalculationInterval", "RECALCULATION_INTERVAL_UNSPECIFIED", "ON_CHANGE", "MINUTE", "HOUR"),
        "timeZone": "string", "defaultFormat": "CellFormat", "iterativeCalculationSettings": ANY,
        "spreadsheetTheme": ANY, "importFunctionsExternalUrlAccessAllowed": "bool",
    },
    "NumberFormat": {
        "type": enum(
            "NumberFormatType", "NUMBER_FORMAT_TYPE_UNSPECIFIED", "TEXT", "NUMBER", "PERCENT", "CURRENCY",
            "DATE", "TIME", "DATE_TIME", "SCIENTIFIC",
        ),
        "pattern": "string",
    },
    "Padding": {"top": "int32", "right": "int32", "bottom": "int32", "left": "int32"},
    "Link": {"uri": "string"},
    "TextFormat": {
        "foregroundColor": "Color", "foregroundColorStyle": "ColorStyle", "fontFamily": "string",
        "fontSize": "int32", "bold": "bool", "italic": "bool", "strikethrough": "bool", "underline": "bool",
        "link": "Link",
    },
    "TextRotation": {"angle": "int32", "vertical": "bool"},
    "Border": {
        "style": enum(
            "Style", "STYLE_UNSPECIFIED", "DOTTED", "DASHED", "SOLID", "SOLID_MEDIUM", "SOLID_THICK", "NONE", "DOUBLE"
        ),
        "width": "int32", "color": "Color", "colorStyle": "ColorStyle",
    },
    "Borders": {"top": "Border", "bottom": "Border", "left": "Border", "right": "Border"},
    "CellFormat": {
        "numberFormat": "NumberFormat", "backgroundColor": "Color", "backgroundColorStyle": "ColorStyle",
        "borders": "Borders", "padding": "Padding",
        "horizontalAlignment": enum("HorizontalAlign", "HORIZONTAL_ALIGN_UNSPECIFIED", "LEFT", "CENTER", "RIGHT"),
        "verticalAlignment": enum("VerticalAlign", "VERTICAL_ALIGN_UNSPECIFIED", "TOP", "MIDDLE", "BOTTOM"),
        "wrapStrategy": enum("WrapStrategy", "WRAP_STRATEGY_UNSPECIFIED", "OVERFLOW_CELL", "LEGACY_WRAP", "CLIP", "WRAP"),
        "textDirection": enum("TextDirection", "TEXT_DIRECTION_UNSPECIFIED", "LEFT_TO_RIGHT", "RIGHT_TO_LEFT"),
        "textFormat": "TextFormat",
        "hyperlinkDisplayType": enum("HyperlinkDisplayType", "HYPERLINK_DISPLAY_TYPE_UNSPECIFIED", "LINKED", "PLAIN_TEXT"),
        "textRotation": "TextRotation",
    },
    "ErrorValue": {"type": ANY, "message": "string"},
    "ExtendedValue": {
        "numberValue": "double", "stringValue": "string", "boolValue": "bool", "formulaValue": "string",
        "errorValue": "ErrorValue",
    },
    "ConditionValue": {"relativeDate": ANY, "userEnteredValue": "string"},
    "BooleanCondition": {"type": CONDITION_TYPE, "values": ["ConditionValue"]},
    "DataValidationRule": {
        "condition": "BooleanCondition", "inputMessage": "string", "strict": "bool", "showCustomUi": "bool",
    },
    "TextFormatRun": {"startIndex": "int32", "format": "TextFormat"},
    "CellData": {
        "userEnteredValue": "ExtendedValue", "effectiveValue": "ExtendedValue", "formattedValue": "string",
        "userEnteredFormat": "CellFormat", "effectiveFormat": "CellFormat", "hyperlink": "string", "note": "string",
        "textFormatRuns": ["TextFormatRun"], "dataValidation": "DataValidationRule", "pivotTable": ANY,
        "dataSourceTable": ANY, "dataSourceFormula": ANY, "chipRuns": ANY,
    },
    "RowData": {"values": ["CellData"]},
    "Editors": {"users": ["string"], "groups": ["string"], "domainUsersCanEdit": "bool"},
    "ProtectedRange": {
        "protectedRangeId": "int32", "range": "GridRange", "namedRangeId": "string", "tableId": "string",
        "description": "string", "warningOnly": "bool", "requestingUserCanEdit": "bool",
        "unprotectedRanges": ["GridRange"], "editors": "Editors",
    },
    "DimensionProperties": {
        "hiddenByFilter": "bool", "hiddenByUser": "bool", "pixelSize": "int32", "developerMetadata": ANY,
        "dataSourceColumnReference": ANY,
    },
    "SortSpec": {
        "dimensionIndex": "int32",
        "sortOrder": enum("SortOrder", "SORT_ORDER_UNSPECIFIED", "ASCENDING", "DESCENDING"),
        "foregroundColor": "Color", "foregroundColorStyle": "ColorStyle", "backgroundColor": "Color",
        "backgroundColorStyle": "ColorStyle", "dataSourceColumnReference": ANY,
    },
    "NamedRange": {"namedRangeId": "string", "name": "string", "range": "GridRange"},
    "BasicFilter": {"range": "GridRange", "sortSpecs": ["SortSpec"], "criteria": ANY, "filterSpecs": ANY, "tableId": "string"},
    # --- requests -----------------------------------------------------------------
    "AddSheetRequest": {"properties": "SheetProperties"},
    "DeleteSheetRequest": {"sheetId": "int32"},
    "UpdateSheetPropertiesRequest": {"properties": "SheetProperties", "fields": "FieldMask"},
    "UpdateSpreadsheetPropertiesRequest": {"properties": "SpreadsheetProperties", "fields": "FieldMask"},
    "DuplicateSheetRequest": {
        "sourceSheetId": "int32", "insertSheetIndex": "int32", "newSheetId": "int32", "newSheetName": "string",
    },
    "InsertDimensionRequest": {"range": "DimensionRange", "inheritFromBefore": "bool"},
    "DeleteDimensionRequest": {"range": "DimensionRange"},
    "AppendDimensionRequest": {"sheetId": "int32", "dimension": DIMENSION, "length": "int32"},
    "UpdateDimensionPropertiesRequest": {
        "range": "DimensionRange", "properties": "DimensionProperties", "fields": "FieldMask",
        "dataSourceSheetRange": ANY,
    },
    "AutoResizeDimensionsRequest": {"dimensions": "DimensionRange", "dataSourceSheetDimensions": ANY},
    "SortRangeRequest": {"range": "GridRange", "sortSpecs": ["SortSpec"]},
    "RepeatCellRequest": {"range": "GridRange", "cell": "CellData", "fields": "FieldMask"},
    "UpdateCellsRequest": {"rows": ["RowData"], "fields": "FieldMask", "start": "GridCoordinate", "range": "GridRange"},
    "AppendCellsRequest": {"sheetId": "int32", "rows": ["RowData"], "fields": "FieldMask", "tableId": "string"},
    "SetDataValidationRequest": {"range": "GridRange", "rule": "DataValidationRule", "filteredRowsIncluded": "bool"},
    "AddProtectedRangeRequest": {"protectedRange": "ProtectedRange"},
    "UpdateProtectedRangeRequest": {"protectedRange": "ProtectedRange", "fields": "FieldMask"},
    "DeleteProtectedRangeRequest": {"protectedRangeId": "int32"},
    "MergeCellsRequest": {
        "range": "GridRange", "mergeType": enum("MergeType", "MERGE_ALL", "MERGE_COLUMNS", "MERGE_ROWS"),
    },
    "UnmergeCellsRequest": {"range": "GridRange"},
    "SetBasicFilterRequest": {"filter": "BasicFilter"},
    "ClearBasicFilterRequest": {"sheetId": "int32", "tableId": "string"},
    "UpdateBordersRequest": {
        "range": "GridRange", "top": "Border", "bottom": "Border", "left": "Border", "right": "Border",
        "innerHorizontal": "Border", "innerVertical": "Border",
    },
    "AddNamedRangeRequest": {"namedRange": "NamedRange"},
    "DeleteNamedRangeRequest": {"namedRangeId": "string"},
    "UpdateNamedRangeRequest": {"namedRange": "NamedRange", "fields": "FieldMask"},
    "DimensionGroup": {"range": "DimensionRange", "depth": "int32", "collapsed": "bool"},
    "AddDimensionGroupRequest": {"range": "DimensionRange"},
    "DeleteDimensionGroupRequest": {"range": "DimensionRange"},
    "UpdateDimensionGroupRequest": {"dimensionGroup": "DimensionGroup", "fields": "FieldMask"},
    "CopyPasteRequest": {
        "source": "GridRange", "destination": "GridRange", "pasteType": PASTE_TYPE,
        "pasteOrientation": enum("PasteOrientation", "NORMAL", "TRANSPOSE"),
    },
    "CutPasteRequest": {"source": "GridRange", "destination": "GridCoordinate", "pasteType": PASTE_TYPE},
    "BatchUpdateSpreadsheetRequest": {
        "requests": ANY, "includeSpreadsheetInResponse": "bool", "responseRanges": ["string"],
        "responseIncludeGridData": "bool",
    },
}

# Every Request kind Google knows; the implemented ones map to their message.
IMPLEMENTED_REQUESTS: dict[str, str] = {
    "addSheet": "AddSheetRequest",
    "deleteSheet": "DeleteSheetRequest",
    "updateSheetProperties": "UpdateSheetPropertiesRequest",
    "updateSpreadsheetProperties": "UpdateSpreadsheetPropertiesRequest",
    "duplicateSheet": "DuplicateSheetRequest",
    "insertDimension": "InsertDimensionRequest",
    "deleteDimension": "DeleteDimensionRequest",
    "appendDimension": "AppendDimensionRequest",
    "updateDimensionProperties": "UpdateDimensionPropertiesRequest",
    "autoResizeDimensions": "AutoResizeDimensionsRequest",
    "sortRange": "SortRangeRequest",
    "repeatCell": "RepeatCellRequest",
    "updateCells": "UpdateCellsRequest",
    "appendCells": "AppendCellsRequest",
    "setDataValidation": "SetDataValidationRequest",
    "addProtectedRange": "AddProtectedRangeRequest",
    "updateProtectedRange": "UpdateProtectedRangeRequest",
    "deleteProtectedRange": "DeleteProtectedRangeRequest",
    "mergeCells": "MergeCellsRequest",
    "unmergeCells": "UnmergeCellsRequest",
    "setBasicFilter": "SetBasicFilterRequest",
    "clearBasicFilter": "ClearBasicFilterRequest",
    "updateBorders": "UpdateBordersRequest",
    "addNamedRange": "AddNamedRangeRequest",
    "deleteNamedRange": "DeleteNamedRangeRequest",
    "updateNamedRange": "UpdateNamedRangeRequest",
    "addDimensionGroup": "AddDimensionGroupRequest",
    "deleteDimensionGroup": "DeleteDimensionGroupRequest",
    "updateDimensionGroup": "UpdateDimensionGroupRequest",
    "copyPaste": "CopyPasteRequest",
    "cutPaste": "CutPasteRequest",
}
OTHER_REQUESTS = frozenset(
    """autoFill addFilterView deleteEmbeddedObject deleteFilterView
    duplicateFilterView findReplace insertRange moveDimension updateEmbeddedObjectPosition pasteData
    textToColumns updateFilterView deleteRange addConditionalFormatRule updateConditionalFormatRule
    deleteConditionalFormatRule addChart updateChartSpec updateBanding addBanding deleteBanding
    createDeveloperMetadata updateDeveloperMetadata deleteDeveloperMetadata randomizeRange
    trimWhitespace deleteDuplicates updateEmbeddedObjectBorder
    addSlicer updateSlicerSpec addDataSource updateDataSource deleteDataSource refreshDataSource
    cancelDataSourceRefresh addTable updateTable deleteTable""".split()
)

_SCALAR_TYPE_NAMES = {
    "int32": "TYPE_INT32",
    "float": "TYPE_FLOAT",
    "double": "TYPE_DOUBLE",
    "bool": "TYPE_BOOL",
    "string": "TYPE_STRING",
}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def validate(value: Any, message: str, path: str) -> None:
    """Raise the 400 Google would send if ``value`` does not decode as ``message``."""
    _check(value, message, path)


def _check(value: Any, ftype: FieldType, path: str) -> None:
    if value is None or ftype == ANY:
        return
    if isinstance(ftype, list):
        if not isinstance(value, list):
            _bad(path, ftype[0], value)
        for i, item in enumerate(value):
            _check(item, ftype[0], f"{path}[{i}]")
        return
    if isinstance(ftype, tuple):
        _, name, allowed = ftype
        if not isinstance(value, str) or value not in allowed:
            raise invalid_value(path, SHEETS_TYPE + name, value)
        return
    if ftype in _SCALAR_TYPE_NAMES:
        if not _scalar_ok(value, ftype):
            raise invalid_value(path, _SCALAR_TYPE_NAMES[ftype], value)
        return
    if ftype == "FieldMask":
        if not isinstance(value, str):
            raise invalid_value(path, "type.googleapis.com/google.protobuf.FieldMask", value)
        return
    fields = MESSAGES[ftype]
    if not isinstance(value, dict):
        _bad(path, ftype, value)
    for key, item in value.items():
        if key not in fields:
            raise unknown_name(key, path)
        _check(item, fields[key], f"{path}.{snake(key)}" if path else snake(key))


def _bad(path: str, ftype: FieldType, value: Any) -> None:
    type_name = (
        _SCALAR_TYPE_NAMES.get(ftype, SHEETS_TYPE + ftype)  # type: ignore[arg-type]
        if isinstance(ftype, str)
        else SHEETS_TYPE + ftype[1]  # type: ignore[index]
    )
    raise invalid_value(path, type_name, value)


def _scalar_ok(value: Any, ftype: str) -> bool:
    if ftype == "bool":
        return isinstance(value, bool)
    if ftype == "string":
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if ftype == "int32":
        if isinstance(value, int):
            return -(2**31) <= value < 2**31
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()) is not None
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity")


def as_int(value: Any, default: int | None = None) -> int | None:
    """Proto int32 fields accept JSON numbers or numeric strings."""
    if value is None:
        return default
    return int(float(value)) if not isinstance(value, str) else int(value.strip())
