"""In-memory state of the emulated Drive + Sheets, JSON-serialisable for persistence.

Cells are stored sparsely as the subset of Google's ``CellData`` the emulator
keeps (``userEnteredValue``, ``userEnteredFormat``, ``note``,
``dataValidation``); effective and formatted values are computed on read by
:class:`Calculator`, so formulas always reflect the current grid.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import re
import string
import tempfile
import threading
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from . import a1, formula
from .errors import ApiError, invalid_argument, not_found, permission_denied

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"
DEFAULT_ACCOUNT_EMAIL = "sandbox@sheetsync-emulator.iam.gserviceaccount.com"
MAX_CELLS = 10_000_000
STATE_VERSION = 1

# Exactly what Google returned for every new spreadsheet in the recordings.
DEFAULT_SPREADSHEET_PROPERTIES: dict[str, Any] = {
    "locale": "en_US",
    "autoRecalc": "ON_CHANGE",
    "timeZone": "Etc/GMT",
    "defaultFormat": {
        "backgroundColor": {"red": 1, "green": 1, "blue": 1},
        "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
        "verticalAlignment": "BOTTOM",
        "wrapStrategy": "OVERFLOW_CELL",
        "textFormat": {
            "foregroundColor": {},
            "fontFamily": "arial,sans,sans-serif",
            "fontSize": 10,
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "foregroundColorStyle": {"rgbColor": {}},
        },
        "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
    },
    "spreadsheetTheme": {
        "primaryFontFamily": "Arial",
        "themeColors": [
            {"colorType": "TEXT", "color": {"rgbColor": {}}},
            {"colorType": "BACKGROUND", "color": {"rgbColor": {"red": 1, "green": 1, "blue": 1}}},
            {"colorType": "ACCENT1", "color": {"rgbColor": {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}}},
            {"colorType": "ACCENT2", "color": {"rgbColor": {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}}},
            {"colorType": "ACCENT3", "color": {"rgbColor": {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}}},
            {"colorType": "ACCENT4", "color": {"rgbColor": {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}}},
            {"colorType": "ACCENT5", "color": {"rgbColor": {"red": 1, "green": 0.42745098, "blue": 0.003921569}}},
            {"colorType": "ACCENT6", "color": {"rgbColor": {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}}},
            {"colorType": "LINK", "color": {"rgbColor": {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}}},
        ],
    },
}

DEFAULT_ROW_COUNT = 1000
DEFAULT_COLUMN_COUNT = 26
DEFAULT_ROW_PIXELS = 21
DEFAULT_COLUMN_PIXELS = 100

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
_rng = random.SystemRandom()


def new_file_id(length: int = 44) -> str:
    """A Drive-like id: 44 characters for Google documents, starting with ``1``."""
    return "1" + "".join(_rng.choice(_ID_ALPHABET) for _ in range(length - 1))


def new_int_id(taken: set[int]) -> int:
    """A random positive int32, like sheetIds and protectedRangeIds."""
    while True:
        value = _rng.randint(1, 2**31 - 1)
        if value not in taken:
            return value


def now_rfc3339() -> str:
    moment = datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def permission_id_for(email: str) -> str:
    """Drive gives each account a stable numeric permission id; derive one from the address."""
    digest = int(hashlib.sha256(email.lower().encode()).hexdigest(), 16) % 10**20
    return f"{digest:020d}"


# --------------------------------------------------------------------------- sheets


class Sheet:
    """One tab: properties plus sparse cells and per-dimension metadata.

    Invariant: a stored cell dict is never modified in place — writers build a
    new dict and :meth:`put` it — so cells can be shared between copies.
    """

    def __init__(self, properties: dict[str, Any]) -> None:
        self.properties = properties
        self.cells: dict[tuple[int, int], dict[str, Any]] = {}
        self.row_meta: dict[int, dict[str, Any]] = {}
        self.col_meta: dict[int, dict[str, Any]] = {}
        self.protected_ranges: list[dict[str, Any]] = []
        self.merges: list[dict[str, Any]] = []
        self.basic_filter: dict[str, Any] | None = None
        # Dimension groups as nesting depth per index ("ROWS"/"COLUMNS" -> {index: depth}); the
        # groups Google lists are the maximal runs of depth >= d. Collapsed groups by (start, end, depth).
        self.group_depth: dict[str, dict[int, int]] = {"ROWS": {}, "COLUMNS": {}}
        self.collapsed_groups: dict[str, list[list[int]]] = {"ROWS": [], "COLUMNS": []}

    @property
    def sheet_id(self) -> int:
        return int(self.properties.get("sheetId", 0))

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def grid(self) -> dict[str, Any]:
        return self.properties.setdefault("gridProperties", {})

    @property
    def row_count(self) -> int:
        return int(self.grid.get("rowCount", 0))

    @property
    def col_count(self) -> int:
        return int(self.grid.get("columnCount", 0))

    def cell(self, row: int, col: int) -> dict[str, Any] | None:
        return self.cells.get((row, col))

    def put(self, row: int, col: int, cell: dict[str, Any]) -> None:
        """Store a cell, dropping it entirely once it holds nothing."""
        if all(v not in (None, {}, "") for v in cell.values()):
            cleaned = cell
        else:
            cleaned = {k: v for k, v in cell.items() if v not in (None, {}, "")}
        if cleaned:
            self.cells[(row, col)] = cleaned
        else:
            self.cells.pop((row, col), None)

    def cells_in(self, r0: int, r1: int, c0: int, c1: int) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """Stored cells inside a rectangle, in row-major order."""
        hits = [(r, c) for (r, c) in self.cells if r0 <= r < r1 and c0 <= c < c1]
        for r, c in sorted(hits):
            yield r, c, self.cells[(r, c)]

    def to_json(self) -> dict[str, Any]:
        return {
            "properties": self.properties,
            "cells": [[r, c, cell] for (r, c), cell in sorted(self.cells.items())],
            "rowMeta": [[i, m] for i, m in sorted(self.row_meta.items())],
            "colMeta": [[i, m] for i, m in sorted(self.col_meta.items())],
            "protectedRanges": self.protected_ranges,
            "merges": self.merges,
            "basicFilter": self.basic_filter,
            "groupDepth": {dim: [[i, d] for i, d in sorted(depths.items())] for dim, depths in self.group_depth.items()},
            "collapsedGroups": self.collapsed_groups,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sheet:
        sheet = cls(data["properties"])
        sheet.cells = {(int(r), int(c)): cell for r, c, cell in data.get("cells", [])}
        sheet.row_meta = {int(i): m for i, m in data.get("rowMeta", [])}
        sheet.col_meta = {int(i): m for i, m in data.get("colMeta", [])}
        sheet.protected_ranges = data.get("protectedRanges", [])
        sheet.merges = data.get("merges", [])
        sheet.basic_filter = data.get("basicFilter")
        depth = data.get("groupDepth") or {}
        sheet.group_depth = {dim: {int(i): int(d) for i, d in depth.get(dim, [])} for dim in ("ROWS", "COLUMNS")}
        collapsed = data.get("collapsedGroups") or {}
        sheet.collapsed_groups = {dim: [list(map(int, g)) for g in collapsed.get(dim, [])] for dim in ("ROWS", "COLUMNS")}
        return sheet

    def dimension_groups(self, dimension: str) -> list[dict[str, Any]]:
        """Groups as Google lists them: by depth, then start; each a maximal run of depth >= d."""
        depths = self.group_depth[dimension]
        out = []
        for level in range(1, max(depths.values(), default=0) + 1):
            start = None
            for i in range(0, max(depths) + 2):
                inside = depths.get(i, 0) >= level
                if inside and start is None:
                    start = i
                elif not inside and start is not None:
                    group: dict[str, Any] = {"range": {"dimension": dimension, "startIndex": start, "endIndex": i},
                                             "depth": level}
                    if [start, i, level] in self.collapsed_groups[dimension]:
                        group["collapsed"] = True
                    out.append(group)
                    start = None
        return out


def new_sheet_properties(title: str, sheet_id: int, index: int, rows: int, cols: int) -> dict[str, Any]:
    return {
        "sheetId": sheet_id,
        "title": title,
        "index": index,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": rows, "columnCount": cols},
    }


# --------------------------------------------------------------------------- spreadsheets


class Spreadsheet:
    def __init__(self, spreadsheet_id: str, properties: dict[str, Any]) -> None:
        self.id = spreadsheet_id
        self.properties = properties
        self.sheets: list[Sheet] = []
        self.named_ranges: list[dict[str, Any]] = []

    @property
    def title(self) -> str:
        return str(self.properties.get("title", ""))

    @property
    def locale(self) -> str:
        return str(self.properties.get("locale", "en_US"))

    @property
    def url(self) -> str:
        return f"https://docs.google.com/spreadsheets/d/{self.id}/edit"

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        return None

    def sheet_by_title(self, title: str) -> Sheet | None:
        """Titles are unique case-insensitively in Sheets; an exact match wins."""
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        folded = title.casefold()
        for sheet in self.sheets:
            if sheet.title.casefold() == folded:
                return sheet
        return None

    def taken_sheet_ids(self) -> set[int]:
        return {s.sheet_id for s in self.sheets}

    def reindex(self) -> None:
        for i, sheet in enumerate(self.sheets):
            sheet.properties["index"] = i

    def total_cells(self) -> int:
        return sum(s.row_count * s.col_count for s in self.sheets)

    def resolve_range(self, text: str) -> tuple[Sheet, a1.Bounds, bool]:
        """Resolve an A1 range: (sheet, bounds, has_end) or 400 ``Unable to parse range``.

        ``has_end`` is True when the text gave an explicit far corner (``A1:B2``,
        ``A:A``), which is what limits a write; a lone cell (``A1``) is only an anchor.
        """
        failure = invalid_argument(f"Unable to parse range: {text}")
        try:
            parsed = a1.split_sheet(text)
        except ValueError:
            raise failure from None
        if parsed.sheet is None:
            assert parsed.ref is not None
            by_title = self.sheet_by_title(parsed.ref)
            if by_title is not None:
                return by_title, a1.WHOLE_SHEET, True
            if not self.sheets:
                raise failure
            sheet = self.sheets[0]
            ref = parsed.ref
        else:
            found = self.sheet_by_title(parsed.sheet)
            if found is None:
                raise failure
            sheet = found
            ref = parsed.ref
            if ref is None:
                return sheet, a1.WHOLE_SHEET, True
        try:
            bounds = a1.parse_bounds(ref)
        except ValueError:
            named = self.named_range(ref)
            if named is None:
                raise failure from None
            return self._named_bounds(named, failure)
        return sheet, bounds, ":" in ref

    def named_range(self, name: str) -> dict[str, Any] | None:
        """Named ranges are matched case-insensitively, like sheet titles."""
        folded = name.casefold()
        return next((n for n in self.named_ranges if str(n.get("name", "")).casefold() == folded), None)

    def _named_bounds(self, named: dict[str, Any], failure: ApiError) -> tuple[Sheet, a1.Bounds, bool]:
        """A name stands for its range wherever an A1 range is accepted (``Totals``, ``Sheet1!Totals``)."""
        grid = named.get("range") or {}
        sheet = self.sheet_by_id(int(grid.get("sheetId") or 0))
        if sheet is None:
            raise failure
        return sheet, a1.Bounds(grid.get("startRowIndex"), grid.get("endRowIndex"),
                                grid.get("startColumnIndex"), grid.get("endColumnIndex")), True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "properties": self.properties,
            "sheets": [s.to_json() for s in self.sheets],
            "namedRanges": self.named_ranges,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Spreadsheet:
        ss = cls(data["id"], data["properties"])
        ss.sheets = [Sheet.from_json(s) for s in data.get("sheets", [])]
        ss.named_ranges = data.get("namedRanges", [])
        return ss


def outside_grid(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> bool:
    return r0 >= sheet.row_count or c0 >= sheet.col_count or r1 > sheet.row_count or c1 > sheet.col_count


def grid_limit_error(sheet: Sheet, label: str) -> ApiError:
    return invalid_argument(
        f"Range ({label}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
    )


def resolve_bounds(sheet: Sheet, bounds: a1.Bounds) -> tuple[int, int, int, int]:
    """Bounded rectangle for a parsed range; Google refuses ranges past the grid."""
    r0, r1, c0, c1 = bounds.resolve(sheet.row_count, sheet.col_count)
    if outside_grid(sheet, r0, r1, c0, c1):
        raise grid_limit_error(sheet, a1.format_unbounded(sheet.title, bounds))
    return r0, r1, c0, c1


# --------------------------------------------------------------------------- calculation


class Calculator:
    """Effective values of cells, evaluating formulas lazily with memoisation.

    One instance serves one request; results are cached per cell and circular
    references evaluate to ``#REF!`` like in Sheets.
    """

    def __init__(self, ss: Spreadsheet) -> None:
        self.ss = ss
        self.memo: dict[tuple[int, int, int], formula.Scalar] = {}
        self.active: set[tuple[int, int, int]] = set()
        self.stack: list[Sheet] = []
        self.engine = formula.Evaluator(self, today=date.today())

    # -- effective values ---------------------------------------------------
    def effective(self, sheet: Sheet, row: int, col: int) -> formula.Scalar:
        key = (sheet.sheet_id, row, col)
        if key in self.memo:
            return self.memo[key]
        cell = sheet.cells.get((row, col))
        value = (cell or {}).get("userEnteredValue")
        if value is None:
            return None
        if "formulaValue" not in value:
            result = extended_to_scalar(value)
        else:
            if key in self.active:
                return formula.CIRCULAR
            self.active.add(key)
            self.stack.append(sheet)
            try:
                result = self.engine.evaluate(value["formulaValue"])
            finally:
                self.stack.pop()
                self.active.discard(key)
        self.memo[key] = result
        return result

    def number_format(self, sheet: Sheet, row: int, col: int) -> dict[str, Any] | None:
        """The cell's own number format, else the one Sheets infers for a formula."""
        cell = sheet.cells.get((row, col)) or {}
        fmt = (cell.get("userEnteredFormat") or {}).get("numberFormat")
        if fmt:
            return fmt
        value = cell.get("userEnteredValue") or {}
        if "formulaValue" in value:
            self.stack.append(sheet)
            try:
                return self.engine.infer_format(value["formulaValue"])
            finally:
                self.stack.pop()
        return None

    # -- formula.Context ----------------------------------------------------
    def _sheet(self, title: str | None) -> Sheet | None:
        if title is None:
            return self.stack[-1] if self.stack else (self.ss.sheets[0] if self.ss.sheets else None)
        return self.ss.sheet_by_title(title)

    def cell(self, sheet: str | None, row: int, col: int) -> formula.Scalar:
        target = self._sheet(sheet)
        if target is None:
            return formula.Err("#REF!", f"Unresolved sheet name '{sheet}'.")
        if row >= target.row_count or col >= target.col_count:
            return formula.Err("#REF!", "Reference does not exist.")
        return self.effective(target, row, col)

    def block(self, sheet: str | None, bounds: a1.Bounds) -> formula.RangeValue | formula.Err:
        target = self._sheet(sheet)
        if target is None:
            return formula.Err("#REF!", f"Unresolved sheet name '{sheet}'.")
        r0, r1, c0, c1 = bounds.resolve(target.row_count, target.col_count)
        r1, c1 = min(r1, target.row_count), min(c1, target.col_count)
        return formula.RangeValue([[self.effective(target, r, c) for c in range(c0, c1)] for r in range(r0, r1)])

    def cell_format(self, sheet: str | None, row: int, col: int) -> dict[str, Any] | None:
        target = self._sheet(sheet)
        if target is None:
            return None
        cell = target.cells.get((row, col)) or {}
        return (cell.get("userEnteredFormat") or {}).get("numberFormat")


def extended_to_scalar(value: dict[str, Any]) -> formula.Scalar:
    if "numberValue" in value:
        return float(value["numberValue"])
    if "stringValue" in value:
        return str(value["stringValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "errorValue" in value:
        err = value["errorValue"]
        return formula.Err(formula.ERROR_CODES_BY_TYPE.get(err.get("type", "ERROR"), "#ERROR!"), err.get("message", ""))
    return None


def scalar_to_extended(value: formula.Scalar) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, formula.Err):
        return {"errorValue": {"type": value.type, "message": value.message}}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": json_number(value)}
    return {"stringValue": value}


def json_number(value: float) -> float | int:
    """Google prints integral doubles without a fraction (``2``, not ``2.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


# --------------------------------------------------------------------------- drive


class DriveFile:
    """Drive metadata for a file; spreadsheets keep their title in the Spreadsheet."""

    def __init__(self, file_id: str, name: str, mime_type: str, owner: str) -> None:
        self.id = file_id
        self.name = name
        self.mime_type = mime_type
        self.created = now_rfc3339()
        self.modified = self.created
        self.parents: list[str] = []
        self.trashed = False
        self.starred = False
        self.description: str | None = None
        self.permissions: list[dict[str, Any]] = [owner_permission(owner)]
        self.comments: list[dict[str, Any]] = []

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DriveFile:
        f = cls.__new__(cls)
        f.comments = []
        f.description = None
        f.__dict__.update(data)
        return f


ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5, "owner": 6}


def owner_permission(email: str) -> dict[str, Any]:
    return {
        "kind": "drive#permission",
        "id": permission_id_for(email),
        "type": "user",
        "emailAddress": email,
        "role": "owner",
        "displayName": email.split("@")[0],
        "deleted": False,
        "pendingOwner": False,
    }


# --------------------------------------------------------------------------- store


class Store:
    """All files and spreadsheets; one lock serialises every request.

    Persistence layout (``save``/``load``): ``state.json`` holds the Drive
    metadata of every file (the commit point), ``spreadsheets/<id>.json`` one
    spreadsheet each.  Only spreadsheets marked dirty since the last save are
    rewritten, so a write costs the size of that spreadsheet, not of the store.
    """

    def __init__(self, account_email: str = DEFAULT_ACCOUNT_EMAIL) -> None:
        self.default_account = account_email
        # Who the current request comes from (set by api.dispatch under the lock); None = the default.
        self.caller: str | None = None
        self.files: dict[str, DriveFile] = {}
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.lock = threading.RLock()
        self.root_folder_id = new_file_id(19)
        self.dirty: set[str] = set()

    @property
    def account_email(self) -> str:
        """The signed-in account of the current request: owner of what it creates, ``me`` in Drive."""
        return self.caller or self.default_account

    # -- access ---------------------------------------------------------------
    def role_of(self, file_id: str, email: str | None = None) -> str | None:
        """The caller's best role on a file (None: not shared with them). Files are visible to
        their owner and to whom they are shared with: a user, their domain, or anyone."""
        f = self.files.get(file_id)
        if f is None:
            return "owner"  # a spreadsheet without Drive metadata (never the case via the API)
        who = (email or self.account_email).casefold()
        domain = who.rpartition("@")[2]
        best = None
        for p in f.permissions:
            kind = p.get("type")
            if (kind in ("user", "group") and str(p.get("emailAddress", "")).casefold() == who) \
                    or (kind == "domain" and str(p.get("domain", "")).casefold() == domain) or kind == "anyone":
                role = p.get("role", "reader")
                if best is None or ROLE_RANK.get(role, 0) > ROLE_RANK.get(best, 0):
                    best = role
        return best

    def can_write(self, file_id: str) -> bool:
        return ROLE_RANK.get(self.role_of(file_id) or "", 0) >= ROLE_RANK["writer"]

    # -- creation -----------------------------------------------------------
    def create_spreadsheet(
        self,
        title: str,
        properties: dict[str, Any] | None = None,
        default_sheet: bool = True,
        spreadsheet_id: str | None = None,
    ) -> Spreadsheet:
        props = copy.deepcopy(DEFAULT_SPREADSHEET_PROPERTIES)
        props.update(copy.deepcopy(properties or {}))
        props = {"title": title, **{k: v for k, v in props.items() if k != "title"}}
        ss = Spreadsheet(spreadsheet_id or self._free_id(), props)
        if default_sheet:
            ss.sheets.append(Sheet(new_sheet_properties("Sheet1", 0, 0, DEFAULT_ROW_COUNT, DEFAULT_COLUMN_COUNT)))
        self.spreadsheets[ss.id] = ss
        drive_file = DriveFile(ss.id, title, SPREADSHEET_MIME, self.account_email)
        drive_file.parents = [self.root_folder_id]
        self.files[ss.id] = drive_file
        self.mark(ss.id)
        return ss

    def create_file(self, name: str, mime_type: str, parents: list[str] | None = None,
                    file_id: str | None = None) -> DriveFile:
        length = 44 if mime_type.startswith("application/vnd.google-apps.") and mime_type != FOLDER_MIME else 33
        drive_file = DriveFile(file_id or self._free_id(length), name, mime_type, self.account_email)
        drive_file.parents = list(parents or [self.root_folder_id])
        self.files[drive_file.id] = drive_file
        return drive_file

    def _free_id(self, length: int = 44) -> str:
        while True:
            candidate = new_file_id(length)
            if candidate not in self.files:
                return candidate

    # -- lookup and change tracking ----------------------------------------
    def spreadsheet(self, spreadsheet_id: str, *, write: bool = False) -> Spreadsheet:
        """A spreadsheet the caller may read (or write): 404 when it does not exist, 403 when it
        exists but is not shared with the caller (or only for reading), as Google answers."""
        ss = self.spreadsheets.get(spreadsheet_id)
        if ss is None:
            raise not_found()
        if self.role_of(spreadsheet_id) is None or (write and not self.can_write(spreadsheet_id)):
            raise permission_denied()
        return ss

    def file_name(self, drive_file: DriveFile) -> str:
        ss = self.spreadsheets.get(drive_file.id)
        return ss.title if ss is not None else drive_file.name

    def mark(self, file_id: str) -> None:
        """Remember that a spreadsheet must be rewritten by the next save."""
        self.dirty.add(file_id)

    def touch(self, file_id: str) -> None:
        drive_file = self.files.get(file_id)
        if drive_file is not None:
            drive_file.modified = now_rfc3339()
        self.mark(file_id)

    def delete(self, file_id: str) -> None:
        self.files.pop(file_id, None)
        self.spreadsheets.pop(file_id, None)
        self.mark(file_id)

    def put_spreadsheet(self, ss: Spreadsheet) -> None:
        """Store a (new or modified) spreadsheet and keep its Drive name in step."""
        self.spreadsheets[ss.id] = ss
        drive_file = self.files.get(ss.id)
        if drive_file is not None:
            drive_file.name = ss.title
        self.touch(ss.id)

    replace_spreadsheet = put_spreadsheet  # how batchUpdate commits its working copy

    def clear(self) -> None:
        self.dirty.update(self.files)
        self.files.clear()
        self.spreadsheets.clear()

    # -- persistence --------------------------------------------------------
    def index_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "accountEmail": self.default_account,
            "rootFolderId": self.root_folder_id,
            "files": [f.to_json() for f in self.files.values()],
        }

    def save(self, directory: Path, everything: bool = False) -> None:
        """Write changed spreadsheets, then the index (the commit point), then drop deleted ones."""
        sheets_dir = directory / "spreadsheets"
        sheets_dir.mkdir(parents=True, exist_ok=True)
        dirty = set(self.spreadsheets) if everything else self.dirty
        self.dirty = set()
        for file_id in sorted(dirty):
            ss = self.spreadsheets.get(file_id)
            if ss is not None:
                _atomic_write(sheets_dir / f"{file_id}.json", ss.to_json())
        _atomic_write(directory / "state.json", self.index_json())
        for file_id in sorted(dirty):
            if file_id not in self.spreadsheets:
                (sheets_dir / f"{file_id}.json").unlink(missing_ok=True)

    def load(self, directory: Path) -> None:
        """Read a saved store; a damaged or foreign file raises :class:`StateFileError`, never a traceback.

        Ids become file names under ``spreadsheets/``, so an id that is not a plain Drive id
        (``../x``) is refused rather than followed outside the folder.
        """
        index_path = directory / "state.json"
        index = _read_json(index_path)
        if not isinstance(index, dict):
            raise StateFileError(index_path, "not a JSON object")
        if index.get("version") != STATE_VERSION:
            raise StateFileError(index_path, f"unsupported emulator state version {index.get('version')!r}")
        files: dict[str, DriveFile] = {}
        entries = index.get("files", [])
        if not isinstance(entries, list):
            raise StateFileError(index_path, "'files' is not a list")
        for entry in entries:
            if not isinstance(entry, dict) or not is_valid_file_id(entry.get("id")):
                shown = entry.get("id") if isinstance(entry, dict) else entry
                raise StateFileError(index_path, f"invalid file id {shown!r}")
            files[entry["id"]] = DriveFile.from_json(entry)
        spreadsheets = {}
        for file_id in files:
            path = directory / "spreadsheets" / f"{file_id}.json"
            if path.exists():
                try:
                    spreadsheets[file_id] = Spreadsheet.from_json(_read_json(path))
                except (KeyError, TypeError, AttributeError, ValueError) as exc:
                    if isinstance(exc, StateFileError):
                        raise
                    raise StateFileError(path, f"not a spreadsheet ({type(exc).__name__}: {exc})") from None
        root = index.get("rootFolderId", self.root_folder_id)
        if not is_valid_file_id(root):
            raise StateFileError(index_path, f"invalid rootFolderId {root!r}")
        self.root_folder_id = root
        self.files = files
        self.spreadsheets = spreadsheets
        self.dirty = set()


class StateFileError(ValueError):
    """A saved state file that cannot be used (truncated, not JSON, foreign ids)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


_FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def is_valid_file_id(value: Any) -> bool:
    """Drive ids are URL-safe base64 letters; anything else could name a path."""
    return isinstance(value, str) and _FILE_ID.fullmatch(value) is not None


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except UnicodeDecodeError:
        raise StateFileError(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise StateFileError(path, f"damaged JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise StateFileError(path, "JSON nested too deeply") from None
    except OSError as exc:
        raise StateFileError(path, exc.strerror or str(exc)) from None


def _atomic_write(path: Path, data: Any) -> None:
    """Write JSON via a temporary file and rename: a crash never leaves a truncated file."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def clone(ss: Spreadsheet) -> Spreadsheet:
    """A working copy for an atomic batch.

    Cell dicts are shared, not copied: they are treated as immutable values
    (every writer builds a new dict and stores it with :meth:`Sheet.put`), which
    keeps copying a large sheet cheap.
    """
    new = Spreadsheet(ss.id, copy.deepcopy(ss.properties))
    new.named_ranges = copy.deepcopy(ss.named_ranges)
    for sheet in ss.sheets:
        twin = Sheet(copy.deepcopy(sheet.properties))
        twin.cells = dict(sheet.cells)
        twin.row_meta = copy.deepcopy(sheet.row_meta)
        twin.col_meta = copy.deepcopy(sheet.col_meta)
        twin.protected_ranges = copy.deepcopy(sheet.protected_ranges)
        twin.merges = copy.deepcopy(sheet.merges)
        twin.basic_filter = copy.deepcopy(sheet.basic_filter)
        twin.group_depth = copy.deepcopy(sheet.group_depth)
        twin.collapsed_groups = copy.deepcopy(sheet.collapsed_groups)
        new.sheets.append(twin)
    return new
