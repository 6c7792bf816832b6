"""spreadsheets.create / get / batchUpdate at the HTTP level."""

from __future__ import annotations

import pytest


@pytest.fixture
def sid(api) -> str:  # type: ignore[no-untyped-def]
    return api.new_spreadsheet("bảng tính")


def batch(api, sid, *requests, **extra):  # type: ignore[no-untyped-def]
    return api("POST", f"/v4/spreadsheets/{sid}:batchUpdate", json={"requests": list(requests), **extra})


def error(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.text
    return str(response.json()["error"]["message"])


# --------------------------------------------------------------------------- create / get


def test_create_with_sheets_and_data(api):
    r = api("POST", "/v4/spreadsheets", json={
        "properties": {"title": "Tạo mới", "locale": "vi_VN", "timeZone": "Asia/Ho_Chi_Minh"},
        "sheets": [
            {"properties": {"title": "Dữ liệu", "gridProperties": {"rowCount": 5, "columnCount": 3}},
             "data": [{"startRow": 1, "rowData": [{"values": [{"userEnteredValue": {"stringValue": "x"}}]}]}]},
            {"properties": {"title": "Tổng hợp"}},
        ],
    })
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["spreadsheetId"]) == 44
    assert body["properties"]["title"] == "Tạo mới"
    assert body["properties"]["locale"] == "vi_VN"
    assert body["properties"]["timeZone"] == "Asia/Ho_Chi_Minh"
    assert body["spreadsheetUrl"] == f"https://docs.google.com/spreadsheets/d/{body['spreadsheetId']}/edit"
    props = [s["properties"] for s in body["sheets"]]
    assert props[0] == {"sheetId": 0, "title": "Dữ liệu", "index": 0, "sheetType": "GRID",
                        "gridProperties": {"rowCount": 5, "columnCount": 3}}
    assert props[1]["title"] == "Tổng hợp" and props[1]["index"] == 1
    values = api("GET", f"/v4/spreadsheets/{body['spreadsheetId']}/values/'Dữ liệu'!A1:A2").json()
    assert values["values"] == [[], ["x"]]
    drive = api("GET", f"/drive/v3/files/{body['spreadsheetId']}").json()
    assert drive == {"kind": "drive#file", "id": body["spreadsheetId"], "name": "Tạo mới",
                     "mimeType": "application/vnd.google-apps.spreadsheet"}


def test_create_without_body_gives_untitled_spreadsheet(api):
    body = api("POST", "/v4/spreadsheets", json={}).json()
    assert body["properties"]["title"] == "Untitled spreadsheet"
    assert [s["properties"]["title"] for s in body["sheets"]] == ["Sheet1"]


def test_include_grid_data_gives_full_cell_data(api, sid):
    api("PUT", f"/v4/spreadsheets/{sid}/values/B2?valueInputOption=USER_ENTERED", json={"values": [["=1/4", "2026-11-03"]]})
    body = api("GET", f"/v4/spreadsheets/{sid}?includeGridData=true&ranges=Sheet1!B2:C3").json()
    data = body["sheets"][0]["data"]
    assert len(data) == 1
    grid = data[0]
    assert grid["startRow"] == 1 and grid["startColumn"] == 1
    assert grid["rowMetadata"] == [{"pixelSize": 21}, {"pixelSize": 21}]
    assert grid["columnMetadata"] == [{"pixelSize": 100}, {"pixelSize": 100}]
    first, second = grid["rowData"][0]["values"]
    assert first["userEnteredValue"] == {"formulaValue": "=1/4"}
    assert first["effectiveValue"] == {"numberValue": 0.25}
    assert first["formattedValue"] == "0.25"
    assert first["effectiveFormat"]["horizontalAlignment"] == "RIGHT"
    assert second["userEnteredFormat"] == {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}}
    assert second["formattedValue"] == "2026-11-03"
    assert second["effectiveValue"] == {"numberValue": 46329}


def test_field_masks_in_all_spellings(api, sid):
    expected = {"sheets": [{"properties": {"sheetId": 0, "title": "Sheet1"}}]}
    for mask in ("sheets.properties(sheetId,title)", "sheets(properties(sheetId,title))",
                 "sheets/properties/sheetId,sheets/properties/title", "sheets.properties.sheet_id,sheets.properties.title"):
        assert api("GET", f"/v4/spreadsheets/{sid}?fields={mask}").json() == expected, mask
    assert api("GET", f"/v4/spreadsheets/{sid}?fields=spreadsheetId").json() == {"spreadsheetId": sid}
    assert api("GET", f"/v4/spreadsheets/{sid}?fields=sheets(").status_code == 400
    # the standard parameter filters other methods' responses too
    r = api("PUT", f"/v4/spreadsheets/{sid}/values/A1?valueInputOption=RAW&fields=updatedCells", json={"values": [[1, 2]]})
    assert r.json() == {"updatedCells": 2}


def test_ranges_select_sheets(api, sid):
    batch(api, sid, {"addSheet": {"properties": {"title": "Hai"}}})
    body = api("GET", f"/v4/spreadsheets/{sid}?ranges='Hai'!A1").json()
    assert [s["properties"]["title"] for s in body["sheets"]] == ["Hai"]
    assert "data" not in body["sheets"][0]


# --------------------------------------------------------------------------- batchUpdate validation


def test_batch_update_validation_errors(api, sid):
    assert error(batch(api, sid)) == "Must specify at least one request."
    assert error(batch(api, sid, {"frobnicate": {}})) == (
        "Invalid JSON payload received. Unknown name \"frobnicate\" at 'requests[0]': Cannot find field."
    )
    assert error(batch(api, sid, {"addSheet": {"properties": {"gridProperties": {"rowCount": "nhiều"}}}})) == (
        "Invalid value at 'requests[0].add_sheet.properties.grid_properties.row_count' (TYPE_INT32), \"nhiều\""
    )
    assert error(batch(api, sid, {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROW"}}})) == (
        "Invalid value at 'requests[0].insert_dimension.range.dimension' "
        "(type.googleapis.com/google.apps.sheets.v4.Dimension), \"ROW\""
    )
    assert error(batch(api, sid, {"repeatCell": {"range": {"sheetId": 0}, "cell": {}}})) == (
        "Invalid requests[0].repeatCell: At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)"
    )
    assert error(batch(api, sid, {"deleteSheet": {"sheetId": 0}})) == (
        "Invalid requests[0].deleteSheet: You can't remove all the sheets in a document."
    )
    r = batch(api, sid, {"findReplace": {"find": "a", "replacement": "b", "allSheets": True}})
    assert r.status_code == 501 and r.json()["error"]["status"] == "UNIMPLEMENTED"


def test_add_sheet_defaults_and_move(api, sid):
    reply = batch(api, sid, {"addSheet": {}}, {"addSheet": {"properties": {"title": "Đầu", "index": 0}}}).json()
    added = reply["replies"][0]["addSheet"]["properties"]
    assert added["title"] == "Sheet2" and added["index"] == 1
    assert added["gridProperties"] == {"rowCount": 1000, "columnCount": 26}
    titles = [s["properties"]["title"] for s in api("GET", f"/v4/spreadsheets/{sid}").json()["sheets"]]
    assert titles == ["Đầu", "Sheet1", "Sheet2"]
    # Google counts the target index before the move: to put Đầu last, ask for index 3.
    first_id = reply["replies"][1]["addSheet"]["properties"]["sheetId"]
    batch(api, sid, {"updateSheetProperties": {"properties": {"sheetId": first_id, "index": 3}, "fields": "index"}})
    sheets = api("GET", f"/v4/spreadsheets/{sid}").json()["sheets"]
    assert [(s["properties"]["title"], s["properties"]["index"]) for s in sheets] == [("Sheet1", 0), ("Sheet2", 1), ("Đầu", 2)]


def test_include_spreadsheet_in_response(api, sid):
    r = batch(api, sid, {"updateSpreadsheetProperties": {"properties": {"title": "Mới"}, "fields": "title"}},
              includeSpreadsheetInResponse=True).json()
    assert r["replies"] == [{}]
    assert r["updatedSpreadsheet"]["properties"]["title"] == "Mới"
    assert api("GET", f"/drive/v3/files/{sid}").json()["name"] == "Mới"


def test_dimension_properties_merges_and_borders(api, sid):
    r = batch(
        api, sid,
        {"updateDimensionProperties": {"range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 2},
                                       "properties": {"pixelSize": 180}, "fields": "pixelSize"}},
        {"updateDimensionProperties": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2},
                                       "properties": {"hiddenByUser": True}, "fields": "hiddenByUser"}},
        {"mergeCells": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 3},
                        "mergeType": "MERGE_ALL"}},
        {"updateBorders": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 1},
                           "bottom": {"style": "SOLID", "color": {"red": 1}}}},
        {"autoResizeDimensions": {"dimensions": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 3}}},
    )
    assert r.status_code == 200, r.text
    body = api("GET", f"/v4/spreadsheets/{sid}?ranges=A1:C2&includeGridData=true").json()
    sheet = body["sheets"][0]
    assert sheet["merges"] == [{"startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 3}]
    grid = sheet["data"][0]
    assert grid["columnMetadata"] == [{"pixelSize": 180}, {"pixelSize": 180}, {"pixelSize": 100}]
    assert grid["rowMetadata"] == [{"pixelSize": 21}, {"hiddenByUser": True, "pixelSize": 21}]
    border = grid["rowData"][0]["values"][0]["userEnteredFormat"]["borders"]["bottom"]
    assert border == {"style": "SOLID", "width": 1, "color": {"red": 1}, "colorStyle": {"rgbColor": {"red": 1}}}


def test_insert_columns_and_append_dimension(api, sid):
    api("PUT", f"/v4/spreadsheets/{sid}/values/A1?valueInputOption=USER_ENTERED", json={"values": [["a", "b", "=A1&B1"]]})
    batch(api, sid,
          {"insertDimension": {"range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2}}},
          {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 5}})
    assert api("GET", f"/v4/spreadsheets/{sid}/values/A1:D1").json()["values"] == [["a", "", "b", "ab"]]
    assert api("GET", f"/v4/spreadsheets/{sid}/values/D1?valueRenderOption=FORMULA").json()["values"] == [["=A1&C1"]]
    grid = api("GET", f"/v4/spreadsheets/{sid}").json()["sheets"][0]["properties"]["gridProperties"]
    assert grid == {"rowCount": 1005, "columnCount": 27}


def test_update_cells_with_range_clears_uncovered_cells(api, sid):
    api("PUT", f"/v4/spreadsheets/{sid}/values/A1?valueInputOption=RAW", json={"values": [["x", "y"], ["z", "w"]]})
    r = batch(api, sid, {"updateCells": {
        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 2},
        "rows": [{"values": [{"userEnteredValue": {"numberValue": 1}}]}],
        "fields": "userEnteredValue"}})
    assert r.status_code == 200, r.text
    assert api("GET", f"/v4/spreadsheets/{sid}/values/A1:B2").json()["values"] == [["1"]]


def test_protected_range_lifecycle(api, sid):
    r = batch(api, sid, {"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1}, "warningOnly": True}}}).json()
    pr = r["replies"][0]["addProtectedRange"]["protectedRange"]
    assert pr == {"protectedRangeId": pr["protectedRangeId"], "range": {"startRowIndex": 0, "endRowIndex": 1},
                  "warningOnly": True, "requestingUserCanEdit": True, "editors": {}}
    batch(api, sid, {"updateProtectedRange": {"protectedRange": {"protectedRangeId": pr["protectedRangeId"],
                                                                 "description": "tiêu đề"}, "fields": "description"}})
    stored = api("GET", f"/v4/spreadsheets/{sid}").json()["sheets"][0]["protectedRanges"][0]
    assert stored["description"] == "tiêu đề"
    batch(api, sid, {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 2}}})
    stored = api("GET", f"/v4/spreadsheets/{sid}").json()["sheets"][0]["protectedRanges"][0]
    assert stored["range"] == {"startRowIndex": 2, "endRowIndex": 3}
    batch(api, sid, {"deleteProtectedRange": {"protectedRangeId": pr["protectedRangeId"]}})
    assert "protectedRanges" not in api("GET", f"/v4/spreadsheets/{sid}").json()["sheets"][0]
    assert error(batch(api, sid, {"deleteProtectedRange": {"protectedRangeId": 5}})) == (
        "Invalid requests[0].deleteProtectedRange: No protected range with id: 5"
    )


def test_grid_ranges_past_the_grid_are_refused(api, sid):
    message = error(batch(api, sid, {"repeatCell": {
        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1001},
        "cell": {"note": "x"}, "fields": "note"}}))
    assert message == (
        "Invalid requests[0].repeatCell: Range (Sheet1!A1:Z1001) exceeds grid limits. Max rows: 1000, max columns: 26"
    )
    assert error(batch(api, sid, {"deleteDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 1000}}})) == (
        "Invalid requests[0].deleteDimension: You can't delete all the rows on the sheet."
    )


def test_sheet_copy_to_another_spreadsheet(api, sid):
    other = api.new_spreadsheet("đích")
    api("PUT", f"/v4/spreadsheets/{sid}/values/A1?valueInputOption=RAW", json={"values": [["nguồn"]]})
    r = api("POST", f"/v4/spreadsheets/{sid}/sheets/0:copyTo", json={"destinationSpreadsheetId": other})
    assert r.status_code == 200
    assert r.json()["title"] == "Copy of Sheet1" and r.json()["index"] == 1
    assert api("GET", f"/v4/spreadsheets/{other}/values/'Copy of Sheet1'!A1").json()["values"] == [["nguồn"]]
