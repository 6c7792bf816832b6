"""Fixtures: a fresh emulator on a free port and a real gspread client bound to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sheets_emulator import EmulatorServer
from sheets_emulator.client import emulator_client


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0) as server:
        yield server


@pytest.fixture
def gc(emulator: EmulatorServer):  # type: ignore[no-untyped-def]
    return emulator_client(emulator.url)


@pytest.fixture
def sh(gc):  # type: ignore[no-untyped-def]
    return gc.create("Đánh giá tháng 11")


@pytest.fixture
def api(emulator: EmulatorServer):  # type: ignore[no-untyped-def]
    """Plain ``requests`` against the emulator, for checks below gspread's abstractions."""
    import requests

    class Api:
        base = emulator.url

        def __init__(self) -> None:
            self.http = requests.Session()

        def __call__(self, method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
            return self.http.request(method, self.base + path, timeout=10, **kwargs)

        def new_spreadsheet(self, title: str = "t") -> str:
            r = self("POST", "/drive/v3/files", json={"name": title, "mimeType": "application/vnd.google-apps.spreadsheet"})
            assert r.status_code == 200, r.text
            return str(r.json()["id"])

    return Api()
