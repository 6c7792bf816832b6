"""The bottleneck report (history.bottlenecks) as xlsx and as an HTML page with a chart.

The page comes from templates/pages/bottlenecks.html.j2 (sandboxed jinja2, every text escaped);
the chart is a matplotlib SVG like the forms' (text as outlines, a hatch per kind so it reads in
black and white): per unit, how many items of each kind.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from sheetsync.config.resources import templates_dir
from sheetsync.forms.charts import EXTRA_STYLES, QUOTA_OVER, SeriesStyle, _to_svg, _wrap, font_rc
from sheetsync.forms.hatching import HatchedLegendHandler, hatch_patches
from sheetsync.forms.html_page import sandboxed_environment, write_page
from sheetsync.forms.xlsx import write_text
from sheetsync.history.bottlenecks import KINDS, BottleneckReport

PAGE = "bottlenecks.html.j2"
# A shade and a hatch of its own per kind, so the chart reads on a black-and-white printout.
STYLES = {"obstacle": EXTRA_STYLES[0], "overdue": QUOTA_OVER, "stale": SeriesStyle("#c9d6c2", "|", "black"),
          "returned": SeriesStyle("#f2b880", "/", "black"), "silent": SeriesStyle("#eeeeee", "-", "black")}
DETAIL_COLUMNS = [("unit", "Đơn vị", 24), ("manager", "Người quản lý trực tiếp", 26), ("kind", "Loại", 20),
                  ("staff_id", "Mã cán bộ", 11), ("full_name", "Họ và tên", 22), ("task_id", "Mã nhiệm vụ", 13),
                  ("task_name", "Nhiệm vụ", 36), ("days", "Số ngày", 9), ("since", "Từ ngày", 12),
                  ("detail", "Nội dung", 60)]
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD = PatternFill("solid", start_color="D9E6F5")


def chart_svg(report: BottleneckReport) -> str | None:
    """Stacked horizontal bars: one per unit, a segment per kind, hatched like the forms' charts
    (drawn once the layout is fixed). None when nothing is stuck."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    counts = report.counts()
    if not len(counts) or not counts.to_numpy().sum():
        return None
    units = list(counts.index)
    widest = int(counts.sum(axis=1).max())
    with matplotlib.rc_context(font_rc(["Liberation Serif", "Tinos", "DejaVu Serif"])):
        fig = Figure(figsize=(9, 0.5 * len(units) + 1.8), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        ys = list(range(len(units)))[::-1]
        left = [0] * len(units)
        drawn, handles, handler_map = [], [], {}
        for kind, label in KINDS.items():
            st = STYLES[kind]
            vals = [int(v) for v in counts[kind]]
            bars = ax.barh(ys, vals, left=left, color=st.color, edgecolor="black", linewidth=0.6, height=0.62)
            drawn.append((bars.patches, st.hatch))
            ax.bar_label(bars, labels=[str(v) if v else "" for v in vals], label_type="center", fontsize=9,
                         color=st.text_color, zorder=3, bbox=None if not st.hatch else
                         {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
            left = [a + b for a, b in zip(left, vals)]
            handle = Patch(facecolor=st.color, edgecolor="black", label=label)
            handles.append(handle)
            handler_map[handle] = HatchedLegendHandler(st.hatch)
        for y, total in zip(ys, left):
            ax.text(total + widest * 0.01, y, str(total), va="center", fontsize=9)
        ax.set_yticks(ys, [_wrap(u, 30) for u in units])
        ax.set_xlim(0, widest * 1.1)
        ax.set_xlabel("Số việc bị nghẽn")
        ax.xaxis.get_major_locator().set_params(integer=True)
        fig.legend(handles=handles, handler_map=handler_map, loc="outside lower center", ncol=len(KINDS),
                   frameon=False, fontsize=9)
        fig.draw_without_rendering()
        for patches, hatch in drawn:
            hatch_patches(ax, patches, hatch)
        svg = _to_svg(fig, "bottlenecks")
    return svg[svg.find("<svg"):]


def _text(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return ""
    if isinstance(v, pd.Timestamp):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def render_html(report: BottleneckReport, path: Path, title: str) -> Path:
    env = sandboxed_environment([templates_dir() / "pages"])
    svg = chart_svg(report)
    chart = f"data:image/svg+xml;base64,{base64.b64encode(svg.encode('utf-8')).decode('ascii')}" if svg else None
    counts = report.counts()
    units = []
    for unit in report.units:
        mine = report.items[report.items["unit"] == unit]
        managers = []
        for manager, g in mine.groupby("manager", sort=False):
            managers.append({"name": manager, "count": len(g),
                             "rows": [{k: _text(v) for k, v in r.items()} | {"kind_label": KINDS[r["kind"]]}
                                       for r in g.to_dict("records")]})
        units.append({"name": unit, "count": len(mine), "managers": managers,
                      "counts": {k: int(counts.loc[unit, k]) for k in KINDS}})
    return write_page(path, "trang điểm nghẽn", lambda: env.get_template(PAGE).render(
        title=title, as_of=report.as_of.strftime("%d/%m/%Y"), kinds=KINDS, settings=report.settings, units=units,
        chart=chart, totals={k: int(counts[k].sum()) for k in KINDS}))


def _lines(text: str, width: float) -> int:
    """Lines a text wraps to in a column `width` characters wide (Arial 10: about a character each)."""
    import math

    return max(1, sum(max(1, math.ceil(len(part) / max(4.0, width * 1.05))) for part in text.split("\n")))


def render_xlsx(report: BottleneckReport, path: Path, title: str) -> Path:
    """Two sheets: counts per unit and manager, and every item (filterable)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    bold = Font(name="Arial", size=10, bold=True)
    plain = Font(name="Arial", size=10)

    def row_out(sheet, r: int, values: list, font: Font, head: bool = False, widths: list[float] | None = None) -> None:
        """One row; with `widths`, its height fits the longest wrapped text (no spreadsheet grows it)."""
        if widths:
            lines = max(_lines(_text(v), w) for v, w in zip(values, widths))
            sheet.row_dimensions[r].height = 13.0 * lines + 2
        for c, v in enumerate(values, 1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                cell.value = v
            else:
                write_text(cell, _text(v))
            cell.font = font
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="center" if head else None)
            if head:
                cell.fill = _HEAD

    write_text(ws.cell(1, 1), title)
    ws.cell(1, 1).font = Font(name="Arial", size=13, bold=True)
    write_text(ws.cell(2, 1), f"Tính đến ngày {report.as_of:%d/%m/%Y}")
    ws.cell(2, 1).font = Font(name="Arial", size=10, italic=True)
    r = 4
    summary_widths = [30, 30, 14, 12, 14, 14, 14, 10]
    row_out(ws, r, ["Đơn vị", "Người quản lý trực tiếp", *KINDS.values(), "Cộng"], bold, head=True,
            widths=summary_widths)
    counts = report.counts()
    per_manager = report.by_manager()
    for unit in report.units:
        r += 1
        row_out(ws, r, [unit, "Cả đơn vị", *[int(counts.loc[unit, k]) for k in KINDS], int(counts.loc[unit].sum())],
                bold, widths=summary_widths)
        for m in per_manager[per_manager["unit"] == unit].to_dict("records"):
            r += 1
            row_out(ws, r, ["", m["manager"], *[int(m[k]) for k in KINDS], int(sum(m[k] for k in KINDS))], plain)
    r += 1
    row_out(ws, r, ["Toàn bộ", "", *[int(counts[k].sum()) for k in KINDS], int(counts.to_numpy().sum())], bold)
    for col, w in zip("ABCDEFGH", summary_widths):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = "A5"
    detail = wb.create_sheet("Chi tiết")
    detail_widths = [w for _, _, w in DETAIL_COLUMNS]
    row_out(detail, 1, [h for _, h, _ in DETAIL_COLUMNS], bold, head=True, widths=detail_widths)
    for i, item in enumerate(report.items.to_dict("records"), 2):
        row_out(detail, i, [KINDS[item["kind"]] if k == "kind" else
                            (int(item[k]) if k == "days" and pd.notna(item[k]) else item[k]) for k, _, _ in DETAIL_COLUMNS],
                plain, widths=detail_widths)
    for c, (_, _, w) in enumerate(DETAIL_COLUMNS, 1):
        detail.column_dimensions[detail.cell(1, c).column_letter].width = w
    detail.freeze_panes = "A2"
    detail.auto_filter.ref = f"A1:{detail.cell(1, len(DETAIL_COLUMNS)).column_letter}{max(1, len(report.items) + 1)}"
    for sheet in (ws, detail):
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    detail.print_title_rows = "1:1"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


