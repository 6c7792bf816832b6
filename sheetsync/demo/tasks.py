"""A month of work: the documents tasks rest on, each person's task rows, what happened to
each task by the month's end, and the planted row problems (plants.yaml)."""

from __future__ import annotations

import calendar
import random
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sheetsync.demo.content import APPROVED, DEPUTY, FAIL, GOOD, HEAD, PASS, RETURNED, XS, Template, content
from sheetsync.demo.people import Person, Unit, WardNames

FOCUS, REGULAR, ADHOC = "Trọng tâm", "Thường xuyên", "Phát sinh, đột xuất"  # Nhóm nhiệm vụ
PAIRED = ("duplicate_id", "merged")  # plants that also touch the owner's previous row


@dataclass(frozen=True)
class Month:
    """A month of the demo. `closes` is the day its story is told as of: the day the ward office
    produces the month's forms (the profile's forms deadline), so no work is dated after it."""

    ym: str
    year: int
    month: int
    closes: date

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def text(self) -> str:
        return f"{self.month:02d}/{self.year}"

    def day(self, d: int) -> date:
        return date(self.year, self.month, min(d, self.last.day))


@dataclass
class DocNumbers:
    """A month's document numbers per symbol (KH-UBND, BC-VHXH, ...): unique, and rising
    through the year because each month starts past the previous month's range."""

    month: Month
    rng: random.Random
    last: dict[str, int] = field(default_factory=dict)

    def take(self, symbol: str) -> int:
        room = content().places["docs_per_month"]
        per_month = room.get(symbol, room[""])
        n = self.last.get(symbol, (self.month.month - 1) * per_month) + self.rng.randint(1, 3)
        self.last[symbol] = n
        return n


@dataclass(frozen=True)
class Basis:
    text: str
    issued: date
    topic: str | None = None


@dataclass
class Outcome:
    kind: str = "ok"
    done: float | None = None
    done_date: date | None = None
    review: str = ""
    returns: int | None = None
    delays: int | None = None
    excused: bool = False
    evidence: str = ""
    progress: float | None = None


@dataclass
class Draft:
    """One task row before it is typed into the sheet."""

    owner: str
    template: Template
    name: str
    basis: Basis
    q: int
    start: date
    due: date
    lead_unit: str = ""
    collaborators: str = ""
    outcome: Outcome = field(default_factory=Outcome)
    plant: str = ""
    cells: dict[str, Any] = field(default_factory=dict)  # raw cells that override the typed values


def on_or_before(d: date) -> date:
    """The working day on or before d."""
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def _on_or_after(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# -- what the tasks rest on --------------------------------------------------------------------

def bases(unit: Unit, month: Month, rng: random.Random, ward: WardNames, numbers: DocNumbers
          ) -> dict[str, list[Basis]]:
    """The documents this unit's tasks rest on this month, by task group (documents.yaml)."""
    spec = unit.spec
    docs = content().documents["school" if spec.school else "office"]
    first = month.first
    sy = month.year if month.month >= 8 else month.year - 1
    own = f"KH-{spec.abbr}"
    before = on_or_before(first - timedelta(days=rng.randint(2, 5)))

    def dates(n: int, lo: int, hi: int) -> list[date]:
        return sorted(on_or_before(first + timedelta(days=rng.randint(lo, hi))) for _ in range(n))

    def doc(d: dict, day: date, topic: str | None) -> Basis:
        series = own if d.get("series") == "own" else d.get("series")
        text = d["text"].format(n=numbers.take(series) if series else "", date=f"{day:%d/%m/%Y}", month=month.text,
                                unit=spec.name, ward=ward.lower, topic=topic, school_year=f"{sy}-{sy + 1}", own=own)
        return Basis(text, day, topic)

    def dated(d: dict) -> date:
        when = d.get("dated")
        return before if when == "before_month" else date(sy, 8, 25) if when == "school_year" else when

    regular = [doc(d, dated(d), None) for d in docs["regular"]]
    focus = [doc(docs["focus"][min(i, len(docs["focus"]) - 1)], day, rng.choice(spec.topics))
             for i, day in enumerate(dates(rng.randint(2, 3), -1, 5))]
    adhoc = [doc(rng.choice(docs["adhoc"]), day, rng.choice(spec.topics)) for day in dates(rng.randint(1, 2), 2, 14)]
    return {REGULAR: regular, FOCUS: focus, ADHOC: adhoc}


# -- each person's rows ------------------------------------------------------------------------

def _task_dates(template: Template, basis: Basis, month: Month, week: int, rng: random.Random) -> tuple[date, date]:
    first, last = _on_or_after(month.first), on_or_before(month.closes)
    if template.span == "month":
        return first, last
    if template.span == "week":
        start = _on_or_after(month.first + timedelta(days=7 * (week - 1)))
        due = last if week == 4 else min(on_or_before(start + timedelta(days=4)), last)
        return start, max(start, due)
    start = _on_or_after(max(first, basis.issued) + timedelta(days=rng.randint(0, 4)))
    start = min(start, on_or_before(last - timedelta(days=2)))
    due = min(on_or_before(start + timedelta(days=rng.randint(3, 14))), last)
    return start, max(start, due)


def draft_person(person: Person, unit: Unit, month: Month, found: dict[str, list[Basis]], rng: random.Random,
                 ward: WardNames) -> list[Draft]:
    """A person's rows for the month: weekly duties first, then other templates drawn without repeats."""
    post = person.post
    places = content().places
    who = {HEAD: "head", DEPUTY: "deputy"}.get(post.leader, "")
    usable = [t for t in content().roles[post.role]
              if (t.months is None or month.month in t.months) and t.who in ("", who)]
    weekly = [t for t in usable if t.span == "week"]
    others = [t for t in usable if t.span != "week"]
    lo, hi = content().role_rows[post.role]
    n = rng.randint(lo, hi)
    chosen: list[tuple[Template, int]] = [(t, w) for t in weekly for w in range(1, 5)]
    pool = others[:]
    rng.shuffle(pool)
    while len(chosen) < max(n, 3) and pool:
        chosen.append((pool.pop(), 0))
    if len(chosen) < 3:  # a thin role in a thin month: repeat a template on another topic
        chosen += [(rng.choice(others), 0) for _ in range(3 - len(chosen))]
    colleagues = [p.staff_id for p in unit.people
                  if p.post.department == post.department and p.staff_id != person.staff_id]
    drafts = []
    for template, week in chosen:
        basis = rng.choice(found[template.group])
        topic = basis.topic or rng.choice(unit.spec.topics)
        name = template.name.format(
            m=month.text, topic=topic, tdp=rng.randint(1, 28), street=rng.choice(places["streets"]),
            cls=(person.classes or ("",))[0], dept=post.department, field=rng.choice(places["one_stop_fields"]),
            week=week, short=unit.spec.short, theme=rng.choice(places["kindergarten_themes"]), y=month.year,
            old_year=month.year - rng.randint(3, 6), next_school_year=f"{month.year}-{month.year + 1}")
        start, due = _task_dates(template, basis, month, week, rng)
        lead = ""
        if template.other_lead:
            lead = rng.choice([u for u in ward.office_units if u != unit.spec.name])
        collab = ""
        if colleagues and template.span == "task" and rng.random() < 0.2:
            collab = ", ".join(sorted(rng.sample(colleagues, k=min(len(colleagues), rng.randint(1, 2)))))
        lo_q, hi_q = template.qty
        drafts.append(Draft(person.staff_id, template, name, basis, rng.randint(lo_q, hi_q), start, due, lead, collab))
    return drafts


def draw_outcome(d: Draft, kind: str, month: Month, abbr: str, rng: random.Random) -> Outcome:
    """What happened to a task by the end of the month (the kinds of performance.yaml)."""
    room = (month.closes - d.due).days
    if kind == "late" and (d.template.span == "month" or room < 1):
        kind = "returned_ok"
    if kind == "excused":
        kind = "excused_late" if d.template.span != "month" and room >= 1 else "excused_returned"
    if kind == "partial" and d.q < 2:
        kind = "unfinished"
    o = Outcome(kind=kind, done=d.q, review=APPROVED, progress=100)
    o.done_date = max(d.start, on_or_before(d.due - timedelta(days=rng.randint(0, min(3, (d.due - d.start).days)))))
    if kind in ("late", "excused_late"):
        o.done_date = d.due + timedelta(days=rng.randint(1, min(5, room)))
        if kind == "late" and rng.random() < 0.15:
            o.delays = 2
    if kind in ("returned_ok", "excused_returned"):
        o.returns = 1 if rng.random() < 0.75 else 2
    if kind == "returned":
        o.review, o.returns = RETURNED, (1 if rng.random() < 0.7 else 2)
    if kind == "pending":
        o.review = "Chưa duyệt" if rng.random() < 0.3 else ""
    if kind.startswith("excused"):
        o.excused = True
    if kind == "partial":
        o.done = max(1, min(d.q - 1, round(d.q * rng.uniform(0.5, 0.9))))
        o.progress = round(100 * o.done / d.q)
        o.review = APPROVED if rng.random() < 0.6 else ""
    if kind == "unfinished":
        o.done = 0 if rng.random() < 0.4 else None
        o.done_date, o.review, o.progress = None, "", rng.choice((20, 30, 40, 50, 60, 70))
    if (o.done or 0) > 0 and kind != "no_evidence":
        evidence = content().products[d.template.product].evidence
        o.evidence = evidence.format(n="{n}", date=f"{o.done_date:%d/%m/%Y}", mm=month.text, abbr=abbr)
    return o


# -- month-level plans and planted problems ----------------------------------------------------

@dataclass
class MonthPlan:
    """Which month-level problems go where (drawn once per month across the ward)."""

    month: Month
    is_first: bool
    is_last: bool
    missing_review: set[str] = field(default_factory=set)
    disciplined: set[str] = field(default_factory=set)
    late_self: set[str] = field(default_factory=set)


def plan_month(units: list[Unit], month: Month, is_first: bool, is_last: bool, rng: random.Random) -> MonthPlan:
    plants = content().plants
    plan = MonthPlan(month, is_first, is_last)
    staff = [p for u in units for p in u.people if p.post.leader != HEAD]
    plan.late_self = {p.staff_id for p in staff if rng.random() < plants["late_self_share"]}
    if is_last:
        plan.missing_review = {p.staff_id for p in rng.sample(staff, plants["missing_reviews"])}
        unit = next(u for u in units if u.spec.key == plants["disciplined_unit"])
        plan.disciplined = {rng.choice([p for p in unit.people if not p.post.leader]).staff_id}
    return plan


def plan_tiers(unit: Unit, rng: random.Random) -> dict[str, str]:
    """Each person's planned rating this month: stable ability plus the month's luck, ranked
    within the unit (the top as excellent, the bottom as merely passing, a rare failure)."""
    perf_settings = content().performance
    perf = {x.staff_id: x.ability + rng.gauss(0, 0.6) for x in unit.people}
    order = sorted(unit.people, key=lambda x: -perf[x.staff_id])
    if unit.spec.approval == "generous":
        pool = [x for x in order if not x.post.leader]
        top = {x.staff_id for x in pool[:round(len(pool) * unit.spec.xs_share)]}
    else:
        top = {x.staff_id for x in order[:max(1, round(len(order) * unit.spec.xs_share))]}
    bottom = {x.staff_id for x in order[-max(1, round(len(order) * perf_settings["pass_share"])):]}
    return {x.staff_id: FAIL if perf[x.staff_id] < perf_settings["fail_below"] else XS if x.staff_id in top
            else PASS if x.staff_id in bottom else GOOD for x in order}


def plant_rows(units: list[Unit], drafts: dict[str, dict[str, list[Draft]]], tiers: dict[str, dict[str, str]],
               plan: MonthPlan, rng: random.Random) -> None:
    """Plant the row problems of plants.yaml (and a few extra) on rows of ordinary staff, one per
    person, never on someone planned as excellent (a zeroed row would cost them the rating).
    `drafts` and `tiers` are per unit key."""
    plants = content().plants
    total = sum(len(ds) for per_unit in drafts.values() for ds in per_unit.values())
    kinds = list(plants["rows"])
    kinds += [rng.choice(plants["extra"]) for _ in range(max(0, round(total * plants["rate"]) - len(kinds)))]
    used: set[str] = set(plan.disciplined)
    if plan.is_first:
        kinds.insert(0, "merged")
    for kind in kinds:
        unit = next(u for u in units if u.spec.key == plants["merged_unit"]) if kind == "merged" else rng.choice(units)
        mine = drafts[unit.spec.key]
        owners = [p.staff_id for p in unit.people
                  if not p.post.leader and p.staff_id not in used and len(mine[p.staff_id]) >= 3
                  and tiers[unit.spec.key][p.staff_id] != XS]
        if not owners:
            continue
        sid = rng.choice(owners)
        used.add(sid)
        rows = mine[sid]
        target = rng.randrange(1, len(rows)) if kind in PAIRED else rng.randrange(len(rows))
        _plant(kind, rows, target, unit, plan.month, rng)


def _plant(kind: str, drafts: list[Draft], i: int, unit: Unit, month: Month, rng: random.Random) -> None:
    """Put one problem on row `i` (on an otherwise clean, finished row, so the finding is the
    only thing wrong with it)."""
    d = drafts[i]
    d.plant = kind
    abbr = unit.spec.abbr
    if kind == "text_number":
        d.q = 2  # typed in words: "hai"
    d.outcome = draw_outcome(d, "no_evidence" if kind == "no_evidence" else "ok", month, abbr, rng)
    if kind == "text_number":
        d.cells["assigned_qty"] = "hai"
    elif kind == "invalid_date":
        d.cells["done_date"] = content().plants["invalid_date"]
    elif kind == "unknown_staff":
        d.cells["owner_id"] = re.sub(r"0+(?=\d)", "", d.owner, count=1)  # VP007 typed as VP7
    elif kind == "unknown_product":
        d.cells["product_code"] = f"SP{len(unit.catalogue) + rng.randint(2, 6):02d}"
    elif kind == "blank_required":
        d.cells[rng.choice(("output", "quality_criteria"))] = None
    elif kind == "done_over":
        d.cells["done_qty"] = d.q + rng.randint(1, 3)
    elif kind == "returned_no_count":
        d.outcome.review, d.outcome.returns = RETURNED, None
    elif kind == "approved_nothing":
        d.outcome = replace(d.outcome, done=None, done_date=None, evidence="", progress=60, review=APPROVED)
    elif kind == "unknown_collaborator":
        nobody = f"{unit.spec.prefix}0{len(unit.people) + 7}"  # beyond the roster's last code
        d.cells["collaborators"] = ", ".join(x for x in (d.collaborators, nobody) if x)
    elif kind == "nfd_group":
        d.cells["task_group"] = unicodedata.normalize("NFD", d.template.group)
    elif kind in PAIRED:
        prev = drafts[i - 1]
        prev.plant = prev.plant or f"{kind}_pair"
        prev.outcome = draw_outcome(prev, "ok", month, abbr, rng)
        if kind == "merged":
            d.basis = prev.basis
