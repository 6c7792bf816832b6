"""Weekly reports (tab Báo cáo tuần) against the tasks they report on.

The single-tab rules (types, required cells, the week as an ISO week) come from
schemas/weekly.yaml like every tab's; what needs the Nhiệm vụ tab is here, over whole columns:
- the reporter must be the task's owner or one of its collaborators;
- the week must fall in the task's time: not before the earlier of its month's first day and its
  start date, and, once the task is done, not after the later of its month's last day, its due
  date and its done date (an unfinished overdue task is still reported on, week after week);
- a week that has not started yet is not a report;
- a person's progress on a task may not go down from one week to the next without a note.

The valid reports give each task its latest weekly progress (what the task's progress is taken
to be when the task row gives none) and its latest reported week, from which an unfinished
task without a report for the profile's `weekly.stale_weeks` due weeks is flagged on its row.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sheetsync.config.profile import WEEKLY_DEFAULTS, Profile
from sheetsync.domain.calendar import (
    month_end,
    month_of,
    month_start,
    week_day,
    week_end,
    week_label,
    week_of,
    week_start,
)
from sheetsync.engine.findings import Findings
from sheetsync.engine.validate import TabData, _num
from sheetsync.engine.values import map_distinct
from sheetsync.text import normalize_key, normalize_keys

if TYPE_CHECKING:
    from sheetsync.results import Evaluation

# Per task (indexed by the normalised task code): what the weekly reports say.
LATEST_COLUMNS = ["last_week", "reports", "progress", "progress_week"]


def _keys(s: pd.Series) -> pd.Series:
    return map_distinct(s, normalize_keys, vectorized=True)


def _d(ts) -> str:
    return pd.Timestamp(ts).strftime("%d/%m/%Y")


def _week_bounds(weeks: pd.Series) -> tuple[pd.Series, pd.Series]:
    first = map_distinct(weeks, lambda w: pd.Timestamp(week_start(w)))
    last = map_distinct(weeks, lambda w: pd.Timestamp(week_end(w)))
    return pd.to_datetime(first), pd.to_datetime(last)


def _report(tab: TabData, findings: Findings, key: str, mask: pd.Series, severity: str, code: str,
            messages: pd.Series) -> None:
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return
    rows = mask.index[mask.to_numpy()]
    findings.add_many(tab.title, rows, tab.header(key), severity, code, messages.reindex(rows),
                      col_letter=tab.letters.get(key))
    if severity == "error":
        tab.mark(key, mask)


def check_weekly(weekly: TabData, tasks: TabData | None, as_of: pd.Timestamp, findings: Findings) -> pd.DataFrame:
    """Check the weekly reports against the tasks; returns per task the latest report
    (LATEST_COLUMNS, indexed by the normalised task code) from the reports without errors."""
    empty = pd.DataFrame(columns=LATEST_COLUMNS)
    need = ("staff_id", "week", "task_id")
    if tasks is None or not all(k in weekly.values for k in need) or "task_id" not in tasks.values:
        return empty
    w = weekly.values.loc[weekly.rows]
    w = w[w["week"].notna() & w["task_id"].notna() & w["staff_id"].notna()]
    if w.empty:
        return empty
    t = tasks.values.loc[tasks.rows]
    t = t[t["task_id"].notna()]
    t = t.assign(_key=_keys(t["task_id"]))
    t = t[~t["_key"].duplicated(keep="first")].set_index("_key")
    tkey = _keys(w["task_id"])
    known = tkey.isin(t.index)
    w, tkey = w[known], tkey[known]
    if w.empty:
        return empty
    task = t.reindex(tkey.to_numpy())
    task.index = w.index
    wk_first, wk_last = _week_bounds(w["week"])
    label = map_distinct(w["week"], week_label)

    # The reporter: owner or collaborator.
    skey = _keys(w["staff_id"])
    owner = _keys(task["owner_id"]) if "owner_id" in task else pd.Series(None, index=w.index, dtype=object)
    is_owner = (skey == owner).fillna(False)
    stranger = ~is_owner
    if stranger.any() and "collaborators" in task:
        cols = task.loc[stranger, "collaborators"]
        helper = [isinstance(c, tuple) and s in normalize_keys(c) for s, c in zip(skey[stranger], cols)]
        stranger.loc[stranger[stranger].index] = ~np.array(helper, dtype=bool)
    if stranger.any():
        msgs = pd.Series([f"'{s}' không phải người chịu trách nhiệm hay người phối hợp của nhiệm vụ {k}; "
                          "cần báo cáo bằng mã của người được giao hoặc thêm người này vào cột Phối hợp."
                          for s, k in zip(w.loc[stranger, "staff_id"], w.loc[stranger, "task_id"])],
                         index=w.index[stranger.to_numpy()])
        _report(weekly, findings, "staff_id", stranger, "error", "weekly.not-assigned", msgs)

    # The week inside the task's time.
    month = task.get("month")
    m_first = pd.to_datetime(map_distinct(month, lambda m: pd.Timestamp(month_start(m)))) if month is not None \
        else pd.Series(pd.NaT, index=w.index)
    m_last = pd.to_datetime(map_distinct(month, lambda m: pd.Timestamp(month_end(m)))) if month is not None \
        else pd.Series(pd.NaT, index=w.index)
    start = pd.concat([m_first, task.get("start_date", pd.Series(pd.NaT, index=w.index))], axis=1).min(axis=1)
    done_date = task.get("done_date", pd.Series(pd.NaT, index=w.index))
    end = pd.concat([m_last, task.get("due_date", pd.Series(pd.NaT, index=w.index)), done_date], axis=1).max(axis=1)
    end = end.where(done_date.notna())
    before = (wk_last < start).fillna(False)
    after = (wk_first > end).fillna(False)
    outside = before | after
    if outside.any():
        rows = w.index[outside.to_numpy()]
        msgs = pd.Series({r: (f"{label[r]} nằm ngoài thời gian của nhiệm vụ {w.at[r, 'task_id']} "
                              f"(từ {_d(start[r])}" + (f" đến {_d(end[r])}" if pd.notna(end[r]) else "") +
                              "); cần ghi tuần đã làm nhiệm vụ này.") for r in rows}, dtype=object)
        _report(weekly, findings, "week", outside, "error", "weekly.week-outside-task", msgs)

    future = (wk_first > as_of).fillna(False) & ~outside
    if future.any():
        msgs = label[future].map(lambda lb: f"{lb} chưa bắt đầu (ngày tính {_d(as_of)}); "
                                            "báo cáo tuần chỉ ghi cho tuần đã qua hoặc đang diễn ra.")
        _report(weekly, findings, "week", future, "warning", "weekly.future-week", msgs)

    # Progress going down without a note, per person and task, in week order.
    usable = ~(stranger | outside | future)
    if "progress_pct" in w:
        errs = weekly.errors.reindex(w.index).fillna(False)
        for k in ("progress_pct", "week", "task_id", "staff_id"):
            if k in errs:
                usable &= ~errs[k].astype(bool)
        p = w.loc[usable & w["progress_pct"].notna(), ["week", "progress_pct"]].assign(
            _s=skey, _t=tkey).sort_values(["_s", "_t", "week"], kind="stable")
        if len(p):
            series = p.groupby(["_s", "_t"], sort=False).ngroup()
            prev = p["progress_pct"].groupby(series).cummax().groupby(series).shift(1)
            noted = w["note"].reindex(p.index).notna() if "note" in w else pd.Series(False, index=p.index)
            down = (p["progress_pct"] < prev - 1e-9).fillna(False) & ~noted
            if down.any():
                msgs = pd.Series({r: (f"Tiến độ {_num(p.at[r, 'progress_pct'])}% thấp hơn tuần trước "
                                      f"({_num(prev[r])}%); cần ghi lý do ở cột {weekly.header('note')}.")
                                  for r in down.index[down.to_numpy()]}, dtype=object)
                full = pd.Series(False, index=w.index)
                full[msgs.index] = True
                _report(weekly, findings, "progress_pct", full, "warning", "weekly.progress-backwards", msgs)

    # What the valid reports say per task.
    ok = usable.copy()
    errs = weekly.errors.reindex(w.index).fillna(False)
    for k in need:
        if k in errs:
            ok &= ~errs[k].astype(bool)
    v = w[ok].assign(_t=tkey[ok], _own=is_owner[ok].astype(int))
    if v.empty:
        return empty
    # The latest week by its Monday (a numeric max: object maxima fall back to Python per group).
    last_week = wk_first[v.index].groupby(v["_t"]).max().map(lambda ts: week_of(ts.date()))
    reports = v.groupby("_t").size()
    out = pd.DataFrame({"last_week": last_week, "reports": reports})
    if "progress_pct" in v:
        sort = ["week", "_own"] + (["report_date"] if "report_date" in v else [])
        pv = v[v["progress_pct"].notna()].sort_values(sort, kind="stable", na_position="first")
        last = pv.groupby("_t").tail(1).set_index("_t")
        out["progress"] = last["progress_pct"].reindex(out.index)
        out["progress_week"] = last["week"].reindex(out.index)
    else:
        out["progress"] = np.nan
        out["progress_week"] = None
    return out[LATEST_COLUMNS]


def due_weeks(first: str, as_of: date, report_day: int) -> int:
    """How many weeks from `first` on have had their report day by `as_of`."""
    current = week_of(as_of)
    last = current if week_day(current, report_day) <= as_of else week_of(week_start(current) - timedelta(days=1))
    return max(0, (week_start(last) - week_start(first)).days // 7 + 1)


def stale_tasks(tasks: TabData, latest: pd.DataFrame, profile: Profile, as_of: pd.Timestamp,
                findings: Findings) -> pd.Series:
    """Flag unfinished, started tasks not yet overdue that have gone `weekly.stale_weeks` due
    weeks without a weekly report (overdue tasks are reported as overdue instead). Returns the
    number of due weeks missed per flagged task row."""
    settings = {**WEEKLY_DEFAULTS, **(profile.weekly or {})}
    day, limit = int(settings["report_day"]), int(settings["stale_weeks"])
    v = tasks.values.loc[tasks.rows]
    if v.empty or "task_id" not in v or "start_date" not in v:
        return pd.Series(dtype="int64")
    done = v.get("done_qty", pd.Series(np.nan, index=v.index))
    qty = v.get("assigned_qty", pd.Series(np.nan, index=v.index))
    finished = (done >= qty).fillna(False) | v.get("done_date", pd.Series(pd.NaT, index=v.index)).notna()
    due = v.get("due_date", pd.Series(pd.NaT, index=v.index))
    open_ = v["task_id"].notna() & v["start_date"].notna() & (v["start_date"] <= as_of) & ~finished & \
        ~(due < as_of).fillna(False)
    errs = tasks.errors.reindex(v.index).fillna(False)
    for k in ("task_id", "start_date"):
        if k in errs:
            open_ &= ~errs[k].astype(bool)
    if not open_.any():
        return pd.Series(dtype="int64")
    o = v[open_]
    last = _keys(o["task_id"]).map(latest["last_week"]) if len(latest) else pd.Series(None, index=o.index)
    today = as_of.date()
    missed = {}
    for r, s, lw in zip(o.index, o["start_date"], last):
        if isinstance(lw, str):
            first = week_of(week_end(lw) + timedelta(days=1))
            since = f"từ sau {week_label(lw)}"
        else:
            sd = s.date()
            # The first report is due in the start week when its report day is not yet past.
            first = week_of(sd) if week_day(week_of(sd), day) >= sd else week_of(sd + timedelta(days=7))
            since = f"từ khi bắt đầu ({_d(s)})"
        n = due_weeks(first, today, day)
        if n >= limit:
            missed[r] = (n, since)
    if not missed:
        return pd.Series(dtype="int64")
    rows = pd.Index(list(missed))
    msgs = pd.Series({r: f"Chưa có báo cáo tuần nào {since}: đã qua {n} kỳ báo cáo tuần; cần báo cáo tiến độ "
                         f"ở trang Báo cáo tuần." for r, (n, since) in missed.items()}, dtype=object)
    key = "progress_pct" if "progress_pct" in tasks.letters else "task_id"
    findings.add_many(tasks.title, rows, tasks.header(key), "warning", "task.weekly-stale", msgs.reindex(rows),
                      col_letter=tasks.letters.get(key))
    return pd.Series({r: n for r, (n, _) in missed.items()}, dtype="int64")


def task_progress(tasks: TabData, latest: pd.DataFrame | None) -> pd.DataFrame:
    """Each task row's progress: the row's own, else its latest weekly report's (with the week
    it comes from). Columns: progress, source ("task", "weekly" or None), week."""
    v = tasks.values.loc[tasks.rows]
    own = v.get("progress_pct", pd.Series(np.nan, index=v.index)).astype("float64")
    out = pd.DataFrame({"progress": own, "source": np.where(own.notna(), "task", None), "week": None},
                       index=v.index)
    if latest is None or latest.empty or "task_id" not in v:
        return out
    keys = _keys(v["task_id"])
    wp = keys.map(latest["progress"]).astype("float64")
    ww = keys.map(latest["progress_week"])
    fill = own.isna() & wp.notna()
    out.loc[fill, "progress"] = wp[fill]
    out.loc[fill, "source"] = "weekly"
    out.loc[fill, "week"] = ww[fill]
    return out


WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def weekly_report_items(ev: Evaluation, months: list[str], as_of: pd.Timestamp, profile: Profile,
                        names: dict[str, tuple[str, str]] | None = None) -> list[dict]:
    """Weekly reports missing or late per person and week, in `months` (see `history.tracking`
    for the rule): dicts with staff_id, full_name, month, code (weekly-missing, weekly-late),
    since and message. `names`: normalised staff code → (code, name), default from the roster."""
    wk, tasks = ev.tabs.get("weekly"), ev.tabs.get("tasks")
    if wk is None or tasks is None or not months or not {"staff_id", "week"} <= set(wk.values):
        return []
    w = wk.values.loc[wk.rows]
    errs = wk.errors.reindex(w.index).fillna(False)
    ok = w["staff_id"].notna() & w["week"].notna()
    for k in ("staff_id", "week"):
        if k in errs:
            ok &= ~errs[k].astype(bool)
    w = w[ok]
    if w.empty:
        return []
    day = int({**WEEKLY_DEFAULTS, **(profile.weekly or {})}["report_day"])
    today = as_of.date()
    first = max(min(w["week"]), week_of(month_start(min(months))))
    last_day = min(today, month_end(max(months)))
    weeks, monday = [], week_start(first)
    while monday <= last_day:
        weeks.append(week_of(monday))
        monday += timedelta(days=7)
    weeks = [x for x in weeks if month_of(week_day(x, day)) in set(months)]
    if not weeks:
        return []
    # Who reported when, per (person, week): the first report date (NaT when undated).
    keys = _keys(w["staff_id"])
    dates = w["report_date"] if "report_date" in w else pd.Series(pd.NaT, index=w.index)
    first_report = dates.groupby([keys, w["week"]]).min()
    reported = set(first_report.index)
    # Who had a task running in each week: tasks × weeks at once (the owner answers for the
    # task's weekly report; collaborators may report too).
    t = tasks.values.loc[tasks.rows]
    if "start_date" not in t or "owner_id" not in t:
        return []
    start, end = pd.Timestamp(week_start(weeks[0])), pd.Timestamp(week_day(weeks[-1], day))
    done = t["done_date"] if "done_date" in t else pd.Series(pd.NaT, index=t.index)
    live = (t["start_date"].notna() & (t["start_date"] <= end) & ~(done < start).fillna(False)
            & t["owner_id"].notna()).to_numpy(dtype=bool)
    owners = _keys(t["owner_id"][live]).to_numpy(dtype=object)
    s0 = t["start_date"][live].to_numpy(dtype="datetime64[ns]")
    d0 = done[live].to_numpy(dtype="datetime64[ns]")
    mons = np.array([week_start(x) for x in weeks], dtype="datetime64[ns]")
    dues = np.array([week_day(x, day) for x in weeks], dtype="datetime64[ns]")
    running = (s0[:, None] <= dues[None, :]) & (np.isnat(d0)[:, None] | (d0[:, None] >= mons[None, :]))
    ti, wi = np.nonzero(running)
    pairs = pd.DataFrame({"sid": owners[ti], "week": np.array(weeks, dtype=object)[wi]}).drop_duplicates()
    expected: dict[str, set[str]] = {}
    for sid, x in zip(pairs["sid"], pairs["week"]):
        if isinstance(sid, str):
            expected.setdefault(x, set()).add(sid)
    names = _roster_names(ev) if names is None else names
    out: list[dict] = []
    for x in weeks:
        due = week_day(x, day)
        deadline = pd.Timestamp(due)
        base = {"month": month_of(due), "week": x}
        label = week_label(x)
        for sid in sorted(expected.get(x, ())):
            staff_id, name = names.get(sid, (sid, ""))
            if (sid, x) in reported:
                got = first_report[(sid, x)]
                if pd.notna(got) and got > deadline:
                    out.append({**base, "staff_id": staff_id, "full_name": name, "code": "weekly-late", "since": got,
                                "message": f"Báo cáo {label[0].lower()}{label[1:]} ngày {_d(got)}, sau hạn "
                                           f"{WEEKDAYS[day - 1]} {_d(deadline)}."})
            elif as_of > deadline:
                out.append({**base, "staff_id": staff_id, "full_name": name, "code": "weekly-missing",
                            "since": deadline,
                            "message": f"Chưa báo cáo {label[0].lower()}{label[1:]} (hạn {WEEKDAYS[day - 1]} "
                                       f"{_d(deadline)})."})
    return out


def _roster_names(ev: Evaluation) -> dict[str, tuple[str, str]]:
    staff = ev.tabs.get("staff")
    if staff is None or "staff_id" not in staff.values:
        return {}
    v = staff.values.loc[staff.rows]
    full = v["full_name"] if "full_name" in v else pd.Series(None, index=v.index)
    return {normalize_key(s): (s, n if isinstance(n, str) else "") for s, n in zip(v["staff_id"], full)
            if isinstance(s, str)}
