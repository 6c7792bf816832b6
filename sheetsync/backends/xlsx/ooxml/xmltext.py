"""Cell values as SpreadsheetML text, and entity references back to text.

The patcher writes XML as bytes without a serializer, so escaping (including Excel's own
"_xHHHH_" escape and the CR that XML parsers would otherwise normalise) must be exact here.
"""

from __future__ import annotations

import math
import numbers
import re

from sheetsync.backends.xlsx.ooxml.model import CellValue
from sheetsync.text import cell_text

# Characters XML 1.0 cannot carry at all (not even as character references).
# Excel decodes "_xHHHH_" inside cell text as a character escape, so a literal
# occurrence must have its underscore escaped as "_x005F_" to survive.
_OOXML_ESCAPE_LIKE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")


def _xml_text(text: str) -> str:
    # "\r" must be a character reference: XML parsers normalise raw CR/CRLF to LF.
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _xml_attr(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _cell_text_xml(text: str) -> str:
    return _xml_text(_OOXML_ESCAPE_LIKE.sub("_x005F_", cell_text(text)))


_ENTITY_RE = re.compile(r"&(#x[0-9A-Fa-f]+|#\d+|amp|lt|gt|quot|apos);")
_NAMED_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _xml_unescape(raw: bytes) -> str:
    def sub(m: re.Match[str]) -> str:
        ent = m.group(1)
        if ent.startswith("#x"):
            return chr(int(ent[2:], 16))
        if ent.startswith("#"):
            return chr(int(ent[1:]))
        return _NAMED_ENTITIES[ent]

    return _ENTITY_RE.sub(sub, raw.decode("utf-8"))


def _number_text(value: object) -> str | None:
    """Text for <v>, or None when the value is not a finite number (NaN/inf are 'no value')."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    f = float(value)  # type: ignore[arg-type]
    if not math.isfinite(f):
        return None
    # repr() of a Python float is the shortest text that round-trips exactly.
    return repr(f)


def _check_value(value: object, where: str) -> None:
    if value is None or isinstance(value, (str, bool, numbers.Real)):
        return
    raise TypeError(f"{where}: unsupported cell value type {type(value).__name__!r}")


def _value_xml(value: CellValue, p: str = "") -> tuple[str | None, str]:
    """(t attribute, inner XML) for a value; ``p`` is the element prefix in use ("" or "x:")."""
    if value is None:
        return None, ""
    if isinstance(value, str):
        # Always an inline string: never a formula, and sharedStrings.xml stays untouched.
        return "inlineStr", f'<{p}is><{p}t xml:space="preserve">{_cell_text_xml(value)}</{p}t></{p}is>'
    if isinstance(value, bool):
        return "b", f"<{p}v>{'1' if value else '0'}</{p}v>"
    text = _number_text(value)
    if text is None:
        return None, ""
    return None, f"<{p}v>{text}</{p}v>"
