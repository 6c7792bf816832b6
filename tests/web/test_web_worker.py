"""Scale-out: `sheetsync worker` processes on a PostgreSQL store share the ward's units through
procrastinate. Every unit is synced exactly once per tick however many workers run (counted in
the store: its sync runs and the audit log), a unit still waiting is not queued twice, and a
worker killed with SIGKILL in the middle of a sync loses nothing: another worker takes its job."""

from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from conftest import AS_OF, fill_unit, make_ward

from sheetsync import service
from sheetsync.cli import main
from sheetsync.config.ward import write_ward
from sheetsync.web.jobs import open_ward
from sheetsync.web.queue import AFTER_TASK, SYNC_TASK, queue_counts

PG_URL = os.environ.get("SHEETSYNC_TEST_PG_URL")
needs_pg = pytest.mark.skipif(not PG_URL, reason="needs SHEETSYNC_TEST_PG_URL (bash scripts/test starts a server)")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def pg_store(pg_database):
    """A fresh database for one ward's store and its job queue (conftest.pg_database)."""
    return pg_database


def queued_ward(root: Path, units: int, queue: dict | str = "procrastinate", schedule: dict | None = None) -> Path:
    """A ward of `units` small .xlsx units (three people each) whose syncs run in workers."""
    root.mkdir(parents=True)
    names = {f"Đơn vị {i:02d}": f"u{i:02d}.xlsx" for i in range(1, units + 1)}
    for i, (name, file) in enumerate(names.items(), start=1):
        fill_unit(root / file, name, f"U{i:02d}")
    return write_ward(root / "ward.yaml", "Phường Nhiều Tiến Trình", [{"name": n, "source": f} for n, f in names.items()],
                      profile="nd335", service={"schedule": schedule or {"enabled": False}, "queue": queue})


class Workers:
    """`sheetsync worker` processes on one ward, as an operator would start them."""

    def __init__(self, ward_file: Path, store: str, count: int, concurrency: tuple[int, ...] = ()):
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        for i in range(count):
            log = ward_file.parent / f"worker-{i}.log"
            cmd = [sys.executable, "-m", "sheetsync.cli", "worker", str(ward_file), "--store", store,
                   "--as-of", AS_OF, "--concurrency", str(concurrency[i] if i < len(concurrency) else 1)]
            self.procs.append(subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                                               env={**os.environ, "PYTHONUNBUFFERED": "1"}))
            self.logs.append(log)

    def output(self) -> str:
        return "\n".join(p.read_text() for p in self.logs)

    def wait_registered(self, ward, timeout: float = 120) -> None:
        """Until every worker has registered its heartbeat with procrastinate."""
        from sqlalchemy import text

        deadline = time.time() + timeout
        while time.time() < deadline:
            assert all(p.poll() is None for p in self.procs), self.output()
            with ward.store.engine.connect() as c:
                if c.execute(text("SELECT to_regclass('procrastinate.procrastinate_workers')")).scalar():
                    n = c.execute(text("SELECT count(*) FROM procrastinate.procrastinate_workers")).scalar()
                    if n >= len(self.procs):
                        return
            time.sleep(0.2)
        raise AssertionError("workers did not start: " + self.output())

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def wait_drained(ward, workers: Workers, timeout: float = 300) -> None:
    """Until no sync (nor the forms-and-reminders job after it) is waiting or running."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        counts = queue_counts(ward)
        busy = sum(n for (task, status), n in counts.items()
                   if task in (SYNC_TASK, AFTER_TASK) and status in ("todo", "doing"))
        if not busy:
            return
        time.sleep(0.3)
    raise AssertionError(f"queue not drained: {queue_counts(ward)}\n{workers.output()}")


def syncs_per_unit(ward) -> dict[str, int]:
    """Syncs recorded in the store: each sync run row, plus the unchanged syncs it stands for."""
    runs = ward.store.runs(kind="sync")
    return {u: int(len(g) + g["repeats"].fillna(0).sum()) for u, g in runs.groupby("unit")}


def audited(ward) -> list[dict]:
    return [e for e in ward.state.audit_log(limit=10_000) if e["action"] == "queue-sync"]


def per_tick(events: list[dict], tick: str) -> collections.Counter:
    return collections.Counter(e["target"] for e in events if e["detail"].startswith(f"lượt {tick};"))


def tick_now(ward_file: Path, store: str) -> str:
    r = run("tick", ward_file, "--store", store, "--as-of", AS_OF)
    assert r.exit_code == 0, r.output
    return r.output


def tick_name(output: str) -> str:
    return output.split("Lượt ", 1)[1].split(": đã xếp", 1)[0]


def last_tick(ward) -> str:
    """The name of the newest tick the audit log knows."""
    return audited(ward)[0]["detail"].split(";", 1)[0].removeprefix("lượt ")


@needs_pg
@pytest.mark.slow
def test_three_workers_over_forty_units_sync_each_unit_exactly_once_per_tick(tmp_path, pg_store):
    ward_file = queued_ward(tmp_path / "ward", 40)
    ward = open_ward(ward_file, pg_store)
    units = {u.name for u in ward.units}
    workers = None
    try:
        # Two ticks asked for before any worker runs: the second finds every unit waiting.
        first = tick_now(ward_file, pg_store)
        assert "đã xếp 40 đơn vị vào hàng đợi" in first
        second = tick_now(ward_file, pg_store)
        assert "đã xếp 0 đơn vị" in second and "40 đơn vị còn chờ từ lượt trước (không xếp lại)" in second
        assert queue_counts(ward)[(SYNC_TASK, "todo")] == 40

        workers = Workers(ward_file, pg_store, 3, concurrency=(1, 1, 2))  # the third syncs two units at once
        workers.wait_registered(ward)
        wait_drained(ward, workers)
        assert syncs_per_unit(ward) == {u: 1 for u in units}
        tick1 = per_tick(audited(ward), tick_name(first))
        assert tick1 == {u: 1 for u in units}

        # A tick with the three workers running: once more each, shared between them.
        third = tick_now(ward_file, pg_store)
        assert "đã xếp 40 đơn vị" in third
        wait_drained(ward, workers)
        assert syncs_per_unit(ward) == {u: 2 for u in units}
        events = audited(ward)
        assert per_tick(events, tick_name(third)) == {u: 1 for u in units}
        assert len(events) == 80 and all(e["detail"].endswith("; ok") for e in events), events[:3]
        by_worker = collections.Counter(e["username"] for e in events)
        assert len(by_worker) >= 2, by_worker  # the units were shared, not all done by one process
        assert {w.split(":")[-1] for w in by_worker} <= {str(p.pid) for p in workers.procs}
        assert queue_counts(ward).get((SYNC_TASK, "failed"), 0) == 0
        states = ward.state.unit_states(with_result=False)
        assert set(states) == units and all(s["status"] == "ok" for s in states.values())
        assert ward.store.check() == []
    finally:
        if workers is not None:
            workers.stop()
        ward.close()
    assert "Traceback" not in workers.output(), workers.output()


@needs_pg
@pytest.mark.slow
def test_a_worker_killed_mid_sync_loses_nothing_and_another_takes_its_job(tmp_path, pg_store):
    ward_file = queued_ward(tmp_path / "ward", 6, queue={"engine": "procrastinate", "heartbeat_seconds": 1,
                                                         "stalled_seconds": 3})
    ward = open_ward(ward_file, pg_store)
    workers = Workers(ward_file, pg_store, 2)
    try:
        workers.wait_registered(ward)
        pids = {str(p.pid): p for p in workers.procs}
        tick = tick_name(tick_now(ward_file, pg_store))
        victim, unit = None, None
        deadline = time.time() + 120
        while victim is None and time.time() < deadline:
            for name, lock in ward.state.locks().items():
                pid = lock["holder"].split(":")[1]
                if name.startswith("sync:") and pid in pids:
                    victim, unit = pids[pid], name.removeprefix("sync:")
                    break
            else:
                time.sleep(0.005)
        assert victim is not None, "no worker was seen syncing: " + workers.output()
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        killed_at = dt.datetime.now()
        survivor = next(p for p in workers.procs if p is not victim)

        wait_drained(ward, workers, timeout=180)
        events = audited(ward)
        mine = [e for e in events if e["target"] == unit and e["detail"].startswith(f"lượt {tick};")]
        # Taken up again by the other worker, as a second attempt of the same job.
        assert any(e["username"].endswith(f":{survivor.pid}") and "; lần 2; ok" in e["detail"] for e in mine), \
            (unit, mine, workers.output())
        assert per_tick(events, tick).keys() == {u.name for u in ward.units}
        state = ward.state.unit_state(unit)
        assert state["status"] == "ok" and state["synced_at"] > killed_at
        assert queue_counts(ward).get((SYNC_TASK, "failed"), 0) == 0
        # The store and every workbook intact.
        assert ward.store.check() == []
        check = service.validate([str(ward_file)], store=False, as_of=AS_OF)
        assert not check.problems and all(u.error is None for u in check.units)
        assert all(u.evaluation is not None for u in check.units)
    finally:
        workers.stop()
        ward.close()


@needs_pg
@pytest.mark.slow
def test_workers_tick_on_the_wards_schedule(tmp_path, pg_store):
    ward_file = queued_ward(tmp_path / "ward", 3, schedule={"every_minutes": 0.1, "hours": "00:00-23:59",
                                                            "days": "1-7"})
    ward = open_ward(ward_file, pg_store)
    workers = Workers(ward_file, pg_store, 2)
    try:
        deadline = time.time() + 180
        ticks: dict[str, collections.Counter] = {}
        while time.time() < deadline:
            events = audited(ward)
            names = {e["detail"].split(";", 1)[0] for e in events}
            ticks = {n: collections.Counter(e["target"] for e in events if e["detail"].startswith(n + ";"))
                     for n in names}
            if sum(1 for c in ticks.values() if len(c) == 3) >= 2:
                break
            time.sleep(0.5)
        complete = [c for c in ticks.values() if len(c) == 3]
        assert len(complete) >= 2, (ticks, workers.output())
        assert all(set(c.values()) == {1} for c in ticks.values()), ticks  # never twice in one tick
    finally:
        workers.stop()
        ward.close()


def test_worker_tick_and_serve_refuse_a_queue_on_a_sqlite_store(ward_copy):
    r = run("worker", ward_copy)
    assert r.exit_code == 2 and "cần kho dữ liệu PostgreSQL" in r.output and "Traceback" not in r.output
    raw = yaml.safe_load(ward_copy.read_text(encoding="utf-8"))
    raw["service"]["queue"] = "procrastinate"
    ward_copy.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    for command in ("tick", "serve"):
        r = run(command, ward_copy)
        assert r.exit_code == 2 and "bỏ 'queue:' khỏi ward.yaml" in r.output, (command, r.output)


@needs_pg
def test_worker_refuses_a_ward_without_the_queue_and_without_procrastinate(tmp_path, pg_store, monkeypatch):
    ward_file = make_ward(tmp_path / "ward")
    r = run("worker", ward_file, "--store", pg_store)
    assert r.exit_code == 2 and "queue: procrastinate" in r.output

    raw = yaml.safe_load(ward_file.read_text(encoding="utf-8"))
    raw["service"]["queue"] = "procrastinate"
    ward_file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setitem(sys.modules, "procrastinate", None)  # as if it were not installed
    r = run("worker", ward_file, "--store", pg_store)
    assert r.exit_code == 2 and "pip install 'sheetsync[worker]'" in r.output and "Traceback" not in r.output


def test_a_bad_queue_block_is_reported(ward_copy):
    raw = yaml.safe_load(ward_copy.read_text(encoding="utf-8"))
    for queue, message in (("redis", "không hỗ trợ"), ({"engine": "procrastinate", "stalled_seconds": 1},
                                                       "gấp đôi heartbeat_seconds"),
                           ({"engine": "procrastinate", "workers": 3}, "Khóa không hợp lệ")):
        raw["service"]["queue"] = queue
        ward_copy.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        r = run("worker", ward_copy)
        assert r.exit_code == 2 and message in r.output, (queue, r.output)


@needs_pg
def test_serve_leaves_the_schedule_to_the_workers_when_the_queue_is_on(tmp_path, pg_store, monkeypatch):
    """With the queue on, `serve` does not sync on its own (the workers do); its pages still work."""
    from conftest import PASSWORD, Server

    from sheetsync.web.views import add_user

    monkeypatch.setenv("SHEETSYNC_STORE", pg_store)  # serve, as its operator runs it, and this test
    ward_file = queued_ward(tmp_path / "ward", 2, schedule={"every_minutes": 0.02, "hours": "00:00-23:59",
                                                            "days": "1-7"})
    ward = open_ward(ward_file)
    add_user(ward, "admin", PASSWORD, "admin", [])
    ward.close()
    srv = Server(ward_file)
    try:
        time.sleep(3)  # a schedule of 1.2 seconds would have synced by now
        assert httpx.get(srv.url + "/dang-nhap").status_code == 200
    finally:
        srv.stop()
    assert "sheetsync worker đảm nhận" in srv.log.read_text()
    ward = open_ward(ward_file)
    try:
        assert ward.state.unit_states() == {} and ward.store.runs().empty
    finally:
        ward.close()


def test_workers_beat_often_enough_for_the_schedule_and_for_noticing_a_dead_worker():
    from types import SimpleNamespace

    from sheetsync.web.config import QueueConfig, Schedule
    from sheetsync.web.queue import beat_cron

    def cron(every_minutes: float, stalled: float) -> str:
        svc = SimpleNamespace(schedule=Schedule(every_minutes=every_minutes), queue=QueueConfig(stalled_seconds=stalled))
        return beat_cron(SimpleNamespace(service=svc))
    assert cron(10, 30) == "* * * * * */15"  # a dead worker's job is given back within 15 s of being noticed
    assert cron(10, 300) == "* * * * *"  # at most once a minute
    assert cron(0.1, 30) == "* * * * * */6"  # a 6-second schedule
    assert cron(0.3, 60) == "* * * * * */15"  # 18 s is not a divisor of a minute: the nearest below


@needs_pg
def test_a_database_user_who_may_not_create_the_queue_is_told_so(tmp_path, pg_store):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    ward_file = queued_ward(tmp_path / "ward", 1)
    open_ward(ward_file, pg_store).close()  # the store's tables, made by their owner
    role = "sheetsync_r_" + uuid.uuid4().hex[:8]
    owner = create_engine(pg_store, isolation_level="AUTOCOMMIT")
    with owner.connect() as c:
        c.execute(text(f"CREATE ROLE {role} LOGIN"))
        c.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        c.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
        c.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    try:
        as_role = make_url(pg_store).set(username=role).render_as_string(hide_password=False)
        r = run("worker", ward_file, "--store", as_role)
        assert r.exit_code == 2 and "Không tạo được bảng hàng đợi" in r.output and "quyền tạo schema" in r.output, \
            r.output
        assert "Traceback" not in r.output
    finally:
        with owner.connect() as c:
            c.execute(text(f"DROP OWNED BY {role}"))
            c.execute(text(f"DROP ROLE {role}"))
        owner.dispose()
