"""Spreadsheet cell addresses: column letters and A1 references, one implementation."""

from __future__ import annotations

import functools
import re

_REF_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


@functools.lru_cache(maxsize=4096)
def col_letter(col: int) -> str:
    """1 → A, 27 → AA (1-based, as spreadsheets count)."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_number(letters: str) -> int:
    """A → 1, AA → 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def cell_ref(row: int, col: int) -> str:
    """(3, 2) → B3."""
    return f"{col_letter(col)}{row}"


def parse_ref(ref: str) -> tuple[int, int] | None:
    """`B3` or `$B$3` → (row 3, column 2); None when it is not a single-cell reference."""
    m = _REF_RE.fullmatch(ref.strip())
    if not m:
        return None
    return int(m.group(2)), col_number(m.group(1))
