"""A key the token endpoint rejects: `init` on Google answers in Vietnamese with exit 2 (before:
a google.auth RefreshError traceback). The endpoint is a real local HTTP server answering as
Google's does for a revoked or forged key."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from click.testing import CliRunner

from sheetsync.cli import main

pytest.importorskip("google.auth")


class _RejectingTokenEndpoint(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 — http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def token_endpoint():
    server = HTTPServer(("127.0.0.1", 0), _RejectingTokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token"
    server.shutdown()


def test_init_on_google_with_a_rejected_key_answers_in_vietnamese(tmp_path, monkeypatch, token_endpoint):
    from tests_google_key import service_account_file

    from sheetsync.backends.google import backend as gsheets

    key = service_account_file(tmp_path, token_uri=token_endpoint)
    for name in ("SHEETSYNC_GOOGLE_API_URL", "SHEETSYNC_GOOGLE_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", key)
    monkeypatch.setenv("SHEETSYNC_CONFIG", str(tmp_path / "none.yaml"))
    monkeypatch.setenv("SHEETSYNC_GOOGLE_MAX_ATTEMPTS", "1")
    gsheets._SESSIONS.clear()
    try:
        res = CliRunner().invoke(main, ["init", "gsheet:1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "--unit", "Phòng A"])
    finally:
        gsheets._SESSIONS.clear()
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "Traceback" not in res.output and "RefreshError" not in res.output
    assert "không xác thực được với Google" in res.output and "Kiểm tra tệp khóa" in res.output
    assert "BEGIN PRIVATE KEY" not in res.output
