"""The schedule: every unit synced each tick, a failing unit shown as failing and retried while
the others go on, one sync of a unit at a time across processes, and a service killed with
SIGKILL in the middle of a sync losing nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import yaml
from conftest import AS_OF, Server

from sheetsync import service
from sheetsync.history.store import open_store
from sheetsync.web.jobs import open_ward, sync_unit
from sheetsync.web.scheduler import tick
from sheetsync.web.state import WebState

TODAY = dt.date.fromisoformat(AS_OF)


def test_a_tick_syncs_every_unit_and_a_failing_one_does_not_stop_the_others(ward_copy):
    gamma = ward_copy.parent / "gamma.xlsx"
    good = gamma.read_bytes()
    gamma.write_bytes(b"this is not a workbook")
    ward = open_ward(ward_copy)
    try:
        before = ward.state.unit_states()
        rep = tick(ward, TODAY)
        assert {o.unit: o.status for o in rep.outcomes} == {"Phòng Alpha": "ok", "Phòng Beta": "ok",
                                                            "Phòng Gamma": "failing"}
        states = ward.state.unit_states()
        assert states["Phòng Gamma"]["status"] == "failing" and states["Phòng Gamma"]["error_code"].startswith("source")
        assert states["Phòng Gamma"]["result"] == before["Phòng Gamma"]["result"]  # the last good result stays
        assert states["Phòng Alpha"]["synced_at"] > before["Phòng Alpha"]["synced_at"]
        gamma.write_bytes(good)
        again = tick(ward, TODAY)
        assert all(o.status == "ok" for o in again.outcomes)
        assert ward.state.unit_states()["Phòng Gamma"]["status"] == "ok"
    finally:
        ward.close()


def test_a_unit_is_never_synced_twice_at_once_across_processes(ward_copy):
    ward = open_ward(ward_copy)
    try:
        token = ward.state.acquire("sync:Phòng Beta")  # held by this (live) test process
        assert token
        synced_before = ward.state.unit_state("Phòng Beta")["synced_at"]
        alpha_before = ward.state.unit_state("Phòng Alpha")["synced_at"]
        out = subprocess.run([sys.executable, "-m", "sheetsync.cli", "tick", str(ward_copy), "--as-of", AS_OF],
                             capture_output=True, text=True, timeout=300)
        assert "… Phòng Beta" in out.stdout and "✓ Phòng Alpha" in out.stdout, out.stdout + out.stderr
        assert "1 đang được đồng bộ nơi khác" in out.stdout
        assert ward.state.unit_state("Phòng Beta")["synced_at"] == synced_before  # not touched
        assert ward.state.unit_state("Phòng Alpha")["synced_at"] > alpha_before
        assert sync_unit(ward, ward.unit("phong-beta"), as_of=TODAY).status == "busy"
        ward.state.release("sync:Phòng Beta", token)
        assert sync_unit(ward, ward.unit("phong-beta"), as_of=TODAY).status == "ok"
    finally:
        ward.close()


def test_a_lock_left_by_a_dead_process_is_taken_over_and_one_of_another_host_is_not(ward_copy):
    from sheetsync.history.store.db import with_retry
    from sheetsync.history.store.web_models import ServiceLock

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    later = dt.datetime.now() + dt.timedelta(minutes=30)
    store = open_store(ward_copy.parent / "sheetsync.db")
    try:
        state = WebState(store)

        def put(holder):
            def work(s):
                s.merge(ServiceLock(name="sync:x", holder=holder, acquired_at=dt.datetime.now(), expires_at=later))
            with_retry(store.engine, work)
        put(f"{socket.gethostname()}:{dead.pid}:abc")
        assert state.acquire("sync:x") is not None
        put(f"another-host:{dead.pid}:abc")
        assert state.acquire("sync:x") is None
    finally:
        store.close()


def test_sync_now_on_the_unit_page(http):
    admin = http("admin")
    r = admin.post("/don-vi/phong-alpha/dong-bo", token_from="/don-vi/phong-alpha")
    assert r.status_code == 303
    assert "Đã đồng bộ xong." in admin.get("/don-vi/phong-alpha").text
    assert "Đồng bộ ngay</td><td>Phòng Alpha</td>" in admin.get("/quan-tri/nhat-ky").text


def test_kill_9_during_a_sync_loses_nothing_and_the_next_start_syncs_again(ward_copy):
    raw = yaml.safe_load(ward_copy.read_text(encoding="utf-8"))
    raw["service"]["schedule"]["every_minutes"] = 0.02
    ward_copy.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    store_path = ward_copy.parent / "sheetsync.db"
    srv = Server(ward_copy)
    try:
        state_store = open_store(store_path)
        state = WebState(state_store)
        deadline = time.time() + 120
        while time.time() < deadline and not state.locks():
            time.sleep(0.02)
        assert state.locks(), "no sync started"
        os.kill(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait()
        killed_at = dt.datetime.now()
        assert any(lk["holder"].split(":")[1] == str(srv.proc.pid) for lk in state.locks().values())
        # Workbooks and store intact.
        check = service.validate([str(ward_copy)], store=False, as_of=AS_OF)
        assert not check.problems and all(u.error is None for u in check.units)
        assert state_store.check() == []
        state_store.close()
        # Restarted: the dead process's lock is taken over and every unit synced on the next tick.
        srv2 = Server(ward_copy)
        try:
            store2 = open_store(store_path)
            state2 = WebState(store2)
            deadline = time.time() + 180
            while time.time() < deadline:
                states = state2.unit_states(with_result=False)
                if all(s["synced_at"] > killed_at and s["status"] == "ok" for s in states.values()):
                    break
                time.sleep(0.5)
            states = state2.unit_states(with_result=False)
            assert all(s["synced_at"] > killed_at and s["status"] == "ok" for s in states.values()), states
            assert store2.check() == []
            store2.close()
            assert httpx.get(srv2.url + "/dang-nhap").status_code == 200
        finally:
            srv2.stop()
    finally:
        srv.stop()


def test_a_ward_synced_from_the_command_line_first_gets_its_pages_on_the_first_tick(tmp_path):
    from conftest import make_ward

    ward_file = make_ward(tmp_path / "cli-first")
    assert service.sync([str(ward_file)], as_of=AS_OF).exit_code in (0, 1)  # the store knows every unit now
    ward = open_ward(ward_file)
    try:
        rep = tick(ward, TODAY)
        assert all(o.status == "ok" for o in rep.outcomes)
        state = ward.state.unit_state("Phòng Alpha")
        assert state["result"]["names"]["AL02"] == "Lê Thị Hoa" and "2026-11" in state["result"]["months"]
        again = tick(ward, TODAY)  # unchanged: reused, the page state kept as it is
        assert all(o.status == "ok" for o in again.outcomes)
        assert ward.state.unit_state("Phòng Alpha")["result"] == state["result"]
    finally:
        ward.close()


def test_started_outside_working_hours_the_units_never_shown_are_synced_once(tmp_path):
    from conftest import make_ward

    from sheetsync.web.scheduler import catch_up

    ward_file = make_ward(tmp_path / "evening")
    ward = open_ward(ward_file)
    try:
        sync_unit(ward, ward.units[0], as_of=TODAY)  # one unit already on the pages
        before = ward.state.unit_state(ward.units[0].name)["synced_at"]
        rep = catch_up(ward, TODAY)
        assert [o.unit for o in rep.outcomes] == [u.name for u in ward.units[1:]]
        assert all(o.status == "ok" for o in rep.outcomes)
        assert ward.state.unit_state(ward.units[0].name)["synced_at"] == before  # not synced again
        assert catch_up(ward, TODAY) is None  # every unit shown: nothing to do
    finally:
        ward.close()
