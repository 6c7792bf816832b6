"""Cost follows change, month by month: after an edit, the store captures only the months whose
content changed; every other month is known to be the snapshot it already holds. Whatever
is edited, the store ends up exactly as a sync that captures every month would leave it."""

from __future__ import annotations

import dataclasses
import random
import sqlite3

import pytest
from history_support import GOOD, PROFILE, XS, fill_month, new_book, schemas_with_wider_general_score
from unitbook import SCHEMAS

import sheetsync.history.capture as capture_module
from sheetsync.backends.xlsx import ooxml
from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.history.store import open_store
from sheetsync.service.units import run_unit

UNIT = "Phòng thử nghiệm"
ROSTER = {"CB1": {"name": "Nguyễn Văn An", "role": "Người đứng đầu"},
          "CB2": {"name": "Trần Thị Bình", "manager": "CB1"},
          "CB3": {"name": "Lê Văn Cường", "manager": "CB1"},
          "CB4": {"name": "Phạm Thị Dung", "manager": "CB1"}}
MONTHS = ["2026-03", "2026-04", "2026-05", "2026-06"]
# Cells a person may edit, and values they may type (valid, invalid, blank, another row's key).
EDITABLE = {"tasks": ["done_qty", "assigned_qty", "review", "returns", "task_id", "owner_id", "month", "due_date"],
            "evaluations": ["self_general", "mgr_general", "staff_id", "month", "leader_e", "approved_rating"],
            "staff": ["full_name", "manager_id", "leader_role"]}
VALUES = [0, 1, 2, 3, 28, 40, "abc", None, "CB2", "CB9", "NV-2026-04-CB1", "05/2026", "13/2026", "Đạt",
          "Không đạt", GOOD, XS, "Người đứng đầu"]


def people(month: str) -> dict:
    return {"CB1": {"leader_e": 90, "approved": GOOD}, "CB2": {"approved": XS},
            "CB3": {"done": 1, "approved": GOOD}, "CB4": {"general": 27, "approved": GOOD}}


@pytest.fixture
def book(tmp_path):
    """Four months; March approved for everyone (it freezes on the first sync), the others open."""
    b = new_book(tmp_path / "unit.xlsx", ROSTER)
    for m in MONTHS:
        fill_month(b, m, people(m), approve=m == "2026-03")
    b.save()
    return b


def sync(path, store, as_of="2026-06-30", reuse=True, write=True, schemas=SCHEMAS, profile=PROFILE):
    return run_unit(XlsxBackend(path), schemas, profile, unit=UNIT, key=str(path), as_of=as_of, store=store,
                    record=True, write=write, reuse=reuse)


def heads(store) -> dict[str, tuple]:
    """Every month's latest snapshot: its content hash and its rows, people and findings."""
    path = store.url.split("///", 1)[1]
    with sqlite3.connect(path) as c:
        out = {}
        for month, sid, h in c.execute("SELECT um.month, s.id, s.content_hash FROM unit_months um "
                                       "JOIN snapshots s ON s.id = um.head_id WHERE um.unit = ?", (UNIT,)):
            rows = sorted(c.execute("SELECT tab, row_key, sheet_row, data, scores FROM snapshot_rows "
                                    "WHERE snapshot_id = ?", (sid,)))
            out[month] = (h, rows)
    return out


@pytest.fixture
def captured(monkeypatch):
    """The months captured since the list was last cleared."""
    months: list[str] = []
    real = capture_module.capture_month

    def spy(ev, month, *a, **kw):
        months.append(month)
        return real(ev, month, *a, **kw)
    monkeypatch.setattr(capture_module, "capture_month", spy)
    return months


def edit(book, tab: str, row: int, key: str, value) -> None:
    ooxml.patch_workbook(book.path, [ooxml.SheetPatch(SCHEMAS[tab].title,
                                                      cells={(row, book.column_of(tab, key)): value})])


def test_an_edit_in_one_month_captures_only_that_month(book, tmp_path, captured):
    db = open_store(tmp_path / "a.db")
    sync(book.path, db)
    sync(book.path, db)
    assert db.frozen_months(UNIT) == ["2026-03"]
    assert sync(book.path, db).reused
    row = next(r for r in range(2, 40) if XlsxBackend(book.path).read()[SCHEMAS["tasks"].title]
               .cell(r, book.column_of("tasks", "month")) == "05/2026")
    edit(book, "tasks", row, "done_qty", 0)
    captured.clear()
    res = sync(book.path, db)
    assert not res.reused and res.written
    assert captured == ["2026-05"]
    assert sync(book.path, db).reused
    db.close()


@pytest.mark.parametrize("change", ["staff", "as_of", "key", "profile", "schemas", "reopen"])
def test_what_every_month_depends_on_captures_every_month(book, tmp_path, captured, change):
    db = open_store(tmp_path / "a.db")
    for _ in range(3):
        if sync(book.path, db).reused:
            break
    kw: dict = {}
    open_months = MONTHS[1:]  # March is frozen
    if change == "staff":  # the roster: every month's people carry it
        edit(book, "staff", 3, "full_name", "Trần Thị Bình Minh")
    elif change == "as_of":  # the date: overdue counts, deadlines
        kw["as_of"] = "2026-07-31"
    elif change == "key":  # a June task takes an April task's id: the key of a row is numbered after earlier ones
        rows = XlsxBackend(book.path).read()[SCHEMAS["tasks"].title]
        row = next(r for r in range(2, 40) if rows.cell(r, book.column_of("tasks", "month")) == "06/2026")
        edit(book, "tasks", row, "task_id", "NV-2026-04-CB1")
    elif change == "profile":
        kw["profile"] = dataclasses.replace(PROFILE, general_max=25.0)
    elif change == "schemas":
        kw["schemas"] = schemas_with_wider_general_score(tmp_path)
    else:  # March reopened: it is recorded again, and the frozen months are part of every print
        db.reopen(UNIT, "2026-03", by="Quản trị", reason="Sửa theo kết luận")
        open_months = MONTHS
    captured.clear()
    sync(book.path, db, **kw)
    assert sorted(set(captured)) == open_months
    db.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_edits_leave_the_store_as_a_full_capture_would(book, tmp_path, captured, seed):
    rng = random.Random(seed)
    skipped = 0
    quick, full = open_store(tmp_path / "quick.db"), open_store(tmp_path / "full.db")
    as_of = "2026-06-30"
    sync(book.path, quick, as_of=as_of)  # March freezes
    for step in range(8):
        if step:
            tab = rng.choice(["tasks", "tasks", "tasks", "evaluations", "evaluations", "staff"])
            rows = XlsxBackend(book.path).read()[SCHEMAS[tab].title]
            last = len(rows.rows) + rows.first_row - 1
            for _ in range(rng.choice([1, 1, 2, 3])):
                edit(book, tab, rng.randint(2, last), rng.choice(EDITABLE[tab]), rng.choice(VALUES))
            if rng.random() < 0.1:
                as_of = rng.choice(["2026-06-24", "2026-06-30", "2026-07-06"])
        captured.clear()
        if not sync(book.path, quick, as_of=as_of).reused:  # writes; months known from the last sync
            skipped += len(MONTHS) - 1 - len(set(captured))
        sync(book.path, full, as_of=as_of, reuse=False, write=False)  # captures every month
        assert heads(quick) == heads(full), f"step {step}"
    assert skipped > 0  # the edits did leave months known
    quick.close()
    full.close()
