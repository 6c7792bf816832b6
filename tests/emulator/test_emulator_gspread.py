"""End-to-end through real gspread: what sheetsync itself will do against Google."""

from __future__ import annotations

import gspread
import pytest
from gspread.exceptions import APIError, SpreadsheetNotFound
from gspread.utils import ExportFormat, ValidationConditionType, ValueInputOption, ValueRenderOption

VN_SHEET = "Bảng chấm điểm tháng 11"
VN_SHEET_2 = "Nhân viên phòng Tổ chức"


def test_create_open_and_list(gc):
    sh = gc.create("Đánh giá tháng 11")
    assert len(sh.id) == 44
    assert sh.title == "Đánh giá tháng 11"
    assert [ws.title for ws in sh.worksheets()] == ["Sheet1"]
    assert sh.sheet1.id == 0
    assert (sh.sheet1.row_count, sh.sheet1.col_count) == (1000, 26)
    assert gc.open_by_key(sh.id).title == sh.title
    assert gc.open("Đánh giá tháng 11").id == sh.id
    assert [f["id"] for f in gc.list_spreadsheet_files()] == [sh.id]
    assert sh.get_lastUpdateTime().endswith("Z")


def test_vietnamese_worksheet_names_with_spaces(sh):
    ws = sh.add_worksheet(VN_SHEET, rows=20, cols=5)
    sh.add_worksheet(VN_SHEET_2, rows=10, cols=3)
    assert [w.title for w in sh.worksheets()] == ["Sheet1", VN_SHEET, VN_SHEET_2]
    assert ws.id != 0 and 0 < ws.id < 2**31
    result = ws.update([["Họ và tên", "Điểm"], ["Nguyễn Văn An", 95]], "A1")
    assert result["updatedRange"] == f"'{VN_SHEET}'!A1:B2"
    assert sh.worksheet(VN_SHEET).get_all_values() == [["Họ và tên", "Điểm"], ["Nguyễn Văn An", "95"]]
    with pytest.raises(APIError) as err:
        sh.add_worksheet(VN_SHEET, rows=1, cols=1)
    assert err.value.code == 400
    assert err.value.error["message"] == (
        f'Invalid requests[0].addSheet: A sheet with the name "{VN_SHEET}" already exists. Please enter another name.'
    )


def test_update_raw_keeps_text_user_entered_parses(sh):
    ws = sh.sheet1
    ws.update([["=1+1", "53", "2026-11-03", "TRUE", "0.5"]], "A1", value_input_option=ValueInputOption.raw)
    ws.update([["=1+1", "53", "2026-11-03", "TRUE", "0.5"]], "A2", value_input_option=ValueInputOption.user_entered)
    assert ws.get("A1:E2") == [
        ["=1+1", "53", "2026-11-03", "TRUE", "0.5"],
        ["2", "53", "2026-11-03", "TRUE", "0.5"],
    ]
    assert ws.get("A1:E2", value_render_option=ValueRenderOption.unformatted) == [
        ["=1+1", "53", "2026-11-03", "TRUE", "0.5"],
        [2, 53, 46329, True, 0.5],
    ]
    assert ws.get("A2:A2", value_render_option=ValueRenderOption.formula) == [["=1+1"]]
    assert ws.acell("C2").value == "2026-11-03"


def test_batch_get_and_get_all_values_trim_like_google(sh):
    ws = sh.sheet1
    ws.update([["A1", "B1", "", "D1"], ["", "b2", "", ""], ["", "", "", ""], ["A4", "B4", "", "D4"]], "A1")
    assert ws.get_all_values() == [["A1", "B1", "", "D1"], ["", "b2", "", ""], ["", "", "", ""], ["A4", "B4", "", "D4"]]
    raw = sh.values_get("Sheet1")
    assert raw["range"] == "Sheet1!A1:Z1000"
    assert raw["values"] == [["A1", "B1", "", "D1"], ["", "b2"], [], ["A4", "B4", "", "D4"]]
    got = ws.batch_get(["A1:B1", "B4:D4", "F1:F3"])
    assert [list(r) for r in got] == [[["A1", "B1"]], [["B4", "", "D4"]], []]
    assert got[0].range == "Sheet1!A1:B1"


def test_worksheet_batch_update_and_values_batch_update(sh):
    ws = sh.sheet1
    ws.batch_update(
        [{"range": "A1:B1", "values": [["x", "y"]]}, {"range": "A3", "values": [["=2*21"]]}],
        value_input_option=ValueInputOption.user_entered,
    )
    result = sh.values_batch_update(
        {"valueInputOption": "RAW", "data": [{"range": "Sheet1!C1:C2", "values": [["c1"], ["c2"]]}]}
    )
    assert result["totalUpdatedCells"] == 2
    assert result["responses"][0]["updatedRange"] == "Sheet1!C1:C2"
    assert ws.get_all_values() == [["x", "y", "c1"], ["", "", "c2"], ["42", "", ""]]


def test_format_is_stored_with_color_styles(sh):
    ws = sh.sheet1
    ws.format("A2:B2", {"backgroundColor": {"red": 0, "green": 1, "blue": 1}, "textFormat": {"bold": True}})
    meta = sh.fetch_sheet_metadata(
        {"ranges": "Sheet1!A2", "fields": "sheets.data.rowData.values.userEnteredFormat"}
    )
    fmt = meta["sheets"][0]["data"][0]["rowData"][0]["values"][0]["userEnteredFormat"]
    assert fmt == {
        "backgroundColor": {"green": 1, "blue": 1},
        "backgroundColorStyle": {"rgbColor": {"green": 1, "blue": 1}},
        "textFormat": {"bold": True},
    }


def test_notes(sh):
    ws = sh.sheet1
    assert ws.get_notes() == [[]]
    ws.insert_note("A1", "Ghi chú: kiểm tra lại")
    ws.update_notes({"B2": "second", "C3": "third"})
    assert ws.get_note("A1") == "Ghi chú: kiểm tra lại"
    assert ws.get_notes() == [["Ghi chú: kiểm tra lại"], ["", "second"], ["", "", "third"]]
    assert ws.get_notes(grid_range="B2:C3") == [["second"], ["", "third"]]
    ws.clear_note("A1")
    assert ws.get_note("A1") == ""


def test_freeze(sh):
    ws = sh.sheet1
    ws.freeze(rows=1, cols=2)
    grid = sh.fetch_sheet_metadata()["sheets"][0]["properties"]["gridProperties"]
    assert grid == {"rowCount": 1000, "columnCount": 26, "frozenRowCount": 1, "frozenColumnCount": 2}
    ws.freeze(rows=0, cols=0)
    grid = sh.fetch_sheet_metadata()["sheets"][0]["properties"]["gridProperties"]
    assert grid == {"rowCount": 1000, "columnCount": 26}


def test_add_protected_range(sh, emulator):
    ws = sh.sheet1
    reply = ws.add_protected_range("A1:B2", editor_users_emails=["truong.phong@example.vn"], description="Khóa tiêu đề")
    protected = reply["replies"][0]["addProtectedRange"]["protectedRange"]
    assert protected["range"] == {"startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 2}
    assert protected["editors"] == {"users": ["truong.phong@example.vn"]}
    stored = sh.fetch_sheet_metadata()["sheets"][0]["protectedRanges"]
    assert stored == [
        {
            "protectedRangeId": protected["protectedRangeId"],
            "range": protected["range"],
            "description": "Khóa tiêu đề",
            "requestingUserCanEdit": True,
            "editors": {"users": [emulator.store.account_email, "truong.phong@example.vn"]},
        }
    ]


def test_data_validation_via_batch_update(sh):
    ws = sh.sheet1
    sh.batch_update(
        {
            "requests": [
                {
                    "setDataValidation": {
                        "range": {"sheetId": ws.id, "startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 2, "endColumnIndex": 3},
                        "rule": {
                            "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Đạt"}, {"userEnteredValue": "Không đạt"}]},
                            "strict": True,
                            "showCustomUi": True,
                        },
                    }
                }
            ]
        }
    )
    meta = sh.fetch_sheet_metadata({"ranges": "Sheet1!C2:C3", "fields": "sheets.data.rowData.values.dataValidation"})
    rows = meta["sheets"][0]["data"][0]["rowData"]
    expected = {
        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Đạt"}, {"userEnteredValue": "Không đạt"}]},
        "strict": True,
        "showCustomUi": True,
    }
    assert rows == [{"values": [{"dataValidation": expected}]}] * 2
    ws.add_validation("D1", ValidationConditionType.number_between, ["0", "100"], strict=True)
    meta = sh.fetch_sheet_metadata({"ranges": "Sheet1!D1", "fields": "sheets.data.rowData.values.dataValidation"})
    rule = meta["sheets"][0]["data"][0]["rowData"][0]["values"][0]["dataValidation"]
    assert rule["condition"] == {"type": "NUMBER_BETWEEN", "values": [{"userEnteredValue": "0"}, {"userEnteredValue": "100"}]}


def test_insert_and_delete_rows_keep_formulas_pointing_at_their_cells(sh):
    ws = sh.sheet1
    ws.update([["a", 1], ["b", 2], ["c", 3], ["tổng", "=SUM(B1:B3)"]], "A1", value_input_option=ValueInputOption.user_entered)
    ws.insert_rows([["new", 10]], row=2, value_input_option=ValueInputOption.user_entered)
    assert ws.row_count == 1001
    assert ws.get_all_values() == [["a", "1"], ["new", "10"], ["b", "2"], ["c", "3"], ["tổng", "16"]]
    assert ws.acell("B5", value_render_option=ValueRenderOption.formula).value == "=SUM(B1:B4)"
    ws.delete_rows(1)
    assert ws.get_all_values() == [["new", "10"], ["b", "2"], ["c", "3"], ["tổng", "15"]]
    assert ws.acell("B4", value_render_option=ValueRenderOption.formula).value == "=SUM(B1:B3)"
    ws.delete_rows(1, 3)
    assert ws.get_all_values() == [["tổng", "#REF!"]]
    assert ws.acell("B1", value_render_option=ValueRenderOption.formula).value == "=SUM(#REF!)"


def test_sort(sh):
    ws = sh.sheet1
    ws.update([["Tên", "Điểm"], ["Bình", 70], ["An", 95], ["Chi", ""], ["Dũng", 80]], "A1")
    ws.sort((2, "des"), range="A2:B5")
    assert ws.get_all_values() == [["Tên", "Điểm"], ["An", "95"], ["Dũng", "80"], ["Bình", "70"], ["Chi", ""]]
    ws.sort((1, "asc"), range="A2:B5")
    assert ws.col_values(1) == ["Tên", "An", "Bình", "Chi", "Dũng"]


def test_delete_spreadsheet(gc, sh):
    gc.del_spreadsheet(sh.id)
    with pytest.raises(SpreadsheetNotFound):
        gc.open_by_key(sh.id)
    assert gc.list_spreadsheet_files() == []


def test_errors_look_like_google(gc, sh):
    with pytest.raises(SpreadsheetNotFound):
        gc.open_by_key("1" + "x" * 43)
    with pytest.raises(APIError) as err:
        gc.http_client.values_get("does-not-exist", "A1")
    assert err.value.code == 404
    assert err.value.error == {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
    ws = sh.sheet1
    with pytest.raises(APIError) as err:
        ws.get("A1:B2:C3")
    assert err.value.code == 400
    assert err.value.error["message"] == "Unable to parse range: 'Sheet1'!A1:B2:C3"
    with pytest.raises(APIError) as err:
        sh.values_get("'Không có'!A1")
    assert err.value.error["message"] == "Unable to parse range: 'Không có'!A1"
    with pytest.raises(APIError) as err:
        ws.get("A1:AA5")
    assert err.value.error["message"] == "Range ('Sheet1'!A1:AA5) exceeds grid limits. Max rows: 1000, max columns: 26".replace(
        "'Sheet1'", "Sheet1"
    )
    with pytest.raises(APIError) as err:
        ws.update([["a", "b", "c"]], "A1:B1")
    assert err.value.error["message"] == "Requested writing within range [Sheet1!A1:B1], but tried writing to column [C]"
    with pytest.raises(APIError) as err:
        sh.values_update("Sheet1!A1", params={"valueInputOption": "RAW"}, body={"values": "X"})
    assert err.value.error["status"] == "INVALID_ARGUMENT"
    assert err.value.error["message"] == (
        "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), \"X\""
    )


def test_batch_update_is_atomic(sh):
    ws = sh.sheet1
    ws.update([["giữ nguyên"]], "A1")
    with pytest.raises(APIError) as err:
        sh.batch_update(
            {
                "requests": [
                    {"addSheet": {"properties": {"title": "Sẽ không tồn tại"}}},
                    {"repeatCell": {"range": {"sheetId": 0}, "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}}, "fields": "userEnteredFormat"}},
                    {"updateCells": {"start": {"sheetId": 0}, "rows": [{"values": [{"userEnteredValue": {"stringValue": "đổi"}}]}], "fields": "userEnteredValue"}},
                    {"deleteSheet": {"sheetId": 424242}},
                ]
            }
        )
    assert err.value.code == 400
    assert err.value.error["message"] == "Invalid requests[3].deleteSheet: No grid with id: 424242"
    assert [w.title for w in sh.worksheets()] == ["Sheet1"]
    assert ws.acell("A1").value == "giữ nguyên"
    meta = sh.fetch_sheet_metadata({"ranges": "Sheet1!A1", "fields": "sheets.data.rowData.values.userEnteredFormat"})
    assert meta == {"sheets": [{"data": [{}]}]}


def test_batch_update_rejects_misspelt_fields_before_doing_anything(sh):
    with pytest.raises(APIError) as err:
        sh.batch_update({"requests": [{"addSheet": {"properties": {"titel": "x"}}}]})
    assert err.value.error["message"] == (
        "Invalid JSON payload received. Unknown name \"titel\" at 'requests[0].add_sheet.properties': Cannot find field."
    )
    assert err.value.error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"


def test_worksheet_management(sh):
    ws = sh.add_worksheet("Tạm", rows=5, cols=5)
    ws.update_title("Tạm thời")
    ws.resize(rows=10, cols=3)
    copy = sh.duplicate_sheet(ws.id, new_sheet_name="Bản sao")
    assert [w.title for w in sh.worksheets()] == ["Sheet1", "Tạm thời", "Bản sao"]
    assert (copy.row_count, copy.col_count) == (10, 3)
    sh.del_worksheet(ws)
    assert [w.title for w in sh.worksheets()] == ["Sheet1", "Bản sao"]
    sh.update_title("Đánh giá tháng 12")
    assert sh.title == "Đánh giá tháng 12"
    assert sh.client.get_file_drive_metadata(sh.id)["name"] == "Đánh giá tháng 12"


def test_append_rows_find_the_table(sh):
    ws = sh.sheet1
    ws.append_row(["Họ tên", "Điểm"])
    ws.append_rows([["An", 9], ["Bình", 8]])
    result = ws.append_row(["Chi", 7], table_range="A1")
    assert result["tableRange"] == "Sheet1!A1:B3"
    assert result["updates"]["updatedRange"] == "Sheet1!A4:B4"
    assert ws.get_all_values() == [["Họ tên", "Điểm"], ["An", "9"], ["Bình", "8"], ["Chi", "7"]]


def test_share_copy_and_export(gc, sh):
    sh.sheet1.update([["a", "b"], ["1", "2"]], "A1")
    sh.share("can.bo@example.vn", perm_type="user", role="writer", notify=False)
    emails = {p.get("emailAddress"): p["role"] for p in sh.list_permissions()}
    assert emails["can.bo@example.vn"] == "writer"
    assert "owner" in emails.values()
    copy = gc.copy(sh.id, title="Bản sao đánh giá")
    assert copy.title == "Bản sao đánh giá"
    assert copy.sheet1.get_all_values() == [["a", "b"], ["1", "2"]]
    assert gc.export(sh.id, ExportFormat.CSV) == b"a,b\r\n1,2"


def test_back_off_client_retries_through_injected_faults(emulator, monkeypatch):
    from sheets_emulator import FaultConfig
    from sheets_emulator.client import emulator_client

    monkeypatch.setattr(gspread.http_client.time, "sleep", lambda seconds: None)
    gc = emulator_client(emulator.url, http_client=gspread.BackOffHTTPClient)
    sh = gc.create("retry")
    emulator.set_faults(FaultConfig(error_rate=0.5, seed=7))
    for i in range(5):
        sh.sheet1.update([[i]], "A1")
    emulator.set_faults(FaultConfig())
    assert sh.sheet1.acell("A1").value == "4"
