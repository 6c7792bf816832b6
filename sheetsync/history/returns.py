"""Returns of work, as the history store remembers them.

Every sync with a store records each task row's inputs, so each return (the `Số lần trả lại`
count) and the reason written with it (`Lý do trả lại`) stay in the record even when the
sheet is edited later. Two uses:
- `check_returns`, called by the service after `evaluate` and before `plan_writes`: a task row
  whose return count is now lower than the highest count recorded for it gets a warning
  (`task.returns-decreased`), so the count cannot silently go down. Frozen months are left
  to `apply_freeze`, which reports every edit to them.
- `return_log`: every recorded return of a unit's tasks with its reason and when it was first
  recorded, for a manager or an inspector to read back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sheetsync.engine.findings import COLUMNS, WARNING
from sheetsync.history.capture import row_keys
from sheetsync.text import shorten

if TYPE_CHECKING:
    from sheetsync.history.store import Store
    from sheetsync.results import Evaluation

CODE = "task.returns-decreased"
LOG_COLUMNS = ["row_key", "task_id", "month", "returns", "reason", "recorded_at"]


def _count(v) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if np.isnan(f) else f


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}".replace(".", ",")


def return_log(store: Store, unit: str, months: list[str] | None = None) -> pd.DataFrame:
    """Each return recorded for the unit's tasks: the first record of every (task, count,
    reason) with a count above zero, oldest first (LOG_COLUMNS)."""
    hist = store.row_history(unit, "tasks", months)
    if hist.empty:
        return pd.DataFrame(columns=LOG_COLUMNS)
    recs = []
    for key, data, month, at in zip(hist["row_key"], hist["data"], hist["month"], hist["recorded_at"]):
        n = _count((data or {}).get("returns"))
        if n > 0:
            recs.append({"row_key": key, "task_id": (data or {}).get("task_id"), "month": month, "returns": n,
                         "reason": (data or {}).get("return_reason"), "recorded_at": at})
    log = pd.DataFrame(recs, columns=LOG_COLUMNS)
    if log.empty:
        return log
    log = log.sort_values("recorded_at", kind="stable")
    return log.drop_duplicates(["row_key", "returns", "reason"], keep="first").reset_index(drop=True)


def check_returns(store: Store, unit: str, ev: Evaluation) -> int:
    """Warn on task rows whose return count went down from the record; adds the findings to
    `ev` in place and returns how many rows were flagged."""
    tab = ev.tabs.get("tasks")
    if tab is None or "returns" not in tab.values or "month" not in tab.values:
        return 0
    rows = tab.rows
    frozen = set(store.frozen_months(unit))
    months = tab.values.loc[rows, "month"]
    open_rows = rows[(months.notna() & ~months.isin(frozen)).to_numpy(dtype=bool)]
    if not len(open_rows):
        return 0
    wanted = sorted({m for m in months.loc[open_rows] if isinstance(m, str)})
    hist = store.row_history(unit, "tasks", wanted, nonzero="returns")
    if hist.empty:
        return 0
    counts = hist["data"].map(lambda d: _count((d or {}).get("returns")))
    hist = hist.assign(_n=counts)
    hist = hist[hist["_n"] > 0]
    if hist.empty:
        return 0
    # Per row key: the highest count recorded, when first recorded, and the reason then.
    best = hist.sort_values(["_n", "recorded_at"], ascending=[False, True], kind="stable") \
        .drop_duplicates("row_key", keep="first").set_index("row_key")
    keys = row_keys(tab).reindex(open_rows)
    now = tab.values.loc[open_rows, "returns"].map(_count)
    if "returns" in tab.errors:
        bad = tab.errors["returns"].reindex(open_rows).fillna(False).astype(bool)
        now, keys = now[~bad], keys[~bad]
    recorded = keys.map(best["_n"])
    down = (now < recorded - 1e-9).fillna(False)
    if not down.any():
        return 0
    letter = tab.letters.get("returns")
    recs = []
    for r in down.index[down.to_numpy(dtype=bool)]:
        b = best.loc[keys[r]]
        reason = (b["data"] or {}).get("return_reason")
        why = f" (lý do đã ghi: {shorten(str(reason), 60)})" if reason else ""
        recs.append({"tab": tab.title, "row": int(r), "cell": f"{letter}{r}" if letter else None,
                     "column": tab.header("returns"), "severity": WARNING, "code": CODE, "key": keys[r],
                     "message": f"Số lần trả lại giảm từ {_num(b['_n'])} (đã ghi nhận ngày "
                                f"{pd.Timestamp(b['recorded_at']):%d/%m/%Y}{why}) xuống {_num(now[r])}; số lần trả "
                                f"lại không được giảm, cần ghi lại {_num(b['_n'])}."})
    added = pd.DataFrame(recs, columns=COLUMNS)
    out = pd.concat([f for f in (ev.findings, added) if len(f)], ignore_index=True)[COLUMNS]
    out["row"] = out["row"].astype("Int64")
    ev.findings = out
    return len(recs)
