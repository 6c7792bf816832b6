"""Parsing and serialising whole XML parts with lxml (workbook.xml, rels, content types, styles).

Worksheets are patched as bytes (see `tags`, `patcher`); the small structural parts are parsed,
safely (no entities, no network), and written back with Excel's own XML declaration.
"""

from __future__ import annotations

from lxml import etree

from sheetsync.errors import SourceUnreadable

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _parse_xml(data: bytes, part: str) -> etree._Element:
    try:
        return etree.fromstring(data, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceUnreadable(f"Thành phần {part} của tệp không phải XML hợp lệ: {exc}") from exc


_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _serialize(root: etree._Element) -> bytes:
    # Excel's own declaration form (lxml would use single quotes).
    return _XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _insert_in_order(parent: etree._Element, child: etree._Element, order: list[str]) -> None:
    """Insert ``child`` before the first sibling that must follow it in schema order."""
    rank = order.index(_local(child.tag))
    for i, sibling in enumerate(parent):
        name = _local(sibling.tag)
        if name in order and order.index(name) > rank:
            parent.insert(i, child)
            return
    parent.append(child)
