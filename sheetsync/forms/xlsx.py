"""Print-ready xlsx of one form (openpyxl), in the official look of Decree 30/2020.

Every text goes in as a string cell: names typed into a shared sheet may start with ``=``,
``+``, ``-`` or ``@`` and must never become formulas in the office's copy of Excel.
"""

from __future__ import annotations

import re
import textwrap
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XlCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.worksheet.worksheet import Worksheet

from sheetsync.domain.a1 import col_letter
from sheetsync.forms.layout import Layout, Line
from sheetsync.forms.table import Cell, TableRow

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_MM_PER_INCH = 25.4
_NUMBER_FORMATS = {"count": "0", "decimal": "0.00"}
_STYLE_NAMES = {"stt": "STT", "text": "Chữ", "rating": "Xếp loại", "count": "Số đếm", "decimal": "Điểm, tỷ lệ"}


_EMU_PER_PX = 9525  # at 96 dpi
_EMU_PER_PT = 12700


@dataclass(frozen=True)
class Rule:
    """A short horizontal line drawn under the agency's name: anchored in cell (row, col), 1-based,
    at an offset in EMU, ``width`` EMU long."""

    row: int
    col: int
    x_offset: int
    y_offset: int
    width: int


def write_text(cell: XlCell, text: str) -> None:
    """Store ``text`` as a plain string cell, whatever it starts with.

    openpyxl turns a string starting with "=" into a formula; forcing the type back to "s" keeps
    it text, and the quote prefix keeps Excel from re-reading it as a formula when someone edits it.
    """
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True


class _SheetWriter:
    """Writes one form top to bottom, keeping track of the current row."""

    def __init__(self, ws: Worksheet, layout: Layout):
        self.ws = ws
        self.layout = layout
        self.ncols = len(layout.columns)
        self.row = 1
        self.font_name = layout.font.name
        # Template widths are in characters of the table font; Excel counts characters of its
        # default 11 pt font, so a smaller table font needs narrower columns.
        scale = layout.font.table_size / 11
        self.widths = [c.width * scale for c in layout.columns]
        self._styles: dict[tuple[str, bool, str], str] = {}
        self.rule: Rule | None = None

    def font(self, size: float | None = None, bold: bool = False, italic: bool = False,
             underline: bool = False) -> Font:
        return Font(name=self.font_name, size=size or self.layout.font.size, bold=bold,
                    italic=italic, underline="single" if underline else None)

    def put(self, row: int, col: int, text: str, *, end_col: int | None = None, font: Font,
            align: str = "center", wrap: bool = True) -> XlCell:
        """Text in a cell, merged up to ``end_col`` (1-based, inclusive) when given."""
        cell = self.ws.cell(row=row, column=col)
        write_text(cell, text)
        cell.font = font
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
        if end_col and end_col > col:
            self.ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=end_col)
        return cell

    def split(self, parts: int) -> list[tuple[int, int]]:
        """Split the columns into ``parts`` blocks of about equal width: (first, last), 1-based."""
        widths = self.widths
        total = sum(widths)
        bounds, start, acc = [], 1, 0.0
        for i, w in enumerate(widths, 1):
            acc += w
            if len(bounds) < parts - 1 and acc >= total * (len(bounds) + 1) / parts and i < self.ncols:
                bounds.append((start, i))
                start = i + 1
        bounds.append((start, self.ncols))
        return bounds

    # --- blocks, top to bottom -------------------------------------------------------------

    def heading(self) -> None:
        lay = self.layout
        (left_a, left_b), (right_a, right_b) = self.split(2)
        number_font = self.font(bold=True)
        first_row = self.row + 1
        if lay.form_number_position == "top-left":
            self.put(self.row, left_a, lay.form_number, end_col=left_b, font=number_font, align="left")
        else:
            self.put(self.row, right_a, lay.form_number, end_col=right_b, font=number_font, align="right")
        self.row += 1
        for i in range(max(len(lay.issuing_body), len(lay.motto))):
            for lines, (a, b) in ((lay.issuing_body, (left_a, left_b)), (lay.motto, (right_a, right_b))):
                if i < len(lines):
                    self._line(lines[i], a, b)
            self.row += 1
        if lay.issuing_body:
            self.rule = self._rule(lay.issuing_body[-1], first_row + len(lay.issuing_body), left_a, left_b)
        self.row += 1
        self.put(self.row, 1, lay.title, end_col=self.ncols, font=self.font(lay.font.title_size, bold=True))
        self.ws.row_dimensions[self.row].height = self._height(lay.title, self._width(1, self.ncols),
                                                               lay.font.title_size)
        self.row += 1
        if lay.subtitle:
            self.put(self.row, 1, lay.subtitle, end_col=self.ncols, font=self.font(lay.font.size, bold=True))
            self.row += 1
        self.row += 1

    def _rule(self, line: Line, row: int, a: int, b: int) -> Rule:
        """Decree 30/2020: under the agency's name a solid line 1/3 to 1/2 as long as the name,
        centred on it. Cell borders cannot be centred on text that spans columns of uneven width,
        so it is a drawn line, placed from the column widths (centre of the merged block)."""
        px = [self._px(w) for w in self.widths]
        block = sum(px[a - 1:b]) * _EMU_PER_PX
        # Times New Roman (bold) averages about 0.65 em per capital, 0.45 em per small letter and
        # 0.25 em per space; the line is 40% of the name.
        ems = sum(0.25 if ch.isspace() else 0.65 if ch.isupper() else 0.45 for ch in line.text)
        text_pt = ems * self.layout.font.size
        width = int(min(text_pt * 0.4 * _EMU_PER_PT, block * 0.8))
        # Anchored in the column where it starts, offset within that column (LibreOffice clamps
        # an offset larger than its column).
        x, col = (block - width) / 2, a
        while col < b and x >= px[col - 1] * _EMU_PER_PX:
            x -= px[col - 1] * _EMU_PER_PX
            col += 1
        return Rule(row=row, col=col, x_offset=int(x), y_offset=int(4 * _EMU_PER_PT), width=int(width))

    @staticmethod
    def _px(width: float) -> float:
        """Screen pixels of a column ``width`` characters wide: 7 px per character of the default
        font (the stored width already includes the cell padding, so it is proportional)."""
        return width * 7

    def _line(self, line: Line, a: int, b: int) -> None:
        self.put(self.row, a, line.text, end_col=b,
                 font=self.font(bold=line.bold, italic=line.italic, underline=line.underline))

    def table_header(self) -> tuple[int, int]:
        """The header rows (and the (1), (2)... row); returns the rows to repeat on each page."""
        lay, first = self.layout, self.row
        size = lay.font.table_size
        heights = [0.0] * lay.header_rows
        for hc in lay.header_cells():
            r, c = first + hc.row, 1 + hc.col
            self.put(r, c, hc.text, font=self.font(size, bold=True))
            for rr in range(r, r + hc.rowspan):
                for cc in range(c, c + hc.colspan):
                    self.ws.cell(row=rr, column=cc).border = _BORDER
            if hc.rowspan > 1 or hc.colspan > 1:
                self.ws.merge_cells(start_row=r, start_column=c, end_row=r + hc.rowspan - 1,
                                    end_column=c + hc.colspan - 1)
            need = self._height(hc.text, self._width(c, c + hc.colspan - 1), size) / hc.rowspan
            for rr in range(hc.row, hc.row + hc.rowspan):
                heights[rr] = max(heights[rr], need)
        for i, h in enumerate(heights):
            self.ws.row_dimensions[first + i].height = h
        self.row += lay.header_rows
        if lay.column_numbers:
            for c in range(1, self.ncols + 1):
                cell = self.put(self.row, c, f"({c})", font=self.font(size, italic=True))
                cell.border = _BORDER
            self.row += 1
        return first, self.row - 1

    def body(self, rows: Sequence[TableRow]) -> None:
        size = self.layout.font.table_size
        for trow in rows:
            bold = trow.kind in ("total", "group")
            if trow.kind == "group":
                self._cell(1, trow.cells[0], bold)
                self.put(self.row, 2, str(trow.cells[1].value), end_col=self.ncols,
                         font=self.font(size, bold=True), align="left")
                for c in range(1, self.ncols + 1):
                    self.ws.cell(row=self.row, column=c).border = _BORDER
                height = self._height(str(trow.cells[1].value), self._width(2, self.ncols), size)
            else:
                height = 0.0
                for c, cell in enumerate(trow.cells, 1):
                    self._cell(c, cell, bold)
                    if not cell.is_number and cell.value not in (None, ""):
                        height = max(height, self._height(str(cell.value), self._width(c, c), size))
            self.ws.row_dimensions[self.row].height = max(height, self._height("", 10, size))
            self.row += 1

    def _body_style(self, kind: str, bold: bool, suffix: str) -> str:
        """A named style per kind of body cell: assigning one name per cell instead of four style
        objects cut a 1,200-person ward form from about 10 s to under 2 s."""
        key = (kind, bold, suffix)
        if key not in self._styles:
            name = " - ".join(filter(None, ("Biểu mẫu", _STYLE_NAMES[kind], "đậm" if bold else "", suffix)))
            if kind in _NUMBER_FORMATS:
                align = Alignment(horizontal="right", vertical="center")
                number_format = _NUMBER_FORMATS[kind] + (f'"{suffix}"' if suffix else "")
            else:
                horizontal = "left" if kind == "text" else "center"
                align = Alignment(horizontal=horizontal, vertical="center", wrap_text=kind != "stt")
                number_format = "General"
            self.ws.parent.add_named_style(NamedStyle(
                name=name, font=self.font(self.layout.font.table_size, bold=bold), border=_BORDER,
                alignment=align, number_format=number_format))
            self._styles[key] = name
        return self._styles[key]

    def _cell(self, col: int, cell: Cell, bold: bool) -> None:
        xl = self.ws.cell(row=self.row, column=col)
        if cell.is_number:
            xl.style = self._body_style(cell.kind, bold, cell.suffix)
            xl.value = cell.value
            return
        kind = cell.kind if cell.kind in ("stt", "rating") else "text"
        xl.style = self._body_style(kind, bold, "")
        text = "" if cell.value is None else str(cell.value)
        if kind == "stt" and text.isdigit():
            xl.value = int(text)
        else:
            write_text(xl, text)

    def footnotes(self) -> None:
        if not self.layout.footnotes:
            return
        self.row += 1
        size = self.layout.font.table_size
        for note in self.layout.footnotes:
            self.put(self.row, 1, note, end_col=self.ncols, font=self.font(size, italic=True), align="left")
            self.ws.row_dimensions[self.row].height = self._height(note, self._width(1, self.ncols), size)
            self.row += 1

    def signatures(self) -> None:
        lay = self.layout
        sigs = lay.signatures
        self.row += 1
        if lay.date_line:
            a, b = self.split(max(len(sigs), 2))[-1]
            self.put(self.row, a, lay.date_line, end_col=b, font=self.font(italic=True))
            self.row += 1
        if not sigs:
            return
        blocks = self.split(len(sigs)) if len(sigs) > 1 else [self.split(2)[-1]]
        for sig, (a, b) in zip(sigs, blocks):
            self.put(self.row, a, sig.title, end_col=b, font=self.font(bold=True))
            if sig.note:
                self.put(self.row + 1, a, sig.note, end_col=b, font=self.font(italic=True))
            if sig.name:
                self.put(self.row + 6, a, sig.name, end_col=b, font=self.font(bold=True))
        self.row += 7

    # --- geometry --------------------------------------------------------------------------

    def _width(self, first: int, last: int) -> float:
        return sum(self.widths[first - 1:last])

    @staticmethod
    def _height(text: str, width: float, size: float) -> float:
        """Row height in points for wrapped text; openpyxl cannot measure, so estimate generously."""
        per_line = max(1, int(width * 1.25 * 11 / size))
        lines = sum(len(textwrap.wrap(part, per_line)) or 1 for part in (text or " ").split("\n"))
        return round(lines * size * 1.3 + 5, 1)


def render_xlsx(path: Path, layout: Layout, rows: Sequence[TableRow], sheet_title: str) -> Path:
    """Write one form as a one-sheet workbook set up to print on A4 landscape, fit to width."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title[:31]
    writer = _SheetWriter(ws, layout)
    for i, width in enumerate(writer.widths, 1):
        ws.column_dimensions[col_letter(i)].width = round(width, 2)
    writer.heading()
    first_header, last_header = writer.table_header()
    writer.body(rows)
    writer.footnotes()
    writer.signatures()

    ws.print_title_rows = f"{first_header}:{last_header}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if layout.orientation == "landscape" else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    margins = layout.margins_mm
    ws.page_margins.left = margins["left"] / _MM_PER_INCH
    ws.page_margins.right = margins["right"] / _MM_PER_INCH
    ws.page_margins.top = margins["top"] / _MM_PER_INCH
    ws.page_margins.bottom = margins["bottom"] / _MM_PER_INCH
    ws.page_margins.footer = min(margins["bottom"], 8) / _MM_PER_INCH
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.oddFooter.center.font = f"{layout.font.name},Regular"
    ws.oddFooter.center.size = 9
    ws.sheet_view.showGridLines = False
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    if writer.rule is not None:
        _add_rule(path, writer.rule)
    return path


_DRAWING_CT = "application/vnd.openxmlformats-officedocument.drawing+xml"
_DRAWING_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"


def _drawing_xml(rule: Rule) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<xdr:oneCellAnchor>'
        f'<xdr:from><xdr:col>{rule.col - 1}</xdr:col><xdr:colOff>{rule.x_offset}</xdr:colOff>'
        f'<xdr:row>{rule.row - 1}</xdr:row><xdr:rowOff>{rule.y_offset}</xdr:rowOff></xdr:from>'
        f'<xdr:ext cx="{rule.width}" cy="0"/>'
        '<xdr:cxnSp macro=""><xdr:nvCxnSpPr><xdr:cNvPr id="2" name="Đường kẻ dưới tên cơ quan"/>'
        '<xdr:cNvCxnSpPr/></xdr:nvCxnSpPr>'
        f'<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{rule.width}" cy="0"/></a:xfrm>'
        '<a:prstGeom prst="line"><a:avLst/></a:prstGeom>'
        '<a:ln w="9525"><a:solidFill><a:srgbClr val="000000"/></a:solidFill></a:ln></xdr:spPr>'
        '</xdr:cxnSp><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>'
    )


def _add_rule(path: Path, rule: Rule) -> None:
    """Add the drawing with the rule to the one-sheet workbook openpyxl wrote (openpyxl itself
    writes no shapes)."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    rels = "xl/worksheets/_rels/sheet1.xml.rels"
    xml = parts[sheet].decode("utf-8")
    rid = "rIdRule1"
    # <drawing> follows <headerFooter> (which render_xlsx always writes) in the worksheet's order.
    tag = f'<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="{rid}"/>'
    end = re.search(r"</headerFooter>|<headerFooter[^>]*/>", xml)
    xml = xml[:end.end()] + tag + xml[end.end():] if end else xml.replace("</worksheet>", tag + "</worksheet>", 1)
    parts[sheet] = xml.encode("utf-8")
    rel = f'<Relationship Id="{rid}" Type="{_DRAWING_REL}" Target="../drawings/drawing1.xml"/>'
    if rels in parts:
        parts[rels] = parts[rels].replace(b"</Relationships>", rel.encode() + b"</Relationships>")
    else:
        parts[rels] = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
                       f'"http://schemas.openxmlformats.org/package/2006/relationships">{rel}</Relationships>').encode()
    parts["xl/drawings/drawing1.xml"] = _drawing_xml(rule).encode("utf-8")
    ct = "[Content_Types].xml"
    parts[ct] = parts[ct].replace(
        b"</Types>", f'<Override PartName="/xl/drawings/drawing1.xml" ContentType="{_DRAWING_CT}"/></Types>'.encode())
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    tmp.replace(path)
