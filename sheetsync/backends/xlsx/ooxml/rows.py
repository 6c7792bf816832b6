"""One <row> parsed into cells (and rendered back), only for the rows a scan or a write touches.

Attributes keep their original bytes and order, and anything after the last cell is kept
verbatim, so a row we rebuild differs from the original only where we changed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sheetsync.backends.xlsx.ooxml.rowindex import _SheetLayout
from sheetsync.backends.xlsx.ooxml.tags import _attr, _attrs, _Pat, _render_attrs
from sheetsync.domain.a1 import cell_ref, parse_ref
from sheetsync.errors import SourceUnreadable


@dataclass
class _Cell:
    col: int
    attrs: list[tuple[bytes, bytes]]
    inner: bytes  # children XML ('' for <c .../>)

    def render(self, p: bytes) -> bytes:
        a = _render_attrs(self.attrs)
        if not self.inner:
            return b"<" + p + b"c" + a + b"/>"
        return b"<" + p + b"c" + a + b">" + self.inner + b"</" + p + b"c>"


@dataclass
class _Row:
    num: int
    attrs: list[tuple[bytes, bytes]]
    cells: list[_Cell]
    tail: bytes  # anything after the last cell (e.g. <extLst>), kept verbatim

    def render(self, p: bytes) -> bytes:
        body = b"".join(c.render(p) for c in self.cells) + self.tail
        return b"<" + p + b"row" + _render_attrs(self.attrs) + b">" + body + b"</" + p + b"row>"


def _parse_row(chunk: bytes, num: int, pat: _Pat, part: str) -> _Row:
    m = pat.row_tag.match(chunk)
    assert m is not None
    row = _Row(num, _attrs(m.group(1)), [], b"")
    if m.group(2):
        return row
    body_end = len(chunk) - len(pat.row_close)
    pos, prev_col = m.end(), 0
    while True:
        c = pat.cell_tag.search(chunk, pos, body_end)
        if c is None:
            row.tail = chunk[pos:body_end]
            return row
        attrs = _attrs(c.group(1))
        ref = _attr(attrs, b"r")
        parsed = parse_ref(ref) if ref else None
        col = parsed[1] if parsed else prev_col + 1
        if ref is None:
            attrs.insert(0, (b"r", b'"' + cell_ref(num, col).encode() + b'"'))
        elif parsed is None:
            raise SourceUnreadable(f"Trang tính {part}: địa chỉ ô “{ref}” không hợp lệ.")
        if col <= prev_col:
            raise SourceUnreadable(f"Trang tính {part}: các ô ở hàng {num} không theo thứ tự.")
        if c.group(2):
            inner, pos = b"", c.end()
        else:
            close = chunk.find(pat.cell_close, c.end(), body_end)
            if close < 0:
                raise SourceUnreadable(f"Trang tính {part}: ô {cell_ref(num, col)} thiếu thẻ đóng.")
            inner, pos = chunk[c.end() : close], close + len(pat.cell_close)
        row.cells.append(_Cell(col, attrs, inner))
        prev_col = col


def _iter_rows(layout: _SheetLayout, part: str, must_contain: Sequence[bytes] = ()) -> Iterable[_Row]:
    """Parse rows lazily, skipping those that contain none of ``must_contain``."""
    data = layout.data
    for i, num in enumerate(layout.rows):
        start, end = layout.span(i)
        chunk = data[start:end]
        if must_contain and not any(marker in chunk for marker in must_contain):
            continue
        yield _parse_row(chunk, num, layout.pat, part)
