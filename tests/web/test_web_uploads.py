"""Uploading a new version of an .xlsx unit, and the month's forms, over real HTTP."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import openpyxl
from conftest import fill_unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(session, unit_slug: str, name: str, data: bytes):
    return session.post(f"/don-vi/{unit_slug}/tai-len", files={"file": (name, data, XLSX)},
                        token_from=f"/don-vi/{unit_slug}")


def uploads_kept(server) -> list[Path]:
    return sorted((server.ward_file.parent / ".sheetsync-web" / "uploads").glob("*/*.xlsx"))


def test_what_is_not_a_workbook_is_refused_with_a_message_and_changes_nothing(http, server, tmp_path):
    admin = http("admin")
    before = (server.ward_file.parent / "gamma.xlsx").read_bytes()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as fh:
            for _ in range(64):
                fh.write(b"\0" * (1 << 20))
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w/>")
    cases = {
        "renamed.xlsx": (b"%PDF-1.4 not a workbook", "không phải bảng tính"),
        "bao-cao.docx": (docx.getvalue(), "Chỉ nhận tệp Excel .xlsx"),
        "doi-ten.xlsx": (docx.getvalue(), "không phải bảng tính .xlsx"),
        "bom.xlsx": (bomb.getvalue(), "nghi ngờ tệp nén độc hại"),
    }
    for name, (data, message) in cases.items():
        r = upload(admin, "phong-gamma", name, data)
        assert r.status_code == 303 and r.headers["location"] == "/don-vi/phong-gamma", name
        page = admin.get("/don-vi/phong-gamma").text
        assert message in page, name
    big = upload(admin, "phong-gamma", "lon.xlsx", b"PK\x03\x04" + b"x" * (21 * 1024 * 1024))
    assert big.status_code == 413 and "quá lớn" in big.text
    assert uploads_kept(server) == []
    assert "Các phiên bản đã tải lên" not in admin.get("/don-vi/phong-gamma").text
    assert (server.ward_file.parent / "gamma.xlsx").read_bytes() == before
    log = admin.get("/quan-tri/nhat-ky").text
    assert log.count("Tệp tải lên bị từ chối") == 4


def test_an_upload_is_checked_shown_then_accepted_and_every_version_is_kept(http, server, tmp_path):
    focal = http("alpha")
    live = server.ward_file.parent / "alpha.xlsx"
    broken = fill_unit(tmp_path / "alpha-sai.xlsx", "Phòng Alpha", "AL", broken=True).read_bytes()
    fixed = fill_unit(tmp_path / "alpha-dung.xlsx", "Phòng Alpha", "AL").read_bytes()
    before = live.read_bytes()

    r = upload(focal, "phong-alpha", "alpha-sai.xlsx", broken)
    assert r.status_code == 303
    preview = focal.get(r.headers["location"]).text
    assert re.search(r"Kết quả kiểm tra: [1-9] lỗi", preview) and "&#39;hai&#39; không hợp lệ ở cột Số lượng giao" in preview
    assert live.read_bytes() == before  # shown, not yet accepted
    accept = re.search(r'action="(/don-vi/phong-alpha/tai-len/\d+/nhan)"', preview).group(1)
    assert focal.post(accept, token_from=r.headers["location"]).status_code == 303
    page = focal.get("/don-vi/phong-alpha").text
    assert "Lỗi và cảnh báo" in page and "không hợp lệ ở cột Số lượng giao" in page
    only_errors = focal.get("/don-vi/phong-alpha?severity=error").text
    assert "không hợp lệ ở cột Số lượng giao" in only_errors

    r2 = upload(focal, "phong-alpha", "alpha-dung.xlsx", fixed)
    preview2 = focal.get(r2.headers["location"]).text
    assert "Kết quả kiểm tra: 0 lỗi" in preview2
    accept2 = re.search(r'action="(/don-vi/phong-alpha/tai-len/\d+/nhan)"', preview2).group(1)
    focal.post(accept2, token_from=r2.headers["location"])
    page = focal.get("/don-vi/phong-alpha").text
    assert "không hợp lệ ở cột Số lượng giao" not in page and "Đã nhận phiên bản 2" in page
    assert "Đang dùng" in page and "Đã thay" in page

    kept = uploads_kept(server)
    assert [hashlib.sha256(p.read_bytes()).digest() for p in kept] == \
        [hashlib.sha256(broken).digest(), hashlib.sha256(fixed).digest()]  # as uploaded, never rewritten
    backups = sorted((server.ward_file.parent / ".sheetsync-web" / "backups").glob("*/*.xlsx"))
    assert len(backups) == 2 and backups[0].read_bytes() == before
    # The synced workbook (engine columns written into the accepted version) downloads.
    got = focal.get("/don-vi/phong-alpha/bang-tinh")
    assert got.status_code == 200 and got.content == live.read_bytes()
    wb = openpyxl.load_workbook(io.BytesIO(got.content))
    assert "Tổng hợp" in wb.sheetnames


def test_forms_of_the_month_are_made_and_downloaded_by_who_may(http, server):
    admin = http("admin")
    r = admin.post("/bieu-mau", {"month": "2026-11"}, token_from="/")
    assert r.status_code == 303
    page = admin.get("/?month=2026-11").text
    assert "Đã lập Mẫu 01A, 02A tháng 11/2026" in page
    links = dict(re.findall(r'href="(/bieu-mau/2026-11/([^"]+))"', page))
    ward_01a = next(href for href in links if "01A" in href and "Phuong" in href and href.endswith(".xlsx"))
    got = admin.get(ward_01a)
    assert got.status_code == 200 and got.headers["content-type"].startswith(XLSX)
    wb = openpyxl.load_workbook(io.BytesIO(got.content))
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value)
    assert "Phòng Alpha" in text and "Phòng Beta" in text
    alpha_01a = next(href for href in links if "01A" in href and "Alpha" in href and href.endswith(".xlsx"))
    beta_01a = next(href for href in links if "01A" in href and "Beta" in href and href.endswith(".xlsx"))
    focal = http("alpha")
    assert focal.get(alpha_01a).status_code == 200
    assert focal.get(beta_01a).status_code == 404
    assert focal.get(ward_01a).status_code == 404
    assert focal.get("/bieu-mau/2026-11/..%2Fmanifest.json").status_code == 404
    assert "Mẫu 01A (.xlsx)" in focal.get("/don-vi/phong-alpha?month=2026-11").text
