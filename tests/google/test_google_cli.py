"""The command line on Google sources: init (existing sheet, --create --share-with), sync --json."""

from __future__ import annotations

import json

from click.testing import CliRunner
from googlebook import SCHEMAS

from sheetsync.cli import main


def test_init_existing_sheet_then_sync_json_reports_requests(emulator, gc, monkeypatch):
    monkeypatch.setattr("sheetsync.backends.google.init.EMULATOR_ROWS", 30)  # a small sheet reads faster
    sh = gc.create("Phòng Nội vụ")
    runner = CliRunner()
    out = runner.invoke(main, ["init", f"https://docs.google.com/spreadsheets/d/{sh.id}/edit", "--unit", "Phòng Nội vụ"])
    assert out.exit_code == 0, out.output
    assert f"gsheet:{sh.id}" in out.output
    titles = [ws.title for ws in gc.open_by_key(sh.id).worksheets()]
    assert SCHEMAS["tasks"].title in titles
    ws = gc.open_by_key(sh.id).worksheet(SCHEMAS["staff"].title)
    ws.update([["CB01", "Nguyễn Văn A", "", "", "", "Công chức", "Người đứng đầu"]], "A2")
    out = runner.invoke(main, ["sync", f"gsheet:{sh.id}", "--json", "--as-of", "2026-11-26"])
    payload = json.loads(out.output)
    assert payload["units"][0]["write"]["requests"] == 4

    again = runner.invoke(main, ["init", f"gsheet:{sh.id}", "--unit", "Phòng Nội vụ"])
    assert again.exit_code == 2 and "đã có dữ liệu" in again.output


def test_init_create_and_share(emulator, gc, monkeypatch):
    monkeypatch.setattr("sheetsync.backends.google.init.EMULATOR_ROWS", 30)
    out = CliRunner().invoke(main, ["init", "--create", "--share-with", "vanthu@hanoi.gov.vn", "--unit", "Phòng Y tế"])
    assert out.exit_code == 0, out.output
    assert "Đã chia sẻ với vanthu@hanoi.gov.vn" in out.output
    files = gc.list_spreadsheet_files()
    assert any(f["name"] == "Đánh giá hằng tháng — Phòng Y tế" for f in files)


def test_init_needs_a_path_or_create(emulator):
    out = CliRunner().invoke(main, ["init", "--unit", "Phòng Y tế"])
    assert out.exit_code == 2 and "--create" in out.output


def test_a_created_sheet_is_named_by_its_unit_not_its_title(emulator, gc, monkeypatch):
    monkeypatch.setattr("sheetsync.backends.google.init.EMULATOR_ROWS", 30)
    runner = CliRunner()
    out = runner.invoke(main, ["init", "--create", "--unit", "Phòng Y tế", "--json"])
    sid = json.loads(out.output)["spreadsheet"]
    assert gc.open_by_key(sid).title == "Đánh giá hằng tháng — Phòng Y tế"
    synced = json.loads(runner.invoke(main, ["sync", f"gsheet:{sid}", "--json", "--store", "none"]).output)
    assert synced["units"][0]["unit"] == "Phòng Y tế"
    summary = gc.open_by_key(sid).worksheet(SCHEMAS.summary_title).acell("A1").value
    assert summary == "TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI HẰNG THÁNG — Phòng Y tế"
