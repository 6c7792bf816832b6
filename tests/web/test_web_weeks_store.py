"""Migrations 7 and 9 on SQLite and PostgreSQL: a store from before gets the calendar links table
and the column keeping each unit's bottlenecks; calendar tokens are kept as digests (tokens
stored in plain text before are hashed and keep working), unique per unit, and a rotated token no
longer opens anything."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Column, DateTime, MetaData, String, Table, inspect, text

from sheetsync.history.store import open_store
from sheetsync.history.store.migrations import LATEST
from sheetsync.history.store.web_models import token_digest
from sheetsync.web.state import WebState
from sheetsync.web.summary import SUMMARY_VERSION


@pytest.fixture
def url(store_url):
    return store_url


def test_a_store_from_before_migration_7_is_upgraded(url):
    store = open_store(url)
    state = WebState(store)
    state.save_unit_state("Phòng A", "a.xlsx", ok=True, now=datetime(2026, 11, 27, 9), result={"months": {}},
                          tracking=[])
    with store.engine.begin() as c:  # as sheetsync left it at schema 6
        c.execute(text("DROP TABLE web_calendar_tokens"))
        c.execute(text("ALTER TABLE web_unit_state DROP COLUMN bottlenecks"))
        c.execute(text("DELETE FROM schema_version WHERE version >= 7"))
    store.close()
    store = open_store(url)
    try:
        insp = inspect(store.engine)
        assert "web_calendar_tokens" in insp.get_table_names()
        assert "bottlenecks" in {c["name"] for c in insp.get_columns("web_unit_state")}
        with store.engine.connect() as c:
            assert c.execute(text("SELECT max(version) FROM schema_version")).scalar() == LATEST >= 7
        state = WebState(store)
        assert state.unit_state("Phòng A")["bottlenecks"] is None  # kept rows survive, filled by the next sync
        report = {"as_of": "2026-11-27", "settings": {}, "counts": {},
                  "items": [{"kind": "overdue", "unit": "Phòng A"}, {"kind": "overdue", "unit": "Phòng A"},
                            {"kind": "obstacle", "unit": "Phòng A"}]}
        state.save_unit_state("Phòng A", "a.xlsx", ok=True, now=datetime(2026, 11, 27, 10), result={"months": {}},
                              tracking=[], bottlenecks=report)
        assert state.unit_state("Phòng A")["bottlenecks"] == report
        summary = state.unit_summaries()["Phòng A"]["summary"]
        assert summary["version"] == SUMMARY_VERSION and summary["bottlenecks"] == {"overdue": 2, "obstacle": 1}
    finally:
        store.close()


def test_calendar_tokens_are_kept_as_digests_unique_per_unit_and_rotate(url):
    store = open_store(url)
    try:
        state = WebState(store)
        assert state.calendar_link("Phòng A") is None
        a = state.rotate_calendar_token("Phòng A", "admin")
        b = state.rotate_calendar_token("Phòng B", "beta")
        assert a != b and len(a) >= 43
        assert state.calendar_unit(a) == "Phòng A" and state.calendar_unit(b) == "Phòng B"
        made = state.calendar_link("Phòng A")
        assert made["created_by"] == "admin" and isinstance(made["created_at"], datetime) and a not in str(made)
        with store.engine.connect() as c:
            rows = {r.unit: r for r in c.execute(text("SELECT * FROM web_calendar_tokens"))}
        assert rows["Phòng A"].digest == token_digest(a) and a not in str(tuple(rows["Phòng A"]))
        assert state.calendar_unit(token_digest(a)) is None  # the stored digest opens nothing
        new = state.rotate_calendar_token("Phòng A", "alpha")
        assert new not in (a, b)
        assert state.calendar_unit(a) is None and state.calendar_unit(new) == "Phòng A"
        assert state.calendar_link("Phòng A")["created_by"] == "alpha" and state.calendar_unit(b) == "Phòng B"
        assert state.calendar_unit("") is None
    finally:
        store.close()


# web_calendar_tokens as sheetsync made it up to schema 8: the token itself in the table.
OLD = MetaData()
OLD_TOKENS = Table("web_calendar_tokens", OLD, Column("unit", String(300), primary_key=True),
                   Column("token", String(100), unique=True), Column("created_at", DateTime),
                   Column("created_by", String(100)))


def test_a_store_with_plain_tokens_is_upgraded_and_its_links_keep_working(url):
    """Migration 9: every stored token replaced by its digest, in the same transaction; the links
    people subscribed to open the same units, and the database holds no token any more."""
    import secrets

    store = open_store(url)
    tokens = {"Phòng A": secrets.token_urlsafe(32), "Phòng B": secrets.token_urlsafe(32)}
    at = datetime(2026, 11, 20, 8, 30)
    with store.engine.begin() as c:  # as sheetsync left it at schema 8
        c.execute(text("DROP TABLE web_calendar_tokens"))
        OLD_TOKENS.create(c)
        c.execute(OLD_TOKENS.insert(), [{"unit": u, "token": t, "created_at": at, "created_by": "admin"}
                                        for u, t in tokens.items()])
        c.execute(text("DELETE FROM schema_version WHERE version >= 9"))
    store.close()
    store = open_store(url)
    try:
        cols = {c["name"] for c in inspect(store.engine).get_columns("web_calendar_tokens")}
        assert cols == {"unit", "digest", "created_at", "created_by"}
        with store.engine.connect() as c:
            assert c.execute(text("SELECT max(version) FROM schema_version")).scalar() == LATEST >= 9
            stored = " ".join(str(v) for r in c.execute(text("SELECT * FROM web_calendar_tokens")) for v in r)
        assert not any(t in stored for t in tokens.values())
        if "://" not in url:  # a SQLite file: not even its freed pages keep a token
            with open(url, "rb") as fh:
                raw = fh.read()
            assert not any(t.encode() in raw for t in tokens.values())
        state = WebState(store)
        assert {u: state.calendar_unit(t) for u, t in tokens.items()} == {u: u for u in tokens}
        assert state.calendar_link("Phòng A") == {"created_at": at, "created_by": "admin"}
        assert state.calendar_unit(secrets.token_urlsafe(32)) is None
        new = state.rotate_calendar_token("Phòng A", "alpha")  # unique digests still enforced per unit
        assert state.calendar_unit(tokens["Phòng A"]) is None and state.calendar_unit(new) == "Phòng A"
    finally:
        store.close()
    again = open_store(url)  # a second opening changes nothing
    try:
        assert WebState(again).calendar_unit(tokens["Phòng B"]) == "Phòng B"
    finally:
        again.close()


def test_pages_read_the_bottlenecks_kept_by_the_sync_and_never_compute_them(tmp_path, monkeypatch):
    """Computed once per sync (jobs.sync_unit) and kept in the store; the unit page, the dashboard
    and the status page only read them, so a page view costs no workbook and no computation."""
    import datetime as dt

    from weeks_ward import make_weeks_ward

    import sheetsync.history.bottlenecks as computing
    from sheetsync.web import jobs, views
    from sheetsync.web.state import User

    ward = jobs.open_ward(make_weeks_ward(tmp_path / "ward"))
    try:
        calls = []
        real = computing.bottlenecks
        monkeypatch.setattr(computing, "bottlenecks", lambda *a, **k: calls.append(a) or real(*a, **k))
        for spec in ward.units:
            assert jobs.sync_unit(ward, spec, as_of=dt.date(2026, 11, 27)).status == "ok"
        assert len(calls) == 2  # one per unit and sync

        def refuse(*a, **k):
            raise AssertionError("a page computed the bottlenecks")
        monkeypatch.setattr(computing, "bottlenecks", refuse)
        monkeypatch.setattr(computing, "unit_items", refuse)
        admin = User(1, "admin", "admin", ())
        alpha = ward.unit("phong-alpha")
        page = views.unit_page(ward, admin, alpha, "2026-11", None, None, dt.date(2026, 11, 27))
        assert page["bottlenecks"]["total"] == 4 and page["weekly_counts"] == {"weekly-missing": 9, "weekly-late": 1}
        assert page["calendar_made"] is None  # the page shows when a link was made, never the link
        board = views.dashboard(ward, admin, "2026-11", dt.date(2026, 11, 27))
        row = next(r for r in board["rows"] if r["name"] == "Phòng Alpha")
        assert row["bottlenecks"] == {"obstacle": 1, "overdue": 2, "returned": 1}
        assert row["weekly"] == {"weekly-missing": 9, "weekly-late": 1}
        status = views.status_page(ward, admin, dt.date(2026, 11, 27))
        assert next(g for g in status["groups"] if g["name"] == "Phòng Alpha")["bottlenecks"]["overdue"] == 2
    finally:
        ward.close()
