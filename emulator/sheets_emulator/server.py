"""The HTTP server: one port on 127.0.0.1 serving Sheets v4, Drive v3 and control endpoints.

Clients talk real HTTP to it (gspread through :func:`~sheets_emulator.client.emulator_client`),
so everything down to status codes, JSON bodies and dropped connections
behaves like the network would.  Control endpoints under ``/_emulator/`` let
another process read request counts, reset state and switch faults:

* ``GET  /_emulator/stats``   request counts, fault settings, number of files
* ``POST /_emulator/reset``   zero the counts; ``{"state": true}`` also wipes all files
* ``GET|POST /_emulator/faults``  read / replace the :class:`FaultConfig` (JSON body)
* ``GET  /_emulator/spreadsheets``  ids, titles and URLs (handy in the sandbox)
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import api
from .api import Response
from .faults import FaultConfig, FaultInjector
from .model import DEFAULT_ACCOUNT_EMAIL, Store

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
COUNT_KINDS = ("read", "write", "drive", "total")


MAX_BODY_BYTES = 32 * 1024 * 1024  # far above any sane Sheets request; bounds memory per request
IDLE_TIMEOUT = 60.0  # seconds a connection may sit silent, mid-request or between requests
MAX_CHUNK_LINE = 1024
MAX_TRAILER_LINES = 32
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,15}")


class _BadBody(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: EmulatorServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Google's front ends do
    disable_nagle_algorithm = True  # headers and body are separate writes; avoid 40 ms delayed-ACK stalls
    server: _HTTPServer

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def setup(self) -> None:
        # A socket timeout bounds how long a silent or half-sent request may hold a thread.
        self.timeout = self.server.emulator.idle_timeout
        super().setup()

    def _read_body(self) -> bytes:
        """The request body, refusing what Google's front end refuses: a malformed length or
        chunk (400), more than ``max_body_bytes`` (413, without reading it), a body cut short (400)."""
        limit = self.server.emulator.max_body_bytes
        encoding = self.headers.get("Transfer-Encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise _BadBody(400, f"Unsupported Transfer-Encoding: {encoding[:40]}")
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(MAX_CHUNK_LINE + 1)
                size_text = line.split(b";", 1)[0].strip()
                if not line.endswith(b"\n") or not _CHUNK_SIZE.fullmatch(size_text):
                    raise _BadBody(400, "Malformed chunk size")
                size = int(size_text, 16)
                if size == 0:
                    for _ in range(MAX_TRAILER_LINES):  # trailers, up to the empty line
                        if self.rfile.readline(MAX_CHUNK_LINE + 1).strip() == b"":
                            return b"".join(chunks)
                    raise _BadBody(400, "Too many trailer lines")
                total += size
                if total > limit:
                    raise _BadBody(413, f"Request payload size exceeds the limit: {limit} bytes.")
                data = self.rfile.read(size)
                if len(data) < size or self.rfile.readline(MAX_CHUNK_LINE + 1).strip() != b"":
                    raise _BadBody(400, "Truncated chunk")
                chunks.append(data)
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        text = raw.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise _BadBody(400, f"Invalid Content-Length: {raw[:40]}")
        length = int(text)
        if length > limit:
            raise _BadBody(413, f"Request payload size exceeds the limit: {limit} bytes.")
        data = self.rfile.read(length) if length else b""
        if len(data) < length:
            raise _BadBody(400, "Request body shorter than its Content-Length")
        return data

    def _refuse(self, status: int, message: str) -> None:
        """Answer a request whose body could not be read, then close: the stream is out of step."""
        reason = {400: "INVALID_ARGUMENT", 408: "DEADLINE_EXCEEDED", 413: "INVALID_ARGUMENT"}.get(status, "UNKNOWN")
        self.close_connection = True
        self._send(Response(status, {"error": {"code": status, "message": message, "status": reason}}), "POST")

    def _caller(self) -> str | None:
        """The identity behind ``Authorization: Bearer <token>``: a token that is an e-mail address
        is that account, a token in the server's ``identities`` maps to one, anything else (or no
        header) is the default account."""
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        mapped = self.server.emulator.identities.get(token)
        if mapped:
            return mapped
        return token if "@" in token else None

    def _handle(self, method: str) -> None:
        try:
            body = self._read_body()
        except _BadBody as exc:
            self._refuse(exc.status, exc.message)
            return
        except TimeoutError:
            self._refuse(408, "The request body did not arrive in time.")
            return
        response = self.server.emulator.handle(method, self.path, body, caller=self._caller())
        if response is None:  # injected connection drop
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(response, method)

    def _send(self, response: Response, method: str) -> None:
        try:
            payload = _encode(response)
        except (RecursionError, TypeError, ValueError):  # never a dropped connection
            log.exception("emulator could not encode its answer")
            response = Response(500, {"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}})
            payload = _encode(response)
        self.send_response(response.status)
        if response.status != 204:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload and method != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)


def _encode(response: Response) -> bytes:
    if response.body is None or response.status == 204:
        return b""
    if isinstance(response.body, bytes):
        return response.body
    return (json.dumps(_clean_numbers(response.body), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _clean_numbers(value: Any) -> Any:
    """Google prints integral doubles without a fraction: ``1`` rather than ``1.0``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _clean_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_numbers(v) for v in value]
    return value


class EmulatorServer:
    """A Sheets v4 + Drive v3 emulator on ``127.0.0.1:port`` (``port=0`` picks a free one).

    Usable as a context manager::

        with EmulatorServer() as emu:
            gc = emulator_client(emu.url)
    """

    def __init__(
        self,
        port: int = 0,
        data_dir: str | Path | None = None,
        faults: FaultConfig | None = None,
        *,
        account_email: str = DEFAULT_ACCOUNT_EMAIL,
        identities: dict[str, str] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        """``account_email`` is the default caller; ``identities`` maps bearer tokens to other
        callers (a token that is itself an e-mail address needs no entry)."""
        self.port = port
        self.identities = dict(identities or {})
        self.max_body_bytes = max_body_bytes
        self.idle_timeout = idle_timeout
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.store = Store(account_email)
        self.faults = FaultInjector(faults)
        self.request_count: dict[str, int] = {kind: 0 for kind in COUNT_KINDS}
        self._count_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        if self.state_path is not None and self.state_path.exists():
            self.store.load(self.state_path.parent)

    # -- lifecycle ------------------------------------------------------------
    @property
    def state_path(self) -> Path | None:
        return self.data_dir / STATE_FILE if self.data_dir is not None else None

    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer(("127.0.0.1", self.port), _Handler)
        httpd.emulator = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.01},  # how long stop() may wait for the loop to notice
            name=f"sheets-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.save()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def save(self) -> None:
        """Persist what changed (no-op without ``data_dir``)."""
        if self.data_dir is not None:
            with self.store.lock:
                self.store.save(self.data_dir)

    # -- counters and faults --------------------------------------------------
    def reset_counts(self) -> None:
        with self._count_lock:
            for kind in COUNT_KINDS:
                self.request_count[kind] = 0

    def set_faults(self, faults: FaultConfig) -> None:
        self.faults.configure(faults)

    def _count(self, kind: str) -> None:
        with self._count_lock:
            self.request_count[kind] += 1
            self.request_count["total"] += 1

    # -- request handling -----------------------------------------------------
    def handle(self, method: str, raw_path: str, body: bytes, caller: str | None = None) -> Response | None:
        """Process one HTTP request; None means "drop the connection"."""
        path, _, query = raw_path.partition("?")
        if path.startswith("/_emulator/"):
            return self._control(method, path, query, body)
        route = api.classify(method, path)
        if route.api == "none":
            return Response(404, {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}})
        self._count(route.kind)
        delay = self.faults.latency()
        if delay:
            time.sleep(delay)
        fault = self.faults.decide(route.kind, route.api)
        if fault is not None:
            return None if fault.drop else Response(fault.status, fault.body)
        try:
            response = api.dispatch(self.store, method, path, query, body, caller)
        except Exception:  # an emulator bug: answer like Google's 500 but make it loud in the log
            log.exception("emulator failed on %s %s", method, raw_path)
            return Response(500, {"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}})
        if route.mutates and response.status < 400:
            self.save()
        return response

    def _control(self, method: str, path: str, query: str, body: bytes) -> Response:
        name = path[len("/_emulator/"):].strip("/")
        try:
            payload = api.parse_json(body) if body.strip() else {}
        except api.JsonBodyError:
            return Response(400, {"error": "body must be JSON"})
        if not isinstance(payload, dict):
            return Response(400, {"error": "body must be a JSON object"})
        params = api.parse_query(query)
        if name == "health":
            return Response(200, {"ok": True})
        if name == "stats" and method == "GET":
            with self._count_lock:
                counts = dict(self.request_count)
            with self.store.lock:
                files, sheets = len(self.store.files), len(self.store.spreadsheets)
            return Response(200, {"requestCount": counts, "faults": self.faults.config.to_json(),
                                  "files": files, "spreadsheets": sheets})
        if name == "reset" and method == "POST":
            self.reset_counts()
            wipe = payload.get("state") is True or str(params.get("state", "")).lower() in ("1", "true")
            if wipe:
                with self.store.lock:
                    self.store.clear()
                self.save()
            return Response(200, {"reset": True, "state": wipe})
        if name == "faults":
            if method == "POST":
                try:
                    self.set_faults(FaultConfig.from_json(payload))
                except (TypeError, ValueError) as exc:
                    return Response(400, {"error": str(exc)})
            return Response(200, self.faults.config.to_json())
        if name == "spreadsheets" and method == "GET":
            with self.store.lock:
                listing = [{"spreadsheetId": s.id, "title": s.title, "spreadsheetUrl": s.url}
                           for s in self.store.spreadsheets.values()]
            return Response(200, {"spreadsheets": listing})
        return Response(404, {"error": f"unknown control endpoint {method} {path}"})


def serve(
    port: int = 8765,
    data_dir: str | Path | None = None,
    faults: FaultConfig | None = None,
    *,
    account_email: str = DEFAULT_ACCOUNT_EMAIL,
) -> None:
    """Run the emulator in the foreground until Ctrl-C."""
    server = EmulatorServer(port, data_dir, faults, account_email=account_email).start()
    print(f"Google Sheets emulator listening on {server.url}", flush=True)
    print(f"  clients: export SHEETS_EMULATOR_URL={server.url}", flush=True)
    if data_dir is not None:
        print(f"  state:   {server.state_path}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print("emulator stopped", flush=True)
