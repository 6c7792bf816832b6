"""A cell's formula and cached value, and shared formulas seen from another cell of their range.

Needed twice: a scan must tell a formula that was never calculated from an empty cell, and a
write that overwrites a shared formula's master must spell the formula out in its dependents.
"""

from __future__ import annotations

from dataclasses import dataclass

from sheetsync.backends.xlsx.ooxml.rows import _Cell
from sheetsync.backends.xlsx.ooxml.tags import _attr, _attrs, _Pat
from sheetsync.backends.xlsx.ooxml.xmltext import _xml_unescape
from sheetsync.domain.a1 import cell_ref


@dataclass
class _Formula:
    attrs: list[tuple[bytes, bytes]]
    text: str | None  # None for <f .../> (shared-formula dependents)
    span: tuple[int, int]  # within the cell's inner bytes

    @property
    def shared_index(self) -> str | None:
        return _attr(self.attrs, b"si") if _attr(self.attrs, b"t") == "shared" else None


def _formula(cell: _Cell, pat: _Pat) -> _Formula | None:
    if not cell.inner:
        return None
    m = pat.f_tag.search(cell.inner)
    if m is None:
        return None
    text = _xml_unescape(m.group(2)) if m.group(2) is not None else None
    return _Formula(_attrs(m.group(1)), text, m.span())


def _cached_value(cell: _Cell, pat: _Pat) -> bytes | None:
    """The raw <v> text; None when there is no <v> element at all."""
    m = pat.v_elem.search(cell.inner) if cell.inner else None
    if m is None:
        return None
    return m.group(1) or b""


def _translate(formula: str, origin: tuple[int, int], dest: tuple[int, int]) -> str | None:
    """A shared formula's text as seen from another cell of its range."""
    from openpyxl.formula.translate import Translator, TranslatorError

    try:
        out = Translator("=" + formula, origin=cell_ref(*origin)).translate_formula(cell_ref(*dest))
    except (TranslatorError, ValueError):
        return None
    return out[1:] if out.startswith("=") else out
