"""Drive v3 files / permissions / comments at the HTTP level."""

from __future__ import annotations

SHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"


def create(api, name, mime=SHEET_MIME, **extra):  # type: ignore[no-untyped-def]
    r = api("POST", "/drive/v3/files?supportsAllDrives=True", json={"name": name, "mimeType": mime, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def test_create_returns_the_partial_resource_google_does(api):
    body = create(api, "Đánh giá")
    assert body == {"kind": "drive#file", "id": body["id"], "name": "Đánh giá", "mimeType": SHEET_MIME}
    meta = api("GET", f"/drive/v3/files/{body['id']}?fields=id,name,createdTime,modifiedTime").json()
    assert set(meta) == {"id", "name", "createdTime", "modifiedTime"}
    full = api("GET", f"/drive/v3/files/{body['id']}?fields=*").json()
    assert full["owners"][0]["emailAddress"] == full["permissions"][0]["emailAddress"]
    assert full["trashed"] is False


def test_missing_file_is_drives_404(api):
    r = api("GET", "/drive/v3/files/khongco")
    assert r.status_code == 404
    assert r.json() == {"error": {"code": 404, "message": "File not found: khongco.", "errors": [
        {"message": "File not found: khongco.", "domain": "global", "reason": "notFound",
         "location": "fileId", "locationType": "parameter"}]}}
    assert api("DELETE", "/drive/v3/files/khongco").status_code == 404


def test_invalid_field_selection(api):
    sid = create(api, "x")["id"]
    r = api("GET", f"/drive/v3/files/{sid}?fields=id,nme")
    assert r.status_code == 400
    assert r.json()["error"]["errors"][0]["reason"] == "invalidParameter"


def test_list_with_query_order_and_paging(api):
    folder = create(api, "Phòng", FOLDER_MIME)["id"]
    a = create(api, "Tháng 10", parents=[folder])["id"]
    b = create(api, "Tháng 11")["id"]
    create(api, "ghi chú.txt", "text/plain")
    q = 'mimeType="application/vnd.google-apps.spreadsheet"'
    listing = api("GET", "/drive/v3/files", params={"q": q, "orderBy": "name desc"}).json()
    assert listing["kind"] == "drive#fileList"
    assert [f["name"] for f in listing["files"]] == ["Tháng 11", "Tháng 10"]
    assert api("GET", "/drive/v3/files", params={"q": f"'{folder}' in parents"}).json()["files"][0]["id"] == a
    assert api("GET", "/drive/v3/files", params={"q": f'{q} and parents in "{folder}"'}).json()["files"][0]["id"] == a
    assert [f["id"] for f in api("GET", "/drive/v3/files", params={"q": "name contains 'tháng' and not name = 'Tháng 10'"}).json()["files"]] == [b]
    page1 = api("GET", "/drive/v3/files", params={"pageSize": 2, "fields": "nextPageToken,files(id)"}).json()
    assert len(page1["files"]) == 2 and set(page1) == {"nextPageToken", "files"}
    page2 = api("GET", "/drive/v3/files", params={"pageSize": 2, "pageToken": page1["nextPageToken"]}).json()
    assert len(page2["files"]) == 2 and "nextPageToken" not in page2
    assert api("GET", "/drive/v3/files", params={"q": "name = "}).status_code == 400


def test_trash_rename_and_delete(api):
    sid = create(api, "cũ")["id"]
    r = api("PATCH", f"/drive/v3/files/{sid}", json={"name": "mới", "trashed": True})
    assert r.json()["name"] == "mới"
    assert api("GET", f"/v4/spreadsheets/{sid}?fields=properties.title").json() == {"properties": {"title": "mới"}}
    assert api("GET", "/drive/v3/files", params={"q": "trashed = false"}).json()["files"] == []
    assert api("DELETE", f"/drive/v3/files/{sid}").status_code == 204
    assert api("GET", f"/v4/spreadsheets/{sid}").status_code == 404


def test_permissions(api):
    sid = create(api, "chia sẻ")["id"]
    r = api("POST", f"/drive/v3/files/{sid}/permissions?supportsAllDrives=true&sendNotificationEmail=false",
            json={"type": "user", "role": "reader", "emailAddress": "nhan.vien@example.vn"})
    assert r.status_code == 200
    perm = r.json()
    assert perm == {"kind": "drive#permission", "id": perm["id"], "type": "user", "role": "reader"}
    again = api("POST", f"/drive/v3/files/{sid}/permissions", json={"type": "user", "role": "writer", "emailAddress": "nhan.vien@example.vn"}).json()
    assert again["id"] == perm["id"] and again["role"] == "writer"
    listed = api("GET", f"/drive/v3/files/{sid}/permissions?fields=nextPageToken,permissions").json()["permissions"]
    assert [(p["role"], p.get("emailAddress")) for p in listed][1] == ("writer", "nhan.vien@example.vn")
    anyone = api("POST", f"/drive/v3/files/{sid}/permissions", json={"type": "anyone", "role": "reader"}).json()
    assert anyone["id"] == "anyoneWithLink"
    owner_id = listed[0]["id"]
    r = api("DELETE", f"/drive/v3/files/{sid}/permissions/{owner_id}")
    assert r.status_code == 403
    assert api("DELETE", f"/drive/v3/files/{sid}/permissions/{perm['id']}").status_code == 204
    r = api("POST", f"/drive/v3/files/{sid}/permissions", json={"type": "user", "role": "owner", "emailAddress": "a@b.vn"})
    assert r.status_code == 403
    r = api("POST", f"/drive/v3/files/{sid}/permissions", json={"type": "user", "role": "boss", "emailAddress": "a@b.vn"})
    assert r.status_code == 400
    r = api("POST", f"/drive/v3/files/{sid}/permissions", json={"type": "user", "role": "reader"})
    assert r.status_code == 400


def test_copy_keeps_sheet_ids_and_comments_round_trip(api):
    sid = create(api, "gốc")["id"]
    r = api("POST", f"/v4/spreadsheets/{sid}:batchUpdate", json={"requests": [{"addSheet": {"properties": {"title": "Hai"}}}]})
    sheet_id = r.json()["replies"][0]["addSheet"]["properties"]["sheetId"]
    api("POST", f"/drive/v3/files/{sid}/comments?fields=id", json={"content": "xem lại"})
    copy = api("POST", f"/drive/v3/files/{sid}/copy", json={"name": "bản sao"}).json()
    assert copy["name"] == "bản sao" and copy["id"] != sid
    sheets = api("GET", f"/v4/spreadsheets/{copy['id']}").json()["sheets"]
    assert [s["properties"]["sheetId"] for s in sheets] == [0, sheet_id]
    comments = api("GET", f"/drive/v3/files/{sid}/comments?fields=comments/content,nextPageToken").json()
    assert comments == {"comments": [{"content": "xem lại"}]}


def test_export_csv_and_unsupported_formats(api):
    sid = create(api, "xuất")["id"]
    api("PUT", f"/v4/spreadsheets/{sid}/values/A1?valueInputOption=USER_ENTERED",
        json={"values": [["Họ tên", "Điểm"], ["An, Văn", "=45*2"]]})
    r = api("GET", f"/drive/v3/files/{sid}/export?mimeType=text/csv")
    assert r.status_code == 200
    assert r.content.decode() == 'Họ tên,Điểm\r\n"An, Văn",90'
    assert api("GET", f"/drive/v3/files/{sid}/export?mimeType=application/pdf").status_code == 501
