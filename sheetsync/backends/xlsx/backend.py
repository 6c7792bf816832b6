"""The .xlsx backend: values read with python-calamine (fast, Rust), cells the reader cannot
tell apart (formula errors, uncomputed formulas) found by a light scan of the sheet XML, and
write-back by surgical, atomic patching of the file (`ooxml`), never a full load and save."""

from __future__ import annotations

import zipfile
from pathlib import Path

import python_calamine

from sheetsync.backends.xlsx import ooxml
from sheetsync.engine.cells import CellIssue
from sheetsync.engine.grid import SheetGrid
from sheetsync.engine.writeplan import WritePlan
from sheetsync.errors import SourceLocked, SourceNotFound, SourceUnreadable


class XlsxBackend:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.label = str(self.path)
        self._fingerprint: tuple[int, int] | None = None

    def read(self) -> dict[str, SheetGrid]:
        if not self.path.exists():
            raise SourceNotFound(f"Không tìm thấy tệp {self.path}.")
        self._fingerprint = ooxml.fingerprint(self.path)
        try:
            book = python_calamine.CalamineWorkbook.from_path(str(self.path))
        except PermissionError as exc:
            raise SourceLocked(
                f"Không mở được tệp {self.path}: tệp đang bị chương trình khác khóa. Hãy đóng tệp rồi chạy lại.") from exc
        except Exception as exc:  # calamine raises its own error types for corrupt files
            raise SourceUnreadable(f"Không đọc được tệp {self.path} như một bảng tính Excel (.xlsx): {exc}") from exc
        names = [m.name for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")]
        try:
            special = ooxml.scan_special_cells(self.path, names)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise SourceUnreadable(f"Tệp {self.path} bị hỏng hoặc không phải .xlsx: {exc}") from exc
        grids: dict[str, SheetGrid] = {}
        for name in names:
            sheet = book.get_sheet_by_name(name)
            try:
                rows = sheet.to_python(skip_empty_area=False)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException:  # noqa: BLE001 — calamine panics (pyo3 PanicException) on some odd cells
                rows = self._read_with_openpyxl(name)
            merged = [(r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])]
            issues = {rc: CellIssue(e.code, e.formula) for rc, e in special.get(name, {}).items()}
            grids[name] = SheetGrid(name, rows, 1, 1, merged, issues)
        return grids

    def _read_with_openpyxl(self, name: str) -> list[list]:
        """The slow, tolerant reader, for a sheet the fast one cannot read (e.g. a date
        cell holding a number far outside any calendar)."""
        import warnings

        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            try:
                return [list(r) for r in wb[name].iter_rows(values_only=True)]
            finally:
                wb.close()

    def write(self, plan: WritePlan) -> dict:
        patches = [
            ooxml.SheetPatch(
                sheet=p.title,
                cells=dict(p.cells),
                headers={(p.header_row, col): text for col, text in p.new_headers.items()},
            )
            for p in plan.patches if p
        ]
        replace = None
        widths = None
        if plan.summary is not None:
            s = plan.summary
            replace = {s.title: [[ooxml.StyledCell(c.value, c.style) for c in row] for row in s.grid]}
            widths = {s.title: list(s.widths)}
        ooxml.patch_workbook(self.path, patches, replace_sheets=replace, column_widths=widths,
                               expected_fingerprint=self._fingerprint)
        self._fingerprint = ooxml.fingerprint(self.path)
        return {"cells": plan.cell_count, "summary": plan.summary is not None}
