"""Form layouts read from the YAML templates, so an office restyles a form without Python.

A layout is ``document.yaml`` (shared look) deep-merged with the form's own file
(``mau_01a.yaml``/``mau_02a.yaml``), then with its ``overrides`` for the scope kind (unit/ward),
with the ``{placeholders}`` filled. A custom templates folder only needs the files it changes:
anything missing there is taken from the default templates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sheetsync.config.resources import templates_dir
from sheetsync.domain.ratings import RatingScale
from sheetsync.errors import TemplateError
from sheetsync.forms.model import default_scale
from sheetsync.results import COMPONENT_FIELDS

FormName = Literal["01A", "02A"]
FORM_FILES = {"01A": "mau_01a.yaml", "02A": "mau_02a.yaml"}
DOCUMENT_FILE = "document.yaml"
PER_RATING = "per_rating"  # a block of columns repeated for every rating of the profile's scale


def column_kinds(form: FormName, scale: RatingScale) -> dict[str, str]:
    """What each column key holds, which decides alignment and number format in every renderer.
    01A has a count and a percentage per rating, keyed by the rating's code (`htxsnv_count`)."""
    if form == "01A":
        return {
            "stt": "stt", "name": "text", "total": "count", "rated": "count", "not_rated": "count",
            "provisional": "count", "notes": "text",
            **{k: v for r in scale for k, v in ((f"{r.code.lower()}_count", "count"),
                                                 (f"{r.code.lower()}_pct", "decimal"))},
        }
    return {
        "stt": "stt", "staff_id": "text", "full_name": "text", "position": "text",
        "department": "text", "category": "text", "notes": "text",
        **dict.fromkeys((*COMPONENT_FIELDS, "general_points", "task_points", "total_points"), "decimal"),
        **dict.fromkeys(("self_rating", "suggested_rating", "approved_rating"), "rating"),
    }


class LayoutError(TemplateError, ValueError):
    """A template the office edited cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class Line:
    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str
    width: float
    group: str | None = None


@dataclass(frozen=True)
class Signature:
    title: str
    note: str = ""
    name: str = ""


@dataclass(frozen=True)
class Font:
    name: str
    fallback: tuple[str, ...]
    size: float
    table_size: float
    title_size: float

    @property
    def css_family(self) -> str:
        """CSS font-family list: the named font first, then metric-compatible fallbacks."""
        generic = {"serif", "sans-serif", "monospace"}
        names = [self.name, *[f for f in self.fallback if f != self.name]]
        return ", ".join(n if n in generic else '"' + n.replace('"', "") + '"' for n in names)


@dataclass(frozen=True)
class HeaderCell:
    """One cell of the (one- or two-row) table header, positions 0-based."""

    row: int
    col: int
    rowspan: int
    colspan: int
    text: str


@dataclass(frozen=True)
class Layout:
    form: FormName
    form_number: str
    form_number_position: str
    title: str
    subtitle: str
    issuing_body: tuple[Line, ...]
    motto: tuple[Line, ...]
    columns: tuple[Column, ...]
    column_numbers: bool
    rating_text: str
    font: Font
    decimal_separator: str
    thousands_separator: str
    orientation: str
    margins_mm: Mapping[str, float]
    date_line: str
    signatures: tuple[Signature, ...]
    footnotes: tuple[str, ...]

    @property
    def header_rows(self) -> int:
        return 2 if any(c.group for c in self.columns) else 1

    def header_cells(self) -> list[HeaderCell]:
        """Header cells with merges: consecutive columns of one group share a top cell."""
        if self.header_rows == 1:
            return [HeaderCell(0, i, 1, 1, c.label) for i, c in enumerate(self.columns)]
        cells: list[HeaderCell] = []
        i = 0
        while i < len(self.columns):
            col = self.columns[i]
            if not col.group:
                cells.append(HeaderCell(0, i, 2, 1, col.label))
                i += 1
                continue
            j = i
            while j + 1 < len(self.columns) and self.columns[j + 1].group == col.group:
                j += 1
            cells.append(HeaderCell(0, i, 1, j - i + 1, col.group))
            cells.extend(HeaderCell(1, k, 1, 1, self.columns[k].label) for k in range(i, j + 1))
            i = j + 1
        return cells


def default_templates_dir() -> Path:
    """The shipped form templates (see `config.resources` for where they are)."""
    return templates_dir() / "forms"


def template_dirs(templates_dir: str | Path | None) -> list[Path]:
    """Folders searched for a template, the office's own first."""
    default = default_templates_dir()
    if templates_dir is None:
        return [default]
    custom = Path(templates_dir)
    if not custom.is_dir():
        raise LayoutError(f"Không tìm thấy thư mục mẫu: {custom}")
    if not any(custom.glob("*.yaml")) and (custom / "forms").is_dir():
        custom = custom / "forms"
    return [custom, default]


def find_template(name: str, dirs: list[Path]) -> Path:
    for folder in dirs:
        if (folder / name).is_file():
            return folder / name
    raise LayoutError(f"Không tìm thấy tệp mẫu {name} trong: {', '.join(map(str, dirs))}")


def _read_yaml(path: Path) -> dict[str, Any]:
    from sheetsync.config.yamlfile import load_yaml

    data = load_yaml(path, LayoutError, "tệp mẫu") or {}
    if not isinstance(data, dict):
        raise LayoutError(f"Tệp mẫu {path} phải là một bảng khóa: giá trị")
    return data


def _flag(raw: Mapping[str, Any], key: str, where: str) -> bool:
    """A yes/no setting of a template, read like the sheets' Có/Không (`"false"` is no)."""
    from sheetsync.config.schema import yes_no

    return yes_no(raw.get(key), f"{where}: `{key}`", LayoutError)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; any other value (lists included) replaces the base value."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(text: Any, context: Mapping[str, str]) -> str:
    """Replace known ``{name}`` placeholders; leave anything else (stray braces) as typed."""
    return _PLACEHOLDER.sub(lambda m: context.get(m.group(1), m.group(0)), "" if text is None else str(text))


def _by_kind(value: Any, kind: str) -> Any:
    """A value may be given per scope kind: ``{unit: ..., ward: ...}``."""
    if isinstance(value, Mapping) and ("unit" in value or "ward" in value):
        return value.get(kind, "")
    return value


def _lines(items: Any, context: Mapping[str, str], where: str) -> tuple[Line, ...]:
    lines = []
    for item in items or []:
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, Mapping):
            raise LayoutError(f"{where}: mỗi dòng phải là chữ hoặc {{text: ..., bold: ...}}")
        text = fill(item.get("text", ""), context)
        if text.strip():
            lines.append(Line(text, _flag(item, "bold", where), _flag(item, "italic", where),
                              _flag(item, "underline", where)))
    return tuple(lines)


def _expand(items: Any, scale: RatingScale, where: str) -> list:
    """The columns with every `per_rating:` block repeated for each rating of the scale, its
    `{code}`, `{rating}` and `{short}` filled (`{code}` lower-case inside a key)."""
    out = []
    for item in items:
        if isinstance(item, Mapping) and PER_RATING in item:
            block = item[PER_RATING]
            if not isinstance(block, list):
                raise LayoutError(f"{where}: '{PER_RATING}' phải là một danh sách cột")
            for r in scale:
                for col in block:
                    if not isinstance(col, Mapping):
                        raise LayoutError(f"{where}: mỗi cột trong '{PER_RATING}' cần có 'key' và 'label'")
                    ctx = {"rating": r.name, "code": r.code, "short": r.short}
                    out.append({k: (fill(str(v), {**ctx, "code": r.code.lower()}) if k == "key" else
                                    _fill_nested(v, ctx)) for k, v in col.items()})
        else:
            out.append(item)
    return out


def _fill_nested(value: Any, context: Mapping[str, str]) -> Any:
    if isinstance(value, Mapping):
        return {k: _fill_nested(v, context) for k, v in value.items()}
    return fill(value, context) if isinstance(value, str) else value


def _columns(form: FormName, items: Any, kind: str, context: Mapping[str, str], where: str,
             scale: RatingScale) -> tuple[Column, ...]:
    known = column_kinds(form, scale)
    if not items:
        raise LayoutError(f"{where}: chưa khai báo cột nào (columns)")
    columns = []
    for item in _expand(items, scale, where):
        if not isinstance(item, Mapping) or "key" not in item:
            raise LayoutError(f"{where}: mỗi cột cần có 'key' và 'label'")
        key = str(item["key"])
        if key not in known:
            raise LayoutError(f"{where}: cột '{key}' không có; các cột có sẵn: {', '.join(known)}")
        try:
            width = float(item.get("width", 10))
        except (TypeError, ValueError) as exc:
            raise LayoutError(f"{where}: độ rộng cột '{key}' phải là số") from exc
        group = fill(_by_kind(item.get("group"), kind), context) or None
        columns.append(Column(key, fill(_by_kind(item.get("label", key), kind), context),
                              known[key], width, group))
    return tuple(columns)


def load_layout(form: FormName, kind: str, context: Mapping[str, str],
                templates_dir: str | Path | None = None, scale: RatingScale | None = None) -> Layout:
    """The layout of ``form`` for a unit or ward scope, placeholders filled from ``context``,
    rating columns for every rating of ``scale`` (default: the default profile's)."""
    dirs = template_dirs(templates_dir)
    doc_path, form_path = find_template(DOCUMENT_FILE, dirs), find_template(FORM_FILES[form], dirs)
    data = deep_merge(_read_yaml(doc_path), _read_yaml(form_path))
    overrides = data.pop("overrides", None) or {}
    data = deep_merge(data, overrides.get(kind) or {})
    where = f"{form_path.name}"
    ctx = {**context, "form_number": fill(data.get("form_number", f"Mẫu số {form}"), context)}

    font = data.get("font") or {}
    numbers = data.get("numbers") or {}
    page = data.get("page") or {}
    margins = {"top": 15, "bottom": 15, "left": 20, "right": 15, **(page.get("margins_mm") or {})}
    signatures = tuple(
        Signature(fill(s.get("title"), ctx), fill(s.get("note"), ctx), fill(s.get("name"), ctx))
        for s in (data.get("signatures") or []) if isinstance(s, Mapping)
    )
    rating_text = str(data.get("rating_text", "full"))
    if rating_text not in ("full", "code"):
        raise LayoutError(f"{where}: rating_text phải là 'full' hoặc 'code'")
    return Layout(
        form=form,
        form_number=ctx["form_number"],
        form_number_position=str(data.get("form_number_position", "top-right")),
        title=fill(data.get("title", ""), ctx),
        subtitle=fill(data.get("subtitle", ""), ctx),
        issuing_body=_lines(data.get("issuing_body"), ctx, where),
        motto=_lines(data.get("motto"), ctx, where),
        columns=_columns(form, data.get("columns"), kind, ctx, where, scale or default_scale()),
        column_numbers=_flag(data, "column_numbers", where),
        rating_text=rating_text,
        font=Font(
            name=str(font.get("name", "Times New Roman")),
            fallback=tuple(str(f) for f in font.get("fallback", ["Liberation Serif", "serif"])),
            size=float(font.get("size", 12)),
            table_size=float(font.get("table_size", 11)),
            title_size=float(font.get("title_size", 14)),
        ),
        decimal_separator=str(numbers.get("decimal_separator", ",")),
        thousands_separator=str(numbers.get("thousands_separator", ".")),
        orientation=str(page.get("orientation", "landscape")),
        margins_mm={k: float(v) for k, v in margins.items()},
        date_line=fill(data.get("date_line", ""), ctx),
        signatures=signatures,
        footnotes=tuple(fill(f, ctx) for f in (data.get("footnotes") or []) if str(f).strip()),
    )
