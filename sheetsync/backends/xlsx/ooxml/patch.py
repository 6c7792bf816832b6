"""`patch_workbook`: engine cells and engine tabs written into a workbook in one atomic save.

It checks the requests (positions, values, styles), stages cell patches and tab replacements
in the package, drops calcChain when formulas were overwritten, asks Excel to recalculate, and
hands the package to `atomic` — or touches nothing when the content is already there.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from sheetsync.backends.xlsx.ooxml.atomic import _write_atomically, check_not_locked
from sheetsync.backends.xlsx.ooxml.generated import (
    _cols_xml,
    _default_widths,
    _dimension_ref,
    _grid_rows_xml,
    _new_sheet_xml,
    _replace_sheet_content,
)
from sheetsync.backends.xlsx.ooxml.identity import fingerprint
from sheetsync.backends.xlsx.ooxml.messages import _changed_error
from sheetsync.backends.xlsx.ooxml.model import MAX_COLS, MAX_ROWS, PathLike, SheetPatch, StyledCell
from sheetsync.backends.xlsx.ooxml.package import _Package, _sheet_key
from sheetsync.backends.xlsx.ooxml.patcher import _SheetPatcher, _Write
from sheetsync.backends.xlsx.ooxml.styles import _STYLES, _StyleBook
from sheetsync.backends.xlsx.ooxml.tags import _locate_sheet_data
from sheetsync.backends.xlsx.ooxml.xmltext import _check_value


def _validate_position(pos: object, where: str) -> tuple[int, int]:
    ok = isinstance(pos, tuple) and len(pos) == 2 and all(isinstance(x, numbers.Integral) for x in pos)
    if ok:
        row, col = int(pos[0]), int(pos[1])  # type: ignore[index]
        if 1 <= row <= MAX_ROWS and 1 <= col <= MAX_COLS:
            return row, col
    raise ValueError(f"{where}: cell position {pos!r} is not a valid 1-based (row, col) in a sheet")


def _collect_heights(patches: Sequence[SheetPatch]) -> dict[str, dict[int, float]]:
    """Row heights per sheet (named as in the first patch naming it)."""
    out: dict[str, dict[int, float]] = {}
    names: dict[str, str] = {}
    for patch in patches:
        if not patch.row_heights:
            continue
        key = _sheet_key(patch.sheet)
        names.setdefault(key, patch.sheet)
        target = out.setdefault(names[key], {})
        for row, height in patch.row_heights.items():
            if not (isinstance(row, numbers.Integral) and 1 <= int(row) <= MAX_ROWS):
                raise ValueError(f"sheet {patch.sheet!r}: row {row!r} is not a valid 1-based row")
            if not (isinstance(height, numbers.Real) and 0 <= float(height) <= 409):
                raise ValueError(f"sheet {patch.sheet!r}: row height {height!r} is not 0–409 points")
            target[int(row)] = float(height)
    return out


def _collect_writes(patches: Sequence[SheetPatch]) -> dict[str, dict[tuple[int, int], _Write]]:
    """Merge patches per sheet; the same cell written twice with different values is a bug."""
    merged: dict[str, dict[tuple[int, int], _Write]] = {}
    names: dict[str, str] = {}
    for patch in patches:
        if patch.new_cell_style not in _STYLES:
            raise ValueError(f"unknown new_cell_style {patch.new_cell_style!r}")
        key = _sheet_key(patch.sheet)
        names.setdefault(key, patch.sheet)
        target = merged.setdefault(names[key], {})
        items = [(pos, _Write(v, patch.new_cell_style)) for pos, v in patch.cells.items()]
        items += [(pos, _Write(v, "engine_header", use_row_col_style=False)) for pos, v in patch.headers.items()]
        for raw_pos, write in items:
            pos = _validate_position(raw_pos, where=f"sheet {patch.sheet!r}")
            _check_value(write.value, f"sheet {patch.sheet!r} cell {pos}")
            if pos in target and target[pos].value != write.value:
                raise ValueError(f"sheet {patch.sheet!r}: cell {pos} is given two different values")
            target[pos] = write
    return {name: writes for name, writes in merged.items() if writes}


def _stage_patches(pkg: _Package, writes_by_sheet: Mapping[str, Mapping[tuple[int, int], _Write]], styles: _StyleBook,
                   heights_by_sheet: Mapping[str, Mapping[int, float]] | None = None) -> bool:
    formulas_removed = False
    heights_by_sheet = heights_by_sheet or {}
    heights_by_key = {_sheet_key(n): h for n, h in heights_by_sheet.items()}
    names = list(writes_by_sheet) + [n for n in heights_by_sheet
                                     if _sheet_key(n) not in {_sheet_key(w) for w in writes_by_sheet}]
    for name in names:
        writes = writes_by_sheet.get(name, {})
        part = pkg.worksheet_part(name)
        original = pkg.read(part)
        patcher = _SheetPatcher(original, part, styles)
        new = patcher.apply(writes, heights_by_key.get(_sheet_key(name)))
        if new is not original:
            pkg.write(part, new)
            formulas_removed |= patcher.formulas_removed
    return formulas_removed


def _stage_replacements(
    pkg: _Package,
    replace_sheets: Mapping[str, Sequence[Sequence[StyledCell]]],
    column_widths: Mapping[str, Sequence[float | None]],
    styles: _StyleBook,
) -> bool:
    formulas_removed = False
    for name, grid in replace_sheets.items():
        widths = column_widths.get(name)
        sheet = pkg.find_sheet(name)
        if sheet is None:
            rows, max_row, max_col = _grid_rows_xml(grid, styles, b"")
            cols = _cols_xml(widths if widths is not None else _default_widths(grid), b"")
            pkg.add_worksheet(name, _new_sheet_xml(pkg.main_ns, rows, cols, _dimension_ref(max_row, max_col)))
            continue
        part = pkg.worksheet_part(name)
        old = pkg.read(part)
        loc = _locate_sheet_data(old, part)
        p = loc.pat.p
        rows, max_row, max_col = _grid_rows_xml(grid, styles, p)
        if widths is not None:
            cols: bytes | None = _cols_xml(widths, p)
        elif loc.pat.cols.search(old, 0, loc.start):
            cols = None  # keep the widths the user may have adjusted
        else:
            cols = _cols_xml(_default_widths(grid), p)
        new, had_formulas = _replace_sheet_content(old, part, rows, cols, _dimension_ref(max_row, max_col))
        if new != old:
            pkg.write(part, new)
            formulas_removed |= had_formulas
    return formulas_removed


def patch_workbook(
    path: PathLike,
    patches: Sequence[SheetPatch] = (),
    replace_sheets: Mapping[str, Sequence[Sequence[StyledCell]]] | None = None,
    column_widths: Mapping[str, Sequence[float | None]] | None = None,
    expected_fingerprint: tuple[int, int] | None = None,
    recalc_on_open: bool = True,
) -> None:
    """Write engine cells and engine tabs into the workbook in one atomic save.

    Only the parts that change are rewritten; every other member keeps its
    exact compressed bytes. When the requested content is already there, the
    file is not touched at all (same bytes, same mtime). ``recalc_on_open``
    sets ``fullCalcOnLoad`` so that user formulas reading engine cells are
    recalculated by Excel instead of showing stale cached results.
    """
    replace_sheets = dict(replace_sheets or {})
    column_widths = dict(column_widths or {})
    writes_by_sheet = _collect_writes(list(patches))
    heights_by_sheet = _collect_heights(list(patches))
    if not writes_by_sheet and not replace_sheets and not heights_by_sheet:
        return
    patched_keys = {_sheet_key(n) for n in writes_by_sheet} | {_sheet_key(n) for n in heights_by_sheet}
    for name in replace_sheets:
        if _sheet_key(name) in patched_keys:
            raise ValueError(f"sheet {name!r} is both patched and replaced")

    # realpath: replace the file a symlink points to, not the link itself.
    target = Path(os.path.realpath(path))
    check_not_locked(target)
    before = fingerprint(target)
    if expected_fingerprint is not None and tuple(expected_fingerprint) != before:
        raise _changed_error(target)

    pkg = _Package(target)
    try:
        styles = _StyleBook(pkg)
        formulas_removed = _stage_patches(pkg, writes_by_sheet, styles, heights_by_sheet)
        formulas_removed |= _stage_replacements(pkg, replace_sheets, column_widths, styles)
        if not pkg.dirty:
            return  # everything already as requested
        styles.stage()
        if formulas_removed:
            pkg.drop_calc_chain()
        if recalc_on_open:
            pkg.request_full_recalc()
        pkg.stage_structure()
        _write_atomically(target, pkg, before)
    finally:
        pkg.close()
