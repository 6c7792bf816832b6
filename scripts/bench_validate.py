"""Benchmark: sheetsync's validation of a `Nhiệm vụ` table against frictionless-py and pandera
checking the same constraints on the same data.

    pip install -e ".[bench]"
    python scripts/bench_validate.py                 # 1,000,000 rows
    python scripts/bench_validate.py --rows 200000

Each tool runs in its own process (so peak memory is its own) on the same pickled table: the
cells as a sheet backend delivers them (real dates, serial numbers and dates as text, decimal
commas, ~3% malformed rows). frictionless is row-by-row and slow, so by default it checks the
first 200,000 rows and its rate is reported per row; pass --frictionless-rows to change that.

Constraints checked by all three: required fields, unique task ids, enumerations (task group,
review, yes/no), references (owner among 200 staff codes, product among 40 product codes),
numbers > 0 / ≥ 0 / 0..100 / whole numbers, dates and months in the accepted forms, due date not
before start date, completion date and evidence required when something is done.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdata import GROUPS, PRODUCTS, STAFF, tasks_frame  # noqa: E402

REQUIRED = ["task_id", "month", "task_name", "basis", "task_group", "owner_id", "product_code", "assigned_qty",
            "start_date", "due_date", "output", "quality_criteria"]
REVIEWS = ["Chưa duyệt", "Đạt", "Trả lại"]
YESNO = ["Có", "Không"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the three contenders ----------------------------------------------------------------------

def run_sheetsync(df):
    import pandas as pd

    from sheetsync.config.schema import load_schemas
    from sheetsync.engine.findings import Findings
    from sheetsync.engine.validate import check_references, validate_frame

    schemas = load_schemas()
    findings = Findings()
    staff = validate_frame(schemas["staff"], pd.DataFrame({"staff_id": STAFF}, dtype=object), findings)
    cat = validate_frame(schemas["catalogue"], pd.DataFrame({"product_code": PRODUCTS}, dtype=object), findings)
    findings = Findings()
    tasks = validate_frame(schemas["tasks"], df, findings)
    check_references(tasks, {"staff": (staff, "staff_id"), "catalogue": (cat, "product_code")}, findings)
    return len(findings)


def run_frictionless(df):
    from frictionless import Checklist, Resource, Schema, checks

    fields = [
        {"name": "task_id", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "month", "type": "string", "constraints": {"required": True, "pattern": r"(\d{1,2}/\d{4})|(\d{4}-\d{2})"}},
        {"name": "task_name", "type": "string", "constraints": {"required": True}},
        {"name": "basis", "type": "string", "constraints": {"required": True}},
        {"name": "task_group", "type": "string", "constraints": {"required": True, "enum": GROUPS}},
        {"name": "lead_unit", "type": "string"},
        {"name": "owner_id", "type": "string", "constraints": {"required": True, "enum": STAFF}},
        {"name": "collaborators", "type": "string"},
        {"name": "product_code", "type": "string", "constraints": {"required": True, "enum": PRODUCTS}},
        {"name": "assigned_qty", "type": "number", "constraints": {"required": True, "minimum": 1e-9}},
        {"name": "start_date", "type": "date", "format": "%d/%m/%Y", "constraints": {"required": True}},
        {"name": "due_date", "type": "date", "format": "%d/%m/%Y", "constraints": {"required": True}},
        {"name": "output", "type": "string", "constraints": {"required": True}},
        {"name": "quality_criteria", "type": "string", "constraints": {"required": True}},
        {"name": "progress_pct", "type": "string"},
        {"name": "done_qty", "type": "number", "constraints": {"minimum": 0}},
        {"name": "done_date", "type": "date", "format": "%d/%m/%Y"},
        {"name": "evidence", "type": "string"},
        {"name": "review", "type": "string", "constraints": {"enum": REVIEWS}},
        {"name": "returns", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "delays", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "excused", "type": "string", "constraints": {"enum": YESNO}},
    ]
    header = [f["name"] for f in fields]
    rows = [header] + df[header].astype(object).where(df[header].notna(), None).values.tolist()
    checklist = Checklist(checks=[
        checks.row_constraint(formula="due_date is None or start_date is None or due_date >= start_date"),
        checks.row_constraint(formula="done_qty is None or done_qty <= 0 or (done_date is not None and evidence is not None)"),
    ])
    resource = Resource(data=rows, schema=Schema.from_descriptor({"fields": fields}))
    report = resource.validate(checklist, limit_errors=10**9)
    return sum(len(t.errors) for t in report.tasks)


def run_pandera(df):
    import pandas as pd
    import pandera.pandas as pa

    def parse_number(s):
        t = s.where(~s.map(lambda v: isinstance(v, bool)))
        txt = t.astype(str).str.strip().str.replace(",", ".", regex=False).str.rstrip("%")
        return pd.to_numeric(txt.where(t.notna()), errors="coerce")

    def parse_date(s):
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        is_num = s.map(lambda v: isinstance(v, float))
        out[is_num] = pd.Timestamp("1899-12-30") + pd.to_timedelta(s[is_num].astype(float), unit="D")
        is_dt = s.map(lambda v: hasattr(v, "year"))
        out[is_dt] = pd.to_datetime(s[is_dt])
        text = s.where(s.map(lambda v: isinstance(v, str)))
        for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"):
            todo = out.isna() & text.notna()
            if todo.any():
                out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        return out

    def number_check(lo, strict=False, hi=None, whole=False):
        def check(s):
            v = parse_number(s)
            ok = v.gt(lo) if strict else v.ge(lo)
            if hi is not None:
                ok &= v.le(hi)
            if whole:
                ok &= v.eq(v.round())
            return ok | s.isna()
        return pa.Check(check)

    def date_check(s):
        return parse_date(s).notna() | s.isna()

    text_required = pa.Check(lambda s: s.astype(str).str.strip().ne(""))
    month = pa.Check(lambda s: s.astype(str).str.match(r"^(\d{1,2}/\d{4}|\d{4}-\d{2})$"))
    cols = {
        "task_id": pa.Column(object, nullable=False, unique=True, checks=text_required),
        "month": pa.Column(object, nullable=False, checks=month),
        "task_name": pa.Column(object, nullable=False, checks=text_required),
        "basis": pa.Column(object, nullable=False, checks=text_required),
        "task_group": pa.Column(object, nullable=False, checks=pa.Check.isin(GROUPS)),
        "owner_id": pa.Column(object, nullable=False, checks=pa.Check.isin(STAFF)),
        "product_code": pa.Column(object, nullable=False, checks=pa.Check.isin(PRODUCTS)),
        "assigned_qty": pa.Column(object, nullable=False, checks=number_check(0, strict=True)),
        "start_date": pa.Column(object, nullable=False, checks=pa.Check(date_check)),
        "due_date": pa.Column(object, nullable=False, checks=pa.Check(date_check)),
        "output": pa.Column(object, nullable=False, checks=text_required),
        "quality_criteria": pa.Column(object, nullable=False, checks=text_required),
        "progress_pct": pa.Column(object, nullable=True, checks=number_check(0, hi=100)),
        "done_qty": pa.Column(object, nullable=True, checks=number_check(0)),
        "done_date": pa.Column(object, nullable=True, checks=pa.Check(date_check)),
        "evidence": pa.Column(object, nullable=True),
        "review": pa.Column(object, nullable=True, checks=pa.Check.isin(REVIEWS)),
        "returns": pa.Column(object, nullable=True, checks=number_check(0, whole=True)),
        "delays": pa.Column(object, nullable=True, checks=number_check(0, whole=True)),
        "excused": pa.Column(object, nullable=True, checks=pa.Check.isin(YESNO)),
    }

    def dates_in_order(d):
        s, e = parse_date(d["start_date"]), parse_date(d["due_date"])
        return ~(e < s)

    def done_needs_date_and_evidence(d):
        done = parse_number(d["done_qty"]).fillna(0) > 0
        return ~done | (d["done_date"].notna() & d["evidence"].notna())

    schema = pa.DataFrameSchema(cols, checks=[pa.Check(dates_in_order), pa.Check(done_needs_date_and_evidence)],
                                strict=False)
    try:
        schema.validate(df, lazy=True)
        return 0
    except pa.errors.SchemaErrors as exc:
        return len(exc.failure_cases)


TOOLS = {"sheetsync": run_sheetsync, "frictionless": run_frictionless, "pandera": run_pandera}


def child(tool: str, data: str, rows: int | None) -> None:
    with open(data, "rb") as fh:
        df = pickle.load(fh)
    if rows:
        df = df.iloc[:rows]
    base = peak_mb()
    t0 = time.perf_counter()
    found = TOOLS[tool](df)
    seconds = time.perf_counter() - t0
    print(json.dumps({"tool": tool, "rows": len(df), "seconds": seconds, "rows_per_s": len(df) / seconds,
                      "findings": int(found), "peak_mb": peak_mb(), "peak_over_data_mb": peak_mb() - base}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--frictionless-rows", type=int, default=200_000)
    ap.add_argument("--tools", default="sheetsync,pandera,frictionless")
    ap.add_argument("--only", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.only:
        child(args.only, args.data, args.limit)
        return

    print(f"Tạo bảng Nhiệm vụ {args.rows:,} hàng ...", flush=True)
    t0 = time.perf_counter()
    df = tasks_frame(args.rows)
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as fh:
        pickle.dump(df, fh)
        data = fh.name
    print(f"  xong sau {time.perf_counter() - t0:.1f} s", flush=True)
    results = {}
    try:
        for tool in args.tools.split(","):
            limit = min(args.rows, args.frictionless_rows) if tool == "frictionless" else None
            print(f"Đo {tool} trên {limit or args.rows:,} hàng ...", flush=True)
            out = subprocess.run([sys.executable, __file__, "--only", tool, "--data", data] +
                                 (["--limit", str(limit)] if limit else []),
                                 capture_output=True, text=True)
            if out.returncode != 0:
                print(out.stderr[-2000:], file=sys.stderr)
                continue
            results[tool] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        os.unlink(data)

    print()
    print(f"{'công cụ':<13}{'hàng':>11}{'giây':>9}{'hàng/giây':>12}{'phát hiện':>11}{'RAM đỉnh (MB)':>15}"
          f"{'trên dữ liệu (MB)':>19}")
    for tool, r in results.items():
        print(f"{tool:<13}{r['rows']:>11,}{r['seconds']:>9.2f}{r['rows_per_s']:>12,.0f}{r['findings']:>11,}"
              f"{r['peak_mb']:>15,.0f}{r['peak_over_data_mb']:>19,.0f}")
    s = results.get("sheetsync")
    if s:
        for other in ("frictionless", "pandera"):
            if other in results:
                print(f"sheetsync / {other}: {s['rows_per_s'] / results[other]['rows_per_s']:.1f}× (hàng mỗi giây)")
    import platform
    print(f"\nMáy: {platform.processor() or platform.machine()}, {os.cpu_count()} lõi, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
