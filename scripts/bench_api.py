"""Benchmark: Google Sheets API requests and wall time of a ward sync, sheetsync's Google backend
beside a naive gspread approach, on the offline emulator.

    python scripts/bench_api.py                # a ward of 50 units
    python scripts/bench_api.py --units 10 --latency-ms 150   # with a network's latency

The ward: the demo ward's six realistic unit workbooks (sheetsync.demo), copied cell by cell
into 50 emulator spreadsheets (dates as serial numbers with a date format), twice: one set for
each approach, so both work on the same data. Three phases each:

1. first sync (every status, score and the summary tab written),
2. unchanged re-sync,
3. re-sync after one person changed one cell in one unit.

sheetsync: `api.sync` on a ward.yaml of `gsheet:` sources (one spreadsheets.get per unit, and
when something changed a key check, one values:batchUpdate and one spreadsheets.batchUpdate).
Naive: per unit `open_by_key`, `get_all_records` per tab, the same engine, then one
`update_cell` per status cell and a clear + update of the summary tab.

The emulator has no quota here, so wall times are the emulator's and the engine's; "at quota"
is the time Google's per-user quota (60 reads and 60 writes a minute) alone would impose.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import openpyxl


@dataclass
class Phase:
    name: str
    reads: int
    writes: int
    seconds: float
    per_unit_max: int
    failed: int = 0

    @property
    def total(self) -> int:
        return self.reads + self.writes

    @property
    def at_quota_minutes(self) -> float:
        return max(self.reads, self.writes) / 60.0


def cell_json(cell) -> dict:
    from sheetsync.backends.google.cells import python_to_serial

    v = cell.value
    if v is None:
        return {}
    if isinstance(v, bool):
        return {"userEnteredValue": {"boolValue": v}}
    if isinstance(v, (dt.date, dt.datetime)):
        return {"userEnteredValue": {"numberValue": python_to_serial(v)},
                "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "dd/mm/yyyy"}}}
    if isinstance(v, (int, float)):
        return {"userEnteredValue": {"numberValue": float(v)}}
    return {"userEnteredValue": {"stringValue": str(v)}}


def workbook_requests(path: Path) -> list[dict]:
    wb = openpyxl.load_workbook(path)
    requests = []
    for i, ws in enumerate(wb.worksheets, start=1):
        rows, cols = max(ws.max_row, 2), max(ws.max_column, 2)
        requests.append({"addSheet": {"properties": {"sheetId": i, "title": ws.title, "index": i,
                                                     "hidden": ws.sheet_state != "visible",
                                                     "gridProperties": {"rowCount": rows + 50, "columnCount": cols}}}})
        requests.append({"updateCells": {"start": {"sheetId": i, "rowIndex": 0, "columnIndex": 0},
                                         "rows": [{"values": [cell_json(c) for c in row]} for row in ws.iter_rows()],
                                         "fields": "userEnteredValue,userEnteredFormat.numberFormat"}})
        for m in ws.merged_cells.ranges:
            requests.append({"mergeCells": {"mergeType": "MERGE_ALL", "range": {
                "sheetId": i, "startRowIndex": m.min_row - 1, "endRowIndex": m.max_row,
                "startColumnIndex": m.min_col - 1, "endColumnIndex": m.max_col}}})
    return requests


def build_ward(gc, demo_units, n: int) -> list[tuple[str, str]]:
    units = []
    templates = [(u.name, workbook_requests(Path(u.source))) for u in demo_units]
    for i in range(n):
        name, reqs = templates[i % len(templates)]
        sh = gc.create(f"{name} {i + 1:02d}")
        sh.batch_update({"requests": reqs + [{"deleteSheet": {"sheetId": sh.sheet1.id}}]})
        units.append((f"{name} {i + 1:02d}", sh.id))
    return units


def counts(emu) -> tuple[int, int]:
    return emu.request_count["read"], emu.request_count["write"]


def sheetsync_phase(emu, ward: Path, name: str, as_of: str) -> Phase:
    from sheetsync import api

    per_unit: list[int] = []
    last = [sum(counts(emu))]

    def progress(_spec):
        now = sum(counts(emu))
        per_unit.append(now - last[0])
        last[0] = now

    emu.reset_counts()
    last[0] = 0
    start = time.perf_counter()
    result = api.sync([str(ward)], as_of=as_of, progress=progress)
    seconds = time.perf_counter() - start
    per_unit.append(sum(counts(emu)) - last[0])
    r, w = counts(emu)
    return Phase(name, r, w, seconds, max(per_unit[1:]), sum(1 for u in result.units if u.error))


def naive_unit(gc, sid: str, unit: str, as_of: str) -> None:
    import gspread

    from sheetsync.config.profile import load_profile
    from sheetsync.config.schema import load_schemas
    from sheetsync.engine.evaluate import engine_values, evaluate, plan_writes
    from sheetsync.engine.grid import SheetGrid

    schemas, profile = load_schemas(), load_profile("nd335")
    sh = gc.open_by_key(sid)
    grids = {}
    for tab in schemas.tabs.values():
        ws = sh.worksheet(tab.title)
        records = ws.get_all_records()
        header = list(records[0].keys()) if records else ws.row_values(1)
        rows = [header] + [[None if v == "" else v for v in rec.values()] for rec in records]
        grids[tab.title] = SheetGrid(tab.title, rows)
    ev = evaluate(grids, schemas, profile, as_of=as_of, unit=unit)
    plan = plan_writes(ev, grids, schemas)
    want = engine_values(ev)
    for name, frame in want.items():
        b = ev.bound[name]
        col = b.columns.get("check_status")
        if col is None or "check_status" not in frame:
            continue
        ws = sh.worksheet(b.title)
        for row, status in frame["check_status"].items():
            if isinstance(status, str):
                ws.update_cell(int(row), col, status)
    if plan.summary is not None:
        grid = [[c.value for c in row] for row in plan.summary.grid]
        try:
            ws = sh.worksheet(plan.summary.title)
            ws.clear()
            ws.resize(rows=max(len(grid), ws.row_count), cols=max(len(grid[0]), ws.col_count))
        except gspread.WorksheetNotFound:
            ws = sh.add_worksheet(plan.summary.title, rows=len(grid) + 20, cols=len(grid[0]))
        ws.update(grid, "A1")


def naive_phase(emu, gc, units: list[tuple[str, str]], name: str, as_of: str) -> Phase:
    emu.reset_counts()
    per_unit = []
    failed = 0
    start = time.perf_counter()
    for unit, sid in units:
        before = sum(counts(emu))
        try:
            naive_unit(gc, sid, unit, as_of)
        except Exception as exc:  # noqa: BLE001 — report and go on, like a ward sync
            failed += 1
            print(f"  naive: {unit}: {type(exc).__name__}: {exc}", file=sys.stderr)
        per_unit.append(sum(counts(emu)) - before)
    r, w = counts(emu)
    return Phase(name, r, w, time.perf_counter() - start, max(per_unit), failed)


def change_one_cell(gc, sid: str) -> None:
    from sheetsync.config.schema import load_schemas

    tab = load_schemas()["tasks"]
    ws = gc.open_by_key(sid).worksheet(tab.title)
    col = [f.key for f in tab.fields].index("done_qty") + 1
    ws.update_cell(3, col, 0)


def report(label: str, phases: list[Phase], n: int) -> None:
    print(f"\n{label}")
    print(f"  {'phase':<26}{'requests':>9}{'reads':>7}{'writes':>8}{'max/unit':>10}{'wall s':>9}{'at quota':>11}")
    for p in phases:
        print(f"  {p.name:<26}{p.total:>9}{p.reads:>7}{p.writes:>8}{p.per_unit_max:>10}{p.seconds:>9.1f}"
              f"{p.at_quota_minutes:>9.1f} m" + (f"  ({p.failed} units failed)" if p.failed else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--as-of", default="2026-10-28")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="network latency the emulator adds to every request (Google: ~100-300 ms)")
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()

    from sheets_emulator import EmulatorServer, FaultConfig
    from sheets_emulator.client import emulator_client
    from sheetsync.backends.google import backend as gsheets
    from sheetsync.config.ward import load_ward
    from sheetsync.demo import build_demo_ward

    emu = EmulatorServer(port=0).start()
    os.environ["SHEETSYNC_GOOGLE_API_URL"] = emu.url
    # The emulator has no quota unless asked: measure the work, not the pacing.
    os.environ["SHEETSYNC_GOOGLE_READS_PER_MINUTE"] = "0"
    os.environ["SHEETSYNC_GOOGLE_WRITES_PER_MINUTE"] = "0"
    gsheets._SESSIONS.clear()
    gc = emulator_client(emu.url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            demo = load_ward(build_demo_ward(Path(tmp) / "demo"))
            t0 = time.perf_counter()
            ours = build_ward(gc, demo.units, args.units)
            theirs = build_ward(gc, demo.units, args.units) if not args.skip_naive else []
            print(f"Ward of {args.units} units (demo workbooks, copied twice) built in "
                  f"{time.perf_counter() - t0:.1f} s on {emu.url}; latency {args.latency_ms:g} ms per request")
            emu.set_faults(FaultConfig(latency_ms=args.latency_ms))
            ward = Path(tmp) / "ward.yaml"
            ward.write_text("ward: Phường thử tải\nunits:\n" + "".join(
                f"  - name: {name}\n    source: gsheet:{sid}\n" for name, sid in ours), encoding="utf-8")

            phases = [sheetsync_phase(emu, ward, "first sync", args.as_of),
                      sheetsync_phase(emu, ward, "unchanged re-sync", args.as_of)]
            change_one_cell(gc, ours[len(ours) // 2][1])
            phases.append(sheetsync_phase(emu, ward, "one unit changed", args.as_of))
            report("sheetsync Google backend (api.sync)", phases, args.units)

            if theirs:
                naive = [naive_phase(emu, gc, theirs, "first sync", args.as_of),
                         naive_phase(emu, gc, theirs, "unchanged re-sync", args.as_of)]
                change_one_cell(gc, theirs[len(theirs) // 2][1])
                naive.append(naive_phase(emu, gc, theirs, "one unit changed", args.as_of))
                report("naive gspread (get_all_records per tab, update_cell per status)", naive, args.units)
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
