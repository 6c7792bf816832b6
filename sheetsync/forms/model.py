"""The input contract between the scoring engine and the report forms.

The engine fills :class:`UnitResults` (one per unit) and :class:`WardInfo`; everything in
``sheetsync.forms`` reads only these, so the forms can be built and tested without the engine.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pandas

from sheetsync.domain.ratings import RatingScale
from sheetsync.results import COMPONENT_FIELDS

CATEGORIES = ("Cán bộ", "Công chức", "Viên chức", "Lao động hợp đồng")
_CATEGORY_LOOKUP = {c.casefold(): c for c in CATEGORIES}

PEOPLE_COLUMNS = (
    "staff_id", "full_name", "position", "department", "category",
    *COMPONENT_FIELDS, "general_points", "task_points", "total_points",
    "self_rating", "suggested_rating", "approved_rating",
    "provisional", "notes",
)


@functools.cache
def default_scale() -> RatingScale:
    """The default profile's rating scale, for forms built without one (tests, scripts)."""
    from sheetsync.config.profile import load_profile

    return load_profile().scale


@dataclass
class UnitResults:
    """One unit's scored month, as the engine hands it to the forms."""

    unit: str
    month: str  # "YYYY-MM"
    people: pandas.DataFrame  # one row per person on the roster, roster order; see PEOPLE_COLUMNS
    notes: list[str] = field(default_factory=list)


@dataclass
class WardInfo:
    """Who issues the consolidated forms, the quota drawn on the chart, and the profile's rating
    scale (the columns of 01A, the chart's series; default: the default profile's)."""

    name: str
    issuing_body: str
    place: str
    quota: dict = field(default_factory=dict)
    scale: RatingScale | None = None

    @property
    def ratings(self) -> RatingScale:
        return self.scale or default_scale()


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


def normalize_rating(value: Any, scale: RatingScale | None = None) -> str | None:
    """Map a rating cell to a rating of the scale (name, code, short label or alias accepted),
    None if empty. An unknown rating is an engine bug; failing loudly keeps the counts honest."""
    text = clean_text(value)
    if not text:
        return None
    rating = (scale or default_scale()).normalize(text)
    if rating is None:
        raise ValueError(f"Xếp loại không hợp lệ: {text!r}")
    return rating


def normalize_category(value: Any) -> str | None:
    """One of CATEGORIES, or None when empty or not a known Đối tượng."""
    text = clean_text(value)
    return _CATEGORY_LOOKUP.get(" ".join(text.split()).casefold()) if text else None


def final_rating(person: dict | pandas.Series, scale: RatingScale | None = None) -> str | None:
    """The approved rating where present, else the suggested one (the rule of scoring.md)."""
    approved = normalize_rating(person.get("approved_rating"), scale)
    return approved if approved is not None else normalize_rating(person.get("suggested_rating"), scale)


def is_truthy(value: Any) -> bool:
    """Tolerant bool for the ``provisional`` column (bool, 0/1, NaN)."""
    if is_missing(value):
        return False
    return bool(value)
