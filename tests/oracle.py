"""An independent reading of scoring.md, row by row in plain Python, to check the engine against.

It used to live in the demo generator (which fitted people's ratings with it); the package now
asks the engine itself, and this reading is kept here as a test oracle. Its inputs are the
values the engine's validation typed (`TabData.values` and which cells had an error): parsing
cells is checked elsewhere, this checks the scoring. Only the profile's numbers are used, none
of its methods, so a slip in `Profile.band` or `round_half_up` shows up too.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

UNUSABLE = ("owner_id", "product_code", "assigned_qty", "month")  # an error here: the row is left out


def key(v) -> str | None:
    return unicodedata.normalize("NFC", v).strip().casefold() if isinstance(v, str) and v.strip() else None


def missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT or (
        not isinstance(v, str) and pd.isna(v))


def half_up(x: float, digits: int) -> float:
    return float(Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


@dataclass
class Row:
    """One task row's conversions (A, D, Q, T), or None when the row is left out."""

    owner: str | None
    month: str | None
    adqt: tuple[float, float, float, float] | None


def task_rows(tasks, catalogue, profile) -> list[Row]:
    """Conversions per task row (scoring.md, "Per product")."""
    cat = catalogue.values.loc[catalogue.rows]
    cat_err = catalogue.errors.loc[catalogue.rows].any(axis=1) if len(catalogue.errors.columns) else None
    coef = {}
    for r, code, c in zip(cat.index, cat["product_code"], cat["coefficient"]):
        if key(code) and not missing(c) and (cat_err is None or not cat_err[r]) and key(code) not in coef:
            coef[key(code)] = float(c)
    out = []
    vals, errs = tasks.values, tasks.errors
    for r in tasks.rows:
        v = vals.loc[r]
        err = {c for c in errs.columns if bool(errs.at[r, c])}
        get = lambda f: v[f] if f in v.index and not missing(v[f]) else None  # noqa: E731
        k, q = coef.get(key(get("product_code"))), get("assigned_qty")
        if err & set(UNUSABLE) or k is None or q is None or q <= 0 or get("owner_id") is None or get("month") is None:
            out.append(Row(key(get("owner_id")), get("month"), None))
            continue
        assigned = q * k
        if err:  # any other bad cell: the row counts as assigned, nothing done
            out.append(Row(key(get("owner_id")), get("month"), (assigned, 0.0, 0.0, 0.0)))
            continue
        done = min(max(get("done_qty") or 0.0, 0.0), q) * k
        excused = get("excused") == "Có"
        late = get("done_date") is not None and get("due_date") is not None and get("done_date") > get("due_date")
        returns = 0 if excused else max(get("returns") or 0, 0)
        delays = 0 if excused else (get("delays") if get("delays") is not None else int(late))
        quality = done * max(0.0, 1 - profile.per_return * returns) if get("review") == "Đạt" else 0.0
        timely = done * max(0.0, 1 - profile.per_delay * delays)
        out.append(Row(key(get("owner_id")), get("month"), (assigned, done, quality, timely)))
    return out


def _sums(rows: list[Row]) -> tuple[float, float, float, float]:
    got = [r.adqt for r in rows if r.adqt is not None]
    return tuple(sum(x[i] for x in got) for i in range(4)) if got else (0.0, 0.0, 0.0, 0.0)


def _band(total: float, profile) -> str:
    for b in sorted(profile.bands, key=lambda b: -math.inf if b.min is None else b.min, reverse=True):
        if b.min is None or total >= b.min:
            return b.rating
    raise AssertionError("no band")


@dataclass
class Person:
    staff_id: str
    total: float | None
    suggested: str | None
    final: str | None
    leader: bool
    peer_group: str | None


def month_people(month: str, staff, evaluations, rows: list[Row], profile) -> dict[str, Person]:
    """Every person evaluated in the month (scoring.md, "Per person" and "Leaders"), managers
    after the people they manage."""
    roster = staff.values.loc[staff.rows]
    manager = {key(s): key(m) if isinstance(m, str) else None for s, m in zip(roster["staff_id"], roster["manager_id"])}
    role = dict(zip(map(key, roster["staff_id"]), roster["leader_role"]))
    group = {key(s): g if isinstance(g, str) else None for s, g in zip(roster["staff_id"], roster["peer_group"])}
    team: dict[str, set[str]] = {s: set() for s in manager}
    for s in manager:
        m, seen = manager[s], {s}
        while m is not None and m not in seen:
            team.setdefault(m, set()).add(s)
            seen.add(m)
            m = manager.get(m)
    ev = evaluations.values.loc[evaluations.rows]
    ev = ev[ev["month"] == month]
    mine = [r for r in rows if r.month == month]
    people: dict[str, Person] = {}
    for _, e in sorted(ev.iterrows(), key=lambda x: len(team.get(key(x[1]["staff_id"]), ()))):
        s = key(e["staff_id"])
        own = _sums([r for r in mine if r.owner == s])
        A, D, Q, T = own
        general = e.get(profile.general_field)
        if missing(general) and profile.general_fallback:
            general = e.get(profile.general_fallback)
        leader = role.get(s) in profile.leader_roles and bool(team.get(s))
        disciplined = e.get("disciplined") == "Có"
        approved = e.get("approved_rating") if isinstance(e.get("approved_rating"), str) else None
        total = suggested = None
        if A > 0 and not missing(general):
            comps = [100 * D / A, 100 * Q / A, 100 * T / A]
            if leader:
                finals = [people[m].final for m in team[s] if m in people]
                d = profile.d_any_fail if profile.bands[-1].rating in finals else profile.d_all_pass
                tA, tD, tQ, tT = _sums([r for r in mine if r.owner in team[s] | {s}])
                full = all(math.isclose(x, tA, rel_tol=1e-9, abs_tol=1e-9) for x in (tD, tQ, tT))
                comps += [d, profile.dd_all_done if full else profile.dd_otherwise, float(e.get("leader_e"))]
            total = half_up(float(general) + profile.task_max * (sum(comps) / len(comps)) / 100, profile.rounding)
            suggested = _band(total, profile)
        if disciplined and (total is not None or A <= 0):
            suggested = profile.discipline_rating
        people[s] = Person(e["staff_id"], total, suggested, approved or suggested, leader, group.get(s))
    return people


def quota_exceeded(people: dict[str, Person], profile) -> dict[str, bool]:
    """Per scope ("unit" and each peer group): more excellent ratings than the quota allows."""
    q = profile.quota
    scopes = {"unit": list(people.values())}
    for p in people.values():
        if p.peer_group:
            scopes.setdefault(p.peer_group, []).append(p)
    out = {}
    for name, members in scopes.items():
        tops = sum(1 for p in members if p.final == q["rating"])
        base = sum(1 for p in members if p.final is not None) if q.get("of") == "rated" else \
            sum(1 for p in members if p.final in q["of"])
        out[name] = tops > math.floor(float(q["max_ratio"]) * base + 1e-9)
    return out
