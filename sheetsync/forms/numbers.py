"""Rounding and number text shared by every renderer, so xlsx, HTML and PDF show the same figures."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sheetsync.forms.model import is_missing


def round_half_up(value: Any, places: int = 2) -> float | None:
    """Round half up on the decimal text of the number (scoring.md's rule), None when missing.

    Going through ``str`` rounds 2.675 to 2.68 as a person would, where binary floats give 2.67.
    """
    if is_missing(value):
        return None
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(str(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def percent(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``, rounded half up to 2 decimals; None when whole is 0."""
    if whole == 0:
        return None
    quantum = Decimal("0.01")
    return float((Decimal(100 * part) / Decimal(whole)).quantize(quantum, rounding=ROUND_HALF_UP))


def format_number(value: float | int | None, decimals: int = 2, decimal_sep: str = ",",
                  thousands_sep: str = ".") -> str:
    """Number as text with the office's separators (Vietnamese: ``1.234,50``); "" when missing."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.translate(str.maketrans({",": thousands_sep, ".": decimal_sep}))
