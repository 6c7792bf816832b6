"""Form models for Mẫu số 01A and 02A: plain rows of figures, no rendering.

Every renderer (xlsx, HTML, PDF) draws from these, so the arithmetic is written and tested once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sheetsync.domain.ratings import RatingScale
from sheetsync.forms.model import (
    CATEGORIES,
    UnitResults,
    clean_text,
    default_scale,
    final_rating,
    is_truthy,
    normalize_category,
    normalize_rating,
)
from sheetsync.forms.numbers import percent, round_half_up
from sheetsync.results import COMPONENT_FIELDS

ScopeKind = Literal["unit", "ward"]

UNCATEGORISED = "Chưa xác định đối tượng"
TOTAL_LABEL = "Tổng cộng"
PROVISIONAL_MARK = "(tạm tính)"
SCORE_KEYS = (*COMPONENT_FIELDS, "general_points", "task_points", "total_points")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass
class SummaryRow:
    """One line of 01A: a Đối tượng (unit form) or a unit (ward form), or the total."""

    stt: str
    label: str
    scale: RatingScale = field(default_factory=default_scale, repr=False)
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    not_rated: int = 0
    provisional: int = 0
    notes: str = ""
    is_total: bool = False

    def __post_init__(self) -> None:
        self.counts = {**dict.fromkeys(self.scale.names, 0), **self.counts}

    @property
    def rated(self) -> int:
        return sum(self.counts.values())

    def percent(self, rating: str) -> float | None:
        """Share of the people rated, in %, rounded half up to 2 decimals (None if nobody rated)."""
        return percent(self.counts[rating], self.rated)

    def add(self, other: SummaryRow) -> None:
        self.total += other.total
        self.not_rated += other.not_rated
        self.provisional += other.provisional
        for rating, n in other.counts.items():
            self.counts[rating] += n


@dataclass
class Form01A:
    """Mẫu số 01A for one scope: the body rows, then the total row."""

    scope: str
    kind: ScopeKind
    month: str
    rows: list[SummaryRow]
    scale: RatingScale = field(default_factory=default_scale, repr=False)

    @property
    def total(self) -> SummaryRow:
        return self.rows[-1]

    @property
    def body(self) -> list[SummaryRow]:
        return self.rows[:-1]


@dataclass
class PersonRow:
    """One person in 02A; scores already rounded half up, ratings full text or ""."""

    stt: int
    unit: str
    staff_id: str
    full_name: str
    position: str
    department: str
    category: str
    scores: dict[str, float | None]
    self_rating: str
    suggested_rating: str
    approved_rating: str
    provisional: bool
    notes: str


@dataclass
class UnitGroup:
    """The bold group row of 02A (Roman numeral + unit name) and its people in roster order."""

    stt: str
    unit: str
    people: list[PersonRow]


@dataclass
class Form02A:
    """Mẫu số 02A for one scope: one group per unit."""

    scope: str
    kind: ScopeKind
    month: str
    groups: list[UnitGroup]
    scale: RatingScale = field(default_factory=default_scale, repr=False)

    @property
    def people(self) -> list[PersonRow]:
        return [p for g in self.groups for p in g.people]


def common_month(units: Sequence[UnitResults]) -> str:
    """The one month all units report on; mixing months in one form is an error."""
    months = {u.month for u in units}
    if len(months) != 1:
        raise ValueError(f"Các đơn vị phải cùng một tháng báo cáo, nhận được: {sorted(months)}")
    month = months.pop()
    if not _MONTH.match(month):
        raise ValueError(f"Tháng phải có dạng YYYY-MM, nhận được: {month!r}")
    return month


def _records(unit: UnitResults) -> list[dict[str, Any]]:
    return unit.people.to_dict("records") if len(unit.people) else []


def _unit_notes(unit: UnitResults, provisional: int, sep: str) -> str:
    notes = [clean_text(n) for n in unit.notes if clean_text(n)]
    if provisional:
        notes.append(f"{provisional} người có điểm tạm tính")
    return sep.join(notes)


def _tally(row: SummaryRow, person: dict[str, Any]) -> None:
    row.total += 1
    rating = final_rating(person, row.scale)
    if rating is None:
        row.not_rated += 1
    else:
        row.counts[rating] += 1
    if is_truthy(person.get("provisional")):
        row.provisional += 1


def _unit_total(unit: UnitResults, stt: str, label: str, notes_sep: str, scale: RatingScale) -> SummaryRow:
    row = SummaryRow(stt=stt, label=label, scale=scale)
    for person in _records(unit):
        _tally(row, person)
    row.notes = _unit_notes(unit, row.provisional, notes_sep)
    return row


def _total_row(rows: Iterable[SummaryRow], scale: RatingScale, notes: str = "") -> SummaryRow:
    total = SummaryRow(stt="", label=TOTAL_LABEL, scale=scale, notes=notes, is_total=True)
    for row in rows:
        total.add(row)
    return total


def _resolve_kind(units: Sequence[UnitResults], scope_name: str, kind: ScopeKind | None) -> ScopeKind:
    if kind is not None:
        return kind
    return "unit" if len(units) == 1 and units[0].unit == scope_name else "ward"


def build_01a(units: Sequence[UnitResults], scope_name: str, *, kind: ScopeKind | None = None,
              scale: RatingScale | None = None) -> Form01A:
    """Mẫu số 01A: per Đối tượng for one unit, per unit for the ward, then the total row.

    ``kind`` defaults to "unit" when given the single unit named ``scope_name``, else "ward".
    The unit's notes go on its total row (unit form) or its own row (ward form), so a ward row
    is exactly the total row of that unit's form.
    """
    units = list(units)
    month = common_month(units)
    kind = _resolve_kind(units, scope_name, kind)
    scale = scale or default_scale()
    if kind == "unit":
        if len(units) != 1:
            raise ValueError("Mẫu 01A của đơn vị chỉ nhận đúng một đơn vị")
        unit = units[0]
        by_category = {c: SummaryRow(stt="", label=c, scale=scale) for c in (*CATEGORIES, UNCATEGORISED)}
        for person in _records(unit):
            category = normalize_category(person.get("category")) or UNCATEGORISED
            _tally(by_category[category], person)
        body = [by_category[c] for c in CATEGORIES]
        if by_category[UNCATEGORISED].total:
            body.append(by_category[UNCATEGORISED])
        for i, row in enumerate(body, 1):
            row.stt = str(i)
        rows = [*body, _total_row(body, scale, _unit_notes(unit, sum(r.provisional for r in body), "\n"))]
    else:
        body = [_unit_total(u, str(i), clean_text(u.unit), "\n", scale) for i, u in enumerate(units, 1)]
        rows = [*body, _total_row(body, scale)]
    return Form01A(scope=clean_text(scope_name), kind=kind, month=month, rows=rows, scale=scale)


def roman(number: int) -> str:
    """Roman numeral for the group rows of 02A (I, II, III...), as official lists number groups."""
    numerals = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = []
    for value, letters in numerals:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


def _person_row(stt: int, unit: str, person: dict[str, Any], scale: RatingScale) -> PersonRow:
    provisional = is_truthy(person.get("provisional"))
    notes = clean_text(person.get("notes"))
    if provisional:
        notes = f"{PROVISIONAL_MARK} {notes}".strip() if PROVISIONAL_MARK not in notes else notes

    def rating(key: str) -> str:
        return normalize_rating(person.get(key), scale) or ""

    return PersonRow(
        stt=stt,
        unit=unit,
        staff_id=clean_text(person.get("staff_id")),
        full_name=clean_text(person.get("full_name")),
        position=clean_text(person.get("position")),
        department=clean_text(person.get("department")),
        category=clean_text(person.get("category")),
        scores={key: round_half_up(person.get(key)) for key in SCORE_KEYS},
        self_rating=rating("self_rating"),
        suggested_rating=rating("suggested_rating"),
        approved_rating=rating("approved_rating"),
        provisional=provisional,
        notes=notes,
    )


def build_02a(units: Sequence[UnitResults], scope_name: str, *, kind: ScopeKind | None = None,
              scale: RatingScale | None = None) -> Form02A:
    """Mẫu số 02A: every person, grouped by unit in the given order, each unit in roster order."""
    units = list(units)
    month = common_month(units)
    scale = scale or default_scale()
    groups = []
    for g, unit in enumerate(units, 1):
        name = clean_text(unit.unit)
        people = [_person_row(i, name, p, scale) for i, p in enumerate(_records(unit), 1)]
        groups.append(UnitGroup(stt=roman(g), unit=name, people=people))
    return Form02A(scope=clean_text(scope_name), kind=_resolve_kind(units, scope_name, kind),
                   month=month, groups=groups, scale=scale)
