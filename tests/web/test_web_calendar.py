"""A unit's work schedule as a calendar that phones and Outlook subscribe to by URL, against a
real `sheetsync serve`: the secret token in the URL is the only permission (no cookie), the feed
is the unit's own (parsed back with `icalendar`), hostile cell text stays inside its event, a
rotated link stops working at once, wrong tokens learn nothing and guessing is slowed."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
from conftest import Browserless
from icalendar import Calendar
from weeks_ward import BETA_EVENT, HOSTILE_EVENT, HOSTILE_PLACE, serve_weeks

from sheetsync.web.auth import MAX_CALENDAR_FAILURES

LINK = re.compile(r'value="(https?://[^"]+/lich/([A-Za-z0-9_-]+)\.ics)"')


@pytest.fixture(scope="module")
def weeks(tmp_path_factory):
    srv = serve_weeks(tmp_path_factory.mktemp("weeks") / "ward")
    yield srv
    srv.stop()


@pytest.fixture
def session(weeks):
    opened = []

    def login(username: str) -> Browserless:
        s = Browserless(weeks.url)
        opened.append(s)
        assert s.login(username).status_code == 303
        return s
    yield login
    for s in opened:
        s.close()


def link_on_page(s: Browserless, slug: str) -> tuple[str, str]:
    page = s.get(f"/don-vi/{slug}")
    assert page.status_code == 200
    m = LINK.search(page.text)
    assert m, "no calendar link on the unit page"
    return m.group(1), m.group(2)


def feed(url: str, **headers) -> httpx.Response:
    """As a phone fetches it: a fresh client, no cookie."""
    with httpx.Client(timeout=60) as c:
        return c.get(url, headers=headers)


def events(body: bytes) -> dict[str, object]:
    cal = Calendar.from_ical(body)
    return {str(e.get("summary")).replace("\r\n", "\n"): e for e in cal.walk("VEVENT")}


def test_the_unit_page_shows_its_link_to_who_may_see_the_unit(session, weeks):
    admin, alpha, viewer = session("admin"), session("alpha"), session("xem")
    url, token = link_on_page(admin, "phong-alpha")
    assert link_on_page(alpha, "phong-alpha") == (url, token)
    assert link_on_page(viewer, "phong-alpha") == (url, token)
    assert url == f"{weeks.url}/lich/{token}.ics" and len(token) >= 40
    beta_url, beta_token = link_on_page(admin, "phong-beta")
    assert beta_token != token
    # A focal person of Alpha sees neither Beta's page nor its link.
    page = alpha.get("/don-vi/phong-beta")
    assert page.status_code == 404 and beta_token not in page.text
    # Only who may change the unit is offered the rotation.
    assert "Tạo lại liên kết" in alpha.get("/don-vi/phong-alpha").text
    assert "Tạo lại liên kết" not in viewer.get("/don-vi/phong-alpha").text


def test_the_feed_needs_no_cookie_and_holds_the_units_schedule_and_deadlines(session):
    url, _ = link_on_page(session("admin"), "phong-alpha")
    r = feed(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["cache-control"] == "private, max-age=600"
    assert r.headers["referrer-policy"] == "no-referrer"
    cal = Calendar.from_ical(r.content)
    assert str(cal["x-wr-calname"]) == "Lịch công tác – Phòng Alpha"
    got = events(r.content)
    assert "Giao ban tuần của Phòng Alpha" in got
    assert {"Hạn tự đánh giá tháng 11/2026", "Hạn phê duyệt xếp loại tháng 11/2026",
            "Hạn công bố kết quả tháng 11/2026"} <= set(got)
    assert BETA_EVENT not in got and "Beta" not in r.text
    # Fetched again with its ETag: nothing new, nothing sent.
    again = feed(url, **{"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_hostile_event_text_stays_inside_its_own_event(session):
    url, _ = link_on_page(session("admin"), "phong-alpha")
    body = feed(url).content
    got = events(body)
    want = HOSTILE_EVENT.replace("\r\n", "\n")
    assert want in got, list(got)
    assert "giả mạo" not in got  # the line break in the cell did not start an event of its own
    ev = got[want]
    assert str(ev["location"]) == HOSTILE_PLACE
    assert ev.decoded("dtstart").strftime("%Y-%m-%d %H:%M") == "2026-11-30 08:00"
    assert ev.decoded("dtend").strftime("%H:%M") == "09:30"
    # On the wire: every content line folded and escaped, exactly one BEGIN per event.
    text = body.decode("utf-8")
    assert text.split("\r\n").count("BEGIN:VEVENT") == len(Calendar.from_ical(body).walk("VEVENT"))
    assert all(line.startswith((" ", "\t")) or re.match(r"^[A-Z-]+[;:]", line)
               for line in text.split("\r\n") if line)


def test_another_units_token_never_reveals_this_unit(session):
    admin = session("admin")
    beta_url, _ = link_on_page(admin, "phong-beta")
    r = feed(beta_url)
    assert r.status_code == 200
    got = events(r.content)
    assert BETA_EVENT in got
    assert not any("Alpha" in s for s in got) and "Alpha" not in r.text
    assert str(Calendar.from_ical(r.content)["x-wr-calname"]) == "Lịch công tác – Phòng Beta"


def test_a_wrong_token_gets_a_bare_404(session, weeks):
    url, token = link_on_page(session("admin"), "phong-alpha")
    wrong = [secrets.token_urlsafe(32), token[:-1] + ("A" if token[-1] != "A" else "B"), "ngan",
             token + "x" * 80, "..%2F..%2Fward.yaml"]
    answers = [feed(f"{weeks.url}/lich/{t}.ics") for t in wrong]
    assert [a.status_code for a in answers] == [404] * len(wrong)
    assert {a.text for a in answers[:-1]} == {"Không tìm thấy.\n"}  # the same for every wrong token
    assert all("Alpha" not in a.text and "calendar" not in a.headers.get("content-type", "") for a in answers)
    assert "Not Found" not in answers[-1].text and "Không tìm thấy" in answers[-1].text  # no such route
    log = session("admin").get("/quan-tri/nhat-ky").text
    assert "Liên kết lịch sai hoặc đã thay" in log


def test_rotating_the_link_ends_the_old_one_and_is_audited(session, weeks):
    alpha, viewer = session("alpha"), session("xem")
    old_url, old = link_on_page(alpha, "phong-alpha")
    assert feed(old_url).status_code == 200
    # A viewer may not rotate, nor a form without its token.
    r = viewer.post("/don-vi/phong-alpha/lich/tao-lai", token_from="/don-vi/phong-alpha")
    assert r.status_code == 403
    r = alpha.post("/don-vi/phong-alpha/lich/tao-lai", with_token=False)
    assert r.status_code == 403
    assert link_on_page(alpha, "phong-alpha")[1] == old
    r = alpha.post("/don-vi/phong-alpha/lich/tao-lai", token_from="/don-vi/phong-alpha")
    assert r.status_code == 303 and r.headers["location"] == "/don-vi/phong-alpha#lich"
    page = alpha.get("/don-vi/phong-alpha").text
    assert "liên kết cũ không còn dùng được" in page
    new_url, new = link_on_page(alpha, "phong-alpha")
    assert new != old
    assert feed(old_url).status_code == 404
    r = feed(new_url)
    assert r.status_code == 200 and "Giao ban tuần của Phòng Alpha" in events(r.content)
    log = session("admin").get("/quan-tri/nhat-ky").text
    assert "Tạo lại liên kết lịch công tác" in log and old not in log and new not in log


def test_guessing_tokens_is_slowed_like_logins(session, weeks):
    """Last in the module: afterwards this address gets 429 from every calendar URL."""
    url, _ = link_on_page(session("admin"), "phong-alpha")
    assert feed(url).status_code == 200
    codes = [feed(f"{weeks.url}/lich/{secrets.token_urlsafe(32)}.ics").status_code
             for _ in range(MAX_CALENDAR_FAILURES)]
    # The module's earlier wrong tokens count too: 404 until the limit, then 429.
    first = codes.index(429)
    assert set(codes[:first]) == {404} and set(codes[first:]) == {429}
    r = feed(url)
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    assert "BEGIN:VCALENDAR" not in r.text


def test_one_address_gets_a_limited_number_of_feeds_a_minute(tmp_path):
    srv = serve_weeks(tmp_path / "ward", calendar_per_minute=3)
    try:
        s = Browserless(srv.url)
        assert s.login("admin").status_code == 303
        url, _ = link_on_page(s, "phong-beta")
        s.close()
        assert [feed(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    finally:
        srv.stop()
