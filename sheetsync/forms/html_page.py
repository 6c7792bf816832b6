"""One self-contained HTML page per scope: 01A, the charts and 02A (jinja2, autoescaped).

No external JS, CSS or fonts: the page opens offline and prints the same anywhere.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from sheetsync.errors import TemplateError, require_regular_file
from sheetsync.forms.charts import Chart
from sheetsync.forms.layout import HeaderCell, Layout, template_dirs
from sheetsync.forms.table import TableRow, cell_text

PAGE_TEMPLATE = "report.html.j2"
CSS_TEMPLATE = "report.css.j2"


@dataclass(frozen=True)
class CellView:
    text: str
    kind: str


@dataclass(frozen=True)
class RowView:
    kind: str
    cells: tuple[CellView, ...]


@dataclass(frozen=True)
class FormView:
    """A form as the page template needs it: header grid, column widths in %, text cells."""

    layout: Layout
    header: tuple[tuple[HeaderCell, ...], ...]
    widths: tuple[float, ...]
    rows: tuple[RowView, ...]

    @property
    def ncols(self) -> int:
        return len(self.layout.columns)


@dataclass(frozen=True)
class ChartView:
    caption: str
    alt: str
    src: str  # data: URI of the SVG, so the page needs no other file


def form_view(layout: Layout, rows: Sequence[TableRow]) -> FormView:
    total = sum(c.width for c in layout.columns) or 1.0
    header = tuple(
        tuple(hc for hc in layout.header_cells() if hc.row == r) for r in range(layout.header_rows)
    )
    return FormView(
        layout=layout,
        header=header,
        widths=tuple(100.0 * c.width / total for c in layout.columns),
        rows=tuple(
            RowView(row.kind, tuple(CellView(cell_text(c, layout), c.kind) for c in row.cells))
            for row in rows
        ),
    )


def chart_view(caption: str, chart: Chart) -> ChartView:
    data = base64.b64encode(chart.svg.encode("utf-8")).decode("ascii")
    return ChartView(caption, chart.alt, f"data:image/svg+xml;base64,{data}")


class _RegularFileLoader(jinja2.FileSystemLoader):
    """FileSystemLoader that reads only regular files of a bounded size: a FIFO or /dev/zero
    named report.html.j2 in a `--templates` folder would otherwise hang or never end."""

    def get_source(self, environment, template):
        from sheetsync.config.yamlfile import read_text
        from sheetsync.limits import limit

        for folder in self.searchpath:  # jinja2 would skip a FIFO silently and use another template
            candidate = Path(folder, *jinja2.loaders.split_template_path(template))
            if candidate.exists() and not candidate.is_file():
                require_regular_file(candidate, TemplateError, "tệp mẫu")
        source, filename, uptodate = super().get_source(environment, template)
        return read_text(filename, TemplateError, "tệp mẫu", limit("MAX_TEMPLATE_BYTES")), filename, uptodate


def environment(templates_dir: str | Path | None) -> jinja2.Environment:
    """Jinja2 with autoescape always on (every name on the page came from a shared sheet), in
    a sandbox: templates edited by users (`--templates`) are trusted configuration, but the
    sandbox keeps a template from reaching Python (no `__class__`, `__globals__`, os...)."""
    return sandboxed_environment(template_dirs(templates_dir))


def sandboxed_environment(dirs: Sequence[Path]) -> jinja2.Environment:
    """The same environment over any template folders (the weekly schedule has its own)."""
    loader = jinja2.ChoiceLoader([_RegularFileLoader(str(d)) for d in dirs])
    return SandboxedEnvironment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                                trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_html(path: Path, page_title: str, forms: dict[str, FormView], charts: Sequence[ChartView],
                templates_dir: str | Path | None = None) -> Path:
    """Write the page for one scope; the look comes from the 01A layout's fonts and margins."""
    env = environment(templates_dir)
    layout = forms["01A"].layout

    def render() -> str:
        # CSS is not HTML: escaping would break quoted font names; "</" is neutralised below instead.
        css = env.overlay(autoescape=False).get_template(CSS_TEMPLATE).render(
            font=layout.font, font_family=layout.font.css_family, margins=layout.margins_mm,
            orientation=layout.orientation,
        )
        return env.get_template(PAGE_TEMPLATE).render(
            page_title=page_title,
            css=Markup(css.replace("</", "<\\/")),
            forms=forms,
            charts=list(charts),
        )

    return write_page(path, "trang báo cáo", render)


def write_page(path: Path, what: str, render: Callable[[], str]) -> Path:
    """Render a page from templates an office may have edited, and write it. A mistake in the
    template becomes a Vietnamese TemplateError naming the page (`what`), never a traceback."""
    try:
        html = render()
    except SecurityError as exc:
        raise TemplateError(f"Mẫu {what} dùng thao tác không được phép trong mẫu ({exc}); mẫu chỉ được dùng "
                            "dữ liệu của trang, không gọi được Python.") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"Mẫu {exc.filename or exc.name} có lỗi cú pháp ở dòng {exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"Không dựng được {what} từ mẫu: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
