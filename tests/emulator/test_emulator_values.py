"""spreadsheets.values.* semantics at the HTTP level (below gspread's conveniences)."""

from __future__ import annotations

from urllib.parse import quote

import pytest


@pytest.fixture
def sid(api) -> str:  # type: ignore[no-untyped-def]
    return api.new_spreadsheet("giá trị")


def put(api, sid, rng, values, option="USER_ENTERED", **body):  # type: ignore[no-untyped-def]
    return api("PUT", f"/v4/spreadsheets/{sid}/values/{quote(rng, safe='')}?valueInputOption={option}", json={"values": values, **body})


def get(api, sid, rng, **params):  # type: ignore[no-untyped-def]
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api("GET", f"/v4/spreadsheets/{sid}/values/{quote(rng, safe='')}" + (f"?{query}" if query else ""))


def test_columns_major_dimension_read_and_write(api, sid):
    put(api, sid, "A1", [["a", "b"], ["c"]], majorDimension="COLUMNS")
    assert get(api, sid, "A1:B2").json()["values"] == [["a", "c"], ["b"]]
    assert get(api, sid, "A1:B2", majorDimension="COLUMNS").json() == {
        "range": "Sheet1!A1:B2",
        "majorDimension": "COLUMNS",
        "values": [["a", "b"], ["c"]],
    }


def test_null_leaves_cells_alone_and_empty_string_clears(api, sid):
    put(api, sid, "A1", [["keep", "drop", "x"]])
    r = put(api, sid, "A1", [[None, "", "y"]]).json()
    assert r["updatedRange"] == "Sheet1!A1:C1"
    assert (r["updatedRows"], r["updatedColumns"], r["updatedCells"]) == (1, 2, 2)
    assert get(api, sid, "A1:C1").json()["values"] == [["keep", "", "y"]]


def test_include_values_in_response(api, sid):
    r = api(
        "PUT",
        f"/v4/spreadsheets/{sid}/values/A1?valueInputOption=USER_ENTERED&includeValuesInResponse=true"
        "&responseValueRenderOption=UNFORMATTED_VALUE",
        json={"values": [["=6*7", "10%"]]},
    ).json()
    assert r["updatedData"] == {"range": "Sheet1!A1:B1", "majorDimension": "ROWS", "values": [[42, 0.1]]}


def test_value_input_option_is_required_and_enums_are_checked(api, sid):
    r = api("PUT", f"/v4/spreadsheets/{sid}/values/A1", json={"values": [[1]]})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "'valueInputOption' is required but not specified"
    r = get(api, sid, "A1", valueRenderOption="PRETTY")
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        "Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), \"PRETTY\""
    )


def test_body_range_must_match_url_range(api, sid):
    r = put(api, sid, "Sheet1!A1", [[1]], range="Sheet1!B1")
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Request range[Sheet1!A1] does not match value's range[Sheet1!B1]"
    assert put(api, sid, "Sheet1!A1", [[1]], range="'Sheet1'!A1").status_code == 200


def test_nested_values_are_rejected(api, sid):
    r = put(api, sid, "A1", [[[1]]])
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("Invalid values[0][0]: list_value")
    r = put(api, sid, "A1", ["flat"])
    assert r.json()["error"]["message"] == (
        "Invalid value at 'data.values[0]' (type.googleapis.com/google.protobuf.ListValue), \"flat\""
    )


def test_writes_past_the_grid_fail(api, sid):
    r = put(api, sid, "Sheet1!A1001", [[1]])
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Range (Sheet1!A1001) exceeds grid limits. Max rows: 1000, max columns: 26"
    r = put(api, sid, "Sheet1!A1:B2", [[1], [2], [3]])
    assert r.json()["error"]["message"] == "Requested writing within range [Sheet1!A1:B2], but tried writing to row [3]"


def test_whole_column_and_row_ranges_are_bounded_by_the_grid(api, sid):
    put(api, sid, "B3", [["x"]])
    assert get(api, sid, "Sheet1!B:B").json() == {"range": "Sheet1!B1:B1000", "majorDimension": "ROWS", "values": [[], [], ["x"]]}
    assert get(api, sid, "Sheet1!3:3").json()["range"] == "Sheet1!A3:Z3"
    assert get(api, sid, "Sheet1!B2:C").json()["range"] == "Sheet1!B2:C1000"
    assert get(api, sid, "Sheet1").json()["range"] == "Sheet1!A1:Z1000"


def test_user_entered_parsing(api, sid):
    put(api, sid, "A1", [["2026-11-03", "3/11/2026", "12.5%", "$1,234.50", "1,234", "'0123", " 42 ", "true", "abc"]])
    formatted = get(api, sid, "A1:I1").json()["values"][0]
    assert formatted == ["2026-11-03", "3/11/2026", "12.5%", "$1,234.50", "1,234", "0123", "42", "TRUE", "abc"]
    raw = get(api, sid, "A1:I1", valueRenderOption="UNFORMATTED_VALUE").json()["values"][0]
    assert raw == [46329, 46092, 0.125, 1234.5, 1234, "0123", 42, True, "abc"]
    as_text = get(api, sid, "A1:B1", valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="FORMATTED_STRING")
    assert as_text.json()["values"] == [["2026-11-03", "3/11/2026"]]


def test_raw_stores_strings_verbatim(api, sid):
    put(api, sid, "A1", [["=1+1", "2026-11-03", "'x", 7, True]], option="RAW")
    assert get(api, sid, "A1:E1", valueRenderOption="UNFORMATTED_VALUE").json()["values"] == [
        ["=1+1", "2026-11-03", "'x", 7, True]
    ]
    assert get(api, sid, "A1:A1", valueRenderOption="FORMULA").json()["values"] == [["=1+1"]]


def test_formulas_evaluate_and_errors_render_like_sheets(api, sid):
    put(api, sid, "A1", [[10, 20, "=A1+B1", "=A1/0", "=FOO(1)", "=C1*2", "=D1+1", "=sum(a1:b1)", "=Z1"]])
    assert get(api, sid, "A1:I1").json()["values"] == [["10", "20", "30", "#DIV/0!", "#NAME?", "60", "#DIV/0!", "30", "0"]]
    assert get(api, sid, "H1", valueRenderOption="FORMULA").json()["values"] == [["=SUM(A1:B1)"]]
    put(api, sid, "A2", [["=B2", "=A2"]])
    assert get(api, sid, "A2:B2").json()["values"] == [["#REF!", "#REF!"]]


def test_formulas_across_sheets_follow_renames(api, sid):
    r = api("POST", f"/v4/spreadsheets/{sid}:batchUpdate", json={"requests": [{"addSheet": {"properties": {"title": "Bảng điểm"}}}]})
    new_id = r.json()["replies"][0]["addSheet"]["properties"]["sheetId"]
    put(api, sid, "'Bảng điểm'!B2", [[21]])
    put(api, sid, "Sheet1!A1", [["='Bảng điểm'!B2*2", "=IF(A1>40,\"đạt\",\"không\")"]])
    assert get(api, sid, "A1:B1").json()["values"] == [["42", "đạt"]]
    api("POST", f"/v4/spreadsheets/{sid}:batchUpdate", json={"requests": [
        {"updateSheetProperties": {"properties": {"sheetId": new_id, "title": "Điểm"}, "fields": "title"}}]})
    assert get(api, sid, "A1", valueRenderOption="FORMULA").json()["values"] == [["='Điểm'!B2*2"]]
    assert get(api, sid, "A1").json()["values"] == [["42"]]
    api("POST", f"/v4/spreadsheets/{sid}:batchUpdate", json={"requests": [{"deleteSheet": {"sheetId": new_id}}]})
    assert get(api, sid, "A1").json()["values"] == [["#REF!"]]


def test_clear_keeps_formats_and_notes(api, sid):
    put(api, sid, "A1", [["x"]])
    api("POST", f"/v4/spreadsheets/{sid}:batchUpdate", json={"requests": [
        {"repeatCell": {"range": {"sheetId": 0, "endRowIndex": 1, "endColumnIndex": 1},
                        "cell": {"note": "n", "userEnteredFormat": {"textFormat": {"italic": True}}},
                        "fields": "note,userEnteredFormat.textFormat.italic"}}]})
    r = api("POST", f"/v4/spreadsheets/{sid}/values/A1:clear")
    assert r.json() == {"spreadsheetId": sid, "clearedRange": "Sheet1!A1"}
    cell = api("GET", f"/v4/spreadsheets/{sid}?ranges=A1&fields=sheets.data.rowData.values(note,userEnteredFormat,userEnteredValue)").json()
    assert cell == {"sheets": [{"data": [{"rowData": [{"values": [{"userEnteredFormat": {"textFormat": {"italic": True}}, "note": "n"}]}]}]}]}


def test_append_insert_rows_pushes_data_down(api, sid):
    put(api, sid, "A1", [["h"], ["1"], [None], ["below"]])
    r = api("POST", f"/v4/spreadsheets/{sid}/values/A1:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS",
            json={"values": [["2"], ["3"]]}).json()
    assert r["tableRange"] == "Sheet1!A1:A2"
    assert r["updates"]["updatedRange"] == "Sheet1!A3:A4"
    assert get(api, sid, "A1:A6").json()["values"] == [["h"], ["1"], ["2"], ["3"], [], ["below"]]
    assert api("GET", f"/v4/spreadsheets/{sid}").json()["sheets"][0]["properties"]["gridProperties"]["rowCount"] == 1002


def test_append_grows_the_grid_when_full(api, sid):
    api("POST", f"/v4/spreadsheets/{sid}:batchUpdate", json={"requests": [
        {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {"rowCount": 2}}, "fields": "gridProperties.rowCount"}}]})
    put(api, sid, "A1", [["a"], ["b"]])
    r = api("POST", f"/v4/spreadsheets/{sid}/values/Sheet1:append?valueInputOption=RAW", json={"values": [["c"]]})
    assert r.json()["updates"]["updatedRange"] == "Sheet1!A3"
    assert get(api, sid, "Sheet1").json() == {"range": "Sheet1!A1:Z3", "majorDimension": "ROWS", "values": [["a"], ["b"], ["c"]]}


def test_batch_get_and_batch_clear(api, sid):
    put(api, sid, "A1", [[1, 2], [3, 4]])
    r = api("GET", f"/v4/spreadsheets/{sid}/values:batchGet?ranges=A1&ranges=Sheet1!B1:B2&valueRenderOption=UNFORMATTED_VALUE")
    assert r.json() == {"spreadsheetId": sid, "valueRanges": [
        {"range": "Sheet1!A1", "majorDimension": "ROWS", "values": [[1]]},
        {"range": "Sheet1!B1:B2", "majorDimension": "ROWS", "values": [[2], [4]]},
    ]}
    r = api("POST", f"/v4/spreadsheets/{sid}/values:batchClear", json={"ranges": ["A1", "Nope!A1"]})
    assert r.status_code == 400
    assert get(api, sid, "A1").json()["values"] == [["1"]]  # nothing cleared when one range is bad
    r = api("POST", f"/v4/spreadsheets/{sid}/values:batchClear", json={"ranges": ["A1:A2"]})
    assert r.json() == {"spreadsheetId": sid, "clearedRanges": ["Sheet1!A1:A2"]}


def test_values_batch_update_error_names_the_data_index(api, sid):
    r = api("POST", f"/v4/spreadsheets/{sid}/values:batchUpdate",
            json={"valueInputOption": "RAW", "data": [{"range": "A1", "values": [[1]]}, {"range": "Không!A1", "values": [[2]]}]})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Invalid data[1]: Unable to parse range: Không!A1"
    assert "values" not in get(api, sid, "A1").json()
