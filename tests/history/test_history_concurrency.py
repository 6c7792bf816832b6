"""Two syncs recording at once lose nothing and corrupt nothing; a sync killed inside its
transaction leaves the store as the last good sync left it. On a SQLite file and on PostgreSQL."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import signal
import time
import traceback

import pytest
from history_support import GOOD, evaluate_file, fill_month, new_book
from sqlalchemy import text

from sheetsync.history.store import Store, open_store

VERSIONS = 6
FORK = mp.get_context("fork")  # the children inherit the evaluation: no pickling, no re-reading


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    book = new_book(tmp_path_factory.mktemp("conc") / "unit.xlsx", {"CB1": {}, "CB2": {}})
    fill_month(book, "2026-03", {"CB1": {"approved": GOOD}, "CB2": {}})
    fill_month(book, "2026-04", {"CB1": {}, "CB2": {}})
    book.save()
    return evaluate_file(book.path, "U", "2026-04-30")


def _version(ev, label: str) -> None:
    """Change an input cell of every month, so the next record is new content."""
    tab = ev.tabs["evaluations"]
    tab.values.loc[tab.rows, "mgr_comment"] = label


def _writer(url: str, ev, tag: str, barrier, errors) -> None:
    try:
        store = open_store(url)
        barrier.wait(timeout=60)
        for j in range(VERSIONS):
            _version(ev, f"{tag}-{j}")
            store.record_unit("Chung", f"{tag}.xlsx", ev)  # both write the same unit's months
            store.record_unit(f"Riêng {tag}", f"{tag}.xlsx", ev)  # and one of their own
        store.close()
    except BaseException:  # noqa: BLE001 — reported to the parent
        errors.put(traceback.format_exc())
        raise SystemExit(1) from None


def test_two_syncs_at_once_lose_nothing(any_url, evaluation):
    open_store(any_url).close()  # schema first, as the first sync of a ward would
    barrier, errors = FORK.Barrier(2), FORK.Queue()
    procs = [FORK.Process(target=_writer, args=(any_url, evaluation, tag, barrier, errors)) for tag in ("A", "B")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert errors.empty(), errors.get()
    assert [p.exitcode for p in procs] == [0, 0]

    store = open_store(any_url)
    assert store.check() == []
    runs = store.runs()
    assert len(runs) == 4 * VERSIONS
    order = runs.sort_values("id")["source"].tolist()
    assert sum(a != b for a, b in itertools.pairwise(order)) > 2, "the two writers never overlapped"
    # Every distinct content recorded is there, numbered without gaps, for each month.
    assert store.snapshot_count("Chung") == 2 * 2 * VERSIONS
    assert store.snapshot_count("Riêng A") == store.snapshot_count("Riêng B") == 2 * VERSIONS
    with store.engine.connect() as c:
        seqs = c.execute(text("SELECT month, max(seq), count(*) FROM snapshots WHERE unit = 'Chung' GROUP BY month"))
        assert sorted(tuple(r) for r in seqs) == [("2026-03", 2 * VERSIONS, 2 * VERSIONS),
                                                  ("2026-04", 2 * VERSIONS, 2 * VERSIONS)]
        if store.dialect == "sqlite":
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    # The head is the last content written, whoever wrote it.
    last = store.recorded_month("Chung", "2026-04", frozen=False)
    assert last.rows[("evaluations", "cb1|2026-04")]["data"]["mgr_comment"] in ("A-5", "B-5")
    store.close()


def _killed_writer(url: str, ev, inside) -> None:
    original = Store._insert_snapshot

    def stall(self, *args, **kwargs):
        sid = original(self, *args, **kwargs)  # rows written, transaction still open
        inside.set()
        time.sleep(120)
        return sid

    Store._insert_snapshot = stall
    store = open_store(url)
    _version(ev, "half-way")
    store.record_unit("U", "u.xlsx", ev)


def test_a_sync_killed_half_way_leaves_the_last_good_state(any_url, evaluation):
    store = open_store(any_url)
    _version(evaluation, "good")
    store.record_unit("U", "u.xlsx", evaluation)
    before = (store.snapshot_count(), len(store.runs()), store.unit_months("U")["snapshot_id"].tolist())
    store.close()

    inside = FORK.Event()
    child = FORK.Process(target=_killed_writer, args=(any_url, evaluation, inside))
    child.start()
    assert inside.wait(60), "the child never reached the middle of its transaction"
    os.kill(child.pid, signal.SIGKILL)
    child.join(30)
    assert child.exitcode == -signal.SIGKILL

    store = open_store(any_url)
    assert (store.snapshot_count(), len(store.runs()), store.unit_months("U")["snapshot_id"].tolist()) == before
    assert store.check() == []
    rec = store.recorded_month("U", "2026-04", frozen=False)
    assert rec.rows[("evaluations", "cb1|2026-04")]["data"]["mgr_comment"] == "good"
    # Nothing is left locked: the next sync records at once.
    started = time.monotonic()
    _version(evaluation, "after")
    assert store.record_unit("U", "u.xlsx", evaluation).changed == ["2026-03", "2026-04"]
    assert time.monotonic() - started < 10
    with store.engine.connect() as c:
        if store.dialect == "sqlite":
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    store.close()
