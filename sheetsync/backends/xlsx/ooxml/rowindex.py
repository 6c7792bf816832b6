"""Locating <row> elements in a worksheet's bytes: by bisection for a few rows, by one index pass
for many.

Patching five rows of a year's sheet (28 MB, 20,000 rows) should not walk every row tag; rows
are stored in ascending order, so a row is found by bisecting the bytes of sheetData.
"""

from __future__ import annotations

import bisect

from sheetsync.backends.xlsx.ooxml.tags import _ROW_NUMBER_RE, _has_markup_declaration, _locate_sheet_data, _Pat
from sheetsync.errors import SourceUnreadable

_BISECT_ROWS = 200  # rows to write up to which each is found by bisecting rather than by the full index


class _SheetLayout:
    """Where things are in a worksheet part, found without parsing it.

    The row index (``rows``, ``starts``: every row's number and offset) is built on first use;
    `locate` finds one row without it, by bisecting the part's bytes, so patching a handful of
    rows of a year's sheet (28 MB of XML) does not walk its 20,000 row tags."""

    def __init__(self, data: bytes, pat: _Pat, part: str, sd_start: int, content_start: int, content_end: int,
                 sd_end: int) -> None:
        self.data, self.pat, self.part = data, pat, part
        self.sd_start = sd_start  # start of <sheetData ...>
        self.content_start = content_start  # just after the start tag
        self.content_end = content_end  # start of </sheetData> (== content_start for <sheetData/>)
        self.sd_end = sd_end  # just after the element
        self._index: tuple[list[int], list[int]] | None = None
        self._found: dict[int, tuple[int, int]] = {}  # rows found by bisecting

    def _full_index(self) -> tuple[list[int], list[int]]:
        if self._index is None:
            self._index = _index_rows(self.data, self.content_start, self.content_end, self.pat, self.part)
        return self._index

    @property
    def rows(self) -> list[int]:
        """Row numbers, ascending."""
        return self._full_index()[0]

    @property
    def starts(self) -> list[int]:
        """Offset of each <row ...> start tag."""
        return self._full_index()[1]

    def find(self, num: int) -> int:
        """Index of row ``num`` in ``rows``, or where it would be inserted (negative-free bisect)."""
        return bisect.bisect_left(self.rows, num)

    def has(self, i: int, num: int) -> bool:
        return i < len(self.rows) and self.rows[i] == num

    def span(self, i: int) -> tuple[int, int]:
        """Byte span of the i-th <row> element; ends are only looked up for rows we touch."""
        return self._row_span(self.starts[i], self.rows[i])

    def _row_span(self, start: int, num: int) -> tuple[int, int]:
        m = self.pat.row_tag.match(self.data, start)
        assert m is not None
        if m.group(2):
            return start, m.end()
        close = self.data.find(self.pat.row_close, m.end(), self.content_end)
        if close < 0:
            raise SourceUnreadable(f"Trang tính {self.part}: hàng {num} thiếu thẻ đóng.")
        return start, close + len(self.pat.row_close)

    def locate(self, num: int) -> tuple[int, int] | int:
        """Byte span of row ``num``'s element, or the offset where a new row ``num`` goes."""
        if self._index is None:
            if num in self._found:
                return self._found[num]
            start = self._bisect(num)
            if start is not None:
                span = self._found[num] = self._row_span(start, num)
                return span
        i = self.find(num)
        if self.has(i, num):
            return self.span(i)
        return self.starts[i] if i < len(self.rows) else self.content_end

    def _tag_at_or_after(self, pos: int, end: int) -> tuple[int, int | None] | None:
        """(offset, number) of the first row tag starting in [pos, end); number None when the
        tag has no r attribute. Cell text holds no "<" (comments and CDATA are refused), so
        every "<row" in sheetData starts a row tag or an element named like one."""
        stop = min(end + len(self.pat.row_open) - 1, self.content_end)  # a tag starting before end
        while True:
            at = self.data.find(self.pat.row_open, pos, stop)
            if at < 0:
                return None
            m = self.pat.row_tag.match(self.data, at)
            if m is not None:
                r = _ROW_NUMBER_RE.search(m.group(1))
                return at, int(r.group(1)) if r else None
            pos = at + 1

    def _bisect(self, num: int) -> int | None:
        """Offset of the row tag that says r="num", found by bisecting the bytes of sheetData
        (rows are stored in ascending order); None when there is none or a probed tag has no
        r attribute (its number depends on the rows before it: the full index tells)."""
        lo, hi = self.content_start, self.content_end
        # Invariant: row tags starting before lo have numbers < num, those from hi on >= num.
        while lo < hi:
            mid = (lo + hi) // 2
            tag = self._tag_at_or_after(mid, hi)
            if tag is None:
                hi = mid
                continue
            at, r = tag
            if r is None:
                return None
            if r < num:
                lo = at + 1
            else:
                hi = at
        tag = self._tag_at_or_after(lo, self.content_end)
        if tag is None or tag[1] != num:
            return None
        return tag[0]


def _layout(data: bytes, part: str) -> _SheetLayout:
    loc = _locate_sheet_data(data, part)
    pat, content_start, content_end = loc.pat, loc.content_start, loc.content_end
    if _has_markup_declaration(data, content_start, content_end) and (
            data.find(b"<!--", content_start, content_end) >= 0
            or data.find(b"<![CDATA[", content_start, content_end) >= 0):
        # Byte search would mistake text inside these for markup.
        raise SourceUnreadable(f"Trang tính {part} chứa chú thích XML/CDATA trong dữ liệu, chưa được hỗ trợ.")
    return _SheetLayout(data, pat, part, loc.start, content_start, content_end, loc.end)


def _index_rows(data: bytes, start: int, end: int, pat: _Pat, part: str) -> tuple[list[int], list[int]]:
    """Row numbers and start offsets of all <row> elements.

    Cell text cannot contain a literal "<" (comments/CDATA are refused above),
    so every "<row" in sheetData is a row start tag: one regex pass suffices.
    """
    rows: list[int] = []
    starts: list[int] = []
    prev = 0
    search_r = _ROW_NUMBER_RE.search
    for m in pat.row_tag.finditer(data, start, end):
        rm = search_r(m.group(1))
        num = int(rm.group(1)) if rm else prev + 1  # rows without r follow the previous one
        if num <= prev:
            raise SourceUnreadable(f"Trang tính {part}: các hàng không theo thứ tự (hàng {num}).")
        rows.append(num)
        starts.append(m.start())
        prev = num
    return rows, starts
