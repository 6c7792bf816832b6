"""The weekly schedule document as xlsx (openpyxl), HTML (jinja2, sandboxed like the forms) and
PDF (the forms' headless Chromium), all laid out from the same ScheduleDocument."""

from __future__ import annotations

import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from sheetsync.forms.html_page import sandboxed_environment, write_page
from sheetsync.forms.xlsx import write_text
from sheetsync.schedule.document import PAGE_TEMPLATE, ScheduleDocument, day_rows, table_rows, template_dirs

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_PT_PER_LINE = 1.35  # a table line's height per point of font size


def page_title(doc: ScheduleDocument) -> str:
    return " ".join(line.text for line in doc.layout.title).strip() or f"Lịch công tác – {doc.scope}"


def render_html(doc: ScheduleDocument, path: Path, templates_dir: str | Path | None = None) -> Path:
    """The document as one self-contained page (no script, no external file)."""
    env = sandboxed_environment(template_dirs(templates_dir))
    total = sum(c.width for c in doc.layout.columns) or 1.0
    return write_page(path, "trang lịch công tác", lambda: env.get_template(PAGE_TEMPLATE).render(
        page_title=page_title(doc), layout=doc.layout, font_family=doc.layout.css_family,
        widths=[100.0 * c.width / total for c in doc.layout.columns], days=day_rows(doc)))


def _lines_needed(text: str, width_chars: float) -> int:
    per_line = max(4.0, width_chars * 1.1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in (text or "").split("\n"))


def render_xlsx(doc: ScheduleDocument, path: Path) -> Path:
    """The document as a print-ready sheet: A4 as the template says, fit to width, the table's
    header repeated on every page; day and session cells merged over their events."""
    lay = doc.layout
    wb = Workbook()
    ws = wb.active
    ws.title = f"Tuần {int(doc.week[6:8])}-{doc.week[:4]}"
    name = lay.font.get("name", "Times New Roman")
    size, tsize = float(lay.font.get("size", 12)), float(lay.font.get("table_size", 11))

    def font(sz: float = size, bold: bool = False, italic: bool = False, underline: bool = False) -> Font:
        return Font(name=name, size=sz, bold=bold, italic=italic, underline="single" if underline else None)

    ncols = len(lay.columns)
    widths = [c.width * tsize / 11 * 1.15 for c in lay.columns]
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = w
    half = max(1, ncols * 2 // 5)

    def put(row: int, a: int, b: int, text: str, f: Font, align: str = "center") -> None:
        cell = ws.cell(row=row, column=a)
        write_text(cell, text)
        cell.font = f
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
        if b > a:
            ws.merge_cells(start_row=row, start_column=a, end_row=row, end_column=b)

    row = 1
    for i in range(max(len(lay.issuing_body), len(lay.motto))):
        if i < len(lay.issuing_body):
            x = lay.issuing_body[i]
            put(row, 1, half, x.text, font(bold=x.bold, italic=x.italic, underline=x.underline))
        if i < len(lay.motto):
            x = lay.motto[i]
            put(row, half + 1, ncols, x.text, font(bold=x.bold, italic=x.italic, underline=x.underline))
        row += 1
    if lay.date_line:
        put(row, half + 1, ncols, lay.date_line, font(italic=True))
        row += 1
    row += 1
    for i, x in enumerate(lay.title):
        put(row, 1, ncols, x.text, font(float(lay.font.get("title_size", 14)) if i == 0 else size, x.bold, x.italic))
        row += 1
    row += 1
    header_row = row
    for j, c in enumerate(lay.columns, 1):
        cell = ws.cell(row=row, column=j)
        write_text(cell, c.label)
        cell.font = font(tsize, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
    ws.row_dimensions[row].height = tsize * _PT_PER_LINE * max(_lines_needed(c.label, w) for c, w in zip(lay.columns, widths)) + 4
    row += 1
    for cells in table_rows(doc):
        lines = 1
        for j, (key, text, span) in enumerate(cells, 1):
            cell = ws.cell(row=row, column=j)
            cell.border = _BORDER
            if span <= 0:  # covered by the merged day or session cell above
                continue
            write_text(cell, text)
            centred = key in ("day", "session", "time")
            cell.font = font(tsize, bold=key == "day", italic=key == "session" or text == lay.empty_day)
            cell.alignment = Alignment(horizontal="center" if centred else "left",
                                       vertical="center" if key in ("day", "session") else "top", wrap_text=True)
            if span > 1:
                ws.merge_cells(start_row=row, start_column=j, end_row=row + span - 1, end_column=j)
            else:
                lines = max(lines, _lines_needed(text, widths[j - 1]))
        ws.row_dimensions[row].height = tsize * _PT_PER_LINE * lines + 4
        row += 1
    row += 1
    first_foot = row
    if lay.recipients_title:
        put(row, 1, half, lay.recipients_title, font(11, bold=True, italic=True), align="left")
        row += 1
    for r in lay.recipients:
        put(row, 1, half, r, font(11), align="left")
        row += 1
    sig_row = first_foot
    for s in lay.signatures:
        for key, f in (("title", font(bold=True)), ("note", font(italic=True))):
            if s.get(key):
                put(sig_row, half + 1, ncols, s[key], f)
                sig_row += 1
        sig_row += 4
        if s.get("name"):
            put(sig_row, half + 1, ncols, s["name"], font(bold=True))
            sig_row += 1
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if lay.orientation == "landscape" else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    m = lay.margins_mm
    ws.page_margins.left, ws.page_margins.right = m.get("left", 20) / 25.4, m.get("right", 15) / 25.4
    ws.page_margins.top, ws.page_margins.bottom = m.get("top", 15) / 25.4, m.get("bottom", 15) / 25.4
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddFooter.center.text = "Trang &P / &N"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
