"""Byte patterns for worksheet XML: start tags, their attributes, and where <sheetData> is.

Worksheets can be tens of megabytes, so they are never parsed whole: rows and cells are found
by regular expressions on the bytes, for whatever element prefix the generator bound ('' or
e.g. 'x:'). Comments and CDATA, which would fool byte search, are detected and refused.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from sheetsync.backends.xlsx.ooxml.xmltext import _xml_attr, _xml_unescape
from sheetsync.errors import SourceUnreadable

_PREFIX_RE = re.compile(rb"<([A-Za-z_][\w.\-]*:)?sheetData[\s/>]")
_ATTR_RE = re.compile(rb"([\w:.\-]+)\s*=\s*(\"[^\"]*\"|'[^']*')")


def _attrs(raw: bytes) -> list[tuple[bytes, bytes]]:
    """Attributes of a start tag as (name, quoted value) in document order."""
    return [(m.group(1), m.group(2)) for m in _ATTR_RE.finditer(raw)]


def _attr(attrs: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for k, v in attrs:
        if k == name:
            return _xml_unescape(v[1:-1])
    return None


def _render_attrs(attrs: list[tuple[bytes, bytes]]) -> bytes:
    return b"".join(b" " + k + b"=" + v for k, v in attrs)


def _set_attr(attrs: list[tuple[bytes, bytes]], name: bytes, value: str) -> list[tuple[bytes, bytes]]:
    quoted = b'"' + _xml_attr(value).encode() + b'"'
    out = [(k, quoted if k == name else v) for k, v in attrs]
    if all(k != name for k, _ in attrs):
        out.append((name, quoted))
    return out


def _is_true(value: str | None) -> bool:
    return value in ("1", "true")


@dataclass(frozen=True)
class _Pat:
    """Byte patterns for one element prefix ('' or e.g. 'x:' when a generator binds one)."""

    p: bytes
    sheet_data: re.Pattern[bytes]
    row_open: bytes
    row_tag: re.Pattern[bytes]
    row_close: bytes
    cell_tag: re.Pattern[bytes]
    cell_close: bytes
    f_tag: re.Pattern[bytes]
    v_elem: re.Pattern[bytes]
    cols: re.Pattern[bytes]
    col_tag: re.Pattern[bytes]
    dimension: re.Pattern[bytes]
    merge_cells: re.Pattern[bytes]


@functools.lru_cache(maxsize=8)
def _patterns(p: bytes) -> _Pat:
    e = re.escape(p)
    return _Pat(
        p=p,
        sheet_data=re.compile(rb"<" + e + rb"sheetData(?=[\s/>])[^>]*?(/?)>"),
        row_open=b"<" + p + b"row",
        row_tag=re.compile(rb"<" + e + rb"row(?=[\s/>])([^>]*?)(/?)>"),
        row_close=b"</" + p + b"row>",
        cell_tag=re.compile(rb"<" + e + rb"c(?=[\s/>])([^>]*?)(/?)>"),
        cell_close=b"</" + p + b"c>",
        f_tag=re.compile(rb"<" + e + rb"f(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + e + rb"f>)", re.S),
        v_elem=re.compile(rb"<" + e + rb"v(?=[\s/>])[^>]*?(?:/>|>(.*?)</" + e + rb"v>)", re.S),
        cols=re.compile(rb"<" + e + rb"cols(?=[\s/>])[^>]*?(?:/>|>.*?</" + e + rb"cols>)", re.S),
        col_tag=re.compile(rb"<" + e + rb"col(?=[\s/>])([^>]*?)/?>"),
        dimension=re.compile(rb"<" + e + rb"dimension(?=[\s/>])([^>]*?)/?>"),
        merge_cells=re.compile(rb"<" + e + rb"mergeCells(?=[\s/>])[^>]*?(?:/>|>.*?</" + e + rb"mergeCells>)", re.S),
    )


def _col_attrs(head: bytes, pat: _Pat) -> list[list[tuple[bytes, bytes]]]:
    """The attributes of each <col> of the worksheet's <cols>; ``head`` is the part before
    <sheetData>, where <cols> stands."""
    m = pat.cols.search(head)
    return [_attrs(c.group(1)) for c in pat.col_tag.finditer(m.group(0))] if m else []


def _set_dimension_ref(head: bytes, m: re.Match[bytes], pat: _Pat, ref: str) -> bytes:
    """``head`` with the <dimension> tag ``m`` found saying ``ref``, its other attributes kept."""
    tag = b"<" + pat.p + b"dimension" + _render_attrs(_set_attr(_attrs(m.group(1)), b"ref", ref)) + b"/>"
    return head[: m.start()] + tag + head[m.end() :]


_ROW_NUMBER_RE = re.compile(rb"(?<![\w:.\-])r\s*=\s*[\"'](\d+)[\"']")


@dataclass(frozen=True)
class _SheetDataSpan:
    pat: _Pat
    start: int  # start of <sheetData ...>
    content_start: int  # just after the start tag
    content_end: int  # start of </sheetData> (== content_start for <sheetData/>)
    end: int  # just after the element


def _locate_sheet_data(data: bytes, part: str) -> _SheetDataSpan:
    """Find <sheetData> (and the element prefix in use) with two byte searches."""
    m = _PREFIX_RE.search(data)
    if m is None:
        raise SourceUnreadable(f"Trang tính {part} không có phần dữ liệu (sheetData).")
    pat = _patterns(m.group(1) or b"")
    sd = pat.sheet_data.match(data, m.start())
    if sd is None:
        raise SourceUnreadable(f"Trang tính {part}: không nhận diện được thẻ sheetData.")
    if sd.group(1):
        return _SheetDataSpan(pat, sd.start(), sd.end(), sd.end(), sd.end())
    close = b"</" + pat.p + b"sheetData>"
    content_end = data.find(close, sd.end())
    if content_end < 0:
        raise SourceUnreadable(f"Trang tính {part}: thiếu thẻ đóng sheetData.")
    return _SheetDataSpan(pat, sd.start(), sd.end(), content_end, content_end + len(close))


def _has_markup_declaration(data: bytes, start: int = 0, end: int | None = None) -> bool:
    """Whether the bytes may hold a comment, CDATA section or DOCTYPE: all start with "<!", so
    without any "!" (one memchr pass, the common case) they hold none."""
    return data.find(b"!", start, len(data) if end is None else end) >= 0
