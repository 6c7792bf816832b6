"""Fixtures shared by the engine tests (helpers live in unitbook.py)."""

import pytest
from unitbook import SCHEMAS, UnitBook

from sheetsync.config.profile import load_profile


@pytest.fixture
def schemas():
    return SCHEMAS


@pytest.fixture
def profile():
    return load_profile("nd335")


@pytest.fixture
def book(tmp_path) -> UnitBook:
    return UnitBook(tmp_path / "unit.xlsx")


