"""On the demo ward: the forms the ward office receives agree with what every unit's synced
`Tổng hợp` tab shows, and the ward's form is the sum of the units' forms."""

import openpyxl
import pytest

from sheetsync import service
from sheetsync.config.ward import load_ward
from sheetsync.demo import build_demo_ward
from sheetsync.forms import build_01a, build_02a
from sheetsync.forms.collect import unit_results

MONTH = "2026-10"
RATINGS = ["Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ", "Hoàn thành nhiệm vụ",
           "Không hoàn thành nhiệm vụ"]


@pytest.fixture(scope="module")
def ward(tmp_path_factory):
    path = build_demo_ward(tmp_path_factory.mktemp("phuong"), months=[MONTH])
    synced = service.sync([str(path)], as_of="2026-10-31")
    assert all(u.error is None for u in synced.units)
    return path


def summary_tab(path):
    """Per person (total, suggested, approved) and the rating counts, as the synced tab shows them."""
    ws = openpyxl.load_workbook(path, data_only=True)["Tổng hợp"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    head = next(i for i, r in enumerate(rows) if r[0] == "Mã cán bộ")
    cols = {h: i for i, h in enumerate(rows[head]) if h}
    people, counts = {}, {}
    for r in rows[head + 1:]:
        if r[0] is None:
            break
        people[r[0]] = (r[cols["Tổng điểm"]], r[cols["Xếp loại gợi ý"]], r[cols["Xếp loại phê duyệt"]])
    for r in rows:
        if r[0] in RATINGS:
            counts[r[0]] = next(v for v in r[1:] if isinstance(v, (int, float)))
    return people, counts


def test_forms_agree_with_every_units_summary_tab_and_add_up(ward, tmp_path):
    result = service.report([str(ward)], month=MONTH, as_of="2026-10-31", out=tmp_path, formats=("xlsx",))
    assert result.output is not None and not [m for m in result.messages if "Lỗi" in m]
    evaluated = [u for u in result.run.units]
    units = [unit_results(u.evaluation, MONTH) for u in evaluated]
    ward_form = build_01a(units, load_ward(ward).name, kind="ward")
    ward_people = {p.staff_id: p for p in build_02a(units, load_ward(ward).name).people}

    totals = dict.fromkeys(RATINGS, 0)
    for spec, unit in zip(load_ward(ward).units, units):
        people, counts = summary_tab(spec.source)
        unit_form = build_01a([unit], unit.unit, kind="unit")
        assert {r: unit_form.total.counts[r] for r in RATINGS} == {r: counts.get(r, 0) for r in RATINGS}, unit.unit
        row = next(r for r in ward_form.body if r.label == unit.unit)
        assert row.counts == unit_form.total.counts and row.total == unit_form.total.total
        for sid, (total, suggested, approved) in people.items():
            p = ward_people[sid]
            shown = p.scores.get("total_points")
            assert (shown is None and total is None) or shown == pytest.approx(total), sid
            assert (p.suggested_rating or None, p.approved_rating or None) == (suggested, approved), sid
        for r in RATINGS:
            totals[r] += counts.get(r, 0)
    assert {r: ward_form.total.counts[r] for r in RATINGS} == totals
    assert sum(totals.values()) == ward_form.total.rated

    # The ward's xlsx form names every unit and shows the same total of people.
    files = [p for p in result.output.paths if p.name.startswith("Mau_01A_Phuong")]
    cells = [c.value for row in openpyxl.load_workbook(files[0]).active.iter_rows() for c in row]
    for spec in load_ward(ward).units:
        assert spec.name in cells
    assert ward_form.total.total in cells
