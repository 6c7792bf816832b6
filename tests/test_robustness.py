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
        fields = [f for f in SCHEMAS[tab].input_fields if not f.profile_only]
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


# -- hostile and unlucky inputs (issue 8): far-away cells, zip parts of any size, any config text ----

import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
from builders import add_cell, good_unit, inflate_member, sheet_part  # noqa: E402

from sheetsync.backends.xlsx.backend import XlsxBackend  # noqa: E402
from sheetsync.config.profile import load_profile as _load_profile  # noqa: E402
from sheetsync.config.resources import profiles_dir  # noqa: E402
from sheetsync.config.ward import load_ward  # noqa: E402
from sheetsync.engine.evaluate import evaluate as _evaluate  # noqa: E402
from sheetsync.errors import ConfigError, SheetsyncError, SourceTooLarge  # noqa: E402

_HOSTILE = settings(max_examples=10, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def small_unit(tmp_path_factory) -> Path:
    return good_unit(tmp_path_factory.mktemp("good") / "unit.xlsx")


def _copy(src: Path, tmp_path_factory) -> Path:
    dst = tmp_path_factory.mktemp("case") / "unit.xlsx"
    shutil.copy(src, dst)
    return dst


def _col_letters(col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@_HOSTILE
@given(cells=st.lists(st.tuples(st.sampled_from(["Nhiệm vụ", "Cán bộ", "Đánh giá tháng"]),
                                st.one_of(st.integers(1, 12), st.integers(1000, 1_048_576)),
                                st.one_of(st.integers(1, 30), st.integers(100, 16_384))),
                      min_size=1, max_size=3, unique_by=lambda c: (c[0], c[1], c[2])))
def test_random_far_away_cells_are_read_without_the_rectangle(small_unit, tmp_path_factory, cells):
    path = _copy(small_unit, tmp_path_factory)
    for tab, row, col in cells:
        add_cell(path, tab, f"{_col_letters(col)}{row}", "lạc")
    grids = XlsxBackend(path).read()  # before: an abort (exit 134) or gigabytes for far cells
    for tab, row, col in cells:
        assert grids[tab].cell(row, col) == "lạc"
    ev = _evaluate(grids, SCHEMAS, PROFILE, as_of="2026-11-29")
    assert all(isinstance(m, str) and m for m in ev.findings["message"])


@_HOSTILE
@given(member=st.sampled_from(["sheet", "xl/styles.xml", "docProps/core.xml", "docProps/app.xml"]),
       size=st.integers(0, 6 << 20), part_limit=st.integers(1 << 20, 4 << 20))
def test_random_zip_part_sizes_are_read_or_refused_by_their_bound(small_unit, tmp_path_factory, member, size,
                                                                   part_limit):
    path = _copy(small_unit, tmp_path_factory)
    if member == "sheet":
        member = sheet_part(path, "Nhiệm vụ")
    inflate_member(path, member, size)
    declared = zipfile.ZipFile(path).getinfo(member).file_size
    os.environ["SHEETSYNC_LIMIT_MAX_PART_BYTES"] = str(part_limit)
    try:
        XlsxBackend(path).read()
        refused = False
    except SourceTooLarge:
        refused = True
    finally:
        del os.environ["SHEETSYNC_LIMIT_MAX_PART_BYTES"]
    assert refused == (declared > part_limit)


_config_values = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=True),
                           st.text(max_size=20), st.lists(st.text(max_size=5), max_size=3),
                           st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
                           st.sampled_from(["Có", "Không", "false", "true", "x", "0", "1", "\x1b]0;x\x07", "*a", "&a"]))


@_HOSTILE
@given(key=st.sampled_from(["ward", "office", "place", "profile", "issuing_body", "wrd", "units_", "name"]),
       value=_config_values, unit_key=st.sampled_from(["name", "source", "exceptional", "nam", "exeptional"]),
       unit_value=_config_values)
def test_random_config_values_in_ward_yaml_are_answered_with_a_message(tmp_path_factory, key, value, unit_key,
                                                                        unit_value):
    folder = tmp_path_factory.mktemp("ward")
    unit = {"name": "Phòng A", "source": "a.xlsx", unit_key: unit_value}
    path = folder / "ward.yaml"
    path.write_text(yaml.safe_dump({key: value, "units": [unit]}, allow_unicode=True), encoding="utf-8")
    try:
        ward = load_ward(path)
    except ConfigError as exc:
        assert str(exc)
        return
    assert isinstance(ward.name, str) and all(isinstance(u.exceptional, bool) for u in ward.units)


@_HOSTILE
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))),
       encoding=st.sampled_from(["utf-8", "utf-16", "utf-16-le", "cp1258", "latin-1"]))
def test_any_ward_file_text_in_any_encoding_is_answered_with_a_message(tmp_path_factory, text, encoding):
    path = tmp_path_factory.mktemp("ward") / "ward.yaml"
    path.write_bytes(text.encode(encoding, errors="replace"))
    try:
        load_ward(path)
    except ConfigError as exc:
        assert str(exc)


@_HOSTILE
@given(data=st.data())
def test_random_values_in_a_profile_are_answered_with_a_message(tmp_path_factory, data):
    raw = yaml.safe_load((profiles_dir() / "nd335.yaml").read_text(encoding="utf-8"))
    section = data.draw(st.sampled_from(sorted(k for k, v in raw.items() if isinstance(v, dict))))
    key = data.draw(st.sampled_from(sorted(raw[section])))
    raw[section][key] = data.draw(_config_values)
    path = tmp_path_factory.mktemp("profile") / "p.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    try:
        profile = _load_profile(path)
    except SheetsyncError as exc:
        assert exc.code.startswith("config")
        return
    grids = XlsxBackend(good_unit(tmp_path_factory.mktemp("u") / "u.xlsx")).read()
    _evaluate(grids, SCHEMAS, profile, as_of="2026-11-29")
