"""How cell contents are read: every form the contract accepts, and nothing else."""

import datetime as dt
import unicodedata

import pandas as pd
import pytest

from sheetsync.config.schema import load_schemas
from sheetsync.engine.cells import CellIssue
from sheetsync.engine.values import (
    parse_date,
    parse_enum,
    parse_field,
    parse_fields,
    parse_month,
    parse_number,
    parse_period,
    to_text,
)


def col(*values):
    return pd.Series(list(values), dtype=object, index=range(2, 2 + len(values)))


@pytest.mark.parametrize("text, expected", [
    ("1,5", 1.5), ("1.5", 1.5), (" 12 ", 12.0), ("1.234.567", 1234567.0), ("1 234 567", 1234567.0),
    ("1.234,5", 1234.5), ("1,234,567", 1234567.0), ("-2", -2.0), (3.0, 3.0), (7, 7.0),
])
def test_numbers_accept_vietnamese_and_international_forms(text, expected):
    p = parse_number(col(text))
    assert p.value.iloc[0] == expected and not p.bad.iloc[0]


@pytest.mark.parametrize("text", ["abc", "hai", "1,2,3.4.5", "12kg", True, dt.date(2026, 1, 1), "nan", "inf"])
def test_non_numbers_are_bad_not_blank(text):
    p = parse_number(col(text))
    assert p.bad.iloc[0] and not p.empty.iloc[0]


def test_blank_cells_are_empty_not_bad():
    p = parse_number(col(None, "", "   ", float("nan")))
    assert p.empty.all() and not p.bad.any()


@pytest.mark.parametrize("raw, expected", [("80", 80.0), ("80%", 80.0), ("0,8", 80.0), (0.8, 80.0), (1, 100.0),
                                           ("1%", 1.0), (45, 45.0), ("100 %", 100.0), (0, 0.0)])
def test_percentages_rule(raw, expected):
    assert parse_number(col(raw), percent=True).value.iloc[0] == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["05/11/2026", "5/11/2026", "05-11-2026", "2026-11-05", "05.11.2026",
                                 "05/11/2026 08:30", "2026/11/05", "05.11.2026 08:30:15", "2026-11-05T08:30:00",
                                 "2026-11-05t08:30:00", "05-11-2026 8:30", "２０２６/11/05",
                                 dt.date(2026, 11, 5), dt.datetime(2026, 11, 5, 14, 0),
                                 46331.0, 46331.75])
def test_dates_in_every_accepted_form(raw):
    p = parse_date(col(raw))
    assert p.value.iloc[0] == pd.Timestamp("2026-11-05") and not p.bad.iloc[0]


@pytest.mark.parametrize("raw", ["31/02/2026", "11/2026", "hôm qua", "05/11/26", 1.0, "1/1/3026", 99999999.0])
def test_impossible_or_ambiguous_dates_are_bad(raw):
    assert parse_date(col(raw)).bad.iloc[0]


@pytest.mark.parametrize("raw", ["11/2026", "2026-11", "Tháng 11/2026", "11-2026", dt.date(2026, 11, 1),
                                 "15/11/2026", 46341.0])
def test_months(raw):
    p = parse_month(col(raw))
    assert p.value.iloc[0] == "2026-11" and not p.bad.iloc[0]


@pytest.mark.parametrize("raw", ["13/2026", "tháng mười", "2026"])
def test_bad_months(raw):
    assert parse_month(col(raw)).bad.iloc[0]


def test_date_cells_in_a_month_column_give_their_month_and_an_impossible_one_is_bad():
    p = parse_month(col(dt.datetime(2026, 10, 31, 23, 59), -3.0, dt.date(1900, 1, 1), 2.0))
    assert p.value.tolist()[0] == "2026-10" and p.value.tolist()[2:] == ["1900-01", "1900-01"]
    assert pd.isna(p.value.iloc[1]) and p.bad.tolist() == [False, True, False, False]


def test_periods_month_quarter_year():
    p = parse_period(col("11/2026", "Q2/2026", "Quý 3/2026", "2026", 2026.0, "Q5/2026"))
    assert p.value.tolist()[:5] == ["2026-11", "2026-Q2", "2026-Q3", "2026", "2026"]
    assert p.bad.tolist() == [False] * 5 + [True]


def test_ratings_accept_full_text_code_letter_in_any_case_and_composition():
    rating = load_schemas().enums["rating"].lookup()
    nfd = unicodedata.normalize("NFD", "Hoàn thành tốt nhiệm vụ")
    p = parse_enum(col("A", "htxsnv", "  Hoàn thành  tốt nhiệm vụ ", nfd, "C", "KHTNV", "E"), rating)
    assert p.value.tolist()[:6] == ["Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành xuất sắc nhiệm vụ",
                                    "Hoàn thành tốt nhiệm vụ", "Hoàn thành tốt nhiệm vụ", "Hoàn thành nhiệm vụ",
                                    "Không hoàn thành nhiệm vụ"]
    assert p.bad.tolist() == [False] * 6 + [True]


def test_yes_no_forms_and_empty_means_no():
    f = load_schemas()["tasks"].field("excused")
    p = parse_field(f, col("Có", "x", 1.0, "yes", "Không", 0.0, "no", None, True))
    assert p.value.tolist() == ["Có", "Có", "Có", "Có", "Không", "Không", "Không", "Không", "Có"]


def test_codes_typed_as_numbers_read_as_people_see_them():
    assert to_text(col(1001.0, " CB01 ", 2.5)).tolist() == ["1001", "CB01", "2.5"]


def test_marked_cells_are_neither_values_nor_plain_blanks():
    p = parse_number(col(CellIssue("#REF!"), 5))
    assert p.issue.tolist() == [True, False] and not p.bad.any()


def test_columns_parsed_together_read_as_each_parsed_alone():
    """A tab's columns of one type share one pass over their distinct values; each column still
    reads exactly as it would alone (values, blanks, bad cells, marked cells)."""
    tasks = load_schemas()["tasks"]
    fields = [tasks.field(k) for k in ("assigned_qty", "done_qty", "start_date", "due_date", "basis", "output",
                                       "review", "excused")]
    raw = pd.DataFrame({
        "assigned_qty": ["1,5", 2.0, None, "hai", CellIssue("#REF!")],
        "done_qty": [2.0, "1,5", " ", 3, None],
        "start_date": [dt.date(2026, 11, 2), "03/11/2026", 46000.0, "x", None],
        "due_date": ["03/11/2026", dt.datetime(2026, 11, 2, 8), None, "31/02/2026", 5.0],
        "basis": ["KH 1", 1001.0, "  ", None, "KH 1"],
        "output": ["KH 1", None, "Báo cáo", "x", " "],
        "review": ["Đạt", "đạt", "OK", None, "Trả lại"],
        "excused": ["Có", "x", None, 1.0, "no"],
    }, index=range(2, 7), dtype=object)
    together = parse_fields(fields, raw)
    for f in fields:
        alone = parse_field(f, raw[f.key])
        for part in ("value", "empty", "bad", "issue"):
            pd.testing.assert_series_equal(getattr(together[f.key], part), getattr(alone, part), check_names=False)
