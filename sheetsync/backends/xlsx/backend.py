"""The .xlsx backend: values read with python-calamine (fast, Rust), cells the reader cannot
tell apart (formula errors, uncomputed formulas) found by a light scan of the sheet XML, and
write-back by surgical, atomic patching of the file (`ooxml`), never a full load and save.

Before any reader inflates the package, `guard.check_package` bounds what it may cost, and each
sheet's used extent is measured from its XML: calamine reads a sheet as one rectangle from A1
to its farthest cell, so a single cell at XFD1048576 would make it allocate terabytes (the
process aborts). Sheets whose rectangle is past `MAX_DENSE_CELLS` are read cell by cell instead
(`_read_sparse`), and a sheet with more used cells than `MAX_USED_CELLS` is refused."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import python_calamine

from sheetsync.backends.xlsx import guard, ooxml
from sheetsync.engine.cells import CellIssue
from sheetsync.engine.grid import SheetGrid
from sheetsync.engine.writeplan import WritePlan
from sheetsync.errors import SourceLocked, SourceNotFound, SourceTooLarge, SourceUnreadable, require_regular_file
from sheetsync.limits import limit


class XlsxBackend:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.label = str(self.path)
        self._fingerprint: tuple[int, int] | None = None
        # The package's print (`ooxml.package_print`) when the last read saw it the same before
        # and after reading: the cells read are then those of exactly this package.
        self.package: str | None = None

    def package_print(self) -> str | None:
        """The package's print now, from the zip's central directory alone: what a store
        compares to recognise a workbook left as its last sync saw it without reading it
        (`sheetsync.service.reuse`). None when it cannot be told cheaply."""
        return ooxml.package_print(self.path, limit("MAX_ZIP_MEMBERS"))

    def read(self) -> dict[str, SheetGrid]:
        if not self.path.exists():
            raise SourceNotFound(f"Không tìm thấy tệp {self.path}.")
        require_regular_file(self.path, SourceUnreadable, "tệp bảng tính")
        ooxml.clean_stale_temps(self.path.resolve().parent)  # left by a write that was killed
        self._fingerprint = ooxml.fingerprint(self.path)
        guard.check_package(self.path)
        self.package = None
        before = self.package_print()
        try:
            book = python_calamine.CalamineWorkbook.from_path(str(self.path))
        except PermissionError as exc:
            raise SourceLocked(
                f"Không mở được tệp {self.path}: tệp đang bị chương trình khác khóa. Hãy đóng tệp rồi chạy lại.") from exc
        except Exception as exc:  # calamine raises its own error types for corrupt files
            raise SourceUnreadable(f"Không đọc được tệp {self.path} như một bảng tính Excel (.xlsx): {exc}") from exc
        names = [m.name for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")]
        try:
            scanned = ooxml.scan_sheets(self.path, names)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise SourceUnreadable(f"Tệp {self.path} bị hỏng hoặc không phải .xlsx: {exc}") from exc
        grids: dict[str, SheetGrid] = {}
        for name in names:
            special, extent, layout = scanned[name]
            if extent.cells > limit("MAX_USED_CELLS"):
                raise SourceTooLarge(
                    f"Trang “{name}” của tệp {self.path.name} có {extent.cells:,} ô có dữ liệu, vượt giới hạn "
                    f"{limit('MAX_USED_CELLS'):,} ô: quá lớn để là một bảng tính thật. Đơn vị này không được xử lý."
                    .replace(",", "."), cells=extent.cells, limit=limit("MAX_USED_CELLS"))
            rows = None
            # calamine builds the whole rectangle as soon as a sheet is opened: only when small.
            if extent.rectangle <= limit("MAX_DENSE_CELLS"):
                try:
                    sheet = book.get_sheet_by_name(name)
                    rows = sheet.to_python(skip_empty_area=False)
                    merged = [(r1 + 1, c1 + 1, r2 + 1, c2 + 1)
                              for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])]
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException:  # noqa: BLE001 — calamine panics (pyo3 PanicException) on some odd cells
                    rows = None
            if rows is None:
                rows = self._read_sparse(name)
                merged = list(extent.merged)
            issues = {rc: CellIssue(e.code, e.formula) for rc, e in special.items()}
            grids[name] = SheetGrid(name, rows, 1, 1, merged, issues, layout.row_heights, layout.col_widths)
        if before is not None and self.package_print() == before:  # else it changed while being read
            self.package = before
        return grids

    def _read_sparse(self, name: str) -> list[list]:
        """The slow, tolerant reader: cell by cell with openpyxl's sheet parser, for a sheet
        the fast one cannot read (a date cell holding a number far outside any calendar) or
        must not (a stray cell far away from the data). Only the cells present are
        materialised: each row up to its own last value, missing rows as one shared empty
        row, so a single cell at XFD1048576 costs one row, not the rectangle up to it. Rows
        may come in any order (Excel writes them in order; a hand-made file need not)."""
        import warnings

        import openpyxl
        from openpyxl.worksheet._reader import WorkSheetParser

        budget = limit("MAX_DENSE_CELLS")
        by_row: dict[int, list] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            try:
                ws = wb[name]
                with ws._get_source() as src:
                    parser = WorkSheetParser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                             date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
                    for idx, cells in parser.parse():
                        values = [(c["column"], c["value"]) for c in cells if c["value"] is not None]
                        if not values:
                            continue
                        row = by_row.get(idx, [])
                        width = max(len(row), max(col for col, _ in values))
                        budget -= width - len(row)
                        if budget < 0:
                            raise SourceTooLarge(
                                f"Trang “{name}” của tệp {self.path.name} có dữ liệu trải quá rộng (ô ở rất xa, "
                                f"ví dụ hàng {idx}). Hãy xóa các ô thừa ở cuối trang rồi lưu lại.")
                        row.extend([None] * (width - len(row)))
                        for col, value in values:
                            # calamine's convention: a date without a time of day is a date.
                            if isinstance(value, dt.datetime) and value.time() == dt.time(0):
                                value = value.date()
                            row[col - 1] = value
                        by_row[idx] = row
            finally:
                wb.close()
        empty: list = []  # shared by every row without cells
        last = max(by_row, default=0)
        return [by_row.get(r, empty) for r in range(1, last + 1)]

    def write(self, plan: WritePlan) -> dict:
        patches = [
            ooxml.SheetPatch(
                sheet=p.title,
                cells=dict(p.cells),
                headers={(p.header_row, col): text for col, text in p.new_headers.items()},
                row_heights=dict(p.row_heights),
            )
            for p in plan.patches if p
        ]
        for p in patches:
            far = [col for (_, col) in list(p.headers) + list(p.cells) if col > ooxml.MAX_COLS]
            if far:
                raise SourceTooLarge(
                    f"Trang “{p.sheet}” của tệp {self.path.name} không còn chỗ thêm cột của hệ thống: đã có ô ở cột "
                    "cuối cùng của Excel (XFD). Hãy xóa các ô thừa ở cuối hàng rồi chạy lại.")
        replace = None
        widths = None
        if plan.summary is not None:
            s = plan.summary
            replace = {s.title: s.grid}  # SummaryCells: a value and a style, as ooxml takes them
            widths = {s.title: list(s.widths)}
        ooxml.patch_workbook(self.path, patches, replace_sheets=replace, column_widths=widths,
                               expected_fingerprint=self._fingerprint)
        self._fingerprint = ooxml.fingerprint(self.path)
        return {"cells": plan.cell_count, "summary": plan.summary is not None}
