"""The weeks inside the month on the ward service's pages, against a real `sheetsync serve` (and
a real browser): each unit's missing and late weekly reports per person and its bottlenecks per
manager on the unit page, a count per unit on the dashboard and the status page, computed once
per sync and kept in the store. The expected figures are worked out by hand in weeks_ward."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import yaml
from conftest import AS_OF, PASSWORD, Browserless
from weeks_ward import HOSTILE_OBSTACLE, serve_weeks

from sheetsync.config.profile import load_profile

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "web-screenshots"


@pytest.fixture(scope="module")
def weeks(tmp_path_factory):
    srv = serve_weeks(tmp_path_factory.mktemp("weeks-pages") / "ward")
    yield srv
    srv.stop()


@pytest.fixture
def admin(weeks):
    s = Browserless(weeks.url)
    assert s.login("admin").status_code == 303
    yield s
    s.close()


def section(html: str, anchor: str) -> str:
    """The page from the heading with id `anchor` to the next h2."""
    start = html.index(f'id="{anchor}"')
    end = html.find("<h2", start)
    return html[start:end if end > 0 else None]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html)))


def rows(html: str, table_class: str) -> list[list[str]]:
    table = re.search(rf'<table class="grid {table_class}">(.*?)</table>', html, re.S).group(1)
    body = table.split("<tbody>", 1)[1]
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_the_unit_page_shows_missing_and_late_weekly_reports_per_person(admin):
    page = admin.get("/don-vi/phong-alpha?month=2026-11").text
    weekly = section(page, "bao-cao-tuan")
    assert "9 lượt chưa báo cáo, 1 lượt báo cáo trễ" in weekly
    got = {r[0]: (r[1], r[2]) for r in rows(weekly, "weekly")}
    assert got == {"AL1 Nguyễn Văn An": ("3", "0"), "AL2 Trần Thị Bình": ("3", "0"),
                   "AL4 Phạm Thu Dung": ("2", "0"), "AL3 Lê Văn Cường": ("1", "1")}
    assert "Báo cáo tuần 46/2026 (09/11–15/11) ngày 14/11/2026, sau hạn thứ Sáu 13/11/2026." in unescape(weekly)
    # The general list of what is missing no longer repeats them.
    assert "Chưa báo cáo tuần" not in page.split('id="diem-nghen"', 1)[1]


def test_the_unit_page_shows_bottlenecks_by_manager_with_hostile_text_as_text(admin, weeks):
    page = admin.get("/don-vi/phong-alpha").text
    part = section(page, "diem-nghen")
    assert "Điểm nghẽn (4)" in part and "Tính đến ngày 27/11/2026" in part
    assert "Quá hạn trên 3 ngày" in part and "trả lại trên 1 lần" in part  # the profile's thresholds
    assert rows(part, "counts") == [["1", "2", "0", "1", "0"]]
    groups = dict(re.findall(r"<h3>(.*?) \(\d+\)</h3>(.*?)</table>", part, re.S))
    assert list(groups) == ["Không có quản lý trực tiếp", "Quản lý trực tiếp: Nguyễn Văn An (AL1)",
                            "Quản lý trực tiếp: Trần Thị Bình (AL2)"]

    def items(manager):
        return [(r[0], r[1], r[3]) for r in rows(groups[manager] + "</table>", "bottlenecks")]
    assert items("Quản lý trực tiếp: Nguyễn Văn An (AL1)") == [("Quá hạn", "Trần Thị Bình (AL2)", "15"),
                                             ("Trả lại nhiều lần", "Trần Thị Bình (AL2)", "")]
    assert items("Không có quản lý trực tiếp") == [("Quá hạn", "Nguyễn Văn An (AL1)", "5")]
    assert items("Quản lý trực tiếp: Trần Thị Bình (AL2)") == [("Khó khăn, vướng mắc", "Phạm Thu Dung (AL4)", "7")]
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in part
    assert HOSTILE_OBSTACLE in unescape(part)
    # The same items as `sheetsync bottlenecks` finds over the same store on the same day.
    from sheetsync.service.reports import bottlenecks

    ward_file = weeks.ward_file
    rep = bottlenecks([str(ward_file)], as_of=AS_OF, out=None).report
    alpha = rep.items[rep.items["unit"] == "Phòng Alpha"]
    assert sorted(alpha["kind"]) == sorted(["obstacle", "overdue", "overdue", "returned"])


def test_the_dashboard_and_the_status_page_count_per_unit(admin):
    page = admin.get("/?month=2026-11").text
    cells = {}
    for tr in re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", page, re.S):
        name = re.search(r'<a href="/don-vi/([a-z-]+)\?', tr)
        weekly = re.search(r'<td class="n weekly">(.*?)</td>', tr, re.S)
        blocked = re.search(r'<td class="n bottlenecks">(.*?)</td>', tr, re.S)
        cells[name.group(1)] = (re.sub(r"<[^>]+>", "", weekly.group(1)), re.sub(r"<[^>]+>", "", blocked.group(1)))
    assert cells == {"phong-alpha": ("9 / 1", "4"), "phong-beta": ("0 / 0", "0")}
    assert 'title="Khó khăn, vướng mắc: 1; Quá hạn: 2; Trả lại nhiều lần: 1"' in page
    status = text_of(admin.get("/tinh-trang").text)
    assert "Báo cáo tuần: chưa báo cáo 9, báo cáo trễ 1." in status
    assert "Điểm nghẽn: khó khăn, vướng mắc 1, quá hạn 2, trả lại nhiều lần 1." in status
    assert "Điểm nghẽn: không có." in status  # Phòng Beta


def test_a_focal_person_sees_only_their_units_counts(weeks):
    s = Browserless(weeks.url)
    try:
        assert s.login("alpha").status_code == 303
        page = s.get("/").text
        assert "phong-alpha" in page and "phong-beta" not in page
        assert "Phòng Beta" not in s.get("/tinh-trang").text
    finally:
        s.close()


def test_the_thresholds_come_from_the_wards_profile(tmp_path):
    raw = yaml.safe_load(load_profile("nd335").source.read_text(encoding="utf-8"))
    raw["bottlenecks"] = {"overdue_days": 10, "stale_days": 30, "returns_above": 2, "no_update_days": 30,
                          "obstacle_days": 3}
    profile = tmp_path / "tieu-chi.yaml"
    profile.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    srv = serve_weeks(tmp_path / "ward", str(profile))
    try:
        s = Browserless(srv.url)
        assert s.login("admin").status_code == 303
        part = section(s.get("/don-vi/phong-alpha").text, "diem-nghen")
        assert "Quá hạn trên 10 ngày" in part and "trả lại trên 2 lần" in part and "trong 3 ngày gần nhất" in part
        assert rows(part, "counts") == [["0", "1", "0", "0", "0"]]  # only AL-NV1, 15 days late
        s.close()
    finally:
        srv.stop()


# -- in a real browser ------------------------------------------------------------------------------

def browser_page(chromium, base: str, username: str, width=1280, height=900):
    page = chromium.new_context(viewport={"width": width, "height": height}).new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Đăng nhập')")
    page.wait_for_url(base + "/")
    return page


def test_the_weeks_in_the_browser(chromium, weeks):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_page(chromium, weeks.url, "alpha")
    row = page.locator("table.units tbody tr", has_text="Phòng Alpha")
    assert row.locator("td.weekly").inner_text() == "9 / 1"
    assert row.locator("td.bottlenecks").inner_text() == "4"
    page.screenshot(path=str(SCREENSHOTS / "weeks-dashboard.png"), full_page=True)
    row.locator("td.bottlenecks a").click()
    page.wait_for_url(re.compile(r".*/don-vi/phong-alpha\?month=2026-11#diem-nghen"))
    assert page.locator("table.weekly tbody tr").count() == 4
    assert page.locator("table.bottlenecks tbody tr").count() == 4
    assert page.get_by_text(HOSTILE_OBSTACLE, exact=False).count() == 1
    assert page.locator("img[src=x]").count() == 0 and page.evaluate("document.scripts.length") == 0
    page.locator("#bao-cao-tuan").screenshot(path=str(SCREENSHOTS / "weeks-unit-weekly.png"))
    page.screenshot(path=str(SCREENSHOTS / "weeks-unit.png"), full_page=True)
    # The calendar link: made by the button, shown once on its own page, then a new one.
    assert page.locator("input.link").count() == 0 and page.get_by_text("Đơn vị chưa có liên kết lịch.").count() == 1
    page.click("button:has-text('Tạo liên kết lịch')")
    page.wait_for_selector("text=Hãy sao chép ngay; liên kết sẽ không hiện lại.")
    old = page.locator("input.link").input_value()
    assert re.fullmatch(re.escape(weeks.url) + r"/lich/[A-Za-z0-9_-]{43}\.ics", old)
    page.screenshot(path=str(SCREENSHOTS / "weeks-calendar-link-once.png"), full_page=True)
    page.click("text=Về trang đơn vị")
    page.wait_for_url(re.compile(r".*/don-vi/phong-alpha#lich"))
    assert page.locator("input.link").count() == 0 and old not in page.content()
    assert page.get_by_text("Đơn vị đã có liên kết lịch, tạo lúc").count() == 1
    page.locator("#lich").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "weeks-calendar-link.png"))
    page.click("button:has-text('Tạo lại liên kết')")
    page.wait_for_selector("text=Đã tạo liên kết lịch mới; liên kết cũ không còn dùng được")
    new = page.locator("input.link").input_value()
    assert new != old and new.startswith(weeks.url + "/lich/")
    page.goto(weeks.url + "/don-vi/phong-alpha")
    status = browser_page(chromium, weeks.url, "admin")
    status.goto(weeks.url + "/tinh-trang")
    counts = status.locator("section", has_text="Phòng Alpha").locator("p.counts").inner_text()
    assert "Báo cáo tuần: chưa báo cáo 9, báo cáo trễ 1." in counts
    status.screenshot(path=str(SCREENSHOTS / "weeks-status.png"), full_page=True)
    assert page.problems == [] and status.problems == []


def test_the_unit_page_on_a_phone(chromium, weeks):
    page = browser_page(chromium, weeks.url, "alpha", 390, 844)
    page.goto(weeks.url + "/don-vi/phong-alpha#diem-nghen")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "weeks-phone.png"), full_page=False)
