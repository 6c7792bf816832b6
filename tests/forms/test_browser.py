"""Open the HTML page in a real headless browser: tables and charts render, no console errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheetsync.forms.pdf import browser_flags

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright-python chưa được cài (pip install playwright)")

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "build" / "forms-screenshots"


@pytest.fixture(scope="module")
def page(browser):
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(browser), headless=True,
                                      # Playwright drives the page with script; printing keeps it off.
                                      args=[f for f in browser_flags() if f != "--headless" and "script" not in f])
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        problems: list[str] = []
        tab.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        tab.on("pageerror", lambda e: problems.append(str(e)))
        tab.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        tab.problems = problems
        yield tab
        context.close()
        chromium.close()


def test_ward_page_renders_tables_and_charts(page, reports):
    page.goto(reports.ward.paths["html"].as_uri())
    page.wait_for_load_state("load")
    tables = page.locator("table.grid")
    assert tables.count() == 2
    assert page.locator("#mau-01a tbody tr:not(.foot-row)").count() == 4  # 3 units + total
    assert page.locator("#mau-02a tbody tr.group").count() == 3
    assert page.locator("#mau-02a tbody tr.data").count() == 25
    assert page.locator("#mau-01a tbody tr.total td").nth(2).inner_text() == "25"
    # Vietnamese text arrives intact and the injection attempt shows as text.
    assert "Nguyễn Thị Hồng Nhung" in page.locator("#mau-02a").inner_text()
    assert page.get_by_text("<script>alert(1)</script>").count() == 1
    # Charts: decoded and drawn at a real size.
    sizes = page.eval_on_selector_all(
        ".chart img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.getBoundingClientRect().height])")
    assert len(sizes) == 2
    assert all(done and width > 300 and height > 100 for done, width, height in sizes)
    # The table uses the office serif font, never a sans fallback.
    family = page.eval_on_selector("table.grid", "t => getComputedStyle(t).fontFamily")
    assert family.startswith('"Times New Roman"')
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = page.screenshot(path=str(SCREENSHOT_DIR / "ward.png"), full_page=True)
    assert len(shot) > 50_000
    assert page.problems == []


def test_header_rows_repeat_when_printed(page, reports):
    page.goto(reports.ward.paths["html"].as_uri())
    page.emulate_media(media="print")
    display = page.eval_on_selector("#mau-02a thead", "t => getComputedStyle(t).display")
    assert display == "table-header-group"
    assert page.problems == []


def test_unit_page_renders(page, reports):
    page.goto(reports.scope("Văn phòng HĐND và UBND phường").paths["html"].as_uri())
    rows = page.locator("#mau-01a tbody tr:not(.foot-row)")
    assert rows.count() == 6  # 4 categories + uncategorised + total
    assert rows.nth(4).locator("td").nth(1).inner_text() == "Chưa xác định đối tượng"
    page.screenshot(path=str(SCREENSHOT_DIR / "unit.png"), full_page=True)
    assert page.problems == []
