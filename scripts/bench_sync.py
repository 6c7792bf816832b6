"""Benchmark: sync of a unit workbook that has grown for a year (20,000 task rows by default),
first sync, unchanged re-sync, and a re-sync after a person edited a handful of rows.

    python scripts/bench_sync.py              # 20,000 task rows, 200 people, 12 months
    python scripts/bench_sync.py --tasks 50000
    python scripts/bench_sync.py --weekly     # and the year's weekly reports (about 3 per task)

The edit is made with the same surgical writer the engine uses, so the timing of the measured
sync is not polluted by a full openpyxl save of the setup.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

import openpyxl
from benchdata import weekly_rows

from sheetsync.backends.xlsx import ooxml as xlsx_io
from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.backends.xlsx.init import init_workbook
from sheetsync.config.profile import load_profile
from sheetsync.config.schema import load_schemas
from sheetsync.service import run_unit


def build(path: Path, n_tasks: int, n_people: int, seed: int = 1, weekly: bool = False) -> int:
    """Write the workbook; returns the number of weekly report rows."""
    rng = random.Random(seed)
    schemas = load_schemas()
    init_workbook(path, schemas, "Đơn vị đo hiệu năng", overwrite=True)
    wb = openpyxl.load_workbook(path)

    def headers(tab):
        return [f.key for f in schemas[tab].input_fields if not f.optional_column]

    staff = wb["Cán bộ"]
    for i in range(n_people):
        row = {"staff_id": f"CB{i:04d}", "full_name": f"Người {i}", "category": "Công chức",
               "leader_role": "Người đứng đầu" if i == 0 else "Không", "manager_id": None if i == 0 else "CB0000"}
        staff.append([row.get(k) for k in headers("staff")])
    cat = wb["Danh mục sản phẩm"]
    for i in range(40):
        cat.append([f"SP{i:02d}", f"Sản phẩm {i}", "văn bản", rng.choice([0.5, 1, 1.5, 2])])
    tasks = wb["Nhiệm vụ"]
    task_rows = []
    months = [f"{m:02d}/2026" for m in range(1, 13)]
    for i in range(n_tasks):
        m = months[i * 12 // n_tasks]
        mm = int(m[:2])
        start = dt.date(2026, mm, 1)
        due = dt.date(2026, mm, rng.randint(10, 25))
        qty = rng.randint(1, 5)
        done = rng.randint(0, qty)
        row = {"task_id": f"NV{i:06d}", "month": m, "task_name": f"Nhiệm vụ {i}", "basis": "KH 1/KH-UBND",
               "task_group": "Thường xuyên", "owner_id": f"CB{rng.randrange(n_people):04d}",
               "product_code": f"SP{rng.randrange(40):02d}", "assigned_qty": qty, "start_date": start, "due_date": due,
               "output": "Báo cáo", "quality_criteria": "Đúng hạn", "done_qty": done,
               "done_date": due if done else None, "evidence": "vb" if done else None,
               "review": "Đạt" if done else None, "returns": 0}
        tasks.append([row.get(k) for k in headers("tasks")])
        task_rows.append(row)
    ev = wb["Đánh giá tháng"]
    for m in months:
        for i in range(n_people):
            row = {"staff_id": f"CB{i:04d}", "month": m, "self_general": 27, "self_rating": "B",
                   "self_date": dt.date(2026, int(m[:2]), 24), "mgr_general": 27,
                   "mgr_date": dt.date(2026, int(m[:2]), 25), "leader_e": 90 if i == 0 else None}
            ev.append([row.get(k) for k in headers("evaluations")])
    reports = weekly_rows(task_rows) if weekly else []
    ws = wb[schemas["weekly"].title]
    for row in reports:
        ws.append([row.get(k) for k in headers("weekly")])
    wb.save(path)
    return len(reports)


def timed_sync(path: Path, as_of: str, store=None) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_unit(XlsxBackend(path), load_schemas(), load_profile(), as_of=as_of, store=store,
                   record=store is not None)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"total": total, "cpu": cpu, "check_and_score": 0.0, "plan": 0.0, "write": 0.0, "record": 0.0, **res.seconds,
            "cells": res.plan.cell_count if res.written else 0,
            "summary": bool(res.written and res.plan.summary is not None), "reused": res.reused,
            "unread": res.unread}


def reuse_note(r: dict) -> str:
    if not r["reused"]:
        return ""
    return " (dùng lại kết quả, không đọc tệp)" if r["unread"] else " (dùng lại kết quả)"


def median_sync(path: Path, as_of: str, store=None, repeat: int = 3) -> dict:
    """Of `repeat` syncs, the one with the median ratio of its time to a read of the file made
    just before it (a busy machine makes single runs noisy)."""
    runs = []
    for _ in range(repeat):
        read, read_cpu = read_time(path, 1)  # read just before: on a busy machine the speed drifts
        r = timed_sync(path, as_of, store)
        runs.append({**r, "ratio": r["total"] / read, "cpu_ratio": r["cpu"] / read_cpu})
    runs.sort(key=lambda r: r["ratio"])
    return runs[len(runs) // 2]


def read_time(path: Path, repeat: int = 3) -> tuple[float, float]:
    """The median time to read the workbook (what any sync must pay at least), wall and CPU."""
    times = []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        XlsxBackend(path).read()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    return sorted(times)[len(times) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=20_000)
    ap.add_argument("--people", type=int, default=200)
    ap.add_argument("--edits", type=int, default=5)
    ap.add_argument("--weekly", action="store_true", help="fill the Báo cáo tuần tab for the year")
    ap.add_argument("--store", action="store_true", help="also record every sync in a SQLite history store")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "don-vi.xlsx"
        t0 = time.perf_counter()
        n_weekly = build(path, args.tasks, args.people, weekly=args.weekly)
        print(f"Tạo tệp {args.tasks:,} nhiệm vụ, {n_weekly:,} báo cáo tuần, {args.people} người × 12 tháng: "
              f"{time.perf_counter() - t0:.1f} s, "
              f"{path.stat().st_size / 1e6:.1f} MB")
        as_of = "2026-12-31"
        store = None
        if args.store:
            from sheetsync.history.store import open_store
            store = open_store(Path(tmp) / "sheetsync.db")
        rows = [("lần đầu (ghi toàn bộ cột hệ thống)", timed_sync(path, as_of, store)),
                ("không đổi gì (trung vị 3 lần)", median_sync(path, as_of, store))]
        # A person edits a handful of rows: done quantities in December's tasks.
        wb_cols = {c.value: c.column for c in next(openpyxl.load_workbook(path, read_only=True)["Nhiệm vụ"].iter_rows(max_row=1))}
        col = wb_cols["Số lượng hoàn thành"]
        edits = {(args.tasks + 1 - i * 7, col): 0 for i in range(args.edits)}
        xlsx_io.patch_workbook(path, [xlsx_io.SheetPatch("Nhiệm vụ", cells=edits)])
        before = read_time(path, 1)
        edited = timed_sync(path, as_of, store)
        rows.append((f"sau khi sửa {args.edits} ô", {**edited, "ratio": edited["total"] / before[0],
                                                     "cpu_ratio": edited["cpu"] / before[1]}))
        rows.append(("không đổi gì sau lần sửa (trung vị 3 lần)", median_sync(path, as_of, store)))
        read, read_cpu = read_time(path)
        print(f"\n{'lần đồng bộ':<38}{'tổng':>7}{'đọc':>7}{'kiểm tra+chấm':>15}{'lập kế hoạch':>14}{'ghi':>7}"
              f"{'lưu lịch sử':>13}{'ô ghi':>9}{'÷ đọc':>8}{'CPU':>7}{'÷ CPU đọc':>11}")
        for name, r in rows:
            print(f"{name:<38}{r['total']:>7.2f}{r['read']:>7.2f}{r['check_and_score']:>15.2f}{r['plan']:>14.2f}"
                  f"{r['write']:>7.2f}{r['record']:>13.2f}{r['cells']:>9,}{r.get('ratio', r['total'] / read):>7.1f}×"
                  f"{r['cpu']:>7.2f}{r.get('cpu_ratio', r['cpu'] / read_cpu):>10.1f}×"
                  f"{' +Tổng hợp' if r['summary'] else ''}{reuse_note(r)}")
        print(f"\nĐọc tệp (python-calamine, trung vị 3 lần): {read:.2f} s, CPU {read_cpu:.2f} s. Dòng trung vị và "
              "dòng sau khi sửa: tỉ lệ so với lần đọc ngay trước lần đồng bộ đó; các dòng khác: so với trung vị này.")
        if store is not None:
            store.close()


if __name__ == "__main__":
    main()
