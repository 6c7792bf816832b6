"""Test helpers for the Google backend: an emulator spreadsheet laid out by Google `init` and
filled through gspread the way a person types (USER_ENTERED, Vietnamese locale: dd/mm/yyyy)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sheetsync.backends import open_source
from sheetsync.backends.google.init import init_google
from sheetsync.config.profile import load_profile
from sheetsync.config.schema import load_schemas
from sheetsync.service import run_unit

SCHEMAS = load_schemas()
PROFILE = load_profile("nd335")


def typed(value: Any) -> Any:
    """What a person types for a value: dates as dd/mm/yyyy text, the rest as is."""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else value


class GoogleBook:
    """A unit spreadsheet on the emulator. Rows are buffered by `add` and typed by `save`
    (one values:batchUpdate, USER_ENTERED), addressed by header text like tests/unitbook.py."""

    def __init__(self, gc, unit: str = "Phòng thử nghiệm", rows: int = 25, locale: str = "vi_VN"):
        self.gc = gc
        sh = gc.create(unit)
        sh.batch_update({"requests": [{"updateSpreadsheetProperties": {"properties": {"locale": locale},
                                                                         "fields": "locale"}}]})
        self.id = sh.id
        self.source = f"gsheet:{sh.id}"
        self.init = init_google(self.source, SCHEMAS, unit, rows=rows)
        self.sh = gc.open_by_key(sh.id)
        self.next_row = {name: 2 for name in SCHEMAS.tabs}
        self.pending: list[tuple[str, int, dict]] = []

    def ws(self, tab: str):
        return self.sh.worksheet(SCHEMAS[tab].title)

    def column_of(self, tab: str, key: str) -> int:
        fields = [f for f in SCHEMAS[tab].fields if not f.profile_only]
        return [f.key for f in fields].index(key) + 1

    def add(self, tab: str, **values) -> int:
        row = self.next_row[tab]
        self.next_row[tab] += 1
        self.pending.append((tab, row, values))
        return row

    def save(self) -> None:
        from sheetsync.backends.google.cells import a1_range

        data = []
        for tab, row, values in self.pending:
            for key, value in values.items():
                col = self.column_of(tab, key)
                data.append({"range": a1_range(SCHEMAS[tab].title, row, col), "values": [[typed(value)]]})
        self.pending.clear()
        if data:
            self.sh.values_batch_update({"valueInputOption": "USER_ENTERED", "data": data})

    # -- typical rows (as in tests/unitbook.py) -------------------------------------------------------
    def person(self, staff_id: str, name: str = "Nguyễn Văn A", category: str = "Công chức",
               role: str | None = None, manager: str | None = None, group: str | None = None) -> int:
        return self.add("staff", staff_id=staff_id, full_name=name, category=category, leader_role=role,
                        manager_id=manager, peer_group=group)

    def product(self, code: str, coefficient, name: str = "Sản phẩm", unit: str = "văn bản") -> int:
        return self.add("catalogue", product_code=code, product_name=name, unit_of_measure=unit,
                        coefficient=coefficient)

    def task(self, task_id: str, owner: str, product: str = "SP1", qty=1, done=None, review=None,
             due=dt.date(2026, 11, 20), month="11/2026", **extra) -> int:
        values = dict(task_id=task_id, month=month, task_name=f"Nhiệm vụ {task_id}", basis="Kế hoạch 12/KH-UBND",
                      task_group="Thường xuyên", owner_id=owner, product_code=product, assigned_qty=qty,
                      start_date=dt.date(2026, 11, 2), due_date=due, output="Báo cáo",
                      quality_criteria="Đúng quy định", done_qty=done,
                      done_date=dt.date(2026, 11, 18) if done else None,
                      evidence="https://vb.hanoi.gov.vn/123" if done else None, review=review)
        values.update(extra)
        return self.add("tasks", **values)

    def evaluation(self, staff_id: str, month: str = "11/2026", self_general=28, self_rating="B",
                   self_date=dt.date(2026, 11, 24), **extra) -> int:
        return self.add("evaluations", staff_id=staff_id, month=month, self_general=self_general,
                        self_rating=self_rating, self_date=self_date, **extra)

    def values(self, tab: str) -> list[list[Any]]:
        """The tab as a person sees it now (unformatted values)."""
        return self.ws(tab).get_values(value_render_option="UNFORMATTED_VALUE")


def small_unit(book: GoogleBook) -> GoogleBook:
    """A unit with a head, two staff, tasks with a few planted problems, and evaluations."""
    book.person("CB01", "Trần Văn Trưởng", role="Người đứng đầu")
    book.person("CB02", "Lê Thị Hoa", manager="CB01")
    book.person("CB03", "Phạm Minh Quân", manager="CB01")
    book.product("SP1", 1)
    book.product("SP2", 1.5, name="Tờ trình")
    book.task("NV01", "CB01", done=1, review="Đạt")
    book.task("NV02", "CB02", product="SP2", qty=2, done=2, review="Đạt")
    book.task("NV03", "CB02", done=1, review="Trả lại", return_reason="Sai biểu mẫu")
    book.task("NV04", "CB03", product="SPX", qty=1)  # unknown product: an error on this row
    book.task("NV05", "CB03", qty=3, done=4, review="Đạt")  # done above assigned: a warning
    for sid in ("CB01", "CB02", "CB03"):
        book.evaluation(sid)
    book.save()
    return book


def sync(book_or_source, as_of: str = "2026-11-26", write: bool = True):
    source = getattr(book_or_source, "source", book_or_source)
    backend = open_source(source)
    result = run_unit(backend, SCHEMAS, PROFILE, as_of=as_of, write=write)
    return result, backend
