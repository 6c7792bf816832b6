"""A profile decides the rating scale: five bands with names of their own run through every
command (sync, report, quarter, year, history, status) with nothing assuming Decree 335's four."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from unitbook import UnitBook

from sheetsync.cli import main
from sheetsync.config.profile import load_profile

PROFILE = Path(__file__).parent / "data" / "profiles" / "five-bands.yaml"
NAMES = ["Xuất sắc tiêu biểu", "Xuất sắc", "Khá", "Đạt yêu cầu", "Chưa đạt"]


def run(*args):
    res = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in res.output
    return res


def test_the_scale_comes_from_the_profile():
    scale = load_profile(PROFILE).scale
    assert scale.names == NAMES and [r.code for r in scale] == ["XSTB", "XS", "KHA", "DYC", "CD"]
    assert scale.normalize("kha") == "Khá" and scale.normalize("Đạt") == "Đạt yêu cầu"
    assert scale.normalize("Hoàn thành tốt nhiệm vụ") is None  # not a rating of this profile


@pytest.fixture
def ward(tmp_path) -> Path:
    """Two units scoring across the five bands, three months each, the last one approved."""
    units = []
    for u, unit in enumerate(("Phòng Một", "Phòng Hai")):
        b = UnitBook(tmp_path / f"u{u}.xlsx", unit=unit)
        b.product("SP1", 1)
        for i in range(4):
            b.person(f"P{u}{i}", f"Người {u}{i}")
        for m in (10, 11, 12):
            for i, (done, general) in enumerate(((1, 30), (1, 24), (1, 12), (0, 10))):
                sid = f"P{u}{i}"
                b.task(f"T{u}{i}{m}", sid, qty=1, done=done or None, review="Đạt" if done else None,
                       month=f"{m}/2026", due=dt.date(2026, m, 20),
                       done_date=dt.date(2026, m, 18) if done else None)
                b.evaluation(sid, month=f"{m}/2026", self_general=general, mgr_general=general, self_rating="Khá",
                             self_date=dt.date(2026, m, 24), mgr_date=dt.date(2026, m, 26),
                             approved_rating="Khá" if m < 12 else None,
                             approved_date=dt.date(2026, m, 27) if m < 12 else None)
        b.save()
        units.append(f"  - name: {unit}\n    source: u{u}.xlsx\n")
    path = tmp_path / "ward.yaml"
    path.write_text("ward: Phường Thử\nissuing_body: UBND PHƯỜNG THỬ\nplace: Thử\nprofile: profile.yaml\nunits:\n"
                    + "".join(units), encoding="utf-8")
    (tmp_path / "profile.yaml").write_text(PROFILE.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_every_command_runs_with_five_bands(ward, tmp_path):
    synced = run("sync", ward, "--as-of", "31/12/2026", "--json")
    assert synced.exit_code in (0, 1), synced.output
    payload = json.loads(synced.output)
    assert payload["profile"] == "five-bands" and not payload["problems"]
    ratings = payload["units"][0]["months"]["2026-12"]["ratings"]
    assert set(ratings) <= set(NAMES) and sum(ratings.values()) == 4
    enum_errors = [f for u in payload["units"] for f in u["findings"] if f["code"] == "field.enum"]
    assert enum_errors == []  # Khá, Đạt... are this profile's ratings, accepted in the rating columns

    table = run("sync", ward, "--as-of", "31/12/2026").output
    assert all(code in table for code in ("XSTB", "XS", "KHA", "DYC", "CD")) and "HTXS" not in table

    report = run("report", ward, "--month", "12/2026", "--out", tmp_path / "bc", "--format", "xlsx,html")
    assert report.exit_code in (0, 1), report.output
    form = next((tmp_path / "bc").glob("Mau_01A_Phuong_Thu_2026-12.xlsx"))
    cells = {c for row in openpyxl.load_workbook(form).active.iter_rows(values_only=True) for c in row if c}
    assert set(NAMES) <= cells and "Hoàn thành tốt nhiệm vụ" not in cells
    page = next((tmp_path / "bc").glob("Mau_01A_02A_Phuong_Thu_2026-12.html")).read_text(encoding="utf-8")
    assert "Phòng Một: XSTB 1, XS 1, KHA 1, DYC 0, CD 1" in page  # the chart, series per rating

    quarter = run("quarter", ward, "--quarter", "Q4/2026", "--out", tmp_path / "q", "--format", "xlsx")
    assert quarter.exit_code == 0, quarter.output
    assert any(code in quarter.output for code in ("XSTB", "XS", "KHA", "DYC", "CD"))
    year = run("year", ward, "--year", "2026", "--no-forms", "--json")
    assert year.exit_code == 0 and {p["rating"] for p in json.loads(year.output)["people"]} <= {*NAMES, None}

    history = run("history", ward, "--person", "P00", "--html", tmp_path / "p00.html")
    assert history.exit_code == 0, history.output
    assert "XSTB" in (tmp_path / "p00.html").read_text(encoding="utf-8")

    status = run("status", ward, "--as-of", "31/12/2026")
    assert status.exit_code in (0, 1), status.output
    assert "Phòng Một" in status.output


def test_init_offers_the_profiles_ratings_in_the_dropdown(tmp_path):
    path = tmp_path / "moi.xlsx"
    assert run("init", path, "--unit", "Phòng Mới", "--profile", PROFILE).exit_code == 0
    wb = openpyxl.load_workbook(path)
    lists = [str(dv.formula1) for ws in wb.worksheets for dv in ws.data_validations.dataValidation]
    values = {c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert "Xuất sắc tiêu biểu" in values and "Hoàn thành tốt nhiệm vụ" not in values, lists
