"""The ward dashboard reads each unit's small summary, not its whole last result: the summary is
written with every sync, made once for states saved before it existed, and shows the same
figures the result holds."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import text

from sheetsync.web.jobs import open_ward
from sheetsync.web.state import User
from sheetsync.web.summary import SUMMARY_VERSION, month_figures, unit_summary
from sheetsync.web.views import dashboard

ADMIN = User(1, "admin", "admin", ())
TODAY = dt.date(2026, 11, 27)


def test_every_synced_unit_has_a_summary_of_its_result(ward_copy):
    ward = open_ward(ward_copy)
    try:
        states = ward.state.unit_states()
        summaries = ward.state.unit_summaries()
        assert set(states) == set(summaries) == {"Phòng Alpha", "Phòng Beta", "Phòng Gamma"}
        for unit, st in states.items():
            summary = summaries[unit]["summary"]
            assert "result" not in summaries[unit]
            assert summary == unit_summary(st["result"], ward.state.unit_state(unit)["bottlenecks"])
            assert summary["months"]["2026-11"]["roster"] == 3
            assert summary["months"]["2026-11"] == month_figures(st["result"], "2026-11")
    finally:
        ward.close()


def test_the_dashboard_shows_figures_from_the_summaries(ward_copy):
    ward = open_ward(ward_copy)
    try:
        page = dashboard(ward, ADMIN, "2026-11", TODAY)
        rows = {r["name"]: r for r in page["rows"]}
        assert rows["Phòng Alpha"]["figures"]["roster"] == 3
        assert rows["Phòng Alpha"]["figures"]["rated"] == 3
        assert sum(page["totals"].values()) == 9
        assert page["months"] == ["2026-11"]
    finally:
        ward.close()


def test_a_state_saved_before_summaries_gets_one_when_first_read(ward_copy):
    ward = open_ward(ward_copy)
    try:
        before = dashboard(ward, ADMIN, "2026-11", TODAY)
        with ward.store.engine.begin() as c:
            c.execute(text("UPDATE web_unit_state SET summary = NULL"))
        after = dashboard(ward, ADMIN, "2026-11", TODAY)
        assert [r.get("figures") for r in after["rows"]] == [r.get("figures") for r in before["rows"]]
        with ward.store.engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM web_unit_state WHERE summary IS NULL")).scalar() == 0
    finally:
        ward.close()


def test_a_unit_never_synced_successfully_shows_no_figures(ward_copy):
    ward = open_ward(ward_copy)
    try:
        ward.state.save_unit_state("Phòng Delta", "delta.xlsx", ok=False, now=dt.datetime(2026, 11, 27, 9),
                                   result=None, tracking=None, error_code="source.not-found",
                                   error_message="Không tìm thấy tệp")
        summaries = ward.state.unit_summaries()
        assert summaries["Phòng Delta"]["summary"] == {"version": SUMMARY_VERSION, "has_result": False, "months": {},
                                                       "bottlenecks": {}}
    finally:
        ward.close()


class _State:
    generation = 0


def test_a_cached_page_is_made_again_after_a_write_or_when_old():
    from sheetsync.web.app import PageCache

    state, made = _State(), []
    cache = PageCache(state, seconds=60)

    def make():
        made.append(1)
        return len(made)

    assert cache.get(("dashboard", "admin"), make) == 1
    assert cache.get(("dashboard", "admin"), make) == 1  # within the interval: kept
    assert cache.get(("dashboard", "viewer"), make) == 2  # another account's key: its own page
    state.generation += 1  # a sync, an upload, a publication ...
    assert cache.get(("dashboard", "admin"), make) == 3
    assert PageCache(state, seconds=0).get(("dashboard", "admin"), make) == 4  # 0: never kept
    short = PageCache(state, seconds=0.05)
    assert short.get("k", make) == 5
    time.sleep(0.1)  # a sync by another process (a worker) shows once the interval is over
    assert short.get("k", make) == 6


def test_a_page_asked_by_many_at_once_is_made_once_and_an_old_one_is_served_while_remade():
    import threading

    from sheetsync.web.app import PageCache

    state = _State()
    cache = PageCache(state, seconds=0.2)
    made, gate = [], threading.Event()

    def slow():
        made.append(1)
        gate.wait(5)
        return f"page {len(made)}"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("dash", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    gate.set()
    for t in threads:
        t.join()
    assert results == ["page 1"] * 8 and len(made) == 1  # nobody made it twice

    time.sleep(0.3)  # the interval has passed, nothing was written
    gate.clear()
    remaking = threading.Thread(target=lambda: results.append(cache.get("dash", slow)))
    remaking.start()
    time.sleep(0.1)
    assert cache.get("dash", slow) == "page 1"  # served at once while it is being made again
    gate.set()
    remaking.join()
    assert results[-1] == "page 2" and cache.get("dash", slow) == "page 2"
    state.generation += 1  # after a write nobody gets the old page, they wait for the new one
    gate.set()
    assert cache.get("dash", slow) == "page 3"
