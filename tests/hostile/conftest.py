"""Fixtures for the hostile-input tests: every hostile file is built here, at test time, from a
real unit workbook made by `init` (see builders.py); none is committed as a blob."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from builders import good_unit  # noqa: E402


@pytest.fixture
def unit_file(tmp_path) -> Path:
    """A small valid unit workbook (one person, one task, one evaluation)."""
    return good_unit(tmp_path / "don-vi.xlsx")


@pytest.fixture
def small_limits(monkeypatch):
    """Bounds scaled down so a test can cross them with a few megabytes."""
    def set_limits(**values):
        for name, value in values.items():
            monkeypatch.setenv(f"SHEETSYNC_LIMIT_{name}", str(value))
    return set_limits
