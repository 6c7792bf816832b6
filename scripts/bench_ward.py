"""Benchmark: what a ward pays per sync when little or nothing changed, as whole processes
(`sheetsync ...` started afresh each time, as a scheduler runs it).

    python scripts/bench_ward.py                 # 50 small units: the demo ward's six workbooks, copied
    python scripts/bench_ward.py --units 100
    python scripts/bench_ward.py --year          # also the demo ward built for a whole year
    python scripts/bench_ward.py --startup       # only the start-up lines (--help, validate, import pandas)

Measured, each as the median of --repeat runs:
- `sheetsync --help` and `sheetsync validate` of one small unit (start-up cost), beside a bare
  `python -c "import pandas"` (what any pandas-based command pays before doing anything);
- the ward: first sync, then unchanged syncs, then a sync after one cell of one unit changed;
  the per-unit overhead of an unchanged sync = (its time - the start-up of `--help`) / units;
- with --year: the demo ward of twelve months, unchanged sync beside a plain script that
  imports pandas and reads every sheet of the ward's workbooks with python-calamine.

sheetsync is measured as installed: its modules are compiled to .pyc first (`python -m
compileall`) and the runs do not set PYTHONDONTWRITEBYTECODE, so an editable checkout in an
environment that forbids bytecode does not pay for compiling every module on every start.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

BIN = Path(sys.executable).with_name("sheetsync")
READ_ALL = """
import sys
import pandas  # noqa: F401 — what any pandas-based tool pays at start
import python_calamine
for path in sys.argv[1:]:
    book = python_calamine.CalamineWorkbook.from_path(path)
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python(skip_empty_area=False)
"""

# Where one validate's CPU goes: the stages of `sheetsync validate` in one process, in order, with
# the process set up as the `sheetsync` program sets it (sheetsync.cli.startup). The
# last number is the CPU spent when the script's exit handler runs: what the whole process costs
# beyond it (`timed`) is the interpreter's exit.
STAGES = """
import atexit, sys, time
marks = [time.process_time()]
atexit.register(lambda: print(" ".join(f"{b - a:.3f}" for a, b in zip(marks, marks[1:])), f"{marks[0]:.3f}",
                              f"{time.process_time():.3f}"))
import sheetsync.cli  # noqa: F401 — click and the command table
from sheetsync import collector
from sheetsync.cli import startup
startup.begin()
marks.append(time.process_time())
with collector.loading():  # as sheetsync.cli.startup.load_service
    import pandas  # noqa: F401
    marks.append(time.process_time())
    import sheetsync.service as service
from sheetsync.backends.xlsx.backend import XlsxBackend
marks.append(time.process_time())
from sheetsync.config.profile import load_profile
from sheetsync.config.schema import load_schemas
from sheetsync.engine.evaluate import evaluate
grids = XlsxBackend(sys.argv[1]).read()
schemas, profile = load_schemas(), load_profile()
marks.append(time.process_time())
evaluate(grids, schemas, profile, as_of=sys.argv[2])
marks.append(time.process_time())
"""
STAGE_NAMES = ("click và bảng lệnh", "pandas + numpy", "mô-đun sheetsync (service, backend)",
               "đọc tệp + lược đồ, hồ sơ", "kiểm tra + chấm (evaluate)")
# The floor of any pandas-based command: the interpreter and `import pandas`, with the process set
# up as the `sheetsync` program sets it (sheetsync.collector's begin, then pandas imported under
# `loading`, run with sheetsync.cli.startup.NUMERIC_THREADS in the environment), without click.
PANDAS_FLOOR = """
from sheetsync import collector
collector.begin()
with collector.loading():
    import pandas  # noqa: F401
"""


@dataclass
class Timing:
    wall: float  # median wall time of the runs
    runs: list[float]
    cpu: float  # median CPU time (user + system): on a busy machine the wall time is mostly waiting

    def show(self) -> str:
        runs = f"; các lần {', '.join(f'{t:.2f}' for t in self.runs)}" if len(self.runs) > 1 else ""
        return f"{self.wall:>7.2f} s  (CPU {self.cpu:.2f} s{runs})"


def cpu_of_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], repeat: int, env=None) -> Timing:
    times, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), cpu_of_children()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        times.append(time.perf_counter() - t0)
        cpus.append(cpu_of_children() - c0)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return Timing(statistics.median(times), times, statistics.median(cpus))


def store_size(folder: Path) -> tuple[int, int]:
    """(rows in all tables, bytes of the database file once its write-ahead log is folded in)."""
    path = folder / "sheetsync.db"
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = sum(c.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    return rows, path.stat().st_size


def growth(before: tuple[int, int], after: tuple[int, int]) -> str:
    return f"{after[0] - before[0]:+,} hàng, {after[1] - before[1]:+,} byte"


def copy_ward(demo_ward: Path, out: Path, n: int) -> Path:
    """A ward of n units, each a copy of one of the demo ward's workbooks, under its own name."""
    demo = yaml.safe_load(demo_ward.read_text(encoding="utf-8"))
    units = []
    for i in range(n):
        src = demo["units"][i % len(demo["units"])]
        name = f"{src['name']} ({i + 1:02d})"
        target = out / f"don-vi-{i + 1:02d}.xlsx"
        shutil.copy(demo_ward.parent / src["source"], target)
        units.append({"name": name, "source": target.name})
    ward = {k: v for k, v in demo.items() if k != "units"} | {"units": units}
    path = out / "ward.yaml"
    path.write_text(yaml.safe_dump(ward, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def edit_one_cell(path: Path) -> None:
    """A person changes one done quantity in the unit's task list."""
    from sheetsync.backends.xlsx import ooxml
    from sheetsync.backends.xlsx.backend import XlsxBackend
    from sheetsync.config.schema import load_schemas

    title = load_schemas()["tasks"].title
    rows = XlsxBackend(path).read()[title].rows
    col = rows[0].index("Số lượng hoàn thành") + 1
    ooxml.patch_workbook(path, [ooxml.SheetPatch(title, cells={(3, col): 0})])


def line(name: str, t: Timing) -> None:
    print(f"  {name:<58}{t.show()}")


def note(name: str, text: str) -> None:
    print(f"  {'  → ' + name:<58}{text}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--as-of", default="2026-10-31")
    ap.add_argument("--year", action="store_true", help="also the demo ward built for twelve months")
    ap.add_argument("--startup", action="store_true", help="only the start-up measures, no ward")
    args = ap.parse_args()
    from sheetsync.cli import startup
    from sheetsync.demo import build_demo_ward

    env = dict(os.environ)
    env.pop("SHEETSYNC_STORE", None)  # the store beside the ward file, as by default
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules load from their .pyc
    import sheetsync

    compileall.compile_dir(Path(sheetsync.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        demo = build_demo_ward(tmp / "demo", months=["2026-10"])
        print(f"Khởi động (trung vị {args.repeat} lần):")
        help_t = timed([str(BIN), "--help"], args.repeat, env)
        line("sheetsync --help", help_t)
        line("python -c 'import pandas' (để so sánh)", timed([sys.executable, "-c", "import pandas"], args.repeat, env))
        line("  như trên, khởi động như sheetsync (sàn)",
             timed([sys.executable, "-c", PANDAS_FLOOR], args.repeat, {**env, **startup.NUMERIC_THREADS}))
        one = tmp / "one"
        one.mkdir()
        shutil.copy(demo.parent / "van-phong.xlsx", one / "van-phong.xlsx")
        line("sheetsync validate (một đơn vị nhỏ, chưa có kho lịch sử)",
             timed([str(BIN), "validate", str(one / "van-phong.xlsx"), "--as-of", args.as_of], args.repeat, env))
        runs, exits = [], []
        for _ in range(args.repeat):
            c0 = cpu_of_children()
            out = subprocess.run([sys.executable, "-c", STAGES, str(one / "van-phong.xlsx"), args.as_of],
                                 capture_output=True, text=True, env=env, check=True).stdout.split()
            runs.append(out)
            exits.append(cpu_of_children() - c0 - float(out[-1]))
        start = statistics.median(float(r[-2]) for r in runs)
        note("trình thông dịch khởi động (CPU)", f"{start:.3f} s")
        for i, name in enumerate(STAGE_NAMES):
            note(name + " (CPU)", f"{statistics.median(float(r[i]) for r in runs):.3f} s")
        note("thoát tiến trình (CPU)", f"{statistics.median(exits):.3f} s")
        kept = tmp / "kept"
        kept.mkdir()
        shutil.copy(demo.parent / "van-phong.xlsx", kept / "van-phong.xlsx")
        unit_sync = [str(BIN), "sync", str(kept / "van-phong.xlsx"), "--as-of", args.as_of]
        timed(unit_sync, 2, env)  # the second sync leaves the result to reuse (the first froze months)
        line("sheetsync validate (cùng đơn vị, không đổi từ lần đồng bộ trước)",
             timed([str(BIN), "validate", str(kept / "van-phong.xlsx"), "--as-of", args.as_of], args.repeat, env))
        if args.startup:
            return

        ward_dir = tmp / "ward"
        ward_dir.mkdir()
        ward = copy_ward(demo, ward_dir, args.units)
        sync = [str(BIN), "sync", str(ward), "--as-of", args.as_of]
        print(f"\nPhường {args.units} đơn vị nhỏ (bản sao 6 tệp của phường mẫu):")
        line("lần đầu", timed(sync, 1, env))
        line("lần hai (các tháng vừa khóa ở lần đầu được xét lại)", timed(sync, 1, env))
        size = store_size(ward_dir)
        same = timed(sync, args.repeat, env)
        grew = growth(size, store_size(ward_dir))
        line("không đổi gì", same)
        note("mỗi đơn vị (trừ khởi động của --help)", f"{(same.wall - help_t.wall) / args.units * 1000:.0f} ms, "
             f"CPU {(same.cpu - help_t.cpu) / args.units * 1000:.0f} ms")
        note(f"kho lịch sử sau {args.repeat} lần không đổi", grew)
        edit_one_cell(ward_dir / "don-vi-01.xlsx")
        line("sau khi sửa một ô ở một đơn vị", timed(sync, 1, env))

        if args.year:
            year_dir = tmp / "year"
            t0 = time.perf_counter()
            year = build_demo_ward(year_dir, months=[f"2026-{m:02d}" for m in range(1, 13)])
            print(f"\nPhường mẫu cả năm (01..12/2026), tạo trong {time.perf_counter() - t0:.0f} s:")
            ysync = [str(BIN), "sync", str(year), "--as-of", "2026-12-31"]
            line("lần đầu", timed(ysync, 1, env))
            line("lần hai", timed(ysync, 1, env))
            size = store_size(year_dir)
            y_same = timed(ysync, args.repeat, env)
            grew = growth(size, store_size(year_dir))
            books = sorted(str(p) for p in year_dir.glob("*.xlsx"))
            read_t = timed([sys.executable, "-c", READ_ALL, *books], args.repeat, env)
            line("không đổi gì", y_same)
            line("script: import pandas + đọc mọi trang bằng python-calamine", read_t)
            note("tỉ lệ", f"{y_same.wall / read_t.wall:.2f} × (CPU {y_same.cpu / read_t.cpu:.2f} ×)")
            note(f"kho lịch sử sau {args.repeat} lần không đổi", grew)


if __name__ == "__main__":
    main()
