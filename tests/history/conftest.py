"""Fixtures of the history tests: a store on a real SQLite file, and on a real PostgreSQL server
when SHEETSYNC_TEST_PG_URL is set (scripts/start_postgres.sh starts one), each in a fresh database."""

from __future__ import annotations

import os
import uuid

import pytest

from sheetsync.history.store import open_store

PG_URL = os.environ.get("SHEETSYNC_TEST_PG_URL")
PG_SKIP = "PostgreSQL tests need SHEETSYNC_TEST_PG_URL (start a server with: eval \"$(bash scripts/start_postgres.sh)\")"


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return str(tmp_path / "sheetsync.db")


@pytest.fixture
def pg_url():
    """A throwaway database on the test server, dropped afterwards."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    from sqlalchemy import create_engine, text

    name = "sheetsync_t_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = PG_URL.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request, tmp_path) -> str:
    """Each test using it runs on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "sheetsync.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(sqlite_url):
    """A store on a SQLite file (the default deployment)."""
    s = open_store(sqlite_url)
    yield s
    s.close()


@pytest.fixture
def any_store(any_url):
    """A store on SQLite, then on PostgreSQL (skipped without a server)."""
    s = open_store(any_url)
    yield s
    s.close()
