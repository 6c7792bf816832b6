"""Fixtures of the web service tests: a small real ward on disk (three .xlsx units made by
`init` and filled like people fill them), accounts, and a real `sheetsync serve` process on
127.0.0.1 driven over HTTP."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # unitbook lives in tests/

from unitbook import UnitBook  # noqa: E402

from sheetsync.config.ward import write_ward  # noqa: E402

PASSWORD = "mat-khau-thu-1"
AS_OF = "2026-11-27"
UNITS = {"Phòng Alpha": "alpha.xlsx", "Phòng Beta": "beta.xlsx", "Phòng Gamma": "gamma.xlsx"}
SCRIPT_NAME = "<script>alert('x')</script> Nguyễn"


def fill_unit(path: Path, unit: str, prefix: str, *, broken: bool = False, odd_name: bool = False,
              no_self: tuple[str, ...] = ()) -> Path:
    """A unit with a leader and two staff, tasks and self-assessments for 11/2026; `broken`
    puts a word where a quantity belongs (an error finding); people in `no_self` have not
    self-assessed yet."""
    b = UnitBook(path, unit)
    b.product("SP1", 1.0)
    b.person(f"{prefix}01", "Trần Văn Trưởng")
    b.person(f"{prefix}02", SCRIPT_NAME if odd_name else "Lê Thị Hoa", manager=f"{prefix}01")
    b.person(f"{prefix}03", "Phạm Minh Đức", manager=f"{prefix}01")
    for i, sid in enumerate((f"{prefix}01", f"{prefix}02", f"{prefix}03"), start=1):
        b.task(f"{prefix}-NV{i}", sid, qty="hai" if (broken and i == 2) else 2, done=2, review="Đạt")
        if sid in no_self:
            b.evaluation(sid, self_general=None, self_rating=None, self_date=None)
        else:
            b.evaluation(sid)
    return b.save()


def make_ward(root: Path, service: dict | None = None, no_self: tuple[str, ...] = ()) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for (name, file), prefix in zip(UNITS.items(), ("AL", "BE", "GA")):
        fill_unit(root / file, name, prefix, odd_name=prefix == "BE", no_self=no_self)
    return write_ward(root / "ward.yaml", "Phường Thử Nghiệm", [{"name": n, "source": f} for n, f in UNITS.items()],
                      profile="nd335", service={"schedule": {"every_minutes": 10, "hours": "00:00-23:59", "days": "1-7"},
                                                **(service or {})})


def add_accounts(ward_file: Path) -> None:
    from sheetsync.web.jobs import open_ward
    from sheetsync.web.views import add_user

    ward = open_ward(ward_file)
    try:
        add_user(ward, "admin", PASSWORD, "admin", [])
        add_user(ward, "alpha", PASSWORD, "unit", ["Phòng Alpha"])
        add_user(ward, "xem", PASSWORD, "viewer", [])
    finally:
        ward.close()


def initial_sync(ward_file: Path) -> None:
    from sheetsync.web.jobs import open_ward
    from sheetsync.web.scheduler import tick

    ward = open_ward(ward_file)
    try:
        tick(ward, dt.date.fromisoformat(AS_OF))
    finally:
        ward.close()


PG_URL = os.environ.get("SHEETSYNC_TEST_PG_URL")


@pytest.fixture
def pg_database():
    """A fresh database on the test PostgreSQL server (`SHEETSYNC_TEST_PG_URL`, started by
    scripts/test) for one ward's store and job queue, dropped after; skips without a server."""
    if not PG_URL:
        pytest.skip("needs SHEETSYNC_TEST_PG_URL (bash scripts/test starts a server)")
    import uuid

    from sqlalchemy import create_engine, text

    name = "sheetsync_w_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_URL.rpartition('/')[0]}/{name}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A store for the test on each database the service runs on: a SQLite file, then a fresh
    PostgreSQL database (skipped without a server)."""
    if request.param == "sqlite":
        return str(tmp_path / "sheetsync.db")
    return request.getfixturevalue("pg_database")


@pytest.fixture(scope="session")
def ward_template(tmp_path_factory) -> Path:
    """A ward synced once, with accounts: copied for each test module that changes it."""
    root = tmp_path_factory.mktemp("ward-template")
    ward_file = make_ward(root)
    add_accounts(ward_file)
    initial_sync(ward_file)
    return root


@pytest.fixture
def ward_copy(ward_template, tmp_path) -> Path:
    dest = tmp_path / "ward"
    shutil.copytree(ward_template, dest)
    return dest / "ward.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`sheetsync serve` as a real process on 127.0.0.1."""

    def __init__(self, ward_file: Path, *extra: str, log: Path | None = None):
        self.ward_file = ward_file
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or ward_file.parent / f"serve-{self.port}.log"
        cmd = [sys.executable, "-m", "sheetsync.cli", "serve", str(ward_file), "--port", str(self.port),
               "--as-of", AS_OF, *extra]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("serve exited: " + self.log.read_text())
            try:
                httpx.get(self.url + "/dang-nhap", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("serve did not start: " + self.log.read_text())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory, ward_template):
    """One served ward (no schedule: the tests drive syncs) shared by a module's tests."""
    root = tmp_path_factory.mktemp("served") / "ward"
    shutil.copytree(ward_template, root)
    srv = Server(root / "ward.yaml", "--no-schedule")
    yield srv
    srv.stop()


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


class Browserless:
    """An HTTP session as a person's browser would hold it: cookies kept, forms with their token."""

    def __init__(self, base: str):
        self.client = httpx.Client(base_url=base, follow_redirects=False, timeout=60)

    def get(self, path: str, **kw) -> httpx.Response:
        return self.client.get(path, **kw)

    def token(self, path: str = "/dang-nhap") -> str:
        r = self.client.get(path, follow_redirects=True)
        return csrf_of(r.text)

    def post(self, path: str, data: dict | None = None, files=None, token_from: str = "/dang-nhap",
             with_token: bool = True) -> httpx.Response:
        data = dict(data or {})
        if with_token:
            data["csrf"] = self.token(token_from)
        return self.client.post(path, data=data, files=files)

    def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        return self.post("/dang-nhap", {"username": username, "password": password, "next": "/"})

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def http(server):
    sessions = []

    def open_session(username: str | None = None) -> Browserless:
        s = Browserless(server.url)
        sessions.append(s)
        if username:
            r = s.login(username)
            assert r.status_code == 303, r.text[:500]
        return s
    yield open_session
    for s in sessions:
        s.close()


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium (the system one) driven by Playwright; skipped where either is missing."""
    from sheetsync.forms.pdf import HEADLESS_FLAGS, find_browser

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright-python chưa được cài (pip install playwright)")
    path = find_browser()
    if path is None:
        pytest.skip("Không có trình duyệt Chromium trên máy (apt install chromium)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(path), headless=True,
                                     args=[f for f in HEADLESS_FLAGS if f != "--headless"])
        yield browser
        browser.close()
