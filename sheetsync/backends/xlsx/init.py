"""`sheetsync init`: a blank unit workbook laid out from the schemas.

Every tab with its headers (frozen, wrapped, with a note explaining the field), sensible
widths, date and month formats, dropdowns on enum and code columns (lists kept on a hidden
tab so no list hits Excel's 255-character limit), engine columns shaded and protected while
input columns stay editable. One named font everywhere (Excel, LibreOffice and Google Sheets
otherwise each pick their own for an unnamed one), and each tab set up to print: A4 landscape,
fit to the page width, the header row repeated on every page, page numbers in the footer.
"""

from __future__ import annotations

from copy import copy
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

from sheetsync.backends.xlsx.ooxml import FONT_NAME, FONT_SIZE
from sheetsync.config.schema import PrintLayout, Schemas, TabSchema
from sheetsync.domain.a1 import col_letter
from sheetsync.engine.summary import summary_title

LISTS_TAB = "_Danh sách"
INPUT_FILL = PatternFill("solid", start_color="DDEBF7")
ENGINE_HEADER_FILL = PatternFill("solid", start_color="BFBFBF")
ENGINE_FILL = PatternFill("solid", start_color="F2F2F2")
THIN = Side(style="thin", color="808080")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
NUMBER_FORMATS = {"date": "DD/MM/YYYY", "month": "MM/YYYY", "number": "#,##0.##", "integer": "0",
                  "percent": "0.##", "text": "@", "list": "@", "week": "@", "time": "@"}
TAB_ORDER = ("staff", "catalogue", "tasks", "evaluations", "okr", "weekly", "schedule")
BODY_FONT = Font(name=FONT_NAME, size=FONT_SIZE, family=2)
HEADER_FONT = Font(name=FONT_NAME, size=FONT_SIZE, family=2, bold=True)
PAGE_FOOTER = "Trang &P / &N"
PRINTABLE_PX = (11.69 - 2 * 0.4) * 96  # A4 landscape less the side margins, at 96 px per inch
# How far down dropdowns and formats reach; a unit's year of tasks fits well within it.
ROWS = {"staff": 1000, "catalogue": 1000, "tasks": 30000, "evaluations": 15000, "okr": 2000, "weekly": 30000,
        "schedule": 5000}


def init_workbook(path: str | Path, schemas: Schemas, unit: str, *, overwrite: bool = False,
                  profile_bonus: bool = False) -> Path:
    """Write a blank workbook for `unit` at `path` (refuses to overwrite unless asked)."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"Tệp {path} đã có; hệ thống không ghi đè (dùng --overwrite nếu thật sự muốn tạo lại).")
    wb = Workbook()
    _use_body_font(wb)
    wb.remove(wb.active)
    lists = wb.create_sheet(LISTS_TAB)
    lists.sheet_state = "hidden"
    list_ranges = _write_lists(lists, schemas)
    for name in TAB_ORDER:
        tab = schemas.tabs[name]
        _lay_out_tab(wb, tab, schemas, list_ranges, profile_bonus)
    summary = wb.create_sheet(schemas.summary_title)
    summary["A1"] = summary_title(unit)
    summary["A1"].font = Font(name=FONT_NAME, size=14, family=2, bold=True)
    summary["A2"] = "Trang này do hệ thống ghi sau mỗi lần chạy 'sheetsync sync'; không sửa tay."
    summary["A2"].font = Font(name=FONT_NAME, size=FONT_SIZE, family=2, italic=True, color="808080")
    _print_setup(summary, title_rows=None)
    wb.properties.title = f"Đánh giá hằng tháng — {unit}"
    wb.properties.subject = unit
    wb.properties.creator = "sheetsync"
    wb.move_sheet(lists, offset=len(wb.sheetnames) - 1)
    wb.active = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _use_body_font(wb: Workbook) -> None:
    """Make the workbook's default font (font 0, the "Normal" style: every cell without a font of
    its own, and the unit of column widths) a named one instead of openpyxl's Calibri."""
    wb._fonts[0] = copy(BODY_FONT)  # noqa: SLF001 — openpyxl has no public setter for it
    wb._named_styles["Normal"].font = copy(BODY_FONT)  # noqa: SLF001


def pages_across(widths: list[float], layout: PrintLayout) -> int:
    """How many A4 landscape pages across a tab needs so that it prints at `layout.min_scale`
    percent or larger, its first `repeat_columns` columns printed again on each page. Column
    widths are in Excel's character units (Arial 10: 7 px each plus 5 px of padding)."""
    px = [w * 7 + 5 for w in widths]
    total, repeat = sum(px), sum(px[: layout.repeat_columns])
    usable = PRINTABLE_PX * 0.95  # pages break between columns: leave room for the last one
    n = 1
    while (total + (n - 1) * repeat) * layout.min_scale / 100 > n * usable and n < len(px):
        n += 1
    return n


def _print_setup(ws, title_rows: str | None, pages_wide: int = 1, repeat_columns: int = 0) -> None:
    """A4 landscape, `pages_wide` pages across (1: as wide as the page) and as many pages down as
    needed, the header row(s) repeated on every page, "Trang 1 / 3" at the foot. A tab more than
    one page wide prints across first, its key columns repeated, so each page is readable alone."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = pages_wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows
    if pages_wide > 1:
        ws.page_setup.pageOrder = "overThenDown"
        if repeat_columns:
            ws.print_title_cols = f"A:{col_letter(repeat_columns)}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = 0.5
    ws.page_margins.bottom = 0.6
    ws.page_margins.footer = 0.25
    ws.oddFooter.center.text = PAGE_FOOTER
    ws.oddFooter.center.font = f"{FONT_NAME},Regular"
    ws.oddFooter.center.size = 9


def _write_lists(ws, schemas: Schemas) -> dict[str, str]:
    """One column per named enum on the hidden tab; returns enum name → absolute range."""
    ranges = {}
    for i, (name, enum) in enumerate(schemas.enums.items(), start=1):
        letter = col_letter(i)
        ws.cell(row=1, column=i, value=name)
        for j, value in enumerate(enum.canonical, start=2):
            ws.cell(row=j, column=i, value=value)
        ranges[name] = f"'{LISTS_TAB}'!${letter}$2:${letter}${len(enum.canonical) + 1}"
    return ranges


def _lay_out_tab(wb: Workbook, tab: TabSchema, schemas: Schemas, list_ranges: dict[str, str], bonus: bool) -> None:
    ws = wb.create_sheet(tab.title)
    fields = [f for f in tab.fields if not (f.profile_only and not bonus)]
    last_row = ROWS.get(tab.name, 1000)
    for col, f in enumerate(fields, start=1):
        letter = col_letter(col)
        cell = ws.cell(row=1, column=col, value=f.header)
        cell.font = copy(HEADER_FONT)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = HEADER_BORDER
        cell.fill = ENGINE_HEADER_FILL if f.engine else INPUT_FILL
        if f.note:
            text = f.note + ("\n(Cột bắt buộc)" if f.required else "")
            cell.comment = Comment(text, "sheetsync", width=320, height=120)
        dim = ws.column_dimensions[letter]
        dim.width = f.width or 14
        # Column styles apply to every cell typed later in the column (Excel and LibreOffice
        # both honour them), which is how input columns stay unlocked under sheet protection.
        dim.number_format = NUMBER_FORMATS.get(f.type, "General") if not f.engine else "General"
        if f.engine:
            dim.fill = ENGINE_FILL
            dim.protection = Protection(locked=True)
            dim.alignment = Alignment(wrap_text=True, vertical="top")
        else:
            dim.protection = Protection(locked=False)
            # Top-aligned like the engine cells, so a row grown for its notes reads from the top.
            dim.alignment = Alignment(vertical="top")
            _dropdown(ws, f, letter, last_row, list_ranges, schemas)
    ws.freeze_panes = "B2" if tab.name in ("tasks", "evaluations", "staff") else "A2"
    ws.row_dimensions[1].height = 45
    ws.auto_filter.ref = f"A1:{col_letter(len(fields))}1"
    widths = [f.width or 14 for f in fields]
    _print_setup(ws, title_rows="1:1", pages_wide=pages_across(widths, tab.print),
                 repeat_columns=tab.print.repeat_columns)
    prot = ws.protection
    prot.sheet = True
    # Allowed under protection: formatting, inserting/deleting rows, sorting and filtering.
    for attr in ("formatCells", "formatColumns", "formatRows", "insertRows", "deleteRows", "sort", "autoFilter",
                 "insertHyperlinks"):
        setattr(prot, attr, False)


def _dropdown(ws, f, letter: str, last_row: int, list_ranges: dict[str, str], schemas: Schemas) -> None:
    formula = None
    if f.type == "enum" and f.enum is not None:
        if f.enum.name in list_ranges:
            formula = "=" + list_ranges[f.enum.name]
        else:
            formula = '"' + ",".join(v.replace('"', "") for v in f.enum.canonical) + '"'
    elif f.ref and f.type != "list":
        target = schemas.tabs[f.ref["tab"]]
        idx = [x.key for x in target.fields].index(f.ref["field"]) + 1
        tl = col_letter(idx)
        formula = f"='{target.title}'!${tl}$2:${tl}${ROWS.get(target.name, 1000)}"
    if formula is None:
        return
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False)
    # A warning, not a stop: people may type an alias (A, HTTNV...) and the engine checks anyway.
    dv.errorStyle = "warning"
    dv.error = f"Giá trị không có trong danh sách của cột '{f.header}'."
    dv.errorTitle = "Kiểm tra dữ liệu"
    dv.prompt = (f.note or "")[:250]
    dv.showInputMessage = bool(f.note)
    dv.add(f"{letter}2:{letter}{last_row}")
    ws.add_data_validation(dv)
