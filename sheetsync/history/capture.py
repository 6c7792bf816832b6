"""What the store keeps of an evaluation, month by month: pure functions, no database.

Rows are identified by their schema key (`Mã nhiệm vụ`; `Mã cán bộ` + `Tháng`), normalised the
way the engine compares text, never by sheet position: people insert and sort rows. A key seen
twice gets `#2`, `#3` in sheet order; a row without a key falls back to its position (`@row`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sheetsync.engine.scoring import SCORE_COLUMNS
from sheetsync.text import normalize_key, normalize_keys

if TYPE_CHECKING:
    from sheetsync.engine.validate import TabData
    from sheetsync.results import Evaluation

MONTH_TABS = ("tasks", "evaluations")
PERSON_RESULT = [*SCORE_COLUMNS, "approved_rating", "final_rating", "provisional", "scored", "leader"]
TASK_RESULT = ["A", "D", "Q", "T", "excluded", "zeroed"]
ROSTER_FIELDS = ("full_name", "position", "department", "category", "peer_group", "leader_role")


def jsonable(v: Any) -> Any:
    """A cell or score as plain JSON: dates as ISO text, NaN/NaT/NA as null, numpy as Python."""
    if isinstance(v, str):  # most cells: first, it runs for every key and input of a year's rows
        return v
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, (pd.Timestamp, datetime)):
        if v.hour == v.minute == v.second == 0 and not getattr(v, "microsecond", 0):
            return v.strftime("%Y-%m-%d")
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [jsonable(x) for x in v]
    return str(v)


def jsonable_column(s: pd.Series) -> list:
    """`jsonable` over a whole column: by dtype where the column is typed, once per distinct
    value where it holds Python objects (most columns repeat themselves)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        midnight = (s.dt.normalize() == s) | s.isna()
        if bool(midnight.all()):
            return s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None).tolist()
    elif pd.api.types.is_float_dtype(s.dtype):
        a = s.to_numpy(dtype="float64")
        return [None if not math.isfinite(x) else x for x in a.tolist()]
    elif pd.api.types.is_bool_dtype(s.dtype):
        return [bool(x) for x in s.tolist()]
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = [jsonable(u) for u in uniques] + [None]
    return [mapped[c] for c in codes.tolist()]


# One encoder for every call: `json.dumps` with these options makes a new one each time, and a
# month's record canonicalises every row's inputs and scores.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical(obj: Any) -> str:
    return _CANONICAL.encode(obj)


def digest(obj: Any) -> str:
    return hashlib.sha256(canonical(obj).encode("utf-8")).hexdigest()


def row_keys(tab: TabData) -> pd.Series:
    """Sheet row → stable row key, for the tab's data rows."""
    rows = tab.rows
    keys = [k for k in tab.schema.key if k in tab.values]
    if not keys or not len(rows):
        return pd.Series([f"@{r}" for r in rows], index=rows, dtype=object)
    parts = [normalize_keys([None if v is None else str(v) for v in jsonable_column(tab.values.loc[rows, k])])
             for k in keys]
    # Plain lists (a year's task tab has 20,000 rows): the key parts joined by "|", a row with a
    # part missing by its position, and the n-th row with a key seen before numbered "#n".
    seen: dict[str, int] = {}
    out = []
    for r, key in zip(rows.tolist(), zip(*parts)):
        base = f"@{r}" if None in key else "|".join(key)
        n = seen.get(base, 0) + 1
        seen[base] = n
        out.append(base if n == 1 else f"{base}#{n}")
    return pd.Series(out, index=rows, dtype=object)


def row_inputs(ev: Evaluation, name: str, rows: pd.Index | None = None) -> dict[int, dict]:
    """Each row's input values as read: typed where the cell parsed, else the raw text typed."""
    tab = ev.tabs[name]
    rows = tab.rows if rows is None else rows
    fields = [f.key for f in tab.schema.input_fields if f.key in tab.values]
    vals = tab.values.loc[rows, fields]
    columns = [jsonable_column(vals[k]) for k in fields]
    out = {int(r): dict(zip(fields, cells)) for r, cells in zip(rows, zip(*columns))} if fields else \
        {int(r): {} for r in rows}
    raw = ev.bound[name].raw if name in ev.bound else None
    errs = tab.errors.reindex(index=rows, columns=fields, fill_value=False).fillna(False).to_numpy(dtype=bool)
    if raw is not None and errs.any():
        for i, j in zip(*errs.nonzero()):
            r, k = int(rows[i]), fields[j]
            if k in raw.columns:
                out[r][k] = jsonable(raw.at[r, k])
    return out


def month_rows(tab: TabData, month: str) -> pd.Index:
    mf = tab.schema.month_field
    if not mf or mf not in tab.values:
        return pd.Index([], dtype="int64")
    m = tab.values.loc[tab.rows, mf]
    return m.index[m.eq(month).to_numpy(dtype=bool)]


def capture_months(ev: Evaluation) -> list[str]:
    """Months worth recording: those scored, and those with task rows (tracked before scoring)."""
    months = set(ev.months)
    tasks = ev.tabs.get("tasks")
    if tasks is not None and tasks.schema.month_field in tasks.values:
        months |= {m for m in tasks.values.loc[tasks.rows, tasks.schema.month_field].dropna().unique()
                   if isinstance(m, str)}
    if ev.month_filter:
        months &= set(ev.month_filter)
    return sorted(months)


@dataclass
class MonthCapture:
    """One unit's month as the store records it."""

    month: str
    rows: list[dict]  # tab, row_key, sheet_row, data, scores
    people: list[dict]  # person_months columns
    findings: list[dict]
    summary: dict
    approved: bool
    content_hash: str = ""
    keys: dict[str, pd.Series] = field(default_factory=dict)


def _task_counts(ev: Evaluation, rows: pd.Index) -> pd.DataFrame:
    """Per owner: tasks, returns, delays (typed, else done after due) and tasks overdue at as_of."""
    t = ev.tabs["tasks"].values.loc[rows]
    if t.empty or "owner_id" not in t:
        return pd.DataFrame(columns=["tasks", "returns", "delays", "overdue"])

    def col(k, default=np.nan):
        return t[k] if k in t else pd.Series(default, index=t.index)

    due, done_date = col("due_date", pd.NaT), col("done_date", pd.NaT)
    late = (done_date > due).fillna(False).astype(int)
    delays = col("delays").where(col("delays").notna(), late).fillna(0)
    assigned, done = col("assigned_qty"), col("done_qty").fillna(0)
    unfinished = ~(done >= assigned).fillna(False)
    overdue = ((due < ev.as_of).fillna(False) & unfinished).astype(int)
    owner = pd.Series([normalize_key(o) if isinstance(o, str) else None for o in col("owner_id", None)],
                      index=t.index)
    frame = pd.DataFrame({"owner": owner, "tasks": 1, "returns": col("returns").fillna(0),
                          "delays": delays, "overdue": overdue})
    return frame.dropna(subset=["owner"]).groupby("owner")[["tasks", "returns", "delays", "overdue"]].sum()


def _roster(ev: Evaluation) -> pd.DataFrame:
    """The staff tab by normalised `Mã cán bộ`, in roster order (first row of a duplicate wins)."""
    staff = ev.tabs.get("staff")
    if staff is None or "staff_id" not in staff.values:
        return pd.DataFrame(columns=["staff_id", *ROSTER_FIELDS])
    v = staff.values.loc[staff.rows].copy()
    v["_id"] = [normalize_key(x) if isinstance(x, str) else None for x in v["staff_id"]]
    v = v[v["_id"].notna()].drop_duplicates("_id")
    return v.set_index("_id")[[c for c in ["staff_id", *ROSTER_FIELDS] if c in v.columns]]


def capture_month(ev: Evaluation, month: str, keys: dict[str, pd.Series] | None = None,
                  inputs: dict[str, dict[int, dict]] | None = None) -> MonthCapture:
    keys = keys or {n: row_keys(ev.tabs[n]) for n in MONTH_TABS if n in ev.tabs}
    inputs = inputs or {n: row_inputs(ev, n) for n in MONTH_TABS if n in ev.tabs}
    rows_out: list[dict] = []
    key_of_row: dict[tuple[str, int], str] = {}
    scores = ev.scores
    ms = scores.months.get(month) if scores else None
    for name in MONTH_TABS:
        tab = ev.tabs.get(name)
        if tab is None:
            continue
        rows = month_rows(tab, month)
        result = None
        if name == "tasks" and scores is not None:
            result = scores.tasks.frame.reindex(rows)[TASK_RESULT]
        elif name == "evaluations" and ms is not None:
            result = ms.people.reindex(rows)[[c for c in PERSON_RESULT if c in ms.people]]
        if result is not None:
            cols = list(result.columns)
            converted = [jsonable_column(result[c]) for c in cols]
            recs = [dict(zip(cols, cells)) for cells in zip(*converted)] if cols else [{} for _ in rows]
        else:
            recs = [None] * len(rows)
        given = inputs[name]
        for r, k, sc in zip(rows.tolist(), keys[name].reindex(rows).tolist(), recs):
            key_of_row[(tab.title, r)] = k
            rows_out.append({"tab": name, "row_key": k, "sheet_row": r, "data": given[r], "scores": sc})

    people: list[dict] = []
    roster = _roster(ev)
    order = {sid: i for i, sid in enumerate(roster.index)}
    counts = _task_counts(ev, month_rows(ev.tabs["tasks"], month)) if "tasks" in ev.tabs else pd.DataFrame()
    count_fields = ("tasks", "returns", "delays", "overdue")
    # Plain dicts and column lists, not a pandas lookup per person and field: a year's unit has
    # hundreds of people a month and this runs for every month recorded.
    roster_of = roster.to_dict("index")
    counts_of = counts.to_dict("index")
    no_counts = dict.fromkeys(count_fields, 0)
    if ms is not None:
        sp = ms.people[ms.people["scored"].astype(bool)]
        evals = ev.tabs["evaluations"].values
        n = len(sp)
        col = {c: sp[c].tolist() for c in ("_sid", "staff_id", "total_points", "general_points", "task_points",
                                           "suggested_rating", "approved_rating", "final_rating", "provisional")}
        leader = sp["leader"].tolist() if "leader" in sp else [False] * n
        disciplined = ((evals["disciplined"].reindex(sp.index) == "Có").tolist() if "disciplined" in evals
                       else [False] * n)
        row_key = keys["evaluations"].reindex(sp.index).tolist()
        for i in range(n):
            sid = col["_sid"][i]
            info = roster_of.get(sid, {})
            c = counts_of.get(sid, no_counts)
            people.append({
                "staff_id": str(col["staff_id"][i]), "staff_key": sid, "row_key": row_key[i],
                "roster_order": order.get(sid, len(order)), "scored": True,
                **{f: jsonable(info.get(f)) for f in ROSTER_FIELDS},
                "leader": bool(leader[i]), "disciplined": bool(disciplined[i]),
                "total_points": jsonable(col["total_points"][i]), "general_points": jsonable(col["general_points"][i]),
                "task_points": jsonable(col["task_points"][i]),
                "suggested_rating": jsonable(col["suggested_rating"][i]),
                "approved_rating": jsonable(col["approved_rating"][i]),
                "final_rating": jsonable(col["final_rating"][i]), "provisional": bool(col["provisional"][i]),
                **{k: int(c[k]) for k in count_fields},
            })
    scored_ids = {p["staff_key"] for p in people}
    for sid, c in counts_of.items():
        # People with tasks but no scored evaluation row: their counts are kept, with no score.
        if sid in scored_ids or sid not in roster_of:
            continue
        info = roster_of[sid]
        people.append({"staff_id": str(info["staff_id"]), "staff_key": sid, "row_key": "", "scored": False,
                       "roster_order": order[sid], **{f: jsonable(info.get(f)) for f in ROSTER_FIELDS},
                       "leader": False, "disciplined": False, **{k: int(c[k]) for k in count_fields}})

    f = ev.findings
    f = f[f["row"].notna()]
    mine = pd.Series(False, index=f.index)
    for title in {t for t, _ in key_of_row}:
        rows_here = [r for t, r in key_of_row if t == title]
        mine |= (f["tab"] == title) & f["row"].isin(rows_here)
    findings = []
    for rec in f[mine.to_numpy(dtype=bool)].itertuples(index=False):
        k = key_of_row[(rec.tab, int(rec.row))]
        findings.append({"tab": rec.tab, "row_key": k, "sheet_row": int(rec.row), "cell": jsonable(rec.cell),
                         "column": jsonable(rec.column), "severity": rec.severity, "code": rec.code,
                         "message": rec.message})

    scored = [p for p in people if p["scored"]]
    summary: dict = {"profile": ev.profile.name, "roster": len(roster), "scored": len(scored), "approved": 0}
    if ms is not None:
        summary.update(quota=jsonable(ms.quota), counts={str(k): int(v) for k, v in ms.counts.items()},
                       approved=sum(1 for p in scored if p["approved_rating"]))
    approved = bool(scored) and all(p["approved_rating"] for p in scored)
    cap = MonthCapture(month, rows_out, people, findings, summary, approved, keys=keys)
    cap.content_hash = digest({
        "rows": sorted((r["tab"], r["row_key"], canonical(r["data"]), canonical(r["scores"])) for r in rows_out),
        "people": sorted(canonical(p) for p in people),
        "findings": sorted((x["tab"], x["row_key"], x["column"] or "", x["code"], x["message"]) for x in findings),
        "summary": canonical(summary),
    })
    return cap


def capture(ev: Evaluation, skip: set[str] | frozenset[str] = frozenset(),
            only: set[str] | frozenset[str] | None = None) -> dict[str, MonthCapture]:
    """Every month worth recording of one evaluation, less `skip` (frozen months), or only the
    months in `only`; row inputs are read only for the rows of those months."""
    months = [m for m in capture_months(ev) if m not in skip and (only is None or m in only)]
    if not months:
        return {}
    keys = {n: row_keys(ev.tabs[n]) for n in MONTH_TABS if n in ev.tabs}
    inputs = {}
    for n in MONTH_TABS:
        if n in ev.tabs:
            tab = ev.tabs[n]
            mf = tab.schema.month_field
            rows = tab.rows
            if mf and mf in tab.values:
                rows = rows[tab.values.loc[rows, mf].isin(months).to_numpy(dtype=bool)]
            inputs[n] = row_inputs(ev, n, rows)
    return {m: capture_month(ev, m, keys, inputs) for m in months}
