"""The input contract between the scoring engine and the report forms.

The engine fills :class:`UnitResults` (one per unit) and :class:`WardInfo`; everything in
``sheetsync.forms`` reads only these, so the forms can be built and tested without the engine.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pandas

RATINGS = (
    "Hoàn thành xuất sắc nhiệm vụ",
    "Hoàn thành tốt nhiệm vụ",
    "Hoàn thành nhiệm vụ",
    "Không hoàn thành nhiệm vụ",
)
CATEGORIES = ("Cán bộ", "Công chức", "Viên chức", "Lao động hợp đồng")

# Short codes used as column keys in the layout templates and as compact cell text.
RATING_CODES = dict(zip(RATINGS, ("HTXSNV", "HTTNV", "HTNV", "KHTNV")))
_RATING_ALIASES = {
    **{r.casefold(): r for r in RATINGS},
    **{c.casefold(): r for r, c in RATING_CODES.items()},
    **{letter.casefold(): r for letter, r in zip("ABCD", RATINGS)},
}
_CATEGORY_LOOKUP = {c.casefold(): c for c in CATEGORIES}

PEOPLE_COLUMNS = (
    "staff_id", "full_name", "position", "department", "category",
    "score_a", "score_b", "score_c", "score_d", "score_dd", "score_e",
    "general_points", "task_points", "total_points",
    "self_rating", "suggested_rating", "approved_rating",
    "provisional", "notes",
)


@dataclass
class UnitResults:
    """One unit's scored month, as the engine hands it to the forms."""

    unit: str
    month: str  # "YYYY-MM"
    people: pandas.DataFrame  # one row per person on the roster, roster order; see PEOPLE_COLUMNS
    notes: list[str] = field(default_factory=list)


@dataclass
class WardInfo:
    """Who issues the consolidated forms, and the quota drawn on the chart."""

    name: str
    issuing_body: str
    place: str
    quota: dict = field(default_factory=dict)


def is_missing(value: Any) -> bool:
    """True for None, NaN, pandas NA and blank strings: cells nobody filled."""
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pandas.isna(value))  # None, NaN of any float width, NA, NaT
    except (TypeError, ValueError):  # containers: not a missing scalar
        return False


def clean_text(value: Any) -> str:
    """Text for display: NFC (sheets typed on some keyboards arrive as NFD), trimmed, "" if empty."""
    if is_missing(value):
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def normalize_rating(value: Any) -> str | None:
    """Map a rating cell to one of RATINGS (full text, code or letter accepted), None if empty.

    An unknown rating is an engine bug; failing loudly keeps the form's counts honest.
    """
    text = clean_text(value)
    if not text:
        return None
    rating = _RATING_ALIASES.get(" ".join(text.split()).casefold())
    if rating is None:
        raise ValueError(f"Xếp loại không hợp lệ: {text!r}")
    return rating


def normalize_category(value: Any) -> str | None:
    """One of CATEGORIES, or None when empty or not a known Đối tượng."""
    text = clean_text(value)
    return _CATEGORY_LOOKUP.get(" ".join(text.split()).casefold()) if text else None


def final_rating(person: dict | pandas.Series) -> str | None:
    """The approved rating where present, else the suggested one (the rule of scoring.md)."""
    approved = normalize_rating(person.get("approved_rating"))
    return approved if approved is not None else normalize_rating(person.get("suggested_rating"))


def is_truthy(value: Any) -> bool:
    """Tolerant bool for the ``provisional`` column (bool, 0/1, NaN)."""
    if is_missing(value):
        return False
    return bool(value)
