"""Scoring as `scoring.md` says: per task row, per person, leaders, ratings, quotas,
deadlines and honesty checks. Every number comes from the profile.

Inputs are validated tabs (`TabData`); outputs are plain frames indexed by sheet row, and
findings. Computation is grouped over columns; the only Python loops are over leaders
(a handful per unit) and months.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sheetsync.config.profile import Profile, round_half_up
from sheetsync.domain.calendar import day_in_month, month_label
from sheetsync.domain.calendar import next_month as calendar_next_month
from sheetsync.engine.findings import Findings
from sheetsync.engine.messages import message
from sheetsync.engine.validate import TabData, _num, frame_of
from sheetsync.engine.values import map_distinct, month_bounds
from sheetsync.results import SCORE_FIELDS
from sheetsync.text import normalize_keys

TASK_UNUSABLE_FIELDS = ("owner_id", "product_code", "assigned_qty", "month")
SCORE_COLUMNS = [*SCORE_FIELDS, "suggested_rating"]  # what scoring writes on an evaluation row


@dataclass
class TaskScores:
    """Per task row: conversions, and whether the row is excluded or zeroed."""

    frame: pd.DataFrame  # index = sheet row; owner, task_id, month, A, D, Q, T, excluded, zeroed, no_evidence
    title: str = "Nhiệm vụ"  # the tasks tab as the workbook names it (for messages on other tabs)


@dataclass
class MonthScores:
    month: str
    people: pd.DataFrame  # one row per evaluated person (index = evaluation sheet row)
    roster: pd.DataFrame  # one row per roster person, in roster order, with results merged
    quota: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class MonthPart:
    """One month's scoring (`score_month`: its people, quota, counts and the findings it made)
    with the fingerprint of every input it read (`month_fingerprint`). An evaluation whose
    inputs for the month have the same fingerprint takes the part instead of scoring the month
    again; the part is the engine's own output, so reusing it cannot differ from recomputing."""

    fingerprint: str
    people: pd.DataFrame
    quota: list[dict]
    counts: dict[str, int]
    findings: Findings
    reused: bool = False


@dataclass
class Scores:
    tasks: TaskScores
    months: dict[str, MonthScores]
    evaluations: pd.DataFrame  # engine values per evaluation row
    okr: pd.DataFrame | None = None


def _norm(s: pd.Series) -> pd.Series:
    return map_distinct(s, normalize_keys, vectorized=True)


def _col(tab: TabData, key: str, default=np.nan) -> pd.Series:
    if key in tab.values:
        return tab.values[key]
    return pd.Series(default, index=tab.values.index)


def _usable(tab: TabData, key: str) -> pd.Series:
    """The value where its cell has no error, else NaN: scoring never uses a bad value."""
    v = _col(tab, key)
    if key in tab.errors and tab.errors[key].to_numpy().any():  # (else `where` would only copy it)
        v = v.where(~tab.errors[key])
    return v


# -- per task row ------------------------------------------------------------------------------

def score_tasks(tasks: TabData, catalogue: TabData | None, profile: Profile) -> TaskScores:
    rows = tasks.rows
    t = tasks.on_rows(tasks.values)
    err = tasks.on_rows(tasks.errors) if len(tasks.errors.columns) else pd.DataFrame(index=rows)
    coef = pd.Series(dtype="float64")
    if catalogue is not None and "product_code" in catalogue.values and "coefficient" in catalogue.values:
        cat = catalogue.on_rows(catalogue.values)
        ok = ~catalogue.on_rows(catalogue.errors).any(axis=1) if len(catalogue.errors.columns) else True
        cat = cat[ok] if not isinstance(ok, bool) else cat
        coef = pd.Series(cat["coefficient"].to_numpy(), index=_norm(cat["product_code"])).dropna()
        coef = coef[~coef.index.duplicated()]
    k = _norm(tasks.on_rows(_col(tasks, "product_code"))).map(coef).to_numpy(dtype="float64")
    q = tasks.on_rows(_usable(tasks, "assigned_qty")).to_numpy(dtype="float64")
    # The arithmetic on the rows' arrays (numpy's own operations, as pandas would run them, without
    # its fixed cost per operation: a month has a few dozen task rows).
    unusable = np.isnan(k) | np.isnan(q) | (q <= 0)
    for f in TASK_UNUSABLE_FIELDS:
        if f in err:
            unusable |= err[f].to_numpy(dtype=bool)
        if f not in t:
            unusable |= True
    neutral = {f.key for f in tasks.schema.fields if f.score_neutral}
    others = [c for c in err if c not in TASK_UNUSABLE_FIELDS and c not in neutral]
    other_error = err[others].to_numpy(dtype=bool).any(axis=1) if others else np.zeros(len(rows), dtype=bool)
    zeroed = ~unusable & other_error

    def number(key: str) -> np.ndarray:
        return tasks.on_rows(_col(tasks, key)).to_numpy(dtype="float64")

    done = _clip0(_fill0(number("done_qty")))
    h = np.minimum(done, q)
    excused = (tasks.on_rows(_col(tasks, "excused", "Không")) == "Có").to_numpy(dtype=bool)
    returns = _clip0(_fill0(number("returns")))
    due = tasks.on_rows(_col(tasks, "due_date", pd.NaT))
    done_date = tasks.on_rows(_col(tasks, "done_date", pd.NaT))
    late = (done_date > due).fillna(False).to_numpy(dtype="float64")
    delays = number("delays")
    delays = np.where(np.isnan(delays), late, delays)
    returns = np.where(excused, 0, returns)
    delays = np.where(excused, 0, delays)

    A = q * k
    D = h * k
    approved = (tasks.on_rows(_col(tasks, "review", "Chưa duyệt")) == "Đạt").to_numpy(dtype=bool)
    Q = np.where(approved, D * _clip0(1 - profile.per_return * returns), 0.0)
    T = D * _clip0(1 - profile.per_delay * delays)
    D, Q, T = (np.where(zeroed, 0.0, x) for x in (D, Q, T))
    A, D, Q, T = (np.where(unusable, np.nan, x) for x in (A, D, Q, T))

    evidence_missing = (done > 0) & tasks.on_rows(_col(tasks, "evidence", None)).isna().to_numpy(dtype=bool)
    frame = pd.DataFrame({
        "owner": _norm(tasks.on_rows(_col(tasks, "owner_id", None))),
        "task_id": tasks.on_rows(_col(tasks, "task_id", None)),
        "month": tasks.on_rows(_col(tasks, "month", None)),
        "A": A, "D": D, "Q": Q, "T": T,
        "excluded": unusable, "zeroed": zeroed, "no_evidence": evidence_missing,
    }, index=rows)
    return TaskScores(frame, tasks.title)


def _fill0(x: np.ndarray) -> np.ndarray:
    """`fillna(0)` of a float column."""
    return np.where(np.isnan(x), 0.0, x)


def _clip0(x: np.ndarray) -> np.ndarray:
    """`clip(lower=0)` of a float column as pandas clips (NaN kept, -0.0 kept)."""
    return np.where(np.isnan(x) | (x >= 0), x, 0)


def task_row_findings(tasks: TabData, ts: TaskScores, findings: Findings,
                      as_of: pd.Timestamp | None = None) -> None:
    """Say on a task row why its figures are missing or zero, and that it is overdue (past its
    deadline on `as_of` and not done), so a late task is seen on its own row, not only in `status`."""
    if as_of is not None:
        _overdue(tasks, as_of, findings)
    f = ts.frame
    excl = f["excluded"]
    if excl.any():
        reasons = []
        for r in f.index[excl]:
            bad = [tasks.header(k) for k in ("owner_id", "product_code", "assigned_qty", "month")
                   if k in tasks.errors and bool(tasks.errors.at[r, k])]
            reasons.append(message("score.row-excluded",
                                   reason=("lỗi ở " + ", ".join(bad)) if bad else
                                   "thiếu mã cán bộ, mã sản phẩm hoặc số lượng giao dùng được"))
        findings.add_many(tasks.title, f.index[excl], tasks.header("task_id"), "warning", "score.row-excluded",
                          reasons, col_letter=tasks.letters.get("task_id"))
    z = f["zeroed"]
    if z.any():
        findings.add_many(tasks.title, f.index[z], tasks.header("task_id"), "warning", "score.row-zeroed",
                          message("score.row-zeroed"), col_letter=tasks.letters.get("task_id"))


def _overdue(tasks: TabData, as_of: pd.Timestamp, findings: Findings) -> None:
    """Due before `as_of` with less than the assigned quantity done (as `status` counts it; a
    completion date alone does not close a task, since the schema asks for one on any progress)."""
    rows = tasks.rows
    if "due_date" not in tasks.values or not len(rows):
        return
    due = _usable(tasks, "due_date").loc[rows]
    q = _usable(tasks, "assigned_qty").loc[rows]
    done = _usable(tasks, "done_qty").loc[rows]
    finished = (done >= q).fillna(False).astype(bool)
    late = (due < as_of).fillna(False).astype(bool) & ~finished
    if not late.any():
        return
    at = as_of.strftime("%d/%m/%Y")

    def got(d, n) -> str:
        return "chưa có số lượng hoàn thành" if pd.isna(d) or d == 0 else (
            f"mới hoàn thành {_num(d)}/{_num(n)}" if pd.notna(n) else f"mới hoàn thành {_num(d)}")

    mask = late.to_numpy()
    late_rows = late.index[mask]
    # A year has thousands of late rows but few distinct (done, assigned) pairs and due days:
    # each text is made once.
    gots: dict = {}
    got_texts = [gots[k] if k in gots else gots.setdefault(k, got(*k))
                 for k in zip(done[mask].tolist(), q[mask].tolist())]
    days = pd.DatetimeIndex(due[mask]).strftime("%d/%m/%Y").tolist()
    texts: dict = {}
    msgs = [texts[k] if k in texts else texts.setdefault(k, message("task.overdue", due=k[1], as_of=at, got=k[0]))
            for k in zip(got_texts, days)]
    findings.add_many(tasks.title, late_rows, tasks.header("due_date"), "warning", "task.overdue", msgs,
                      col_letter=tasks.letters.get("due_date"))


def _listed(items: list[str], noun: str, limit: int = 5, total: int | None = None) -> str:
    """'a, b, c và 4 <noun> khác': a reason names its first few causes, not hundreds (`total`:
    how many there are, when only the first few were put in `items`)."""
    total = len(items) if total is None else total
    shown = ", ".join(items[:limit])
    return shown + (f" và {total - limit} {noun} khác" if total > limit else "")


def _task_label(row: int, task_id) -> str:
    return str(task_id) if isinstance(task_id, str) and task_id.strip() else f"hàng {row}"


# -- per person --------------------------------------------------------------------------------

def _descendants(parent: dict[str, str | None]) -> dict[str, set[str]]:
    children: dict[str, list[str]] = {}
    for c, p in parent.items():
        if p is not None:
            children.setdefault(p, []).append(c)
    out: dict[str, set[str]] = {}

    def walk(n: str) -> set[str]:
        if n in out:
            return out[n]
        out[n] = set()  # guards against cycles (already cut by check_tree)
        acc: set[str] = set()
        for c in children.get(n, []):
            acc.add(c)
            acc |= walk(c)
        out[n] = acc
        return acc

    for n in parent:
        walk(n)
    return out


def _height(parent: dict[str, str | None]) -> dict[str, int]:
    """Distance to the deepest leaf below each person: leaves first when sorted ascending."""
    desc = _descendants(parent)
    depth: dict[str, int] = {}
    for n in parent:
        d, cur, seen = 0, parent.get(n), {n}
        while cur is not None and cur not in seen:
            seen.add(cur)
            d += 1
            cur = parent.get(cur)
        depth[n] = d
    return {n: max((depth[c] for c in desc[n]), default=depth[n]) - depth[n] for n in parent}


def score_month(month: str, staff: TabData, evals: TabData, ts: TaskScores, parent: dict[str, str | None],
                profile: Profile, as_of: pd.Timestamp, findings: Findings, unit_exceptional: bool = False) -> MonthScores:
    rows = evals.rows
    ev = evals.on_rows(evals.values)
    here = (ev["month"].to_numpy(dtype=object) == month) if "month" in ev else np.zeros(len(rows), dtype=bool)
    idx = rows[here]
    staff_ids = (pd.Series(ev["staff_id"].to_numpy()[here], index=idx, dtype=object) if "staff_id" in ev
                 else None)
    sid = _norm(staff_ids) if staff_ids is not None else pd.Series(None, index=idx)

    roster = roster_of(staff)
    # Known people, each on their first row of the month (a duplicate row is a validation error).
    ids = set(roster["_id"].tolist())
    seen: set = set()
    scored = pd.Series([s in ids and not (s in seen or seen.add(s)) for s in sid.tolist()], index=idx, dtype=bool)

    tf = ts.frame
    mine = tf["month"].to_numpy(dtype=object) == month
    excluded = tf["excluded"].to_numpy(dtype=bool)
    tasks = tf[mine & ~excluded]
    sums = tasks.groupby("owner")[["A", "D", "Q", "T"]].sum()
    issue_at = mine & (excluded | tf["zeroed"].to_numpy(dtype=bool))
    issue_rows = _rows_by_owner(tf["owner"].to_numpy(dtype=object)[issue_at], tf.index[issue_at])

    # The month's people are worked out on plain arrays and Series by row position (a month has a
    # few dozen rows, where each pandas call costs more than its arithmetic) and become one frame
    # at the end, `p`, with its columns in this order.
    per = sums.reindex(sid.to_numpy())
    per.index = idx
    sA = per["A"].fillna(0)
    score: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        score["a"] = np.where(sA > 0, 100 * per["D"] / sA, np.nan)
        score["b"] = np.where(sA > 0, 100 * per["Q"] / sA, np.nan)
        score["c"] = np.where(sA > 0, 100 * per["T"] / sA, np.nan)
    role = _looked_up(roster, "leader_role", sid)
    desc = _descendants(parent)
    manages = sid.map(lambda s: len(desc.get(s, ())) > 0 if isinstance(s, str) else False)
    leader_roles = set(profile.leader_roles)
    is_leader_role = pd.Series([r in leader_roles for r in role.tolist()], index=idx, dtype=bool)
    leads = is_leader_role & manages
    g = _usable(evals, profile.general_field).reindex(idx)
    from_self = g.isna()
    if profile.general_fallback:
        g = g.where(~from_self, _usable(evals, profile.general_fallback).reindex(idx))
    bonus_points = (_usable(evals, profile.bonus_field).reindex(idx).fillna(0).to_numpy(dtype="float64")
                    if profile.bonus_field else np.full(len(idx), np.nan))
    score["e"] = np.where(leads, _usable(evals, "leader_e").reindex(idx), np.nan).astype("float64")
    score["d"] = np.full(len(idx), np.nan)
    score["dd"] = np.full(len(idx), np.nan)
    disciplined = _col(evals, "disciplined", "Không").reindex(idx).eq("Có")
    approved = _col(evals, "approved_rating", None).reindex(idx)
    approved = approved.where(~evals.errors["approved_rating"].reindex(idx, fill_value=False)) \
        if "approved_rating" in evals.errors else approved

    def notes(mask: pd.Series, key: str, sev: str, code: str, msgs) -> None:
        mask = (mask & scored).fillna(False).astype(bool)
        if mask.any():
            rows_ = idx[mask.to_numpy()]
            findings.add_many(evals.title, rows_, evals.header(key), sev, code,
                              msgs.loc[rows_] if isinstance(msgs, pd.Series) else msgs,
                              col_letter=evals.letters.get(key))

    # Unknown people and duplicate rows are already validation errors; nothing to score.
    leader = leads & scored
    notes(is_leader_role & ~manages, "staff_id", "warning", "score.leader-no-staff", message("score.leader-no-staff"))
    notes(sA <= 0, "staff_id", "error", "score.no-work", message("score.no-work", month=month_label(month)))
    provisional = sid.isin(list(issue_rows))
    if (provisional & scored).any():
        prov_msgs = sid[provisional].map(lambda s: message("score.provisional", count=len(issue_rows[s]),
                                                           tab=ts.title, rows=_task_rows_text(ts, issue_rows[s])))
        notes(provisional, "staff_id", "warning", "score.provisional", prov_msgs)
    notes(leader & np.isnan(score["e"]), "leader_e", "error", "score.leader-e-missing", message("score.leader-e-missing"))
    notes(g.isna(), profile.general_field, "error", "score.general-missing", message("score.general-missing"))
    if (from_self & g.notna() & scored).any():
        notes(from_self & g.notna(), profile.general_field, "warning", "score.general-from-self",
              g.map(lambda v: message("score.general-from-self", value=_num(v)), na_action="ignore"))
    notes(disciplined, "disciplined", "warning", "score.disciplined",
          message("score.disciplined", rating=profile.discipline_rating))
    bonus = bonus_points if profile.bonus_field else 0.0
    general = g.to_numpy(dtype="float64")
    a_sum = sA.to_numpy(dtype="float64")
    task_points = np.full(len(idx), np.nan)
    total_points = np.full(len(idx), np.nan)
    suggested = np.full(len(idx), None, dtype=object)
    approved_at = approved.to_numpy(dtype=object)
    disciplined_at = disciplined.to_numpy(dtype=bool)
    sid_at = sid.to_numpy(dtype=object)

    def settle(at: np.ndarray, comps: list[str]) -> None:
        """Task points, total and suggested rating for the rows at these positions, all at once."""
        vals = np.column_stack([score[c][at] for c in comps]) if comps else np.full((len(at), 1), np.nan)
        ok = (a_sum[at] > 0) & ~np.isnan(vals).any(axis=1)
        with np.errstate(invalid="ignore"):
            task_points[at] = np.where(ok, profile.task_max * vals.mean(axis=1) / 100, np.nan)
        raw_total = general[at] + task_points[at] + (bonus[at] if isinstance(bonus, np.ndarray) else bonus)
        total = round_half_up(raw_total, profile.rounding)
        total_points[at] = total
        suggested[at] = profile.band_many(pd.Series(total, dtype="float64")).to_numpy(dtype=object)
        suggested[at[disciplined_at[at]]] = profile.discipline_rating

    def final_of(at: np.ndarray) -> np.ndarray:
        mine = approved_at[at]
        return np.where(pd.isna(mine), suggested[at], mine)

    staff_at = np.flatnonzero((scored & ~leader).to_numpy())
    settle(staff_at, profile.staff_components)
    rating_of: dict[str, str | None] = dict(zip(sid_at[staff_at], final_of(staff_at)))
    # Leaders from the leaves of the management tree upwards, so d sees their people's ratings.
    # Everyone a leader manages stands lower in the tree, so the leaders of one height settle together.
    height = _height(parent)
    fail = profile.bands[-1].rating
    reasons: list[tuple[int, str, str, str]] = []  # (row, column key, code, message)
    levels: dict[int, list] = {}
    for r in idx[leader.to_numpy()]:
        levels.setdefault(height.get(sid[r], 0), []).append(r)
    position = {r: i for i, r in enumerate(idx)}
    # The month's usable tasks as arrays, for each leader's team (a few leaders, a few dozen tasks).
    task_owner = tasks["owner"].to_numpy(dtype=object)
    task_sums = {c: tasks[c].to_numpy(dtype="float64") for c in "ADQT"}
    task_rows, task_ids = tasks.index.to_numpy(), tasks["task_id"].to_numpy(dtype=object)
    for h in sorted(levels):
        level = levels[h]
        for r in level:
            s = sid[r]
            team = desc.get(s, set())
            failed = sorted(m for m in team if rating_of.get(m) == fail)
            score["d"][position[r]] = profile.d_any_fail if failed else profile.d_all_pass
            if failed and profile.d_any_fail != profile.d_all_pass:
                by_id = roster.set_index("_id")
                reasons.append((r, "score_d", "score.leader-d", message(
                    "score.leader-d", value=_num(profile.d_any_fail), rating=fail,
                    people=_listed([_person_label(by_id, m) for m in failed], "người"))))
            members = team | {s}
            own = np.fromiter((o in members for o in task_owner), dtype=bool, count=len(task_owner))
            tA, tD, tQ, tT = (np.nansum(task_sums[c][own]) for c in "ADQT")  # as pandas sums: NaN left out
            full = np.isclose(tD, tA) and np.isclose(tQ, tA) and np.isclose(tT, tA)
            score["dd"][position[r]] = profile.dd_all_done if full else profile.dd_otherwise
            if not full and profile.dd_otherwise != profile.dd_all_done:
                oA, oD, oQ, oT = (task_sums[c][own] for c in "ADQT")
                short = ~(np.isclose(oD, oA) & np.isclose(oQ, oA) & np.isclose(oT, oA))
                short_rows, short_ids = task_rows[own][short], task_ids[own][short]
                reasons.append((r, "score_dd", "score.leader-dd", message(
                    "score.leader-dd", value=_num(profile.dd_otherwise), tab=ts.title,
                    tasks=_listed([_task_label(t, i) for t, i in zip(short_rows[:5].tolist(), short_ids[:5])],
                                  "nhiệm vụ", total=len(short_rows)))))
        at = np.array([position[r] for r in level], dtype="int64")
        settle(at, profile.leader_components)
        rating_of.update(zip(sid_at[at], final_of(at)))
    for r, key, code, text in reasons:
        lt = evals.letters.get(key)
        findings.add(evals.title, int(r), evals.header(key), "warning", code, text, cell=f"{lt}{r}" if lt else None)

    scored_at = scored.to_numpy(dtype=bool)
    final = np.where(pd.isna(approved_at), suggested, approved_at)
    final[~scored_at] = None
    suggested[~scored_at] = None
    unrounded = {"general_points": general, "bonus_points": bonus_points, "task_points": task_points,
                 **{f"score_{c}": v for c, v in score.items()}}
    rounded = {c: round_half_up(v, profile.rounding) if c in SCORE_FIELDS else v for c, v in unrounded.items()}
    # (the total is rounded already, from the unrounded parts)
    p = pd.DataFrame({
        "staff_id": staff_ids,
        "_sid": sid,
        "score_a": rounded["score_a"], "score_b": rounded["score_b"], "score_c": rounded["score_c"],
        "leader": leads,
        "general_points": rounded["general_points"], "bonus_points": rounded["bonus_points"],
        "score_e": rounded["score_e"], "score_d": rounded["score_d"], "score_dd": rounded["score_dd"],
        "task_points": rounded["task_points"], "total_points": total_points,
        "suggested_rating": pd.Series(suggested, index=idx, dtype=object),
        "approved_rating": approved,
        "final_rating": pd.Series(final, index=idx, dtype=object),
        "scored": scored,
        "provisional": provisional,
        "peer_group": _mapped(roster, "peer_group", sid) if "peer_group" in roster else None,
    }, index=idx)

    _deadlines(month, evals, idx, as_of, profile, findings)
    _honesty(evals, p, ts, month, profile, findings)
    people = p[scored]
    quota = _quotas(people, profile, evals, findings, unit_exceptional)
    _missing_rows(month, roster, sid[scored], as_of, profile, staff, findings)

    counts = _counts(people["final_rating"].tolist())
    roster_view = _roster_view(roster, people)
    return MonthScores(month, p, roster_view, quota, counts)


def roster_of(staff: TabData) -> pd.DataFrame:
    """The roster rows with a usable `Mã cán bộ`, once each, with its normalised form in `_id`
    (the first row of each), made from the columns' arrays: a unit has a few dozen people."""
    v = staff.on_rows(staff.values)
    ids = (_norm(v["staff_id"]).to_numpy(dtype=object) if "staff_id" in v
           else np.full(len(v), None, dtype=object))
    named = pd.notna(ids)
    seen: set = set()
    first = np.array([not (i in seen or seen.add(i)) for i in ids[named]], dtype=bool)
    keep = np.flatnonzero(named)[first]
    columns = {c: v[c].to_numpy()[keep] for c in v.columns}
    columns["_id"] = ids[keep]
    return frame_of(columns, v.index[named][first])


def month_from_part(month: str, staff: TabData, part: MonthPart, roster: pd.DataFrame | None = None) -> MonthScores:
    """The `MonthScores` that `score_month` made with `part` (the roster view is made again from
    the staff tab, which the part's fingerprint covers)."""
    roster = roster_of(staff) if roster is None else roster
    people = part.people.copy()  # a later freeze writes recorded scores into the month's people
    return MonthScores(month, people, _roster_view(roster, people[people["scored"].astype(bool)]),
                       [dict(q) for q in part.quota], dict(part.counts))


def _date_signature(month: str, profile: Profile, as_of: pd.Timestamp) -> tuple:
    """What `score_month` asks of the evaluation date: whether it is past each of the month's
    deadlines (`_deadlines`, `_missing_rows`). A later date that crosses none of them scores
    the month the same."""
    out = []
    for key, *_ in STEPS:  # self_assessment among them: `_missing_rows` asks the same
        day = profile.deadlines.get(key)
        if day is not None:
            out.append((key, int(day), bool(as_of > deadline_day(month, int(day)))))
    return tuple(out)


def _row_prints(df: pd.DataFrame) -> tuple[str, np.ndarray]:
    """A print of each row of `df` (every value with its column; in object columns also the type
    of the value, so 1.0 and "1.0", or None and NaN, never print alike), and a print of the
    frame's columns and types."""
    shape = repr((list(map(str, df.columns)), [str(t) for t in df.dtypes]))
    if not len(df) or not len(df.columns):
        return shape, np.zeros(len(df), dtype="uint64")
    values = pd.util.hash_pandas_object(df, index=True, categorize=False).to_numpy()
    kinds = {}
    for c, dtype in df.dtypes.items():
        if dtype == object:
            codes, uniques = pd.factorize(df[c].to_numpy(), use_na_sentinel=True)
            names = np.array([zlib.crc32(type(v).__name__.encode()) for v in uniques] + [0], dtype="int64")
            kinds[str(c)] = names[codes]  # code -1 (missing) takes the last entry
    if kinds:
        values = values ^ (pd.util.hash_pandas_object(pd.DataFrame(kinds, index=df.index), index=False)
                           .to_numpy() * np.uint64(0x9E3779B97F4A7C15))
    return shape, values


def month_fingerprints(months: list[str], staff: TabData, evals: TabData, ts: TaskScores,
                       parent: dict[str, str | None], profile: Profile, as_of: pd.Timestamp,
                       unit_exceptional: bool = False, config: str = "") -> dict[str, str]:
    """For each month, the fingerprint of everything `score_month(month, ...)` reads: the month's
    evaluation rows (values and cell errors), the month's task scores, the whole staff tab and
    management tree, the tabs' titles, headers and column letters, whether the unit is
    exceptional, what the date says of the month's deadlines, and `config` (the caller's print
    of the profile and schemas). Equal fingerprints: `score_month` gives the same part."""
    h = hashlib.sha256(repr((config, bool(unit_exceptional), ts.title, sorted(parent.items(), key=repr))).encode())
    for tab in (staff, evals):
        h.update(repr((tab.title, sorted(tab.headers.items()), sorted(tab.letters.items()))).encode())
    roster = staff.on_rows(staff.values)
    shape, rows_print = _row_prints(roster)
    h.update(shape.encode())
    h.update(roster.index.to_numpy(dtype="int64").tobytes())
    h.update(rows_print.tobytes())
    context = h.digest()

    rows = evals.rows
    ev_values = evals.values.loc[rows]
    ev_errors = evals.errors.reindex(rows)
    ev_month = ev_values["month"] if "month" in ev_values else pd.Series(None, index=rows, dtype=object)
    v_shape, v_print = _row_prints(ev_values)
    e_shape, e_print = _row_prints(ev_errors)
    tf = ts.frame
    t_shape, t_print = _row_prints(tf)
    t_month = tf["month"] if "month" in tf else pd.Series(None, index=tf.index, dtype=object)
    out = {}
    for month in months:
        mh = hashlib.sha256(context)
        mh.update(repr((month, _date_signature(month, profile, as_of), v_shape, e_shape, t_shape)).encode())
        here = ev_month.eq(month).to_numpy(dtype=bool)
        mh.update(rows[here].to_numpy(dtype="int64").tobytes())
        mh.update(v_print[here].tobytes())
        mh.update(e_print[here].tobytes())
        there = t_month.eq(month).to_numpy(dtype=bool)
        mh.update(tf.index[there].to_numpy(dtype="int64").tobytes())
        mh.update(t_print[there].tobytes())
        out[month] = mh.hexdigest()
    return out


def _roster_view(roster: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """The roster in its own order, each person with their month's results (if any): what
    `out["_id"].map(result)` gives for each result column, taken with one lookup of the ids
    for all of them (a year's sync makes this view for every month)."""
    if not len(people):  # `map` of an empty result gives float columns, which a lookup would not
        first = people[~people["_sid"].duplicated()]
        res = first.set_index("_sid")
        out = roster.copy()
        for c in [*SCORE_COLUMNS, "approved_rating", "final_rating", "provisional", "leader"]:
            if c in res:
                out[c] = out["_id"].map(res[c])
        out["evaluation_row"] = out["_id"].map(pd.Series(first.index, index=res.index))
        return out
    cols = [c for c in [*SCORE_COLUMNS, "approved_rating", "final_rating", "provisional", "leader"] if c in people]
    # Each roster person's first result row (-1: none), taken as `reindex` takes it: a column with
    # a gap becomes one that can hold NaN (bool → object, int → float).
    at: dict = {}
    for i, s in enumerate(people["_sid"].tolist()):
        at.setdefault(s, i)
    where = np.array([at.get(s, -1) for s in roster["_id"].tolist()], dtype=np.intp)
    # One frame of the roster's columns and the results (as setting each result column on a copy
    # of the roster would make it, a column of the same name taking the roster's place).
    # The results' columns typed as a frame types them (text read as `str`), the roster's kept as they are.
    taken = {c: pd.api.extensions.take(v, where, allow_fill=True, fill_value=np.nan)
             for c, v in [*((c, people[c].to_numpy()) for c in cols), ("evaluation_row", people.index.to_numpy())]}
    typed = pd.DataFrame({c: pd.arrays.NumpyExtensionArray(v) for c, v in taken.items()}, index=roster.index)
    columns: dict = {c: roster[c].to_numpy() for c in roster.columns}
    for c in taken:
        col = typed[c]
        columns[c] = col.array if isinstance(col.dtype, pd.api.extensions.ExtensionDtype) else col.to_numpy()
    return frame_of(columns, roster.index)


def _counts(values: list) -> dict:
    """`value_counts().to_dict()` of a few values: missing ones left out, the most frequent
    first, ties in the order they first appear."""
    seen: dict = {}
    for v in values:
        if not pd.isna(v):
            seen[v] = seen.get(v, 0) + 1
    return dict(sorted(seen.items(), key=lambda kv: -kv[1]))


def _looked_up(roster: pd.DataFrame, key: str, sid: pd.Series) -> np.ndarray:
    """The values `sid.map(by_id[key])` holds: each person's `key` on the roster (NaN for someone
    not on it, or everyone when the roster has no such column)."""
    if key not in roster:
        return np.full(len(sid), np.nan, dtype=object)
    of = dict(zip(roster["_id"].tolist(), roster[key].tolist()))
    out = np.empty(len(sid), dtype=object)
    out[:] = [of.get(s, np.nan) for s in sid.tolist()]
    return out


def _mapped(roster: pd.DataFrame, key: str, sid: pd.Series) -> pd.Series:
    """`sid.map(roster.set_index("_id")[key])`: each person's `key` on the roster, typed as `map`
    types it (for a text column, as a Series made of the values: `str` where text, else `object`)."""
    if roster[key].dtype != object:
        return sid.map(roster.set_index("_id")[key])
    return pd.Series(_looked_up(roster, key, sid), index=sid.index)


def _rows_by_owner(owners, rows) -> dict[str, list]:
    """Each owner's rows (task owners and their rows, in sheet order; rows without an owner left
    out): what grouping the rows by owner gives, without a groupby's fixed cost on a month's few rows."""
    out: dict[str, list] = {}
    for owner, row in zip(list(owners), list(rows)):
        if isinstance(owner, str):
            out.setdefault(owner, []).append(row)
    return out


def _person_label(by_id: pd.DataFrame, key: str) -> str:
    """'CB003 Nguyễn Văn An' as the roster spells them."""
    code = by_id.at[key, "staff_id"] if "staff_id" in by_id else key
    name = by_id.at[key, "full_name"] if "full_name" in by_id else None
    return f"{code} {name}" if isinstance(name, str) and name.strip() else str(code)


def _task_rows_text(ts: TaskScores, rows) -> str:
    """'hàng 7 (NV003), hàng 9 (NV004)': where on the tasks tab, and which task."""
    rows = list(rows)
    ids = ts.frame["task_id"]
    parts = [f"hàng {r}" + (f" ({ids[r]})" if isinstance(ids.get(r), str) and ids[r].strip() else "")
             for r in rows[:10]]
    return ", ".join(parts) + (f" và {len(rows) - 10} hàng khác" if len(rows) > 10 else "")


def _rows_text(rows) -> str:
    rows = list(rows)
    text = ", ".join(f"hàng {r}" for r in rows[:10])
    return text + (f" và {len(rows) - 10} hàng khác" if len(rows) > 10 else "")


def _period_end(period: str) -> pd.Timestamp:
    """Last day of a canonical period: "YYYY-MM", "YYYY-Qn" or "YYYY"."""
    if "-Q" in period:
        year, q = period.split("-Q")
        return pd.Timestamp(f"{year}-{int(q) * 3:02d}-01") + pd.offsets.MonthEnd(0)
    if "-" in period:
        return month_bounds(period)[1]
    return pd.Timestamp(f"{period}-12-31")


def unscored_task_months(ts: TaskScores, scored_months: list[str], profile: Profile, as_of: pd.Timestamp,
                         tasks: TabData, findings: Findings) -> None:
    """Tasks of a month nobody has an evaluation row for, once self-assessment is due."""
    day = profile.deadlines.get("self_assessment")
    scored = set(scored_months)
    counts: dict = {}
    for m in ts.frame["month"].tolist():  # (a month's task count, by month: `value_counts` of a few months)
        if not pd.isna(m) and m not in scored:
            counts[m] = counts.get(m, 0) + 1
    for month, n in sorted(counts.items()):
        if day is None or as_of <= deadline_day(month, int(day)):
            continue
        findings.add(tasks.title, None, tasks.header("month"), "warning", "score.task-month",
                     message("score.task-month", month=month_label(month), count=int(n)))


def deadline_day(month: str, day: int, next_month: bool = False) -> pd.Timestamp:
    """The date of a deadline day in `month` (clamped to the month's last day)."""
    return pd.Timestamp(day_in_month(calendar_next_month(month) if next_month else month, day))


STEPS = (
    # (deadline key, date field, fields that show the step happened, Vietnamese step name)
    ("self_assessment", "self_date", ("self_rating", "self_general"), "tự đánh giá"),
    ("manager_review", "mgr_date", ("mgr_general",), "quản lý đánh giá"),
    ("approval", "approved_date", ("approved_rating",), "phê duyệt xếp loại"),
)


def _deadlines(month: str, evals: TabData, idx: pd.Index, as_of: pd.Timestamp, profile: Profile,
               findings: Findings) -> None:
    pos = evals.values.index.get_indexer(idx)  # the month's rows, as arrays (a month has a few dozen)

    def at(key: str, default) -> np.ndarray:
        return evals.values[key].to_numpy()[pos] if key in evals.values else np.full(len(idx), default)

    for key, date_field, done_fields, step in STEPS:
        day = profile.deadlines.get(key)
        if day is None:
            continue
        deadline = deadline_day(month, int(day))
        dl_text = deadline.strftime("%d/%m/%Y")
        dates = at(date_field, np.datetime64("NaT"))
        late = (dates > deadline.to_datetime64() if dates.dtype.kind == "M"
                else pd.Series(dates, dtype=object).gt(deadline).to_numpy(dtype=bool, na_value=False))
        if late.any():
            msgs = [message("deadline.late", step=step.capitalize(), date=pd.Timestamp(d).strftime("%d/%m/%Y"),
                            deadline=dl_text) for d in dates[late]]
            findings.add_many(evals.title, idx[late], evals.header(date_field), "warning", f"deadline.{key}-late",
                              msgs, col_letter=evals.letters.get(date_field))
        done = pd.notna(dates)
        for f in done_fields:
            done |= pd.notna(at(f, None))
        if as_of > deadline:
            missing = ~done
            if missing.any():
                findings.add_many(evals.title, idx[missing], evals.header(done_fields[0]), "warning",
                                  f"deadline.{key}-missing", message("deadline.missing", step=step, deadline=dl_text),
                                  col_letter=evals.letters.get(done_fields[0]))


def _honesty(evals: TabData, p: pd.DataFrame, ts: TaskScores, month: str, profile: Profile, findings: Findings) -> None:
    ranks = {r: i for i, r in enumerate(profile.ratings)}  # 0 = best
    # On the month's few people as lists (a rating not in the scale ranks as NaN: never above).
    rows = p.index.tolist()
    appr = p["approved_rating"].tolist()
    has = [pd.notna(a) and bool(ok) for a, ok in zip(appr, p["scored"].tolist())]
    if profile.checks.get("approved_above_suggested", True):
        sug = p["suggested_rating"].tolist()
        above = [i for i, (h, a, g) in enumerate(zip(has, appr, sug))
                 if h and pd.notna(g) and ranks.get(a, np.nan) < ranks.get(g, np.nan)]
        if above:
            msgs = [message("honesty.approved-above", approved=appr[i], suggested=sug[i]) for i in above]
            findings.add_many(evals.title, [rows[i] for i in above], evals.header("approved_rating"), "warning",
                              "honesty.approved-above", msgs, col_letter=evals.letters.get("approved_rating"))
    if profile.checks.get("approved_with_missing_evidence", True):
        f = ts.frame
        if len(f):
            mine = (f["month"].to_numpy(dtype=object) == month) & f["no_evidence"].to_numpy(dtype=bool)
            missing = _rows_by_owner(f["owner"].to_numpy(dtype=object)[mine], f.index[mine]) if mine.any() else {}
        else:
            missing = {}
        sids = p["_sid"].tolist()
        for r, s, h in zip(rows, sids, has):
            if h and s in missing:
                lt = evals.letters.get("approved_rating")
                findings.add(evals.title, int(r), evals.header("approved_rating"), "warning",
                             "honesty.approved-missing-evidence",
                             message("honesty.approved-missing-evidence", rows="Nhiệm vụ " + _rows_text(missing[s])),
                             cell=f"{lt}{r}" if lt else None)


def check_quota(people: pd.DataFrame, profile: Profile, exceptional: bool = False) -> list[dict]:
    """The profile's quota over people with a `final_rating`, `total_points`, `staff_id` (and
    `peer_group` where the profile checks groups): one entry per scope, with the excess and the
    lowest-scoring excellent people beyond it (`marked`, and their index in `marked_rows`).
    Ratings are never changed; months, quarters and years all use this."""
    q = profile.quota
    if not q:
        return []
    top = q["rating"]
    ratio = float(q.get("exceptional_max_ratio" if exceptional else "max_ratio", q["max_ratio"]))
    results = []
    scopes = [("unit", "đơn vị", people)]
    if "peer_group" in q.get("scopes", []) and "peer_group" in people:
        # Each group in order of its name (as a groupby gives them), its people in theirs.
        groups = people["peer_group"].to_numpy(dtype=object)
        for g in sorted({x for x in groups.tolist() if pd.notna(x)}):
            scopes.append(("peer_group", f"nhóm '{g}'", people[groups == g]))
    for kind, label, grp in scopes:
        if kind not in q.get("scopes", ["unit"]):
            continue
        final = grp["final_rating"]
        ratings = final.tolist()
        n_top = sum(1 for r in ratings if r == top)
        if q.get("of") == "rated":
            base = sum(1 for r in ratings if pd.notna(r))
            rule = f"{int(round(ratio * 100))}% số người được xếp loại ({base})"
        else:
            base = int(final.isin(q["of"]).sum())
            rule = f"{int(round(ratio * 100))}% số người {' / '.join(q['of'])} ({base})"
        limit = int(np.floor(ratio * base + 1e-9))
        entry = {"scope": kind, "label": label, "rating": top, "count": n_top, "limit": limit, "base": base,
                 "ratio": ratio, "exceeded": n_top > limit, "marked": [], "marked_rows": []}
        if n_top > limit:
            entry["message"] = message("quota.exceeded", rating=top, count=n_top, limit=limit, rule=rule, scope=label)
            tops = grp[final == top].copy()
            tops["_t"] = tops["total_points"].fillna(-1)
            tops = tops.sort_values("_t", ascending=False, kind="stable")
            beyond = tops.index[limit:]
            entry["marked"] = [str(tops.at[r, "staff_id"]) for r in beyond]
            entry["marked_rows"] = [int(r) for r in beyond]
        results.append(entry)
    return results


def _quotas(people: pd.DataFrame, profile: Profile, evals: TabData, findings: Findings,
            exceptional: bool) -> list[dict]:
    """The month's quota, said on the unit summary and on each marked person's row."""
    results = check_quota(people, profile, exceptional)
    lt = evals.letters.get("approved_rating")
    for entry in results:
        if not entry["exceeded"]:
            continue
        findings.add(evals.title, None, evals.header("approved_rating"), "warning", "quota.exceeded", entry["message"])
        for r in entry["marked_rows"]:
            findings.add(evals.title, r, evals.header("approved_rating"), "warning", "quota.person",
                         message("quota.person", rating=entry["rating"], scope=entry["label"]),
                         cell=f"{lt}{r}" if lt else None)
    return results


def _missing_rows(month: str, roster: pd.DataFrame, present: pd.Series, as_of: pd.Timestamp, profile: Profile,
                  staff: TabData, findings: Findings) -> None:
    """Roster people with no evaluation row once self-assessment is due."""
    day = profile.deadlines.get("self_assessment")
    if day is None or as_of <= deadline_day(month, int(day)):
        return
    there = set(present)
    names = roster["full_name"].tolist() if "full_name" in roster else [None] * len(roster)
    for r, i, code, name in zip(roster.index.tolist(), roster["_id"].tolist(), roster["staff_id"].tolist(), names):
        if i in there:
            continue
        findings.add(staff.title, int(r), staff.header("staff_id"), "warning", "score.missing-row",
                     message("score.missing-row", name=name if isinstance(name, str) else "Người này",
                             staff_id=code,
                             month=month_label(month)),
                     cell=f"{staff.letters.get('staff_id')}{r}")


# -- OKR ---------------------------------------------------------------------------------------

def score_okr(okr: TabData, profile: Profile, findings: Findings, as_of: pd.Timestamp | None = None,
              links: pd.DataFrame | None = None) -> pd.DataFrame:
    """Attainment and status per key result. A stretch below the target marks a KPI where lower
    is better (complaints, days late). Attainment is capped by the profile (default 200%), and a
    lower-is-better KPI that reaches zero gets the cap. A key result without a measured value
    takes its attainment from its tasks' progress (`links`, see `engine.alignment`): Đạt at 100%."""
    rows = okr.rows
    v = okr.values.loc[rows]
    # On the key results' arrays (a unit has a few dozen; each pandas call would cost more).
    target, stretch, actual = (_usable(okr, k).loc[rows].to_numpy(dtype="float64")
                               for k in ("target", "stretch", "actual"))
    measured = ~np.isnan(actual) & ~np.isnan(target)
    cap = float(profile.okr.get("attainment_cap", 200))
    with np.errstate(divide="ignore", invalid="ignore"):
        decreasing = stretch < target
        up = 100 * actual / target
        down = np.where(actual != 0, 100 * target / actual, np.where(target > 0, cap, np.nan))
        att = np.where(measured, np.where(decreasing, down, up), np.nan)
        att = np.minimum(np.where(np.isfinite(att), att, np.nan), cap)
        reached = ((actual >= target) & ~decreasing) | ((actual <= target) & decreasing)
        beyond = ~np.isnan(stretch) & (((actual >= stretch) & ~decreasing) | ((actual <= stretch) & decreasing))
    status = np.where(beyond, "Vượt", np.where(reached, "Đạt", "Chưa đạt")).astype(object)
    status[~measured] = None
    from_tasks = np.zeros(len(rows), dtype=bool)
    if links is not None and "task_progress" in links and len(links):
        progress = links["task_progress"].reindex(rows).to_numpy(dtype="float64")
        from_tasks = np.isnan(actual) & ~np.isnan(progress)
        att = np.where(from_tasks, np.minimum(progress, cap), att)
        status[from_tasks] = np.where(progress >= 100 - 1e-9, "Đạt", "Chưa đạt")[from_tasks]
    if as_of is not None and "period" in v:
        ended = v["period"].map(lambda p: _period_end(p) < as_of if isinstance(p, str) else False).to_numpy(dtype=bool)
        missing = ended & np.isnan(actual) & ~np.isnan(target) & ~from_tasks
        if missing.any():
            findings.add_many(okr.title, rows[missing], okr.header("actual"), "warning", "okr.no-actual",
                              message("okr.no-actual"), col_letter=okr.letters.get("actual"))
    same = ~np.isnan(stretch) & (stretch == target)
    if same.any():
        findings.add_many(okr.title, rows[same], okr.header("stretch"), "warning", "okr.stretch-direction",
                          message("okr.stretch-direction"), col_letter=okr.letters.get("stretch"))
    n_min = int(profile.okr.get("equal_weights_warning_min_krs", 3))
    if "objective_id" in v and "weight" in v:
        # Per (objective, period) group, blanks as "": its size and its distinct weights (a unit has a
        # few dozen key results: dicts, not a groupby).
        objective = v["objective_id"].tolist()
        period = v["period"].tolist() if "period" in v else [""] * len(rows)
        weight = v["weight"].tolist()
        keys = [("" if pd.isna(o) else o, "" if pd.isna(p) else p) for o, p in zip(objective, period)]
        sizes: dict = {}
        weights: dict = {}
        for k, w in zip(keys, weight):
            sizes[k] = sizes.get(k, 0) + 1
            if not pd.isna(w):
                weights.setdefault(k, set()).add(w)
        equal = [i for i, (k, w, o) in enumerate(zip(keys, weight, objective))
                 if sizes[k] >= n_min and len(weights.get(k, ())) == 1 and not pd.isna(w) and not pd.isna(o)]
        if equal:
            msgs = [message("okr.equal-weights", group=objective[i], count=int(sizes[keys[i]]),
                            weight=_num(weight[i])) for i in equal]
            findings.add_many(okr.title, rows[equal], okr.header("weight"), "warning", "okr.equal-weights",
                              msgs, col_letter=okr.letters.get("weight"))
    out = pd.DataFrame({"attainment": round_half_up(att, profile.rounding),
                        "kr_status": pd.Series(status, index=rows, dtype=object)}, index=rows)
    if links is not None and len(links):
        out["task_progress"] = round_half_up(links["task_progress"].reindex(rows).to_numpy(dtype="float64"),
                                             profile.rounding)
        out["alignment"] = links["alignment"].reindex(rows).to_numpy()
    return out
