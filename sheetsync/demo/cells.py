"""Typing the demo's rows into cells, as people do: dates mostly as date cells and sometimes as
text in one of the accepted forms, ratings as codes, letters or words, decimals with a comma."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sheetsync.demo.content import GOOD, RATING_CODES, RATING_LETTERS, RATINGS, RETURNED, YES, content
from sheetsync.demo.people import Unit
from sheetsync.demo.tasks import ADHOC, FOCUS, Draft, Month, on_or_before

TEXT_DATE_FORMS = (lambda d: d.strftime("%d/%m/%Y"), lambda d: f"{d.day}/{d.month}/{d.year}",
                   lambda d: d.strftime("%d-%m-%Y"), lambda d: d.isoformat())


@dataclass
class Typist:
    """How people type dates and months: mostly real date cells, sometimes text in one of the
    accepted forms; every form shows up early (d/m/yyyy on a date where it differs). A `plain`
    typist types every value as it is (the engine reads both the same)."""

    rng: random.Random
    plain: bool = False
    pending: list[int] = field(default_factory=lambda: list(range(len(TEXT_DATE_FORMS))))

    def day(self, d: date | None) -> date | str | None:
        if d is None or self.plain:
            return d
        if self.pending and (self.pending[0] != 1 or d.day < 10 or d.month < 10):
            return TEXT_DATE_FORMS[self.pending.pop(0)](d)
        if self.rng.random() < content().plants["text_date_share"]:
            return self.rng.choice(TEXT_DATE_FORMS)(d)
        return d

    def month(self, m: Month, as_text: bool) -> date | str:
        if as_text and not self.plain:
            return m.ym if self.rng.random() < 0.03 else m.text
        return m.first


def task_rows(unit: Unit, month: Month, drafts: dict[str, list[Draft]], typist: Typist, blank_at: int | None = None,
              last: bool = False) -> tuple[list[dict[str, Any] | None], list[tuple[int, int]]]:
    """The month's task rows in roster order (None: a blank row before person `blank_at`), and
    the merged pairs of rows (indexes into the list). `last`: the demo's last month (the one
    whose feedback may still be unanswered)."""
    rows: list[dict[str, Any] | None] = []
    merges = []
    seq = 0
    last_id = ""
    for n, x in enumerate(unit.people):
        if n == blank_at:
            rows.append(None)  # someone deleted a row's content instead of the row
        for d in drafts[x.staff_id]:
            if d.plant == "duplicate_id":
                task_id = last_id  # a copied row whose id nobody changed
            else:
                seq += 1
                task_id = f"NV-{month.year % 100:02d}{month.month:02d}-{seq:04d}"
            if d.plant == "merged":
                merges.append((len(rows) - 1, len(rows)))
            rows.append({**_task_cells(d, task_id, unit, month, typist), **_plan_cells(d, task_id, unit, month, last)})
            last_id = task_id
    return rows, merges


def _task_cells(d: Draft, task_id: str, unit: Unit, month: Month, typist: Typist) -> dict[str, Any]:
    o = d.outcome
    progress: Any = o.progress
    if progress == 100 and not typist.plain and typist.rng.random() < 0.15:
        progress = "100%"
    cells = {
        "task_id": task_id, "month": typist.month(month, unit.spec.types_as_text), "task_name": d.name,
        "basis": d.basis.text, "task_group": d.template.group, "lead_unit": d.lead_unit or None, "owner_id": d.owner,
        "collaborators": d.collaborators or None, "product_code": unit.catalogue[d.template.product],
        "assigned_qty": d.q, "start_date": typist.day(d.start), "due_date": typist.day(d.due),
        "output": d.template.output, "quality_criteria": d.template.criteria, "progress_pct": progress,
        "done_qty": o.done, "done_date": typist.day(o.done_date), "evidence": o.evidence or None,
        "review": o.review or None, "returns": o.returns, "return_reason": _return_reason(o, task_id),
        "delays": o.delays,
        "excused": ("x" if unit.spec.school else YES) if o.excused else None,
    }
    cells.update(d.cells)
    return cells


def _return_reason(o, task_id: str) -> str | None:
    """The manager's reason for a returned task, drawn from the task's own seed so that adding
    it leaves every other draw of the demo as it was."""
    reasons = content().return_reasons
    if not reasons or not (o.review == RETURNED or (o.returns or 0) > 0):
        return None
    return random.Random(task_id).choice(reasons)


def _plan_cells(d: Draft, task_id: str, unit: Unit, month: Month, last: bool) -> dict[str, Any]:
    """Ngày giao, feedback with the manager's answer and the key result served (plans.yaml), drawn
    from the task's own seed so that every other draw of the demo stays as it was."""
    spec = content().plans
    rng = random.Random(f"{unit.spec.key}:{task_id}:plan")
    plan_day = month.day(int(spec["plan_day"]))
    if d.template.group == ADHOC:
        given = min(d.basis.issued, d.start)
    else:
        given = on_or_before(month.first)
        if d.start > plan_day and rng.random() < float(spec["added_later_share"]):
            given = on_or_before(d.start - timedelta(days=rng.randint(0, 3)))
            given = given if given > plan_day else d.start
    cells: dict[str, Any] = {"assigned_date": given}
    if d.plant:
        return cells  # a planted row keeps its one problem
    pending = last and unit.spec.approval == "pending"
    if rng.random() < float(spec["pending_feedback_share" if pending else "feedback_share"]):
        item = rng.choice(spec["feedback"])
        asked = min(d.start + timedelta(days=rng.randint(0, 2)), month.closes)
        cells.update(feedback_kind=item["kind"], feedback=item["text"], feedback_date=asked)
        left_open = pending and random.Random(f"{unit.spec.key}:{task_id}:open").random() < float(spec["open_share"])
        if not left_open:
            cells.update(answer=item["answer"], answer_date=min(asked + timedelta(days=rng.randint(1, 3)), month.closes))
    if d.template.group == FOCUS and unit.spec.okr and rng.random() < float(spec["kr_link_share"]):
        cells["kr_id"] = rng.choice(_served_krs(unit, d.owner, month))
    return cells


def kr_code(n: int, year: int, quarter: int) -> str:
    """The code of a unit's n-th key result (counted over its objectives) in a quarter."""
    return f"KR{n:02d}-Q{quarter}-{year}"


def _served_krs(unit: Unit, owner: str, month: Month) -> list[str]:
    """The key results a person's focus task serves: their own objective's, else their
    department's, else the unit's (codes of the month's quarter)."""
    person = next((p for p in unit.people if p.staff_id == owner), None)
    quarter = (month.month - 1) // 3 + 1
    codes: dict[str, list[str]] = {}
    n = 0
    for obj in unit.spec.okr:
        mine = codes.setdefault(obj.oid, [])
        for _ in obj.krs:
            n += 1
            mine.append(kr_code(n, month.year, quarter))
    for match in (lambda o: person is not None and o.owner == f"@{person.post.slot}",
                  lambda o: person is not None and o.owner == person.post.department,
                  lambda o: o.level == "Đơn vị"):
        found = [c for o in unit.spec.okr if match(o) for c in codes[o.oid]]
        if found:
            return found
    return [c for cs in codes.values() for c in cs]


def rating_text(rating: str | None, school: bool, rng: random.Random) -> str | None:
    """Schools write codes, offices the full text, and some people the Hanoi letter."""
    if rating is None:
        return None
    if rng.random() < 0.08:
        return RATING_LETTERS[rating]
    return RATING_CODES[rating] if school else rating


def general_text(points: float, as_text: bool) -> float | str:
    """General points as typed: a unit that types decimals as text writes 27,5."""
    return f"{points:.1f}".replace(".", ",") if as_text and points % 1 else points


def evaluation_rows(unit: Unit, month: Month, inputs: dict, suggested: dict[str, str | None],
                    approved: dict[str, str | None], late_self: set[str], typist: Typist, rng: random.Random
                    ) -> list[dict[str, Any]]:
    """The month's Đánh giá tháng rows: self-assessment, the manager's review and the approval,
    on dates around the deadlines (late for the people in `late_self`)."""
    school, as_text = unit.spec.school, unit.spec.types_as_text
    comments = content().by_rating("manager_comments")
    approve_day = on_or_before(month.day(rng.choice((27, 28))))
    rows = []
    for x in unit.people:
        s = x.staff_id
        inp = inputs[s]
        rank = RATINGS.index(suggested.get(s) or GOOD)
        self_rank = max(0, rank - 1) if rng.random() < 0.25 else min(3, rank + 1) if rng.random() < 0.04 else rank
        if s in late_self:
            self_day = month.day(rng.randint(26, 28))
        else:
            self_day = on_or_before(month.day(rng.randint(19, 25)))
        mgr_day = max(self_day, on_or_before(min(self_day + timedelta(days=rng.randint(0, 2)), month.day(26))))
        reviewed = inp.mgr_general is not None
        final = approved.get(s)
        comment = None
        if reviewed:
            comment = rng.choice(comments[final or suggested.get(s) or GOOD])
            if inp.disciplined:
                comment = content().performance["discipline_comment"].format(
                    n=rng.randint(30, 90), date=f"{month.day(rng.randint(5, 15)):%d/%m/%Y}")
        e: Any = inp.e
        if e is not None and rng.random() < 0.2:
            e = f"{e:.0f}%"
        rows.append({
            "staff_id": s, "month": typist.month(month, as_text), "self_general": general_text(inp.self_general, as_text),
            "self_rating": rating_text(RATINGS[self_rank], school, rng),
            "self_date": typist.day(self_day), "mgr_general": inp.mgr_general, "mgr_comment": comment,
            "mgr_date": typist.day(mgr_day) if reviewed else None, "leader_e": e,
            "disciplined": YES if inp.disciplined else (None if rng.random() < 0.7 else "Không"),
            "approved_rating": rating_text(final, school, rng),
            "approved_date": typist.day(max(approve_day, mgr_day)) if final else None,
        })
    return rows


def staff_rows(unit: Unit) -> list[dict[str, Any]]:
    plants = content().plants
    rows = []
    for x in unit.people:
        name = x.full_name
        if unit.spec.key == plants["nfd_name_unit"] and x.post.slot == plants["nfd_name_slot"]:
            name = unicodedata.normalize("NFD", name)  # typed on a keyboard that sends decomposed text
        rows.append({
            "staff_id": x.staff_id, "full_name": name, "position": x.post.position, "job_position": x.post.job,
            "department": x.post.department, "category": x.post.category, "leader_role": x.post.leader or None,
            "manager_id": x.manager_id, "peer_group": x.post.peer_group or None, "account": x.account,
            "phone": x.phone, "email": x.email,
        })
    return rows


def catalogue_rows(unit: Unit) -> list[dict[str, Any]]:
    products = content().products
    return [{"product_code": code, "product_name": products[key].name,
             "unit_of_measure": products[key].unit_of_measure, "coefficient": products[key].coefficient,
             "complexity": products[key].complexity}
            for key, code in unit.catalogue.items()]


def okr_rows(unit: Unit, months: list[Month], rng: random.Random) -> list[dict[str, Any]]:
    """The unit's objectives once per quarter covered; the last quarter's individual KR has no
    actual value yet."""
    quarters = sorted({(m.year, (m.month - 1) // 3 + 1) for m in months})
    ids = {x.post.slot: x.staff_id for x in unit.people}
    rows = []
    for y, q in quarters:
        n = 0
        for obj in unit.spec.okr:
            owner = ids[obj.owner[1:]] if obj.owner.startswith("@") else obj.owner
            for kr in obj.krs:
                n += 1
                lo, hi = kr.actual
                actual: Any = round(rng.uniform(lo, hi), kr.decimals)
                if kr.decimals == 0:
                    actual = int(actual)
                if obj.level == "Cá nhân" and (y, q) == quarters[-1]:
                    actual = None
                rows.append({
                    "objective_id": obj.oid, "objective": obj.text, "level": obj.level, "owner": owner,
                    "parent_id": obj.parent or None, "kr_id": kr_code(n, y, q), "key_result": kr.text,
                    "kpi_unit": kr.kpi_unit, "kpi_formula": kr.formula, "weight": kr.weight,
                    "data_source": kr.source, "target": kr.target, "stretch": kr.stretch, "actual": actual,
                    "period": f"Q{q}/{y}",
                })
    return rows
