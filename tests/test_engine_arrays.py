"""The engine's array paths give what pandas' own operations give: findings made into one frame,
dates read without pandas' parser, small columns factorized by dict, the roster view taken by
position. Each is checked against the pandas operation it stands for, on the edge cases."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sheetsync.engine.findings import COLUMNS, Findings
from sheetsync.engine.values import factorize, map_distinct, parse_date, parse_month, parse_week


def shown(df: pd.DataFrame) -> list:
    """A frame as its index, columns, dtypes and values (NaN and None told apart)."""
    return [type(df.index).__name__, list(df.index), str(df.columns.dtype)] + [
        (c, str(df[c].dtype), [repr(v) for v in df[c].tolist()]) for c in df.columns]


def concatenated(f: Findings) -> pd.DataFrame:
    """The findings as one frame per batch, concatenated: what `Findings.frame` stands for."""
    parts = [x for x in f.frames() if len(x)]
    if f._single:
        parts.append(pd.DataFrame(f._single, columns=COLUMNS))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    df = pd.concat(parts, ignore_index=True)[COLUMNS]
    df["row"] = df["row"].astype("Int64")
    return df


ADDS = {
    "batch with cells": lambda f: f.add_many("Nhiệm vụ", [3, 5], "Hạn", "error", "a.b", "thông báo", col_letter="C"),
    "batch without cells": lambda f: f.add_many("Nhiệm vụ", [4], "Hạn", "warning", "a.c", ["một"]),
    "messages per row": lambda f: f.add_many("T", np.array([7, 8]), "H", "error", "c", pd.Series(["x", "y"])),
    "a message missing": lambda f: f.add_many("T", np.array([7, 8]), "H", "error", "c",
                                              pd.Series(["x", None], dtype=object)),
    "nothing": lambda f: f.add_many("T", [], "H", "error", "c", "x"),
    "whole tab": lambda f: f.add("T", None, "", "error", "tab.missing", "m"),
    "one cell": lambda f: f.add("T", 4, "H", "warning", "w", "m", cell="B4"),
    "with a key": lambda f: f.add("T", 9, "H", "warning", "w", "m", key="k"),
}


@pytest.mark.parametrize("names", [
    [], ["nothing"], ["batch with cells"], ["whole tab"], ["batch with cells", "batch without cells"],
    ["batch without cells", "one cell"], ["a message missing", "batch with cells"], ["one cell", "with a key"],
    ["whole tab", "batch with cells", "one cell"], list(ADDS),
])
def test_findings_make_the_frame_their_batches_concatenated_make(names):
    f = Findings()
    for n in names:
        ADDS[n](f)
    assert shown(f.frame()) == shown(concatenated(f))
    assert len(f) == len(f.frame())


def test_findings_rebuilt_from_their_frames_make_the_same_frame():
    f = Findings()
    for add in ADDS.values():
        add(f)
    again = Findings(f.frames(), list(f._single))
    assert shown(again.frame()) == shown(f.frame())
    assert f.frame()["row"].dtype == "Int64" and f.frame()["message"].dtype == "str"


@pytest.mark.parametrize("cells", [
    [], [None], ["a", None, "b", "a"], ["", " ", ""], ["Đạt", "Đạt"], [None, None, "x"],
    [1.0, "1", None], [float("nan"), None, "x"],
])
def test_factorize_is_pandas_factorize(cells):
    a = np.empty(len(cells), dtype=object)
    a[:] = cells
    codes, uniques = factorize(a)
    want_codes, want_uniques = pd.factorize(a, use_na_sentinel=True)
    assert codes.dtype == want_codes.dtype and codes.tolist() == want_codes.tolist()
    assert [repr(u) for u in uniques] == [repr(u) for u in want_uniques]


def test_map_distinct_keeps_the_index_and_leaves_blanks_none():
    s = pd.Series(["A ", None, "a", float("nan")], index=[5, 6, 8, 9], dtype=object)
    out = map_distinct(s, lambda v: v.strip().lower())
    assert list(out.index) == [5, 6, 8, 9] and out.dtype == object and out.tolist() == ["a", None, "a", None]


# Every text form as pandas reads it with that form's format (the rule `_dates_from_text` applies):
@pytest.mark.parametrize("text, fmt", [
    ("31/01/2026", "%d/%m/%Y"), ("1/2/2026", "%d/%m/%Y"), ("28/02/2026", "%d/%m/%Y"), ("29/02/2024", "%d/%m/%Y"),
    ("30-04-2026", "%d-%m-%Y"), ("1-5-2026", "%d-%m-%Y"), ("2026-12-31", "%Y-%m-%d"), ("2026-1-31", "%Y-%m-%d"),
    ("31.12.2026", "%d.%m.%Y"), ("2026/06/30", "%Y/%m/%d"), ("31/12/2100", "%d/%m/%Y"), ("01/01/1900", "%d/%m/%Y"),
])
def test_text_dates_at_month_ends_read_as_their_format_reads_them(text, fmt):
    want = pd.to_datetime(text, format=fmt)
    assert parse_date(pd.Series([text], dtype=object)).value.iloc[0] == want


@pytest.mark.parametrize("text", ["29/02/2026", "31/04/2026", "00/10/2026", "32/01/2026", "01/13/2026",
                                  "01/01/1899", "01/01/2101", "2026-02-30", "٠٥/١٠/٢٠٢٦"])
def test_impossible_or_out_of_range_text_dates_are_bad(text):
    p = parse_date(pd.Series([text], dtype=object))
    assert p.bad.iloc[0] and pd.isna(p.value.iloc[0])


def test_date_cells_are_their_day_whatever_their_time():
    cells = [dt.date(2026, 1, 31), dt.datetime(2026, 2, 28, 23, 59, 59, 999999),
             pd.Timestamp("2024-02-29 12:00"), dt.date(1899, 12, 31), dt.datetime(2101, 1, 1)]
    got = parse_date(pd.Series(cells, dtype=object)).value.tolist()
    assert got[:3] == [pd.Timestamp("2026-01-31"), pd.Timestamp("2026-02-28"), pd.Timestamp("2024-02-29")]
    assert pd.isna(got[3]) and pd.isna(got[4])


def test_a_zoned_date_cell_goes_through_pandas_as_before():
    # (No backend reads one: its day is floored in its zone and held as the UTC instant.)
    stamp = pd.Timestamp("2026-10-01 00:30", tz="Asia/Ho_Chi_Minh")
    assert parse_date(pd.Series([stamp], dtype=object)).value.iloc[0] == pd.Timestamp("2026-09-30 17:00")


def test_unreadable_months_and_weeks_are_missing_as_pandas_would_leave_them():
    # A text column holding some value keeps NaN in its gaps (as pandas' string methods leave
    # them); a week column holding none keeps None.
    m = parse_month(pd.Series(["abc", "31/10/2026", "Q4/2026"], dtype=object)).value_array
    assert m[1] == "2026-10" and all(isinstance(v, float) and np.isnan(v) for v in (m[0], m[2]))
    w = parse_week(pd.Series(["abc", "2026-W44", "31/12/2026"], dtype=object)).value_array
    assert w[1] == "2026-W44" and w[2] == "2026-W53" and isinstance(w[0], float) and np.isnan(w[0])
    assert parse_week(pd.Series(["abc"], dtype=object)).value_array[0] is None


def test_best_before_is_the_running_maximum_before_each_report_in_its_series():
    from sheetsync.engine.weekly import _best_before
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(0, 15))
        values = rng.choice([0.0, -0.0, 10.0, 25.5, 99.99999, 100.0], n)
        series = np.sort(rng.integers(1, 5, n))
        want = pd.Series(values).groupby(series).cummax().groupby(series).shift(1).to_numpy()
        assert [repr(v) for v in _best_before(values, series)] == [repr(v) for v in want]


def test_quota_groups_come_in_name_order_with_their_people_in_sheet_order():
    from sheetsync.config.profile import load_profile
    from sheetsync.engine.scoring import check_quota
    top, good = "Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ"
    people = pd.DataFrame({
        "staff_id": ["A", "B", "C", "D", "E", "F"],
        "final_rating": [top, top, good, None, top, good],
        "total_points": [90.0, 95.0, 80.0, np.nan, 91.0, 85.0],
        "peer_group": ["Lãnh đạo", "Chuyên viên", "Chuyên viên", None, "Chuyên viên", "Lãnh đạo"],
    }, index=[5, 6, 7, 8, 9, 10])
    entries = check_quota(people, load_profile("nd335"))
    assert [e["label"] for e in entries] == ["đơn vị", "nhóm 'Chuyên viên'", "nhóm 'Lãnh đạo'"]
    unit, staff, leaders = entries
    assert (unit["count"], unit["base"], unit["limit"]) == (3, 2, 0) and unit["marked"] == ["B", "E", "A"]
    assert (staff["count"], staff["base"]) == (2, 1) and staff["marked_rows"] == [6, 9]
    assert (leaders["count"], leaders["base"]) == (1, 1) and leaders["marked"] == ["A"]


def test_task_progress_from_weekly_reports_keeps_the_columns_types():
    from sheetsync.config.schema import load_schemas
    from sheetsync.engine.validate import validate_frame
    from sheetsync.engine.weekly import LATEST_COLUMNS, task_progress
    schema = load_schemas().tabs["tasks"]
    latest = pd.DataFrame({"last_week": ["2026-W43"], "reports": [2], "progress": [40.0],
                           "progress_week": pd.Series(["2026-W43"], index=["nv-1"], dtype=object)},
                          index=pd.Index(["nv-1"], name="_t"))[LATEST_COLUMNS]

    def progress(own):
        raw = pd.DataFrame({"task_id": ["NV-1", "NV-2"], "progress_pct": own}, index=[4, 5], dtype=object)
        return task_progress(validate_frame(schema, raw, Findings()), latest)

    mixed = progress([None, 70])  # the first from its report, the second its own
    assert mixed["progress"].tolist() == [40.0, 70.0] and mixed["source"].dtype == "str"
    assert mixed["source"].tolist() == ["weekly", "task"] and mixed["week"].tolist() == ["2026-W43", None]
    reported = progress([None, None])  # no progress of their own: the source column stays object
    assert reported["source"].dtype == object and reported["source"].tolist() == ["weekly", None]
    assert reported["progress"].tolist()[0] == 40.0 and np.isnan(reported["progress"].tolist()[1])


@pytest.mark.parametrize("op", ["eq", "ne", "gt", "ge", "lt", "le"])
def test_row_conditions_compare_as_pandas_compares(op):
    from sheetsync.engine.validate import _COMPARE, _less
    numbers = pd.Series([0.0, -0.0, 1.5, np.nan, 3.0], index=[4, 5, 6, 7, 8])
    want = getattr(numbers, f"__{op}__")(0).to_numpy(dtype=bool, na_value=False)
    assert _COMPARE[op](numbers.to_numpy(), 0).tolist() == want.tolist()
    if op in ("eq", "ne"):
        text = pd.Series(["Đạt", None, float("nan"), "Trả lại", ("Đạt",)], dtype=object)
        want = getattr(text, f"__{op}__")("Đạt").to_numpy(dtype=bool, na_value=False)
        assert np.asarray(_COMPARE[op](text.to_numpy(), "Đạt"), dtype=bool).tolist() == want.tolist()
    days = pd.Series(pd.to_datetime(["2026-10-31", None, "2026-11-30"]))
    later = pd.Series(pd.to_datetime(["2026-11-01", "2026-11-01", None]))
    assert _less(days, later).tolist() == (days < later).fillna(False).tolist() == [True, False, False]


@pytest.mark.parametrize("columns", [
    {"text": np.array(["x", None], dtype=object), "number": np.array([1.0, np.nan]),
     "day": np.array(["2026-01-31", "NaT"], dtype="datetime64[us]"), "flag": np.array([True, False])},
    {},
])
def test_a_tab_frame_is_the_same_without_pandas_private_constructor(columns, monkeypatch):
    # frame_of uses pandas' non-public DataFrame._from_arrays when it is there; a pandas without
    # it gets the same frame (columns of their own dtypes, text kept `object`) from Series.
    import sheetsync.engine.validate as validate

    index = pd.Index([2, 5])
    fast = validate.frame_of(columns, index)
    monkeypatch.setattr(validate, "_FROM_ARRAYS", None)
    slow = validate.frame_of(columns, index)
    pd.testing.assert_frame_equal(fast, slow)
    assert list(slow.dtypes) == [a.dtype for a in columns.values()]
