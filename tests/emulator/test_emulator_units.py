"""Unit tests of the pure parts: A1 notation, field masks, number formats, formulas."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheets_emulator import a1, fieldmask, formula, numfmt
from sheets_emulator.model import Calculator, Sheet, Spreadsheet, new_sheet_properties

# --------------------------------------------------------------------------- A1


@given(st.integers(min_value=0, max_value=a1.MAX_COLUMNS - 1))
def test_column_letters_round_trip(index):
    assert a1.column_index(a1.column_letters(index)) == index


@given(st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 700), st.integers(0, 700))
def test_bounded_ranges_round_trip(r0, r1, c0, c1):
    r0, r1 = sorted((r0, r1))
    c0, c1 = sorted((c0, c1))
    text = a1.format_range("Sheet1", r0, r1 + 1, c0, c1 + 1)
    parsed = a1.split_sheet(text)
    assert parsed.sheet == "Sheet1"
    assert a1.parse_bounds(parsed.ref).resolve(0, 0) == (r0, r1 + 1, c0, c1 + 1)


@pytest.mark.parametrize(
    "ref, bounds",
    [
        ("A1", a1.Bounds(0, 1, 0, 1)),
        ("$B$2:c3", a1.Bounds(1, 3, 1, 3)),
        ("C3:A1", a1.Bounds(0, 3, 0, 3)),
        ("A:C", a1.Bounds(None, None, 0, 3)),
        ("2:5", a1.Bounds(1, 5, None, None)),
        ("A2:B", a1.Bounds(1, None, 0, 2)),
        ("A1:1", a1.Bounds(0, 1, 0, None)),
    ],
)
def test_parse_bounds(ref, bounds):
    assert a1.parse_bounds(ref) == bounds


@pytest.mark.parametrize("ref", ["", "A", "1", "A0", "A1:B2:C3", "AAAA1", "A:1", "1A", "A1:"])
def test_parse_bounds_rejects(ref):
    with pytest.raises(ValueError):
        a1.parse_bounds(ref)


@pytest.mark.parametrize(
    "title, shown",
    [
        ("Sheet1", "Sheet1"),
        ("finances", "finances"),
        ("I'm a new title", "'I''m a new title'"),
        ("🌵 test 1", "'🌵 test 1'"),
        ("Bảng điểm", "'Bảng điểm'"),
        ("A1", "'A1'"),
        ("tab01", "'tab01'"),
        ("R1C1", "'R1C1'"),
        ("2024", "'2024'"),
        ("TRUE", "'TRUE'"),
    ],
)
def test_titles_are_quoted_only_when_needed(title, shown):
    assert a1.quote_title(title) == shown


def test_split_sheet_handles_quotes_and_bare_titles():
    assert a1.split_sheet("'It''s'!A1") == a1.A1Range("It's", "A1")
    assert a1.split_sheet("'Sheet 1'") == a1.A1Range("Sheet 1", None)
    assert a1.split_sheet("🌵 x 1!A:A") == a1.A1Range("🌵 x 1", "A:A")
    assert a1.split_sheet("A1:B2") == a1.A1Range(None, "A1:B2")
    for bad in ("'unterminated!A1", "''!A1", "'x'A1", "!A1"):
        with pytest.raises(ValueError):
            a1.split_sheet(bad)


def test_format_unbounded():
    assert a1.format_unbounded("Sheet1", a1.Bounds(None, None, 0, 1)) == "Sheet1!A:A"
    assert a1.format_unbounded("Sheet1", a1.Bounds(1, None, 0, 2)) == "Sheet1!A2:B"
    assert a1.format_unbounded("Sheet1", a1.Bounds(1000, 1001, 0, 1)) == "Sheet1!A1001"


# --------------------------------------------------------------------------- field masks


def test_field_mask_parsing():
    assert fieldmask.parse("sheets.data.rowData.values.note") == {"sheets": {"data": {"rowData": {"values": {"note": None}}}}}
    assert fieldmask.parse("userEnteredFormat(backgroundColor,textFormat)") == {
        "userEnteredFormat": {"backgroundColor": None, "textFormat": None}
    }
    assert fieldmask.parse("gridProperties/frozenRowCount,gridProperties/frozen_column_count") == {
        "gridProperties": {"frozenRowCount": None, "frozenColumnCount": None}
    }
    assert fieldmask.parse("a.b,a") == {"a": None}
    with pytest.raises(fieldmask.FieldMaskError):
        fieldmask.parse("a(b")


def test_field_mask_apply_filters_lists_elementwise():
    data = {"sheets": [{"properties": {"title": "x", "index": 0}, "data": [1]}], "spreadsheetId": "s"}
    assert fieldmask.apply(data, fieldmask.parse("sheets.properties.title")) == {"sheets": [{"properties": {"title": "x"}}]}
    assert fieldmask.apply(data, fieldmask.parse("*")) == data


# --------------------------------------------------------------------------- number formats


@pytest.mark.parametrize(
    "value, fmt, shown",
    [
        (2.0, None, "2"),
        (1.5, None, "1.5"),
        (1 / 3, None, "0.3333333333"),
        (0.1 + 0.2, None, "0.3"),
        (1e20, None, "1E+20"),
        (43831, {"type": "DATE", "pattern": "yyyy-mm-dd"}, "2020-01-01"),
        (46329, {"type": "DATE", "pattern": "dd/mm/yyyy"}, "03/11/2026"),
        (46329.5, {"type": "DATE_TIME", "pattern": "d/M/yyyy h:mm:ss"}, "3/11/2026 12:00:00"),
        (0.75, {"type": "TIME", "pattern": "h:mm am/pm"}, "6:00 PM"),
        (46329, {"type": "DATE", "pattern": "dddd, d mmmm yyyy"}, "Tuesday, 3 November 2026"),
        (0.1234, {"type": "PERCENT", "pattern": "0.0%"}, "12.3%"),
        (1234567.891, {"type": "NUMBER", "pattern": "#,##0.00"}, "1,234,567.89"),
        (-5, {"type": "NUMBER", "pattern": "0.00;(0.00)"}, "(5.00)"),
        (2.5, {"type": "NUMBER", "pattern": "0"}, "3"),
        (1500000, {"type": "CURRENCY", "pattern": '#,##0 "₫"'}, "1,500,000 ₫"),
        (12345, {"type": "SCIENTIFIC", "pattern": "0.00E+00"}, "1.23E+04"),
        (7, {"type": "TEXT"}, "7"),
    ],
)
def test_format_number(value, fmt, shown):
    assert numfmt.format_number(value, fmt) == shown


def test_dates_serials_round_trip():
    from datetime import date

    assert numfmt.to_serial(date(1899, 12, 30)) == 0
    assert numfmt.to_serial(date(2026, 11, 3)) == 46329
    assert numfmt.from_serial(46329.25).strftime("%Y-%m-%d %H:%M") == "2026-11-03 06:00"


def test_parse_user_entered_by_locale():
    assert numfmt.parse_user_entered("3/11/2026", "en_US")[0] == {"numberValue": 46092}
    assert numfmt.parse_user_entered("3/11/2026", "vi_VN")[0] == {"numberValue": 46329}
    assert numfmt.parse_user_entered("1,5", "vi_VN")[0] == {"numberValue": 1.5}
    assert numfmt.parse_user_entered("2026-02-30")[0] == {"stringValue": "2026-02-30"}
    assert numfmt.parse_user_entered("25:00")[0] == {"stringValue": "25:00"}


# --------------------------------------------------------------------------- formulas


def _calc(cells: dict[tuple[int, int], object]) -> tuple[Calculator, Sheet]:
    ss = Spreadsheet("s" * 44, {"title": "t", "locale": "en_US"})
    sheet = Sheet(new_sheet_properties("Sheet1", 0, 0, 100, 26))
    ss.sheets.append(sheet)
    for (r, c), value in cells.items():
        if isinstance(value, str) and value.startswith("="):
            sheet.cells[(r, c)] = {"userEnteredValue": {"formulaValue": value}}
        elif isinstance(value, str):
            sheet.cells[(r, c)] = {"userEnteredValue": {"stringValue": value}}
        else:
            sheet.cells[(r, c)] = {"userEnteredValue": {"numberValue": value}}
    return Calculator(ss), sheet


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("=1+2*3", 7),
        ("=(1+2)*3", 9),
        ("=-2^2", 4),
        ("=2^3^2", 64),
        ("=10%", 0.1),
        ('="a"&1&TRUE', "a1TRUE"),
        ("=1=1", True),
        ('="abc"="ABC"', True),
        ("=1<\"a\"", True),
        ("=SUM(A1:A3)", 6),
        ("=AVERAGE(A1:A3)", 2),
        ("=MAX(A1:A3,10)", 10),
        ("=COUNT(A1:A4)", 3),
        ("=COUNTA(A1:A4)", 4),
        ('=COUNTIF(A1:A3,">=2")', 2),
        ('=SUMIF(A1:A3,"<>2")', 4),
        ('=IF(A1>0,"dương","âm")', "dương"),
        ("=IFERROR(1/0,-1)", -1),
        ("=ROUND(2.345,2)", 2.35),
        ("=ROUND(-2.5,0)", -3),
        ("=ROUNDDOWN(2.999,1)", 2.9),
        ('=VLOOKUP("b",B1:C2,2,FALSE)', 20),
        ('=INDEX(A1:A3,2)', 2),
        ('=MATCH(3,A1:A3,0)', 3),
        ("=AND(TRUE,A1=1)", True),
        ('=LEN("Việt")', 4),
        ("=DATE(2026,11,3)", 46329),
        ("=YEAR(46329)", 2026),
        ('=TEXT(0.5,"0%")', "50%"),
        ("=A4", "x"),
        ("=Z99", 0),
    ],
)
def test_formula_evaluation(expression, expected):
    calc, sheet = _calc({(0, 0): 1, (1, 0): 2, (2, 0): 3, (3, 0): "x", (0, 1): "a", (0, 2): 10, (1, 1): "b", (1, 2): 20})
    sheet.cells[(9, 9)] = {"userEnteredValue": {"formulaValue": expression}}
    assert calc.effective(sheet, 9, 9) == expected


@pytest.mark.parametrize(
    "expression, code",
    [("=1/0", "#DIV/0!"), ("=NOPE(1)", "#NAME?"), ("=1+", "#ERROR!"), ('="a"+1', "#VALUE!"), ("=undefinedname", "#NAME?"),
     ("=NA()", "#N/A"), ("=Missing!A1", "#REF!")],
)
def test_formula_errors(expression, code):
    calc, sheet = _calc({(0, 0): expression})
    result = calc.effective(sheet, 0, 0)
    assert isinstance(result, formula.Err) and result.code == code


def test_circular_reference_is_ref_error():
    calc, sheet = _calc({(0, 0): "=B1+1", (0, 1): "=A1+1"})
    assert calc.effective(sheet, 0, 0).code == "#REF!"  # type: ignore[union-attr]


def test_normalize_upper_cases_functions_and_references_only():
    assert formula.normalize('=sum(a1:b2)&"sum(a1)"&\'my sheet\'!c3') == '=SUM(A1:B2)&"sum(a1)"&\'my sheet\'!C3'


@pytest.mark.parametrize(
    "ref, dimension, index, count, shifted",
    [
        ("A5", "ROWS", 2, 3, "A8"),
        ("A1", "ROWS", 2, 3, "A1"),
        ("$A$5:B10", "ROWS", 6, -2, "$A$5:B8"),
        ("A3", "ROWS", 2, -1, "#REF!"),
        ("A1:A10", "ROWS", 0, -3, "A1:A7"),
        ("C1:E4", "COLUMNS", 1, 2, "E1:G4"),
        ("B:B", "ROWS", 0, 5, "B:B"),
        ("'Sheet 1'!C2", "COLUMNS", 0, 1, "'Sheet 1'!D2"),
    ],
)
def test_shift_reference(ref, dimension, index, count, shifted):
    assert formula.shift_reference(ref, dimension, index, count) == shifted
