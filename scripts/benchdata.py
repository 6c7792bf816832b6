"""Synthetic data for the benchmarks: a `Nhiệm vụ` table as a backend reads it from a sheet
(mixed cell types, dates typed in every accepted form, decimal commas) with realistic errors."""

from __future__ import annotations

import numpy as np
import pandas as pd

STAFF = [f"CB{i:03d}" for i in range(1, 201)]
PRODUCTS = [f"SP{i:02d}" for i in range(1, 41)]
GROUPS = ["Trọng tâm", "Thường xuyên", "Phát sinh, đột xuất"]
REVIEWS = ["Đạt", "Trả lại", None, "Đạt", "Đạt"]


def tasks_frame(n: int, seed: int = 7, error_rate: float = 0.03) -> pd.DataFrame:
    """n task rows (index = sheet rows 2..n+1). About `error_rate` of rows carry a mistake."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-11-01") + pd.to_timedelta(rng.integers(0, 10, n), unit="D")
    due = start + pd.to_timedelta(rng.integers(3, 20, n), unit="D")
    done_date = start + pd.to_timedelta(rng.integers(1, 25, n), unit="D")
    qty = rng.integers(1, 10, n).astype(float)
    done = np.minimum(qty, rng.integers(0, 11, n)).astype(float)

    def as_cells(ts: pd.DatetimeIndex | pd.Series, form: np.ndarray) -> list:
        # Real date cells, serial numbers and text in the accepted forms, as sheets deliver them.
        out = []
        for t, f in zip(pd.DatetimeIndex(ts), form):
            if f == 0:
                out.append(t.to_pydatetime())
            elif f == 1:
                out.append(t.strftime("%d/%m/%Y"))
            elif f == 2:
                out.append(float((t - pd.Timestamp("1899-12-30")).days))
            else:
                out.append(t.strftime("%Y-%m-%d"))
        return out

    forms = rng.integers(0, 4, (3, n))
    df = pd.DataFrame({
        "task_id": [f"NV-{i:07d}" for i in range(n)],
        "month": np.where(rng.random(n) < 0.5, "11/2026", "2026-11").astype(object),
        "task_name": [f"Nhiệm vụ số {i}" for i in range(n)],
        "basis": "Kế hoạch 45/KH-UBND",
        "task_group": rng.choice(GROUPS, n).astype(object),
        "lead_unit": None,
        "owner_id": rng.choice(STAFF, n).astype(object),
        "collaborators": None,
        "product_code": rng.choice(PRODUCTS, n).astype(object),
        "assigned_qty": qty.astype(object),
        "start_date": as_cells(start, forms[0]),
        "due_date": as_cells(due, forms[1]),
        "output": "Báo cáo",
        "quality_criteria": "Đúng quy định",
        "progress_pct": np.where(rng.random(n) < 0.3, "80%", rng.integers(0, 101, n).astype(str)).astype(object),
        "done_qty": done.astype(object),
        "done_date": as_cells(done_date, forms[2]),
        "evidence": "https://vb.hanoi.gov.vn/x",
        "review": rng.choice(np.array(REVIEWS, dtype=object), n),
        "returns": rng.integers(0, 3, n).astype(float).astype(object),
        "delays": None,
        "excused": rng.choice(np.array(["Không", None, "Có"], dtype=object), n, p=[0.6, 0.35, 0.05]),
    }, index=pd.RangeIndex(2, n + 2))
    df = df.astype(object)
    # Decimal commas typed as text.
    comma = rng.random(n) < 0.05
    df.loc[comma, "assigned_qty"] = [f"{v:.0f},5" for v in qty[comma]]
    # Realistic errors, each on its own share of rows.
    bad = rng.random(n) < error_rate
    kinds = rng.integers(0, 8, n)
    idx = df.index.to_numpy()

    def put(kind: int, col: str, value) -> None:
        rows = idx[bad & (kinds == kind)]
        df.loc[rows, col] = value

    put(0, "assigned_qty", "hai")
    put(1, "due_date", "31/02/2026")
    put(2, "owner_id", "CB999")
    put(3, "product_code", "SP99")
    put(4, "basis", None)
    put(5, "task_group", "Quan trọng")
    put(6, "evidence", None)
    put(7, "review", "OK")
    dup = idx[bad & (kinds == 0)][:50]
    if len(dup) > 1:
        df.loc[dup, "task_id"] = "NV-DUP"
    return df


def weekly_rows(tasks: list[dict], seed: int = 3) -> list[dict]:
    """A year of `Báo cáo tuần` for the given task rows (dicts with task_id, owner_id, start_date,
    due_date, done_date as dates): the owner reports every week from the start to the week of the
    done date (or of the due date), progress rising; some weeks are skipped, some carry obstacles
    and proposals, some are sent after Friday. Weeks are written the ways people write them."""
    import datetime as dt
    import random

    rng = random.Random(seed)
    out = []
    for t in tasks:
        first = t["start_date"] - dt.timedelta(days=t["start_date"].weekday())
        last = t.get("done_date") or t["due_date"]
        weeks = []
        day = first
        while day <= last:
            weeks.append(day)
            day += dt.timedelta(days=7)
        progress = 0
        for i, monday in enumerate(weeks):
            if rng.random() < 0.1:
                continue  # a week without a report
            progress = min(100, progress + rng.randint(10, 40)) if i < len(weeks) - 1 else 100
            iso = monday.isocalendar()
            form = rng.random()
            week = (f"{iso[0]}-W{iso[1]:02d}" if form < 0.6 else f"Tuần {iso[1]}/{iso[0]}" if form < 0.8
                    else monday + dt.timedelta(days=rng.randint(0, 4)))
            trouble = rng.random() < 0.08
            out.append({"staff_id": t["owner_id"], "week": week, "task_id": t["task_id"], "progress_pct": progress,
                        "work_done": f"Thực hiện {t['task_id']} tuần {iso[1]}",
                        "obstacles": "Chờ ý kiến phối hợp của phòng chuyên môn" if trouble else None,
                        "proposals": "Đề nghị lãnh đạo đôn đốc" if trouble else None,
                        "report_date": monday + dt.timedelta(days=4 if rng.random() < 0.85 else rng.randint(5, 9))})
    return out
