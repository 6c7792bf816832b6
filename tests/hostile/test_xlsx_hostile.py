"""Hostile and unlucky workbooks: each is answered for its own unit (a clear error or a normal
result), never by killing or exhausting the process."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from builders import add_cell, add_doctype, inflate_member, lie_about_size, read_member, rewrite_zip, sheet_part
from unitbook import sync

from sheetsync.backends.xlsx import ooxml
from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.errors import SourceTooLarge, SourceUnreadable

TASKS = "Nhiệm vụ"


def _isolated(code: str) -> subprocess.CompletedProcess:
    """Run in a child process: a Rust abort there cannot take the test run down with it."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


# -- item 1: a cell at the far end of a sheet ------------------------------------------------------

def test_a_cell_at_XFD1048576_is_read_sparsely_and_the_unit_syncs(unit_file):
    add_cell(unit_file, TASKS, "XFD1048576")
    # In a child process: before the fix, calamine aborted the interpreter (exit 134).
    proc = _isolated(
        "import sys; sys.path[:0] = ['tests']\n"
        "from unitbook import sync\n"
        f"r = sync(__import__('pathlib').Path({str(unit_file)!r}))\n"
        "print('error', r.error, 'written', r.written)\n")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "error None" in proc.stdout


def test_a_stray_cell_in_the_last_row_costs_neither_memory_nor_time(unit_file):
    add_cell(unit_file, TASKS, "A1048576", "NV999")
    t0 = time.perf_counter()
    result = sync(unit_file)
    elapsed = time.perf_counter() - t0
    assert result.error is None
    # The stray row is reported where it is, like any other row missing its required cells.
    f = result.evaluation.findings
    assert (f["cell"].astype(str).str.endswith("1048576") & (f["code"] == "field.required")).any()
    assert elapsed < 5  # before: 9 s and 1.3 GB building a million-row rectangle


def test_values_read_sparsely_are_the_values_read_densely(unit_file):
    dense = XlsxBackend(unit_file).read()
    add_cell(unit_file, TASKS, "XFD1048576")
    sparse = XlsxBackend(unit_file).read()
    for name, grid in dense.items():
        other = sparse[name]
        for r, row in enumerate(grid.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value not in ("", None):
                    assert other.cell(r, c) == value, (name, r, c)


def test_a_sheet_with_more_used_cells_than_the_bound_is_refused_for_its_unit(unit_file, small_limits):
    small_limits(MAX_USED_CELLS=20)
    with pytest.raises(SourceTooLarge, match="ô có dữ liệu"):
        XlsxBackend(unit_file).read()


def test_a_far_cell_in_every_row_is_too_wide_to_read(unit_file, small_limits):
    small_limits(MAX_DENSE_CELLS=20_000)
    add_cell(unit_file, TASKS, "XFD1")
    add_cell(unit_file, TASKS, "XFD2")
    with pytest.raises(SourceTooLarge, match="trải quá rộng"):
        XlsxBackend(unit_file).read()


# -- item 2: zip bombs -----------------------------------------------------------------------------

@pytest.mark.parametrize("member", ["xl/sharedStrings.xml", "docProps/core.xml", "sheet"])
def test_a_part_inflating_past_its_bound_refuses_the_unit(unit_file, small_limits, member):
    small_limits(MAX_PART_BYTES=4 << 20)
    if member == "sheet":
        member = sheet_part(unit_file, TASKS)
    try:
        read_member(unit_file, member)
    except KeyError:
        rewrite_zip(unit_file, {member: b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"></sst>'})
    inflate_member(unit_file, member, 6 << 20)
    with pytest.raises(SourceTooLarge, match="vượt giới hạn"):
        XlsxBackend(unit_file).read()


def test_all_parts_together_are_bounded_too(unit_file, small_limits):
    small_limits(MAX_PART_BYTES=4 << 20, MAX_TOTAL_BYTES=6 << 20)
    inflate_member(unit_file, "docProps/core.xml", 3 << 20)
    inflate_member(unit_file, "docProps/app.xml", 3 << 20)
    with pytest.raises(SourceTooLarge, match="toàn bộ tệp"):
        XlsxBackend(unit_file).read()


def test_a_header_that_lies_about_the_size_is_caught_by_inflating(unit_file, small_limits):
    small_limits(MAX_PART_BYTES=4 << 20)
    inflate_member(unit_file, "docProps/core.xml", 6 << 20)
    lie_about_size(unit_file, "docProps/core.xml", 1000)
    with pytest.raises((SourceTooLarge, SourceUnreadable)):
        XlsxBackend(unit_file).read()


def test_a_real_zip_bomb_is_refused_quickly_and_without_the_memory(unit_file):
    """A 300 MB sheet (real bounds) compressed into about a third of a megabyte."""
    inflate_member(unit_file, sheet_part(unit_file, TASKS), 300 << 20)
    assert unit_file.stat().st_size < 2 << 20
    proc = _isolated(
        "import sys; sys.path[:0] = ['tests']\n"
        "from sheetsync.backends.xlsx.backend import XlsxBackend\n"
        "from sheetsync.errors import SourceTooLarge\n"
        f"try:\n    XlsxBackend({str(unit_file)!r}).read()\n"
        "except SourceTooLarge as e:\n    print('refused', e.code)\n"
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print('rss', int(peak) // 1024)\n")  # VmHWM: ru_maxrss would include the parent before exec
    assert "refused source.too-large" in proc.stdout, proc.stderr[-2000:]
    assert int(proc.stdout.split("rss")[1]) < 400  # MB; reading it whole took 1.2–4.4 GB


def test_the_year_long_unit_stays_well_inside_the_bounds(tmp_path):
    from sheetsync.backends.xlsx.guard import check_package
    from sheetsync.limits import MAX_DENSE_CELLS, MAX_PART_BYTES

    sys.path.insert(0, "scripts")
    from bench_sync import build

    path = tmp_path / "year.xlsx"
    build(path, 20_000, 200)
    check_package(path)  # no error
    grids = XlsxBackend(path).read()
    tasks = grids[TASKS]
    assert len(tasks.rows) == 20_001
    assert len(tasks.rows) * tasks.last_col * 10 < MAX_DENSE_CELLS
    assert max(len(read_member(path, sheet_part(path, TASKS))), 1) * 10 < MAX_PART_BYTES


# -- item 8: DOCTYPE and entities --------------------------------------------------------------------

def test_an_internal_entity_is_refused_as_a_damaged_file_and_nothing_is_written(unit_file):
    part = sheet_part(unit_file, TASKS)
    add_doctype(unit_file, part)
    before = unit_file.read_bytes()
    with pytest.raises(SourceUnreadable, match="bị hỏng.*DOCTYPE"):
        sync(unit_file)
    assert unit_file.read_bytes() == before


def test_the_writer_refuses_a_part_with_a_doctype_even_when_called_directly(unit_file):
    add_doctype(unit_file, "xl/workbook.xml")
    before = unit_file.read_bytes()
    with pytest.raises(SourceUnreadable, match="DOCTYPE"):
        ooxml.patch_workbook(unit_file, [ooxml.SheetPatch(TASKS, {(2, 30): "x"})])
    assert unit_file.read_bytes() == before
