"""Cost follows change, in the engine: a sync after an edit scores again only the months whose
scoring inputs changed and takes every other month's scoring as the store kept it. Whatever is
edited, the result is the one a full evaluation gives: the same findings, the same scores, the
same cells written, the same summary tab."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys

import pandas as pd
import pytest
from history_support import GOOD, PROFILE, XS, fill_month, new_book, schemas_with_wider_general_score
from sqlalchemy import text
from unitbook import SCHEMAS

from sheetsync.backends.xlsx import ooxml
from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.history.store import open_store
from sheetsync.service.reuse import SUMMARY_VOLATILE_ROWS, part_data, part_from
from sheetsync.service.units import run_unit

UNIT = "Phòng thử nghiệm"
ROSTER = {"CB1": {"name": "Nguyễn Văn An", "role": "Người đứng đầu"},
          "CB2": {"name": "Trần Thị Bình", "manager": "CB1", "group": "Chuyên môn"},
          "CB3": {"name": "Lê Văn Cường", "manager": "CB1", "group": "Chuyên môn"},
          "CB4": {"name": "Phạm Thị Dung", "manager": "CB1"}}
MONTHS = ["2026-03", "2026-04", "2026-05", "2026-06"]
AS_OF = "2026-06-24"  # June: self-assessment day (25) not yet passed
# Cells a person may edit, and values they may type (valid, invalid, blank, another row's key).
EDITABLE = {"tasks": ["done_qty", "assigned_qty", "review", "returns", "task_id", "owner_id", "month", "due_date",
                      "product_code"],
            "evaluations": ["self_general", "mgr_general", "staff_id", "month", "leader_e", "approved_rating",
                            "self_date"],
            "staff": ["full_name", "manager_id", "leader_role", "peer_group"],
            "catalogue": ["coefficient"]}
VALUES = [0, 1, 2, 3, 28, 40, 1.5, "abc", None, "CB2", "CB9", "NV-2026-04-CB1", "05/2026", "13/2026", "Đạt",
          "Không đạt", GOOD, XS, "Người đứng đầu", "SP2"]


def people(month: str) -> dict:
    approved = month == "2026-03"
    return {"CB1": {"leader_e": 90, "approved": GOOD}, "CB2": {"approved": XS, "general": 29},
            "CB3": {"done": 1, "approved": GOOD}, "CB4": {"general": 27 if approved else 26, "approved": GOOD}}


@pytest.fixture
def book(tmp_path):
    """Four months; March approved for everyone (it freezes on the first sync), the others open."""
    b = new_book(tmp_path / "unit.xlsx", ROSTER)
    b.product("SP2", 1.5)
    for m in MONTHS:
        fill_month(b, m, people(m), approve=m == "2026-03")
    b.save()
    return b


@pytest.fixture
def db(tmp_path):
    s = open_store(tmp_path / "sheetsync.db")
    yield s
    s.close()


def sync(path, store, as_of=AS_OF, reuse=True, write=True, record=True, schemas=SCHEMAS, profile=PROFILE):
    return run_unit(XlsxBackend(path), schemas, profile, unit=UNIT, key=str(path), as_of=as_of, store=store,
                    record=record, write=write, reuse=reuse)


def settle(path, store, **kw):
    """Sync until a sync reuses its whole last result: every month's part is then kept."""
    for _ in range(4):
        if sync(path, store, **kw).reused:
            return
    raise AssertionError("the unit was never recognised as unchanged")


def edit(book, tab: str, row: int, key: str, value) -> None:
    ooxml.patch_workbook(book.path, [ooxml.SheetPatch(SCHEMAS[tab].title,
                                                      cells={(row, book.column_of(tab, key)): value})])


def row_of(book, tab: str, month: str) -> int:
    grid = XlsxBackend(book.path).read()[SCHEMAS[tab].title]
    mm = f"{month[5:]}/{month[:4]}"
    return next(r for r in range(2, 60) if grid.cell(r, book.column_of(tab, "month")) == mm)


def written(res) -> tuple:
    """The cells the sync's plan writes, and the summary tab apart from the sync time."""
    plan = res.plan
    patches = sorted((p.title, sorted(p.cells.items()), sorted(p.new_headers.items())) for p in plan.patches if p)
    summary = None
    if plan.summary is not None:
        summary = [[c.value for c in row] for i, row in enumerate(plan.summary.grid) if i not in SUMMARY_VOLATILE_ROWS]
    return json.dumps([patches, summary], default=str)


def rescored(res) -> list[str]:
    return sorted(m for m, p in res.evaluation.parts.items() if not p.reused)


def same_as_full(path, store, **kw):
    """The incremental evaluation (months offered from the store) and a full one of the same
    workbook, store and date: everything a person sees or the sync writes is equal. Returns the
    incremental result."""
    inc = sync(path, store, write=False, record=False, **kw)
    full = sync(path, store, write=False, record=False, reuse=False, **kw)
    assert not inc.reused, "the workbook changed: the unit must be evaluated"
    assert not any(p.reused for p in full.evaluation.parts.values())
    a, b = inc.evaluation, full.evaluation
    pd.testing.assert_frame_equal(a.findings, b.findings)
    assert [type(v) for v in a.findings["cell"]] == [type(v) for v in b.findings["cell"]]
    assert list(a.scores.months) == list(b.scores.months)
    for m in b.scores.months:
        x, y = a.scores.months[m], b.scores.months[m]
        pd.testing.assert_frame_equal(x.people, y.people)
        pd.testing.assert_frame_equal(x.roster, y.roster)
        assert x.quota == y.quota and x.counts == y.counts
    pd.testing.assert_frame_equal(a.scores.evaluations, b.scores.evaluations)
    assert written(inc) == written(full)
    da, db_ = inc.to_dict(), full.to_dict()
    for d in (da, db_):
        d.pop("seconds")
    assert json.dumps(da, default=str) == json.dumps(db_, default=str)
    return inc


def test_an_edit_in_one_month_scores_only_that_month_and_equals_a_full_evaluation(book, db):
    settle(book.path, db)
    edit(book, "tasks", row_of(book, "tasks", "2026-05"), "done_qty", 0)
    inc = same_as_full(book.path, db)
    assert rescored(inc) == ["2026-05"]
    res = sync(book.path, db)
    assert rescored(res) == ["2026-05"] and res.written
    assert sync(book.path, db).reused


def test_edits_in_several_months_score_those_months(book, db):
    settle(book.path, db)
    edit(book, "evaluations", row_of(book, "evaluations", "2026-04"), "mgr_general", 20)
    edit(book, "tasks", row_of(book, "tasks", "2026-06"), "review", "Không đạt")
    assert rescored(same_as_full(book.path, db)) == ["2026-04", "2026-06"]


@pytest.mark.parametrize("change", ["staff", "catalogue", "profile", "schemas"])
def test_what_every_month_reads_scores_every_month_again(book, db, tmp_path, change):
    settle(book.path, db)
    kw: dict = {}
    if change == "staff":  # the roster and the management tree: every month's people
        edit(book, "staff", 3, "full_name", "Trần Thị Bình Minh")
    elif change == "catalogue":  # SP1's coefficient: every month's tasks use it
        edit(book, "catalogue", 2, "coefficient", 2)
    elif change == "profile":
        kw["profile"] = dataclasses.replace(PROFILE, general_max=25.0)
    else:
        kw["schemas"] = schemas_with_wider_general_score(tmp_path)
    assert rescored(same_as_full(book.path, db, **kw)) == MONTHS


def test_a_product_only_one_month_uses_scores_only_that_month_again(book, db):
    edit(book, "tasks", row_of(book, "tasks", "2026-04"), "product_code", "SP2")
    settle(book.path, db)
    edit(book, "catalogue", 3, "coefficient", 3)  # SP2
    assert rescored(same_as_full(book.path, db)) == ["2026-04"]


def test_the_date_scores_again_only_the_months_whose_deadlines_it_crosses(book, db):
    settle(book.path, db)
    # 24 → 25 June crosses no deadline of any month: the unit is evaluated (the date changed),
    # but every month's scoring is taken as kept.
    assert rescored(same_as_full(book.path, db, as_of="2026-06-25")) == []
    settle(book.path, db, as_of="2026-06-25")
    # 25 → 29 June crosses June's self-assessment (25), review (26) and approval (28) days.
    inc = same_as_full(book.path, db, as_of="2026-06-29")
    assert rescored(inc) == ["2026-06"]
    assert "deadline.approval-missing" in set(inc.evaluation.findings["code"])


def test_a_frozen_month_reopened_shows_the_sheet_again_as_a_full_evaluation_does(book, db):
    settle(book.path, db)
    assert db.frozen_months(UNIT) == ["2026-03"]
    # An edit after approval: reported, the recorded scores kept.
    edit(book, "tasks", row_of(book, "tasks", "2026-03"), "done_qty", 0)
    edited = same_as_full(book.path, db)
    assert rescored(edited) == ["2026-03"] and edited.freeze.edits
    settle(book.path, db)
    db.reopen(UNIT, "2026-03", by="Quản trị", reason="Sửa theo kết luận")
    # The kept parts are the engine's own scoring, before any freeze: after reopening, March
    # shows the sheet's scores again exactly as a full evaluation does.
    reopened = same_as_full(book.path, db)
    assert rescored(reopened) == [] and not reopened.freeze.edits
    def cb1(res):  # the edited task is CB1's
        return res.evaluation.scores.months["2026-03"].people.set_index("staff_id").at["CB1", "score_a"]
    assert cb1(edited) == 100 and cb1(reopened) == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_edits_in_one_or_several_months_give_what_a_full_evaluation_gives(book, db, seed):
    rng = random.Random(seed)
    as_of = AS_OF
    settle(book.path, db, as_of=as_of)
    reused = 0
    for step in range(6):
        tabs = ["tasks", "tasks", "tasks", "evaluations", "evaluations", "staff", "catalogue"]
        for _ in range(rng.choice([1, 1, 2, 3])):
            tab = rng.choice(tabs)
            grid = XlsxBackend(book.path).read()[SCHEMAS[tab].title]
            last = len(grid.rows) + grid.first_row - 1
            edit(book, tab, rng.randint(2, last), rng.choice(EDITABLE[tab]), rng.choice(VALUES))
        if rng.random() < 0.2:
            as_of = rng.choice(["2026-06-24", "2026-06-27", "2026-07-06"])
        inc = same_as_full(book.path, db, as_of=as_of)
        reused += sum(p.reused for p in inc.evaluation.parts.values())
        res = sync(book.path, db, as_of=as_of)  # writes, records and keeps the new parts
        assert written(res) == written(inc), f"step {step}"
    assert reused > 0  # the edits did leave months to take as kept


def test_a_kept_part_comes_back_exactly(book, db):
    res = sync(book.path, db, write=False, record=False, reuse=False)
    for part in res.evaluation.parts.values():
        back = part_from(json.loads(json.dumps(part_data(part))))
        pd.testing.assert_frame_equal(back.people, part.people)
        for c in part.people.columns:  # None and NaN are told apart
            assert [type(v) for v in back.people[c]] == [type(v) for v in part.people[c]], c
        assert back.quota == part.quota and back.counts == part.counts
        assert back.fingerprint == part.fingerprint
        pd.testing.assert_frame_equal(back.findings.frame(), part.findings.frame())


def test_parts_are_kept_on_either_database(book, any_url):
    store = open_store(any_url)
    try:
        settle(book.path, store)
        kept = store.month_parts(UNIT, str(book.path))
        assert sorted(kept) == MONTHS
        edit(book, "tasks", row_of(book, "tasks", "2026-05"), "done_qty", 0)
        assert rescored(same_as_full(book.path, store)) == ["2026-05"]
        sync(book.path, store)
        again = store.month_parts(UNIT, str(book.path))
        assert again["2026-05"]["fingerprint"] != kept["2026-05"]["fingerprint"]
        assert all(again[m] == kept[m] for m in MONTHS if m != "2026-05")
    finally:
        store.close()


def test_parts_kept_by_one_process_are_taken_by_the_next(book, tmp_path):
    """`sheetsync sync` runs as a new process each time (each with its own string hashing): a month
    kept by one run is taken by the next when its inputs did not change."""
    store = tmp_path / "cli.db"

    def cli(seed: str) -> None:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", "from sheetsync.cli import main; main()", "sync", str(book.path),
                               "--as-of", AS_OF,
                               "--store", str(store)], env=env, capture_output=True, text=True)
        assert done.returncode in (0, 1), done.stderr

    for seed in ("1", "2", "3"):
        cli(seed)
    s = open_store(store)
    try:
        before = {m: p["fingerprint"] for m, p in s.month_parts(UNIT, str(book.path.resolve())).items()}
        assert sorted(before) == MONTHS
        with s.engine.connect() as c:
            kept_at = dict(c.execute(text("SELECT month, at FROM unit_month_parts")).all())
    finally:
        s.close()
    edit(book, "tasks", row_of(book, "tasks", "2026-05"), "done_qty", 0)
    cli("4")
    s = open_store(store)
    try:
        after = {m: p["fingerprint"] for m, p in s.month_parts(UNIT, str(book.path.resolve())).items()}
        with s.engine.connect() as c:
            at = dict(c.execute(text("SELECT month, at FROM unit_month_parts")).all())
    finally:
        s.close()
    assert [m for m in MONTHS if after[m] != before[m]] == ["2026-05"]
    assert [m for m in MONTHS if at[m] != kept_at[m]] == ["2026-05"]  # the others were taken, not saved again


def _heads(store) -> dict[str, str]:
    """Each recorded month's latest snapshot, by content."""
    with store.engine.connect() as c:
        return dict(c.execute(text("SELECT um.month, s.content_hash FROM unit_months um JOIN snapshots s "
                                   "ON s.id = um.head_id WHERE um.unit = :u ORDER BY um.month"), {"u": UNIT}).all())


def _cell(book, tab: str, row: int, key: str):
    return XlsxBackend(book.path).read()[SCHEMAS[tab].title].cell(row, book.column_of(tab, key))


def _across_months(book) -> list:
    """Edits whose effect reaches beyond the month of the edited row."""
    may, april = row_of(book, "tasks", "2026-05"), row_of(book, "tasks", "2026-04")
    april_id, may_id = _cell(book, "tasks", april, "task_id"), _cell(book, "tasks", may, "task_id")
    may_eval = row_of(book, "evaluations", "2026-05")
    return [
        ("tasks", may, "task_id", april_id),  # May's task takes April's key: a duplicate across months
        ("tasks", may, "task_id", may_id),  # and gives it back: April's row is no longer a duplicate
        ("tasks", april, "month", "05/2026"),  # April's task moves to May: both months change
        ("tasks", april, "month", "04/2026"),
        ("evaluations", may_eval, "staff_id", "CB9"),  # a row naming nobody on the roster
        ("staff", 3, "full_name", "Trần Thị Bình Minh"),  # the roster: every month's people
        ("staff", 4, "staff_id", "CB2"),  # a duplicate on the roster: every month's references
    ]


def test_what_an_edit_across_months_records_is_what_a_full_sync_records(book, any_url, tmp_path):
    """Two copies of the unit take the same edits: one synced as usual (months recorded anew
    only where their print changed, the result saved and offered), the other synced with no
    reuse into a store of its own. After every edit both stores hold the same latest record of
    every month, and both syncs show the same result."""
    import shutil

    shutil.copy(book.path, tmp_path / "full.xlsx")
    inc_db = open_store(any_url)
    full_db = open_store(str(tmp_path / "full.db"))
    try:
        settle(book.path, inc_db)
        for _ in range(2):
            sync(tmp_path / "full.xlsx", full_db, reuse=False)
        for tab, row, key, value in _across_months(book):
            for path in (book.path, tmp_path / "full.xlsx"):
                ooxml.patch_workbook(path, [ooxml.SheetPatch(SCHEMAS[tab].title,
                                                             cells={(row, book.column_of(tab, key)): value})])
            inc = sync(book.path, inc_db)
            full = sync(tmp_path / "full.xlsx", full_db, reuse=False)
            assert not inc.reused
            assert _heads(inc_db) == _heads(full_db), (tab, key, value)
            a, b = inc.to_dict(), full.to_dict()
            for d in (a, b):
                d.pop("seconds")
                d.pop("source")
                d.pop("key")
            # (keys sorted: a month frozen on PostgreSQL comes back from JSONB with its keys sorted)
            assert json.dumps(a, default=str, sort_keys=True) == json.dumps(b, default=str, sort_keys=True), \
                (tab, key, value)
            assert sync(book.path, inc_db).reused  # and the edited unit is recognised in turn
    finally:
        inc_db.close()
        full_db.close()
