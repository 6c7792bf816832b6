"""Routing of Google API paths to the emulator's implementation.

Both APIs live on one port: ``/v4/spreadsheets/...`` (Sheets) and
``/drive/v3/files...`` (Drive).  :func:`dispatch` is pure request → response
logic with no sockets involved, which keeps the HTTP server thin and lets the
routes be tested directly.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from . import batch_update, drive, fieldmask, values
from .errors import ApiError, drive_error, invalid_argument, invalid_value, sheets_error, unknown_name
from .model import Spreadsheet, Store, new_int_id
from .resource import sheet_properties_json, spreadsheet_json

SHEETS_PREFIX = "/v4/spreadsheets"
DRIVE_PREFIX = "/drive/v3/files"


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-serialisable, or bytes for raw content
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    masked: bool = False  # the ``fields`` parameter has already been applied


def _mask(fields: str) -> fieldmask.MaskTree:
    try:
        return fieldmask.parse(fields)
    except fieldmask.FieldMaskError:
        raise invalid_argument(f"Invalid field selection {fields}") from None


@dataclass
class Route:
    api: str  # "sheets" | "drive" | "none"
    kind: str  # "read" | "write" | "drive" | "none"
    mutates: bool


def parse_query(query: str) -> dict[str, Any]:
    """Single values as str, repeated ones (``ranges=``) as lists."""
    parsed = parse_qs(query, keep_blank_values=True)
    return {k: (v if len(v) > 1 else v[0]) for k, v in parsed.items()}


def query_list(params: dict[str, Any], name: str) -> list[str]:
    value = params.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def classify(method: str, path: str) -> Route:
    """Which quota bucket a request falls into (for counting and fault bodies)."""
    if path.startswith(DRIVE_PREFIX) or path.startswith("/upload/drive/"):
        return Route("drive", "drive", method != "GET")
    if path.startswith(SHEETS_PREFIX):
        if method == "GET":
            return Route("sheets", "read", False)
        return Route("sheets", "write", True)
    return Route("none", "none", False)


MAX_JSON_DEPTH = 100  # Google's JSON/proto parsers refuse deeper nesting; so does Python's stack


class JsonBodyError(ValueError):
    """A body that is not UTF-8 JSON of sane depth."""


def parse_json(raw: bytes) -> Any:
    """Decode a request body; every way it can be bad becomes :class:`JsonBodyError`."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise JsonBodyError("Invalid UTF-8 in the request body") from None
    except json.JSONDecodeError as exc:
        raise JsonBodyError(exc.msg) from None
    except RecursionError:
        raise JsonBodyError(f"Nesting deeper than {MAX_JSON_DEPTH} levels") from None
    _check_depth(value)
    return value


def _check_depth(value: Any) -> None:
    """Iterative, so the check itself cannot overflow the stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise JsonBodyError(f"Nesting deeper than {MAX_JSON_DEPTH} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def _json_body(raw: bytes, api: str) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = parse_json(raw)
    except JsonBodyError as exc:
        if api == "drive":
            raise drive_error(400, "Parse Error", "parseError") from None
        raise invalid_argument(f"Invalid JSON payload received. {exc}.") from None
    if not isinstance(body, dict):
        if api == "drive":
            raise drive_error(400, "Parse Error", "parseError")
        raise invalid_argument("Invalid JSON payload received. Expected an object.")
    return body


def _check_keys(body: dict[str, Any], allowed: set[str], at: str = "") -> None:
    for key in body:
        if key not in allowed:
            raise unknown_name(key, at)


def dispatch(store: Store, method: str, path: str, query: str, raw_body: bytes, caller: str | None = None) -> Response:
    """Handle one API request from ``caller`` (an e-mail; None = the default account); raises
    nothing — errors become Google-shaped responses."""
    route = classify(method, path)
    try:
        with store.lock, _as_caller(store, caller):
            if route.api == "sheets":
                params = parse_query(query)
                response = _sheets(store, method, path, params, raw_body)
                if params.get("fields") and not response.masked and isinstance(response.body, dict):
                    # The standard ``fields`` parameter filters every Google response.
                    response.body = fieldmask.apply(response.body, _mask(params["fields"]))
                return response
            if route.api == "drive":
                return _drive(store, method, path, parse_query(query), raw_body)
        return Response(404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}})
    except ApiError as exc:
        return Response(exc.code, exc.body)


@contextlib.contextmanager
def _as_caller(store: Store, caller: str | None) -> Iterator[None]:
    """The store's lock serialises requests, so the caller can live on the store meanwhile."""
    store.caller = caller
    try:
        yield
    finally:
        store.caller = None


# --------------------------------------------------------------------------- Sheets


def _split_action(segment: str) -> tuple[str, str | None]:
    """``ID:batchUpdate`` → (ID, "batchUpdate"); spreadsheet ids never contain ':'."""
    if ":" in segment:
        head, _, action = segment.partition(":")
        return head, action
    return segment, None


def _sheets(store: Store, method: str, path: str, params: dict[str, Any], raw: bytes) -> Response:
    rest = path[len(SHEETS_PREFIX):]
    if rest in ("", "/"):
        if method == "POST":
            return Response(200, _create_spreadsheet(store, _json_body(raw, "sheets")))
        raise sheets_error(404, "Requested entity was not found.")
    parts = rest.lstrip("/").split("/")
    spreadsheet_id, action = _split_action(unquote(parts[0]))
    ss = store.spreadsheet(spreadsheet_id, write=method != "GET")
    if len(parts) == 1:
        if action is None and method == "GET":
            if params.get("fields"):
                _mask(params["fields"])  # validate first: a bad mask is a 400
            body = spreadsheet_json(
                ss,
                store.account_email,
                include_grid_data=str(params.get("includeGridData", "false")).lower() == "true",
                ranges=query_list(params, "ranges"),
                fields=params.get("fields"),
            )
            return Response(200, body, masked=True)
        if action == "batchUpdate" and method == "POST":
            return Response(200, batch_update.batch_update(store, ss, _json_body(raw, "sheets")))
        raise sheets_error(404, "Requested entity was not found.")
    if parts[1] == "values" and len(parts) == 2 or (len(parts) == 2 and parts[1].startswith("values:")):
        _, action = _split_action(parts[1])
        body = _json_body(raw, "sheets") if method != "GET" else {}
        if action == "batchGet" and method == "GET":
            return Response(200, values.batch_get(ss, query_list(params, "ranges"), params))
        if action == "batchUpdate" and method == "POST":
            _check_keys(body, {"valueInputOption", "data", "includeValuesInResponse", "responseValueRenderOption",
                               "responseDateTimeRenderOption"})
            result = values.batch_update(ss, body)
            store.touch(ss.id)
            return Response(200, result)
        if action == "batchClear" and method == "POST":
            _check_keys(body, {"ranges"})
            result = values.batch_clear(ss, body)
            store.touch(ss.id)
            return Response(200, result)
        raise sheets_error(404, "Requested entity was not found.")
    if parts[1] == "values" and len(parts) >= 3:
        raw_range = "/".join(parts[2:])
        range_action = None
        for suffix in (":append", ":clear"):
            if raw_range.endswith(suffix):
                range_action = suffix[1:]
                raw_range = raw_range[: -len(suffix)]
        range_text = unquote(raw_range)
        if range_action is None and method == "GET":
            return Response(200, values.get(ss, range_text, params))
        body = _json_body(raw, "sheets")
        if range_action is None and method == "PUT":
            _check_keys(body, {"range", "majorDimension", "values"}, "data")
            result = values.update(ss, range_text, body, params)
        elif range_action == "append" and method == "POST":
            _check_keys(body, {"range", "majorDimension", "values"}, "data")
            result = values.append(ss, range_text, body, params)
        elif range_action == "clear" and method == "POST":
            _check_keys(body, set())
            result = {"spreadsheetId": ss.id, "clearedRange": values.clear(ss, range_text)}
        else:
            raise sheets_error(404, "Requested entity was not found.")
        store.touch(ss.id)
        return Response(200, result)
    if parts[1] == "sheets" and len(parts) == 3:
        sheet_part, action = _split_action(unquote(parts[2]))
        if action == "copyTo" and method == "POST":
            return Response(200, _copy_to(store, ss, sheet_part, _json_body(raw, "sheets")))
    raise sheets_error(404, "Requested entity was not found.")


def _create_spreadsheet(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    """spreadsheets.create: title, locale/timeZone and initial sheets (with data) from the body."""
    _check_keys(body, {"spreadsheetId", "properties", "sheets", "namedRanges", "spreadsheetUrl",
                       "developerMetadata", "dataSources", "dataSourceSchedules"})
    props = dict(body.get("properties") or {})
    title = props.pop("title", None) or "Untitled spreadsheet"
    allowed = {k: v for k, v in props.items() if k in ("locale", "timeZone", "autoRecalc") and v}
    sheets = body.get("sheets") or []
    ss = store.create_spreadsheet(title, allowed, default_sheet=not sheets)
    requests = []
    taken = {p.get("sheetId") for p in ((spec or {}).get("properties") or {} for spec in sheets)} | {0}
    for i, sheet_spec in enumerate(sheets):
        sheet_props = dict((sheet_spec or {}).get("properties") or {})
        sheet_props.setdefault("title", f"Sheet{i + 1}")
        if "sheetId" not in sheet_props:
            sheet_props["sheetId"] = 0 if i == 0 else new_int_id(taken)  # type: ignore[arg-type]
            taken.add(sheet_props["sheetId"])
        sheet_props.pop("index", None)
        requests.append({"addSheet": {"properties": sheet_props}})
    if requests:
        try:
            batch_update.batch_update(store, ss, {"requests": requests})
        except ApiError as exc:
            store.delete(ss.id)
            message = exc.message.replace("Invalid requests[", "Invalid sheets[")
            raise invalid_argument(message) from None
        ss = store.spreadsheet(ss.id)
        data_requests = []
        for sheet_spec, sheet in zip(sheets, ss.sheets):
            for grid in (sheet_spec or {}).get("data") or []:
                if grid.get("rowData"):
                    data_requests.append({"updateCells": {
                        "start": {"sheetId": sheet.sheet_id, "rowIndex": grid.get("startRow", 0),
                                  "columnIndex": grid.get("startColumn", 0)},
                        "rows": grid["rowData"],
                        "fields": "userEnteredValue,userEnteredFormat,note,dataValidation",
                    }})
        if data_requests:
            batch_update.batch_update(store, ss, {"requests": data_requests})
            ss = store.spreadsheet(ss.id)
    return spreadsheet_json(ss, store.account_email)


def _copy_to(store: Store, ss: Spreadsheet, sheet_part: str, body: dict[str, Any]) -> dict[str, Any]:
    _check_keys(body, {"destinationSpreadsheetId"})
    try:
        source = ss.sheet_by_id(int(sheet_part))
    except ValueError:
        raise invalid_value("sheet_id", "TYPE_INT32", sheet_part) from None
    if source is None:
        raise sheets_error(404, "Requested entity was not found.")
    destination = store.spreadsheet(str(body.get("destinationSpreadsheetId") or ""), write=True)
    sheet = copy.deepcopy(source)
    n = 1
    while destination.sheet_by_title(f"Copy of {source.title}" + (f" {n}" if n > 1 else "")) is not None:
        n += 1
    sheet.properties["title"] = f"Copy of {source.title}" + (f" {n}" if n > 1 else "")
    new_id = new_int_id(destination.taken_sheet_ids())
    sheet.properties["sheetId"] = new_id
    sheet.protected_ranges = []
    sheet.merges = [{**m, "sheetId": new_id} for m in sheet.merges]
    destination.sheets.append(sheet)
    destination.reindex()
    store.touch(destination.id)
    return sheet_properties_json(sheet.properties)


# --------------------------------------------------------------------------- Drive


def _drive(store: Store, method: str, path: str, params: dict[str, Any], raw: bytes) -> Response:
    if path.startswith("/upload/"):
        return _upload(store, method, path, params, raw)
    rest = path[len(DRIVE_PREFIX):].strip("/")
    parts = [unquote(p) for p in rest.split("/")] if rest else []
    if not parts:
        if method == "GET":
            return Response(200, drive.list_files(store, params))
        if method == "POST":
            return Response(200, drive.create(store, _json_body(raw, "drive"), params))
    elif len(parts) == 1:
        file_id = parts[0]
        if method == "GET":
            return Response(200, drive.get(store, file_id, params))
        if method == "DELETE":
            drive.delete(store, file_id)
            return Response(204)
        if method == "PATCH":
            return Response(200, drive.update(store, file_id, _json_body(raw, "drive"), params))
    elif len(parts) == 2:
        file_id, sub = parts
        if sub == "copy" and method == "POST":
            return Response(200, drive.copy_file(store, file_id, _json_body(raw, "drive"), params))
        if sub == "export" and method == "GET":
            content, content_type = drive.export(store, file_id, params)
            return Response(200, content, content_type)
        if sub == "permissions" and method == "GET":
            return Response(200, drive.list_permissions(store, file_id, params))
        if sub == "permissions" and method == "POST":
            return Response(200, drive.create_permission(store, file_id, _json_body(raw, "drive"), params))
        if sub == "comments" and method == "GET":
            return Response(200, drive.list_comments(store, file_id, params))
        if sub == "comments" and method == "POST":
            return Response(200, drive.create_comment(store, file_id, _json_body(raw, "drive"), params))
    elif len(parts) == 3 and parts[1] == "permissions":
        file_id, _, permission_id = parts
        if method == "GET":
            return Response(200, drive.get_permission(store, file_id, permission_id, params))
        if method == "PATCH":
            return Response(200, drive.update_permission(store, file_id, permission_id, _json_body(raw, "drive"), params))
        if method == "DELETE":
            drive.delete_permission(store, file_id, permission_id)
            return Response(204)
    raise drive_error(404, "Not Found", "notFound")


UPLOAD_PREFIXES = ("/upload/drive/v2/files/", "/upload/drive/v3/files/")


def _upload(store: Store, method: str, path: str, params: dict[str, Any], raw: bytes) -> Response:
    """Media upload of CSV into an existing spreadsheet (gspread's ``import_csv``): the first sheet
    is emptied and refilled as if typed in, every other sheet is removed. Other uploads are 501."""
    prefix = next((p for p in UPLOAD_PREFIXES if path.startswith(p)), None)
    file_id = unquote(path[len(prefix):].strip("/")) if prefix else ""
    media = str(params.get("uploadType", "media")) == "media"
    if not file_id or "/" in file_id or method not in ("PUT", "PATCH") or not media:
        raise drive_error(501, "Only media uploads into an existing spreadsheet are implemented by the emulator.",
                          "notImplemented")
    f = drive.get_file(store, file_id, write=True)
    ss = store.spreadsheets.get(file_id)
    if ss is None:
        raise drive_error(501, "Only uploads converted into a spreadsheet are implemented by the emulator.",
                          "notImplemented")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise drive_error(400, "The uploaded CSV is not UTF-8 text.", "badContent") from None
    rows = list(csv.reader(io.StringIO(text)))
    values.replace_with_rows(ss, rows)
    store.touch(ss.id)
    if prefix == UPLOAD_PREFIXES[1]:
        return Response(200, drive.render_file(store, f, params.get("fields")))
    return Response(200, drive.file_resource_v2(store, f))
