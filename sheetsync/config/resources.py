"""Where the bundled schemas and templates live: beside the package in a source checkout,
inside it (`sheetsync/_data/`) in an installed wheel. SHEETSYNC_SCHEMAS overrides."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # the sheetsync package
_FOUND: dict[str, Path] = {}


def _find(name: str) -> Path:
    """The bundled folder, looked for once per process (reading the schemas asks for it at every
    yes/no setting: hundreds of times)."""
    found = _FOUND.get(name)
    if found is not None:
        return found
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            _FOUND[name] = candidate
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found next to {_PACKAGE}")


def schemas_dir() -> Path:
    env = os.environ.get("SHEETSYNC_SCHEMAS")
    return Path(env) if env else _find("schemas")


def templates_dir() -> Path:
    env = os.environ.get("SHEETSYNC_TEMPLATES")
    return Path(env) if env else _find("templates")


def profiles_dir() -> Path:
    return schemas_dir() / "profiles"

