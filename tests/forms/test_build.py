"""Arithmetic and ordering of the form models (no rendering)."""

from __future__ import annotations

import math
import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sample_data import HT, INJECTIONS, MONTH, NFD_NAME, XS, K, T, person

from sheetsync.domain.calendar import month_label
from sheetsync.forms import CATEGORIES, UnitResults, build_01a, build_02a, default_scale
from sheetsync.forms.build import TOTAL_LABEL, UNCATEGORISED, roman
from sheetsync.forms.numbers import percent, round_half_up

RATINGS = default_scale().names  # the default profile's four, best first


def counts_tuple(row):
    return (row.total, row.rated, row.not_rated, tuple(row.counts[r] for r in RATINGS))


def test_unit_01a_lists_every_category_then_uncategorised_then_total(units):
    form = build_01a([units[1]], units[1].unit)
    assert form.kind == "unit"
    labels = [r.label for r in form.rows]
    assert labels == [*CATEGORIES, UNCATEGORISED, TOTAL_LABEL]
    assert [r.stt for r in form.rows] == ["1", "2", "3", "4", "5", ""]
    # A unit without uncategorised people has no such row, but keeps all four categories.
    labels = [r.label for r in build_01a([units[0]], units[0].unit).rows]
    assert labels == [*CATEGORIES, TOTAL_LABEL]


def test_01a_counts_add_up_and_percentages_are_of_the_rated(units):
    for unit in units:
        form = build_01a([unit], unit.unit)
        for row in form.rows:
            assert row.rated + row.not_rated == row.total
            assert sum(row.counts.values()) == row.rated
            for rating in RATINGS:
                expected = None if row.rated == 0 else round_half_up(100 * row.counts[rating] / row.rated)
                assert row.percent(rating) == expected
        body = form.body
        assert form.total.total == sum(r.total for r in body) == len(unit.people)
        for rating in RATINGS:
            assert form.total.counts[rating] == sum(r.counts[rating] for r in body)


def test_01a_known_figures_for_the_school(units):
    """Phúc Xá: 9 people, PX06 unrated; PX09's approved HTNV beats its suggested HTTNV."""
    total = build_01a([units[0]], units[0].unit).total
    assert (total.total, total.rated, total.not_rated) == (9, 8, 1)
    assert [total.counts[r] for r in RATINGS] == [2, 3, 2, 1]
    assert total.percent(XS) == 25.0 and total.percent(T) == 37.5
    assert total.provisional == 1
    assert "Vượt tỷ lệ HTXSNV: 3/2" in total.notes and "1 người có điểm tạm tính" in total.notes


def test_approved_rating_wins_over_suggested(units):
    vh = build_01a([units[2]], units[2].unit)
    # VH03 is suggested XS (93 points) but approved T.
    assert vh.total.counts[XS] == 1 and vh.total.counts[T] == 3


def test_ward_01a_is_the_sum_of_the_unit_forms(units):
    ward = build_01a(units, "Phường Ba Đình")
    assert ward.kind == "ward"
    assert [r.label for r in ward.body] == [u.unit for u in units]
    unit_totals = [build_01a([u], u.unit).total for u in units]
    for ward_row, unit_total in zip(ward.body, unit_totals):
        assert counts_tuple(ward_row) == counts_tuple(unit_total)
        assert ward_row.notes == unit_total.notes
        for rating in RATINGS:
            assert ward_row.percent(rating) == unit_total.percent(rating)
    assert ward.total.label == TOTAL_LABEL and ward.total.is_total
    assert ward.total.total == sum(t.total for t in unit_totals) == 25
    for rating in RATINGS:
        assert ward.total.counts[rating] == sum(t.counts[rating] for t in unit_totals)
    assert ward.total.not_rated == 3


def test_percent_rounds_half_up():
    assert percent(1, 8) == 12.5
    assert percent(1, 3) == 33.33 and percent(2, 3) == 66.67
    assert percent(1, 200) == 0.5 and percent(1, 400) == 0.25
    assert percent(1, 16) == 6.25 and percent(1, 32) == 3.13  # 3.125 -> 3.13, not banker's 3.12
    assert percent(0, 0) is None
    assert round_half_up(2.675) == 2.68 and round_half_up(69.995) == 70.0
    assert round_half_up(math.nan) is None


rating_or_none = st.sampled_from([*RATINGS, None])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([*CATEGORIES, None, "Khác"]), rating_or_none, rating_or_none),
                max_size=40))
def test_01a_invariants_hold_for_any_roster(rows):
    people = pd.DataFrame(
        [person(f"P{i}", f"Người {i}", cat, None, suggested=sug, approved=app)
         for i, (cat, sug, app) in enumerate(rows)],
        columns=list(person("x", "x", None, None)),
    )
    unit = UnitResults("Đơn vị thử", MONTH, people, [])
    form = build_01a([unit], unit.unit)
    assert form.total.total == len(rows)
    assert form.total.not_rated == sum(1 for _, s, a in rows if (a or s) is None)
    for rating in RATINGS:
        assert form.total.counts[rating] == sum(1 for _, s, a in rows if (a or s) == rating)
    for row in form.rows:
        assert row.rated + row.not_rated == row.total
        pcts = [row.percent(r) for r in RATINGS]
        if row.rated:
            assert abs(sum(pcts) - 100) <= 0.02  # each rounded to 0.01
        else:
            assert pcts == [None] * 4
    ward = build_01a([unit, unit], "Phường")
    assert ward.total.total == 2 * len(rows)


def test_02a_groups_units_in_order_and_people_in_roster_order(units):
    form = build_02a(units, "Phường Ba Đình")
    assert [g.unit for g in form.groups] == [u.unit for u in units]
    assert [g.stt for g in form.groups] == ["I", "II", "III"]
    for group, unit in zip(form.groups, units):
        assert [p.staff_id for p in group.people] == list(unit.people["staff_id"])
        assert [p.stt for p in group.people] == list(range(1, len(unit.people) + 1))
    assert len(form.people) == 25


def test_02a_rows_carry_rounded_scores_ratings_and_provisional_marks(units):
    people = {p.staff_id: p for p in build_02a(units, "Phường Ba Đình").people}
    leader = people["PX01"]
    assert (leader.scores["score_d"], leader.scores["score_dd"], leader.scores["score_e"]) == (100, 50, 85)
    assert leader.scores["total_points"] == 92.5
    assert people["PX02"].scores["total_points"] == 88.13  # 88.125 rounds half up
    assert people["PX04"].scores["score_d"] is None  # not a leader
    assert people["PX09"].approved_rating == HT and people["PX09"].suggested_rating == T
    provisional = people["PX05"]
    assert provisional.provisional and provisional.notes.startswith("(tạm tính)")
    assert "thiếu minh chứng" in provisional.notes
    unrated = people["PX06"]
    assert unrated.suggested_rating == "" and unrated.scores["total_points"] is None


def test_text_is_nfc_and_kept_verbatim(units):
    people = {p.staff_id: p for p in build_02a(units, "P").people}
    name = people["PX03"].full_name
    assert NFD_NAME != name and name == unicodedata.normalize("NFC", NFD_NAME)
    assert people["PX05"].full_name == INJECTIONS[0]
    assert people["VP03"].position == "+84 912"


def test_ratings_given_as_codes_or_letters_are_understood():
    people = pd.DataFrame([person("A", "A", "Công chức", None, suggested="HTXSNV"),
                           person("B", "B", "Công chức", None, suggested="b"),
                           person("C", "C", "Công chức", None, suggested=K, approved="C")])
    total = build_01a([UnitResults("U", MONTH, people, [])], "U").total
    assert [total.counts[r] for r in RATINGS] == [1, 1, 1, 0]


def test_unknown_rating_or_mixed_months_fail_loudly(units):
    bad = pd.DataFrame([person("A", "A", "Công chức", None, suggested="Tốt lắm")])
    with pytest.raises(ValueError, match="Xếp loại không hợp lệ"):
        build_01a([UnitResults("U", MONTH, bad, [])], "U")
    other = UnitResults("U", "2026-04", units[0].people, [])
    with pytest.raises(ValueError, match="cùng một tháng"):
        build_01a([units[0], other], "P")


def test_empty_unit_gives_zero_rows():
    form = build_01a([UnitResults("U", MONTH, pd.DataFrame(), [])], "U")
    assert form.total.total == 0 and form.total.percent(XS) is None
    assert build_02a([UnitResults("U", MONTH, pd.DataFrame(), [])], "U").people == []


def test_small_helpers():
    assert month_label("2026-03") == "03/2026"
    assert [roman(i) for i in (1, 4, 9, 14, 40)] == ["I", "IV", "IX", "XIV", "XL"]


def test_nullable_and_numpy_dtypes_from_the_engine_are_accepted():
    people = pd.DataFrame([person("A", "A", "Công chức", 91.0), person("B", "B", "Công chức", None)])
    people["total_points"] = people["total_points"].astype("Float64")  # NA, not NaN
    people["score_a"] = people["score_a"].astype("float32")
    people["provisional"] = pd.array([pd.NA, True], dtype="boolean")
    people["notes"] = [pd.NA, None]
    form = build_02a([UnitResults("U", MONTH, people, [])], "U")
    a, b = form.people
    assert a.scores["total_points"] == 91.0 and b.scores["total_points"] is None
    assert b.scores["score_a"] is None and not a.provisional and b.provisional
    assert a.notes == "" and b.notes == "(tạm tính)"
