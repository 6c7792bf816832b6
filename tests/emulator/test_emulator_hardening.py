"""Malformed or hostile input (issue 8, item 13): every bad request gets an HTTP answer like
Google's (400/408/413) instead of a dropped connection and a traceback, bodies and idle time are
bounded, and a damaged or foreign state file is reported, never followed outside its folder.
Requests are written byte by byte on raw sockets: no client library would send them."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sheets_emulator import EmulatorServer
from sheets_emulator.model import StateFileError


def _exchange(emu: EmulatorServer, raw: bytes, *, timeout: float = 10) -> bytes:
    """Send raw bytes, half-close, and read everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", emu.port), timeout=timeout) as sock:
        sock.sendall(raw)
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer.split(b" ", 2)[1])


def _json(answer: bytes) -> dict:
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])


def _post(path: str, body: bytes, *extra: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: x", "Content-Type: application/json", *extra]
    if not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in extra):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@pytest.fixture
def emu(capfd):  # type: ignore[no-untyped-def]
    with EmulatorServer() as server:
        yield server
    assert "Traceback" not in capfd.readouterr().err  # nothing crashed in a handler thread


@pytest.fixture
def sid(api):  # type: ignore[no-untyped-def]
    return api.new_spreadsheet()


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "99999999999999999999999999"])
def test_bad_content_length_is_a_400(emu, length):
    answer = _exchange(emu, _post("/drive/v3/files", b"{}", f"Content-Length: {length}"))
    assert _status(answer) == 400


@pytest.mark.parametrize("chunk", [b"zz\r\n{}\r\n0\r\n\r\n", b"-2\r\n{}\r\n0\r\n\r\n", b""])
def test_bad_chunk_size_is_a_400(emu, chunk):
    answer = _exchange(emu, _post("/drive/v3/files", chunk, "Transfer-Encoding: chunked"))
    assert _status(answer) == 400


def test_good_chunked_body_still_works(emu):
    body = json.dumps({"name": "từng khúc", "mimeType": "application/vnd.google-apps.spreadsheet"}).encode()
    chunked = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:7], body[7:])) + b"0\r\n\r\n"
    answer = _exchange(emu, _post("/drive/v3/files", chunked, "Transfer-Encoding: chunked", "Connection: close"))
    assert _status(answer) == 200 and _json(answer)["name"] == "từng khúc"


@pytest.mark.parametrize("path", ["/v4/spreadsheets", "/drive/v3/files", "/_emulator/faults"])
def test_deeply_nested_json_is_a_400(emu, path):
    body = b"[" * 100_000 + b"]" * 100_000
    answer = _exchange(emu, _post(path, body, "Connection: close"))
    assert _status(answer) == 400


def test_deeply_nested_json_inside_a_valid_request_is_a_400(emu):
    sid = emu.store.create_spreadsheet("lồng nhau").id
    body = b'{"requests": [{"updateCells": {"rows": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}]}"
    answer = _exchange(emu, _post(f"/v4/spreadsheets/{sid}:batchUpdate", body, "Connection: close"))
    assert _status(answer) == 400


@pytest.mark.parametrize("path", ["/v4/spreadsheets", "/drive/v3/files", "/_emulator/faults"])
def test_non_utf8_body_is_a_400(emu, path):
    answer = _exchange(emu, _post(path, b'{"name": "\xff\xfe"}', "Connection: close"))
    assert _status(answer) == 400


def test_non_utf8_values_body_is_a_400(emu):
    sid = emu.store.create_spreadsheet("không phải UTF-8").id
    raw = b'{"values": [["\xc3\x28"]]}'
    head = (f"PUT /v4/spreadsheets/{sid}/values/A1?valueInputOption=RAW HTTP/1.1\r\nHost: x\r\n"
            f"Content-Length: {len(raw)}\r\nConnection: close\r\n\r\n").encode()
    assert _status(_exchange(emu, head + raw)) == 400


def test_non_utf8_path_is_answered(emu):
    answer = _exchange(emu, b"GET /v4/spreadsheets/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert _status(answer) in (400, 404)


def test_oversized_body_is_a_413_without_reading_it():
    with EmulatorServer(max_body_bytes=1024) as emu:
        announced = _post("/drive/v3/files", b"", "Content-Length: 1000000000")
        started = time.monotonic()
        answer = _exchange(emu, announced)
        assert _status(answer) == 413
        assert time.monotonic() - started < 5  # answered at once, not after waiting for a gigabyte
        chunked = b"800\r\n" + b"x" * 0x800 + b"\r\n0\r\n\r\n"
        assert _status(_exchange(emu, _post("/drive/v3/files", chunked, "Transfer-Encoding: chunked"))) == 413
        small = json.dumps({"name": "nhỏ"}).encode()
        assert _status(_exchange(emu, _post("/drive/v3/files", small, "Connection: close"))) == 200


def test_default_body_limit_is_bounded():
    assert 0 < EmulatorServer().max_body_bytes <= 64 * 1024 * 1024


def test_idle_partial_request_is_closed():
    with EmulatorServer(idle_timeout=0.5) as emu:
        with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as sock:
            sock.sendall(b"POST /drive/v3/files HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")  # then nothing
            started = time.monotonic()
            answer = b""
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
            assert time.monotonic() - started < 5
        assert answer == b"" or _status(answer) == 408
        with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as sock:
            sock.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n")  # headers never finish
            started = time.monotonic()
            while sock.recv(65536):
                pass
            assert time.monotonic() - started < 5


def test_keep_alive_connection_without_a_request_is_closed_when_idle():
    with EmulatorServer(idle_timeout=0.5) as emu:
        with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as sock:
            started = time.monotonic()
            assert sock.recv(65536) == b""
            assert time.monotonic() - started < 5


# --------------------------------------------------------------------------- state files


def _state(tmp_path: Path, files: list, version: int = 1) -> None:
    (tmp_path / "state.json").write_text(json.dumps({"version": version, "rootFolderId": "root0", "files": files}),
                                         encoding="utf-8")


@pytest.mark.parametrize("bad_id", ["../outside", "a/b", "..", "", "x" * 300, 7, None])
def test_state_file_ids_are_validated(tmp_path, bad_id):
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "outside.json").write_text('{"id": "stolen"}', encoding="utf-8")
    _state(data, [{"id": bad_id, "name": "x", "mimeType": "application/vnd.google-apps.spreadsheet"}])
    with pytest.raises(StateFileError) as err:
        EmulatorServer(data_dir=data)
    assert "invalid file id" in str(err.value)


def test_drive_refuses_an_id_that_is_not_a_drive_id(emu):
    body = json.dumps({"id": "../../etc", "name": "x", "mimeType": "application/vnd.google-apps.spreadsheet"}).encode()
    assert _status(_exchange(emu, _post("/drive/v3/files", body, "Connection: close"))) == 400


@pytest.mark.parametrize("content", ['{"version": 1, "files": [', "", "\xff", "[1, 2]", '{"version": 1, "files": 3}'])
def test_damaged_state_file_is_reported(tmp_path, content):
    (tmp_path / "state.json").write_bytes(content.encode("latin-1"))
    with pytest.raises(StateFileError) as err:
        EmulatorServer(data_dir=tmp_path)
    assert str(tmp_path / "state.json") in str(err.value)


def test_damaged_spreadsheet_file_is_reported(tmp_path):
    with EmulatorServer(data_dir=tmp_path) as emu:
        sid = emu.store.create_spreadsheet("sẽ hỏng").id
        emu.save()
    path = tmp_path / "spreadsheets" / f"{sid}.json"
    path.write_text(path.read_text(encoding="utf-8")[:20], encoding="utf-8")
    with pytest.raises(StateFileError) as err:
        EmulatorServer(data_dir=tmp_path)
    assert str(path) in str(err.value)


def test_command_line_reports_a_damaged_state_file(tmp_path):
    (tmp_path / "state.json").write_text('{"version": 1, "fil', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "sheets_emulator", "--port", "0", "--data", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "damaged state file" in result.stderr and "Traceback" not in result.stderr
