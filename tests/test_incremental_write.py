"""A sync writes only what differs from what the sheet shows, with shortcuts (whole-column
comparisons, rows found by bisecting the sheet's bytes). Whatever was edited, the workbook it
leaves must hold exactly what a full write (every engine cell and the summary rewritten) leaves:
every cell of every sheet, read back with openpyxl and with python-calamine, and every row height.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sheetsync.backends.xlsx import ooxml
from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.backends.xlsx.ooxml.rowindex import _SheetLayout
from sheetsync.config.profile import load_profile
from sheetsync.config.schema import load_schemas
from sheetsync.engine import evaluate as evaluate_module
from sheetsync.engine import writeplan
from sheetsync.history.store import open_store
from sheetsync.service import run_unit
from sheetsync.service import units as units_module

SCHEMAS = load_schemas()
AS_OF = "2026-12-31"
PROFILES = Path(__file__).parent / "data" / "profiles"


@pytest.fixture(scope="module")
def synced_year(tmp_path_factory) -> Path:
    """A unit's year (600 tasks, 20 people, 12 months) after its first sync."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "scripts"))
    from bench_sync import build

    path = tmp_path_factory.mktemp("year") / "don-vi.xlsx"
    build(path, 600, 20)
    _sync(path)
    return path


def _sync(path: Path, profile: str | Path = "nd335", store=None):
    # With a store, one key wherever the copy lies: its saved result is found again.
    result = run_unit(XlsxBackend(path), SCHEMAS, load_profile(profile), as_of=AS_OF, store=store,
                      record=store is not None, key="don-vi" if store is not None else "")
    assert result.error is None
    return result


def _full(monkeypatch) -> None:
    """The full path: every engine cell compared as different, the summary always rewritten,
    rows found through the index of every row."""
    monkeypatch.setattr(writeplan, "_same_column", lambda have, want: np.zeros(len(want), dtype=bool))
    monkeypatch.setattr(evaluate_module, "summary_differs", lambda new, current: True)
    monkeypatch.setattr(_SheetLayout, "_bisect", lambda self, num: None)


def _content(path: Path) -> dict:
    """Every cell of every sheet (openpyxl and calamine) and every row height; the summary's
    second line (the time of the sync) left out."""
    summary = SCHEMAS.summary_title
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        cells = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
        if ws.title == summary:
            cells.pop("A2", None)
        heights = {r: d.height for r, d in ws.row_dimensions.items() if d.height is not None}
        out[("openpyxl", ws.title)] = (cells, heights)
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if name == summary and len(rows) > 1:
            rows[1] = []
        out[("calamine", name)] = [[v for v in row] for row in rows]
    return out


def _both_ways(base: Path, tmp_path: Path, monkeypatch, edit, profile: str | Path = "nd335") -> tuple[dict, dict]:
    """The workbook after `edit` and a sync, the usual way and the full way."""
    usual, full = tmp_path / "usual.xlsx", tmp_path / "full.xlsx"
    shutil.copy(base, usual)
    edit(usual)
    shutil.copy(usual, full)
    _sync(usual, profile)
    with monkeypatch.context() as m:
        _full(m)
        _sync(full, profile)
    return _content(usual), _content(full)


def _column(path: Path, tab: str, key: str) -> int:
    ws = openpyxl.load_workbook(path, read_only=True)[SCHEMAS[tab].title]
    headers = {c.value: c.column for c in next(ws.iter_rows(max_row=1))}
    return headers[SCHEMAS[tab].field(key).header]


def _patch(path: Path, tab: str, cells: dict) -> None:
    ooxml.patch_workbook(path, [ooxml.SheetPatch(SCHEMAS[tab].title, cells=cells)])


def test_five_edited_cells(synced_year, tmp_path, monkeypatch) -> None:
    def edit(path):
        col = _column(path, "tasks", "done_qty")
        _patch(path, "tasks", {(601 - i * 7, col): 0 for i in range(5)})
    usual, full = _both_ways(synced_year, tmp_path, monkeypatch, edit)
    assert usual == full


def test_engine_cells_typed_over_in_unchanged_rows_are_restored(synced_year, tmp_path, monkeypatch) -> None:
    def edit(path):
        _patch(path, "tasks", {(5, _column(path, "tasks", "check_status")): "đã sửa tay",
                               (6, _column(path, "tasks", "conv_done")): "27",
                               (7, _column(path, "tasks", "conv_assigned")): 99.5,
                               (8, _column(path, "tasks", "check_notes")): None})
        _patch(path, "evaluations", {(3, _column(path, "evaluations", "total_points")): 100})
    usual, full = _both_ways(synced_year, tmp_path, monkeypatch, edit)
    assert usual == full


def test_summary_cells_typed_over_are_restored(synced_year, tmp_path, monkeypatch) -> None:
    def edit(path):
        ooxml.patch_workbook(path, [ooxml.SheetPatch(SCHEMAS.summary_title,
                                                     cells={(7, 5): 1.0, (8, 1): "ai đó", (30, 3): None})])
    usual, full = _both_ways(synced_year, tmp_path, monkeypatch, edit)
    assert usual == full


@pytest.mark.parametrize("change", ["delete", "insert", "move"])
def test_rows_deleted_inserted_or_moved(synced_year, tmp_path, monkeypatch, change) -> None:
    def edit(path):
        wb = openpyxl.load_workbook(path)
        ws = wb[SCHEMAS["tasks"].title]
        if change == "delete":
            ws.delete_rows(10, 3)
        elif change == "insert":
            ws.insert_rows(20, 2)
            ws.cell(20, 1).value = "NV-NEW"
        else:
            ws.move_range("A30:Z31", rows=-25)  # over rows 5–6: two tasks replace two others
        wb.save(path)
    usual, full = _both_ways(synced_year, tmp_path, monkeypatch, edit)
    assert usual == full


def test_a_new_person(synced_year, tmp_path, monkeypatch) -> None:
    def edit(path):
        wb = openpyxl.load_workbook(path)
        staff, ev = wb[SCHEMAS["staff"].title], wb[SCHEMAS["evaluations"].title]
        heads = {c.value: c.column for c in staff[1]}
        row = staff.max_row + 1
        for key, value in {"staff_id": "CB9999", "full_name": "Người mới", "category": "Công chức",
                           "leader_role": "Không", "manager_id": "CB0000"}.items():
            staff.cell(row, heads[SCHEMAS["staff"].field(key).header]).value = value
        heads = {c.value: c.column for c in ev[1]}
        row = ev.max_row + 1
        for key, value in {"staff_id": "CB9999", "month": "12/2026", "self_general": 25, "self_rating": "B"}.items():
            ev.cell(row, heads[SCHEMAS["evaluations"].field(key).header]).value = value
        wb.save(path)
    usual, full = _both_ways(synced_year, tmp_path, monkeypatch, edit)
    assert usual == full


def test_a_profile_that_changes_every_score(synced_year, tmp_path, monkeypatch) -> None:
    usual, full = _both_ways(synced_year, tmp_path, monkeypatch, lambda path: None,
                             profile=PROFILES / "five-bands.yaml")
    assert usual == full
    before = _content(synced_year)
    assert usual[("openpyxl", SCHEMAS.summary_title)] != before[("openpyxl", SCHEMAS.summary_title)]


def test_without_the_guard_of_the_column_shortcuts_a_typed_over_cell_stays_wrong(synced_year, tmp_path,
                                                                                monkeypatch) -> None:
    """The whole-column comparison is only taken for columns of one kind; a column where a user
    typed text over a score is compared cell by cell. Take the shortcut anyway, and the text
    "27" passes for the number 27: the incremental write no longer matches the full one."""
    def edit(path):
        col = _column(path, "tasks", "conv_done")
        current = openpyxl.load_workbook(path, read_only=True)[SCHEMAS["tasks"].title].cell(6, col).value
        _patch(path, "tasks", {(6, col): str(current)})
    monkeypatch.setattr(writeplan, "_column_kind", lambda have: "floating")
    usual, full = _both_ways(synced_year, tmp_path, monkeypatch, edit)
    assert usual != full


# -- with the history store: rows of months read as the last sync wrote them are settled ---------
#
# A sync with a store knows which months are read exactly as its last sync wrote them, with
# everything they depend on unchanged (`service.units._clean_months`): it neither works out nor
# compares their engine cells (`plan_writes(settled=...)`). The workbook it leaves must still be
# the one a full write leaves.


@pytest.fixture(scope="module")
def stored_year(tmp_path_factory) -> Path:
    """The year of `synced_year` in a folder with its history store, synced until a sync
    recognises it unchanged (every month's print is then saved)."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "scripts"))
    from bench_sync import build

    folder = tmp_path_factory.mktemp("stored")
    build(folder / "don-vi.xlsx", 600, 20)
    store = open_store(folder / "sheetsync.db")
    try:
        assert any(_sync(folder / "don-vi.xlsx", store=store).reused for _ in range(4))
    finally:
        store.close()
    return folder


def _with_store(base: Path, tmp_path: Path, monkeypatch, edit) -> tuple[dict, dict, dict[str, int]]:
    """The workbook after `edit` and a sync with its store, the same after a full sync, and how
    many rows of each tab the first sync's plan took as settled."""
    shutil.copytree(base, tmp_path / "usual")
    usual, full = tmp_path / "usual" / "don-vi.xlsx", tmp_path / "full.xlsx"
    edit(usual)
    shutil.copy(usual, full)
    seen: dict[str, int] = {}
    plan_writes = units_module.plan_writes

    def spy(*args, settled=None, **kwargs):
        seen.update({name: len(rows) for name, rows in (settled or {}).items()})
        return plan_writes(*args, settled=settled, **kwargs)

    store = open_store(tmp_path / "usual" / "sheetsync.db")
    try:
        with monkeypatch.context() as m:
            m.setattr(units_module, "plan_writes", spy)
            assert not _sync(usual, store=store).reused
    finally:
        store.close()
    with monkeypatch.context() as m:
        _full(m)
        _sync(full)
    return _content(usual), _content(full), seen


def _edit_december(path: Path) -> None:
    col = _column(path, "tasks", "done_qty")
    _patch(path, "tasks", {(601 - i * 7, col): 0 for i in range(5)})


def test_five_edited_cells_with_the_store_settle_the_other_months(stored_year, tmp_path, monkeypatch) -> None:
    usual, full, settled = _with_store(stored_year, tmp_path, monkeypatch, _edit_december)
    assert usual == full
    assert settled == {"tasks": 550, "evaluations": 220}  # January to November: 50 tasks, 20 people a month


def _type_over_january(path: Path) -> None:
    _edit_december(path)
    _patch(path, "tasks", {(5, _column(path, "tasks", "check_status")): "đã sửa tay",
                           (6, _column(path, "tasks", "conv_done")): "27",
                           (8, _column(path, "tasks", "check_notes")): None})
    _patch(path, "evaluations", {(3, _column(path, "evaluations", "total_points")): 100})


def test_engine_cells_typed_over_in_another_month_are_restored_with_the_store(stored_year, tmp_path,
                                                                              monkeypatch) -> None:
    usual, full, settled = _with_store(stored_year, tmp_path, monkeypatch, _type_over_january)
    assert usual == full
    assert settled == {"tasks": 500, "evaluations": 200}  # January is not settled: its rows changed


def test_without_the_month_prints_engine_cells_typed_over_in_a_settled_month_stay_wrong(stored_year, tmp_path,
                                                                                        monkeypatch) -> None:
    """Settle every month the last sync saved, whatever its rows now hold, and January's
    typed-over cells are neither compared nor restored: the write no longer matches the full one."""
    def every_saved_month(keyed, ev):
        return {m: h for m, (_, h) in keyed.last["month_prints"].items()}
    monkeypatch.setattr(units_module, "_clean_months", every_saved_month)
    usual, full, _ = _with_store(stored_year, tmp_path, monkeypatch, _type_over_january)
    assert usual != full


def _fitted_row(path: Path, month: str) -> int:
    """A task row of `month` that sheetsync made taller for its engine text."""
    grid = XlsxBackend(path).read()[SCHEMAS["tasks"].title]
    col = _column(path, "tasks", "month")
    return next(r for r in sorted(grid.row_heights) if grid.cell(r, col) == month)


def _shrink_a_january_row(path: Path) -> None:
    _edit_december(path)
    ooxml.patch_workbook(path, [ooxml.SheetPatch(SCHEMAS["tasks"].title, cells={},
                                                 row_heights={_fitted_row(path, "01/2026"): 0})])


def test_a_settled_row_shrunk_by_hand_is_fitted_again(stored_year, tmp_path, monkeypatch) -> None:
    usual, full, settled = _with_store(stored_year, tmp_path, monkeypatch, _shrink_a_january_row)
    assert settled["tasks"] == 550  # the height is not content: January stays settled
    assert usual == full


def test_without_fitting_settled_rows_a_row_shrunk_by_hand_stays_short(stored_year, tmp_path, monkeypatch) -> None:
    fit_rows = writeplan.fit_rows
    monkeypatch.setattr(writeplan, "fit_rows", lambda desired, current, widths, heights, settled=None:
                        fit_rows(desired, current, widths, heights))
    usual, full, _ = _with_store(stored_year, tmp_path, monkeypatch, _shrink_a_january_row)
    assert usual != full


@pytest.mark.parametrize("change", ["delete", "insert", "move"])
def test_rows_deleted_inserted_or_moved_with_the_store(stored_year, tmp_path, monkeypatch, change) -> None:
    def edit(path):
        wb = openpyxl.load_workbook(path)
        ws = wb[SCHEMAS["tasks"].title]
        if change == "delete":
            ws.delete_rows(300, 3)
        elif change == "insert":
            ws.insert_rows(300, 2)
            ws.cell(300, 1).value = "NV-NEW"
        else:
            ws.move_range("A330:Z331", rows=-25)
        wb.save(path)
    usual, full, settled = _with_store(stored_year, tmp_path, monkeypatch, edit)
    assert usual == full
