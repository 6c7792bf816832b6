"""Cell writes into one existing worksheet part, rebuilding only the rows they touch.

The cost follows the size of the change, not of the sheet: rows are located by `rowindex`,
parsed and rendered by `rows`, and the new part is the old bytes with those rows swapped
(`_Pieces`). New cells take the row's or column's format as Excel would; shared formulas whose
master is overwritten are spelled out; <dimension> grows to cover what was written.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sheetsync.backends.xlsx.ooxml.formulas import _formula, _translate
from sheetsync.backends.xlsx.ooxml.model import CellValue
from sheetsync.backends.xlsx.ooxml.rowindex import _BISECT_ROWS, _layout
from sheetsync.backends.xlsx.ooxml.rows import _Cell, _iter_rows, _parse_row, _Row
from sheetsync.backends.xlsx.ooxml.styles import _StyleBook
from sheetsync.backends.xlsx.ooxml.tags import (
    _attr,
    _attrs,
    _col_attrs,
    _is_true,
    _Pat,
    _render_attrs,
    _set_attr,
    _set_dimension_ref,
)
from sheetsync.backends.xlsx.ooxml.xmltext import _value_xml, _xml_text
from sheetsync.backends.xlsx.ooxml.zipwriter import _Pieces
from sheetsync.domain.a1 import cell_ref, parse_ref
from sheetsync.errors import SourceUnreadable


@dataclass
class _Write:
    """What to put in one cell."""

    value: CellValue
    fallback_style: str  # style name when the cell is new (and row/column give none)
    use_row_col_style: bool = True


class _SheetPatcher:
    """Applies cell writes to one worksheet part, rebuilding only the rows it touches."""

    def __init__(self, data: bytes, part: str, styles: _StyleBook) -> None:
        self.part = part
        self.layout = _layout(data, part)
        self.pat = self.layout.pat
        self.styles = styles
        self.formulas_removed = False
        self._col_styles = self._column_styles()

    def _column_styles(self) -> list[tuple[int, int, int]]:
        out = []
        for a in _col_attrs(self.layout.data[: self.layout.sd_start], self.pat):
            lo, hi, s = _attr(a, b"min"), _attr(a, b"max"), _attr(a, b"style")
            # style="0" is the default format (LibreOffice writes it on every column).
            if lo and hi and s and s != "0":
                out.append((int(lo), int(hi), int(s)))
        return out

    def _new_cell_style(self, row: _Row | None, col: int, write: _Write) -> int:
        if write.use_row_col_style:
            # Excel renders an empty cell with the row's format if it has one, else the column's.
            if row is not None and _is_true(_attr(row.attrs, b"customFormat")):
                s = _attr(row.attrs, b"s")
                if s and s != "0":
                    return int(s)
            for lo, hi, s in self._col_styles:
                if lo <= col <= hi:
                    return s
        return self.styles.xf_id(write.fallback_style)

    def _rewrite_cell(self, cell: _Cell | None, row: _Row | None, row_num: int, col: int, write: _Write) -> _Cell:
        if cell is None:
            attrs = [(b"r", b'"' + cell_ref(row_num, col).encode() + b'"')]
            fresh = True
        else:
            if cell.inner and self.pat.f_tag.search(cell.inner):
                self.formulas_removed = True
            # Cell metadata (cm/vm) describes the old value (dynamic arrays, rich values).
            attrs = [(k, v) for k, v in cell.attrs if k not in (b"t", b"cm", b"vm")]
            s = _attr(cell.attrs, b"s")
            # An empty, unformatted cell element is equivalent to no cell at all.
            fresh = not cell.inner and (s is None or s == "0")
        if fresh:
            xf = self._new_cell_style(row, col, write)
            attrs = [(k, v) for k, v in attrs if k != b"s"]
            if xf:
                attrs.append((b"s", b'"%d"' % xf))
        t, inner = _value_xml(write.value, self.pat.p.decode())
        if t:
            attrs.append((b"t", b'"' + t.encode() + b'"'))
        return _Cell(col, attrs, inner.encode("utf-8"))

    def _apply_to_row(self, row: _Row, writes: Mapping[int, _Write], fixes: Mapping[int, str]) -> None:
        by_col = {c.col: i for i, c in enumerate(row.cells)}
        for col, text in fixes.items():
            cell = row.cells[by_col[col]]
            f = _formula(cell, self.pat)
            assert f is not None
            attrs = [(k, v) for k, v in f.attrs if k not in (b"t", b"si", b"ref")]
            new_f = b"<" + self.pat.p + b"f" + _render_attrs(attrs) + b">" + _xml_text(text).encode() + b"</" + self.pat.p + b"f>"
            cell.inner = cell.inner[: f.span[0]] + new_f + cell.inner[f.span[1] :]
        for col in sorted(writes):
            idx = by_col.get(col)
            new = self._rewrite_cell(row.cells[idx] if idx is not None else None, row, row.num, col, writes[col])
            if idx is not None:
                row.cells[idx] = new
            else:
                cols = [c.col for c in row.cells]
                row.cells.insert(bisect.bisect_left(cols, col), new)
                by_col = {c.col: i for i, c in enumerate(row.cells)}
        spans = _attr(row.attrs, b"spans")
        if spans and row.cells:
            lo, hi = row.cells[0].col, row.cells[-1].col
            try:
                bounds = [int(x) for part in spans.split() for x in part.split(":")]
                lo, hi = min(lo, *bounds), max(hi, *bounds)
            except ValueError:
                pass
            row.attrs = _set_attr(row.attrs, b"spans", f"{lo}:{hi}")

    def _shared_formula_fixes(self, writes: Mapping[tuple[int, int], _Write]) -> dict[tuple[int, int], str]:
        """Dependents of shared formulas whose master cell we are about to overwrite.

        Such dependents only say "same formula as si=N"; once the master is gone
        Excel would declare the file corrupt. They get the formula text spelled out.
        """
        data = self.layout.data
        masters: dict[str, tuple[str, tuple[int, int]]] = {}
        rows_with_writes = sorted({r for r, _ in writes})
        for num in rows_with_writes:
            where = self.layout.locate(num)
            if not isinstance(where, tuple):
                continue
            start, end = where
            if b"shared" not in data[start:end]:
                continue
            row = _parse_row(data[start:end], num, self.pat, self.part)
            for cell in row.cells:
                f = _formula(cell, self.pat)
                if (num, cell.col) in writes and f is not None and f.shared_index is not None and f.text:
                    masters[f.shared_index] = (f.text, (num, cell.col))
        if not masters:
            return {}
        fixes: dict[tuple[int, int], str] = {}
        for row in _iter_rows(self.layout, self.part, (b"si=",)):
            for cell in row.cells:
                pos = (row.num, cell.col)
                f = _formula(cell, self.pat)
                if pos in writes or f is None or f.text or f.shared_index not in masters:
                    continue
                text, origin = masters[f.shared_index]
                translated = _translate(text, origin, pos)
                if translated is None:
                    raise SourceUnreadable(
                        f"Trang tính {self.part}: không thể tách công thức dùng chung ở ô {cell_ref(*pos)}."
                    )
                fixes[pos] = translated
        return fixes

    def apply(self, writes: Mapping[tuple[int, int], _Write], heights: Mapping[int, float] | None = None) -> bytes | _Pieces:
        """Return the new part bytes (the original object when nothing changed)."""
        lay, p = self.layout, self.pat.p
        heights = heights or {}
        if len({r for r, _ in writes} | set(heights)) > _BISECT_ROWS:
            lay.rows  # noqa: B018 — many rows: one pass over every row tag costs less than bisecting each
        fixes = self._shared_formula_fixes(writes)
        by_row: dict[int, tuple[dict[int, _Write], dict[int, str]]] = {}
        for (r, c), w in writes.items():
            by_row.setdefault(r, ({}, {}))[0][c] = w
        for (r, c), text in fixes.items():
            by_row.setdefault(r, ({}, {}))[1][c] = text
        for r in heights:
            by_row.setdefault(r, ({}, {}))

        edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement), sorted by start
        for num in sorted(by_row):
            cell_writes, row_fixes = by_row[num]
            where = lay.locate(num)
            if isinstance(where, tuple):
                start, end = where
                old = lay.data[start:end]
                row = _parse_row(old, num, self.pat, self.part)
                self._apply_to_row(row, cell_writes, row_fixes)
                if num in heights:
                    row.attrs = _with_height(row.attrs, heights[num])
                new = row.render(p)
                if new != old:
                    edits.append((start, end, new))
            else:
                at = where
                row = _Row(num, [(b"r", b'"%d"' % num)], [], b"")
                self._apply_to_row(row, cell_writes, {})
                if num in heights:
                    row.attrs = _with_height(row.attrs, heights[num])
                if row.cells or len(row.attrs) > 1:
                    edits.append((at, at, row.render(p)))
        if not edits:
            return lay.data
        return self._assemble(edits, writes)

    def _assemble(self, edits: list[tuple[int, int, bytes]], writes: Mapping[tuple[int, int], _Write]) -> bytes:
        lay, p = self.layout, self.pat.p
        head = _update_dimension(lay.data[: lay.sd_start], self.pat, writes.keys())
        pieces = [head]
        if lay.content_start == lay.sd_end:  # <sheetData/>: needs an open/close pair now
            pieces.append(b"<" + p + b"sheetData>")
            pieces.extend(new for _, _, new in edits)
            pieces.append(b"</" + p + b"sheetData>")
            pieces.append(lay.data[lay.sd_end :])
            return b"".join(pieces)
        view = memoryview(lay.data)
        pos = lay.sd_start
        for start, end, new in edits:
            pieces.append(view[pos:start])
            pieces.append(new)
            pos = end
        pieces.append(view[pos:])
        return _Pieces(pieces)


def _with_height(attrs: list[tuple[bytes, bytes]], height: float) -> list[tuple[bytes, bytes]]:
    """A row's attributes with its height set (ht, customHeight) or, for 0, removed."""
    kept = [(k, v) for k, v in attrs if k not in (b"ht", b"customHeight")]
    if height <= 0:
        return kept
    return kept + [(b"ht", b'"%s"' % f"{height:g}".encode()), (b"customHeight", b'"1"')]


def _range_bounds(ref: str) -> tuple[int, int, int, int] | None:
    parts = [parse_ref(x) for x in ref.split(":")]
    if not parts or any(x is None for x in parts) or len(parts) > 2:
        return None
    (r1, c1), (r2, c2) = parts[0], parts[-1]  # type: ignore[misc]
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _update_dimension(head: bytes, pat: _Pat, cells: Iterable[tuple[int, int]]) -> bytes:
    """Grow <dimension ref> to include newly written cells (Excel uses it as the used range)."""
    m = pat.dimension.search(head)
    cells = list(cells)
    if m is None or not cells:
        return head
    attrs = _attrs(m.group(1))
    bounds = _range_bounds(_attr(attrs, b"ref") or "")
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    lo_r, lo_c, hi_r, hi_c = min(rows), min(cols), max(rows), max(cols)
    if bounds is not None:
        # Always a union: "A1" may mean "empty sheet" but also "only A1 is filled".
        r1, c1, r2, c2 = bounds
        lo_r, lo_c, hi_r, hi_c = min(lo_r, r1), min(lo_c, c1), max(hi_r, r2), max(hi_c, c2)
        if (lo_r, lo_c, hi_r, hi_c) == bounds:
            return head
    ref = cell_ref(lo_r, lo_c) + (":" + cell_ref(hi_r, hi_c) if (lo_r, lo_c) != (hi_r, hi_c) else "")
    return _set_dimension_ref(head, m, pat, ref)
