"""A scheduled tick over units that have not changed costs one read of each workbook: the ward
file is not read again for every unit, no unit is evaluated again, and no commit waits for the
disk (on SQLite and on PostgreSQL), while a unit that did change is recorded durably."""

from __future__ import annotations

import datetime as dt

from conftest import fill_unit
from sqlalchemy import event, text

import sheetsync.config.ward as ward_config
import sheetsync.service.units as units
from sheetsync.web.jobs import open_ward
from sheetsync.web.scheduler import tick

TODAY = dt.date(2026, 11, 27)


def test_an_unchanged_tick_reads_no_ward_file_and_evaluates_no_unit(ward_copy, monkeypatch):
    ward = open_ward(ward_copy)
    try:
        tick(ward, TODAY)  # the copy lives at new paths: its units are keyed anew once
        calls = {"load_ward": 0, "evaluate": 0}

        def counted(name, real):
            def wrapper(*args, **kwargs):
                calls[name] += 1
                return real(*args, **kwargs)
            return wrapper

        monkeypatch.setattr(ward_config, "load_ward", counted("load_ward", ward_config.load_ward))
        monkeypatch.setattr(units, "evaluate", counted("evaluate", units.evaluate))
        rep = tick(ward, TODAY)
        assert [o.status for o in rep.outcomes] == ["ok"] * len(ward.units)
        assert calls == {"load_ward": 0, "evaluate": 0}
    finally:
        ward.close()


class CommitWatch:
    """Every transaction that wrote to the store, as the database itself saw its commit: which
    tables it wrote, and whether the commit waited for the disk (asked of the connection at the
    moment of committing: SQLite's `PRAGMA synchronous`, PostgreSQL's `synchronous_commit`)."""

    WRITES = ("insert", "update", "delete")

    def __init__(self, engine):
        self.engine = engine
        self.commits: list[tuple[bool, frozenset[str]]] = []
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        words = statement.split(None, 3)
        if words and words[0].lower() in self.WRITES:
            table = words[2] if words[0].lower() in ("insert", "delete") else words[1]
            conn.info.setdefault("tickcost_tables", set()).add(table.strip('"').lower())

    def _commit(self, conn) -> None:
        tables = conn.info.pop("tickcost_tables", None)
        if not tables:
            return
        cur = conn.connection.dbapi_connection.cursor()
        if conn.dialect.name == "sqlite":
            durable = cur.execute("PRAGMA synchronous").fetchone()[0] >= 2  # FULL
        else:
            cur.execute("SHOW synchronous_commit")
            durable = cur.fetchone()[0] != "off"
        cur.close()
        self.commits.append((durable, frozenset(tables)))

    def _rollback(self, conn) -> None:
        conn.info.pop("tickcost_tables", None)

    @property
    def durable(self) -> list[frozenset[str]]:
        return [t for d, t in self.commits if d]


def settled(ward_file, store: str):
    """The ward on `store`, ticked until steady: the first tick records every unit, the next
    one evaluates again the units whose months it froze."""
    ward = open_ward(ward_file, store=store)
    tick(ward, TODAY)
    tick(ward, TODAY)
    return ward


def test_an_unchanged_tick_waits_for_no_disk_and_leaves_the_cached_pages(ward_copy, store_url):
    ward = settled(ward_copy, store_url)
    watch = CommitWatch(ward.store.engine)
    try:
        generation = ward.state.generation
        rep = tick(ward, TODAY)
        assert [o.status for o in rep.outcomes] == ["ok"] * len(ward.units)
        assert watch.durable == []
        # Per unit: its lock taken; the store's note that it was seen unchanged; its sync time
        # with the lock given back.
        assert len(watch.commits) <= 3 * len(ward.units)
        assert ward.state.generation == generation  # nothing a page shows changed but a time
        states = ward.state.unit_states(with_result=False)
        assert all(s["synced_at"] > s["ok_at"] - dt.timedelta(seconds=1) for s in states.values())
        assert ward.state.locks() == {}
    finally:
        watch.close()
        ward.close()


def test_a_changed_unit_in_the_same_tick_is_recorded_durably_before_it_is_reported(ward_copy, store_url):
    ward = settled(ward_copy, store_url)
    watch = CommitWatch(ward.store.engine)
    try:
        before = ward.state.unit_state("Phòng Alpha")["synced_at"]
        (ward_copy.parent / "alpha.xlsx").unlink()
        fill_unit(ward_copy.parent / "alpha.xlsx", "Phòng Alpha", "AL", broken=True)  # a word for a quantity
        rep = tick(ward, TODAY)
        assert [o.status for o in rep.outcomes] == ["ok"] * len(ward.units)
        recorded = [t for d, t in watch.commits if "snapshots" in t and "snapshot_rows" in t]
        assert recorded and all(t in watch.durable for t in recorded)
        assert any("web_unit_state" in t for t in watch.durable)  # the new result the pages show
        alpha = ward.state.unit_state("Phòng Alpha")
        assert alpha["synced_at"] > before
        assert any(f["severity"] == "error" for f in alpha["result"]["findings"])
        # Durable: the record and the result the pages show. The two units that did not change,
        # and the caches that spare the next sync its evaluation, wait for no disk.
        assert len(watch.durable) == 2
    finally:
        watch.close()
        ward.close()


def test_an_unchanged_unit_whose_page_state_is_missing_is_evaluated_in_full(ward_copy, store_url):
    ward = settled(ward_copy, store_url)
    try:
        with ward.store.engine.begin() as c:
            c.execute(text("DELETE FROM web_unit_state WHERE unit = 'Phòng Beta'"))
        rep = tick(ward, TODAY)
        assert [o.status for o in rep.outcomes] == ["ok"] * len(ward.units)
        beta = ward.state.unit_state("Phòng Beta")
        assert beta["status"] == "ok" and beta["result"] and beta["bottlenecks"] is not None
        assert ward.state.locks() == {}
    finally:
        ward.close()
