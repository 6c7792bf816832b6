"""The xlsx patcher finds the rows it writes by bisecting the sheet's bytes instead of indexing
every row tag; wherever it answers, it must answer what the full index answers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.backends.xlsx.ooxml import rowindex
from sheetsync.backends.xlsx.ooxml.patcher import _SheetPatcher, _Write
from sheetsync.backends.xlsx.ooxml.styles import _StyleBook
from sheetsync.backends.xlsx.ooxml.zipwriter import _Pieces

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _sheet(rows: list[tuple[int, str]], p: str = "") -> bytes:
    """A worksheet part with the given rows; kind: plain, self-closing, r after other attributes,
    no r at all (its number follows the previous row's), or a cell text that looks like a tag."""
    out = []
    for num, kind in rows:
        cell = f'<{p}c r="A{num}" t="inlineStr"><{p}is><{p}t>row&lt;row r="{num + 1}"&gt;</{p}t></{p}is></{p}c>'
        if kind == "plain":
            out.append(f'<{p}row r="{num}" spans="1:1">{cell}</{p}row>')
        elif kind == "empty":
            out.append(f'<{p}row r="{num}" ht="20" customHeight="1"/>')
        elif kind == "late-r":
            out.append(f'<{p}row spans="1:1" r="{num}">{cell}</{p}row>')
        else:
            out.append(f"<{p}row>{cell}</{p}row>")
    xmlns = f'xmlns:{p[:-1]}="{NS}"' if p else f'xmlns="{NS}"'
    body = "".join(out)
    return (f'<?xml version="1.0"?><{p}worksheet {xmlns}><{p}sheetData>{body}</{p}sheetData>'
            f"</{p}worksheet>").encode()


def _numbers(rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Rows as numbered by a reader: a row without r follows the previous one."""
    out, prev = [], 0
    for num, kind in rows:
        out.append((prev + 1 if kind == "bare" else num, kind))
        prev = out[-1][0]
    return out


@settings(max_examples=200, deadline=None)
@given(
    gaps=st.lists(st.integers(1, 4), min_size=0, max_size=40),
    kinds=st.lists(st.sampled_from(["plain", "plain", "empty", "late-r", "bare"]), min_size=40, max_size=40),
    prefix=st.sampled_from(["", "x:"]),
    probes=st.lists(st.integers(1, 200), min_size=1, max_size=10),
)
def test_locate_answers_as_the_full_row_index(gaps, kinds, prefix, probes) -> None:
    nums, n = [], 0
    for g in gaps:
        n += g
        nums.append(n)
    rows = _numbers(list(zip(nums, kinds)))
    data = _sheet(rows, prefix)
    for num in probes + [r for r, _ in rows[:3]] + [r for r, _ in rows[-3:]]:
        fresh = rowindex._layout(data, "sheet.xml")
        got = fresh.locate(num)
        i = fresh.find(num)  # builds the full index
        want = fresh.span(i) if fresh.has(i, num) else (fresh.starts[i] if i < len(fresh.rows) else fresh.content_end)
        assert got == want, (num, rows)


def test_a_year_sheet_is_patched_without_indexing_every_row(monkeypatch) -> None:
    rows = [(n, "plain") for n in range(1, 20_001)]
    data = _sheet(rows)
    calls = []
    real = rowindex._index_rows
    monkeypatch.setattr(rowindex, "_index_rows", lambda *a: calls.append(a) or real(*a))
    lay = rowindex._layout(data, "sheet.xml")
    start, end = lay.locate(19_993)
    assert data[start:end].startswith(b'<row r="19993"')
    assert calls == []


def test_many_rows_to_write_are_found_through_one_index(monkeypatch) -> None:
    """A first sync writes every row: one pass over the row tags, not a bisection per row."""
    data = _sheet([(n, "plain") for n in range(1, 2_001)])
    calls, bisections = [], []
    real_index, real_bisect = rowindex._index_rows, rowindex._SheetLayout._bisect
    monkeypatch.setattr(rowindex, "_index_rows", lambda *a: calls.append(a) or real_index(*a))
    monkeypatch.setattr(rowindex._SheetLayout, "_bisect", lambda self, num: bisections.append(num) or real_bisect(self, num))
    styles = _StyleBook.__new__(_StyleBook)
    styles._cache = {"engine": 0}
    patcher = _SheetPatcher(data, "sheet.xml", styles)
    writes = {(r, 3): _Write(float(r), "engine") for r in range(2, 2_001)}
    new = patcher.apply(writes)
    assert len(calls) == 1 and bisections == []
    text = new.tobytes() if isinstance(new, _Pieces) else new
    assert b'<c r="C2000" s="0"><v>2000.0</v></c>' in text or b'<c r="C2000"><v>2000.0</v></c>' in text
    few = _SheetPatcher(data, "sheet.xml", styles).apply({(1999, 3): _Write(1.0, "engine")})
    assert len(calls) == 1 and bisections == [1999]
    assert b'<c r="C1999"><v>1.0</v></c>' in few.tobytes()


def test_bisection_finds_every_row_that_names_its_number() -> None:
    rows = [(n, "empty" if n % 5 == 0 else "plain") for n in range(1, 400, 3)]
    lay = rowindex._layout(_sheet(rows), "sheet.xml")
    for num, _ in rows:
        assert lay._bisect(num) is not None, num
    assert lay._index is None
