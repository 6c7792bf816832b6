"""Error responses shaped like Google's.

The Sheets API answers errors as a ``google.rpc.Status`` JSON object
(``{"error": {"code", "message", "status", "details"?}}``) while Drive v3 uses
its older shape with an ``errors`` list and no ``status``.  Clients (gspread
among them) parse these bodies, so the emulator raises :class:`ApiError` and the
server serialises it in the right dialect.
"""

from __future__ import annotations

from typing import Any

STATUS_BY_CODE: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An API failure carrying the exact JSON body Google would send."""

    def __init__(self, code: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("error", {}).get("message", ""))
        self.code = code
        self.body = body

    @property
    def message(self) -> str:
        return str(self.body["error"].get("message", ""))


def sheets_error(code: int, message: str, details: list[dict[str, Any]] | None = None) -> ApiError:
    """A Sheets-API (google.rpc.Status) error."""
    error: dict[str, Any] = {"code": code, "message": message, "status": STATUS_BY_CODE.get(code, "UNKNOWN")}
    if details:
        error["details"] = details
    return ApiError(code, {"error": error})


def permission_denied() -> ApiError:
    """What Sheets answers for a spreadsheet that exists but is not shared with the caller."""
    return sheets_error(403, "The caller does not have permission")


def invalid_argument(message: str) -> ApiError:
    return sheets_error(400, message)


def not_found() -> ApiError:
    """What Sheets answers for an unknown spreadsheet id (recorded verbatim)."""
    return sheets_error(404, "Requested entity was not found.")


def bad_request_field(field: str, description: str) -> ApiError:
    """A JSON-decoding failure: Google adds a BadRequest detail naming the field."""
    return sheets_error(
        400,
        description,
        [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": description}],
            }
        ],
    )


def invalid_value(field: str, type_name: str, value: Any) -> ApiError:
    """``Invalid value at 'data.values' (type.googleapis.com/...), "X"`` as recorded."""
    shown = json_repr(value)
    return bad_request_field(field, f"Invalid value at '{field}' ({type_name}), {shown}")


def unknown_name(name: str, at: str) -> ApiError:
    where = f" at '{at}'" if at else ""
    return bad_request_field(at, f'Invalid JSON payload received. Unknown name "{name}"{where}: Cannot find field.')


def json_repr(value: Any) -> str:
    """How Google echoes an offending JSON value in its error messages."""
    import json

    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def drive_error(
    code: int,
    message: str,
    reason: str,
    *,
    domain: str = "global",
    location: str | None = None,
    location_type: str | None = None,
) -> ApiError:
    """A Drive-v3 style error (``errors`` list, no ``status``)."""
    item: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location is not None:
        item["location"] = location
        item["locationType"] = location_type or "parameter"
    return ApiError(code, {"error": {"code": code, "message": message, "errors": [item]}})


def drive_file_not_found(file_id: str) -> ApiError:
    return drive_error(404, f"File not found: {file_id}.", "notFound", location="fileId", location_type="parameter")
