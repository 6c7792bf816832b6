"""Fixtures for the Google backend tests: a fresh emulator per test, the backend pointed at it
through SHEETSYNC_GOOGLE_API_URL, no client-side quota and millisecond backoff (fast tests)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from sheets_emulator import EmulatorServer
from sheets_emulator import faults as emulator_faults
from sheets_emulator.client import emulator_client
from sheetsync.backends.google import backend as gsheets

FAST = {
    "SHEETSYNC_GOOGLE_READS_PER_MINUTE": "0",
    "SHEETSYNC_GOOGLE_WRITES_PER_MINUTE": "0",
    "SHEETSYNC_GOOGLE_BACKOFF_BASE": "0.01",
    "SHEETSYNC_GOOGLE_BACKOFF_CAP": "0.1",
    "SHEETSYNC_GOOGLE_MAX_ATTEMPTS": "12",
    "SHEETSYNC_GOOGLE_MAX_RETRY_SECONDS": "20",
}


@pytest.fixture
def emulator(monkeypatch, tmp_path):
    emu = EmulatorServer(port=0).start()
    monkeypatch.setenv("SHEETSYNC_GOOGLE_API_URL", emu.url)
    monkeypatch.setenv("SHEETSYNC_CONFIG", str(tmp_path / "no-config.yaml"))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("SHEETSYNC_GOOGLE_CREDENTIALS", raising=False)
    for key, value in FAST.items():
        monkeypatch.setenv(key, value)
    gsheets._SESSIONS.clear()
    yield emu
    emu.stop()
    gsheets._SESSIONS.clear()


@pytest.fixture
def gc(emulator):
    """A plain gspread client: the people typing into the sheet."""
    return emulator_client(emulator.url)


@pytest.fixture
def fast_quota_clock(monkeypatch):
    """The emulator's rolling quota minute passes in 0.2 s, so a 429 storm clears quickly."""
    start = time.monotonic()
    speed = 300.0
    clock = SimpleNamespace(monotonic=lambda: start + (time.monotonic() - start) * speed)
    monkeypatch.setattr(emulator_faults, "time", clock)
    return speed
