"""Helpers for the history tests: small unit workbooks over several months, evaluated with
`evaluate` and recorded into a store the way a sync would (the engine's wiring is the lead's)."""

from __future__ import annotations

import datetime as dt
import shutil
from datetime import datetime
from pathlib import Path

from unitbook import SCHEMAS, UnitBook

from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.config.profile import load_profile
from sheetsync.config.resources import schemas_dir
from sheetsync.config.schema import Schemas, load_schemas
from sheetsync.engine.evaluate import evaluate
from sheetsync.history.freeze import FreezeReport, apply_freeze
from sheetsync.history.store import Store
from sheetsync.results import Evaluation

PROFILE = load_profile("nd335")
XS, GOOD, PASS, FAIL = ("Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ", "Hoàn thành nhiệm vụ",
                        "Không hoàn thành nhiệm vụ")


def month_date(month: str, day: int) -> dt.date:
    y, m = map(int, month.split("-"))
    return dt.date(y, m, day)


def fill_month(book: UnitBook, month: str, people: dict[str, dict], approve: bool = True) -> dict[str, dict[str, int]]:
    """One task row and one evaluation row per person; `people[id]` gives qty, done, general
    points and the approved rating. Returns the sheet rows: {"tasks": {id: row}, "evaluations": {id: row}}."""
    mm = f"{month[5:]}/{month[:4]}"
    rows: dict[str, dict[str, int]] = {"tasks": {}, "evaluations": {}}
    for sid, p in people.items():
        rows["tasks"][sid] = book.task(f"NV-{month}-{sid}", sid, qty=p.get("qty", 2), done=p.get("done", 2), review=p.get("review", "Đạt"),
                  month=mm, due=month_date(month, 20), done_date=month_date(month, 18) if p.get("done", 2) else None,
                  start_date=month_date(month, 2))
        fields = {"self_general": p.get("general", 28), "mgr_general": p.get("general", 28),
                      "self_date": month_date(month, 24), "mgr_date": month_date(month, 26), "leader_e": p.get("leader_e")}
        if approve and p.get("approved"):
            fields.update(approved_rating=p["approved"], approved_date=month_date(month, 28))
        fields.update(p.get("eval", {}))
        rows["evaluations"][sid] = book.evaluation(sid, month=mm, **fields)
    return rows


def read(path: Path):
    return XlsxBackend(path).read()


def evaluate_file(path: Path, unit: str, as_of: str, months=None) -> Evaluation:
    return evaluate(read(path), SCHEMAS, PROFILE, as_of=as_of, unit=unit, months=months)


def sync_once(store: Store, path: Path, unit: str, as_of: str, now: datetime | None = None,
              months=None) -> tuple[Evaluation, FreezeReport]:
    """evaluate → apply_freeze → record, as the engine will run it."""
    ev = evaluate_file(path, unit, as_of, months)
    report = apply_freeze(store, unit, ev, now=now)
    store.record_unit(unit, str(path), ev, run_kind="sync", now=now or datetime.fromisoformat(as_of + "T12:00"))
    return ev, report


def new_book(path: Path, people: dict[str, dict] | None = None, unit: str = "Phòng thử nghiệm") -> UnitBook:
    """A unit with a catalogue product and a roster: `people[id]` may give name, role, manager, group."""
    book = UnitBook(path, unit=unit)
    book.product("SP1", 1)
    for sid, p in (people or {}).items():
        book.person(sid, p.get("name", f"Cán bộ {sid}"), role=p.get("role"), manager=p.get("manager"),
                    group=p.get("group"), category=p.get("category", "Công chức"))
    return book


def totals(ev: Evaluation, month: str) -> dict[str, float]:
    people = ev.scores.months[month].people
    return dict(zip(people["staff_id"], people["total_points"]))


def schemas_with_wider_general_score(tmp_path: Path) -> Schemas:
    """The shipped schemas with one rule changed (the general score may reach 50, not 30): a
    change of schemas that every reuse of a stored result must notice."""
    changed = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), changed)
    evals = changed / "evaluations.yaml"
    text = evals.read_text(encoding="utf-8")
    old = "    max: 30\n    width: 12\n    note: Điểm tiêu chí chung do người quản lý"
    assert old in text
    evals.write_text(text.replace(old, old.replace("max: 30", "max: 50")), encoding="utf-8")
    return load_schemas(changed)
