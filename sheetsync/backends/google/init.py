"""`sheetsync init gsheet:<id>`: lay out a Google spreadsheet from the schemas, as `init` does
for .xlsx (see `workbook_init`): every tab with its headers (frozen, with notes), widths, number
formats, dropdowns (enum lists kept on the hidden `_Danh sách` tab, codes from their own tabs),
engine columns shaded and protected; the engine-owned summary tab; `--create` makes the file
through Drive and shares it.

Engine columns get *warning-only* protected ranges rather than editor-restricted ones: Google
refuses to sort, insert or delete rows across a range a person may not edit, and people must be
able to do exactly that in their tabs (the .xlsx layout allows it too). A warning still stops
casual typing in an engine cell, and the engine rewrites those cells on every sync anyway.

Requests: one `spreadsheets.get` (sheet list), one `values:batchGet` only when tabs with our
names or empty default tabs must be checked for data, and one `spreadsheets.batchUpdate` with
the whole layout (atomic: a failure leaves the spreadsheet as it was).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from sheetsync.backends.google.cells import (
    ENGINE_CELL,
    ENGINE_CELL_FIELDS,
    ENGINE_HEADER,
    INPUT_HEADER,
    SUMMARY_STYLES,
    cell_format,
    pixels,
    quote_title,
)
from sheetsync.backends.xlsx.init import LISTS_TAB, TAB_ORDER
from sheetsync.config.schema import Field, Schemas, TabSchema
from sheetsync.domain.a1 import col_letter
from sheetsync.engine.summary import summary_title
from sheetsync.errors import SourceUnsupported, UsageError

DEFAULT_ROWS = 1000  # Google's own default; rows people add at the bottom inherit formats
# The emulator answers a read in time proportional to formatted cells (every cell of a 1000-row
# layout is), so sandbox sheets start smaller; people add rows as on Google.
EMULATOR_ROWS = 200
NUMBER_FORMATS = {"date": ("DATE", "dd/mm/yyyy"), "month": ("DATE", "mm/yyyy"), "number": ("NUMBER", "#,##0.##"),
                  "integer": ("NUMBER", "0"), "percent": ("NUMBER", "0.##"), "text": ("TEXT", "@"),
                  "list": ("TEXT", "@"), "week": ("TEXT", "@"),
                  "time": ("TEXT", "@")}
FROZEN_COLUMN = {"tasks", "evaluations", "staff"}
_DEFAULT_TITLE = re.compile(r"^(sheet|trang tính|trang tinh|page|feuille|hoja|tabelle)\s*\d+$", re.IGNORECASE)
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"


@dataclass
class InitResult:
    spreadsheet_id: str
    url: str
    tabs: list[str]
    requests: int
    created: bool = False
    shared_with: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)


def init_google(spec: str | None, schemas: Schemas, unit: str, *, overwrite: bool = False, profile_bonus: bool = False,
                create: bool = False, share_with: list[str] | None = None, rows: int | None = None,
                session=None) -> InitResult:
    """Lay out the spreadsheet named by `spec` (gsheet:<id> or URL), or a new one with `create`.
    `rows`: how far formats and dropdowns reach (default 1000; 200 on the emulator)."""
    from sheetsync.backends.google.backend import api_error, get_session, spreadsheet_id

    session = session or get_session(create_files=create)
    rows = rows or (EMULATOR_ROWS if session.settings.emulated else DEFAULT_ROWS)
    http = session.http
    requests = 0
    created = False
    sid = spreadsheet_id(spec) if spec else None
    where = f"Bảng tính của đơn vị '{unit}'"

    def call(what: str, fn):
        nonlocal requests
        requests += 1
        try:
            return fn()
        except Exception as exc:
            error = api_error(exc, what=what, where=where, email=session.email, sid=sid or "(mới)")
            if error is None:
                raise
            raise error from None

    if create:
        from gspread.urls import DRIVE_FILES_API_V3_URL

        body = {"name": f"Đánh giá hằng tháng — {unit}", "mimeType": SPREADSHEET_MIME}
        resp = call("tạo bảng tính mới", lambda: http.request("post", DRIVE_FILES_API_V3_URL, json=body,
                                                                params={"supportsAllDrives": "true"}).json())
        sid = resp["id"]
        created = True
    elif sid is None:
        raise SourceUnsupported(f"Không nhận ra bảng tính Google trong '{spec}': cần gsheet:<mã> hoặc đường dẫn "
                              "https://docs.google.com/spreadsheets/d/<mã>/... (hoặc dùng --create).")
    assert sid is not None
    shared: list[str] = []
    for email in share_with or []:
        message = (f"Bảng tính đánh giá hằng tháng của {unit}. Nhập dữ liệu vào các trang; "
                   "các cột màu xám do hệ thống sheetsync ghi.")
        call(f"chia sẻ với {email}", lambda e=email, m=message: http.insert_permission(
            sid, e, perm_type="user", role="writer", notify=True, email_message=m))
        shared.append(email)

    meta = call("đọc danh sách trang", lambda: http.fetch_sheet_metadata(
        sid, params={"fields": "spreadsheetUrl,sheets(properties(sheetId,title,index))"}))
    sheets = [s["properties"] for s in meta.get("sheets") or []]
    ours = _our_titles(schemas)
    clashing = [p for p in sheets if p["title"].casefold() in ours]
    defaults = [p for p in sheets if p["title"].casefold() not in ours and _DEFAULT_TITLE.match(p["title"].strip())]
    filled: set[str] = set()
    if (clashing or defaults) and not (overwrite and not defaults):
        ranges = [quote_title(p["title"]) for p in clashing + defaults]
        resp = call("kiểm tra các trang đã có", lambda: http.values_batch_get(
            sid, ranges, params={"valueRenderOption": "UNFORMATTED_VALUE"}))
        for p, vr in zip(clashing + defaults, resp.get("valueRanges") or []):
            values = vr.get("values") or []
            start = 1 if p in clashing else 0  # our tabs: the header row is ours to replace
            if p["title"] == schemas.summary_title or p["title"] == LISTS_TAB:
                start = len(values)  # engine-owned: always replaceable
            if any(any(v not in (None, "") for v in row) for row in values[start:]):
                filled.add(p["title"])
    blocked = [p["title"] for p in clashing if p["title"] in filled]
    if blocked and not overwrite:
        raise UsageError(f"{where}: các trang {', '.join(blocked)} đã có dữ liệu; hệ thống không ghi đè "
                              "(dùng --overwrite nếu thật sự muốn tạo lại, dữ liệu cũ của các trang đó sẽ mất).")
    removable_defaults = [p for p in defaults if p["title"] not in filled]

    taken = {int(p.get("sheetId", 0)) for p in sheets}
    reqs: list[dict] = []
    for p in clashing:  # rename first so the new tabs can take the names
        reqs.append({"updateSheetProperties": {"properties": {"sheetId": p.get("sheetId", 0),
                                                              "title": f"_cũ_{p.get('sheetId', 0)}"},
                                               "fields": "title"}})
    reqs.extend(layout_requests(schemas, unit, taken, profile_bonus=profile_bonus, rows=rows))
    for p in clashing + removable_defaults:
        reqs.append({"deleteSheet": {"sheetId": p.get("sheetId", 0)}})
    call("dựng các trang", lambda: http.batch_update(sid, {"requests": reqs}))
    tabs = [schemas.tabs[n].title for n in TAB_ORDER] + [schemas.summary_title, LISTS_TAB]
    url = meta.get("spreadsheetUrl") or f"https://docs.google.com/spreadsheets/d/{sid}/edit"
    return InitResult(sid, url, tabs, requests, created, shared, [p["title"] for p in clashing])


def _our_titles(schemas: Schemas) -> set[str]:
    return {t.casefold() for t in [schemas.tabs[n].title for n in TAB_ORDER] + [schemas.summary_title, LISTS_TAB]}


def _new_id(taken: set[int]) -> int:
    rng = random.Random()
    while True:
        sid = rng.randrange(1, 2**31 - 1)
        if sid not in taken:
            taken.add(sid)
            return sid


def layout_requests(schemas: Schemas, unit: str, taken: set[int], *, profile_bonus: bool = False,
                    rows: int = DEFAULT_ROWS) -> list[dict]:
    """Every subrequest that builds the tabs (pure: no I/O, testable on its own)."""
    reqs: list[dict] = []
    ids = {name: _new_id(taken) for name in TAB_ORDER}
    summary_id, lists_id = _new_id(taken), _new_id(taken)
    list_ranges = _lists(reqs, schemas, lists_id)
    for index, name in enumerate(TAB_ORDER):
        _tab(reqs, schemas, schemas.tabs[name], ids, index, list_ranges, profile_bonus, rows)
    reqs.append({"addSheet": {"properties": {"sheetId": summary_id, "title": schemas.summary_title,
                                             "index": len(TAB_ORDER),
                                             "gridProperties": {"rowCount": 100, "columnCount": 26}}}})
    intro = [[(summary_title(unit), "title")],
             [("Trang này do hệ thống ghi sau mỗi lần chạy 'sheetsync sync'; không sửa tay.", "muted")]]
    reqs.append({"updateCells": {"start": {"sheetId": summary_id, "rowIndex": 0, "columnIndex": 0},
                                 "rows": [{"values": [{"userEnteredValue": {"stringValue": text},
                                                       "userEnteredFormat": SUMMARY_STYLES[style]}
                                                      for text, style in row]} for row in intro],
                                 "fields": "userEnteredValue,userEnteredFormat"}})
    reqs.append({"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": summary_id}, "warningOnly": True,
        "description": "sheetsync: trang do hệ thống ghi lại sau mỗi lần đồng bộ"}}})
    return reqs


def _lists(reqs: list[dict], schemas: Schemas, sheet_id: int) -> dict[str, str]:
    """The hidden tab of dropdown lists: one column per named enum."""
    enums = list(schemas.enums.items())
    height = max((len(e.canonical) for _, e in enums), default=0) + 1
    reqs.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": LISTS_TAB, "hidden": True,
                                             "index": len(TAB_ORDER) + 1,
                                             "gridProperties": {"rowCount": max(height, 10),
                                                                "columnCount": max(len(enums), 1)}}}})
    grid = [[name for name, _ in enums]]
    for i in range(height - 1):
        grid.append([e.canonical[i] if i < len(e.canonical) else None for _, e in enums])
    reqs.append({"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                                 "rows": [{"values": [{"userEnteredValue": {"stringValue": v}} if v else {}
                                                      for v in row]} for row in grid],
                                 "fields": "userEnteredValue"}})
    ranges = {}
    for i, (name, enum) in enumerate(enums, start=1):
        letter = col_letter(i)
        ranges[name] = f"={quote_title(LISTS_TAB)}!${letter}$2:${letter}${len(enum.canonical) + 1}"
    return ranges


def _tab(reqs: list[dict], schemas: Schemas, tab: TabSchema, ids: dict[str, int], index: int,
         list_ranges: dict[str, str], bonus: bool, rows: int) -> None:
    sid = ids[tab.name]
    fields = [f for f in tab.fields if not (f.profile_only and not bonus)]
    grid = {"rowCount": max(rows, 2), "columnCount": len(fields), "frozenRowCount": 1}
    if tab.name in FROZEN_COLUMN:
        grid["frozenColumnCount"] = 1
    reqs.append({"addSheet": {"properties": {"sheetId": sid, "title": tab.title, "index": index,
                                             "gridProperties": grid}}})
    header = []
    for f in fields:
        cell: dict[str, Any] = {"userEnteredValue": {"stringValue": f.header},
                                "userEnteredFormat": ENGINE_HEADER if f.engine else INPUT_HEADER}
        if f.note:
            cell["note"] = f.note + ("\n(Cột bắt buộc)" if f.required else "")
        header.append(cell)
    reqs.append({"updateCells": {"start": {"sheetId": sid, "rowIndex": 0, "columnIndex": 0},
                                 "rows": [{"values": header}], "fields": "userEnteredValue,userEnteredFormat,note"}})
    reqs.append({"updateDimensionProperties": {"range": {"sheetId": sid, "dimension": "ROWS", "startIndex": 0,
                                                         "endIndex": 1},
                                               "properties": {"pixelSize": 60}, "fields": "pixelSize"}})
    body = {"sheetId": sid, "startRowIndex": 1, "endRowIndex": grid["rowCount"]}
    for c0, c1, group in _runs(fields, lambda f: ("engine",) if f.engine else ("fmt", NUMBER_FORMATS.get(f.type))):
        rng = {**body, "startColumnIndex": c0, "endColumnIndex": c1}
        if group == ("engine",):
            reqs.append({"repeatCell": {"range": rng, "cell": {"userEnteredFormat": ENGINE_CELL},
                                        "fields": ENGINE_CELL_FIELDS}})
            reqs.append({"addProtectedRange": {"protectedRange": {
                "range": {**rng, "startRowIndex": 0}, "warningOnly": True,
                "description": "sheetsync: cột do hệ thống ghi, mỗi lần đồng bộ sẽ ghi lại"}}})
        elif group[1] is not None:
            reqs.append({"repeatCell": {"range": rng, "cell": {"userEnteredFormat": cell_format(number=group[1])},
                                        "fields": "userEnteredFormat.numberFormat"}})
    for c0, c1, width in _runs(fields, lambda f: f.width or 14):
        reqs.append({"updateDimensionProperties": {"range": {"sheetId": sid, "dimension": "COLUMNS",
                                                             "startIndex": c0, "endIndex": c1},
                                                   "properties": {"pixelSize": pixels(width)}, "fields": "pixelSize"}})
    for col, f in enumerate(fields):
        rule = _validation(f, schemas, list_ranges)
        if rule is not None:
            reqs.append({"setDataValidation": {"range": {**body, "startColumnIndex": col, "endColumnIndex": col + 1},
                                               "rule": rule}})
    reqs.append({"setBasicFilter": {"filter": {"range": {"sheetId": sid, "startRowIndex": 0,
                                                         "endRowIndex": grid["rowCount"], "startColumnIndex": 0,
                                                         "endColumnIndex": len(fields)}}}})


def _runs(fields: list[Field], key) -> list[tuple[int, int, Any]]:
    """Adjacent columns sharing `key(field)`, as (start, end, key) with 0-based end-exclusive."""
    out: list[tuple[int, int, Any]] = []
    for i, f in enumerate(fields):
        k = key(f)
        if out and out[-1][2] == k and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1, k)
        else:
            out.append((i, i + 1, k))
    return out


def _validation(f: Field, schemas: Schemas, list_ranges: dict[str, str]) -> dict | None:
    """A dropdown: named enums from the hidden list tab, short enums inline, codes from their tab.
    Not strict: people may type an alias (A, HTTNV...) and the engine checks anyway."""
    if f.engine:
        return None
    condition = None
    if f.type == "enum" and f.enum is not None:
        if f.enum.name in list_ranges:
            condition = {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": list_ranges[f.enum.name]}]}
        else:
            condition = {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in f.enum.canonical]}
    elif f.ref and f.type != "list":
        target = schemas.tabs[f.ref["tab"]]
        idx = [x.key for x in target.fields].index(f.ref["field"]) + 1
        letter = col_letter(idx)
        condition = {"type": "ONE_OF_RANGE",
                     "values": [{"userEnteredValue": f"={quote_title(target.title)}!${letter}$2:${letter}"}]}
    if condition is None:
        return None
    rule: dict[str, Any] = {"condition": condition, "strict": False, "showCustomUi": True}
    if f.note:
        rule["inputMessage"] = f.note[:250]
    return rule
