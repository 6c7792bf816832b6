"""Setting a unit up: a blank workbook, or a Google spreadsheet laid out for it."""

from __future__ import annotations

from pathlib import Path

from sheetsync.config.profile import load_profile
from sheetsync.config.schema import load_schemas
from sheetsync.errors import UsageError


def init(path: str | Path | None, unit: str, *, overwrite: bool = False, profile: str | None = None,
         create: bool = False, share_with: list[str] | None = None):
    """Create a blank unit workbook (.xlsx → its Path), or lay out a Google spreadsheet
    (`gsheet:<id>` or URL; `create=True` makes a new one through Drive) → `google.init.InitResult`."""
    from sheetsync.backends import is_google_source

    if not path and not create:
        raise UsageError("Cần PATH (tệp .xlsx, gsheet:<mã> hoặc đường dẫn Google Sheets) hoặc --create.")
    prof = load_profile(profile)
    schemas = load_schemas().with_ratings(prof.scale)  # the rating dropdowns list the profile's bands
    if create or is_google_source(str(path)):
        from sheetsync.backends.google.init import init_google

        return init_google(None if create else str(path), schemas, unit, overwrite=overwrite,
                           profile_bonus=bool(prof.bonus_field), create=create, share_with=share_with)
    from sheetsync.backends.xlsx.init import init_workbook

    return init_workbook(path, schemas, unit, overwrite=overwrite, profile_bonus=bool(prof.bonus_field))
