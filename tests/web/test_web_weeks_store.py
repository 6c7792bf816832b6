"""Migration 7 on SQLite and PostgreSQL: a store from before gets the calendar links table and
the column keeping each unit's bottlenecks; tokens are made once, unique per unit, and a
rotated token no longer opens anything."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import inspect, text

from sheetsync.history.store import open_store
from sheetsync.history.store.migrations import LATEST
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


def test_calendar_tokens_are_made_once_per_unit_and_rotate(url):
    store = open_store(url)
    try:
        state = WebState(store)
        a = state.calendar_token("Phòng A", "admin")
        assert state.calendar_token("Phòng A") == a  # the same link every time the page is shown
        b = state.calendar_token("Phòng B")
        assert a != b and len(a) >= 43
        assert state.calendar_unit(a) == "Phòng A" and state.calendar_unit(b) == "Phòng B"
        new = state.rotate_calendar_token("Phòng A", "alpha")
        assert new not in (a, b)
        assert state.calendar_unit(a) is None and state.calendar_unit(new) == "Phòng A"
        assert state.calendar_token("Phòng A") == new and state.calendar_unit(b) == "Phòng B"
        assert state.calendar_unit("") is None
    finally:
        store.close()


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
        page = views.unit_page(ward, admin, alpha, "2026-11", None, None, dt.date(2026, 11, 27), "https://okr.example")
        assert page["bottlenecks"]["total"] == 4 and page["weekly_counts"] == {"weekly-missing": 9, "weekly-late": 1}
        assert page["calendar"]["url"].startswith("https://okr.example/lich/")
        assert page["calendar"]["webcal"].startswith("webcal://okr.example/lich/")
        board = views.dashboard(ward, admin, "2026-11", dt.date(2026, 11, 27))
        row = next(r for r in board["rows"] if r["name"] == "Phòng Alpha")
        assert row["bottlenecks"] == {"obstacle": 1, "overdue": 2, "returned": 1}
        assert row["weekly"] == {"weekly-missing": 9, "weekly-late": 1}
        status = views.status_page(ward, admin, dt.date(2026, 11, 27))
        assert next(g for g in status["groups"] if g["name"] == "Phòng Alpha")["bottlenecks"]["overdue"] == 2
    finally:
        ward.close()
