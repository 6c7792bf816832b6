"""An unchanged .xlsx workbook is recognised from its zip central directory alone (every
member's CRC-32 and size) and not even read, but only for a package whose cells were read
and matched the saved result: never the package the engine has just written, never after an
edit of any tab or a re-save, never when anything else the result depends on changed."""

from __future__ import annotations

import dataclasses
import json
import shutil
import zipfile

import openpyxl
import pytest
from history_support import GOOD, PROFILE, XS, fill_month, new_book, schemas_with_wider_general_score
from unitbook import SCHEMAS

from sheetsync.backends.xlsx import ooxml
from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.history.store import open_store
from sheetsync.service.units import run_unit

UNIT = "Phòng thử nghiệm"
ROSTER = {"CB1": {"name": "Nguyễn Văn An", "role": "Người đứng đầu"},
          "CB2": {"name": "Trần Thị Bình", "manager": "CB1"},
          "CB3": {"name": "Lê Văn Cường", "manager": "CB1"}}
MAY = {"CB1": {"leader_e": 90, "approved": GOOD}, "CB2": {"approved": XS}, "CB3": {"done": 1, "approved": GOOD}}
JUNE = {"CB1": {"leader_e": 90}, "CB2": {"general": 40}, "CB3": {"done": 1}}
VOLATILE = ("seconds", "written", "reused", "write", "cells_written", "summary_rewritten", "notices")


@pytest.fixture
def book(tmp_path):
    """May approved for everyone (it freezes on the first sync), June open with findings."""
    b = new_book(tmp_path / "unit.xlsx", ROSTER)
    fill_month(b, "2026-05", MAY)
    fill_month(b, "2026-06", JUNE, approve=False)
    b.save()
    return b


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    url = str(tmp_path / "sheetsync.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    s = open_store(url)
    yield s
    s.close()


def sync(path, store, as_of="2026-06-24", unit=UNIT, **kw):
    return run_unit(XlsxBackend(path), kw.pop("schemas", SCHEMAS), kw.pop("profile", PROFILE), unit=unit,
                    key=str(path), as_of=as_of, store=store, record=kw.get("write", True), **kw)


def until_unread(path, store, **kw):
    """Sync until a sync reuses without reading; returns the syncs made."""
    runs = []
    for _ in range(5):
        runs.append(sync(path, store, **kw))
        if runs[-1].unread:
            return runs
    raise AssertionError(f"never reused unread: {[(r.written, r.reused) for r in runs]}")


def shown(res) -> dict:
    d = res.to_dict()
    return json.loads(json.dumps({k: v for k, v in d.items() if k not in VOLATILE}, default=str))


def test_an_unchanged_workbook_is_not_read_and_shows_its_recorded_result(book, db, monkeypatch):
    runs = until_unread(book.path, db)
    # The first sync writes; the package it wrote is trusted only after a read matched it.
    assert runs[0].written and not runs[0].unread
    assert all(not r.unread for r in runs[:-1]) and len(runs) >= 2
    direct = run_unit(XlsxBackend(book.path), SCHEMAS, PROFILE, unit=UNIT, as_of="2026-06-24", store=db,
                      write=False, reuse=False)
    assert shown(runs[-1]) == shown(direct) and direct.evaluation.error_count > 0

    def no_reading(self):
        raise AssertionError("the workbook was read")
    monkeypatch.setattr(XlsxBackend, "read", no_reading)
    again = sync(book.path, db)
    assert again.reused and again.unread and again.plan is None and set(again.seconds) == {"read", "reuse"}
    assert shown(again) == shown(direct)


def test_the_package_just_written_is_read_before_it_is_trusted(book, db):
    until_unread(book.path, db)
    tab = SCHEMAS["evaluations"].title
    col = book.column_of("evaluations", "check_status")
    ooxml.patch_workbook(book.path, [ooxml.SheetPatch(tab, cells={(5, col): "Hợp lệ (sửa tay)"})])
    restored = sync(book.path, db)
    assert restored.written and not restored.unread
    after = sync(book.path, db)  # the engine's own write: read, matched, then remembered
    assert after.reused and not after.unread
    assert sync(book.path, db).unread


def test_an_edit_of_any_tab_is_read(book, db):
    titles = list(XlsxBackend(book.path).read())
    assert SCHEMAS.summary_title in titles and len(titles) >= 8
    for title in titles:
        until_unread(book.path, db)
        ooxml.patch_workbook(book.path, [ooxml.SheetPatch(title, cells={(300, 45): "sửa tay"})])
        res = sync(book.path, db)
        assert not res.unread, title


def test_a_resave_is_read_and_a_repack_of_the_same_parts_is_not(book, db, tmp_path):
    until_unread(book.path, db)
    wb = openpyxl.load_workbook(book.path)  # what a spreadsheet program does on save: new parts
    wb.save(book.path)
    res = sync(book.path, db)
    assert not res.unread
    until_unread(book.path, db)
    # The same parts, byte for byte, stored uncompressed in another order: a different file,
    # the same content: sound to reuse unread.
    repacked = tmp_path / "repacked.xlsx"
    with zipfile.ZipFile(book.path) as src, zipfile.ZipFile(repacked, "w", zipfile.ZIP_STORED) as dst:
        for info in reversed(src.infolist()):
            dst.writestr(info.filename, src.read(info))
    assert repacked.read_bytes() != book.path.read_bytes()
    shutil.copyfile(repacked, book.path)
    assert sync(book.path, db).unread


def stricter_profile(path, db, tmp_path):
    return {"profile": dataclasses.replace(PROFILE, general_max=25.0)}


def changed_schemas(path, db, tmp_path):
    return {"schemas": schemas_with_wider_general_score(tmp_path)}


def next_day(path, db, tmp_path):
    return {"as_of": "2026-06-29"}  # past June's approval day


def reopened_month(path, db, tmp_path):
    assert db.frozen_months(UNIT) == ["2026-05"]
    db.reopen(UNIT, "2026-05", by="Quản trị", reason="Sửa theo kết luận")
    return {}


def one_month(path, db, tmp_path):
    return {"months": ["2026-06"]}


def exceptional(path, db, tmp_path):
    return {"exceptional": True}


@pytest.mark.parametrize("change", [stricter_profile, changed_schemas, next_day, reopened_month, one_month,
                                    exceptional])
def test_every_change_the_skip_knows_is_read(book, db, tmp_path, change):
    until_unread(book.path, db)
    kw = change(book.path, db, tmp_path)
    res = sync(book.path, db, **kw)
    assert not res.unread
    if change is next_day:
        assert "deadline.approval-missing" in set(res.evaluation.findings["code"])
    if change is reopened_month:
        assert not res.reused  # May is no longer frozen: evaluated again
    assert until_unread(book.path, db, **kw)[-1].unread  # and the new state is recognised in turn


def test_a_workbook_without_a_unit_name_is_named_by_its_summary_without_reading_it(book, db):
    bare = dict(unit=None)
    runs = until_unread(book.path, db, **bare)
    assert runs[-1].unit == UNIT and runs[-1].reused
    assert db.reuse_units(str(book.path)) == [UNIT]
    # Another unit's result saved for the same workbook is tried too, and does not match.
    db.save_result("Đơn vị khác", str(book.path), "0" * 64, {"package": "0" * 64})
    assert db.reuse_units(str(book.path)) == sorted([UNIT, "Đơn vị khác"])
    again = sync(book.path, db, **bare)
    assert again.unread and again.unit == UNIT


def wanting(key, package, seen=None):
    """A `reuse_lookup` wish: the key and package print wanted, whatever the frozen months (noted in `seen`)."""
    def wanted(frozen):
        if seen is not None:
            seen.append(frozen)
        return key, package
    return wanted


def saved(store, unit=UNIT, source=None) -> tuple[list, str, dict, dict]:
    """The unit's frozen months and saved result as the store has it: its key, the result whole
    (asked for by that key) and brief (asked for by a key it does not hold)."""
    frozen, (key, brief), whole = store.reuse_lookup(unit, source, wanting("0" * 64, None))
    assert not whole
    again, (same, result), whole = store.reuse_lookup(unit, source, wanting(key, None))
    assert whole and again == frozen and same == key
    return frozen, key, result, brief


def test_the_quick_sqlite_store_answers_like_the_full_one(book, tmp_path):
    """What a sync of an unchanged unit asks a SQLite store without loading the database layer
    (`QuickStore`) is what the full store answers, and what it saves the full store reads."""
    from sheetsync.history.quickstore import QuickStore

    path = str(tmp_path / "quick.db")
    full = open_store(path)
    try:
        until_unread(book.path, full)
        source = str(book.path)
        quick = QuickStore(path, lambda: open_store(path))
        assert quick.reuse_units(source) == full.reuse_units(source) == [UNIT]
        frozen, key, data, brief = saved(full, source=source)
        assert frozen and "findings" in data and "findings" not in brief
        for wanted in ((key, None), (None, data["package"]), ("0" * 64, None), ("0" * 64, "0" * 64), (None, None)):
            assert quick.reuse_lookup(UNIT, source, wanting(*wanted)) == \
                full.reuse_lookup(UNIT, source, wanting(*wanted))
        assert quick.reuse_lookup("Đơn vị khác", source, wanting(key, None)) == \
            full.reuse_lookup("Đơn vị khác", source, wanting(key, None)) == ([], None, False)
        quick.save_result(UNIT, source, key, {**data, "package": "1" * 64})
        assert quick._full is None  # answered with sqlite3 alone
        assert full.reuse_lookup(UNIT, source, wanting(key, None)) == (frozen, (key, {**data, "package": "1" * 64}),
                                                                        True)
        assert not sync(book.path, quick).unread  # a package print that matches nothing: read
        assert sync(book.path, quick).unread  # the read matched: its print is kept again
        quick.close()
    finally:
        full.close()


def test_the_brief_result_is_the_saved_result_without_its_findings(book, any_url):
    """Before a sync knows whether the saved result matches, it reads only the result's package
    print, month prints and recorded months, taken out by the database (the findings of a year's
    unit are not read); they are the whole result's own entries."""
    from sheetsync.history.quickstore import BRIEF

    store = open_store(any_url)
    try:
        until_unread(book.path, store)
        frozen, key, whole, brief = saved(store, source=str(book.path))
        assert brief == {k: whole[k] for k in BRIEF if k in whole}
        assert set(brief) == set(BRIEF) and "findings" in whole
        assert store.reuse_lookup("Đơn vị khác", str(book.path), wanting("0" * 64, None)) == ([], None, False)
    finally:
        store.close()


def test_the_saved_result_comes_whole_only_when_its_key_or_package_is_the_one_wanted(book, any_url):
    """A sync about to compare asks once (`reuse_lookup`): the key it wants is worked out from
    the frozen months the same read found; the result comes whole when its key, or the package
    print saved in it, is the one wanted, and brief otherwise."""
    store = open_store(any_url)
    try:
        until_unread(book.path, store)
        frozen, key, whole, brief = saved(store, source=str(book.path))
        assert frozen  # May froze on the first sync
        assert whole["package"] and brief["package"] == whole["package"]
        seen = []
        assert store.reuse_lookup(UNIT, str(book.path), wanting(key, None, seen)) == (frozen, (key, whole), True)
        assert store.reuse_lookup(UNIT, str(book.path), wanting(None, whole["package"], seen)) == \
            (frozen, (key, whole), True)
        assert store.reuse_lookup(UNIT, str(book.path), wanting("0" * 64, "0" * 64, seen)) == \
            (frozen, (key, brief), False)
        assert store.reuse_lookup(UNIT, str(book.path), wanting(None, None, seen)) == (frozen, (key, brief), False)
        assert store.reuse_lookup("Đơn vị khác", str(book.path), wanting(key, None, seen)) == ([], None, False)
        assert seen == [frozen] * 4 + [[]]
    finally:
        store.close()
