"""Connections: a SQLite file (WAL, busy timeout, write transactions taken up front) or a
PostgreSQL URL, and a transaction helper that retries when another writer got in the way."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from sheetsync.errors import StoreError

T = TypeVar("T")

SQLITE_BUSY_MS = 30_000
RETRIES = 8
READONLY = "sheetsync_readonly"
LIGHT = "sheetsync_light"  # a transaction whose commit need not wait for the disk (see `with_retry`)


def store_url(url_or_path: str | os.PathLike) -> str:
    """A SQLAlchemy URL: URLs pass through, a plain path becomes a SQLite file URL."""
    text = os.fspath(url_or_path)
    if "://" in text:
        if text.startswith(("postgresql://", "postgres://")):
            # Plain libpq URLs get the driver this project installs (psycopg 3).
            text = "postgresql+psycopg://" + text.split("://", 1)[1]
        return text
    path = Path(text).expanduser().resolve()
    if path.exists():  # a FIFO or a device would hang SQLite; a folder is no database either
        from sheetsync.errors import require_regular_file

        require_regular_file(path, StoreError, "tệp kho lịch sử")
    return "sqlite:///" + str(path)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)
    raise StoreError(f"Không hỗ trợ cơ sở dữ liệu '{url.split(':', 1)[0]}': chỉ dùng tệp SQLite hoặc PostgreSQL.")


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        # pysqlite's own implicit BEGIN would start every transaction DEFERRED: a reader that
        # later writes can then fail at once with "database is locked". We begin ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # a committed sync survives a power cut too
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        # Writers take the write lock up front (queued by busy_timeout); readers don't block.
        options = conn.get_execution_options()
        readonly = options.get(READONLY, False)
        if not readonly:
            # SQLite refuses to change `synchronous` inside a transaction: set it before BEGIN,
            # only when this connection's last writer wanted the other level.
            level = "NORMAL" if options.get(LIGHT, False) else "FULL"
            info = conn.connection.info
            if info.get("synchronous", "FULL") != level:
                conn.exec_driver_sql(f"PRAGMA synchronous={level}")
                info["synchronous"] = level
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, IntegrityError):
        return True  # two writers created the same row at once; the retry sees the other's
    if isinstance(exc, (OperationalError, DBAPIError)):
        text = str(getattr(exc, "orig", exc)).lower()
        return any(s in text for s in ("database is locked", "deadlock detected", "could not serialize",
                                       "database is busy", "server closed the connection"))
    return False


@contextmanager
def session_scope(engine: Engine, readonly: bool = False, durable: bool = True) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error (a killed process
    never commits, so the store keeps its last good state)."""
    bind = engine
    if readonly:
        bind = engine.execution_options(**{READONLY: True})
    elif not durable:
        bind = engine.execution_options(**{LIGHT: True})
    with Session(bind, expire_on_commit=False) as session, session.begin():
        if not durable and not readonly and engine.dialect.name == "postgresql":
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        yield session


def with_retry(engine: Engine, work: Callable[[Session], T], readonly: bool = False, durable: bool = True) -> T:
    """Run `work` in one transaction, again from the start if a concurrent writer conflicted.

    `durable=False` is for bookkeeping that a power cut may lose without harm (when an unchanged
    unit was last looked at, a lock taken or given back): its commit is as atomic and as visible
    to every other connection at once, but does not wait for the disk (SQLite WAL with
    `synchronous=NORMAL`, PostgreSQL `synchronous_commit=off`). The next durable commit, or
    SQLite's checkpoint, puts it on disk along with its own."""
    for attempt in range(RETRIES):
        try:
            with session_scope(engine, readonly, durable) as session:
                return work(session)
        except Exception as exc:
            if attempt == RETRIES - 1 or not _retryable(exc):
                raise
            time.sleep(0.05 * (2 ** attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")
