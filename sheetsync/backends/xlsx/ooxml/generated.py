"""Engine-owned tabs (the summary and other generated sheets), written whole from a grid.

Unlike user tabs, these are replaced rather than patched: their rows are rendered straight to
XML (a year's summary has ~50,000 cells, so the common cells take a short path), with column
widths from the content unless the user widened them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sheetsync.backends.xlsx.ooxml.model import StyledCell
from sheetsync.backends.xlsx.ooxml.styles import _StyleBook
from sheetsync.backends.xlsx.ooxml.tags import _locate_sheet_data, _set_dimension_ref
from sheetsync.backends.xlsx.ooxml.xmltext import _cell_text_xml, _check_value, _number_text, _value_xml
from sheetsync.backends.xlsx.ooxml.xmltree import _XML_DECLARATION
from sheetsync.domain.a1 import cell_ref, col_letter


def _as_styled(cell: object) -> StyledCell | None:
    # Tolerate bare values in a grid: they are plain text/number cells. A cell of another kind
    # with a value and a style (the engine's SummaryCell) is taken as it is: a year's summary
    # need not be copied cell by cell.
    if cell is None or isinstance(cell, StyledCell):
        return cell
    if hasattr(cell, "value") and isinstance(getattr(cell, "style", None), str):
        return cell  # type: ignore[return-value]
    return StyledCell(cell)  # type: ignore[arg-type]


def _grid_rows_xml(grid: Sequence[Sequence[StyledCell]], styles: _StyleBook, p: bytes) -> tuple[bytes, int, int]:
    """The <row> elements of an engine tab. A year's summary has ~50,000 cells: column letters
    and style attributes are worked out once, text and numbers take a short path."""
    out, max_row, max_col = [], 0, 0
    pstr = p.decode()
    letters: list[str] = [""]
    style_attr: dict[str, str] = {}
    texts: dict[str, str] = {}  # names, headers and labels repeat month after month
    first = next((c for row in grid for c in row if c is not None), None)
    cell_type = type(first) if _as_styled(first) is first else StyledCell
    open_c, close_c = f"<{pstr}c", f"</{pstr}c>"
    open_v, close_v = f"<{pstr}v>", f"</{pstr}v>"
    open_is = f'<{pstr}is><{pstr}t xml:space="preserve">'
    close_is = f"</{pstr}t></{pstr}is>"
    for r, cells in enumerate(grid, start=1):
        row_cells = []
        for c, raw in enumerate(cells, start=1):
            cell = raw if type(raw) is cell_type else _as_styled(raw)
            if cell is None:
                continue
            value, style = cell.value, cell.style
            kind = type(value)
            if kind is str:
                inner = texts.get(value)
                if inner is None:
                    inner = texts[value] = open_is + _cell_text_xml(value) + close_is
                t = ' t="inlineStr"'
            elif kind is float and math.isfinite(value):
                t, inner = "", open_v + repr(value) + close_v
            elif kind is int:
                t, inner = "", open_v + str(value) + close_v
            elif value is None:
                t, inner = "", ""
            else:
                _check_value(value, f"sheet cell {cell_ref(r, c)}")
                t_attr, inner = _value_xml(value, pstr)
                t = f' t="{t_attr}"' if t_attr else ""
            if not inner and style == "text":
                continue  # nothing to show and no visible format: leave the cell out
            s_attr = style_attr.get(style)
            if s_attr is None:
                xf = styles.xf_id(style)
                s_attr = style_attr[style] = f' s="{xf}"' if xf else ""
            while len(letters) <= c:
                letters.append(col_letter(len(letters)))
            ref = f' r="{letters[c]}{r}"'
            row_cells.append(f"{open_c}{ref}{s_attr}{t}>{inner}{close_c}" if inner else f"{open_c}{ref}{s_attr}{t}/>")
            max_col = max(max_col, c)
        if row_cells:
            out.append(f'<{pstr}row r="{r}">' + "".join(row_cells) + f"</{pstr}row>")
            max_row = r
    return "".join(out).encode("utf-8"), max_row, max_col


def _default_widths(grid: Sequence[Sequence[StyledCell]]) -> list[float]:
    """Column widths from content: longest line, bounded so long messages wrap instead."""
    widths: list[float] = []
    for cells in grid:
        for c, raw in enumerate(cells):
            cell = _as_styled(raw)
            if cell is None or cell.value is None or cell.style == "title":
                continue
            text = cell.value if isinstance(cell.value, str) else (_number_text(cell.value) or "")
            longest = max((len(line) for line in text.split("\n")), default=0)
            while len(widths) <= c:
                widths.append(8.0)
            widths[c] = max(widths[c], min(60.0, longest * 1.1 + 2))
    return widths


def _cols_xml(widths: Sequence[float | None], p: bytes) -> bytes:
    items = []
    for i, w in enumerate(widths, start=1):
        if w is None:
            continue
        items.append(f'<{p.decode()}col min="{i}" max="{i}" width="{float(w):g}" customWidth="1"/>')
    if not items:
        return b""
    return f"<{p.decode()}cols>".encode() + "".join(items).encode() + f"</{p.decode()}cols>".encode()


def _dimension_ref(max_row: int, max_col: int) -> str:
    if max_row == 0 or max_col == 0:
        return "A1"
    return "A1" if (max_row, max_col) == (1, 1) else f"A1:{cell_ref(max_row, max_col)}"


def _new_sheet_xml(main_ns: str, rows: bytes, cols: bytes, dim: str) -> bytes:
    sheet_data = b"<sheetData>" + rows + b"</sheetData>" if rows else b"<sheetData/>"
    return (
        _XML_DECLARATION
        + f'<worksheet xmlns="{main_ns}"><dimension ref="{dim}"/>'.encode()
        + b'<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        + cols
        + sheet_data
        + b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    )


def _replace_sheet_content(old: bytes, part: str, rows: bytes, cols: bytes | None, dim: str) -> tuple[bytes, bool]:
    """Swap an existing engine tab's cells, keeping everything else of the part.

    Returns (new bytes, whether the old cells contained formulas). ``cols`` None
    keeps the existing <cols> (the user may have widened them).
    """
    loc = _locate_sheet_data(old, part)
    pat = loc.pat
    had_formulas = old.find(b"<" + pat.p + b"f", loc.content_start, loc.content_end) >= 0
    head, tail = old[: loc.start], old[loc.end :]
    if cols is not None:
        cm = pat.cols.search(head)
        head = head[: cm.start()] + cols + head[cm.end() :] if cm else head + cols
    dm = pat.dimension.search(head)
    if dm:
        head = _set_dimension_ref(head, dm, pat, dim)
    tail = pat.merge_cells.sub(b"", tail, count=1)
    p = pat.p
    new_sd = b"<" + p + b"sheetData>" + rows + b"</" + p + b"sheetData>" if rows else b"<" + p + b"sheetData/>"
    return head + new_sd + tail, had_formulas
