"""What the weeks inside the month cost the ward service, on the demo ward (`sheetsync demo`):

- per unit, the CPU of a full sync as the service does it (`jobs.sync_unit`) and of the bottleneck
  report computed inside it (kept with the result, so no page computes it);
- per unit, a calendar feed (/lich/<token>.ics) fetched the first time (read from the workbook)
  and then from the cache: wall time and the service process's CPU.

    python scripts/bench_weeks_web.py
"""

from __future__ import annotations

import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "tests" / "web"),  # conftest.Server, Browserless
                str(Path(__file__).resolve().parents[1] / "tests")]

AS_OF = dt.date(2026, 11, 24)
PASSWORD = "mat-khau-do-hieu-nang"


def sync_costs(ward_file: Path) -> None:
    from sheetsync.web import jobs

    ward = jobs.open_ward(ward_file)
    real, spent = jobs._bottlenecks, {}

    def timed(w, u):
        t = time.process_time()
        out = real(w, u)
        spent[u.unit] = time.process_time() - t
        return out
    jobs._bottlenecks = timed
    try:
        for spec in ward.units:
            c0, w0 = time.process_time(), time.perf_counter()
            out = jobs.sync_unit(ward, spec, as_of=AS_OF)
            c1, w1 = time.process_time(), time.perf_counter()
            items = len((ward.state.unit_state(spec.name)["bottlenecks"] or {}).get("items", []))
            print(f"sync {spec.name}: {out.status}, CPU {c1 - c0:.2f} s (wall {w1 - w0:.2f} s); "
                  f"bottlenecks CPU {spent.get(spec.name, 0):.3f} s, {items} items")
    finally:
        jobs._bottlenecks = real
        ward.close()


def feed_costs(ward_file: Path) -> None:
    from conftest import Browserless, Server

    from sheetsync.web.jobs import open_ward
    from sheetsync.web.views import add_user

    ward = open_ward(ward_file)
    add_user(ward, "bench", PASSWORD, "admin", [])
    slugs = [ward.slug_of(u.name) for u in ward.units]
    ward.close()
    srv = Server(ward_file, "--no-schedule")
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        fields = Path(f"/proc/{srv.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick
    try:
        s = Browserless(srv.url)
        s.client.post("/dang-nhap", data={"username": "bench", "password": PASSWORD, "next": "/",
                                           "csrf": s.token()})
        # Each unit's link is shown once, in the answer to the button that makes it.
        urls = [re.search(r'value="(http[^"]+\.ics)"', s.client.post(
            f"/don-vi/{slug}/lich/tao-lai", data={"csrf": s.token(f"/don-vi/{slug}")}).text).group(1) for slug in slugs]
        with httpx.Client(timeout=120) as c:
            for slug, url in zip(slugs, urls):
                c0, t0 = cpu(), time.perf_counter()
                r = c.get(url)
                first, c1 = time.perf_counter() - t0, cpu()
                times = []
                for _ in range(4):
                    t = time.perf_counter()
                    c.get(url, headers={"If-None-Match": r.headers.get("etag", "")})
                    times.append(time.perf_counter() - t)
                c2 = cpu()
                print(f"feed {slug}: {r.status_code}, {len(r.content)} bytes; first {first * 1000:.0f} ms "
                      f"(service CPU {1000 * (c1 - c0):.0f} ms); cached, 304: median {1000 * statistics.median(times):.1f} ms "
                      f"(service CPU {1000 * (c2 - c1) / 4:.1f} ms each)")
    finally:
        srv.stop()


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-weeks-"))
    subprocess.run([sys.executable, "-m", "sheetsync.cli", "demo", "--out", str(root), "--format", "xlsx"],
                   check=True, capture_output=True)
    ward_file = root / "ward.yaml"
    raw = yaml.safe_load(ward_file.read_text(encoding="utf-8"))
    raw.setdefault("service", {})["calendar_per_minute"] = 1000
    ward_file.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    sync_costs(ward_file)
    feed_costs(ward_file)
    print(f"(ward in {root})")


if __name__ == "__main__":
    main()
