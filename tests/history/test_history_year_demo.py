"""A year of the demo ward through the store: every unit of every month evaluated and recorded
(two processes writing at once), then quarters and the year checked against the engine's own
monthly totals, one person by hand, and the year's forms."""

from __future__ import annotations

import math
import multiprocessing as mp
import traceback
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
import yaml

from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.config.profile import load_profile
from sheetsync.config.schema import load_schemas
from sheetsync.config.ward import load_ward
from sheetsync.demo import build_demo_ward
from sheetsync.engine.evaluate import evaluate
from sheetsync.forms.collect import ward_info
from sheetsync.history.freeze import apply_freeze
from sheetsync.history.periods import (
    compute_period,
    parse_quarter,
    parse_year,
    write_period_forms,
)
from sheetsync.history.store import open_store

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
AS_OF = "2026-12-31"
FORK = mp.get_context("fork")


def _sync_units(units: list[dict], root, url: str, out) -> None:
    """evaluate → apply_freeze → record, per unit; send back the engine's monthly results."""
    try:
        schemas, profile = load_schemas(), load_profile("nd335")
        store = open_store(url)
        for u in units:
            ev = evaluate(XlsxBackend(root / u["source"]).read(), schemas, profile, as_of=AS_OF, unit=u["name"],
                          exceptional=bool(u.get("exceptional")))
            apply_freeze(store, u["name"], ev)
            store.record_unit(u["name"], u["source"], ev, now=datetime(2026, 12, 31, 17))
            months = {m: [(p.staff_id, p.total_points, p.final_rating, p.leader) for p in
                          ms.people[ms.people["scored"].astype(bool)].itertuples()]
                      for m, ms in ev.scores.months.items()}
            out.put((u["name"], months))
        store.close()
        out.put(None)
    except BaseException:  # noqa: BLE001 — reported to the parent
        out.put(("error", traceback.format_exc()))
        out.put(None)


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-year")
    ward_path = build_demo_ward(root, months=MONTHS)
    units = yaml.safe_load(ward_path.read_text(encoding="utf-8"))["units"]
    url = str(root / "sheetsync.db")
    open_store(url).close()
    out = FORK.Queue()
    procs = [FORK.Process(target=_sync_units, args=(units[i::2], root, url, out)) for i in range(2)]
    for p in procs:
        p.start()
    engine, done = {}, 0
    while done < len(procs):
        got = out.get(timeout=300)
        if got is None:
            done += 1
            continue
        assert got[0] != "error", got[1]
        engine[got[0]] = got[1]
    for p in procs:
        p.join(60)
    store = open_store(url)
    yield store, engine, load_ward(ward_path), root
    store.close()


def _half_up(x: Decimal) -> float:
    return float(x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _by_person(engine: dict, months: list[str]) -> dict[str, dict]:
    """staff_id → {month: (total, final rating, leader)} from the engine's own frames."""
    out: dict[str, dict] = {}
    for months_of_unit in engine.values():
        for m, people in months_of_unit.items():
            if m in months:
                for sid, total, rating, leader in people:
                    out.setdefault(sid, {})[m] = (total, rating, leader)
    return out


def test_every_month_is_recorded_and_approved_months_frozen(year):
    store, _engine, ward, _ = year
    assert store.check() == []
    um = store.unit_months()
    assert set(um["unit"]) == {u.name for u in ward.units} and set(um["month"]) == set(MONTHS)
    open_months = um[~um["frozen"]][["unit", "month"]].values.tolist()
    assert open_months == [["Phòng Văn hóa - Xã hội", "2026-12"]]  # the demo's unit not yet approved


@pytest.mark.parametrize("q", [1, 2, 3, 4])
def test_quarters_match_the_engine_months(year, q):
    store, engine, ward, _ = year
    period = parse_quarter(f"{q}/2026")
    result = compute_period(store, period, load_profile("nd335"), units=[u.name for u in ward.units])
    expected = _by_person(engine, period.months)
    assert set(result.people["staff_id"]) == set(expected)
    profile = load_profile("nd335")
    for _, p in result.people.iterrows():
        months = expected[p["staff_id"]]
        totals = [Decimal(str(t)) for t, _, _ in months.values() if t is not None and not math.isnan(t)]
        want = _half_up(sum(totals) / len(totals)) if totals else None
        assert p["score"] == want, p["staff_id"]
        leader = list(months.values())[-1][2]
        if q == 4 and leader:
            assert not p["rated"]
        elif want is not None and not p["disciplined"]:
            assert p["rating"] == profile.band(want)


def test_one_person_by_hand(year):
    """VP004 in the second quarter, from the engine's monthly totals: mean, rounded half up, banded."""
    store, engine, ward, _ = year
    months = _by_person(engine, ["2026-04", "2026-05", "2026-06"])["VP004"]
    t4, t5, t6 = (months[m][0] for m in ("2026-04", "2026-05", "2026-06"))
    by_hand = _half_up((Decimal(str(t4)) + Decimal(str(t5)) + Decimal(str(t6))) / 3)
    band = ("Hoàn thành xuất sắc nhiệm vụ" if by_hand >= 90 else "Hoàn thành tốt nhiệm vụ" if by_hand >= 70
            else "Hoàn thành nhiệm vụ" if by_hand >= 50 else "Không hoàn thành nhiệm vụ")
    q2 = compute_period(store, parse_quarter("2/2026"), load_profile("nd335"), units=[u.name for u in ward.units])
    vp004 = q2.person("VP004")
    assert vp004["monthly"] == {"2026-04": t4, "2026-05": t5, "2026-06": t6}
    assert (vp004["score"], vp004["rating"]) == (by_hand, band)


def test_the_year_and_its_forms(year):
    store, engine, ward, root = year
    profile = load_profile("nd335")
    result = compute_period(store, parse_year(2026), profile, units=[u.name for u in ward.units],
                            exceptional=[u.name for u in ward.units if u.exceptional])
    expected = _by_person(engine, MONTHS)
    assert len(result.people) == len(expected) == 84
    for _, p in result.people.iterrows():
        totals = [Decimal(str(t)) for t, _, _ in expected[p["staff_id"]].values() if t is not None and not math.isnan(t)]
        assert p["score"] == _half_up(sum(totals) / len(totals))
        assert p["provisional"] == (p["unit"] == "Phòng Văn hóa - Xã hội")
    for unit, quotas in result.quotas.items():
        top = result.people[(result.people["unit"] == unit) & (result.people["rating"] == profile.quota["rating"])]
        assert next(q for q in quotas if q["scope"] == "unit")["count"] == len(top)
    flagged = result.people[result.people["flagged"]]
    assert (flagged["deviation"].abs() > 0.5).all()
    assert len(result.people[~result.people["flagged"] & result.people["deviation"].notna()]) > 0

    out = write_period_forms(result, ward_info(ward, profile, ward.name), root / "forms", formats=("xlsx",),
                             per_unit=False)
    rows = list(openpyxl.load_workbook(out.ward.paths["01A.xlsx"]).active.iter_rows(values_only=True))
    total = next(r for r in rows if "Tổng cộng" in r)
    numbers = [c for c in total if isinstance(c, (int, float))]
    assert numbers[0] == 84  # Tổng số người
    counts = result.people["rating"].value_counts()
    assert numbers[1] == int(counts.sum())  # rated
    assert int(counts.get("Hoàn thành xuất sắc nhiệm vụ", 0)) in numbers
