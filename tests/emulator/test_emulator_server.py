"""Server behaviour around the API: faults, request counting, persistence, control endpoints, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests
from gspread.exceptions import APIError

from sheets_emulator import EmulatorServer, FaultConfig
from sheets_emulator.client import ENV_VAR, emulator_client, emulator_session

# --------------------------------------------------------------------------- faults


def test_quota_exceeded_answers_googles_429(emulator, sh):
    ws = sh.sheet1  # (gspread fetches metadata for this: do it before the quota applies)
    emulator.set_faults(FaultConfig(quota_per_minute=3))
    ws.update([["1"]], "A1")  # write
    ws.acell("A1")  # read
    sh.fetch_sheet_metadata()  # read
    with pytest.raises(APIError) as err:
        ws.update([["2"]], "A1")
    assert err.value.code == 429
    error = err.value.error
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["message"].startswith(
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' "
        "of service 'sheets.googleapis.com' for consumer 'project_number:"
    )
    info = error["details"][0]
    assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert info["reason"] == "RATE_LIMIT_EXCEEDED"
    assert info["metadata"]["quota_limit"] == "WriteRequestsPerMinutePerUser"
    assert info["metadata"]["quota_limit_value"] == "3"
    with pytest.raises(APIError) as err:
        ws.acell("A1")
    assert err.value.error["details"][0]["metadata"]["quota_metric"] == "sheets.googleapis.com/read_requests"
    emulator.set_faults(FaultConfig())  # a new configuration starts a new window
    assert ws.acell("A1").value == "1"


def test_quota_window_rolls_over(emulator, api, monkeypatch):
    import sheets_emulator.faults as faults

    clock = [1000.0]
    monkeypatch.setattr(faults.time, "monotonic", lambda: clock[0])
    sid = api.new_spreadsheet()
    emulator.set_faults(FaultConfig(quota_per_minute=2))
    assert api("GET", f"/v4/spreadsheets/{sid}").status_code == 200
    clock[0] += 30
    assert api("GET", f"/v4/spreadsheets/{sid}").status_code == 200
    assert api("GET", f"/v4/spreadsheets/{sid}").status_code == 429
    clock[0] += 31  # the first request is now older than a minute
    assert api("GET", f"/v4/spreadsheets/{sid}").status_code == 200
    assert api("GET", f"/v4/spreadsheets/{sid}").status_code == 429


def test_error_rate_gives_googles_5xx_bodies(emulator, gc, sh):
    emulator.set_faults(FaultConfig(error_rate=1.0, seed=1))
    seen = set()
    for _ in range(12):
        with pytest.raises(APIError) as err:
            sh.sheet1.acell("A1")
        seen.add(err.value.code)
        expected = {
            500: {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"},
            503: {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"},
        }[err.value.code]
        assert err.value.error == expected
    assert seen == {500, 503}


def test_error_rate_is_reproducible_with_a_seed(emulator, api):
    sid = api.new_spreadsheet()

    def pattern() -> list[int]:
        emulator.set_faults(FaultConfig(error_rate=0.5, seed=42))
        return [api("GET", f"/v4/spreadsheets/{sid}").status_code for _ in range(20)]

    first = pattern()
    assert first == pattern()
    assert 200 in first and any(code >= 500 for code in first)


def test_drop_rate_closes_the_connection(emulator, sh):
    emulator.set_faults(FaultConfig(drop_rate=1.0))
    with pytest.raises(requests.exceptions.ConnectionError):
        sh.sheet1.acell("A1")
    emulator.set_faults(FaultConfig())
    assert sh.sheet1.acell("A1").value is None


def test_latency_is_added(emulator, api):
    sid = api.new_spreadsheet()
    emulator.set_faults(FaultConfig(latency_ms=150))
    start = time.perf_counter()
    assert api("GET", f"/v4/spreadsheets/{sid}").status_code == 200
    assert time.perf_counter() - start >= 0.15


def test_fault_config_is_validated():
    with pytest.raises(ValueError):
        FaultConfig(error_rate=1.5).validate()
    with pytest.raises(ValueError):
        FaultConfig.from_json({"eror_rate": 0.1})


# --------------------------------------------------------------------------- counting


def test_request_counts_by_kind(emulator, gc):
    sh = gc.create("đếm")  # drive create + spreadsheets.get
    assert emulator.request_count == {"read": 1, "write": 0, "drive": 1, "total": 2}
    ws = sh.sheet1
    emulator.reset_counts()
    ws.update([["a"]], "A1")
    ws.get("A1")
    sh.values_batch_get(["A1", "B1"])
    ws.batch_clear(["A1"])
    sh.batch_update({"requests": [{"addSheet": {}}]})
    ws.append_row(["x"])
    gc.list_spreadsheet_files()
    assert emulator.request_count == {"read": 2, "write": 4, "drive": 1, "total": 7}
    emulator.reset_counts()
    assert emulator.request_count == {"read": 0, "write": 0, "drive": 0, "total": 0}


def test_faulted_requests_are_counted_too(emulator, api):
    sid = api.new_spreadsheet()
    emulator.reset_counts()
    emulator.set_faults(FaultConfig(error_rate=1.0))
    api("GET", f"/v4/spreadsheets/{sid}")
    assert emulator.request_count["read"] == 1


# --------------------------------------------------------------------------- control endpoints


def test_control_endpoints(emulator, api):
    sid = api.new_spreadsheet("điều khiển")
    stats = api("GET", "/_emulator/stats").json()
    assert stats["requestCount"] == {"read": 0, "write": 0, "drive": 1, "total": 1}
    assert stats["spreadsheets"] == 1
    assert api("GET", "/_emulator/spreadsheets").json()["spreadsheets"][0]["spreadsheetId"] == sid

    r = api("POST", "/_emulator/faults", json={"quota_per_minute": 1, "seed": 3})
    assert r.status_code == 200 and r.json()["quota_per_minute"] == 1
    assert emulator.faults.config.quota_per_minute == 1
    assert api("POST", "/_emulator/faults", json={"nonsense": 1}).status_code == 400
    api("POST", "/_emulator/faults", json={})
    assert emulator.faults.config == FaultConfig()

    assert api("POST", "/_emulator/reset").json() == {"reset": True, "state": False}
    assert emulator.request_count["total"] == 0
    assert api("GET", f"/v4/spreadsheets/{sid}").status_code == 200
    assert api("POST", "/_emulator/reset", json={"state": True}).json()["state"] is True
    assert api("GET", f"/v4/spreadsheets/{sid}").status_code == 404
    assert api("GET", "/_emulator/nope").status_code == 404


# --------------------------------------------------------------------------- persistence


def test_state_survives_a_restart(tmp_path):
    with EmulatorServer(data_dir=tmp_path) as first:
        gc = emulator_client(first.url)
        sh = gc.create("Lưu trữ")
        ws = sh.add_worksheet("Điểm tháng", rows=10, cols=4)
        ws.update([["An", 95], ["Bình", "=B1-5"]], "A1", value_input_option="USER_ENTERED")
        ws.insert_note("A1", "ghi chú")
        ws.add_protected_range("A1:A2")
        sheet_id = ws.id
    assert (tmp_path / "state.json").exists()
    assert (tmp_path / "spreadsheets" / f"{sh.id}.json").exists()
    assert not list(tmp_path.rglob(".tmp-*"))  # the atomic writes left no temporary file
    with EmulatorServer(data_dir=tmp_path) as second:
        gc = emulator_client(second.url)
        sh2 = gc.open_by_key(sh.id)
        ws2 = sh2.worksheet("Điểm tháng")
        assert ws2.id == sheet_id
        assert ws2.get_all_values() == [["An", "95"], ["Bình", "90"]]
        assert ws2.get_note("A1") == "ghi chú"
        assert len(sh2.fetch_sheet_metadata()["sheets"][1]["protectedRanges"]) == 1
        assert [f["name"] for f in gc.list_spreadsheet_files()] == ["Lưu trữ"]


def test_state_is_written_after_each_change(tmp_path):
    with EmulatorServer(data_dir=tmp_path) as emu:
        gc = emulator_client(emu.url)
        sh = gc.create("ngay lập tức")
        sh.sheet1.update([["x"]], "A1")
        saved = json.loads((tmp_path / "spreadsheets" / f"{sh.id}.json").read_text(encoding="utf-8"))
        assert saved["sheets"][0]["cells"] == [[0, 0, {"userEnteredValue": {"stringValue": "x"}}]]
        index = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
        assert [f["name"] for f in index["files"]] == ["ngay lập tức"]
        gc.del_spreadsheet(sh.id)
        assert not (tmp_path / "spreadsheets" / f"{sh.id}.json").exists()


# --------------------------------------------------------------------------- client helper


def test_client_reads_url_from_environment(emulator, monkeypatch):
    monkeypatch.setenv(ENV_VAR, emulator.url)
    gc = emulator_client()
    assert gc.create("từ biến môi trường").title == "từ biến môi trường"
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.delenv("SHEETSYNC_GOOGLE_API_URL", raising=False)
    with pytest.raises(ValueError):
        emulator_session()


def test_session_rewrites_only_google_hosts():
    session = emulator_session("http://127.0.0.1:9999/prefix")
    assert session.rewrite("https://sheets.googleapis.com/v4/spreadsheets/x?a=1") == "http://127.0.0.1:9999/prefix/v4/spreadsheets/x?a=1"
    assert session.rewrite("https://www.googleapis.com/drive/v3/files") == "http://127.0.0.1:9999/prefix/drive/v3/files"
    assert session.rewrite("https://example.org/x") == "https://example.org/x"


def test_any_or_no_authorization_header_is_accepted(emulator, api):
    for headers in ({}, {"Authorization": "Bearer whatever"}, {"Authorization": "garbage"}):
        r = api("POST", "/drive/v3/files", json={"name": "x", "mimeType": "application/vnd.google-apps.spreadsheet"}, headers=headers)
        assert r.status_code == 200


def test_listens_on_loopback_only(emulator):
    assert emulator.url.startswith("http://127.0.0.1:")
    assert emulator._httpd.server_address[0] == "127.0.0.1"  # type: ignore[union-attr]


def test_command_line_entry_point(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "sheets_emulator", "--port", "0", "--data", str(tmp_path), "--latency-ms", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert "listening on http://127.0.0.1:" in line
        url = line.strip().split()[-1]
        stats = requests.get(url + "/_emulator/stats", timeout=5).json()
        assert stats["faults"]["latency_ms"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_command_line_rejects_bad_fault_values():
    result = subprocess.run(
        [sys.executable, "-m", "sheets_emulator", "--error-rate", "2"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "error_rate" in result.stderr


def test_concurrent_clients_are_serialised_safely(emulator, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    sh = emulator_client(emulator.url).create("song song")
    sid = sh.id

    def worker(n: int) -> None:
        client = emulator_client(emulator.url)
        ws = client.open_by_key(sid).sheet1
        for i in range(10):
            ws.update([[f"{n}-{i}"]], f"A{n + 1}")
            sh_local = client.open_by_key(sid)
            sh_local.batch_update({"requests": [{"repeatCell": {
                "range": {"sheetId": 0, "startRowIndex": n, "endRowIndex": n + 1, "startColumnIndex": 1, "endColumnIndex": 2},
                "cell": {"note": f"n{i}"}, "fields": "note"}}]})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(worker, range(8)))
    ws = sh.sheet1
    assert ws.col_values(1) == [f"{n}-9" for n in range(8)]
    assert [row[1] if len(row) > 1 else "" for row in ws.get_notes()] == ["n9"] * 8
