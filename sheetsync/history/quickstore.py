"""An unchanged unit's few statements on a SQLite store, with the standard library's sqlite3.

Loading SQLAlchemy costs about as much CPU as reading a year of a ward's workbooks; a sync
where no unit changed needs only one read and two updates per unit (`reuse_lookup`,
`note_unchanged`; also `reuse_units` and `save_result`, for a unit recognised without reading
it). `QuickStore` answers those directly and opens the real `Store` (and its migrations) the
first time anything else is asked. It is used only on an existing SQLite store already at this
version's schema (`SCHEMA_VERSION`); the statements mirror the Store's methods of the same
names, and the tests run both against the same store.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

SQLITE_BUSY_S = 30.0
# The few entries of a unit's saved result that a sync needs when the result's key is not the one
# it wants (`reuse_lookup`): the package print (`service.reuse.package_key`), the month prints and
# the months recorded. Taken out by the database, as one JSON array.
BRIEF = ("package", "month_prints", "recorded_months")
# The unit's saved result for a sync about to compare (`reuse_lookup`): whole when its key is the
# one wanted, else only its brief entries (taken out by the database); one query either way, and a
# matching result is neither taken apart by the database nor read twice. A result wanted for the
# package print saved in it is known from the brief entries, then read whole (`RESULT_SQL_*`).
LOOKUP_SQL_SQLITE = ("SELECT key, CASE WHEN key = :key THEN result END, CASE WHEN key = :key THEN NULL ELSE "
                     "json_extract(result, " + ", ".join(f"'$.{k}'" for k in BRIEF) + ") END FROM unit_results "
                     "WHERE unit = :unit AND source = :source")
LOOKUP_SQL_PG = ("SELECT key, CASE WHEN key = CAST(:key AS TEXT) THEN result::text END, CASE WHEN key = "
                 "CAST(:key AS TEXT) THEN NULL ELSE jsonb_build_array("
                 + ", ".join(f"result -> '{k}'" for k in BRIEF) + ")::text END FROM unit_results "
                 "WHERE unit = :unit AND source = :source")
RESULT_SQL_SQLITE = "SELECT result FROM unit_results WHERE unit = :unit AND source = :source AND key = :key"
RESULT_SQL_PG = "SELECT result::text FROM unit_results WHERE unit = :unit AND source = :source AND key = :key"
Wanted = Callable[[list[tuple[str, int]]], tuple[str | None, str | None]]
_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime in SQLite


def looked_up(frozen: list[tuple[str, int]], row, package: str | None, whole: Callable[[str], str | None]
              ) -> tuple[list[tuple[str, int]], tuple[str, dict] | None, bool]:
    """What `reuse_lookup` returns, from the frozen months, the row `LOOKUP_SQL_*` gave and
    `whole(key)` (the result saved under that key, as JSON text), asked only when the package
    print in the brief entries is the `package` wanted."""
    if row is None:
        return sorted(frozen), None, False
    if row[1] is not None:
        return sorted(frozen), (row[0], json.loads(row[1])), True
    # The brief entries (`BRIEF`) from the JSON array the database gave; entries the result does
    # not have are left out, as the whole result would not have them.
    values = json.loads(row[2]) if row[2] else [None] * len(BRIEF)
    brief = {k: v for k, v in zip(BRIEF, values) if v is not None}
    if package is not None and brief.get("package") == package:
        text = whole(row[0])
        if text is not None:
            return sorted(frozen), (row[0], json.loads(text)), True
    return sorted(frozen), (row[0], brief), False


def schema_version(path: str) -> int | None:
    """The store's schema version, or None when the file is not a store sheetsync can read (a FIFO
    or a device is never opened here: opening one blocks; the full store refuses it clearly)."""
    if not os.path.isfile(path):
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=SQLITE_BUSY_S)
    except sqlite3.Error:
        return None
    try:
        return con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        con.close()


class QuickStore:
    """A SQLite store as seen by a sync of unchanged units (see the module's docstring)."""

    def __init__(self, path: str, open_full: Callable[[], Any]):
        self.path = path
        self._open_full = open_full
        self._full = None
        self.clock: Callable[[], datetime] = datetime.now

    def full(self):
        if self._full is None:
            self._full = self._open_full()
            self._full.clock = self.clock
        return self._full

    def __getattr__(self, name: str):
        return getattr(self.full(), name)

    def close(self) -> None:
        if self._full is not None:
            self._full.close()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=SQLITE_BUSY_S, isolation_level=None)
        # Only bookkeeping is written here (when the unit was last seen); in WAL mode NORMAL waits
        # for no disk flush per commit, and a power cut can at worst lose that timestamp.
        con.execute("PRAGMA synchronous=NORMAL")
        return con

    def reuse_lookup(self, unit: str, source_key: str, wanted: Wanted
                     ) -> tuple[list[tuple[str, int]], tuple[str, dict] | None, bool]:
        if self._full is not None:
            return self._full.reuse_lookup(unit, source_key, wanted)
        con = self._connect()
        try:
            con.execute("BEGIN")  # one snapshot of the store for both reads
            frozen = [(m, int(f)) for m, f in con.execute(
                "SELECT month, frozen_id FROM unit_months WHERE unit = ? AND frozen_id IS NOT NULL", (unit,))]
            key, package = wanted(sorted(frozen))
            row = con.execute(LOOKUP_SQL_SQLITE, {"unit": unit, "source": source_key, "key": key}).fetchone()

            def whole(saved_key: str) -> str | None:
                got = con.execute(RESULT_SQL_SQLITE, {"unit": unit, "source": source_key, "key": saved_key}).fetchone()
                return None if got is None else got[0]
            out = looked_up(frozen, row, package, whole)
            con.execute("COMMIT")
        finally:
            con.close()
        return out

    def reuse_units(self, source_key: str) -> list[str]:
        if self._full is not None:
            return self._full.reuse_units(source_key)
        con = self._connect()
        try:
            return sorted(u for (u,) in con.execute("SELECT unit FROM unit_results WHERE source = ?", (source_key,)))
        finally:
            con.close()

    def save_result(self, unit: str, source_key: str, key: str, result: dict, now: datetime | None = None) -> None:
        """Keep a unit's last result (a reused unit remembering the package it was read from)."""
        if self._full is not None:
            return self._full.save_result(unit, source_key, key, result, now)
        at = (now or self.clock()).strftime(_TIME)
        con = self._connect()
        try:
            con.execute("INSERT INTO unit_results (unit, source, key, result, at) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (unit, source) DO UPDATE SET key = excluded.key, result = excluded.result, "
                        "at = excluded.at", (unit, source_key, key, json.dumps(result), at))
        finally:
            con.close()
        return None

    def note_unchanged(self, unit: str, source: str, months: list[str], now: datetime | None = None) -> None:
        if self._full is not None:
            return self._full.note_unchanged(unit, source, months, now)
        at = (now or self.clock()).strftime(_TIME)
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            marks = ",".join("?" * len(months))
            if months:
                con.execute(f"UPDATE snapshots SET last_seen_at = ? WHERE id IN (SELECT head_id FROM unit_months "
                            f"WHERE unit = ? AND month IN ({marks}) AND frozen_id IS NULL AND head_id IS NOT NULL)",
                            (at, unit, *months))
            prev = con.execute("SELECT id, source, months FROM runs WHERE unit = ? AND kind = 'sync' "
                               "ORDER BY id DESC LIMIT 1", (unit,)).fetchone()
            if prev is not None and prev[1] == source and list(json.loads(prev[2]) or []) == list(months):
                con.execute("UPDATE runs SET last_at = ?, repeats = coalesce(repeats, 0) + 1 WHERE id = ?",
                            (at, prev[0]))
                con.execute("COMMIT")
                return None
            con.execute("ROLLBACK")
        finally:
            con.close()
        return self.full().note_unchanged(unit, source, months, now)  # a new run row: the Store writes it
