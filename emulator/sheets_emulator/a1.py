"""A1 notation: parsing what clients send and formatting what Google answers.

Google is liberal in what it accepts (``'Sheet1'!A1``, ``Sheet1!A:A``,
``🌵 my sheet!A1`` without quotes, ``A1:1``, a bare sheet title) and strict in
what it returns: ranges come back bounded by the grid (``Sheet1!A1:Z1000``),
single cells collapse (``A1:A1`` → ``A1``) and titles are quoted only when they
need to be (``'🌵 my sheet'!A1:C2`` but ``Sheet1!A1``).

Indexes here are 0-based and half-open, like the API's GridRange.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COLUMNS = 18278  # ZZZ

_ENDPOINT = re.compile(r"^\$?([A-Za-z]{1,3})?\$?([0-9]+)?$")
_SIMPLE_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CELL_LIKE = re.compile(r"^[A-Za-z]{1,3}[0-9]+$")
_R1C1_LIKE = re.compile(r"^[Rr][0-9]*[Cc][0-9]*$")


def column_letters(index: int) -> str:
    """0 → ``A``, 25 → ``Z``, 26 → ``AA``."""
    if index < 0:
        raise ValueError(f"negative column index {index}")
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """``A`` → 0, ``AA`` → 26 (case-insensitive)."""
    n = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"not a column: {letters!r}")
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def cell_name(row: int, col: int) -> str:
    return f"{column_letters(col)}{row + 1}"


@dataclass(frozen=True)
class Bounds:
    """A rectangle; ``None`` on a side means unbounded (to the grid's edge)."""

    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None

    def resolve(self, row_count: int, col_count: int) -> tuple[int, int, int, int]:
        return (
            self.start_row if self.start_row is not None else 0,
            self.end_row if self.end_row is not None else row_count,
            self.start_col if self.start_col is not None else 0,
            self.end_col if self.end_col is not None else col_count,
        )


WHOLE_SHEET = Bounds()


@dataclass(frozen=True)
class A1Range:
    """A parsed range: ``sheet`` is the unquoted title (or None), ``ref`` the cell part."""

    sheet: str | None
    ref: str | None


def split_sheet(text: str) -> A1Range:
    """Split ``'It''s'!A1`` into title and reference; raise ValueError when malformed."""
    if text.startswith("'"):
        i = 1
        title_chars: list[str] = []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title_chars.append("'")
                    i += 2
                    continue
                break
            title_chars.append(ch)
            i += 1
        else:
            raise ValueError("unterminated quote")
        rest = text[i + 1 :]
        title = "".join(title_chars)
        if not title:
            raise ValueError("empty sheet title")
        if rest == "":
            return A1Range(title, None)
        if not rest.startswith("!") or len(rest) == 1:
            raise ValueError("expected ! after sheet title")
        return A1Range(title, rest[1:])
    if "!" in text:
        title, _, ref = text.rpartition("!")
        if not title or not ref:
            raise ValueError("empty sheet title or reference")
        return A1Range(title, ref)
    return A1Range(None, text)


def parse_bounds(ref: str) -> Bounds:
    """Parse the cell part: ``A1``, ``A1:B2``, ``A:C``, ``2:5``, ``A2:B``, ``A1:1``."""
    parts = ref.strip().split(":")
    if len(parts) == 1:
        col, row = _endpoint(parts[0])
        if col is None or row is None:
            raise ValueError(f"not a cell: {ref!r}")
        return Bounds(row, row + 1, col, col + 1)
    if len(parts) != 2:
        raise ValueError(f"too many colons: {ref!r}")
    c1, r1 = _endpoint(parts[0])
    c2, r2 = _endpoint(parts[1])
    only_cols = (r1 is None, r2 is None)
    only_rows = (c1 is None, c2 is None)
    if only_cols == (True, True) and only_rows == (False, False):  # A:C
        lo, hi = sorted((c1, c2))  # type: ignore[type-var]
        return Bounds(None, None, lo, hi + 1)
    if only_rows == (True, True) and only_cols == (False, False):  # 2:5
        lo, hi = sorted((r1, r2))  # type: ignore[type-var]
        return Bounds(lo, hi + 1, None, None)
    if (c1 is None and r2 is None) or (r1 is None and c2 is None):  # A:1, 1:A
        raise ValueError(f"mixed row and column reference: {ref!r}")
    # At least one side is a full cell; a missing coordinate on the other side is unbounded.
    start_row, end_row = _span(r1, r2)
    start_col, end_col = _span(c1, c2)
    return Bounds(start_row, end_row, start_col, end_col)


def _span(a: int | None, b: int | None) -> tuple[int | None, int | None]:
    if a is not None and b is not None:
        lo, hi = sorted((a, b))
        return lo, hi + 1
    if a is not None:
        return a, None  # A2:B → from row 2 down
    assert b is not None
    return None, b + 1  # A:B5 → from the top


def _endpoint(text: str) -> tuple[int | None, int | None]:
    m = _ENDPOINT.match(text.strip())
    if not m or (m.group(1) is None and m.group(2) is None):
        raise ValueError(f"bad endpoint {text!r}")
    col = column_index(m.group(1)) if m.group(1) else None
    row = int(m.group(2)) - 1 if m.group(2) else None
    if row is not None and row < 0:
        raise ValueError("row 0 does not exist")
    if col is not None and col >= MAX_COLUMNS:
        raise ValueError("column beyond ZZZ")
    return col, row


def needs_quotes(title: str) -> bool:
    """Google quotes a title unless it is a plain identifier that cannot be read as a cell."""
    if not _SIMPLE_TITLE.match(title):
        return True
    if _CELL_LIKE.match(title) or _R1C1_LIKE.match(title):
        return True
    return title.upper() in {"TRUE", "FALSE"}


def quote_title(title: str) -> str:
    if needs_quotes(title):
        return "'" + title.replace("'", "''") + "'"
    return title


def format_bounds(b: Bounds) -> str:
    """Format possibly-unbounded bounds the way a user would type them."""
    def end(i: int | None) -> int | None:
        return None if i is None else i - 1

    sr, er, sc, ec = b.start_row, end(b.end_row), b.start_col, end(b.end_col)
    left = f"{column_letters(sc) if sc is not None else ''}{sr + 1 if sr is not None else ''}"
    right = f"{column_letters(ec) if ec is not None else ''}{er + 1 if er is not None else ''}"
    if sr is not None and sc is not None and sr == er and sc == ec:
        return left
    if sr is None and er is None and sc is not None:
        return f"{column_letters(sc)}:{column_letters(ec if ec is not None else sc)}"
    if sc is None and ec is None and sr is not None:
        return f"{sr + 1}:{(er if er is not None else sr) + 1}"
    if sc is None and sr is not None:
        left = f"A{sr + 1}"
    if sr is None and sc is not None:
        left = f"{column_letters(sc)}1"
    return f"{left}:{right}"


def format_range(title: str, r0: int, r1: int, c0: int, c1: int) -> str:
    """``Sheet1!A1:B2`` for a bounded rectangle; a 1x1 rectangle collapses to ``Sheet1!A1``."""
    start = cell_name(r0, c0)
    if r1 - r0 == 1 and c1 - c0 == 1:
        return f"{quote_title(title)}!{start}"
    return f"{quote_title(title)}!{start}:{cell_name(r1 - 1, c1 - 1)}"


def format_unbounded(title: str, b: Bounds) -> str:
    return f"{quote_title(title)}!{format_bounds(b)}"
