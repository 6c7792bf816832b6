"""The Google Sheets backend: a unit's workbook read and written through gspread.

Request budget per unit and sync (each batch counts once against Google's quota):

1. read: ONE `spreadsheets.get` with grid data and a tight field mask (sheet properties, merges,
   and per cell only `effectiveValue` and the number-format type, so date cells come back as
   dates exactly like the .xlsx reader gives them);
2. just before writing, ONE `values:batchGet` of each patched tab's header row and key columns
   (the whole tab only when a planned row has a blank or repeated key): every planned row is
   found again by its key, so nothing lands on another row's line when people inserted,
   deleted or sorted rows meanwhile; rows whose key vanished are skipped and reported;
3. ONE `spreadsheets.batchUpdate`, only when structure changes: new engine columns (grid size,
   header, note, shading, warning-only protection), the engine-owned summary tab (added if
   missing, replaced whole with `updateCells`, which also clears what the new content no
   longer covers), and the heights of rows whose engine text needs more (or, where sheetsync
   set the height, fewer) lines (`updateDimensionProperties`; the read above carries each
   row's current height, so unchanged rows cost nothing);
4. ONE `values:batchUpdate` with `RAW` input for every engine cell that differs (RAW: a text
   such as "=1+1" stays text, so a finding quoting a cell can never become a formula).

So at most 4 requests, 1 when nothing changed, and never more with more rows or findings.
Every call is paced and retried by `PacedHTTPClient` (see `pacing`).
"""

from __future__ import annotations

import math
import random
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gspread
import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from sheetsync.backends.google.auth import (
    GoogleSettings,
    RedirectSession,
    account_email,
    load_credentials,
    load_settings,
    settings_key,
)
from sheetsync.backends.google.cells import (
    ENGINE_CELL,
    ENGINE_CELL_FIELDS,
    ENGINE_HEADER,
    ERROR_CODES,
    SUMMARY_STYLES,
    a1_range,
    extended_value,
    norm_text,
    pixels,
    python_to_serial,
    quote_title,
    serial_to_python,
)
from sheetsync.backends.google.pacing import Pacer, RetryExhausted
from sheetsync.engine.cells import CellIssue
from sheetsync.engine.grid import SheetGrid
from sheetsync.engine.writeplan import SummaryTab, WritePlan
from sheetsync.errors import (
    GoogleApiDisabled,
    GoogleCredentialsError,
    GoogleError,
    GoogleNotFound,
    GooglePermissionError,
    GoogleRefused,
    GoogleUnreachable,
    SourceUnsupported,
)

READ_FIELDS = ("properties.title,sheets(properties(sheetId,title,index,hidden,gridProperties(rowCount,columnCount)),"
               "merges,data(startRow,startColumn,rowMetadata(pixelSize),columnMetadata(pixelSize),"
               "rowData(values(effectiveValue,effectiveFormat.numberFormat.type))))")
DEFAULT_ROW_PIXELS = 21  # Google's row height for 10 pt Arial
_URL_ID = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]{10,})")
_ID = re.compile(r"^[A-Za-z0-9_-]{10,}$")
MAX_REPORTED = 20  # skipped rows listed one by one in the write report


def spreadsheet_id(spec: str) -> str | None:
    """The id in `gsheet:<id>` or a docs.google.com/spreadsheets/d/<id>/... URL, else None."""
    spec = spec.strip()
    if spec.startswith("gsheet:"):
        sid = spec[len("gsheet:"):].strip().strip("/")
        return sid if _ID.match(sid) else None
    m = _URL_ID.search(spec)
    if m and ("docs.google.com" in spec or spec.startswith("http")):
        return m.group(1)
    return None


# --------------------------------------------------------------------------- HTTP, paced


def is_transient(exc: BaseException) -> float | None:
    """Whether a failed call is worth retrying (429, 5xx, dropped connection), with the
    server's Retry-After as a hint; None for errors that retrying cannot fix."""
    if isinstance(exc, APIError):
        code = exc.response.status_code if exc.response is not None else exc.code
        if code in (408, 429, 500, 502, 503, 504):
            try:
                return float(exc.response.headers.get("Retry-After") or 0)
            except (TypeError, ValueError, AttributeError):
                return 0.0
        if code == 403:  # Drive's flavour of "slow down"
            reasons = {e.get("reason") for e in (exc.error.get("errors") or []) if isinstance(e, dict)}
            if reasons & {"rateLimitExceeded", "userRateLimitExceeded"}:
                return 0.0
        return None
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)):
        return 0.0
    try:
        from google.auth.exceptions import TransportError

        if isinstance(exc, TransportError):  # token refresh hit the network
            return 0.0
    except ImportError:  # pragma: no cover
        pass
    return None


class PacedHTTPClient(HTTPClient):
    """gspread's HTTP client with every request under the pacer's buckets and retries."""

    pacer: Pacer | None = None

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        if self.pacer is None:
            return super().request(method, endpoint, *args, **kwargs)
        if "/drive/" in endpoint:
            kind = "drive"  # Drive has its own, much larger quota
        else:
            kind = "read" if method.lower() == "get" else "write"
        return self.pacer.call(kind, lambda: HTTPClient.request(self, method, endpoint, *args, **kwargs),
                               is_transient)


class GoogleSession:
    """One gspread client and one pacer per account, shared by every unit of a run so the
    per-user quota is respected across units."""

    def __init__(self, settings: GoogleSettings, *, create_files: bool = False, pacer: Pacer | None = None) -> None:
        self.settings = settings
        self.pacer = pacer or Pacer(settings.pacing)
        if settings.emulated:
            session = RedirectSession(str(settings.api_url))
            self.email: str | None = None
        else:
            from google.auth.transport.requests import AuthorizedSession

            credentials = load_credentials(settings, create_files=create_files)
            session = AuthorizedSession(credentials)
            self.email = account_email(credentials)
        self.client = gspread.Client(None, session=session, http_client=PacedHTTPClient)  # type: ignore[arg-type]
        self.http = self.client.http_client
        self.http.pacer = self.pacer  # type: ignore[attr-defined]
        self.http.set_timeout(settings.timeout)


_SESSIONS: dict[tuple, GoogleSession] = {}
_SESSIONS_LOCK = threading.Lock()


def get_session(settings: GoogleSettings | None = None, *, create_files: bool = False) -> GoogleSession:
    settings = settings or load_settings()
    key = (settings_key(settings), create_files)
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            session = _SESSIONS[key] = GoogleSession(settings, create_files=create_files)
        return session


def api_error(exc: BaseException, *, what: str, where: str, email: str | None, sid: str) -> GoogleError | None:
    """The typed error for a failed Google call, with a Vietnamese sentence that never includes
    credentials or tokens; None when `exc` is not a failure of Google's (a defect to re-raise)."""
    if isinstance(exc, RetryExhausted):
        last = exc.last
        reason = f"mã lỗi {last.code}" if isinstance(last, APIError) else "mất kết nối"
        return GoogleUnreachable(
            f"{where}: Google không phản hồi ổn định khi {what} ({reason}; đã thử {exc.attempts} lần trong "
            f"{exc.elapsed:.0f} giây). Hãy chạy lại sau ít phút; nếu lặp lại, giảm số đơn vị chạy cùng lúc.")
    if isinstance(exc, APIError):
        code = exc.code
        msg = str(exc.error.get("message", ""))[:300]
        if code == 404:
            return GoogleNotFound(f"{where}: không tìm thấy bảng tính Google có mã {sid}. Kiểm tra lại mã hoặc "
                                  "đường dẫn trong ward.yaml; bảng tính có thể đã bị xóa.")
        if code == 403:
            if "has not been used" in msg or "is disabled" in msg or "SERVICE_DISABLED" in str(exc.error):
                return GoogleApiDisabled(
                    f"{where}: Google Sheets API chưa được bật cho dự án Google Cloud của khóa này. "
                    "Vào Google Cloud Console → APIs & Services → bật Google Sheets API (và Google Drive API "
                    "nếu dùng --create).")
            if "insufficient authentication scopes" in msg:
                return GoogleCredentialsError(
                    f"{where}: khóa truy cập thiếu quyền cần cho việc {what} (thiếu scope). Với --create cần "
                    "quyền Google Drive (drive.file); hãy đăng nhập lại hoặc dùng khóa tài khoản dịch vụ.")
            who = f"tài khoản {email}" if email else "tài khoản đang dùng"
            return GooglePermissionError(
                f"{where}: {who} chưa được chia sẻ bảng tính này (hoặc chỉ có quyền xem). Mở bảng tính → "
                f"Chia sẻ → thêm {email or 'email của tài khoản'} với quyền Người chỉnh sửa, rồi chạy lại.")
        if code == 401:
            return GoogleCredentialsError(
                f"{where}: Google không chấp nhận khóa truy cập (khóa đã bị thu hồi, hết hạn hoặc thuộc dự án "
                "khác). Tạo khóa mới trong Google Cloud Console.")
        return GoogleRefused(f"{where}: Google từ chối yêu cầu khi {what} (mã lỗi {code}): {msg}")
    try:
        from google.auth.exceptions import GoogleAuthError as AuthLibraryError
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, AuthLibraryError):
        reason = str(exc.args[0])[:200] if exc.args else ""
        return GoogleCredentialsError(
            f"{where}: không xác thực được với Google bằng khóa đã cấu hình ({reason}). Kiểm tra tệp khóa "
            "hoặc tạo khóa mới.")
    return None


# --------------------------------------------------------------------------- the backend


@dataclass
class SheetInfo:
    sheet_id: int
    title: str
    index: int
    rows: int
    cols: int
    hidden: bool = False


@dataclass
class WriteReport:
    cells: int = 0
    moved_rows: int = 0
    skipped: list[dict] = field(default_factory=list)
    skipped_tabs: list[dict] = field(default_factory=list)

    def skip(self, tab: str, row: int, key: tuple, reason: str) -> None:
        self.skipped.append({"tab": tab, "row": row, "key": list(key), "reason": reason})

    def warnings(self) -> list[str]:
        out = [f"Trang '{t['tab']}': {t['reason']}" for t in self.skipped_tabs]
        for s in self.skipped[:MAX_REPORTED]:
            key = ", ".join(str(k) for k in s["key"] if k is not None) or "không có mã"
            out.append(f"Trang '{s['tab']}', hàng {s['row']} ({key}): {s['reason']}")
        if len(self.skipped) > MAX_REPORTED:
            out.append(f"... và {len(self.skipped) - MAX_REPORTED} hàng khác được bỏ qua.")
        return out


_REASONS = {
    "vanished": "hàng đã bị xóa hoặc đổi mã trong lúc đồng bộ; chưa ghi kết quả, lần chạy sau sẽ ghi.",
    "repeated": "mã xuất hiện ở nhiều hàng sau khi bảng bị sửa trong lúc đồng bộ; chưa ghi, lần chạy sau sẽ ghi.",
    "ambiguous": "hàng không có mã riêng và đã bị di chuyển hoặc sửa trong lúc đồng bộ; chưa ghi, lần chạy sau sẽ ghi.",
    "column": "cột của hệ thống đã bị xóa hoặc đổi tên trong lúc đồng bộ; chưa ghi, lần chạy sau sẽ ghi.",
    "keys": "cột mã đã bị chèn, xóa hoặc di chuyển trong lúc đồng bộ; chưa ghi trang này, hãy chạy lại.",
    "header": "hàng tiêu đề đã thay đổi trong lúc đồng bộ; chưa ghi trang này, hãy chạy lại.",
}


def _key_value(value: Any) -> Any:
    """One cell normalised for comparing a row as read with the same row read again
    (values API: numbers, text, booleans, error texts; dates as serials)."""
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, CellIssue):
        return value.code
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        f = float(value)
        return None if math.isnan(f) else f
    if isinstance(value, (dt.date, dt.datetime)):
        return python_to_serial(value)
    if isinstance(value, str):
        import unicodedata

        text = unicodedata.normalize("NFC", value).strip()
        return text or None
    return str(value)


class GoogleSheetsBackend:
    """A unit workbook kept in Google Sheets (see the module docstring for the request budget)."""

    def __init__(self, sid: str, *, source: str | None = None, unit: str | None = None,
                 session: GoogleSession | None = None, settings: GoogleSettings | None = None) -> None:
        self.spreadsheet_id = sid
        self.label = source or f"gsheet:{sid}"
        self.unit = unit
        self._session = session
        self._settings = settings
        self.requests = 0  # API requests made for this unit (reads and writes; retries not counted)
        self.retries = 0
        self.title: str | None = None
        self._sheets: dict[str, SheetInfo] = {}
        self._grids: dict[str, SheetGrid] = {}

    # -- plumbing ------------------------------------------------------------------------------------
    @property
    def session(self) -> GoogleSession:
        if self._session is None:
            self._session = get_session(self._settings)
        return self._session

    @property
    def where(self) -> str:
        name = self.unit or self.title
        return f"Đơn vị '{name}' ({self.label})" if name else f"Bảng tính {self.label}"

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        session = self.session
        before = session.pacer.stats.retries
        self.requests += 1
        try:
            return fn()
        except Exception as exc:
            error = api_error(exc, what=what, where=self.where, email=session.email, sid=self.spreadsheet_id)
            if error is None:
                raise
            raise error from None
        finally:
            self.retries += session.pacer.stats.retries - before

    # -- read ----------------------------------------------------------------------------------------
    def read(self) -> dict[str, SheetGrid]:
        params = {"includeGridData": "true", "fields": READ_FIELDS}
        data = self._call("đọc bảng tính", lambda: self.session.http.spreadsheets_get(self.spreadsheet_id, params))
        self.title = (data.get("properties") or {}).get("title")
        self._sheets, self._grids = {}, {}
        for sheet in data.get("sheets") or []:
            props = sheet.get("properties") or {}
            grid_props = props.get("gridProperties") or {}
            title = str(props.get("title", ""))
            self._sheets[title] = SheetInfo(int(props.get("sheetId", 0)), title, int(props.get("index", 0)),
                                            int(grid_props.get("rowCount", 0)), int(grid_props.get("columnCount", 0)),
                                            bool(props.get("hidden", False)))
            self._grids[title] = _grid_of(title, sheet)
        return dict(self._grids)

    # -- write ---------------------------------------------------------------------------------------
    def write(self, plan: WritePlan) -> dict:
        report = WriteReport()
        patches = [p for p in plan.patches if p and p.title in self._grids]
        placed: list[tuple[Any, dict[tuple[int, int], Any], dict[int, str]]] = []
        resized: list[tuple[Any, dict[int, float]]] = []
        if patches:
            fresh = self._fresh_read(patches)
            for p in patches:
                cells, headers, heights = self._remap(p, fresh[p.title], report)
                placed.append((p, cells, headers))
                if heights:
                    resized.append((p, heights))
        structure = self._structure(placed, plan.summary) + self._row_heights(resized)
        if structure:
            body = {"requests": structure}
            self._call("định dạng và ghi trang tổng hợp",
                       lambda: self.session.http.batch_update(self.spreadsheet_id, body))
        data = _value_ranges(placed)
        if data:
            body = {"valueInputOption": "RAW", "data": data}
            self._call("ghi kết quả kiểm tra và điểm",
                       lambda: self.session.http.values_batch_update(self.spreadsheet_id, body))
        report.cells = sum(len(c) for _, c, _ in placed) + sum(len(h) for _, _, h in placed)
        out = {"requests": self.requests, "retries": self.retries, "cells": report.cells,
               "summary": plan.summary is not None, "moved_rows": report.moved_rows,
               "rows_resized": sum(len(h) for _, h in resized),
               "skipped_rows": len(report.skipped)}
        if report.skipped or report.skipped_tabs:
            out["skipped"] = report.skipped[:MAX_REPORTED]
            out["warnings"] = report.warnings()
        return out

    def _fresh_read(self, patches: list) -> dict[str, dict]:
        """One values:batchGet: per patched tab its header row and key columns (the whole tab
        when some planned row has no unique key to be found by)."""
        ranges: list[str] = []
        layout: list[tuple[str, str, int | None]] = []  # (tab, "header" | "key" | "full", column)
        for p in patches:
            grid = self._grids[p.title]
            ranges.append(f"{quote_title(p.title)}!{p.header_row}:{p.header_row}")
            layout.append((p.title, "header", None))
            if self._needs_full_rows(p, grid):
                ranges.append(quote_title(p.title))
                layout.append((p.title, "full", None))
            else:
                for col in p.key_columns:
                    ranges.append(a1_range(p.title, p.header_row + 1, col))
                    layout.append((p.title, "key", col))
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
                  "majorDimension": "ROWS"}
        resp = self._call("kiểm tra lại vị trí các hàng trước khi ghi",
                          lambda: self.session.http.values_batch_get(self.spreadsheet_id, ranges, dict(params)))
        out: dict[str, dict] = {p.title: {"header": [], "keys": {}, "full": None} for p in patches}
        for (title, kind, col), vr in zip(layout, resp.get("valueRanges") or []):
            values = vr.get("values") or []
            if kind == "header":
                out[title]["header"] = values[0] if values else []
            elif kind == "key":
                out[title]["keys"][col] = [r[0] if r else None for r in values]
            else:
                out[title]["full"] = values
        return out

    def _needs_full_rows(self, p, grid: SheetGrid) -> bool:
        if not p.key_columns:
            return True
        counts = _key_counts(grid, p.header_row, p.key_columns)
        for row in {r for r, _ in p.cells} | set(p.row_heights):
            key = _old_key(grid, row, p.key_columns)
            if None in key or counts.get(key, 0) != 1:
                return True
        return False

    def _remap(self, p, fresh: dict, report: WriteReport
               ) -> tuple[dict[tuple[int, int], Any], dict[int, str], dict[int, float]]:
        """Planned cells and row heights moved to where their rows and columns are now (or
        dropped, reported)."""
        grid = self._grids[p.title]
        h = p.header_row
        full = fresh["full"]
        header = fresh["header"]

        def fresh_head(col: int) -> str | None:
            return norm_text(header[col - 1]) if 0 < col <= len(header) else None

        for col in p.key_columns:
            if fresh_head(col) != norm_text(grid.cell(h, col)):
                report.skipped_tabs.append({"tab": p.title, "reason": _REASONS["keys"]})
                return {}, {}, {}

        # Columns: an engine column is found by its header text wherever it is now.
        by_text: dict[str, int] = {}
        for i, v in enumerate(header, start=1):
            t = norm_text(v)
            if t and t not in by_text:
                by_text[t] = i
        next_free = len(header) + 1
        colmap: dict[int, int] = {}
        headers_out: dict[int, str] = {}
        for col in sorted({c for _, c in p.cells} | set(p.new_headers)):
            want = norm_text(p.new_headers[col]) if col in p.new_headers else norm_text(grid.cell(h, col))
            if want is not None and fresh_head(col) == want:
                colmap[col] = col
            elif want is not None and want in by_text:
                colmap[col] = by_text[want]
            elif col in p.new_headers:
                # Planned place still free: use it; else (someone added a column) the next free one.
                target = col if fresh_head(col) is None and col not in headers_out else next_free
                next_free = max(next_free, target + 1)
                colmap[col] = target
                headers_out[target] = p.new_headers[col]
            else:
                report.skipped_tabs.append({"tab": p.title, "reason": _REASONS["column"]})
        # Rows: found again by key; rows without a unique key by their whole content.
        fresh_rows = _fresh_keys(fresh, p, h)
        by_key: dict[tuple, list[int]] = defaultdict(list)
        for row, key in fresh_rows.items():
            by_key[key].append(row)
        counts = _key_counts(grid, h, p.key_columns)
        engine_cols = {c for _, c in p.cells} | set(p.new_headers)
        rowmap: dict[int, int] = {}
        for row in sorted({r for r, _ in p.cells} | set(p.row_heights)):
            key = _old_key(grid, row, p.key_columns)
            if p.key_columns and None not in key and counts.get(key, 0) == 1:
                hits = by_key.get(key, [])
                if len(hits) == 1:
                    rowmap[row] = hits[0]
                else:
                    report.skip(p.title, row, key, _REASONS["vanished" if not hits else "repeated"])
                continue
            target = _match_content(grid, row, full, engine_cols)
            if target is None:
                report.skip(p.title, row, key, _REASONS["ambiguous"])
            else:
                rowmap[row] = target
        taken: dict[int, list[int]] = defaultdict(list)
        for row, target in rowmap.items():
            taken[target].append(row)
        for rows in taken.values():
            if len(rows) > 1:
                for row in rows:
                    report.skip(p.title, row, _old_key(grid, row, p.key_columns), _REASONS["ambiguous"])
                    rowmap.pop(row, None)
        report.moved_rows += sum(1 for r, t in rowmap.items() if r != t)
        cells = {(rowmap[r], colmap[c]): v for (r, c), v in p.cells.items() if r in rowmap and c in colmap}
        heights = {rowmap[r]: h for r, h in p.row_heights.items() if r in rowmap}
        return cells, headers_out, heights

    def _row_heights(self, resized: list[tuple[Any, dict[int, float]]]) -> list[dict]:
        """updateDimensionProperties per run of adjacent rows of one height (points → pixels)."""
        requests: list[dict] = []
        for p, heights in resized:
            sid = self._sheets[p.title].sheet_id
            runs: list[list[int]] = []
            for row in sorted(heights):
                px = _row_pixels(heights[row])
                if runs and runs[-1][1] == row - 1 and runs[-1][2] == px:
                    runs[-1][1] = row
                else:
                    runs.append([row, row, px])
            for first, last, px in runs:
                requests.append({"updateDimensionProperties": {
                    "range": {"sheetId": sid, "dimension": "ROWS", "startIndex": first - 1, "endIndex": last},
                    "properties": {"pixelSize": px}, "fields": "pixelSize"}})
        return requests

    def _structure(self, placed: list, summary: SummaryTab | None) -> list[dict]:
        """The spreadsheets.batchUpdate subrequests, or [] when no structure changes."""
        requests: list[dict] = []
        for p, _cells, headers in placed:
            if not headers:
                continue
            info = self._sheets[p.title]
            need = max(headers) - info.cols
            if need > 0:
                requests.append({"appendDimension": {"sheetId": info.sheet_id, "dimension": "COLUMNS", "length": need}})
                info.cols += need
            notes = _engine_notes()
            for col, text in sorted(headers.items()):
                cell: dict[str, Any] = {"userEnteredValue": {"stringValue": text}, "userEnteredFormat": ENGINE_HEADER}
                if notes.get(norm_text(text) or ""):
                    cell["note"] = notes[norm_text(text) or ""]
                requests.append({"updateCells": {
                    "start": {"sheetId": info.sheet_id, "rowIndex": p.header_row - 1, "columnIndex": col - 1},
                    "rows": [{"values": [cell]}], "fields": "userEnteredValue,userEnteredFormat,note"}})
                body = {"sheetId": info.sheet_id, "startRowIndex": p.header_row, "endRowIndex": info.rows,
                        "startColumnIndex": col - 1, "endColumnIndex": col}
                if info.rows > p.header_row:
                    requests.append({"repeatCell": {"range": body, "cell": {"userEnteredFormat": ENGINE_CELL},
                                                    "fields": ENGINE_CELL_FIELDS}})
                requests.append({"addProtectedRange": {"protectedRange": {
                    "range": {**body, "startRowIndex": p.header_row - 1}, "warningOnly": True,
                    "description": "sheetsync: cột do hệ thống ghi, mỗi lần đồng bộ sẽ ghi lại"}}})
        if summary is not None:
            requests.extend(self._summary_requests(summary))
        return requests

    def _summary_requests(self, s: SummaryTab) -> list[dict]:
        height = len(s.grid)
        width = max((len(r) for r in s.grid), default=1)
        old = self._grids.get(s.title)
        info = self._sheets.get(s.title)
        requests: list[dict] = []
        if info is None:
            taken = {i.sheet_id for i in self._sheets.values()}
            sid = random.Random().randrange(1, 2**31 - 1)
            while sid in taken:
                sid = random.Random().randrange(1, 2**31 - 1)
            rows, cols = max(100, height + 20), max(26, width)
            info = SheetInfo(sid, s.title, len(self._sheets), rows, cols)
            requests.append({"addSheet": {"properties": {"sheetId": sid, "title": s.title, "index": len(self._sheets),
                                                         "gridProperties": {"rowCount": rows, "columnCount": cols}}}})
            requests.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": sid}, "warningOnly": True,
                "description": "sheetsync: trang do hệ thống ghi lại sau mỗi lần đồng bộ"}}})
            self._sheets[s.title] = info
        elif height > info.rows or width > info.cols:
            info.rows, info.cols = max(info.rows, height), max(info.cols, width)
            requests.append({"updateSheetProperties": {
                "properties": {"sheetId": info.sheet_id, "gridProperties": {"rowCount": info.rows, "columnCount": info.cols}},
                "fields": "gridProperties(rowCount,columnCount)"}})
        old_h = len(old.rows) if old is not None else 0
        old_w = old.last_col if old is not None else 0
        rows = [{"values": [{"userEnteredValue": extended_value(c.value) or None,
                             "userEnteredFormat": SUMMARY_STYLES.get(c.style, SUMMARY_STYLES["text"])}
                            for c in row]} for row in s.grid]
        for row in rows:
            for v in row["values"]:
                if v["userEnteredValue"] is None:
                    del v["userEnteredValue"]
        requests.append({"updateCells": {
            "range": {"sheetId": info.sheet_id, "startRowIndex": 0, "endRowIndex": min(info.rows, max(height, old_h)),
                      "startColumnIndex": 0, "endColumnIndex": min(info.cols, max(width, old_w))},
            "rows": rows, "fields": "userEnteredValue,userEnteredFormat"}})
        for i, w in enumerate(s.widths[:info.cols]):
            requests.append({"updateDimensionProperties": {
                "range": {"sheetId": info.sheet_id, "dimension": "COLUMNS", "startIndex": i, "endIndex": i + 1},
                "properties": {"pixelSize": pixels(w)}, "fields": "pixelSize"}})
        return requests


# --------------------------------------------------------------------------- helpers


def _row_pixels(points: float) -> int:
    """A planned row height (points; 0 = the default) as Google's pixels (96 per inch)."""
    return DEFAULT_ROW_PIXELS if points <= 0 else round(points * 4 / 3)


def _grid_of(title: str, sheet: dict) -> SheetGrid:
    """A sheet of the spreadsheets.get response as the engine's SheetGrid (1-based, A1 first),
    with the heights of rows not at the default height and the columns' widths."""
    rows: list[list[Any]] = []
    issues: dict[tuple[int, int], CellIssue] = {}
    heights: dict[int, float] = {}
    widths: dict[int, float] = {}
    for block in sheet.get("data") or []:
        r0, c0 = int(block.get("startRow", 0)), int(block.get("startColumn", 0))
        for i, meta in enumerate(block.get("rowMetadata") or []):
            px = (meta or {}).get("pixelSize")
            if px and int(px) != DEFAULT_ROW_PIXELS:
                heights[r0 + i + 1] = int(px) * 0.75
        for j, meta in enumerate(block.get("columnMetadata") or []):
            px = (meta or {}).get("pixelSize")
            if px:
                widths[c0 + j + 1] = max(1.0, (int(px) - 5) / 7)
        for i, row in enumerate(block.get("rowData") or []):
            r = r0 + i
            while len(rows) <= r:
                rows.append([])
            values = row.get("values") or []
            if not values:
                continue
            out = rows[r]
            need = c0 + len(values)
            if len(out) < need:
                out.extend([None] * (need - len(out)))
            for j, cell in enumerate(values):
                ev = cell.get("effectiveValue") if cell else None
                if not ev:
                    continue
                if "stringValue" in ev:
                    out[c0 + j] = ev["stringValue"]
                elif "numberValue" in ev:
                    n = float(ev["numberValue"])
                    kind = ((cell.get("effectiveFormat") or {}).get("numberFormat") or {}).get("type")
                    out[c0 + j] = serial_to_python(n, kind) if kind in ("DATE", "DATE_TIME") else n
                elif "boolValue" in ev:
                    out[c0 + j] = bool(ev["boolValue"])
                elif "errorValue" in ev:
                    err = ev["errorValue"] or {}
                    code = ERROR_CODES.get(err.get("type", "ERROR"), "#ERROR!")
                    issues[(r + 1, c0 + j + 1)] = CellIssue(code, err.get("message"))
    merged = []
    for m in sheet.get("merges") or []:
        merged.append((int(m.get("startRowIndex", 0)) + 1, int(m.get("startColumnIndex", 0)) + 1,
                       int(m.get("endRowIndex", 0)), int(m.get("endColumnIndex", 0))))
    return SheetGrid(title, rows, 1, 1, merged, issues, heights, widths)


def _cell_as_read(grid: SheetGrid, row: int, col: int) -> Any:
    issue = grid.issues.get((row, col))
    return issue if issue is not None else grid.cell(row, col)


def _old_key(grid: SheetGrid, row: int, key_columns: list[int]) -> tuple:
    return tuple(_key_value(_cell_as_read(grid, row, c)) for c in key_columns)


def _key_counts(grid: SheetGrid, header_row: int, key_columns: list[int]) -> dict[tuple, int]:
    counts: dict[tuple, int] = defaultdict(int)
    last = grid.first_row + len(grid.rows) - 1
    for row in range(header_row + 1, last + 1):
        counts[_old_key(grid, row, key_columns)] += 1
    return counts


def _fresh_keys(fresh: dict, p, header_row: int) -> dict[int, tuple]:
    """Row → key tuple, as the sheet is now."""
    out: dict[int, tuple] = {}
    if fresh["full"] is not None:
        rows = fresh["full"]
        for i in range(header_row, len(rows)):
            r = rows[i]
            out[i + 1] = tuple(_key_value(r[c - 1] if c - 1 < len(r) else None) for c in p.key_columns)
        return out
    cols = [fresh["keys"].get(c, []) for c in p.key_columns]
    height = max((len(c) for c in cols), default=0)
    for i in range(height):
        out[header_row + 1 + i] = tuple(_key_value(c[i] if i < len(c) else None) for c in cols)
    return out


def _row_print(values: list[Any], skip: set[int]) -> tuple:
    out = [_key_value(v) for i, v in enumerate(values, start=1) if i not in skip]
    while out and out[-1] is None:
        out.pop()
    return tuple(out)


def _match_content(grid: SheetGrid, row: int, full: list | None, engine_cols: set[int]) -> int | None:
    """The row that now holds exactly what `row` held when read (engine columns aside):
    the same position if it still does, else the only such row; None if none or several."""
    if full is None:
        return None
    width = max(grid.last_col, max((len(r) for r in full), default=0))
    old = _row_print([_cell_as_read(grid, row, c) for c in range(1, width + 1)], engine_cols)
    now = _row_print(list(full[row - 1]), engine_cols) if row - 1 < len(full) else ()  # beyond: blank
    if now == old:
        return row
    hits = [i + 1 for i in range(len(full)) if _row_print(list(full[i]), engine_cols) == old]
    return hits[0] if len(hits) == 1 else None


def _value_ranges(placed: list) -> list[dict]:
    """Engine cells as ValueRanges, one per run of adjacent rows in a column (smaller payload)."""
    data: list[dict] = []
    for p, cells, _headers in placed:
        by_col: dict[int, list[int]] = defaultdict(list)
        for (r, c) in cells:
            by_col[c].append(r)
        for col, rows in sorted(by_col.items()):
            rows.sort()
            start = prev = rows[0]
            run = [cells[(start, col)]]
            for r in rows[1:]:
                if r == prev + 1:
                    run.append(cells[(r, col)])
                else:
                    data.append(_vr(p.title, start, prev, col, run))
                    start, run = r, [cells[(r, col)]]
                prev = r
            data.append(_vr(p.title, start, prev, col, run))
    return data


def _vr(title: str, r1: int, r2: int, col: int, values: list[Any]) -> dict:
    return {"range": a1_range(title, r1, col, r2, col), "majorDimension": "ROWS",
            "values": [["" if v is None else (v.item() if hasattr(v, "item") else v)] for v in values]}


_NOTES: dict[str, str] | None = None


def _engine_notes() -> dict[str, str]:
    """Header text → the schema's note, for engine columns the sync adds."""
    global _NOTES
    if _NOTES is None:
        from sheetsync.config.schema import load_schemas

        notes: dict[str, str] = {}
        try:
            for tab in load_schemas().tabs.values():
                for f in tab.engine_fields:
                    if f.note:
                        notes[norm_text(f.header) or ""] = f.note
        except Exception:  # noqa: BLE001 — a note is a nicety, never a reason to fail a write
            notes = {}
        _NOTES = notes
    return _NOTES


def open_google(spec: str, *, unit: str | None = None, settings: GoogleSettings | None = None) -> GoogleSheetsBackend:
    sid = spreadsheet_id(spec)
    if sid is None:
        raise SourceUnsupported(f"Không nhận ra bảng tính Google trong '{spec}': cần gsheet:<mã> hoặc đường dẫn "
                                "https://docs.google.com/spreadsheets/d/<mã>/...")
    return GoogleSheetsBackend(sid, source=spec, unit=unit, settings=settings)
