"""A scheduler reading `--json` tells failures apart by their stable codes, never by parsing the
Vietnamese message: one test per kind of failure, through the real command."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner
from unitbook import UnitBook

from sheetsync.cli import main


def run_json(*args, env: dict | None = None) -> tuple[int, dict]:
    res = CliRunner().invoke(main, [str(a) for a in args] + ["--json"], catch_exceptions=False, env=env)
    return res.exit_code, json.loads(res.stdout)


def unit_error(payload: dict) -> dict:
    (unit,) = payload["units"]
    return unit["error"]


@pytest.fixture
def workbook(tmp_path):
    b = UnitBook(tmp_path / "phong.xlsx", unit="Phòng A")
    b.product("SP1", 1)
    b.person("S1", "Nguyễn Văn An")
    b.task("T1", "S1", qty=1, done=1, review="Đạt")
    b.evaluation("S1", mgr_general=28)
    return b.save()


def test_a_missing_workbook_is_source_not_found(tmp_path):
    code, out = run_json("sync", tmp_path / "khong-co.xlsx", "--store", "none")
    assert code == 2 and [p["code"] for p in out["problems"]] == ["source.not-found"]
    assert "Không tìm thấy" in out["problems"][0]["message"]


def test_a_workbook_open_in_excel_is_source_locked_and_still_checked(workbook):
    workbook.with_name("~$" + workbook.name).write_bytes(b"x")
    code, out = run_json("sync", workbook, "--as-of", "26/11/2026", "--store", "none")
    unit = out["units"][0]
    assert code == 2 and unit["error"]["code"] == "source.locked" and not unit["written"]
    assert "months" in unit and "source.not-written" in [n["code"] for n in unit["notices"]]


def test_a_broken_ward_file_is_config_ward(tmp_path):
    ward = tmp_path / "ward.yaml"
    ward.write_text("ward: Phường Thử\nunits: khong-phai-danh-sach\n", encoding="utf-8")
    code, out = run_json("sync", ward, "--store", "none")
    assert code == 2 and [p["code"] for p in out["problems"]] == ["config.ward"]


def test_no_google_credentials_is_google_credentials(tmp_path, monkeypatch):
    for name in ("SHEETSYNC_GOOGLE_API_URL", "GOOGLE_APPLICATION_CREDENTIALS", "SHEETSYNC_GOOGLE_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHEETSYNC_CONFIG", str(tmp_path / "none.yaml"))
    code, out = run_json("sync", "gsheet:1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "--store", "none")
    assert code == 2 and unit_error(out)["code"] == "google.credentials"
    assert "GOOGLE_APPLICATION_CREDENTIALS" in unit_error(out)["message"]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_google_out_of_reach_is_google_unreachable(monkeypatch):
    monkeypatch.setenv("SHEETSYNC_GOOGLE_API_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("SHEETSYNC_GOOGLE_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("SHEETSYNC_GOOGLE_BACKOFF_BASE", "0.01")
    monkeypatch.setenv("SHEETSYNC_GOOGLE_BACKOFF_CAP", "0.02")
    from sheetsync.backends.google import backend

    backend._SESSIONS.clear()
    code, out = run_json("sync", "gsheet:1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "--store", "none")
    backend._SESSIONS.clear()
    assert code == 2 and unit_error(out)["code"] == "google.unreachable"
    assert "mất kết nối" in unit_error(out)["message"]


def test_a_bad_option_value_is_a_usage_error_in_vietnamese(tmp_path):
    res = CliRunner().invoke(main, ["sync", str(tmp_path), "--month", "13/2026"])
    assert res.exit_code == 2 and "không phải tháng" in res.output and "Invalid value" not in res.output
