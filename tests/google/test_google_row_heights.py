"""Row heights on Google Sheets: a row whose engine text wraps gets a height that shows it all
(updateDimensionProperties inside the one formatting batchUpdate, so the budget stays ≤ 4
requests and 1 when nothing changed); a row the user made taller keeps its height."""

from __future__ import annotations

from googlebook import SCHEMAS, GoogleBook, small_unit, sync

from sheetsync.engine.writeplan import height_for


def row_pixels(book: GoogleBook, tab: str) -> list[int]:
    meta = book.sh.fetch_sheet_metadata(params={
        "includeGridData": "true", "ranges": f"'{SCHEMAS[tab].title}'!A1:A20",
        "fields": "sheets(data(rowMetadata(pixelSize)))"})
    return [m.get("pixelSize") for m in meta["sheets"][0]["data"][0]["rowMetadata"]]


def notes(book: GoogleBook, tab: str) -> list[str]:
    col = book.column_of(tab, "check_notes") - 1
    return [row[col] if col < len(row) else "" for row in book.values(tab)]


def test_rows_grow_in_the_same_request_budget_and_a_resync_costs_one_request(emulator, gc):
    book = small_unit(GoogleBook(gc))
    emulator.reset_counts()
    first, backend = sync(book)
    assert first.written and backend.requests <= 4 and emulator.request_count["total"] == backend.requests
    px = row_pixels(book, "tasks")
    texts = notes(book, "tasks")
    nv04 = 4  # 0-based: NV04, the row with an unknown product and past its deadline
    assert texts[nv04].count("\n") >= 1
    from sheetsync.engine.writeplan import text_lines
    assert px[nv04] == round(height_for(text_lines(texts[nv04], 50)) * 4 / 3)
    assert px[nv04] > 21
    assert px[2] == 21  # NV02 "Hợp lệ": the default height
    assert first.write_info["rows_resized"] >= 1

    emulator.reset_counts()
    again, backend = sync(book)
    assert not again.written and backend.requests == 1 and emulator.request_count["write"] == 0


def test_a_row_the_user_made_taller_keeps_its_height(emulator, gc):
    book = small_unit(GoogleBook(gc))
    ws = book.ws("tasks")
    book.sh.batch_update({"requests": [{"updateDimensionProperties": {
        "range": {"sheetId": ws.id, "dimension": "ROWS", "startIndex": 4, "endIndex": 5},
        "properties": {"pixelSize": 200}, "fields": "pixelSize"}}]})
    sync(book)
    assert row_pixels(book, "tasks")[4] == 200
    ws.update_acell("I5", "SP1")  # NV04 gets a known product: its notes get shorter
    sync(book)
    assert row_pixels(book, "tasks")[4] == 200
