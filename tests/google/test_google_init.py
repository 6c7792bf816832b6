"""`init` on Google: the layout from the schemas, refusal to overwrite data, --create and sharing."""

from __future__ import annotations

import pytest
from googlebook import SCHEMAS, GoogleBook, small_unit, sync

from sheetsync.backends.google.init import init_google
from sheetsync.backends.xlsx.init import LISTS_TAB, TAB_ORDER
from sheetsync.errors import SourceUnsupported, UsageError

FIELDS = "sheets(properties,protectedRanges,data.rowData.values(note,dataValidation,userEnteredFormat))"


def layout(gc, sid: str) -> dict:
    return gc.http_client.spreadsheets_get(sid, params={"fields": FIELDS, "ranges": [], "includeGridData": "true"})


def test_layout_from_the_schemas(emulator, gc):
    sh = gc.create("Phòng Văn hóa")
    emulator.reset_counts()
    result = init_google(f"gsheet:{sh.id}", SCHEMAS, "Phòng Văn hóa", rows=20)
    assert result.requests == 3 and emulator.request_count["total"] == 3
    meta = layout(gc, sh.id)
    sheets = {s["properties"]["title"]: s for s in meta["sheets"]}
    titles = [s["properties"]["title"] for s in meta["sheets"]]
    assert titles == [SCHEMAS[n].title for n in TAB_ORDER] + [SCHEMAS.summary_title, LISTS_TAB]  # Sheet1 removed
    assert sheets[LISTS_TAB]["properties"].get("hidden") is True

    tasks = sheets[SCHEMAS["tasks"].title]
    fields = SCHEMAS["tasks"].fields
    grid = tasks["properties"]["gridProperties"]
    assert grid["frozenRowCount"] == 1 and grid["frozenColumnCount"] == 1 and grid["columnCount"] == len(fields)
    header = tasks["data"][0]["rowData"][0]["values"]
    assert "(Cột bắt buộc)" in header[0]["note"]
    engine_cols = [i for i, f in enumerate(fields) if f.engine]
    engine_grey = header[engine_cols[0]]["userEnteredFormat"]["backgroundColor"]
    assert engine_grey == {"red": 0.749, "green": 0.749, "blue": 0.749}
    # Engine columns: warning-only protection (people may still sort and insert rows).
    protected = tasks["protectedRanges"]
    assert protected and all(p.get("warningOnly") for p in protected)
    covered = {c for p in protected for c in range(p["range"]["startColumnIndex"], p["range"]["endColumnIndex"])}
    assert covered == set(engine_cols)
    # Dropdowns: enum lists from the hidden tab, codes from their own tab; formats on dates.
    row2 = tasks["data"][0]["rowData"][1]["values"]
    group = [f.key for f in fields].index("task_group")
    rule = row2[group]["dataValidation"]
    assert rule["condition"]["type"] == "ONE_OF_RANGE" and LISTS_TAB in rule["condition"]["values"][0]["userEnteredValue"]
    assert not rule.get("strict") and rule.get("showCustomUi")
    owner = [f.key for f in fields].index("owner_id")
    assert "'Cán bộ'!$A$2:$A" in row2[owner]["dataValidation"]["condition"]["values"][0]["userEnteredValue"]
    due = [f.key for f in fields].index("due_date")
    assert row2[due]["userEnteredFormat"]["numberFormat"] == {"type": "DATE", "pattern": "dd/mm/yyyy"}
    assert row2[engine_cols[0]]["userEnteredFormat"]["backgroundColor"]["red"] == 0.949
    lists = gc.open_by_key(sh.id).worksheet(LISTS_TAB).get_values()
    assert lists[0] == list(SCHEMAS.enums) and "Hoàn thành tốt nhiệm vụ" in [r[0] for r in lists]
    assert sheets[SCHEMAS.summary_title]["protectedRanges"][0]["warningOnly"] is True


def test_refuses_to_overwrite_data_and_keeps_other_tabs(emulator, gc):
    book = small_unit(GoogleBook(gc))
    book.sh.add_worksheet("Ghi chú của phòng", rows=5, cols=3).update_acell("A1", "đừng xóa")
    with pytest.raises(UsageError, match="đã có dữ liệu"):
        init_google(book.source, SCHEMAS, "Phòng thử nghiệm", rows=20)
    assert book.values("tasks")[1][0] == "NV01"  # untouched

    result = init_google(book.source, SCHEMAS, "Phòng thử nghiệm", rows=20, overwrite=True)
    assert SCHEMAS["tasks"].title in result.replaced
    sh = gc.open_by_key(book.id)
    titles = [ws.title for ws in sh.worksheets()]
    assert "Ghi chú của phòng" in titles and not any(t.startswith("_cũ_") for t in titles)
    assert len(sh.worksheet(SCHEMAS["tasks"].title).get_values()) == 1  # only the header row


def test_create_and_share_then_sync(emulator, gc):
    emulator.reset_counts()
    result = init_google(None, SCHEMAS, "Trường Mầm non Hoa Sen", create=True,
                         share_with=["canbo.dau.moi@hanoi.gov.vn"], rows=20)
    assert result.created and result.shared_with == ["canbo.dau.moi@hanoi.gov.vn"]
    assert emulator.request_count["drive"] == 2  # files.create + permissions.create
    perms = gc.list_permissions(result.spreadsheet_id)
    assert {"emailAddress": "canbo.dau.moi@hanoi.gov.vn", "role": "writer"}.items() <= \
        next(p for p in perms if p.get("emailAddress") == "canbo.dau.moi@hanoi.gov.vn").items()
    sh = gc.open_by_key(result.spreadsheet_id)
    assert sh.title == "Đánh giá hằng tháng — Trường Mầm non Hoa Sen"
    ws = sh.worksheet(SCHEMAS["staff"].title)
    ws.update([["GV01", "Đỗ Thị Lan", "", "", "", "Viên chức", "Người đứng đầu"]], "A2")
    run, backend = sync(f"gsheet:{result.spreadsheet_id}")
    assert run.written and backend.requests <= 4
    _, backend = sync(f"gsheet:{result.spreadsheet_id}")
    assert backend.requests == 1


def test_bad_source(emulator):
    with pytest.raises(SourceUnsupported, match="Không nhận ra bảng tính Google"):
        init_google("gsheet:x", SCHEMAS, "Phòng A")
