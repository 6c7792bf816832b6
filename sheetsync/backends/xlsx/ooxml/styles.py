"""Named cell styles (header, engine, warning, ...) mapped to cellXfs indexes of styles.xml.

Engine cells need a handful of formats; `_StyleBook` finds an existing identical font, fill,
border or xf before adding one, so repeated syncs never grow styles.xml, and it parses
styles.xml only when a style is actually needed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree

from sheetsync.backends.xlsx.ooxml.package import _Package
from sheetsync.backends.xlsx.ooxml.xmltree import _insert_in_order, _local, _parse_xml, _serialize

# The one font of sheetsync's workbooks (`init`, engine styles): named, so that Excel, LibreOffice
# and Google Sheets all show it rather than each its own default. Arial: present on Windows and
# macOS, Google Sheets' default, metric-compatible Liberation Sans (with Vietnamese) on Linux;
# Arial 10 has Calibri 11's digit width, so column widths mean the same.
FONT_NAME = "Arial"
FONT_SIZE = 10


@dataclass(frozen=True)
class _StyleSpec:
    bold: bool = False
    italic: bool = False
    size: float | None = None
    font_color: str | None = None  # ARGB
    fill: str | None = None  # ARGB of a solid fill
    border: bool = False
    num_fmt: int = 0  # built-in formats only: 1 = "0", 2 = "0.00"
    wrap: bool = False
    vertical: str | None = None


_STYLES: dict[str, _StyleSpec] = {
    "title": _StyleSpec(bold=True, size=14),
    "header": _StyleSpec(bold=True, fill="FFD9D9D9", border=True, wrap=True, vertical="center"),
    # Engine tabs carry no row heights (neither Excel nor LibreOffice re-fits rows on open), so
    # plain text does not wrap: a long line runs on over the empty cells to its right.
    "text": _StyleSpec(vertical="top"),
    "number": _StyleSpec(num_fmt=2, vertical="top"),
    "int": _StyleSpec(num_fmt=1, vertical="top"),
    "bold": _StyleSpec(bold=True, vertical="top"),
    "warning": _StyleSpec(fill="FFFCD5B4", vertical="top"),
    "error": _StyleSpec(fill="FFFFC7CE", vertical="top"),
    "muted": _StyleSpec(italic=True, font_color="FF808080", vertical="top"),
    # Engine-owned cells in user tabs: visibly "not yours" but quiet.
    "engine": _StyleSpec(fill="FFF2F2F2", wrap=True, vertical="top"),
    "engine_header": _StyleSpec(bold=True, fill="FFBFBFBF", wrap=True, vertical="top"),
}
STYLE_NAMES: frozenset[str] = frozenset(_STYLES)

_STYLESHEET_ORDER = [
    "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
    "tableStyles", "colors", "extLst",
]

_MINIMAL_STYLES = (
    '<styleSheet xmlns="{ns}"><fonts count="1"><font><sz val="10"/><name val="Arial"/>'
    '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/>'
    "<right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count=\"1\"><xf numFmtId=\"0\" "
    'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" '
    'fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle '
    'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _element_key(el: etree._Element) -> tuple:
    """Structural identity of a style element, independent of prefixes and attribute order."""
    attrs = tuple(sorted((_local(k) if k.startswith("{") else k, v) for k, v in el.attrib.items()))
    children = tuple(_element_key(c) for c in el if isinstance(c.tag, str))
    return (_local(el.tag), attrs, children)


class _StyleBook:
    """Maps style names to cellXfs indexes, adding fonts/fills/borders/xfs only when missing."""

    def __init__(self, package: _Package) -> None:
        self._package = package
        self._part: str | None = None
        self._root: etree._Element | None = None  # parsed on first use: often not needed at all
        self._ns = ""
        self._cache: dict[str, int] = {}
        self._changed = False

    def _load(self) -> None:
        self._part = self._package.styles_part()
        if self._part is None:
            # A workbook without styles.xml (some generators): start from Excel's minimum.
            self._root = _parse_xml(_MINIMAL_STYLES.format(ns=self._package.main_ns).encode(), "styles.xml")
            self._changed = True
        else:
            self._root = _parse_xml(self._package.read(self._part), self._part)
        self._ns = etree.QName(self._root).namespace or ""

    def _section(self, name: str) -> etree._Element:
        el = self._root.find(f"{{{self._ns}}}{name}")
        if el is None:
            el = etree.Element(f"{{{self._ns}}}{name}")
            _insert_in_order(self._root, el, _STYLESHEET_ORDER)
            self._changed = True
        return el

    def _find_or_add(self, section_name: str, candidate: etree._Element, reserved: int = 0) -> int:
        section = self._section(section_name)
        items = [c for c in section if isinstance(c.tag, str)]
        key = _element_key(candidate)
        for i, item in enumerate(items):
            if i >= reserved and _element_key(item) == key:
                return i
        if section_name == "fills":
            # Excel reserves fill 0 (none) and 1 (gray125) whatever they say; pad if missing.
            for pattern in ("none", "gray125")[len(items):]:
                fill = etree.SubElement(section, f"{{{self._ns}}}fill")
                etree.SubElement(fill, f"{{{self._ns}}}patternFill").set("patternType", pattern)
                items.append(fill)
        section.append(candidate)
        section.set("count", str(len(items) + 1))
        self._changed = True
        return len(items)

    def _e(self, tag: str, **attrs: str) -> etree._Element:
        el = etree.Element(f"{{{self._ns}}}{tag}")
        for k, v in attrs.items():
            el.set(k, v)
        return el

    def _font_id(self, spec: _StyleSpec) -> int:
        fonts = [c for c in self._section("fonts") if isinstance(c.tag, str)]
        named = bool(fonts) and fonts[0].find(f"{{{self._ns}}}name") is not None
        if not (spec.bold or spec.italic or spec.size or spec.font_color) and named:
            return 0
        # Derive from the workbook's default font so engine text matches the user's typeface,
        # always with a name (an unnamed font is shown in each program's own default).
        font = copy.deepcopy(fonts[0]) if fonts else self._e("font")
        if font.find(f"{{{self._ns}}}name") is None:
            font.append(self._e("name", val=FONT_NAME))
        for child in list(font):
            if _local(child.tag) in ("b", "i") or (_local(child.tag) == "color" and spec.font_color):
                font.remove(child)
        if spec.italic:
            font.insert(0, self._e("i"))
        if spec.bold:
            font.insert(0, self._e("b"))
        if spec.size:
            sz = font.find(f"{{{self._ns}}}sz")
            if sz is None:
                sz = etree.SubElement(font, f"{{{self._ns}}}sz")
            sz.set("val", f"{spec.size:g}")
        if spec.font_color:
            font.append(self._e("color", rgb=spec.font_color))
        return self._find_or_add("fonts", font)

    def _fill_id(self, spec: _StyleSpec) -> int:
        if not spec.fill:
            return 0
        fill = self._e("fill")
        pattern = etree.SubElement(fill, f"{{{self._ns}}}patternFill", patternType="solid")
        pattern.append(self._e("fgColor", rgb=spec.fill))
        pattern.append(self._e("bgColor", indexed="64"))
        return self._find_or_add("fills", fill, reserved=2)

    def _border_id(self, spec: _StyleSpec) -> int:
        if not spec.border:
            return 0
        border = self._e("border")
        for side in ("left", "right", "top", "bottom"):
            etree.SubElement(border, f"{{{self._ns}}}{side}", style="thin").append(self._e("color", indexed="64"))
        border.append(self._e("diagonal"))
        return self._find_or_add("borders", border)

    def xf_id(self, name: str) -> int:
        """Index into cellXfs for a named style (see STYLE_NAMES)."""
        if name in self._cache:
            return self._cache[name]
        if self._root is None:
            self._load()
        spec = _STYLES.get(name)
        if spec is None:
            raise ValueError(f"unknown style {name!r}; expected one of {sorted(STYLE_NAMES)}")
        font, fill, border = self._font_id(spec), self._fill_id(spec), self._border_id(spec)
        xf = self._e("xf", numFmtId=str(spec.num_fmt), fontId=str(font), fillId=str(fill), borderId=str(border))
        style_xfs = self._root.find(f"{{{self._ns}}}cellStyleXfs")
        if style_xfs is not None and any(isinstance(c.tag, str) for c in style_xfs):
            xf.set("xfId", "0")  # based on the "Normal" cell style
        for flag, used in (("applyNumberFormat", spec.num_fmt), ("applyFont", font), ("applyFill", fill),
                           ("applyBorder", border), ("applyAlignment", spec.wrap or spec.vertical)):
            if used:
                xf.set(flag, "1")
        if spec.wrap or spec.vertical:
            align = etree.SubElement(xf, f"{{{self._ns}}}alignment")
            if spec.vertical:
                align.set("vertical", spec.vertical)
            if spec.wrap:
                align.set("wrapText", "1")
        self._cache[name] = self._find_or_add("cellXfs", xf)
        return self._cache[name]

    def stage(self) -> None:
        """Stage styles.xml in the package if an entry had to be added."""
        if not self._changed or self._root is None:
            return
        data = _serialize(self._root)
        if self._part is None:
            self._part = self._package.add_styles(data)
        else:
            self._package.write(self._part, data)
