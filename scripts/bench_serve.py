"""Benchmark of `sheetsync serve` on a 50-unit ward: page latency under 20 concurrent users,
one scheduled tick over 50 unchanged units (wall and CPU time of the tick, user+sys of this
process; API requests; the 1-minute load average at its end), the service's memory.

    python scripts/bench_serve.py                 # 50 units (the demo ward's workbooks, copied)
    python scripts/bench_serve.py --units 20 --users 10 --requests 400

The ward: `sheetsync demo` (6 units, 84 people, October 2026) copied under new unit names until
there are --units units. The service runs as its own process on 127.0.0.1 (`sheetsync serve
--no-schedule`); the load is --users threads, each logged in, requesting the dashboard and unit
pages in turn until --requests requests have been answered (bounded in count, local only).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import yaml

AS_OF = "2026-10-30"
PASSWORD = "mat-khau-do-hieu-nang"


def build_ward(root: Path, n_units: int) -> Path:
    from sheetsync.config.ward import write_ward

    demo = root / "demo"
    subprocess.run([sys.executable, "-m", "sheetsync.cli", "demo", "--out", str(demo), "--format", "xlsx"],
                   check=True, capture_output=True)
    base = yaml.safe_load((demo / "ward.yaml").read_text(encoding="utf-8"))
    ward_dir = root / "ward"
    ward_dir.mkdir()
    units = []
    for i in range(n_units):
        src = base["units"][i % len(base["units"])]
        name = f"{src['name']} {i // len(base['units']) + 1:02d}"
        file = f"unit-{i + 1:03d}.xlsx"
        shutil.copyfile(demo / src["source"], ward_dir / file)
        units.append({"name": name, "source": file})
    fields = {k: base[k] for k in ("office", "issuing_body", "place") if k in base}
    return write_ward(ward_dir / "ward.yaml", base["ward"], units, profile=base.get("profile"), **fields)


def timed_tick(ward_file: Path) -> dict:
    from datetime import date

    from sheetsync.web.jobs import open_ward
    from sheetsync.web.scheduler import tick

    ward = open_ward(ward_file)
    try:
        cpu0 = time.process_time()
        rep = tick(ward, date.fromisoformat(AS_OF))
        cpu = time.process_time() - cpu0
    finally:
        ward.close()
    return {"seconds": round(rep.seconds, 2), "cpu_seconds": round(cpu, 2),
            "per_unit_ms": round(rep.seconds * 1000 / max(len(rep.outcomes), 1), 1), "units": len(rep.outcomes),
            "ok": rep.count("ok"), "requests": rep.requests, "load": round(os.getloadavg()[0], 1)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> dict:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            key, value = line.split(":")
            out[key] = int(value.split()[0])
    return out


def load(base: str, paths: list[str], users: int, total: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"dashboard": [], "unit": []}
    lock = threading.Lock()
    counter = iter(range(total))

    def worker(n: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            r = c.get("/dang-nhap")
            token = r.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            c.post("/dang-nhap", data={"username": "admin", "password": PASSWORD, "csrf": token, "next": "/"})
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                path = paths[i % len(paths)]
                t0 = time.perf_counter()
                r = c.get(path)
                dt = time.perf_counter() - t0
                assert r.status_code == 200, (path, r.status_code)
                with lock:
                    times["dashboard" if path == "/" else "unit"].append(dt)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=50)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--keep", help="build the ward in this folder and keep it")
    args = ap.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-serve-"))
    root.mkdir(parents=True, exist_ok=True)
    from sheetsync.web.jobs import open_ward, slug
    from sheetsync.web.views import add_user

    t0 = time.perf_counter()
    ward_file = build_ward(root, args.units)
    build_s = time.perf_counter() - t0
    w = open_ward(ward_file)
    add_user(w, "admin", PASSWORD, "admin", [])
    units = [u.name for u in w.units]
    w.close()
    first = timed_tick(ward_file)
    # Months whose every rating was approved are frozen by the first tick; the next one evaluates
    # those units once more under their frozen state. The tick after that is the steady state.
    freezing = timed_tick(ward_file)
    again = timed_tick(ward_file)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sheetsync.cli", "serve", str(ward_file), "--port", str(port),
                             "--no-schedule", "--as-of", AS_OF], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/dang-nhap", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        idle = rss_kb(proc.pid)
        paths = []
        for u in units:
            paths += ["/", f"/don-vi/{slug(u)}"]
        load(base, paths, 2, 40)  # warm-up
        t1 = time.perf_counter()
        times = load(base, paths, args.users, args.requests)
        wall = time.perf_counter() - t1
        mem = rss_kb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    result = {
        "units": args.units, "users": args.users, "requests": sum(len(v) for v in times.values()),
        "build_seconds": round(build_s, 1), "first_tick": first, "tick_after_freezing": freezing, "unchanged_tick": again,
        "pages": {k: {"n": len(v), "p50_ms": round(pct(v, 0.5), 1), "p95_ms": round(pct(v, 0.95), 1),
                      "mean_ms": round(statistics.mean(v) * 1000, 1)} for k, v in times.items()},
        "throughput_rps": round(sum(len(v) for v in times.values()) / wall, 1),
        "memory_mb": {"idle": round(idle.get("VmRSS", 0) / 1024, 1), "after_load": round(mem.get("VmRSS", 0) / 1024, 1),
                      "peak": round(mem.get("VmHWM", 0) / 1024, 1)},
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
