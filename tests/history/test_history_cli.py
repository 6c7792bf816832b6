"""The history commands end to end through click: quarter, year, status, history, reopen."""

from __future__ import annotations

import json
from datetime import datetime

import click
import pytest
import yaml
from click.testing import CliRunner
from history_support import GOOD, XS, fill_month, new_book, sync_once

from sheetsync.cli.history import register
from sheetsync.history.store import DEFAULT_FILE, open_store

A, B = "Phòng A", "Phòng B"


@click.group()
def cli() -> None:
    """A stand-in for `sheetsync` (the lead registers the commands on the real group)."""


register(cli)


@pytest.fixture(scope="module")
def ward(tmp_path_factory):
    d = tmp_path_factory.mktemp("cliward")
    a = new_book(d / "a.xlsx", {"CB1": {"name": "Nguyễn Văn An"}, "CB2": {"name": "Trần Thị Bình"}}, unit=A)
    b = new_book(d / "b.xlsx", {"CB3": {"name": "Lê Văn Cường"}}, unit=B)
    for m in ("2026-04", "2026-05"):
        fill_month(a, m, {"CB1": {"general": 28, "approved": XS}, "CB2": {"general": 10, "approved": GOOD}})
        fill_month(b, m, {"CB3": {"general": 25, "approved": GOOD}})
    fill_month(a, "2026-06", {"CB1": {"general": 22}, "CB2": {"general": 15}})
    a.save(), b.save()
    path = d / "ward.yaml"
    path.write_text(yaml.safe_dump({"ward": "Phường Thử", "issuing_body": "UBND PHƯỜNG THỬ", "profile": "nd335",
                                    "units": [{"name": A, "source": "a.xlsx"}, {"name": B, "source": "b.xlsx"}]},
                                   allow_unicode=True), encoding="utf-8")
    store = open_store(d / DEFAULT_FILE)  # the default place: beside ward.yaml
    for book, unit in ((a, A), (b, B)):
        sync_once(store, book.path, unit, "2026-06-30", now=datetime(2026, 6, 30, 17))
    store.close()
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_quarter_prints_and_answers_json(ward, tmp_path):
    res = run("quarter", ward, "--quarter", "2/2026", "--no-forms")
    assert res.exit_code == 0, res.output
    assert "Kết quả Quý II/2026" in res.output and "Nguyễn Văn An" in res.output and "96,00" in res.output
    data = json.loads(run("quarter", ward, "--quarter", "Q2/2026", "--json", "--no-forms").output)
    people = {p["staff_id"]: p for p in data["people"]}
    assert people["CB1"]["monthly"] == {"2026-04": 98.0, "2026-05": 98.0, "2026-06": 92.0}
    assert people["CB1"]["score"] == 96.0 and people["CB1"]["rating"] == XS
    assert people["CB3"]["missing"] == ["2026-06"] and data["files"] == []
    bad = run("quarter", ward, "--quarter", "5/2026")
    assert bad.exit_code == 2 and "không phải quý" in bad.output


def test_year_writes_the_forms(ward, tmp_path):
    res = run("year", ward, "--year", "2026", "--format", "xlsx", "--out", tmp_path / "forms", "--json")
    assert res.exit_code == 0, res.output
    files = json.loads(res.output)["files"]
    assert any(f.endswith("Mau_02A_Nam_Phuong_Thu_2026.xlsx") for f in files)
    assert all((tmp_path / "forms" / f.rsplit("/", 1)[-1]).exists() for f in files)


def test_status_exits_1_when_something_is_missing(ward):
    res = run("status", ward, "--as-of", "2026-06-30", "--json")
    assert res.exit_code == 1
    data = json.loads(res.output)
    codes = {(i["unit"], i["staff_id"], i["code"]) for i in data["items"]}
    assert (A, "CB1", "approval-missing") in codes and (A, "", "forms-missing") in codes
    assert data["open_months"] == {A: ["2026-06"], B: []}
    text = run("status", ward, "--as-of", "2026-06-30", "--counts").output
    assert "Chưa phê duyệt xếp loại tháng 06/2026 (hạn ngày 28/06/2026)." in text and "T04:0/0/0" in text


def test_history_table_and_page(ward, tmp_path):
    res = run("history", ward, "--person", "cb1", "--html", tmp_path / "cb1.html")
    assert res.exit_code == 0, res.output
    assert "Nguyễn Văn An" in res.output and "04/2026" in res.output and "98,00" in res.output
    page = (tmp_path / "cb1.html").read_text(encoding="utf-8")
    assert "<svg" in page and "Lịch sử đánh giá" in page and "Đã phê duyệt" in page
    assert run("history", ward, "--person", "XX").exit_code == 2


def test_reopen_then_again(ward, tmp_path):
    res = run("reopen", ward, "--unit", B, "--month", "05/2026", "--reason", "Sửa theo kết luận", "--by", "admin",
              "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["frozen"] is False
    again = run("reopen", ward, "--unit", B, "--month", "2026-05", "--reason", "lần nữa")
    assert again.exit_code == 2 and "chưa được khóa" in again.output
    assert run("reopen", ward, "--unit", "Phòng Z", "--month", "2026-05", "--reason", "x").exit_code == 2


def test_a_missing_store_is_said_plainly(tmp_path):
    (tmp_path / "ward.yaml").write_text("units: [{name: X, source: x.xlsx}]\n", encoding="utf-8")
    res = run("year", tmp_path / "ward.yaml", "--year", "2026")
    assert res.exit_code == 2 and "Chưa có kho dữ liệu" in res.output
