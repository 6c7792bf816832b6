"""Where a command's history store lives, decided without loading the database libraries: a
command that ends up with no store (`--store none`, a validate with no store yet) never
imports SQLAlchemy."""

from __future__ import annotations

import os

DEFAULT_FILE = "sheetsync.db"
SCHEMA_VERSION = 11  # the store schema this version writes: migrations.LATEST (checked by a test)

NO_STORE = ("none", "off", "0", "no")


def store_target(explicit: str | os.PathLike | None, sources: list[str]) -> str | None:
    """Where a command's store lives: the path or URL it was given (`none` for no store), else
    `SHEETSYNC_STORE`, else `default_store_path`. None means: no store. Every command asks here,
    so sync, report and the history commands always meet in the same store."""
    choice = str(explicit) if explicit is not None else (os.environ.get("SHEETSYNC_STORE", "").strip() or None)
    if choice is not None:
        return None if choice.strip().lower() in NO_STORE else choice
    return default_store_path(list(sources))


def default_store_path(sources: list[str]) -> str | None:
    """Where the store lives when `--store` is not given: beside the ward file, else beside the
    first workbook (or inside the folder of workbooks); None for remote-only sources."""
    from pathlib import Path

    for spec in sources:
        if spec.startswith(("gsheet:", "https://")):
            continue
        p = Path(spec)
        if p.is_dir():
            return str(p / DEFAULT_FILE)
        return str(p.parent / DEFAULT_FILE)
    return None
