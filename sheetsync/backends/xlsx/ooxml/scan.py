"""What calamine cannot tell: error cells vs. formulas without a cached value, a sheet's used
extent, its row heights and column widths; one pass over each worksheet part.

python-calamine reads '' for an error, an uncalculated formula and an empty cell alike; the
engine must not score a #REF! as empty. Sheets without formulas or errors are not parsed at all.
"""

from __future__ import annotations

import re
from pathlib import Path

from sheetsync.backends.xlsx.ooxml.formulas import _cached_value, _formula, _translate
from sheetsync.backends.xlsx.ooxml.model import FORMULA_WITHOUT_VALUE, CellError, PathLike, SheetLayout
from sheetsync.backends.xlsx.ooxml.package import _Package
from sheetsync.backends.xlsx.ooxml.rowindex import _layout
from sheetsync.backends.xlsx.ooxml.rows import _iter_rows
from sheetsync.backends.xlsx.ooxml.tags import _ROW_NUMBER_RE, _attr, _col_attrs, _locate_sheet_data
from sheetsync.backends.xlsx.ooxml.xmltext import _xml_unescape

_HT_RE = re.compile(rb"(?<![\w:.\-])ht\s*=\s*[\"']([0-9.eE+\-]+)[\"']")


def _scan_layout(data: bytes, part: str) -> SheetLayout:
    """Row heights and column widths, by a regex pass over the row start tags (no parsing)."""
    loc = _locate_sheet_data(data, part)
    pat = loc.pat
    out = SheetLayout()
    for a in _col_attrs(data[: loc.start], pat):
        lo, hi, width = _attr(a, b"min"), _attr(a, b"max"), _attr(a, b"width")
        try:
            lo_i, hi_i, w = int(lo or 0), int(hi or 0), float(width or 0)
        except ValueError:
            continue
        if w > 0 and 0 < lo_i <= hi_i:
            for col in range(lo_i, min(hi_i, lo_i + 1000) + 1):
                out.col_widths[col] = w
    # Only the rows whose start tag holds "ht" are looked at: each "ht" found is traced back
    # to the tag around it (text containing "ht" is no row tag), instead of a regex pass over
    # every row of a year's sheet.
    pos, end = loc.content_start, loc.content_end
    while True:
        pos = data.find(b"ht", pos, end)
        if pos < 0:
            break
        lt = data.rfind(b"<", loc.content_start, pos)
        pos += 2
        row = pat.row_tag.match(data, lt)
        if row is None or row.end() <= pos:
            continue
        pos = row.end()  # the tag's other "ht" (customHeight) needs no second look
        attrs = row.group(1)
        h = _HT_RE.search(attrs)
        if h is None:
            continue
        r = _ROW_NUMBER_RE.search(attrs)
        try:
            if r is not None:
                out.row_heights[int(r.group(1))] = float(h.group(1))
        except ValueError:
            continue
    return out


def _scan_sheet(data: bytes, part: str) -> dict[tuple[int, int], CellError]:
    loc = _locate_sheet_data(data, part)
    markers = (b"<" + loc.pat.p + b"f", b't="e"', b"t='e'")
    if not any(data.find(marker, loc.content_start, loc.content_end) >= 0 for marker in markers):
        return {}  # the common case: no formulas, no errors -> no parsing at all
    layout = _layout(data, part)
    pat = layout.pat
    found: dict[tuple[int, int], CellError] = {}
    masters: dict[str, tuple[str, tuple[int, int]]] = {}
    for row in _iter_rows(layout, part, markers):
        for cell in row.cells:
            f = _formula(cell, pat)
            is_error = _attr(cell.attrs, b"t") == "e"
            if f is None and not is_error:
                continue
            pos = (row.num, cell.col)
            text = f.text if f else None
            if f is not None and f.shared_index is not None:
                if f.text:
                    masters[f.shared_index] = (f.text, pos)
                elif f.shared_index in masters:
                    master_text, origin = masters[f.shared_index]
                    text = _translate(master_text, origin, pos)
            value = _cached_value(cell, pat)
            if is_error:
                code = _xml_unescape(value).strip() if value else ""
                found[pos] = CellError(code or FORMULA_WITHOUT_VALUE, text)
            elif value is None or (value == b"" and _attr(cell.attrs, b"t") != "str"):
                # t="str" with an empty <v> is a formula whose real result is "".
                found[pos] = CellError(FORMULA_WITHOUT_VALUE, text)
    return found


def scan_special_cells(path: PathLike, sheet_names: list[str]) -> dict[str, dict[tuple[int, int], CellError]]:
    """Error cells and never-calculated formulas, per sheet, keyed by 1-based (row, col).

    python-calamine returns '' both for these and for truly empty cells; the
    engine must not score a #REF! or an uncalculated formula as "empty".
    """
    return {name: found[0] for name, found in scan_sheets(path, sheet_names).items()}


def scan_sheets(path: PathLike, sheet_names: list[str]
                ) -> dict[str, tuple[dict[tuple[int, int], CellError], object, SheetLayout]]:
    """Per sheet, in one pass over each worksheet part: `scan_special_cells`, the used extent
    (`guard.sheet_extent`: how big the sheet really is, before reading it) and the layout (row
    heights, column widths)."""
    from sheetsync.backends.xlsx.guard import sheet_extent

    with _Package(Path(path)) as pkg:
        result = {}
        for name in sheet_names:
            part = pkg.worksheet_part(name)
            data = pkg.read(part)
            result[name] = (_scan_sheet(data, part), sheet_extent(data), _scan_layout(data, part))
        return result
