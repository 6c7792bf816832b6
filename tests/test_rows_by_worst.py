"""Rows counted by their worst finding: the set-based count the summary tab and every printed
result use gives what grouping the findings by row (`worst_by`) gives, for any mix."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.engine.findings import ERROR, VALID, WARNING, worst_by
from sheetsync.results import Evaluation, RecordedEvaluation, rows_by_worst

FINDINGS = st.lists(st.tuples(st.sampled_from(["Nhiệm vụ", "Đánh giá tháng"]), st.one_of(st.none(), st.integers(2, 9)),
                              st.sampled_from([ERROR, WARNING, VALID, "info"])), max_size=40)


def _frame(rows: list[tuple]) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=["tab", "row", "severity"])
    f["row"] = f["row"].astype("Int64")
    return f


@settings(max_examples=300, deadline=None)
@given(FINDINGS)
def test_rows_by_their_worst_finding_as_a_groupby_counts_them(rows) -> None:
    f = _frame(rows)
    on_rows = f[f["row"].notna()]
    expected = worst_by(on_rows, ["tab", "row"]).value_counts().to_dict() if len(on_rows) else {}
    got = rows_by_worst(f)
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}
    fresh = object.__new__(Evaluation)
    fresh.findings = f
    recorded = RecordedEvaluation("u", f, [], {}, [], pd.Timestamp("2026-12-02"))
    for severity in (ERROR, WARNING, VALID):
        assert fresh.rows_with(severity) == recorded.rows_with(severity) == expected.get(severity, 0)
