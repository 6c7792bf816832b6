"""What is missing or late now, per unit and person, and the year's counts kept per month.

`status` reads the units' current evaluations (nothing is written) and the store:
- steps of the evaluation (self-assessment by the 25th, review by the 26th, approval by the
  28th: days from the profile's `deadlines`), missing once their deadline has passed or done
  after it, for every *open* month (one of the twelve months up to `as_of`'s, not frozen: so
  in January, December's missing approvals still show);
- forms to the ward by the 30th: a `report` run recorded in the store for the unit and month by
  the deadline; none yet is "missing", a first one after it is "late" (the same twelve months);
- overdue tasks: due before `as_of` and not done in full, in open months;
- stale tasks: started, not done and not yet overdue, whose progress values (progress, done
  quantity, done date, evidence, review) have not changed in the store's record for
  `deadlines.progress_stale_days` days (default 7);
- weekly reports (tab Báo cáo tuần), from the first week the unit reported on: each week whose
  report day (profile `weekly.report_day`, default Friday) has passed, every person responsible
  for a task running that week (started by the report day, not done before the week began) and
  with no report row for the week is "missing" (collaborators may report, the owner must); a person whose first report of the
  week is dated after the report day is "late"; weeks in open months only;
- plans (`engine.plans`): people with no planned task in an open month once its plan day
  (profile `plans.planned_by_day`) has passed ("plan-missing"), and feedback on an unclear task
  left unanswered `feedback.escalate_after_days` days ("feedback-open", under the manager who
  owes the answer, or the assignee when the roster names no manager);
- per person and month of the year, from the record: tasks, returns, delays, overdue tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from sheetsync.domain.calendar import last_months, month_label
from sheetsync.engine.scoring import STEPS, deadline_day
from sheetsync.engine.weekly import weekly_report_items
from sheetsync.history.capture import capture_months, month_rows, row_inputs, row_keys
from sheetsync.text import normalize_key

if TYPE_CHECKING:
    from sheetsync.config.profile import Profile
    from sheetsync.history.store import Store
    from sheetsync.results import Evaluation

DEFAULT_STALE_DAYS = 7
PROGRESS_FIELDS = ("progress_pct", "done_qty", "done_date", "evidence", "review")
ITEM_COLUMNS = ["unit", "staff_id", "full_name", "month", "code", "message", "since"]
COUNT_COLUMNS = ["unit", "staff_id", "full_name", "month", "tasks", "returns", "delays", "overdue"]
STEP_TEXT = {
    "self_assessment": ("Chưa tự đánh giá", "Tự đánh giá"),
    "manager_review": ("Quản lý chưa đánh giá", "Quản lý đánh giá"),
    "approval": ("Chưa phê duyệt xếp loại", "Phê duyệt xếp loại"),
}


@dataclass
class StatusReport:
    as_of: pd.Timestamp
    items: pd.DataFrame  # ITEM_COLUMNS
    counts: pd.DataFrame  # COUNT_COLUMNS, months of the year of as_of, as recorded
    open_months: dict[str, list[str]] = field(default_factory=dict)

    def for_unit(self, unit: str) -> pd.DataFrame:
        return self.items[self.items["unit"] == unit]

    def codes(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.items["code"].value_counts().items()}

    def to_dict(self) -> dict:
        from sheetsync.history.capture import jsonable

        return {"as_of": self.as_of.strftime("%Y-%m-%d"), "open_months": self.open_months,
                "items": [{k: jsonable(v) for k, v in r.items()} for r in self.items.to_dict("records")],
                "counts": [{k: jsonable(v) for k, v in r.items()} for r in self.counts.to_dict("records")]}


def _d(ts) -> str:
    return pd.Timestamp(ts).strftime("%d/%m/%Y")


def window_months(as_of, n: int = 12) -> list[str]:
    """The n months up to and including the month of `as_of`, oldest first."""
    return last_months(pd.Timestamp(as_of).date(), n)


# The profile's deadline keys in the order of the month, with their names for people.
DEADLINE_STEPS = (
    ("self_assessment", "tự đánh giá", False),
    ("manager_review", "quản lý đánh giá", False),
    ("approval", "phê duyệt xếp loại", False),
    ("forms_to_ward", "gửi Mẫu 01A, 02A cho phường", False),
    ("publication_next_month", "công bố kết quả", True),
)


def month_deadlines(month: str, profile: Profile) -> list[tuple[str, date]]:
    """The month's deadlines as (step, day), from the profile (a step it leaves out is skipped)."""
    out = []
    for key, step, next_month in DEADLINE_STEPS:
        day = profile.deadlines.get(key)
        if isinstance(day, int) and not isinstance(day, bool):
            out.append((step, deadline_day(month, day, next_month=next_month).date()))
    return out


def stale_days(profile: Profile) -> int:
    return int(profile.deadlines.get("progress_stale_days", DEFAULT_STALE_DAYS))


def status(evaluations: dict[str, Evaluation], store: Store | None, as_of, profile: Profile) -> StatusReport:
    """Missing and late work now, for every unit evaluated (unit name → its evaluation)."""
    as_of = pd.Timestamp(as_of).normalize()
    items: list[dict] = []
    open_months: dict[str, list[str]] = {}
    for unit, ev in evaluations.items():
        frozen = set(store.frozen_months(unit)) if store is not None else set()
        window = set(window_months(as_of))
        opened = [m for m in capture_months(ev) if m in window and m not in frozen]
        open_months[unit] = opened
        names = _names(ev)
        for month in opened:
            items += _steps(unit, ev, month, as_of, profile, names)
        items += _tasks(unit, ev, opened, as_of, store, stale_days(profile), names)
        items += weekly_items(unit, ev, opened, as_of, profile, names)
        items += plan_items(unit, ev, opened, names)
        if store is not None:
            items += _forms(unit, store, as_of, profile)
    frame = pd.DataFrame(items, columns=ITEM_COLUMNS)
    counts = year_counts(store, as_of.year, list(evaluations)) if store is not None else \
        pd.DataFrame(columns=COUNT_COLUMNS)
    return StatusReport(as_of, frame, counts, open_months)


def _names(ev: Evaluation) -> dict[str, tuple[str, str]]:
    staff = ev.tabs.get("staff")
    if staff is None or "staff_id" not in staff.values:
        return {}
    v = staff.values.loc[staff.rows]
    return {normalize_key(s): (s, n if isinstance(n, str) else "")
            for s, n in zip(v["staff_id"], v.get("full_name", pd.Series(None, index=v.index))) if isinstance(s, str)}


def _steps(unit: str, ev: Evaluation, month: str, as_of: pd.Timestamp, profile: Profile,
           names: dict[str, tuple[str, str]]) -> list[dict]:
    out: list[dict] = []
    tab = ev.tabs.get("evaluations")
    rows = month_rows(tab, month) if tab is not None else pd.Index([])
    vals = tab.values.loc[rows] if tab is not None else pd.DataFrame()
    present = {normalize_key(s): r for r, s in zip(rows, vals.get("staff_id", [])) if isinstance(s, str)}
    for key, date_field, done_fields, _ in STEPS:
        day = profile.deadlines.get(key)
        if day is None:
            continue
        deadline = deadline_day(month, int(day))
        missing_text, done_text = STEP_TEXT[key]
        for sid, (staff_id, name) in names.items():
            r = present.get(sid)
            date = vals.at[r, date_field] if r is not None and date_field in vals else pd.NaT
            done = _step_done(vals, r, date_field, done_fields)
            if not done and as_of > deadline:
                out.append({"unit": unit, "staff_id": staff_id, "full_name": name, "month": month,
                            "code": f"{key}-missing", "since": deadline,
                            "message": f"{missing_text} tháng {month_label(month)} (hạn ngày {_d(deadline)})."})
            elif pd.notna(date) and date > deadline:
                out.append({"unit": unit, "staff_id": staff_id, "full_name": name, "month": month,
                            "code": f"{key}-late", "since": date,
                            "message": f"{done_text} tháng {month_label(month)} ngày {_d(date)}, sau hạn ngày {_d(deadline)}."})
    return out


def _step_done(vals: pd.DataFrame, r, date_field: str, done_fields: tuple[str, ...]) -> bool:
    """A person's step is done when its date or any of its result fields is filled."""
    if r is None:
        return False
    date = vals.at[r, date_field] if date_field in vals else pd.NaT
    return bool(pd.notna(date) or any(f in vals and pd.notna(vals.at[r, f]) for f in done_fields))


def due_steps(unit: str, ev: Evaluation, month: str, as_of, profile: Profile) -> list[dict]:
    """Steps of the month not done yet whose deadline has not passed (code `<step>-due`): who
    still has to self-assess, review or approve before the day. `status` reports a step only
    once its deadline has passed; reminders are sent before."""
    as_of = pd.Timestamp(as_of).normalize()
    names = _names(ev)
    tab = ev.tabs.get("evaluations")
    rows = month_rows(tab, month) if tab is not None else pd.Index([])
    vals = tab.values.loc[rows] if tab is not None else pd.DataFrame()
    present = {normalize_key(s): r for r, s in zip(rows, vals.get("staff_id", [])) if isinstance(s, str)}
    out = []
    for key, date_field, done_fields, _ in STEPS:
        day = profile.deadlines.get(key)
        if day is None:
            continue
        deadline = deadline_day(month, int(day))
        if as_of > deadline:
            continue
        missing_text, _ = STEP_TEXT[key]
        for sid, (staff_id, name) in names.items():
            if not _step_done(vals, present.get(sid), date_field, done_fields):
                out.append({"unit": unit, "staff_id": staff_id, "full_name": name, "month": month,
                            "code": f"{key}-due", "since": deadline,
                            "message": f"{missing_text} tháng {month_label(month)} (hạn ngày {_d(deadline)})."})
    return out


def _tasks(unit: str, ev: Evaluation, months: list[str], as_of: pd.Timestamp, store: Store | None,
           stale_after: int, names: dict[str, tuple[str, str]]) -> list[dict]:
    tab = ev.tabs.get("tasks")
    if tab is None or not months:
        return []
    rows = pd.Index([]).append([month_rows(tab, m) for m in months]) if months else pd.Index([])
    if not len(rows):
        return []
    t = tab.values.loc[rows]
    keys = row_keys(tab)
    history = _progress_since(store, unit, months, row_inputs(ev, "tasks", rows), keys) if store is not None else {}
    out = []
    for r, x in t.iterrows():
        owner = x.get("owner_id")
        staff_id, name = names.get(normalize_key(owner), (owner, "")) if isinstance(owner, str) else ("", "")
        q, done = x.get("assigned_qty"), x.get("done_qty")
        finished = pd.notna(q) and pd.notna(done) and done >= q
        if finished:
            continue
        label = f"Nhiệm vụ {x.get('task_id') or f'hàng {r}'}"
        due, start = x.get("due_date"), x.get("start_date")
        base = {"unit": unit, "staff_id": staff_id, "full_name": name, "month": x.get("month")}
        if pd.notna(due) and due < as_of:
            got = "chưa hoàn thành" if pd.isna(done) or done == 0 else f"mới hoàn thành {_num(done)}/{_num(q)}"
            out.append({**base, "code": "task-overdue", "since": due,
                        "message": f"{label} quá hạn từ ngày {_d(due)} ({got})."})
            continue
        if pd.notna(start) and start > as_of:
            continue
        since = history.get(keys[r])
        if since is not None and (as_of - pd.Timestamp(since).normalize()).days >= stale_after:
            days = (as_of - pd.Timestamp(since).normalize()).days
            out.append({**base, "code": "task-stale", "since": pd.Timestamp(since).normalize(),
                        "message": f"{label} chưa cập nhật tiến độ từ ngày {_d(since)} ({days} ngày)."})
    return out


def _num(v) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else f"{f:g}".replace(".", ",")


def _progress_since(store: Store, unit: str, months: list[str], current: dict[int, dict],
                    keys: pd.Series) -> dict[str, datetime]:
    """Per task row key: since when its progress values have been what they are now, by the
    record (None when the current values were never recorded: they changed since the last sync)."""
    hist = store.row_history(unit, "tasks", months)
    if hist.empty:
        return {}
    now_by_key = {keys[r]: tuple(d.get(f) for f in PROGRESS_FIELDS) for r, d in current.items()}
    out: dict[str, datetime] = {}
    for key, g in hist.groupby("row_key", sort=False):
        if key not in now_by_key:
            continue
        want = now_by_key[key]
        since = None
        for rec in g.sort_values("recorded_at", ascending=False).itertuples():
            if tuple(rec.data.get(f) for f in PROGRESS_FIELDS) != want:
                break
            since = rec.recorded_at
        if since is not None:
            out[key] = since
    return out


progress_since = _progress_since  # also read by history.bottlenecks


def _forms(unit: str, store: Store, as_of: pd.Timestamp, profile: Profile) -> list[dict]:
    day = profile.deadlines.get("forms_to_ward")
    if day is None:
        return []
    runs = store.runs(unit=unit, kind="report")
    um = store.unit_months(unit)
    window = set(window_months(as_of))
    months = sorted(m for m in um["month"] if m in window)
    out = []
    for month in months:
        deadline = deadline_day(month, int(day))
        if as_of <= deadline:
            continue
        made = [pd.Timestamp(r.at) for r in runs.itertuples() if month in (r.months or [])]
        base = {"unit": unit, "staff_id": "", "full_name": "", "month": month}
        if not made:
            out.append({**base, "code": "forms-missing", "since": deadline,
                        "message": f"Chưa lập biểu mẫu tháng {month_label(month)} gửi phường (hạn ngày {_d(deadline)})."})
        elif min(made).normalize() > deadline:
            out.append({**base, "code": "forms-late", "since": min(made),
                        "message": f"Biểu mẫu tháng {month_label(month)} lập ngày {_d(min(made))}, sau hạn ngày {_d(deadline)}."})
    return out


def year_counts(store: Store, year: int, units: list[str] | None = None) -> pd.DataFrame:
    """Tasks, returns, delays and overdue tasks per person and month of the year, as recorded."""
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    pm = store.months_for(months=months)
    if units is not None:
        pm = pm[pm["unit"].isin(units)]
    if pm.empty:
        return pd.DataFrame(columns=COUNT_COLUMNS)
    return pm[COUNT_COLUMNS].sort_values(["unit", "staff_id", "month"]).reset_index(drop=True)



def weekly_items(unit: str, ev: Evaluation, months: list[str], as_of: pd.Timestamp, profile: Profile,
                 names: dict[str, tuple[str, str]]) -> list[dict]:
    """Weekly reports missing or late per person (see the module docstring)."""
    return [{"unit": unit, **it} for it in weekly_report_items(ev, months, as_of, profile, names)]


def plan_items(unit: str, ev: Evaluation, months: list[str], names: dict[str, tuple[str, str]]) -> list[dict]:
    """People without a planned task, and feedback unanswered too long, in `months`."""
    plans = ev.plans
    if plans is None or not months:
        return []
    out = []
    for month in months:
        for code in plans.missing.get(month, []):
            staff_id, name = names.get(normalize_key(code), (code, ""))
            day = plans.plan_days[month]
            out.append({"unit": unit, "staff_id": staff_id, "full_name": name, "month": month, "code": "plan-missing",
                        "since": day, "message": f"Chưa có nhiệm vụ trong kế hoạch tháng {month_label(month)} "
                                                 f"(hạn giao ngày {_d(day)})."})
    fb = plans.feedback
    if len(fb):
        fb = fb[fb["escalated"].astype(bool) & fb["month"].isin(months)]
    for r in fb.itertuples():
        owner = names.get(normalize_key(r.owner), (r.owner, "")) if isinstance(r.owner, str) else ("", "")
        who = r.manager if isinstance(r.manager, str) else r.owner
        staff_id, name = names.get(normalize_key(who), (who, "")) if isinstance(who, str) else ("", "")
        kind = f" ({r.kind})" if isinstance(r.kind, str) else ""
        out.append({"unit": unit, "staff_id": staff_id, "full_name": name, "month": r.month, "code": "feedback-open",
                    "since": r.date, "message": f"Phản hồi của {' '.join(x for x in owner if x)} về nhiệm vụ "
                                                f"{r.task_id}{kind} từ ngày {_d(r.date)} chưa được trả lời "
                                                f"({int(r.days)} ngày)."})
    return out
