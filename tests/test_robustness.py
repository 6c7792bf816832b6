"""Whatever people type, validation answers with findings, never a traceback, and
write-back never touches an input cell."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unitbook import SCHEMAS, UnitBook, input_cells, sync

from sheetsync.config.profile import load_profile
from sheetsync.engine.cells import CellIssue
from sheetsync.engine.evaluate import evaluate, plan_writes
from sheetsync.engine.grid import SheetGrid

PROFILE = load_profile()

texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "1,5", "1.234,5", "abc", "=1+1", "+84 912", "@x", "-", "#REF!", "31/02/2026",
                     "05/11/2026", "2026-11-05", "11/2026", "Có", "A", "HTTNV", "Đạt", "Trả lại", "S1", "SP1",
                     "S1, S2", "Q2/2026", "80%", "ẹ́ ̣", "📄✅", "\x00\x1f", "None", "nan", "inf"]),
    st.builds(lambda piece, n: piece * n, st.sampled_from(["Nhiệm vụ 📄 ", "x", "ẹ́"]), st.integers(2000, 3000)),
)
cells = st.one_of(
    st.none(), texts, st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.dates(dt.date(1800, 1, 1), dt.date(2200, 1, 1)),
    st.datetimes(dt.datetime(1899, 1, 1), dt.datetime(2101, 1, 1)),
    st.sampled_from([CellIssue("#REF!"), CellIssue("#DIV/0!"), CellIssue("formula-without-value"),
                     CellIssue("merged", "A2:B3")]),
)


def grid_for(tab_name, rows, shuffle_seed):
    tab = SCHEMAS[tab_name]
    headers = [f.header for f in tab.input_fields] + ["Cột lạ"]
    import random
    random.Random(shuffle_seed).shuffle(headers)  # position never matters
    width = len(headers)
    body = [list(r[:width]) + [None] * (width - len(r)) for r in rows]
    return SheetGrid(tab.title, [headers] + body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(staff=st.lists(st.lists(cells, max_size=14), max_size=6),
       tasks=st.lists(st.lists(cells, max_size=24), max_size=8),
       evals=st.lists(st.lists(cells, max_size=16), max_size=6),
       seed=st.integers(0, 1000))
def test_random_cells_never_crash_and_writes_stay_in_engine_columns(staff, tasks, evals, seed):
    grids = {
        "Cán bộ": grid_for("staff", staff, seed),
        "Danh mục sản phẩm": grid_for("catalogue", [["SP1", "x", "y", 1]], seed),
        "Nhiệm vụ": grid_for("tasks", tasks, seed),
        "Đánh giá tháng": grid_for("evaluations", evals, seed),
    }
    ev = evaluate(grids, SCHEMAS, PROFILE, as_of="2026-11-29")
    plan = plan_writes(ev, grids, SCHEMAS)
    for patch in plan.patches:
        width = len(grids[patch.title].rows[0])
        for (_row, col) in patch.cells:
            assert col > width, f"write into input column {col} of {patch.title}"
        for text in ev.findings["message"]:
            assert isinstance(text, str) and text


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.tuples(st.sampled_from(["tasks", "evaluations", "staff"]), st.integers(0, 20), cells),
                       min_size=1, max_size=12))
def test_random_cells_in_a_real_workbook_never_change_an_input_cell(tmp_path_factory, values):
    book = UnitBook(tmp_path_factory.mktemp("wb") / "unit.xlsx")
    book.product("SP1", 1)
    book.person("S1")
    book.task("T1", "S1", qty=1, done=1, review="Đạt")
    book.evaluation("S1", mgr_general=30)
    for tab, i, value in values:
        fields = [f for f in SCHEMAS[tab].input_fields if not f.optional_column]
        f = fields[i % len(fields)]
        if isinstance(value, CellIssue):
            value = "#N/A"
        if isinstance(value, str):
            value = "".join(ch for ch in value if ch >= " " or ch in "\n\t")[:32000]
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            value = None
        if isinstance(value, (dt.date, dt.datetime)) and value.year < 1900:
            value = None
        cell = book.ws(tab).cell(row=2, column=book.column_of(tab, f.key))
        cell.value = value
    path = book.save()
    before = input_cells(path)
    sync(path, as_of="2026-11-29")
    assert input_cells(path) == before
    assert not sync(path, as_of="2026-11-29").written
