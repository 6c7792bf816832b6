"""The month in a real browser (Playwright driving the system Chromium) against a real
`sheetsync serve`: the admin's whole round, a focal person's view, a phone screen."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import PASSWORD, SCRIPT_NAME, fill_unit

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright-python chưa được cài (pip install playwright)")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "web-screenshots"


def open_page(chromium, width=1280, height=900):
    context = chromium.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    return page


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Đăng nhập')")
    page.wait_for_url(base + "/")


def test_admin_does_the_month_in_the_browser(chromium, server, tmp_path):
    page = open_page(chromium)
    base = server.url
    log_in(page, base, "admin")
    assert page.locator("h1").inner_text() == "Đánh giá tháng 11/2026"
    assert page.locator("table.units tbody tr").count() == 3
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    # A unit page: people with their scores; the <script> name shows as text.
    page.click("text=Phòng Beta")
    assert page.locator("h1").inner_text() == "Phòng Beta"
    assert page.get_by_text(SCRIPT_NAME).count() >= 1
    assert page.evaluate("document.scripts.length") == 0  # the name became text, no script element
    assert page.locator("table.people tbody tr").count() == 3

    # Upload a workbook with errors: checked at once, findings shown before anything changes.
    page.goto(base + "/don-vi/phong-gamma")
    broken = fill_unit(tmp_path / "gamma-loi.xlsx", "Phòng Gamma", "GA", broken=True)
    page.set_input_files("input[type=file]", str(broken))
    page.click("button:has-text('Tải lên và kiểm tra')")
    page.wait_for_selector("text=Kết quả kiểm tra")
    assert "lỗi" in page.locator("p.summary").inner_text()
    assert page.locator("table.findings tr.error").count() >= 1
    assert page.get_by_text("'hai' không hợp lệ ở cột Số lượng giao", exact=False).count() >= 1
    page.screenshot(path=str(SCREENSHOTS / "upload-preview.png"), full_page=True)
    page.click("button:has-text('Nhận phiên bản này')")
    page.wait_for_selector("text=Đã nhận phiên bản")
    page.select_option("select[name=severity]", "error")
    page.click("button:has-text('Lọc')")
    assert page.locator("table.findings tbody tr.error").count() >= 1

    # The fixed workbook: accepted, the errors are gone.
    fixed = fill_unit(tmp_path / "gamma-sua.xlsx", "Phòng Gamma", "GA")
    page.goto(base + "/don-vi/phong-gamma")
    page.set_input_files("input[type=file]", str(fixed))
    page.click("button:has-text('Tải lên và kiểm tra')")
    page.wait_for_selector("text=Kết quả kiểm tra: 0 lỗi")
    page.click("button:has-text('Nhận phiên bản này')")
    page.wait_for_selector("text=Đã nhận phiên bản")
    assert page.locator("table.findings tbody tr.error").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "unit.png"), full_page=True)

    # The month's forms, then the unit's and the ward's 01A downloaded.
    page.goto(base + "/?month=2026-11")
    page.click("button:has-text('Lập Mẫu 01A, 02A')")
    page.wait_for_selector("text=Đã lập Mẫu 01A, 02A tháng 11/2026")
    rows = page.locator("table.forms tbody tr")
    assert rows.nth(0).locator("td").first.inner_text() == "Phường Thử Nghiệm"
    with page.expect_download() as ward_dl:
        rows.nth(0).locator("a:has-text('01A .xlsx')").click()
    ward_file = tmp_path / ward_dl.value.suggested_filename
    ward_dl.value.save_as(ward_file)
    gamma_row = page.locator("table.forms tbody tr", has_text="Phòng Gamma")
    with page.expect_download() as unit_dl:
        gamma_row.locator("a:has-text('01A .xlsx')").click()
    unit_file = tmp_path / unit_dl.value.suggested_filename
    unit_dl.value.save_as(unit_file)
    for f in (ward_file, unit_file):
        wb = openpyxl.load_workbook(f)
        text = " ".join(str(c.value) for ws in wb for r in ws.iter_rows() for c in r if c.value)
        assert "Phòng Gamma".casefold() in text.casefold()
    assert "01A" in ward_file.name and "Gamma" in unit_file.name
    assert page.problems == []


def test_a_focal_person_sees_only_their_unit_on_a_phone(chromium, server):
    page = open_page(chromium, 390, 844)
    log_in(page, server.url, "alpha")
    assert page.locator("table.units tbody tr").count() == 1
    assert page.get_by_text("Phòng Beta").count() == 0
    # Nothing wider than the screen except inside the scrolling tables.
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390
    page.screenshot(path=str(SCREENSHOTS / "phone.png"), full_page=False)
    response = page.goto(server.url + "/don-vi/phong-beta")
    assert response.status == 404 and page.get_by_text("Không tìm thấy").count() >= 1


def test_a_person_page_draws_its_chart(chromium, server):
    page = open_page(chromium)
    log_in(page, server.url, "admin")
    page.goto(server.url + "/don-vi/phong-beta")
    page.click("a:has-text('BE03')")
    page.wait_for_selector("h1:has-text('Phạm Minh Đức')")
    page.wait_for_load_state("load")  # images included (the page's CSP forbids wait_for_function's eval)
    width = page.evaluate("document.querySelector('img.chart').naturalWidth")
    assert width > 300
    assert page.locator("text=Năm 2026").count() >= 1
    page.screenshot(path=str(SCREENSHOTS / "person.png"), full_page=True)
    assert page.problems == []
