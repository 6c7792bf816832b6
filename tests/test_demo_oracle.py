"""The engine's scores on the demo ward agree with an independent reading of scoring.md
(tests/oracle.py): every person's total and suggested rating, leaders included, and the quota,
in a school-year month and a summer month."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml
from oracle import month_people, quota_exceeded, task_rows

from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.config.profile import load_profile
from sheetsync.config.schema import load_schemas
from sheetsync.demo import build_demo_ward
from sheetsync.engine.evaluate import evaluate

MONTHS = ["2026-07", "2026-10"]


@pytest.fixture(scope="module")
def evaluations(tmp_path_factory):
    ward = build_demo_ward(tmp_path_factory.mktemp("oracle"), months=MONTHS)
    units = yaml.safe_load(ward.read_text(encoding="utf-8"))["units"]
    schemas, profile = load_schemas(), load_profile("nd335")
    return [evaluate(XlsxBackend(ward.parent / u["source"]).read(), schemas, profile, as_of="2026-10-31",
                     unit=u["name"], exceptional=bool(u.get("exceptional"))) for u in units]


@pytest.mark.parametrize("month", MONTHS)
def test_engine_agrees_with_the_oracle_on_every_person(evaluations, month):
    compared = leaders = 0
    for ev in evaluations:
        tabs, profile = ev.tabs, ev.profile
        rows = task_rows(tabs["tasks"], tabs["catalogue"], profile)
        want = month_people(month, tabs["staff"], tabs["evaluations"], rows, profile)
        got = ev.scores.months[month].people
        assert len(got) == len(want), ev.unit
        for sid, total, rating in zip(got["staff_id"], got["total_points"], got["suggested_rating"]):
            w = next(p for p in want.values() if p.staff_id == sid)
            assert (w.total is None) == (total != total), (ev.unit, sid)
            if w.total is not None:
                assert total == pytest.approx(w.total, abs=0.011), (ev.unit, sid)
            assert w.suggested == rating, (ev.unit, sid, w.total, total)
            compared += 1
            leaders += w.leader
        exceeded = {q["label"].split("'")[1] if q["scope"] == "peer_group" else "unit": q["exceeded"]
                    for q in ev.scores.months[month].quota}
        assert exceeded == quota_exceeded(want, profile), ev.unit
    assert compared == 84 and leaders >= 15


def test_the_oracle_is_not_the_engine_by_construction(evaluations):
    """A wrong deduction in the profile moves the oracle's totals away from the engine's."""
    ev = evaluations[0]
    profile = replace(load_profile("nd335"), per_return=0.5, per_delay=0.5)
    rows = task_rows(ev.tabs["tasks"], ev.tabs["catalogue"], profile)
    want = month_people("2026-10", ev.tabs["staff"], ev.tabs["evaluations"], rows, profile)
    got = dict(zip(ev.scores.months["2026-10"].people["staff_id"], ev.scores.months["2026-10"].people["total_points"]))
    assert any(p.total is not None and abs(p.total - got[p.staff_id]) > 0.01 for p in want.values())
