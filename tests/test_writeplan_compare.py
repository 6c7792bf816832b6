"""The write plan compares every engine cell with what the sheet shows; columns of only text or
only numbers take whole-array shortcuts, which must decide exactly as the cell-by-cell way."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.engine import writeplan

CELLS = st.one_of(
    st.none(), st.just(float("nan")), st.just(""), st.sampled_from(["Hợp lệ", "Lỗi", "a\nb", "a\r\nb", " x "]),
    st.integers(-3, 3), st.floats(-5, 5, allow_nan=False).map(lambda f: round(f, 2)), st.booleans(),
    st.sampled_from([np.float64(1.5), np.int64(2), 1.0 + 1e-12]),
)
TEXTS = st.one_of(st.none(), st.just(""), st.sampled_from(["Hợp lệ", "Lỗi", "a\nb", " x ", "1"]))
NUMBERS = st.one_of(st.just(float("nan")), st.integers(-3, 3).map(float), st.sampled_from([1.5, 2.0, 1.0]))


def _pair(have: list, want: list, numeric: bool) -> tuple[pd.Series, pd.Series]:
    index = pd.RangeIndex(2, 2 + len(want))
    h = pd.Series(have[: len(want)] + [None] * (len(want) - len(have)), index=index, dtype=object)
    w = pd.Series(want, index=index, dtype="float64" if numeric else object)
    return h, w


@settings(max_examples=300, deadline=None)
@given(have=st.lists(CELLS, max_size=30), want=st.lists(TEXTS, min_size=1, max_size=30),
       uniform=st.sampled_from([None, "text", "numbers"]))
def test_text_columns_compare_as_cell_by_cell(have, want, uniform) -> None:
    if uniform == "text":
        have = [v if v is None or isinstance(v, str) else str(v) for v in have]
    elif uniform == "numbers":
        have = [v for v in have if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))]
    h, w = _pair(have, want, numeric=False)
    assert (writeplan._same_column(h, w) == writeplan._same_column_general(h, w)).all()


@settings(max_examples=300, deadline=None)
@given(have=st.lists(CELLS, max_size=30), want=st.lists(NUMBERS, min_size=1, max_size=30),
       uniform=st.sampled_from([None, "numbers", "blank"]))
def test_number_columns_compare_as_cell_by_cell(have, want, uniform) -> None:
    if uniform == "numbers":
        have = [v for v in have if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))]
    elif uniform == "blank":
        have = [None if i % 2 else float("nan") for i in range(len(have))]
    h, w = _pair(have, want, numeric=True)
    assert (writeplan._same_column(h, w) == writeplan._same_column_general(h, w)).all()


def test_a_typed_over_number_is_rewritten_and_windows_line_ends_are_not() -> None:
    h, w = _pair([27.0, 27.5, "27", True, None], [27.0, 27.0, 27.0, 1.0, float("nan")], numeric=True)
    assert writeplan._same_column(h, w).tolist() == [True, False, False, False, True]
    h, w = _pair(["Lỗi\r\nhai", "Hợp lệ", "", None, "x"], ["Lỗi\nhai", "Lỗi", None, None, "x"], numeric=False)
    assert writeplan._same_column(h, w).tolist() == [True, False, True, True, True]
