"""Where work is stuck, per unit and manager: what `sheetsync bottlenecks` reports.

From every unit's current evaluation and, where there is one, the history store (thresholds in
the profile's `bottlenecks:` section):
- obstacles: weekly reports (tab Báo cáo tuần) raising a difficulty (`Khó khăn, vướng mắc`) in the
  last `obstacle_days` days, on tasks not done yet;
- overdue: tasks due more than `overdue_days` days ago and not done in full;
- stale: running tasks (started, not done, not overdue) whose last update — the latest weekly
  report on them, or the last change of their progress values in the store's record — is more
  than `stale_days` days old (a unit with neither weekly reports nor a record says nothing here);
- returned: tasks returned more than `returns_above` times, by the row's count or the store's
  log of returns (which never goes down), with the reasons recorded;
- silent: people responsible for running tasks who have updated none of them (weekly report or
  progress change) for more than `no_update_days` days.
Every item names the person and their direct manager (tab Cán bộ), so the office sees whose team
the work is stuck in. Tasks of months approved and frozen in the store are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from sheetsync.domain.calendar import week_end
from sheetsync.history.capture import month_rows, row_inputs, row_keys
from sheetsync.history.tracking import progress_since, window_months
from sheetsync.text import normalize_key, shorten

if TYPE_CHECKING:
    from sheetsync.config.profile import Profile
    from sheetsync.history.store import Store
    from sheetsync.results import Evaluation

KINDS = {
    "obstacle": "Khó khăn, vướng mắc",
    "overdue": "Quá hạn",
    "stale": "Lâu không cập nhật",
    "returned": "Trả lại nhiều lần",
    "silent": "Người không cập nhật",
}
ITEM_COLUMNS = ["unit", "manager_id", "manager", "staff_id", "full_name", "kind", "task_id", "task_name", "days",
                "since", "detail"]
NO_MANAGER = "(không có quản lý trực tiếp)"


@dataclass
class BottleneckReport:
    as_of: pd.Timestamp
    items: pd.DataFrame  # ITEM_COLUMNS, by unit, manager, kind, days (longest first)
    settings: dict
    units: list[str] = field(default_factory=list)

    def counts(self) -> pd.DataFrame:
        """Items per unit and kind (every unit and kind present, zeros included)."""
        table = pd.crosstab(self.items["unit"], self.items["kind"]) if len(self.items) else pd.DataFrame()
        return table.reindex(index=self.units, columns=list(KINDS), fill_value=0).fillna(0).astype(int)

    def by_manager(self) -> pd.DataFrame:
        """Items per unit, manager and kind."""
        if not len(self.items):
            return pd.DataFrame(columns=["unit", "manager", *KINDS])
        t = pd.crosstab([self.items["unit"], self.items["manager"]], self.items["kind"])
        return t.reindex(columns=list(KINDS), fill_value=0).reset_index()

    def to_dict(self) -> dict:
        from sheetsync.history.capture import jsonable

        return {"as_of": self.as_of.strftime("%Y-%m-%d"), "settings": self.settings,
                "counts": {u: {k: int(v) for k, v in row.items()} for u, row in self.counts().iterrows()},
                "items": [{k: jsonable(v) for k, v in r.items()} for r in self.items.to_dict("records")]}


def _d(ts) -> str:
    return pd.Timestamp(ts).strftime("%d/%m/%Y")


def _people(ev: Evaluation) -> dict[str, dict]:
    """Normalised staff code → code, name, manager code and manager name."""
    staff = ev.tabs.get("staff")
    if staff is None or "staff_id" not in staff.values:
        return {}
    v = staff.values.loc[staff.rows]
    out = {}
    for x in v.to_dict("records"):
        sid = x.get("staff_id")
        if isinstance(sid, str):
            out[normalize_key(sid)] = {"staff_id": sid, "full_name": x.get("full_name") or "",
                                       "manager_id": x.get("manager_id") if isinstance(x.get("manager_id"), str) else ""}
    for p in out.values():
        m = out.get(normalize_key(p["manager_id"])) if p["manager_id"] else None
        p["manager"] = f"{m['full_name']} ({m['staff_id']})" if m else (p["manager_id"] or NO_MANAGER)
    return out


def _who(people: dict[str, dict], code) -> dict:
    if isinstance(code, str) and normalize_key(code) in people:
        p = people[normalize_key(code)]
        return {k: p[k] for k in ("staff_id", "full_name", "manager_id", "manager")}
    return {"staff_id": code if isinstance(code, str) else "", "full_name": "", "manager_id": "", "manager": NO_MANAGER}


def _finished(x: dict) -> bool:
    q, done = x.get("assigned_qty"), x.get("done_qty")
    return pd.notna(q) and pd.notna(done) and done >= q


def _weekly_updates(ev: Evaluation, as_of: pd.Timestamp
                    ) -> tuple[dict[str, pd.Timestamp], dict[str, pd.Timestamp], pd.DataFrame]:
    """Latest weekly report per task and per reporter (its date, else its week's Sunday), and the
    usable report rows; reports dated after `as_of` do not count yet."""
    tab = ev.tabs.get("weekly")
    if tab is None or not len(tab.rows):
        return {}, {}, pd.DataFrame()
    w = tab.values.loc[tab.rows]
    w = w[w.get("task_id", pd.Series(dtype=object)).notna() & w.get("week", pd.Series(dtype=object)).notna()]
    if not len(w):
        return {}, {}, pd.DataFrame()
    dated = pd.to_datetime(w["report_date"]) if "report_date" in w else pd.Series(pd.NaT, index=w.index)
    ends = pd.to_datetime(w["week"].map(lambda k: pd.Timestamp(week_end(k))))
    when = dated.fillna(ends)
    w, when = w[when <= as_of], when[when <= as_of]
    w = w.assign(_when=when, _task=w["task_id"].map(normalize_key),
                 _staff=w["staff_id"].map(lambda s: normalize_key(s) if isinstance(s, str) else ""))
    return w.groupby("_task")["_when"].max().to_dict(), w.groupby("_staff")["_when"].max().to_dict(), w


def unit_items(unit: str, ev: Evaluation, store: Store | None, as_of: pd.Timestamp, settings: dict) -> list[dict]:
    """Every bottleneck of one unit (see the module docstring)."""
    tasks = ev.tabs.get("tasks")
    people = _people(ev)
    by_task, by_staff, weekly = _weekly_updates(ev, as_of)
    out: list[dict] = []
    if tasks is None or "task_id" not in tasks.values:
        return out
    frozen = set(store.frozen_months(unit)) if store is not None else set()
    months = [m for m in window_months(as_of) if m not in frozen]
    rows = pd.Index([]).append([month_rows(tasks, m) for m in months]) if months else pd.Index([])
    t = tasks.values.loc[rows]
    keys = row_keys(tasks)
    recorded = progress_since(store, unit, months, row_inputs(ev, "tasks", rows), keys) \
        if store is not None and len(rows) else {}
    returns_log = _returns_log(store, unit, months)
    running: dict[str, list[dict]] = {}
    for r, x in zip(t.index, t.to_dict("records")):
        tid = x.get("task_id")
        if not isinstance(tid, str):
            continue
        base = {"unit": unit, **_who(people, x.get("owner_id")), "task_id": tid,
                "task_name": x.get("task_name") or ""}
        count = max(float(x.get("returns") or 0) if pd.notna(x.get("returns")) else 0.0,
                    float(returns_log.get(keys[r], {}).get("count", 0)))
        if count > settings["returns_above"]:
            reasons = returns_log.get(keys[r], {}).get("reasons") or ([x.get("return_reason")]
                                                                       if x.get("return_reason") else [])
            out.append({**base, "kind": "returned", "days": None, "since": None,
                        "detail": f"Trả lại {int(count)} lần" + (": " + "; ".join(shorten(str(s), 80) for s in reasons)
                                                                 if reasons else "")})
        if _finished(x):
            continue
        due, start = x.get("due_date"), x.get("start_date")
        if pd.notna(start) and start > as_of:
            continue
        if pd.notna(due) and (as_of - due).days > settings["overdue_days"]:
            out.append({**base, "kind": "overdue", "days": int((as_of - due).days), "since": due,
                        "detail": f"Quá hạn {(as_of - due).days} ngày (hạn {_d(due)})"})
        last = [d for d in (by_task.get(normalize_key(tid)), recorded.get(keys[r])) if d is not None and pd.notna(d)]
        known = bool(last) or bool(by_task) or bool(recorded)
        since = max(pd.Timestamp(d).normalize() for d in last) if last else (start if pd.notna(start) else None)
        if known and since is not None and not (pd.notna(due) and due < as_of):
            days = int((as_of - since).days)
            if days > settings["stale_days"]:
                what = f"cập nhật gần nhất ngày {_d(since)}" if last else f"chưa cập nhật lần nào từ khi bắt đầu {_d(since)}"
                out.append({**base, "kind": "stale", "days": days, "since": since,
                            "detail": f"{days} ngày không cập nhật ({what})"})
        if isinstance(x.get("owner_id"), str):
            running.setdefault(normalize_key(x["owner_id"]), []).append(
                {"since": since, "last": max(last) if last else None, "known": known})
    for staff, items in running.items():
        if not any(i["known"] for i in items):
            continue
        lasts = [pd.Timestamp(i["last"]).normalize() for i in items if i["last"] is not None]
        lasts += [pd.Timestamp(by_staff[staff]).normalize()] if staff in by_staff else []
        since = max(lasts) if lasts else min((i["since"] for i in items if i["since"] is not None), default=None)
        if since is None:
            continue
        days = int((as_of - since).days)
        if days > settings["no_update_days"]:
            who = _who(people, people.get(staff, {}).get("staff_id", staff))
            what = f"lần cập nhật gần nhất ngày {_d(since)}" if lasts else "chưa cập nhật lần nào"
            out.append({"unit": unit, **who, "kind": "silent", "task_id": "", "task_name": "", "days": days,
                        "since": since, "detail": f"{len(items)} nhiệm vụ đang thực hiện; {days} ngày không cập nhật "
                                                  f"({what})"})
    if len(weekly) and "obstacles" in weekly:
        open_tasks = {normalize_key(x["task_id"]) for x in t.to_dict("records")
                      if isinstance(x.get("task_id"), str) and not _finished(x)}
        recent = weekly[weekly["obstacles"].notna() & (weekly["_when"] >= as_of - pd.Timedelta(days=settings["obstacle_days"]))
                        & (weekly["_when"] <= as_of) & weekly["_task"].isin(open_tasks)]
        names = dict(zip(t["task_id"].map(lambda s: normalize_key(s) if isinstance(s, str) else ""), t["task_name"]))
        for x in recent.sort_values("_when", ascending=False).to_dict("records"):
            proposal = x.get("proposals")
            out.append({"unit": unit, **_who(people, x.get("staff_id")), "kind": "obstacle", "task_id": x["task_id"],
                        "task_name": names.get(x["_task"]) or "", "days": int((as_of - x["_when"]).days),
                        "since": x["_when"], "detail": str(x["obstacles"]) + (f" — Đề xuất: {proposal}"
                                                                             if isinstance(proposal, str) else "")})
    return out


def _returns_log(store: Store | None, unit: str, months: list[str]) -> dict[str, dict]:
    """Per task row key: the highest return count recorded and the reasons recorded with returns."""
    if store is None or not months:
        return {}
    from sheetsync.history.returns import return_log

    log = return_log(store, unit, months)
    out: dict[str, dict] = {}
    for key, g in log.groupby("row_key", sort=False):
        reasons = [str(r) for r in g["reason"] if isinstance(r, str) and r.strip()]
        out[key] = {"count": float(g["returns"].max()), "reasons": list(dict.fromkeys(reasons))}
    return out


def bottlenecks(evaluations: dict[str, Evaluation], store: Store | None, as_of, profile: Profile) -> BottleneckReport:
    """The ward's bottlenecks now, for every unit evaluated (unit name → its evaluation)."""
    as_of = pd.Timestamp(as_of).normalize()
    settings = dict(profile.bottlenecks)
    items: list[dict] = []
    for unit, ev in evaluations.items():
        items += unit_items(unit, ev, store, as_of, settings)
    frame = pd.DataFrame(items, columns=ITEM_COLUMNS)
    if len(frame):
        order = {k: i for i, k in enumerate(KINDS)}
        frame = frame.assign(_k=frame["kind"].map(order), _u=frame["unit"].map({u: i for i, u in enumerate(evaluations)}),
                             _d=-frame["days"].fillna(0))
        frame = frame.sort_values(["_u", "manager", "_k", "_d", "staff_id"], kind="stable") \
            .drop(columns=["_k", "_u", "_d"]).reset_index(drop=True)
    return BottleneckReport(as_of, frame, settings, list(evaluations))
