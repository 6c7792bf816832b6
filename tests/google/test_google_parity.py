"""The same content in .xlsx and in Google Sheets gives the same findings, scores and planned
engine values: the demo ward's workbooks (planted problems, a merged cell, a blank row, NFD
text, dates) copied cell by cell into emulator spreadsheets, dates as serial numbers with a
date format, then evaluated through both backends."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from googlebook import PROFILE, SCHEMAS

from sheetsync.backends import open_source
from sheetsync.backends.google.cells import python_to_serial
from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.config.ward import load_ward
from sheetsync.demo import BLANK_ROW_UNIT, MERGED_UNIT, NFD_NAME_UNIT, build_demo_ward
from sheetsync.engine.evaluate import engine_values, evaluate
from sheetsync.results import UnitResult

ERROR_FORMULAS = {"#DIV/0!": "=1/0", "#N/A": "=NA()"}


def cell_json(cell) -> dict:
    v = cell.value
    if v is None:
        return {}
    if cell.data_type == "e":
        return {"userEnteredValue": {"formulaValue": ERROR_FORMULAS.get(v, "=" + str(v))}}
    if isinstance(v, bool):
        return {"userEnteredValue": {"boolValue": v}}
    if isinstance(v, (dt.date, dt.datetime)):
        kind = "DATE_TIME" if isinstance(v, dt.datetime) and v.time() != dt.time() else "DATE"
        pattern = "dd/mm/yyyy hh:mm" if kind == "DATE_TIME" else "dd/mm/yyyy"
        return {"userEnteredValue": {"numberValue": python_to_serial(v)},
                "userEnteredFormat": {"numberFormat": {"type": kind, "pattern": pattern}}}
    if isinstance(v, (int, float)):
        return {"userEnteredValue": {"numberValue": float(v)}}
    text = str(v)
    if text.startswith("="):
        return {"userEnteredValue": {"formulaValue": text}}
    return {"userEnteredValue": {"stringValue": text}}


def copy_to_google(gc, path) -> str:
    """Every tab of the workbook as a new emulator spreadsheet (values, dates, merges)."""
    wb = openpyxl.load_workbook(path)
    sh = gc.create(path.stem)
    first = sh.sheet1.id
    requests = []
    for i, ws in enumerate(wb.worksheets, start=1):
        rows, cols = max(ws.max_row, 2), max(ws.max_column, 2)
        requests.append({"addSheet": {"properties": {"sheetId": i, "title": ws.title, "index": i,
                                                     "hidden": ws.sheet_state != "visible",
                                                     "gridProperties": {"rowCount": rows, "columnCount": cols}}}})
        data = [{"values": [cell_json(c) for c in row]} for row in ws.iter_rows()]
        requests.append({"updateCells": {"start": {"sheetId": i, "rowIndex": 0, "columnIndex": 0}, "rows": data,
                                         "fields": "userEnteredValue,userEnteredFormat.numberFormat"}})
        for m in ws.merged_cells.ranges:
            requests.append({"mergeCells": {"mergeType": "MERGE_ALL", "range": {
                "sheetId": i, "startRowIndex": m.min_row - 1, "endRowIndex": m.max_row,
                "startColumnIndex": m.min_col - 1, "endColumnIndex": m.max_col}}})
    requests.append({"deleteSheet": {"sheetId": first}})
    sh.batch_update({"requests": requests})
    return f"gsheet:{sh.id}"


def comparable(ev, unit: str) -> tuple[dict, dict]:
    d = UnitResult(unit, "", evaluation=ev).to_dict(None, with_findings=True)
    findings = sorted((f["tab"], f["row"] or 0, f["cell"] or "", f["code"], f["severity"], f["message"])
                      for f in d.pop("findings"))
    return {"findings": findings, **d}, {k: v.sort_index() for k, v in engine_values(ev).items()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return load_ward(build_demo_ward(tmp_path_factory.mktemp("demo")))


def test_xlsx_and_google_agree_on_the_demo_ward(emulator, gc, demo):
    as_of = "2026-10-28"
    compared = 0
    # The units holding the layout plants (merged cell, blank row, NFD name); rows of every
    # other planted kind fall in them too. All six take twice as long for little more.
    units = [u for u in demo.units if pd.io.common.Path(u.source).stem in (MERGED_UNIT, BLANK_ROW_UNIT, NFD_NAME_UNIT)]
    assert len(units) == 3
    for unit in units:
        source = copy_to_google(gc, pd.io.common.Path(unit.source))
        xl = evaluate(XlsxBackend(unit.source).read(), SCHEMAS, PROFILE, as_of=as_of, unit=unit.name)
        gs = evaluate(open_source(source).read(), SCHEMAS, PROFILE, as_of=as_of, unit=unit.name)
        (x_dict, x_engine), (g_dict, g_engine) = comparable(xl, unit.name), comparable(gs, unit.name)
        assert x_dict["findings"] == g_dict["findings"], unit.name
        assert x_dict == g_dict, unit.name
        assert x_engine.keys() == g_engine.keys()
        for tab in x_engine:
            pd.testing.assert_frame_equal(x_engine[tab], g_engine[tab], check_dtype=False, obj=f"{unit.name}/{tab}")
        compared += len(x_dict["findings"])
    assert compared > 30  # planted problems seen by both


def test_error_cells_and_dates_read_like_xlsx(emulator, gc, tmp_path):
    from unitbook import UnitBook

    book = UnitBook(tmp_path / "u.xlsx")
    book.person("CB01", role="Người đứng đầu")
    book.product("SP1", 1)
    row = book.task("NV01", "CB01", done=1, review="Đạt")
    book.set("tasks", row, "assigned_qty", "=1/0")
    book.set("tasks", row, "due_date", dt.datetime(2026, 11, 20, 17, 30))
    book.evaluation("CB01")
    book.save()
    # openpyxl writes no cached value for the formula: give both sides the same error cell.
    from sheetsync.backends.xlsx import ooxml  # noqa: F401  (the xlsx reader marks it formula-without-value)
    source = copy_to_google(gc, tmp_path / "u.xlsx")
    grids = open_source(source).read()
    tasks = grids[SCHEMAS["tasks"].title]
    qty_col = [f.key for f in SCHEMAS["tasks"].fields].index("assigned_qty") + 1
    assert tasks.issues[(row, qty_col)].code == "#DIV/0!"
    due_col = [f.key for f in SCHEMAS["tasks"].fields].index("due_date") + 1
    assert tasks.cell(row, due_col) == dt.datetime(2026, 11, 20, 17, 30)
    start_col = [f.key for f in SCHEMAS["tasks"].fields].index("start_date") + 1
    assert tasks.cell(row, start_col) == dt.date(2026, 11, 2)
    ev = evaluate(grids, SCHEMAS, PROFILE, as_of="2026-11-26")
    f = ev.findings
    assert ((f["cell"] == f"J{row}") & f["message"].str.contains("#DIV/0!")).any()
