"""Text normalisation: one definition of "the same text" for headers, enums and keys.

Vietnamese typed on different keyboards arrives as NFC or NFD; people add stray spaces and
change case. Headers, tab names and enum values are compared on `normalize_key`.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalize_key(text: str) -> str:
    """NFC, case-folded, whitespace collapsed and stripped."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def normalize_keys(values) -> list[str]:
    """`normalize_key` over many strings, without a Python call per value."""
    nfc = unicodedata.normalize
    return [" ".join(nfc("NFC", x).casefold().split()) if isinstance(x, str) else
            (normalize_key(x) if x is not None else None) for x in values]


def shorten(text: str, limit: int = 40) -> str:
    """A value quoted in a message: one line, at most `limit` characters, control characters
    made visible (`visible`), so a cell holding ESC or BEL cannot act on the terminal."""
    one_line = _SPACES.sub(" ", visible(str(text), keep="\t\n\r")).strip()
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


MAX_CELL_CHARS = 32_767  # Excel's limit on a cell's text, counted in UTF-16 code units
# Characters XML 1.0 cannot carry at all (not even as character references).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def cell_text(text: str) -> str:
    """The text as a spreadsheet cell will hold it and read it back: XML-illegal characters
    removed, Excel's length limit applied (never splitting an emoji's surrogate pair)."""
    text = _XML_ILLEGAL.sub("", text)
    if len(text) <= MAX_CELL_CHARS // 2:  # cannot exceed the limit even if all astral
        return text
    units = text.encode("utf-16-le")
    if len(units) <= 2 * MAX_CELL_CHARS:
        return text
    cut = units[: 2 * MAX_CELL_CHARS]
    if 0xD800 <= int.from_bytes(cut[-2:], "little") <= 0xDBFF:
        cut = cut[:-2]
    return cut.decode("utf-16-le")


# Characters a terminal (or a log viewer) would act on instead of showing: C0 controls but tab
# and newline, DEL, C1 controls (0x9b is CSI on 8-bit terminals), and the bidirectional
# overrides that reorder what is shown.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _picture(m: re.Match) -> str:
    c = ord(m.group(0))
    if c < 0x20:
        return chr(0x2400 + c)  # ␛ for ESC, ␇ for BEL, ...
    if c == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{c:04X}>"


def visible(text: str, keep: str = "\t\n") -> str:
    """Control characters made visible but inert (ESC → ␛, BEL → ␇, CSI → <U+009B>), so a
    value echoed in a message cannot retitle, recolour or rewrite the terminal; `keep` lists
    the ones left as they are."""
    if keep:
        return _CONTROLS.sub(lambda m: m.group(0) if m.group(0) in keep else _picture(m), text)
    return _CONTROLS.sub(_picture, text)


def terminal_safe(text: str) -> str:
    """Text as it may reach a terminal: control characters made visible and inert (`visible`);
    a cell echoed in a message must never move the cursor, retitle the window or ring the bell."""
    return visible(text)
