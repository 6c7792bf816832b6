"""The ward's forms written into a ward-level Google Sheet: two tabs, `Mẫu 01A` and `Mẫu 02A`,
replacing last run's content. One more renderer over the same table rows as xlsx and HTML.

Three requests whatever the size: the sheet list, one batchUpdate that adds missing tabs and
clears existing ones, and one values write with RAW input, so a name like `=HYPERLINK(...)`
lands as text, never as a formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sheetsync.forms.layout import Layout
from sheetsync.forms.table import TableRow

TAB_TITLES = {"01A": "Mẫu 01A", "02A": "Mẫu 02A"}


def form_grid(layout: Layout, rows: Sequence[TableRow], heading: str) -> list[list[Any]]:
    """The form as plain cells: heading, one header row (group and label joined), body rows."""
    header = [f"{c.group}: {c.label}" if c.group else c.label for c in layout.columns]
    grid: list[list[Any]] = [[heading], [layout.title], header]
    for row in rows:
        cells = [c.value if c.value is not None else "" for c in row.cells]
        if row.kind == "total":
            cells = [cells[0] or "", *cells[1:]]
        grid.append(cells)
    return grid


def write_forms_gsheet(spec: str, tables: dict[str, tuple[Layout, Sequence[TableRow]]], heading: str,
                       settings=None) -> dict:
    """Replace the two form tabs of the spreadsheet named by `spec` (gsheet:<id> or URL)."""
    from sheetsync.backends.google.backend import open_google

    backend = open_google(spec, unit=heading, settings=settings)
    http = backend.session.client.http_client
    sid = backend.spreadsheet_id
    meta = backend._call("đọc danh sách trang", lambda: http.fetch_sheet_metadata(
        sid, params={"fields": "sheets.properties(sheetId,title)"}))
    existing = {s["properties"]["title"]: s["properties"]["sheetId"] for s in meta.get("sheets", [])}
    requests: list[dict] = []
    for form in tables:
        title = TAB_TITLES[form]
        if title in existing:
            requests.append({"updateCells": {"range": {"sheetId": existing[title]}, "fields": "userEnteredValue"}})
        else:
            requests.append({"addSheet": {"properties": {"title": title}}})
    backend._call("chuẩn bị trang biểu mẫu", lambda: http.batch_update(sid, {"requests": requests}))
    data = []
    for form, (layout, rows) in tables.items():
        grid = form_grid(layout, rows, heading)
        data.append({"range": f"'{TAB_TITLES[form]}'!A1", "majorDimension": "ROWS",
                     "values": [[_cell(v) for v in r] for r in grid]})
    backend._call("ghi biểu mẫu", lambda: http.values_batch_update(
        sid, {"valueInputOption": "RAW", "data": data}))
    return {"spreadsheet": sid, "tabs": [TAB_TITLES[f] for f in tables], "requests": backend.requests}


def _cell(v: Any) -> Any:
    if isinstance(v, float) and v != v:
        return ""
    return v
