"""Tasks and the key results they serve (Mã kết quả then chốt on Nhiệm vụ, tab OKR).

A task may name a key result of the OKR tab; the link counts when the task's month lies in the
key result's period (a month, quarter or year), otherwise it is a warning on the task. From its
linked tasks, each key result gets:

- a progress (Tiến độ theo nhiệm vụ): the mean of its tasks' progress weighted by their
  converted weight (Quy đổi giao), a task's progress being its done share (Số lượng hoàn thành ÷
  Số lượng giao, at most 100%) once something is done, else its Tiến độ (%) (or its latest
  weekly report's), else 0. When the key result has no measured value (Giá trị thực hiện), its
  attainment is this progress (see `scoring.score_okr`);
- its alignment, written as text: the people who serve it through tasks (or the objective's own
  person) → its objective → the parent objectives up to the unit's objective.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetsync.engine.findings import Findings
from sheetsync.engine.validate import TabData
from sheetsync.engine.values import map_distinct
from sheetsync.text import normalize_key, normalize_keys

LINK_COLUMNS = ["task_progress", "task_count", "alignment"]
MAX_CHAIN = 12  # objective levels followed upwards before giving up (a cycle, or a runaway chain)


def _norm(s: pd.Series) -> pd.Series:
    return map_distinct(s, normalize_keys, vectorized=True)


def _usable(tab: TabData, key: str, default=np.nan) -> pd.Series:
    v = tab.on_rows(tab.values[key]) if key in tab.values else pd.Series(default, index=tab.rows)
    if key in tab.errors and tab.errors[key].to_numpy().any():  # (else `where` would only copy it)
        v = v.where(~tab.on_rows(tab.errors[key]).astype(bool))
    return v


def period_text(period: str) -> str:
    """'2026-Q4' → 'Q4/2026', '2026-11' → '11/2026', '2026' → '2026'."""
    if "-Q" in period:
        y, q = period.split("-Q")
        return f"Q{q}/{y}"
    if "-" in period:
        y, m = period.split("-")
        return f"{m}/{y}"
    return period


def _in_period(months: pd.Series, periods: pd.Series) -> pd.Series:
    """Whether each month ("YYYY-MM") lies in the period beside it (the month, its quarter
    "YYYY-Qn" or its year "YYYY"); an empty period takes any, a missing month lies in none.
    Pair by pair: a unit links a few dozen tasks, where string columns cost more than the work."""
    inside = []
    for m, p in zip(months.tolist(), periods.tolist()):
        if pd.isna(p):
            inside.append(True)
        elif pd.isna(m):
            inside.append(False)
        else:
            m, p = str(m), str(p)
            year = m[:4]
            inside.append(p in (m, year, f"{year}-Q{(int(m[5:7]) - 1) // 3 + 1}"))
    return pd.Series(inside, index=months.index, dtype=bool)


def task_completion(tasks: TabData, progress: pd.Series | None = None) -> pd.Series:
    """Each task row's progress in percent (see the module docstring). `progress`: the row's
    progress with weekly reports filled in (`weekly.task_progress`), default the row's own.
    Worked out on the rows' arrays (pandas' `where`/`fillna`/`clip`, each as numpy runs it)."""
    q = _usable(tasks, "assigned_qty").to_numpy(dtype="float64")
    done = _usable(tasks, "done_qty").to_numpy(dtype="float64")
    own = (progress.reindex(tasks.rows) if progress is not None else _usable(tasks, "progress_pct")) \
        .to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where((done > 0) & (q > 0), 100 * np.minimum(done, q) / q, np.nan)
    own = np.where(np.isnan(own) | ((own >= 0) & (own <= 100)), own, np.where(own < 0, 0, 100))
    out = np.where(np.isnan(share), own, share)
    return pd.Series(np.where(np.isnan(out), 0.0, out), index=tasks.rows)


def link_key_results(tasks: TabData, okr: TabData | None, weights: pd.Series | None, progress: pd.Series | None,
                     staff: TabData | None, findings: Findings) -> pd.DataFrame:
    """Check the task → key result links and compute, per OKR row, LINK_COLUMNS. `weights`: the
    converted weight per task row (NaN for rows scoring leaves out); None when not scored."""
    kr = _usable(tasks, "kr_id", None)
    linked = kr.notna()
    if okr is None:
        if linked.any():
            rows = linked.index[linked.to_numpy()]
            findings.add_many(tasks.title, rows, tasks.header("kr_id"), "error", "task.kr-without-okr",
                              "Nhiệm vụ ghi Mã kết quả then chốt nhưng bảng tính chưa có trang OKR; cần thêm "
                              "trang OKR có kết quả then chốt này, hoặc để trống ô.",
                              col_letter=tasks.letters.get("kr_id"))
            tasks.mark("kr_id", linked)
        return pd.DataFrame(columns=LINK_COLUMNS)
    o = okr.on_rows(okr.values)
    out = pd.DataFrame({"task_progress": np.nan, "task_count": 0, "alignment": None}, index=okr.rows)
    out["task_count"] = out["task_count"].astype(int)
    if "kr_id" not in o:
        return out
    kr_key = _norm(o["kr_id"])
    first = ~kr_key.duplicated() & kr_key.notna()
    row_of = pd.Series(kr_key.index[first.to_numpy()], index=kr_key[first].to_numpy())
    okr_row = _norm(kr).map(row_of)  # NaN: not linked, or an unknown code (a field.ref error already)
    period = o["period"] if "period" in o else pd.Series(None, index=o.index, dtype=object)
    month = _usable(tasks, "month", None)
    target_period = okr_row.map(period)
    outside = pd.Series(False, index=kr.index)
    if linked.any():
        on = (okr_row.notna() & month.notna()).to_numpy(dtype=bool)
        if on.any():
            outside[on] = ~_in_period(month[on], target_period[on]).to_numpy(dtype=bool)
    if outside.any():
        rows = outside.index[outside.to_numpy()]
        msgs = [f"Nhiệm vụ tháng {period_text(month[r])} phục vụ kết quả then chốt {kr[r]} của kỳ "
                f"{period_text(target_period[r])}; tiến độ của nhiệm vụ không được tính cho kết quả then chốt "
                "này. Cần ghi kết quả then chốt của kỳ chứa tháng của nhiệm vụ." for r in rows]
        findings.add_many(tasks.title, rows, tasks.header("kr_id"), "warning", "task.kr-period", msgs,
                          col_letter=tasks.letters.get("kr_id"))
    use = okr_row.notna() & ~outside
    names = staff_labels(staff)
    owner = tasks.on_rows(tasks.values["owner_id"]) if "owner_id" in tasks.values else \
        pd.Series(None, index=tasks.rows, dtype=object)
    if use.any():
        # The linked tasks as arrays: each key result's count and people by dict, its weighted
        # progress by pandas' grouped sums (their summation, as before).
        at = use.to_numpy(dtype=bool)
        t_okr = okr_row.to_numpy(dtype="float64")[at].astype(int)
        t_owner = owner.to_numpy(dtype=object)[at]
        t_p = task_completion(tasks, progress).to_numpy(dtype="float64")[at]
        t_w = (weights.reindex(use.index[at]).to_numpy(dtype="float64") if weights is not None
               else np.full(len(t_okr), np.nan))
        counts: dict = {}
        people: dict = {}
        for r, who in zip(t_okr.tolist(), t_owner.tolist()):
            counts[r] = counts.get(r, 0) + 1
            if isinstance(who, str):
                people.setdefault(r, set()).add(who)
        people = {r: sorted(people.get(r, ())) for r in sorted(counts)}
        out["task_count"] = np.array([counts.get(r, 0) for r in out.index.tolist()], dtype=int)
        with np.errstate(invalid="ignore"):
            heavy = ~np.isnan(t_w) & (t_w > 0)
        if heavy.any():
            group = pd.Series(t_okr[heavy])
            num = pd.Series(t_w[heavy] * t_p[heavy]).groupby(group).sum()
            den = pd.Series(t_w[heavy]).groupby(group).sum()
            progress_of = dict(zip(num.index.tolist(), (num / den).tolist()))
            out["task_progress"] = np.array([progress_of.get(r, np.nan) for r in out.index.tolist()],
                                            dtype="float64")
    else:
        people = {}
    out["alignment"] = _alignment(okr, o, people, out["task_count"], names)
    return out


def staff_names(staff: TabData | None) -> dict[str, str]:
    """Staff code as typed → full name ("" when the row has none), for every staff row."""
    if staff is None or "staff_id" not in staff.values:
        return {}
    v = staff.on_rows(staff.values)
    full = v["full_name"] if "full_name" in v else pd.Series(None, index=v.index)
    return {s: (n if isinstance(n, str) else "") for s, n in zip(v["staff_id"], full) if isinstance(s, str)}


def staff_labels(staff: TabData | None) -> dict[str, str]:
    """Staff code (normalised) → "code full name", as the summary and the OKR alignment name people."""
    return {normalize_key(s): f"{s} {n}" if n else s for s, n in staff_names(staff).items()}


def _alignment(okr: TabData, o: pd.DataFrame, people: dict, counts: pd.Series,
               names: dict[str, str]) -> list[str | None]:
    """'CB2 Trần Thị B (2 nhiệm vụ) → MT03 (Cá nhân) → MT02 (Phòng/bộ phận) → MT01 (Đơn vị)' per OKR row
    (the OKR tab is small: dozens of rows, so a plain loop)."""
    if "objective_id" not in o:
        return [None] * len(o)
    top = okr.schema.field("level").enum.canonical[0] if okr.schema.field("level").enum else None
    objectives: dict[str, tuple[str, str | None, str | None, str | None]] = {}
    for oid, level, parent, owner in zip(o["objective_id"], o.get("level", [None] * len(o)),
                                         o.get("parent_id", [None] * len(o)), o.get("owner", [None] * len(o))):
        if isinstance(oid, str):
            objectives.setdefault(normalize_key(oid), (oid, level, parent, owner))
    out: list[str | None] = []
    for r, oid in zip(o.index, o["objective_id"]):
        if not isinstance(oid, str):
            out.append(None)
            continue
        chain, seen, node, reached = [], set(), normalize_key(oid), False
        while node is not None and node not in seen and len(chain) < MAX_CHAIN:
            seen.add(node)
            known = objectives.get(node)
            if known is None:
                chain.append(f"{_shown(node, o)} (ngoài trang OKR)")
                break
            code, level, parent, _ = known
            chain.append(f"{code} ({level})" if isinstance(level, str) else code)
            reached = reached or (top is not None and level == top)
            node = normalize_key(parent) if isinstance(parent, str) and parent.strip() else None
        who = [names.get(normalize_key(x), x) for x in people.get(r, [])]
        if who:
            n = int(counts.get(r, 0))
            lead = ", ".join(who[:5]) + (f" và {len(who) - 5} người khác" if len(who) > 5 else "")
            lead += f" ({n} nhiệm vụ)"
        else:
            own = objectives[normalize_key(oid)][3]
            lead = names.get(normalize_key(own)) if isinstance(own, str) else None
        text = " → ".join(([lead] if lead else []) + chain)
        if top is not None and not reached:
            text += f"; chưa nối tới mục tiêu cấp {top}"
        out.append(text)
    return out


def _shown(key: str, o: pd.DataFrame) -> str:
    """A parent code as the OKR tab spells it."""
    for p in o.get("parent_id", []):
        if isinstance(p, str) and normalize_key(p) == key:
            return p.strip()
    return key
