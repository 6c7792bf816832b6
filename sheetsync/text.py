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
    """A value quoted in a message: one line, at most `limit` characters."""
    one_line = _SPACES.sub(" ", str(text)).strip()
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
