"""gspread's own test suite, run live against the emulator instead of its recorded cassettes.

The suite is gspread's code, so it is not kept in this repository: point
``SHEETS_EMULATOR_GSPREAD_TESTS`` at the ``tests/`` folder of a gspread checkout whose version
matches the installed gspread (``git clone --branch v6.2.1 https://github.com/burnash/gspread``).
The files are copied to a temporary folder, gspread's ``conftest.py`` is replaced by
``gspread_suite/conftest_for_gspread.py`` (its ``client`` fixture is bound to a fresh emulator,
no vcrpy), and pytest runs them in a subprocess. Every test must pass.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

gspread = pytest.importorskip("gspread")

ENV = "SHEETS_EMULATOR_GSPREAD_TESTS"
HERE = Path(__file__).parent
SUITE_FILES = ("cell_test.py", "client_test.py", "spreadsheet_test.py", "worksheet_test.py", "utils_test.py")


def _source() -> Path | None:
    value = os.environ.get(ENV)
    if not value:
        return None
    path = Path(value)
    return path if (path / "worksheet_test.py").is_file() else None


@pytest.mark.slow
def test_gspread_suite_passes_in_full_against_the_emulator(tmp_path):
    source = _source()
    if source is None:
        pytest.skip(f"gspread's test suite is not here: set {ENV} to the tests/ folder of gspread "
                    f"{gspread.__version__}")
    suite = tmp_path / "suite"
    package = suite / "tests"
    package.mkdir(parents=True)
    for name in SUITE_FILES:
        shutil.copy(source / name, package / name)
    (package / "__init__.py").write_text("", encoding="utf-8")
    shutil.copy(HERE / "gspread_suite" / "conftest_for_gspread.py", package / "conftest.py")
    (suite / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "tests"],
        cwd=suite, capture_output=True, text=True, timeout=600,
    )
    tail = result.stdout[-6000:] + result.stderr[-2000:]
    expected = sum(len(re.findall(r"^    def test_", (source / name).read_text(encoding="utf-8"), re.M))
                   for name in SUITE_FILES)
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, tail
    assert re.fullmatch(rf"{expected} passed in [\d.]+s( \(.*\))?", last), tail  # no skip, no xfail, none missing
