"""Names of what a report covers: file-safe slugs, file names and template placeholders."""

from __future__ import annotations

import re
import unicodedata

from sheetsync.domain.calendar import month_label
from sheetsync.forms.model import WardInfo, clean_text


def slug(name: str, max_length: int = 60) -> str:
    """A readable, filesystem-safe ASCII name: ``Phường Ba Đình`` -> ``Phuong_Ba_Dinh``."""
    text = clean_text(name).replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
    return text[:max_length].rstrip("_") or "Don_vi"


def unique_slugs(names: list[str]) -> list[str]:
    """Slugs for several scopes, suffixed _2, _3... where two names fold to the same slug."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        base = slug(name)
        key = base.casefold()  # Windows and macOS file systems ignore case
        seen[key] = seen.get(key, 0) + 1
        out.append(base if seen[key] == 1 else f"{base}_{seen[key]}")
    return out


def form_file_name(form: str, scope_slug: str, month: str, ext: str) -> str:
    """``Mau_01A_Phuong_Ba_Dinh_2026-03.xlsx``; ``form`` may be ``01A_02A`` for the joint page."""
    return f"Mau_{form}_{scope_slug}_{month}.{ext}"


PLACE_BLANK = "…………"


def placeholder_context(scope_name: str, ward: WardInfo, month: str) -> dict[str, str]:
    """Values for the ``{placeholders}`` of the layout templates."""
    scope = clean_text(scope_name)
    return {
        "scope": scope,
        "scope_upper": scope.upper(),
        "ward": clean_text(ward.name),
        "issuing_body": clean_text(ward.issuing_body),
        # No place known (a single workbook, no `place:`): a dotted blank to write it in by hand,
        # never a date line starting with a bare comma.
        "place": clean_text(ward.place).strip() or PLACE_BLANK,
        "month": month_label(month),
        "mm": month[5:7],
        "yyyy": month[:4],
    }
