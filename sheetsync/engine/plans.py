"""The month's plan, ad-hoc work and feedback on unclear tasks (tab Nhiệm vụ).

The city's guide asks every unit and person to build the month's plan at its start, to record
ad-hoc and urgent tasks as they come (and to credit them: no averaging that hides who took on
more), and lets an assignee push back on a task whose scope, authority, resources or conditions
are unclear. Here, over whole columns:

- a task is *planned* (Trong kế hoạch) when its `Ngày giao` is on or before the profile's
  `plans.planned_by_day` of its month, and *ad-hoc* (Phát sinh) when later; without a `Ngày giao`,
  its task group decides (`plans.adhoc_groups`, default `Phát sinh, đột xuất`, is ad-hoc), so a
  workbook made before the column keeps a sensible answer;
- once a month's plan day has passed, a person with no planned task that month is flagged on
  the roster; the month counts when the tab has tasks of it, and while it has no evaluation rows
  everyone on the roster must have a plan, afterwards those evaluated or with tasks that month;
- feedback (a kind, a text) without the manager's answer is open: a warning on the task row,
  for the manager; open `feedback.escalate_after_days` days after its date, it goes to the
  unit's focal person (the summary tab and `status`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sheetsync.config.profile import FEEDBACK_DEFAULTS, PLANS_DEFAULTS, Profile
from sheetsync.domain.calendar import day_in_month, month_label, month_of
from sheetsync.engine.findings import Findings
from sheetsync.engine.validate import TabData
from sheetsync.engine.values import map_distinct, map_distinct_array
from sheetsync.text import normalize_key, normalize_keys, shorten

PLANNED, ADHOC = "Trong kế hoạch", "Phát sinh"  # what Kế hoạch tháng says
FEEDBACK_COLUMNS = ["task_id", "month", "owner", "manager", "kind", "text", "date", "days", "escalated"]


@dataclass
class PlanReport:
    """What the plan rules concluded about a unit's tasks."""

    kinds: pd.Series  # per task row: PLANNED, ADHOC (None when neither group nor date says)
    missing: dict[str, list[str]] = field(default_factory=dict)  # month → staff codes without a planned task
    plan_days: dict[str, pd.Timestamp] = field(default_factory=dict)  # month → its plan day (months checked)
    feedback: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FEEDBACK_COLUMNS))
    escalate_after: int = FEEDBACK_DEFAULTS["escalate_after_days"]


def _col(tab: TabData, key: str, default=np.nan) -> pd.Series:
    v = tab.on_rows(tab.values[key]) if key in tab.values else pd.Series(default, index=tab.rows)
    if key in tab.errors and tab.errors[key].to_numpy().any():  # (else `where` would only copy it)
        v = v.where(~tab.on_rows(tab.errors[key]).astype(bool))
    return v


def _norm(s: pd.Series) -> pd.Series:
    return map_distinct(s, normalize_keys, vectorized=True)


def _d(ts) -> str:
    return pd.Timestamp(ts).strftime("%d/%m/%Y")


def plan_day(month: str, profile: Profile) -> pd.Timestamp:
    """The last day a task of `month` may be given and still be part of the month's plan."""
    day = int({**PLANS_DEFAULTS, **(profile.plans or {})}["planned_by_day"])
    return pd.Timestamp(day_in_month(month, day))


def plan_kinds(tasks: TabData, profile: Profile) -> pd.Series:
    """Per task row, planned or ad-hoc (see the module docstring)."""
    settings = {**PLANS_DEFAULTS, **(profile.plans or {})}
    month = _col(tasks, "month", None)
    # On the rows' arrays: each month's plan day once, as numpy days (NaT where no month).
    given = pd.to_datetime(_col(tasks, "assigned_date", pd.NaT)).to_numpy()
    days = map_distinct_array(month, lambda m: plan_day(m, profile).to_datetime64())
    by_day = np.array([np.datetime64("NaT") if d is None else d for d in days.tolist()], dtype="datetime64[us]")
    dated = ~np.isnat(given) & ~np.isnat(by_day)
    group = _col(tasks, "task_group", None)
    adhoc = list(settings["adhoc_groups"])
    enum = next((f.enum for f in tasks.schema.fields if f.key == "task_group"), None)
    if enum is not None:
        lookup = enum.lookup()  # the profile may name a group by an alias
        adhoc = [lookup.get(normalize_key(g), g) for g in adhoc]
    adhoc = set(adhoc)
    groups = group.to_numpy(dtype=object)
    adhoc_group = np.array([g in adhoc for g in groups.tolist()], dtype=bool)
    planned = np.where(dated, given <= by_day, ~adhoc_group)
    kinds = np.where(planned, PLANNED, ADHOC).astype(object)
    kinds[~(dated | pd.notna(groups))] = None
    return pd.Series(kinds, index=tasks.rows, dtype=object)


def check_plans(tasks: TabData, staff: TabData | None, evaluations: TabData | None, kinds: pd.Series,
                profile: Profile, as_of: pd.Timestamp, findings: Findings,
                months: list[str] | None = None) -> tuple[dict[str, list[str]], dict[str, pd.Timestamp]]:
    """Flag, on the roster, people with no planned task in a month whose plan day has passed.
    Returns month → the staff codes flagged, and month → its plan day, for the months checked."""
    task_month = _col(tasks, "month", None)
    present = set(task_month.dropna())
    if months is not None:
        present &= set(months)
    checked = {m: plan_day(m, profile) for m in sorted(present)}
    due = [m for m, day in checked.items() if as_of > day]
    if not due or staff is None or "staff_id" not in staff.values:
        return {}, checked
    roster = staff.on_rows(staff.values["staff_id"]).dropna()
    roster_keys = _norm(roster)
    owner = _norm(_col(tasks, "owner_id", None))
    planned_pairs = {(m, o) for m, o, k in zip(task_month.tolist(), owner.tolist(),
                                               kinds.reindex(task_month.index).tolist()) if k == PLANNED}
    with_tasks = set(zip(task_month, owner))
    evaluated: dict[str, set] = {}
    if evaluations is not None and {"staff_id", "month"} <= set(evaluations.values):
        ev = evaluations.on_rows(evaluations.values)
        for m, s in zip(ev["month"], _norm(ev["staff_id"])):
            if isinstance(m, str) and isinstance(s, str):
                evaluated.setdefault(m, set()).add(s)
    out: dict[str, list[str]] = {}
    flagged: dict[int, list[str]] = {}
    for m in due:
        expected = evaluated.get(m)
        for r, code, key in zip(roster.index, roster, roster_keys):
            if (m, key) in planned_pairs:
                continue
            if expected is not None and key not in expected and (m, key) not in with_tasks:
                continue
            out.setdefault(m, []).append(code)
            flagged.setdefault(r, []).append(m)
    if flagged:
        rows = pd.Index(list(flagged))
        msgs = [("Chưa có nhiệm vụ trong kế hoạch " + ", ".join(
                    f"tháng {month_label(m)} (giao đến ngày {_d(checked[m])})" for m in flagged[r]) +
                 f"; cần giao nhiệm vụ trong kế hoạch ở trang {tasks.title} (cột {tasks.header('assigned_date')} "
                 f"không muộn hơn ngày lập kế hoạch).") for r in rows]
        findings.add_many(staff.title, rows, staff.header("staff_id"), "warning", "plan.no-planned-task", msgs,
                          col_letter=staff.letters.get("staff_id"))
    current = month_of(as_of.date())
    if (months is None or current in months) and current not in present and present and \
            all(m < current for m in present) and as_of > plan_day(current, profile):
        findings.add(tasks.title, None, tasks.header("month"), "warning", "plan.month-without-tasks",
                     f"Tháng {month_label(current)} chưa có nhiệm vụ nào (đã qua ngày lập kế hoạch "
                     f"{_d(plan_day(current, profile))}); cần giao nhiệm vụ trong kế hoạch của tháng.")
    return out, checked


def check_feedback(tasks: TabData, staff: TabData | None, profile: Profile, as_of: pd.Timestamp,
                   findings: Findings) -> pd.DataFrame:
    """Open feedback (given, not answered): a warning on the row; escalated once it has been open
    `feedback.escalate_after_days` days. Returns the open feedback per task row (FEEDBACK_COLUMNS)."""
    if not ({"feedback_kind", "feedback"} & set(tasks.values)):
        return pd.DataFrame(columns=FEEDBACK_COLUMNS)
    kind = _col(tasks, "feedback_kind", None)
    text = _col(tasks, "feedback", None)
    answer = tasks.on_rows(tasks.values["answer"]) if "answer" in tasks.values else \
        pd.Series(None, index=tasks.rows, dtype=object)
    open_ = (kind.notna() | text.notna()) & answer.isna()
    if not open_.any():
        return pd.DataFrame(columns=FEEDBACK_COLUMNS)
    limit = int({**FEEDBACK_DEFAULTS, **(profile.feedback or {})}["escalate_after_days"])
    rows = open_.index[open_.to_numpy(dtype=bool)]
    date = pd.to_datetime(_col(tasks, "feedback_date", pd.NaT)).loc[rows]
    days = (as_of - date).dt.days
    escalated = (days >= limit).fillna(False).astype(bool)
    owner = tasks.values.loc[rows, "owner_id"] if "owner_id" in tasks.values else pd.Series(None, index=rows)
    manager = pd.Series(None, index=rows, dtype=object)
    if staff is not None and {"staff_id", "manager_id"} <= set(staff.values):
        sv = staff.on_rows(staff.values)
        sv = sv[sv["staff_id"].notna()]
        lookup = pd.Series(sv["manager_id"].to_numpy(), index=_norm(sv["staff_id"]).to_numpy())
        lookup = lookup[~lookup.index.duplicated()]
        manager = _norm(owner).map(lookup)
    out = pd.DataFrame({
        "task_id": tasks.values.loc[rows, "task_id"] if "task_id" in tasks.values else None,
        "month": tasks.values.loc[rows, "month"] if "month" in tasks.values else None,
        "owner": owner, "manager": manager, "kind": kind.loc[rows], "text": text.loc[rows], "date": date,
        "days": days, "escalated": escalated}, index=rows)[FEEDBACK_COLUMNS]
    answer_header = tasks.header("answer")

    def said(r) -> str:
        what = " — ".join(str(x) for x in (out.at[r, "kind"], out.at[r, "text"]) if isinstance(x, str))
        when = f" ngày {_d(out.at[r, 'date'])}" if pd.notna(out.at[r, "date"]) else ""
        tail = (f" Đã {int(out.at[r, 'days'])} ngày chưa được trả lời (quá {limit} ngày): đã báo đầu mối của "
                "đơn vị." if out.at[r, "escalated"] else "")
        return (f"Người thực hiện phản hồi nhiệm vụ chưa rõ{when}: {shorten(what, 160)}; người quản lý cần trả "
                f"lời ở cột {answer_header}.{tail}")

    key = "feedback_kind" if "feedback_kind" in tasks.letters else "feedback"
    findings.add_many(tasks.title, rows, tasks.header(key), "warning", "task.feedback-open",
                      [said(r) for r in rows], col_letter=tasks.letters.get(key))
    return out


def assess(tasks: TabData, staff: TabData | None, evaluations: TabData | None, profile: Profile,
           as_of: pd.Timestamp, findings: Findings, months: list[str] | None = None) -> PlanReport:
    """Every plan and feedback rule over one unit's tabs."""
    kinds = plan_kinds(tasks, profile)
    missing, days = check_plans(tasks, staff, evaluations, kinds, profile, as_of, findings, months)
    feedback = check_feedback(tasks, staff, profile, as_of, findings)
    limit = int({**FEEDBACK_DEFAULTS, **(profile.feedback or {})}["escalate_after_days"])
    return PlanReport(kinds, missing, days, feedback, limit)


def plan_stats(kinds: pd.Series, task_frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per month, per owner (normalised code): planned and ad-hoc tasks and their converted
    weight (Quy đổi giao), over the rows scoring counts. One grouping for every month."""
    f = task_frame[~task_frame["excluded"]]
    if f.empty:
        return {}
    k = kinds.reindex(f.index)
    g = f.assign(_k=k.to_numpy()).dropna(subset=["_k"]).groupby(["month", "owner", "_k"])["A"].agg(["size", "sum"])
    wide = g.unstack("_k", fill_value=0)
    out = pd.DataFrame(index=wide.index)
    for name, label in (("planned", PLANNED), ("adhoc", ADHOC)):
        out[f"{name}_tasks"] = wide[("size", label)].astype(int) if ("size", label) in wide else 0
        out[f"{name}_weight"] = wide[("sum", label)].astype("float64") if ("sum", label) in wide else 0.0
    return {m: part.droplevel("month") for m, part in out.groupby(level="month")}
