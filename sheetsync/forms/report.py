"""write_reports: every form of the month for each unit and for the whole ward, in every format."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sheetsync.domain.calendar import ROMAN, Period, month_label
from sheetsync.forms.build import Form01A, ScopeKind, build_01a, build_02a, common_month
from sheetsync.forms.charts import distribution_chart, quota_chart
from sheetsync.forms.html_page import ChartView, chart_view, form_view, render_html
from sheetsync.forms.layout import Layout, default_templates_dir, load_layout
from sheetsync.forms.model import UnitResults, WardInfo, clean_text, normalize_rating
from sheetsync.forms.pdf import NO_ENGINE_MESSAGE, PdfError, PdfResult, find_browser, print_pdf
from sheetsync.forms.scope import form_file_name, placeholder_context, unique_slugs
from sheetsync.forms.table import rows_01a, rows_02a
from sheetsync.forms.xlsx import render_xlsx

FORMATS = ("xlsx", "html", "pdf")
PDF_WORKERS = max(1, min(3, os.cpu_count() or 1))
PERIOD_TEMPLATE_DIRS = {"quarter": "quy", "year": "nam"}
PERIOD_FILE_PREFIX = {"quarter": "Quy_", "year": "Nam_"}


@dataclass(frozen=True)
class Edition:
    """What one set of forms covers: a month (the usual case), a quarter or a year. It names the
    files, titles the pages and charts, fills the templates' placeholders and picks the templates
    (a quarter's in `quy/`, a year's in `nam/`)."""

    slug: str  # in file names: 2026-11, 2026-Q2, 2026
    label: str  # on pages and charts: "Tháng 11/2026", "Quý II/2026", "Năm 2026"
    month: str  # the month the usual placeholders come from (a period's last month)
    context: dict = field(default_factory=dict)  # more placeholders
    templates_subdir: str | None = None
    file_prefix: str = ""
    caption: str | None = None  # the rating chart's caption (default: by unit or category, and the label)

    @classmethod
    def for_month(cls, month: str) -> Edition:
        return cls(month, f"Tháng {month_label(month)}", month)

    @classmethod
    def for_period(cls, period: Period) -> Edition:
        ctx = {"period": period.label, "yyyy": str(period.year), "month": period.label}
        if period.quarter:
            ctx.update({f"m{i + 1}": month_label(m) for i, m in enumerate(period.months)})
            ctx["quarter"] = ROMAN[period.quarter]
        return cls(period.slug, period.label, period.months[-1], ctx, PERIOD_TEMPLATE_DIRS[period.kind],
                   PERIOD_FILE_PREFIX[period.kind], f"Kết quả xếp loại {period.phrase}")

    def templates(self, templates_dir: str | Path | None) -> Path | str | None:
        """The templates to use: the office's (its `quy/`, `nam/` for a period), else the shipped ones."""
        if self.templates_subdir is None:
            return templates_dir
        if templates_dir is not None:
            for base in (Path(templates_dir), Path(templates_dir) / "forms"):
                if (base / self.templates_subdir).is_dir():
                    return base / self.templates_subdir
        return default_templates_dir() / self.templates_subdir


@dataclass
class ScopeOutput:
    """Files written for one unit or for the ward; keys: "01A.xlsx", "02A.xlsx", "html", "pdf"."""

    name: str
    kind: ScopeKind
    slug: str
    paths: dict[str, Path] = field(default_factory=dict)


@dataclass
class ReportOutput:
    """What write_reports produced, plus messages for the office (Vietnamese), e.g. no PDF engine."""

    out_dir: Path
    month: str
    scopes: list[ScopeOutput]
    messages: list[str] = field(default_factory=list)
    pdf_seconds: list[float] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [p for s in self.scopes for p in s.paths.values()]

    @property
    def ward(self) -> ScopeOutput:
        return next(s for s in self.scopes if s.kind == "ward")

    def scope(self, name: str) -> ScopeOutput:
        return next(s for s in self.scopes if s.name == clean_text(name))


def _charts(form01a: Form01A, ward: WardInfo, layout: Layout, edition: Edition) -> list[ChartView]:
    """The page's numbered charts: rating distribution, then the quota rating's share."""
    fonts = [layout.font.name, *layout.font.fallback]
    by = "đơn vị" if form01a.kind == "ward" else "đối tượng"
    charts = []
    dist = distribution_chart(form01a, fonts, layout.decimal_separator)
    if dist:
        charts.append((edition.caption or f"Kết quả xếp loại theo {by} – {edition.label}", dist))
    quota = quota_chart(form01a, ward.quota, fonts, layout.decimal_separator)
    if quota:
        rating = normalize_rating((ward.quota or {}).get("rating"), ward.ratings) or ward.ratings.names[0]
        charts.append((f"Tỷ lệ {rating} so với tỷ lệ tối đa", quota))
    return [chart_view(f"Biểu đồ {i}. {caption}", chart) for i, (caption, chart) in enumerate(charts, 1)]


def write_reports(
    units: Sequence[UnitResults],
    ward: WardInfo,
    out_dir: str | Path,
    formats: Sequence[str] = FORMATS,
    templates_dir: str | Path | None = None,
    per_unit: bool = True,
    edition: Edition | None = None,
) -> ReportOutput:
    """Write 01A and 02A as xlsx, one HTML page and its PDF, per unit and for the ward, for the
    units' month (or the `edition` given: a quarter or a year).

    A missing or failing PDF engine never stops the rest: xlsx and HTML are still written, and
    ``messages`` tells the office how to get PDFs.
    """
    units = list(units)
    if not units:
        raise ValueError("Không có đơn vị nào để lập báo cáo")
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"Định dạng không hỗ trợ: {sorted(unknown)}; chỉ có {FORMATS}")
    month = common_month(units)
    edition = edition or Edition.for_month(month)
    templates_dir = edition.templates(templates_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    scopes: list[tuple[str, ScopeKind, list[UnitResults]]] = [(ward.name, "ward", units)]
    if per_unit:
        scopes += [(u.unit, "unit", [u]) for u in units]
    slugs = unique_slugs([name for name, _, _ in scopes])
    result = ReportOutput(out_dir=out, month=edition.slug, scopes=[])

    browser = find_browser() if "pdf" in formats else None
    if "pdf" in formats and browser is None:
        result.messages.append(NO_ENGINE_MESSAGE)

    with tempfile.TemporaryDirectory(prefix="sheetsync-forms-") as scratch:
        html_dir = out if "html" in formats else Path(scratch)
        pdf_jobs = []
        for (name, kind, members), scope_slug in zip(scopes, slugs):
            scope = ScopeOutput(clean_text(name), kind, scope_slug)
            result.scopes.append(scope)
            html_path = _write_scope(scope, members, ward, edition, out, html_dir, formats,
                                     templates_dir, need_html=browser is not None)
            if browser is not None and html_path is not None:
                pdf_jobs.append((scope, html_path))
        if browser is not None:
            _print_pdfs(pdf_jobs, browser, out, edition, result)
    return result


def ward_tables(units: Sequence[UnitResults], ward: WardInfo, templates_dir: str | Path | None = None) -> dict:
    """The ward's 01A and 02A as laid-out table rows ({form: (layout, rows)}), for renderers
    that are not files, such as a ward-level Google Sheet."""
    units = list(units)
    month = common_month(units)
    context = placeholder_context(ward.name, ward, month)
    scale = ward.ratings
    f01 = build_01a(units, ward.name, kind="ward", scale=scale)
    f02 = build_02a(units, ward.name, kind="ward", scale=scale)
    lay01 = load_layout("01A", "ward", context, templates_dir, scale)
    lay02 = load_layout("02A", "ward", context, templates_dir, scale)
    return {"01A": (lay01, rows_01a(f01, lay01)), "02A": (lay02, rows_02a(f02, lay02))}


def _write_scope(scope: ScopeOutput, members: list[UnitResults], ward: WardInfo, edition: Edition, out: Path,
                 html_dir: Path, formats: Sequence[str], templates_dir: str | Path | None,
                 need_html: bool) -> Path | None:
    """xlsx and HTML of one scope; returns the HTML page (kept or scratch) for printing."""
    context = {**placeholder_context(scope.name, ward, edition.month), **edition.context}
    scale = ward.ratings
    f01 = build_01a(members, scope.name, kind=scope.kind, scale=scale)
    f02 = build_02a(members, scope.name, kind=scope.kind, scale=scale)
    lay01 = load_layout("01A", scope.kind, context, templates_dir, scale)
    lay02 = load_layout("02A", scope.kind, context, templates_dir, scale)
    t01, t02 = rows_01a(f01, lay01), rows_02a(f02, lay02)
    if "xlsx" in formats:
        for form, lay, rows in (("01A", lay01, t01), ("02A", lay02, t02)):
            path = out / form_file_name(form, edition.file_prefix + scope.slug, edition.slug, "xlsx")
            scope.paths[f"{form}.xlsx"] = render_xlsx(path, lay, rows, f"Mẫu {form}")
    if "html" not in formats and not need_html:
        return None
    html_path = render_html(
        html_dir / form_file_name("01A_02A", edition.file_prefix + scope.slug, edition.slug, "html"),
        f"{lay01.title.capitalize()} – {edition.label} – {scope.name}",
        {"01A": form_view(lay01, t01), "02A": form_view(lay02, t02)},
        _charts(f01, ward, lay01, edition),
        templates_dir,
    )
    if "html" in formats:
        scope.paths["html"] = html_path
    return html_path


def _print_pdfs(jobs: list[tuple[ScopeOutput, Path]], browser: Path, out: Path, edition: Edition,
                result: ReportOutput) -> None:
    """Print the pages, a few browsers at a time: most of each print is the browser starting up."""
    def run(job: tuple[ScopeOutput, Path]) -> PdfResult | PdfError:
        scope, html_path = job
        try:
            return print_pdf(html_path, out / form_file_name("01A_02A", edition.file_prefix + scope.slug, edition.slug,
                                                             "pdf"), browser)
        except PdfError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=PDF_WORKERS) as pool:
        for (scope, _), printed in zip(jobs, pool.map(run, jobs)):
            if isinstance(printed, PdfError):
                result.messages.append(f"{scope.name}: {printed}")
            else:
                scope.paths["pdf"] = printed.path
                result.pdf_seconds.append(printed.seconds)
