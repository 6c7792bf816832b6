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

import functools
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sheetsync.config.profile import WEEKLY_DEFAULTS, Profile
from sheetsync.domain.calendar import (
    month_end,
    month_of,
    month_start,
    week_day,
    week_label,
    week_of,
    week_start,
)
from sheetsync.engine.findings import Findings
from sheetsync.engine.validate import TabData, _num, frame_of
from sheetsync.engine.values import factorize, map_distinct
from sheetsync.text import normalize_key, normalize_keys

if TYPE_CHECKING:
    from sheetsync.results import Evaluation

# Per task (indexed by the normalised task code): what the weekly reports say.
LATEST_COLUMNS = ["last_week", "reports", "progress", "progress_week"]


def _keys(s: pd.Series) -> pd.Series:
    return map_distinct(s, normalize_keys, vectorized=True)


def _d(ts) -> str:
    return pd.Timestamp(ts).strftime("%d/%m/%Y")


NAT = np.datetime64("NaT", "ns")


def _dates(s: pd.Series, func) -> np.ndarray:
    """`func` (a value → a date) over each distinct value of `s` once, spread back over the
    rows as datetime64 (NaT where the value is missing)."""
    codes, uniques = factorize(s.to_numpy()) if s.dtype == object else pd.factorize(s, use_na_sentinel=True)
    days = np.array([func(u) for u in uniques] + [None], dtype="datetime64[ns]")
    return days[codes]  # code -1 (missing) takes the NaT at the end


def _best_before(values: np.ndarray, series: np.ndarray) -> np.ndarray:
    """For each value, the highest value before it in its series (`series`: non-decreasing ids,
    each series contiguous), NaN for a series' first: `groupby(series).cummax()` shifted by one
    in the group. A unit's few hundred reports in a plain loop; a year's through pandas."""
    if len(values) > _LOOP_LIMIT:
        p = pd.Series(values)
        return p.groupby(series).cummax().groupby(series).shift(1).to_numpy()
    out = np.full(len(values), np.nan)
    best, current = np.nan, None
    for i, (v, s) in enumerate(zip(values.tolist(), series.tolist())):
        if s != current:
            best, current = np.nan, s
        else:
            out[i] = best
        if not v <= best:  # a NaN best (a series' start) takes any value, as cummax skips NaN
            best = v
    return out


_LOOP_LIMIT = 5_000


def _column(frame: pd.DataFrame, key: str) -> np.ndarray:
    return frame[key].to_numpy(dtype="datetime64[ns]") if key in frame else np.full(len(frame), NAT)


def _earliest(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(np.isnat(a), b, np.where(np.isnat(b), a, np.minimum(a, b)))


def _latest(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(np.isnat(a), b, np.where(np.isnat(b), a, np.maximum(a, b)))


def _report(tab: TabData, findings: Findings, key: str, mask: np.ndarray, index: pd.Index, severity: str,
            code: str, messages: list[str]) -> None:
    """Findings on the rows of `index` where `mask` holds, with one message per such row."""
    if not mask.any():
        return
    rows = index[mask]
    findings.add_many(tab.title, rows, tab.header(key), severity, code, pd.Series(messages, index=rows, dtype=object),
                      col_letter=tab.letters.get(key))
    if severity == "error":
        tab.mark(key, pd.Series(mask, index=index))


def _not_in_error(tab: TabData, index: pd.Index, keys) -> np.ndarray:
    errs = tab.errors.reindex(index).fillna(False)
    ok = np.ones(len(index), dtype=bool)
    for k in keys:
        if k in errs:
            ok &= ~errs[k].to_numpy(dtype=bool)
    return ok


def check_weekly(weekly: TabData, tasks: TabData | None, as_of: pd.Timestamp, findings: Findings) -> pd.DataFrame:
    """Check the weekly reports against the tasks; returns per task the latest report
    (LATEST_COLUMNS, indexed by the normalised task code) from the reports without errors.
    Whole columns at a time: distinct values (weeks, months, codes) are converted once."""
    empty = pd.DataFrame(columns=LATEST_COLUMNS)
    need = ("staff_id", "week", "task_id")
    if tasks is None or not all(k in weekly.values for k in need) or "task_id" not in tasks.values:
        return empty
    # The reports and their tasks as small frames made from the columns' arrays (a frame's own
    # selection and filtering cost more than the checks on a small unit).
    v = weekly.on_rows(weekly.values)
    w_cols = [k for k in (*need, "progress_pct", "note", "report_date") if k in v]
    keep = pd.notna(v["week"].to_numpy()) & pd.notna(v["task_id"].to_numpy()) & pd.notna(v["staff_id"].to_numpy())
    tv = tasks.on_rows(tasks.values)
    task_ids = tv["task_id"].to_numpy()
    listed = np.flatnonzero(pd.notna(task_ids))
    t_keys = pd.Index(_keys(pd.Series(task_ids[listed], dtype=object)))
    first = ~t_keys.duplicated(keep="first")
    listed, t_keys = listed[first], t_keys[first]
    at = np.full(len(v), -1)  # the task row of each report
    at[keep] = t_keys.get_indexer(_keys(pd.Series(v["task_id"].to_numpy()[keep], dtype=object)).to_numpy(dtype=object))
    keep &= at >= 0
    if not keep.any():
        return empty
    w = frame_of({k: v[k].to_numpy()[keep] for k in w_cols}, v.index[keep])
    at = at[keep]
    of = listed[at]  # each report's task, as a row of the tasks tab
    task = frame_of({k: tv[k].to_numpy()[of] for k in ("task_id", "owner_id", "collaborators", "month", "start_date",
                                                        "due_date", "done_date") if k in tv}, tv.index[of])
    tkey = t_keys.to_numpy(dtype=object)[at]
    rows = w.index
    wk_first = _dates(w["week"], week_start)
    wk_last = wk_first + np.timedelta64(6, "D")

    # The reporter: owner or collaborator (collaborators judged once per task and person).
    skey = _keys(w["staff_id"]).to_numpy(dtype=object)
    owner = _keys(task["owner_id"]).to_numpy(dtype=object) if "owner_id" in task else np.full(len(w), None)
    is_owner = (skey == owner) & ~pd.isna(owner)
    stranger = ~is_owner
    if stranger.any() and "collaborators" in task:
        idx = np.flatnonzero(stranger)
        helpers: dict[tuple, bool] = {}
        for i, c in zip(idx, task["collaborators"].to_numpy(dtype=object)[idx]):
            pair = (tkey[i], skey[i])
            if pair not in helpers:
                helpers[pair] = isinstance(c, tuple) and skey[i] in normalize_keys(c)
            stranger[i] = not helpers[pair]
    _report(weekly, findings, "staff_id", stranger, rows, "error", "weekly.not-assigned",
            [f"'{s}' không phải người chịu trách nhiệm hay người phối hợp của nhiệm vụ {k}; "
             "cần báo cáo bằng mã của người được giao hoặc thêm người này vào cột Phối hợp."
             for s, k in zip(w["staff_id"].to_numpy()[stranger], w["task_id"].to_numpy()[stranger])])

    # The week inside the task's time.
    if "month" in task:
        m_first, m_last = _dates(task["month"], month_start), _dates(task["month"], month_end)
    else:
        m_first = m_last = np.full(len(w), NAT)
    start = _earliest(m_first, _column(task, "start_date"))
    done_date = _column(task, "done_date")
    end = _latest(_latest(m_last, _column(task, "due_date")), done_date)
    end[np.isnat(done_date)] = NAT
    outside = (wk_last < start) | (wk_first > end)  # NaT compares False
    weeks = w["week"].to_numpy(dtype=object)
    label, day = functools.cache(week_label), functools.cache(_d)  # messages repeat the same weeks and days
    _report(weekly, findings, "week", outside, rows, "error", "weekly.week-outside-task",
            [f"{label(wk)} nằm ngoài thời gian của nhiệm vụ {code} (từ {day(a)}"
             + (f" đến {day(b)}" if not np.isnat(b) else "") + "); cần ghi tuần đã làm nhiệm vụ này."
             for wk, code, a, b in zip(weeks[outside], w["task_id"].to_numpy()[outside], start[outside],
                                       end[outside])])

    future = (wk_first > np.datetime64(as_of, "ns")) & ~outside
    _report(weekly, findings, "week", future, rows, "warning", "weekly.future-week",
            [f"{label(wk)} chưa bắt đầu (ngày tính {_d(as_of)}); "
             "báo cáo tuần chỉ ghi cho tuần đã qua hoặc đang diễn ra." for wk in weeks[future]])

    # Progress going down without a note, per person and task, in week order.
    usable = ~(stranger | outside | future)
    if "progress_pct" in w:
        progress = w["progress_pct"].to_numpy(dtype="float64", na_value=np.nan)
        idx = np.flatnonzero(usable & _not_in_error(weekly, rows, ("progress_pct", *need)) & ~np.isnan(progress))
        if len(idx):
            person = pd.factorize(skey[idx])[0]
            job = pd.factorize(tkey[idx])[0]
            idx = idx[np.lexsort((wk_first[idx].view("int64"), job, person))]  # stable: ties keep sheet order
            person, job = pd.factorize(skey[idx])[0], pd.factorize(tkey[idx])[0]
            series = np.cumsum(np.r_[True, (person[1:] != person[:-1]) | (job[1:] != job[:-1])])
            prev = _best_before(progress[idx], series)
            noted = w["note"].notna().to_numpy()[idx] if "note" in w else np.zeros(len(idx), dtype=bool)
            with np.errstate(invalid="ignore"):
                down = (progress[idx] < prev - 1e-9) & ~noted
            full = np.zeros(len(w), dtype=bool)
            full[idx[down]] = True
            before = dict(zip(idx[down], prev[down]))
            _report(weekly, findings, "progress_pct", full, rows, "warning", "weekly.progress-backwards",
                    [f"Tiến độ {_num(progress[i])}% thấp hơn tuần trước ({_num(before[i])}%); "
                     f"cần ghi lý do ở cột {weekly.header('note')}." for i in np.flatnonzero(full)])

    # What the valid reports say per task.
    ok = usable & _not_in_error(weekly, rows, need)
    if not ok.any():
        return empty
    code, keys = pd.factorize(tkey[ok], sort=True)
    # Each task's latest Monday (every code has a report; a week that reads is never NaT here).
    latest_day = np.full(len(keys), np.iinfo("int64").min, dtype="int64")
    np.maximum.at(latest_day, code, wk_first[ok].astype("datetime64[ns]").view("int64"))
    mondays = pd.Series(latest_day.view("datetime64[ns]"))
    # The latest week by its Monday (numeric), named once per distinct Monday.
    out = pd.DataFrame({"last_week": map_distinct(mondays, lambda ts: week_of(ts.date())).to_numpy(),
                        "reports": np.bincount(code, minlength=len(keys))},
                       index=pd.Index(keys, name="_t"))
    if "progress_pct" in w:
        has = ~np.isnan(progress[ok])
        sel = np.flatnonzero(has)
        # The last report per task in order of week, owner's over a collaborator's, report date
        # (undated first), then sheet order.
        dated = _column(w, "report_date")[ok][sel].view("int64")  # NaT is the smallest
        order = sel[np.lexsort((dated, is_owner[ok][sel], wk_first[ok][sel].view("int64"), code[sel]))]
        last = order[np.r_[code[order][1:] != code[order][:-1], True]] if len(order) else order
        out["progress"] = pd.Series(progress[ok][last], index=keys[code[last]]).reindex(out.index)
        out["progress_week"] = pd.Series(weeks[ok][last], index=keys[code[last]], dtype=object).reindex(out.index)
    else:
        out["progress"] = np.nan
        out["progress_week"] = None
    return out[LATEST_COLUMNS]


def stale_tasks(tasks: TabData, latest: pd.DataFrame, profile: Profile, as_of: pd.Timestamp,
                findings: Findings) -> pd.Series:
    """Flag unfinished, started tasks not yet overdue that have gone `weekly.stale_weeks` due
    weeks without a weekly report (overdue tasks are reported as overdue instead). Returns the
    number of due weeks missed per flagged task row."""
    settings = {**WEEKLY_DEFAULTS, **(profile.weekly or {})}
    day, limit = int(settings["report_day"]), int(settings["stale_weeks"])
    v = tasks.on_rows(tasks.values)
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
    # In days, by whole columns: each row's first week due a report (the week after its last
    # report; else its start week when the report day is not yet past, or the next), and the
    # last week whose report day has come by `as_of`.
    last = _keys(o["task_id"]).map(latest["last_week"]) if len(latest) else pd.Series(None, index=o.index)
    reported = _dates(last, week_start).astype("datetime64[D]")
    started = o["start_date"].to_numpy(dtype="datetime64[D]")
    offset = np.timedelta64(day - 1, "D")
    start_monday = _monday(started)
    first = np.where(np.isnat(reported),
                     np.where(start_monday + offset >= started, start_monday, start_monday + np.timedelta64(7, "D")),
                     reported + np.timedelta64(7, "D"))
    today = np.datetime64(as_of.date(), "D")
    this_monday = _monday(np.array([today]))[0]
    last_due = this_monday if this_monday + offset <= today else this_monday - np.timedelta64(7, "D")
    missed = np.maximum(0, (last_due - first).astype("int64") // 7 + 1)
    flagged = missed >= limit
    if not flagged.any():
        return pd.Series(dtype="int64")
    rows = o.index[flagged]
    since = [f"từ sau {week_label(lw)}" if isinstance(lw, str) else f"từ khi bắt đầu ({_d(sd)})"
             for lw, sd in zip(last.to_numpy(dtype=object)[flagged], o["start_date"].to_numpy()[flagged])]
    msgs = pd.Series([f"Chưa có báo cáo tuần nào {s}: đã qua {n} kỳ báo cáo tuần; cần báo cáo tiến độ "
                      f"ở trang Báo cáo tuần." for s, n in zip(since, missed[flagged])], index=rows, dtype=object)
    key = "progress_pct" if "progress_pct" in tasks.letters else "task_id"
    findings.add_many(tasks.title, rows, tasks.header(key), "warning", "task.weekly-stale", msgs,
                      col_letter=tasks.letters.get(key))
    return pd.Series(missed[flagged], index=rows, dtype="int64")


def _monday(days: np.ndarray) -> np.ndarray:
    """The Monday of each day's week (1 January 1970 was a Thursday)."""
    return days - ((days.astype("int64") + 3) % 7).astype("timedelta64[D]")


def task_progress(tasks: TabData, latest: pd.DataFrame | None) -> pd.DataFrame:
    """Each task row's progress: the row's own, else its latest weekly report's (with the week
    it comes from). Columns: progress, source ("task", "weekly" or None), week."""
    v = tasks.on_rows(tasks.values)
    own = v.get("progress_pct", pd.Series(np.nan, index=v.index)).astype("float64")
    out = pd.DataFrame({"progress": own, "source": np.where(own.notna(), "task", None), "week": None},
                       index=v.index)
    if latest is None or latest.empty or "task_id" not in v:
        return out
    keys = _keys(v["task_id"])
    wp = keys.map(latest["progress"]).astype("float64")
    fill = (own.isna() & wp.notna()).to_numpy(dtype=bool)
    if not fill.any():
        return out
    # The filled columns made whole, as setting the filled rows into `out` leaves them: the
    # source stays `str` where the tasks' own progress made it so, else `object`.
    source = out["source"].to_numpy(dtype=object).copy()
    source[fill] = "weekly"
    week = np.full(len(out), None, dtype=object)
    week[fill] = keys.map(latest["progress_week"]).to_numpy(dtype=object)[fill]
    return pd.DataFrame({
        "progress": np.where(fill, wp.to_numpy(), own.to_numpy()),
        "source": pd.Series(source, index=out.index, dtype=out["source"].dtype),
        "week": pd.Series(week, index=out.index, dtype=object),
    }, index=out.index)


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
    # Who had a task running in each week: tasks × weeks at once (the owner answers for the
    # task's weekly report; collaborators may report too).
    t = tasks.values.loc[tasks.rows, [k for k in ("start_date", "owner_id", "done_date") if k in tasks.values]]
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
    # Each (week, person) expected once, as one number: week index × people + person, people
    # sorted so that the numbers come in the order the items are listed.
    who, people = pd.factorize(owners[ti], sort=True)
    people = pd.Index(people, dtype=object)
    n = max(len(people), 1)
    expected = np.unique(wi[who >= 0].astype(np.int64) * n + who[who >= 0])
    # Who reported when, per (week, person): the first report date (NaT when undated).
    rp = people.get_indexer(_keys(w["staff_id"]).to_numpy(dtype=object))
    rw = w["week"].map({x: i for i, x in enumerate(weeks)}).fillna(-1).to_numpy(dtype=np.int64)
    m = (rp >= 0) & (rw >= 0)
    dates = _column(w, "report_date")[m]
    first_report = pd.Series(dates).groupby(rw[m] * n + rp[m]).min()
    at = np.searchsorted(first_report.index.to_numpy(), expected)
    reported = at < len(first_report)
    reported[reported] = first_report.index.to_numpy()[at[reported]] == expected[reported]
    got = np.full(len(expected), NAT)
    got[reported] = first_report.to_numpy(dtype="datetime64[ns]")[at[reported]]
    deadline = dues[expected // n]
    late = reported & ~np.isnat(got) & (got > deadline)
    missing = ~reported & (np.datetime64(as_of, "ns") > deadline)
    names = _roster_names(ev) if names is None else names
    labels = {x: week_label(x) for x in weeks}
    out: list[dict] = []
    for i in np.flatnonzero(late | missing):
        x, sid = weeks[expected[i] // n], people[expected[i] % n]
        due = pd.Timestamp(deadline[i])
        label = labels[x]
        staff_id, name = names.get(sid, (sid, ""))
        base = {"month": month_of(due.date()), "week": x, "staff_id": staff_id, "full_name": name}
        if late[i]:
            when = pd.Timestamp(got[i])
            out.append({**base, "code": "weekly-late", "since": when,
                        "message": f"Báo cáo {label[0].lower()}{label[1:]} ngày {_d(when)}, sau hạn "
                                   f"{WEEKDAYS[day - 1]} {_d(due)}."})
        else:
            out.append({**base, "code": "weekly-missing", "since": due,
                        "message": f"Chưa báo cáo {label[0].lower()}{label[1:]} (hạn {WEEKDAYS[day - 1]} "
                                   f"{_d(due)})."})
    return out


def _roster_names(ev: Evaluation) -> dict[str, tuple[str, str]]:
    staff = ev.tabs.get("staff")
    if staff is None or "staff_id" not in staff.values:
        return {}
    v = staff.values.loc[staff.rows]
    full = v["full_name"] if "full_name" in v else pd.Series(None, index=v.index)
    return {normalize_key(s): (s, n if isinstance(n, str) else "") for s, n in zip(v["staff_id"], full)
            if isinstance(s, str)}
