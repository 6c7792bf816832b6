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
