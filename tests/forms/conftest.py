"""Fixtures for the form tests: the synthetic month and the reports written from it once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # sample_data lives beside the tests

from sample_data import sample_units, sample_ward  # noqa: E402

from sheetsync.forms import write_reports  # noqa: E402
from sheetsync.forms.pdf import find_browser  # noqa: E402


@pytest.fixture
def units():
    return sample_units()


@pytest.fixture
def ward():
    return sample_ward()


@pytest.fixture(scope="session")
def browser() -> Path:
    path = find_browser()
    if path is None:
        pytest.skip("Không có trình duyệt Chromium/Chrome/Edge trên máy (apt install chromium)")
    return path


@pytest.fixture(scope="session")
def reports(tmp_path_factory):
    """xlsx + HTML (+ PDF where a browser exists) for the 3 units and the ward, written once."""
    out = tmp_path_factory.mktemp("reports")
    return write_reports(sample_units(), sample_ward(), out)
