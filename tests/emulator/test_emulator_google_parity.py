"""Behaviours gspread's own suite needs (issue 14), checked through real gspread and raw HTTP so
they stay covered where that suite is not available."""

from __future__ import annotations

import gspread
import pytest
import requests

from sheets_emulator import EmulatorServer
from sheets_emulator.client import emulator_client, emulator_session

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"


def _sheet_meta(sh, ws):  # type: ignore[no-untyped-def]
    return next(s for s in sh.fetch_sheet_metadata()["sheets"] if s["properties"]["sheetId"] == ws.id)


# --------------------------------------------------------------------------- dimension groups


def test_dimension_groups_nest_as_google_documents(sh):
    ws = sh.sheet1
    reply = ws.add_dimension_group_columns(2, 4)  # C:D
    assert reply["replies"][0]["addDimensionGroup"]["dimensionGroups"] == [
        {"range": {"dimension": "COLUMNS", "startIndex": 2, "endIndex": 4}, "depth": 1}]
    ws.add_dimension_group_columns(1, 5)  # B:E, a superset: C:D goes one level deeper
    groups = ws.list_dimension_group_columns()
    assert [(g["range"]["startIndex"], g["range"]["endIndex"], g["depth"]) for g in groups] == [(1, 5, 1), (2, 4, 2)]
    ws.delete_dimension_group_columns(3, 5)  # D:E -> B:D depth 1, C:C depth 2 (Google's example)
    groups = ws.list_dimension_group_columns()
    assert [(g["range"]["startIndex"], g["range"]["endIndex"], g["depth"]) for g in groups] == [(1, 4, 1), (2, 3, 2)]
    assert ws.list_dimension_group_rows() == []


def test_dimension_group_collapse_and_shift_with_inserted_rows(sh):
    ws = sh.sheet1
    ws.add_dimension_group_rows(2, 5)
    sh.batch_update({"requests": [{"updateDimensionGroup": {
        "dimensionGroup": {"range": {"sheetId": ws.id, "dimension": "ROWS", "startIndex": 2, "endIndex": 5},
                           "depth": 1, "collapsed": True}, "fields": "collapsed"}}]})
    assert ws.list_dimension_group_rows()[0]["collapsed"] is True
    ws.insert_rows([["x"]], row=1)  # above the group: it moves down
    (group,) = ws.list_dimension_group_rows()
    assert group["range"]["startIndex"] == 3 and group["range"]["endIndex"] == 6


def test_deleting_a_group_that_is_not_there_is_a_400(sh):
    with pytest.raises(gspread.exceptions.APIError) as err:
        sh.sheet1.delete_dimension_group_rows(0, 2)
    assert err.value.response.status_code == 400


# --------------------------------------------------------------------------- named ranges


def test_named_range_usable_as_a1_range_with_or_without_sheet(sh):
    ws = sh.sheet1
    ws.update([["a", "b"], ["c", "d"]], "B2:C3")
    ws.define_named_range("B2:C3", "Khoi")
    assert ws.get("Khoi") == [["a", "b"], ["c", "d"]]
    assert sh.values_get("Sheet1!Khoi")["range"] == "Sheet1!B2:C3"
    assert sh.values_get("khoi")["values"] == [["a", "b"], ["c", "d"]]  # names ignore case


def test_update_named_range(sh):
    ws = sh.sheet1
    created = ws.define_named_range("A1:B2", "Cu")
    range_id = created["replies"][0]["addNamedRange"]["namedRange"]["namedRangeId"]
    sh.batch_update({"requests": [{"updateNamedRange": {
        "namedRange": {"namedRangeId": range_id, "name": "Moi",
                       "range": {"sheetId": ws.id, "startRowIndex": 0, "endRowIndex": 5}},
        "fields": "name,range"}}]})
    (named,) = sh.list_named_ranges()
    assert named["name"] == "Moi" and named["range"]["endRowIndex"] == 5
    with pytest.raises(gspread.exceptions.APIError):
        sh.values_get("Cu")


def test_values_of_merged_cells_through_a_named_range(sh):
    ws = sh.sheet1
    ws.update([["1", "2", "4"], ["down", "up", ""], ["", "", "2"]], "A1:C3")
    ws.merge_cells("C1:C2")
    ws.define_named_range("B1:C3", "Vung")
    assert ws.get_values("Vung", combine_merged_cells=True) == [["2", "4"], ["up", "4"], ["", "2"]]


# --------------------------------------------------------------------------- merges, filters, sizes


def test_merge_replaces_the_merges_it_overlaps(sh):
    ws = sh.sheet1
    ws.merge_cells("A1:B2", merge_type="MERGE_ROWS")
    assert len(_sheet_meta(sh, ws)["merges"]) == 2
    ws.merge_cells("A1:C2")
    assert _sheet_meta(sh, ws)["merges"] == [
        {"startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 3}]


def test_basic_filter_range_is_resolved_like_google(sh):
    ws = sh.sheet1
    ws.resize(20, 20)
    ws.set_basic_filter()
    assert _sheet_meta(sh, ws)["basicFilter"]["range"] == {
        "startRowIndex": 0, "endRowIndex": 20, "startColumnIndex": 0, "endColumnIndex": 20}
    ws.set_basic_filter("B1:C2")
    assert _sheet_meta(sh, ws)["basicFilter"]["range"] == {
        "startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 1, "endColumnIndex": 3}


def test_auto_resize_fits_columns_to_content(sh):
    ws = sh.sheet1
    ws.update([["ngắn", "A" * 200]], "A1:B1")
    params = {"fields": "sheets.data.columnMetadata"}
    before = [c["pixelSize"] for c in sh.fetch_sheet_metadata(params=params)["sheets"][0]["data"][0]["columnMetadata"][:3]]
    ws.columns_auto_resize(0, 3)
    after = [c["pixelSize"] for c in sh.fetch_sheet_metadata(params=params)["sheets"][0]["data"][0]["columnMetadata"][:3]]
    assert after[0] < before[0] < after[1]  # a short label narrows, a long one widens
    assert after[2] == before[2]  # an empty column keeps its width


# --------------------------------------------------------------------------- copy / cut


def test_copy_paste_repeats_source_and_shifts_relative_references(sh):
    ws = sh.sheet1
    ws.update([[1, "=A1*2", "=$A$1+A1"]], "A1:C1", raw=False)
    ws.update([[2], [3]], "A2:A3")
    sh.batch_update({"requests": [{"copyPaste": {
        "source": {"sheetId": ws.id, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 1, "endColumnIndex": 3},
        "destination": {"sheetId": ws.id, "startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 1, "endColumnIndex": 3},
    }}]})
    assert ws.get("B2:C3", value_render_option="FORMULA") == [["=A2*2", "=$A$1+A2"], ["=A3*2", "=$A$1+A3"]]
    assert ws.get("B2:C3", value_render_option="UNFORMATTED_VALUE") == [[4, 3], [6, 4]]


def test_copy_paste_values_only_and_transposed(sh):
    ws = sh.sheet1
    ws.update([[5, "=A1+1"]], "A1:B1", raw=False)
    ws.format("E1:E2", {"textFormat": {"bold": True}})
    sh.batch_update({"requests": [{"copyPaste": {
        "source": {"sheetId": ws.id, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 2},
        "destination": {"sheetId": ws.id, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 4, "endColumnIndex": 5},
        "pasteType": "PASTE_VALUES", "pasteOrientation": "TRANSPOSE",
    }}]})
    assert ws.get("E1:E2", value_render_option="FORMULA") == [[5], [6]]
    assert ws.cell(1, 5).value == "5"
    cells = sh.fetch_sheet_metadata({"includeGridData": "true", "ranges": "Sheet1!E2"})
    cell = cells["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["userEnteredFormat"]["textFormat"]["bold"] is True  # values-only paste keeps formats


def test_cut_paste_moves_cells(sh):
    ws = sh.sheet1
    ws.update([["A1"], ["A2"]], "A1:A2")
    ws.cut_range("A1:A2", "C1")
    assert ws.get("A1:C2") == [["", "", "A1"], ["", "", "A2"]]


def test_paste_beyond_the_grid_is_a_400(sh):
    ws = sh.sheet1
    ws.resize(3, 3)
    with pytest.raises(gspread.exceptions.APIError) as err:
        ws.copy_range("A1:B2", "C3")
    assert err.value.response.status_code == 400


# --------------------------------------------------------------------------- append


def test_append_after_a_gap_continues_the_last_table(sh):
    """Recorded from Google (gspread #537): data in A1 and C1 with B1 empty; the next append
    lands at C2 and the reply names C1 as the table."""
    ws = sh.sheet1
    ws.append_row(["x", "", "y"])
    reply = ws.append_row(["x", "", "y"])
    assert reply["tableRange"] == "Sheet1!C1"
    assert reply["updates"]["updatedRange"] == "Sheet1!C2:E2"
    assert ws.row_values(2) == ["", "", "x", "", "y"]


def test_append_row_whose_first_cells_are_empty(sh):
    ws = sh.sheet1
    reply = ws.append_row(["", "", "z"])
    assert reply["updates"]["updatedRange"] == "Sheet1!A1:C1"
    assert ws.row_values(1) == ["", "", "z"]
    reply = ws.append_row(["", "", "w"])
    assert reply["tableRange"] == "Sheet1!C1"
    assert ws.get("A1:E2") == [["", "", "z"], ["", "", "", "", "w"]]


# --------------------------------------------------------------------------- CSV import


def test_import_csv_replaces_the_spreadsheet_content(gc, sh):
    sh.add_worksheet("Khác", 5, 5)
    sh.sheet1.update([["cũ"]], "Z10")
    reply = gc.import_csv(sh.id, "Họ tên,Điểm\nAn,9.5\nBình,\"8,0\"\n")
    assert reply["id"] == sh.id and reply["mimeType"] == SPREADSHEET_MIME
    fresh = gc.open_by_key(sh.id)
    assert [w.title for w in fresh.worksheets()] == ["Sheet1"]
    assert fresh.sheet1.get_all_values() == [["Họ tên", "Điểm"], ["An", "9.5"], ["Bình", "8,0"]]
    assert fresh.sheet1.get("B2", value_render_option="UNFORMATTED_VALUE") == [[9.5]]  # converted as typed


def test_other_uploads_still_answer_501(emulator):
    r = requests.post(emulator.url + "/upload/drive/v3/files?uploadType=multipart", data=b"x", timeout=10)
    assert r.status_code == 501


# --------------------------------------------------------------------------- identities


def _client_as(emulator: EmulatorServer, email: str) -> gspread.Client:
    session = emulator_session(emulator.url)
    session.headers["Authorization"] = f"Bearer {email}"
    return gspread.Client(None, session=session)  # type: ignore[arg-type]


def test_unshared_spreadsheet_is_403_for_sheets_and_hidden_in_drive(emulator):
    owner, stranger = _client_as(emulator, "chu@example.com"), _client_as(emulator, "la@example.com")
    sh = owner.create("riêng tư")
    with pytest.raises(PermissionError):
        stranger.open_by_key(sh.id)
    r = requests.get(f"{emulator.url}/drive/v3/files/{sh.id}", headers={"Authorization": "Bearer la@example.com"},
                     timeout=10)
    assert r.status_code == 404  # Drive does not reveal files it would not show
    assert [s.id for s in stranger.openall()] == []
    assert [s.id for s in owner.openall()] == [sh.id]
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        stranger.open_by_key("khong-ton-tai")


def test_sharing_grants_access_by_role(emulator):
    owner, reader = _client_as(emulator, "chu@example.com"), _client_as(emulator, "doc@example.com")
    sh = owner.create("chia sẻ")
    sh.share("doc@example.com", perm_type="user", role="reader", notify=False)
    opened = reader.open_by_key(sh.id)
    assert opened.sheet1.get_all_values() == [[]]
    with pytest.raises(gspread.exceptions.APIError) as err:
        opened.sheet1.update([["x"]], "A1")
    assert err.value.response.status_code == 403
    sh.share("doc@example.com", perm_type="user", role="writer", notify=False)
    opened.sheet1.update([["x"]], "A1")
    assert sh.sheet1.acell("A1").value == "x"
    meta = requests.get(f"{emulator.url}/drive/v3/files/{sh.id}?fields=owners,ownedByMe",
                        headers={"Authorization": "Bearer doc@example.com"}, timeout=10).json()
    assert meta == {"owners": [{"kind": "drive#user", "displayName": "chu", "me": False,
                                "permissionId": meta["owners"][0]["permissionId"],
                                "emailAddress": "chu@example.com"}], "ownedByMe": False}


def test_anyone_permission_and_token_mapping():
    with EmulatorServer(identities={"token-of-ba": "ba@example.com"}) as emu:
        owner, ba = _client_as(emu, "chu@example.com"), _client_as(emu, "token-of-ba")
        sh = owner.create("công khai")
        with pytest.raises(PermissionError):
            ba.open_by_key(sh.id)
        sh.share(None, perm_type="anyone", role="reader")
        assert ba.open_by_key(sh.id).title == "công khai"


def test_default_identity_sees_what_it_created(gc, emulator):
    """No token, or one that is not an address, is the default account (sheetsync's backend)."""
    sh = gc.create("mặc định")
    assert emulator_client(emulator.url).open_by_key(sh.id).id == sh.id
    r = requests.get(f"{emulator.url}/v4/spreadsheets/{sh.id}", timeout=10)
    assert r.status_code == 200
