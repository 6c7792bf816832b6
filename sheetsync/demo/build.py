"""`build_demo_ward`: the ward's people, then month by month their tasks and planted problems,
the engine-judged fitting and the approvals, then every unit's workbook and `ward.yaml`."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

from sheetsync.config.profile import Profile, load_profile
from sheetsync.config.schema import load_schemas
from sheetsync.config.ward import write_ward
from sheetsync.demo.cells import Typist, catalogue_rows, evaluation_rows, okr_rows, staff_rows, task_rows
from sheetsync.demo.content import content
from sheetsync.demo.fitting import UnitMonth, approve, fit, start
from sheetsync.demo.people import Unit, WardNames, build_units
from sheetsync.demo.schedule import schedule_rows
from sheetsync.demo.tasks import DocNumbers, Month, bases, draft_person, plan_month, plan_tiers, plant_rows
from sheetsync.demo.weekly import weekly_rows
from sheetsync.demo.workbook import UnitSheets, write_workbook
from sheetsync.domain.calendar import day_in_month, month_end, parse_month

DEFAULT_MONTHS = ("2026-10",)
PROFILE = "nd335"


def closing_day(month: str, profile: Profile) -> date:
    """The day the demo tells `month`'s story as of: the profile's deadline for the forms to
    the ward (the last of the month's deadlines), else the month's last day."""
    day = profile.deadlines.get("forms_to_ward")
    return day_in_month(month, int(day)) if day else month_end(month)


def parse_months(months: list[str] | tuple[str, ...] | None, profile: Profile) -> list[Month]:
    """The months asked for (yyyy-mm or mm/yyyy), oldest first; PeriodError for anything else."""
    keys = sorted({parse_month(m) for m in (months or DEFAULT_MONTHS)})
    return [Month(ym, int(ym[:4]), int(ym[5:]), closing_day(ym, profile)) for ym in keys]


def _write_ward_file(path: Path, ward: WardNames) -> Path:
    units = []
    for spec in content().units:
        entry: dict[str, Any] = {"name": spec.name, "source": f"{spec.key}.xlsx"}
        if spec.school:
            entry["exceptional"] = False
        units.append(entry)
    return write_ward(path, ward.name, units, profile=PROFILE, office=f"Văn phòng HĐND và UBND {ward.lower}",
                      issuing_body=f"UBND {ward.name.upper()}", place=ward.place)


def _plan(units: list[Unit], month: Month, plan, rng: random.Random, ward: WardNames
          ) -> tuple[list[UnitMonth], DocNumbers]:
    """A month's rows for every unit, with the planted problems, and the first draw of outcomes."""
    numbers = DocNumbers(month, rng)
    drafts, tiers = {}, {}
    for u in units:
        found = bases(u, month, rng, ward, numbers)
        drafts[u.spec.key] = {x.staff_id: draft_person(x, u, month, found, rng, ward) for x in u.people}
        tiers[u.spec.key] = plan_tiers(u, rng)
    plant_rows(units, drafts, tiers, plan, rng)
    ums = [UnitMonth(u, month, plan, rng, drafts[u.spec.key], tiers[u.spec.key]) for u in units]
    for um in ums:
        start(um)
    return ums, numbers


def _number_evidence(um: UnitMonth, numbers: DocNumbers) -> None:
    """Give the month's evidence documents their numbers, rising with their dates."""
    drafts = [d for ds in um.drafts.values() for d in ds if "{n}" in d.outcome.evidence]
    for d in sorted(drafts, key=lambda d: d.outcome.done_date):
        symbol = d.outcome.evidence.split("{n}/", 1)[1].split()[0]
        d.outcome.evidence = d.outcome.evidence.replace("{n}", str(numbers.take(symbol)))


def _type_month(sheets: UnitSheets, um: UnitMonth, numbers: DocNumbers, typist: Typist, report_day: int) -> None:
    """Type the month's task and evaluation rows, with the layout problems of the first month."""
    _number_evidence(um, numbers)
    plants, people = content().plants, um.unit.people
    blank_at = None
    if um.plan.is_first and um.unit.spec.key == plants["blank_row_unit"]:
        blank_at = um.rng.randrange(len(people) // 3, 2 * len(people) // 3)
    rows, merges = task_rows(um.unit, um.month, um.drafts, typist, blank_at, last=um.plan.is_last)
    sheets.merges += [("tasks", "basis", len(sheets.tasks) + a, len(sheets.tasks) + b) for a, b in merges]
    sheets.tasks += rows
    sheets.weekly += weekly_rows(um.unit, um.month, um.drafts, rows, report_day)
    sheets.evaluations += evaluation_rows(um.unit, um.month, um.inputs, um.suggested, um.approved,
                                          um.plan.late_self, typist, um.rng)


def build_demo_ward(out_dir: str | Path, *, months: list[str] | None = None, seed: int = 2026,
                    ward_name: str = "Phường Ba Đình") -> Path:
    """Create out_dir/ward.yaml and one .xlsx per unit (made with init_workbook, then filled with
    openpyxl by header text, not by position). Returns the ward.yaml path.

    The same seed gives the same files; people depend on the seed only, so a one-month and a
    twelve-month ward share their rosters. Existing demo files in out_dir are overwritten."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    schemas, profile = load_schemas(), load_profile(PROFILE)
    month_list = parse_months(months, profile)
    ward = WardNames(ward_name, tuple(u.name for u in content().units if u.name.startswith("Phòng ")))
    units = build_units(random.Random(seed), ward.slug)
    planned = []
    for i, month in enumerate(month_list):
        rng = random.Random(f"{seed}:{month.ym}")
        plan = plan_month(units, month, i == 0, i == len(month_list) - 1, rng)
        planned.append(_plan(units, month, plan, rng, ward))
    everything = [um for ums, _ in planned for um in ums]
    fit(everything, schemas, profile)
    sheets = {u.spec.key: UnitSheets(staff_rows(u), catalogue_rows(u)) for u in units}
    typist = Typist(random.Random(f"{seed}:typing"))
    for ums, numbers in planned:
        for um in ums:
            approve(um, profile)
            _type_month(sheets[um.unit.spec.key], um, numbers, typist, profile.weekly["report_day"])
    for u in units:
        sheets[u.spec.key].okr = okr_rows(u, month_list, random.Random(f"{seed}:okr:{u.spec.key}"))
        sheets[u.spec.key].schedule = schedule_rows(u, month_list)
        write_workbook(out / f"{u.spec.key}.xlsx", u.spec.name, sheets[u.spec.key], schemas)
    ward_path = _write_ward_file(out / "ward.yaml", ward)
    return ward_path
