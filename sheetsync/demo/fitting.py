"""Making each person's month tell the story planned for them, with the engine as the judge.

Every person has a planned rating (a tier). Their tasks' outcomes are drawn with the tier's
weights; the real engine (`evaluate`, on in-memory grids of the unit) then scores the month,
and the manager's general points are chosen so that the total lands in the tier: the total
moves with the general points one for one (scoring.md: total = general + task points), so the
engine's own total minus its general points is what the general points add to. Where no
general points in the tier's range can reach it, the person's outcomes are drawn again. The
engine scores again after every change; what it says last is what the sheet will say. Whoever
general points cannot move into their tier keeps the rating their work earned.

The authority then approves like a real one: within the quota (the engine's `check_quota`),
except in the unit that is meant to show the quota warning, and once a level above the
suggestion where the demo wants the honesty warning.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pandas as pd

from sheetsync.config.profile import Profile, round_half_up
from sheetsync.config.schema import Schemas
from sheetsync.demo.cells import Typist, catalogue_rows, general_text, staff_rows, task_rows
from sheetsync.demo.content import FAIL, GOOD, PASS, XS, content
from sheetsync.demo.people import Unit
from sheetsync.demo.tasks import Draft, Month, MonthPlan, draw_outcome, weighted
from sheetsync.demo.workbook import UnitSheets, grids
from sheetsync.engine.evaluate import evaluate
from sheetsync.engine.findings import Findings
from sheetsync.engine.scoring import check_quota, score_month
from sheetsync.engine.validate import check_tree

MAX_ROUNDS = 4
SCORED_TABS = ("staff", "catalogue", "tasks", "evaluations")  # what scoring a person reads
MARGIN = 0.01  # keep the total this far inside its band (the engine rounds what it shows)


@dataclass
class PersonInputs:
    """What the evaluation row will say, beside the task rows."""

    tier: str
    mgr_general: float | None  # None: the manager has not scored yet (the self-assessment stands in)
    self_general: float
    e: float | None
    disciplined: bool


@dataclass(frozen=True)
class Result:
    """The engine's reading of one person's month."""

    total: float | None
    general: float | None
    rating: str | None


@dataclass
class UnitMonth:
    unit: Unit
    month: Month
    plan: MonthPlan
    rng: random.Random
    drafts: dict[str, list[Draft]]
    tiers: dict[str, str]
    inputs: dict[str, PersonInputs] = field(default_factory=dict)
    results: dict[str, Result] = field(default_factory=dict)
    approved: dict[str, str | None] = field(default_factory=dict)

    @property
    def suggested(self) -> dict[str, str | None]:
        return {s: r.rating for s, r in self.results.items()}


def _half_points(rng: random.Random, lo: float, hi: float) -> float:
    return rng.randint(int(lo * 2), int(hi * 2)) / 2


def _draw_outcomes(um: UnitMonth, sid: str) -> None:
    weights = content().by_rating("outcomes")[um.tiers[sid]]
    for d in um.drafts[sid]:
        if not d.plant:
            d.outcome = draw_outcome(d, weighted(um.rng, weights), um.month, um.unit.spec.abbr, um.rng)


def start(um: UnitMonth) -> None:
    """First draw: general points from the tier's range, the leader's e, every task's outcome."""
    perf = content().performance
    points, leader_e = content().by_rating("general_points"), content().by_rating("leader_e")
    plan = um.plan
    for x in um.unit.people:
        s = x.staff_id
        tier = um.tiers[s]
        mgr = _half_points(um.rng, *points[FAIL if s in plan.disciplined else tier])
        self_points = min(30.0, mgr + um.rng.choice(perf["self_above_manager"]))
        e = float(um.rng.randint(*leader_e[tier])) if x.post.leader else None
        um.inputs[s] = PersonInputs(tier, None if s in plan.missing_review else mgr, self_points, e,
                                    s in plan.disciplined)
    for s in um.unit.bottom_up:
        _draw_outcomes(um, s)


# -- the engine's reading ----------------------------------------------------------------------

def _fit_sheets(ums: list[UnitMonth]) -> UnitSheets:
    """These unit-months as plain cells (values the engine reads exactly as the typed ones), every
    unit in one set of sheets: staff codes are unique across the ward, and task and product codes
    are made so by the unit's prefix. One evaluation then scores them all."""
    sheets = UnitSheets()
    plain = Typist(random.Random(0), plain=True)
    seen: set[str] = set()
    for um in ums:
        unit, prefix = um.unit, f"{um.unit.spec.prefix}-"
        if unit.spec.key not in seen:
            seen.add(unit.spec.key)
            sheets.staff += staff_rows(unit)
            sheets.catalogue += [r | {"product_code": prefix + r["product_code"]} for r in catalogue_rows(unit)]
        rows, merges = task_rows(unit, um.month, um.drafts, plain)
        sheets.merges += [("tasks", "basis", len(sheets.tasks) + a, len(sheets.tasks) + b) for a, b in merges]
        sheets.tasks += [r | {"task_id": prefix + r["task_id"], "product_code": prefix + str(r["product_code"])}
                         for r in rows if r is not None]
        as_text = unit.spec.types_as_text
        sheets.evaluations += [{
            "staff_id": s, "month": um.month.first, "self_general": general_text(inp.self_general, as_text),
            "mgr_general": inp.mgr_general, "leader_e": inp.e, "disciplined": "Có" if inp.disciplined else None,
        } for s, inp in um.inputs.items()]
    return sheets


class Scorer:
    """The engine's reading of every unit-month: one validation of all the rows, then scoring
    again (the engine's `score_month`) whenever general points change, the only cells fitting
    changes after the first draw."""

    def __init__(self, ums: list[UnitMonth], schemas: Schemas, profile: Profile):
        self.ums, self.profile = ums, profile
        sheets = _fit_sheets(ums)
        self.rows = {(ev["staff_id"], ev["month"].strftime("%Y-%m")): i + 2 for i, ev in enumerate(sheets.evaluations)}
        self.ev = evaluate(grids(sheets, schemas, SCORED_TABS), schemas, profile,
                           as_of=max(um.month.closes for um in ums))
        self.parent = check_tree(self.ev.tabs["staff"], Findings())
        self._read(self.ev.scores.months)

    def rescore(self, changed: list[UnitMonth]) -> None:
        """Score again the months of these unit-months, with their people's general points now."""
        values = self.ev.tabs["evaluations"].values
        for um in changed:
            for sid, inp in um.inputs.items():
                row = self.rows[(sid, um.month.ym)]
                values.at[row, "self_general"] = inp.self_general
                values.at[row, "mgr_general"] = inp.mgr_general if inp.mgr_general is not None else float("nan")
        tabs, ev = self.ev.tabs, self.ev
        self._read({m: score_month(m, tabs["staff"], tabs["evaluations"], ev.scores.tasks, self.parent,
                                   self.profile, ev.as_of, Findings())
                    for m in sorted({um.month.ym for um in changed})})

    def _read(self, months: dict) -> None:
        for month, scores in months.items():
            people = scores.people
            got = {str(sid): Result(None if pd.isna(total) else float(total),
                                    None if pd.isna(general) else float(general),
                                    rating if isinstance(rating, str) else None)
                   for sid, total, general, rating in zip(people["staff_id"], people["total_points"],
                                                          people["general_points"], people["suggested_rating"])}
            for um in self.ums:
                if um.month.ym == month:
                    um.results = {x.staff_id: got[x.staff_id] for x in um.unit.people}


# -- fitting -----------------------------------------------------------------------------------

def _general_for(rest: float, tier: str, profile: Profile, anywhere: bool = False) -> float | None:
    """General points (half points, in the tier's range, else up to 4 below or 1 above it, or
    `anywhere` from 0 to 30) that put the total in the tier's band, nearest the middle of the
    range; None if none do."""
    target = tier
    lo, hi = content().by_rating("general_points")[tier]
    mid = (lo + hi) / 2
    lowest, highest = (0, 30) if anywhere else (max(0, lo - 4), min(30, hi + 1))
    candidates = [g / 2 for g in range(int(lowest * 2), int(highest * 2) + 1)]

    def lands(g: float) -> bool:
        return all(profile.band(float(round_half_up(g + rest + m, profile.rounding))) == target
                   for m in (-MARGIN, MARGIN))
    ok = [g for g in candidates if lands(g)]
    if not ok:
        return None
    inside = [g for g in ok if lo <= g <= hi]
    return min(inside or ok, key=lambda g: (abs(g - mid), g))


def _quota_marked(um: UnitMonth, ratings: dict[str, str | None], profile: Profile) -> list[str]:
    """Who the engine's quota check marks beyond the quota, lowest total first (equal totals by
    staff id, so that the demo is the same whatever order Python's string hashing gives a set)."""
    people = pd.DataFrame([{"staff_id": s, "final_rating": ratings.get(s),
                            "total_points": r.total, "peer_group": um.unit.by_id[s].post.peer_group or None}
                           for s, r in um.results.items()])
    marked = {s for q in check_quota(people, profile) if q["exceeded"] for s in q["marked"]}
    return sorted(marked, key=lambda s: (um.results[s].total or 0, s))


def _adjust(um: UnitMonth, profile: Profile) -> bool:
    """Move everyone who is off their tier into it where general points can; True if anything
    changed. Whoever cannot be moved keeps the rating their work earned."""
    forced: set[str] = set()
    if um.unit.spec.approval == "pending" and um.plan.is_last:
        # Judged on suggested ratings: the excellent beyond the quota are planned good instead.
        forced = set(_quota_marked(um, um.suggested, profile))
        for s in forced:
            um.tiers[s] = um.inputs[s].tier = GOOD
    changed = False
    for s in um.unit.bottom_up:
        inp, got = um.inputs[s], um.results.get(s)
        if inp.disciplined or got is None or got.rating == inp.tier or got.total is None or got.general is None:
            continue
        g = _general_for(got.total - got.general, inp.tier, profile, anywhere=s in forced)
        if g is None:
            continue
        if inp.mgr_general is not None:
            inp.self_general = min(30.0, g + max(0.0, inp.self_general - inp.mgr_general))
            inp.mgr_general = g
        else:
            inp.self_general = g
        changed = True
    return changed


def fit(ums: list[UnitMonth], schemas: Schemas, profile: Profile) -> None:
    """Score, move people into their tiers, score again, until nobody moves or the rounds run out."""
    scorer = Scorer(ums, schemas, profile)
    for _ in range(MAX_ROUNDS):
        changed = [um for um in ums if _adjust(um, profile)]
        if not changed:
            return
        scorer.rescore(changed)


# -- approval ----------------------------------------------------------------------------------

def approve(um: UnitMonth, profile: Profile) -> None:
    """The authority's ratings: as suggested, within the quota unless the unit is `generous`,
    none yet in a `pending` unit's last month, one a level above in the planted unit."""
    spec, plants = um.unit.spec, content().plants
    if spec.approval == "pending" and um.plan.is_last:
        um.approved = {}
        return
    um.approved = dict(um.suggested)
    if spec.approval != "generous":
        while marked := _quota_marked(um, um.approved, profile):
            um.approved[marked[0]] = GOOD
    if spec.key == plants["approved_above_unit"] and um.plan.is_last:
        _approve_above(um, profile)


def _approve_above(um: UnitMonth, profile: Profile) -> None:
    """One person (not a leader, not disciplined) approved a level above the suggestion; never
    lifting a failing rating, which would change a leader's d."""
    for rating in (PASS, GOOD):
        for s in um.unit.bottom_up:
            if um.suggested.get(s) == rating and not um.inputs[s].disciplined and not um.unit.by_id[s].post.leader:
                above = profile.ratings[profile.ratings.index(rating) - 1]
                if above == XS and _quota_marked(um, {**um.approved, s: XS}, profile):
                    continue
                um.approved[s] = above
                return


def fitted_share(ums: list[UnitMonth]) -> float:
    """Share of people whose suggested rating is the planned one (disciplined people aside)."""
    pairs = [(um.results.get(s), inp.tier) for um in ums for s, inp in um.inputs.items() if not inp.disciplined]
    return sum(1 for r, t in pairs if r is not None and r.rating == t) / max(1, len(pairs))
