"""The xlsx patcher finds the rows it writes by bisecting the sheet's bytes instead of indexing
every row tag; wherever it answers, it must answer what the full index answers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.backends.xlsx import ooxml

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
        fresh = ooxml._layout(data, "sheet.xml")
        got = fresh.locate(num)
        i = fresh.find(num)  # builds the full index
        want = fresh.span(i) if fresh.has(i, num) else (fresh.starts[i] if i < len(fresh.rows) else fresh.content_end)
        assert got == want, (num, rows)


def test_a_year_sheet_is_patched_without_indexing_every_row(monkeypatch) -> None:
    rows = [(n, "plain") for n in range(1, 20_001)]
    data = _sheet(rows)
    calls = []
    real = ooxml._index_rows
    monkeypatch.setattr(ooxml, "_index_rows", lambda *a: calls.append(a) or real(*a))
    lay = ooxml._layout(data, "sheet.xml")
    start, end = lay.locate(19_993)
    assert data[start:end].startswith(b'<row r="19993"')
    assert calls == []
