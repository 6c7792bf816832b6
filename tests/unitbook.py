"""Test helpers: a unit workbook made by `init` and filled the way a person would,
by header text, with rows given as {field key: value} for readability."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.backends.xlsx.init import init_workbook
from sheetsync.config.profile import load_profile
from sheetsync.config.schema import load_schemas
from sheetsync.service import run_unit

SCHEMAS = load_schemas()


class UnitBook:
    """A unit workbook on disk, filled through openpyxl like a person filling cells."""

    def __init__(self, path: Path, unit: str = "Phòng thử nghiệm", bonus: bool = False):
        self.path = path
        init_workbook(path, SCHEMAS, unit, profile_bonus=bonus)
        self.wb = openpyxl.load_workbook(path)

    def ws(self, tab: str):
        return self.wb[SCHEMAS[tab].title]

    def column_of(self, tab: str, key: str) -> int:
        header = SCHEMAS[tab].field(key).header
        for cell in self.ws(tab)[1]:
            if cell.value == header:
                return cell.column
        raise KeyError(key)

    def add(self, tab: str, **values) -> int:
        """Append a row; returns its sheet row number."""
        ws = self.ws(tab)
        row = ws.max_row + 1
        for key, value in values.items():
            ws.cell(row=row, column=self.column_of(tab, key), value=value)
        return row

    def set(self, tab: str, row: int, key: str, value) -> None:
        # Assign .value directly: openpyxl's cell(value=None) would leave the old value.
        self.ws(tab).cell(row=row, column=self.column_of(tab, key)).value = value

    def save(self) -> Path:
        self.wb.save(self.path)
        return self.path

    # -- typical rows ------------------------------------------------------------------

    def person(self, staff_id: str, name: str = "Nguyễn Văn A", category: str = "Công chức",
               role: str | None = None, manager: str | None = None, group: str | None = None) -> int:
        return self.add("staff", staff_id=staff_id, full_name=name, category=category, leader_role=role,
                        manager_id=manager, peer_group=group)

    def product(self, code: str, coefficient, name: str = "Sản phẩm", unit: str = "văn bản") -> int:
        return self.add("catalogue", product_code=code, product_name=name, unit_of_measure=unit, coefficient=coefficient)

    def task(self, task_id: str, owner: str, product: str = "SP1", qty=1, done=None, review=None, returns=None,
             delays=None, excused=None, due=dt.date(2026, 11, 20), done_date="auto", evidence="auto",
             month="11/2026", **extra) -> int:
        if done_date == "auto":
            done_date = dt.date(2026, 11, 18) if done else None
        if evidence == "auto":
            evidence = "https://vb.hanoi.gov.vn/123" if done else None
        values = dict(task_id=task_id, month=month, task_name=f"Nhiệm vụ {task_id}", basis="Kế hoạch 12/KH-UBND",
                      task_group="Thường xuyên", owner_id=owner, product_code=product, assigned_qty=qty,
                      start_date=dt.date(2026, 11, 2), due_date=due, output="Báo cáo", quality_criteria="Đúng quy định",
                      done_qty=done, done_date=done_date, evidence=evidence, review=review, returns=returns,
                      delays=delays, excused=excused)
        values.update(extra)
        return self.add("tasks", **values)

    def evaluation(self, staff_id: str, month: str = "11/2026", self_general=28, mgr_general=None,
                   self_rating="B", self_date=dt.date(2026, 11, 24), mgr_date=None, **extra) -> int:
        return self.add("evaluations", staff_id=staff_id, month=month, self_general=self_general,
                        mgr_general=mgr_general, self_rating=self_rating, self_date=self_date,
                        mgr_date=mgr_date, **extra)


def sync(path: Path, as_of: str = "2026-11-24", profile: str = "nd335", write: bool = True, months=None):
    return run_unit(XlsxBackend(path), SCHEMAS, load_profile(profile), as_of=as_of, write=write, months=months)


def findings_of(result, code: str | None = None, tab: str | None = None):
    f = result.evaluation.findings
    if code:
        f = f[f["code"] == code]
    if tab:
        f = f[f["tab"] == SCHEMAS[tab].title]
    return f


def person_scores(result, staff_id: str, month: str = "2026-11") -> dict:
    people = result.evaluation.scores.months[month].people
    row = people[people["staff_id"] == staff_id].iloc[0]
    return row.to_dict()


def input_cells(path):
    """Every input cell of every data tab, with value and number format."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for name in ("staff", "catalogue", "tasks", "evaluations", "okr"):
        tab = SCHEMAS[name]
        ws = wb[tab.title]
        engine = {f.header for f in tab.engine_fields}
        for col in ws.iter_cols(min_row=1):
            if col[0].value in engine:
                continue
            for c in col:
                out[(tab.title, c.coordinate)] = (c.value, c.number_format, c.font.b, c.fill.fgColor.rgb)
    return out


def columns_by_header(ws) -> dict[str, int]:
    """Header text → column number, from a worksheet's first row."""
    return {c.value: c.column for c in ws[1]}
