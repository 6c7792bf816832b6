"""The rating scale: the names a profile's bands give, best first, with their codes, short
labels and the other spellings people type.

A profile may have any number of bands with any names; nothing else in sheetsync may assume
four ratings or their Decree 335 names. Codes and aliases of the usual names come from the
`rating` enum of `schemas/enums.yaml`; a band may give its own `code`, `short` and `aliases`;
a name known to neither gets its initials as code (`Hoàn thành tốt nhiệm vụ` → `HTTNV`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sheetsync.text import normalize_key


@dataclass(frozen=True)
class Rating:
    name: str
    code: str
    short: str
    aliases: tuple[str, ...] = ()
    min: float | None = None  # the band's lower edge on the total (None: everything below)


def initials(name: str) -> str:
    """`Hoàn thành xuất sắc nhiệm vụ` → `HTXSNV`: the codes offices write, made from any name."""
    letters = []
    for word in name.split():
        base = unicodedata.normalize("NFD", word)[0]
        letters.append("D" if base in "đĐ" else base.upper())
    return "".join(letters)


@dataclass(frozen=True)
class RatingScale:
    """Ratings best first; every lookup accepts the name, the code, the short label or an alias."""

    ratings: tuple[Rating, ...]
    _lookup: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        table: dict[str, str] = {}
        for r in self.ratings:
            for text in (r.name, r.code, r.short, *r.aliases):
                if text:
                    table.setdefault(normalize_key(text), r.name)
        object.__setattr__(self, "_lookup", table)

    @classmethod
    def build(cls, bands: Sequence[Mapping[str, Any]], known: Iterable[Mapping[str, Any]] = ()) -> RatingScale:
        """From a profile's bands (`rating`, `min`, optional `code`, `short`, `aliases`) and the
        enum's known values (`value`, `code`, `short`, `aliases`) for defaults."""
        by_name = {normalize_key(k["value"]): k for k in known}
        ratings = []
        for b in bands:
            name = str(b["rating"])
            k = by_name.get(normalize_key(name), {})
            code = str(b.get("code") or k.get("code") or initials(name))
            short = str(b.get("short") or k.get("short") or code)
            aliases = tuple(str(a) for a in (*(k.get("aliases") or ()), *(b.get("aliases") or ())))
            ratings.append(Rating(name, code, short, aliases, b.get("min")))
        return cls(tuple(ratings))

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.ratings]

    def __len__(self) -> int:
        return len(self.ratings)

    def __iter__(self):
        return iter(self.ratings)

    def get(self, value: Any) -> Rating | None:
        name = self.normalize(value)
        return None if name is None else self.ratings[self.rank(name)]

    def normalize(self, value: Any) -> str | None:
        """The rating's name for any accepted spelling; None for blanks and unknown text."""
        if value is None or (isinstance(value, float) and value != value):
            return None
        text = str(value).strip()
        return self._lookup.get(normalize_key(text)) if text else None

    def code(self, value: Any) -> str:
        r = self.get(value)
        return r.code if r else ""

    def short(self, value: Any) -> str:
        r = self.get(value)
        return r.short if r else ""

    def rank(self, name: str) -> int:
        """0 for the best rating."""
        return self.names.index(name)

    @property
    def lookup(self) -> dict[str, str]:
        """Normalised spelling → name (what the engine's enum parser takes)."""
        return dict(self._lookup)
