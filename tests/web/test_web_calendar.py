"""A unit's work schedule as a calendar that phones and Outlook subscribe to by URL, against a
real `sheetsync serve`: the secret token in the URL is the only permission (no cookie), the link
shows once, when made, and the store keeps only its digest; the feed is the unit's own (parsed
back with `icalendar`), hostile cell text stays inside its event, a rotated link stops working at
once, wrong tokens learn nothing and guessing is slowed."""

from __future__ import annotations

import re
import secrets
import sqlite3
from datetime import datetime

import httpx
import pytest
from conftest import Browserless
from icalendar import Calendar
from weeks_ward import BETA_EVENT, HOSTILE_EVENT, HOSTILE_PLACE, serve_weeks

from sheetsync.history.store.web_models import token_digest
from sheetsync.web.config import DEFAULT_LIMITS

LINK = re.compile(r'value="(https?://[^"]+/lich/([A-Za-z0-9_-]+)\.ics)"')
CALENDAR_FAILURES = DEFAULT_LIMITS["calendar"].per_address


@pytest.fixture(scope="module")
def weeks(tmp_path_factory):
    srv = serve_weeks(tmp_path_factory.mktemp("weeks") / "ward")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def server(weeks):
    """The ward the shared `http` sessions (conftest) open on."""
    return weeks


def new_link(s: Browserless, slug: str) -> tuple[str, str]:
    """Make the unit's calendar link (anew) as its page's button does; the answer shows it once."""
    r = s.post(f"/don-vi/{slug}/lich/tao-lai", token_from=f"/don-vi/{slug}")
    assert r.status_code == 200, r.text[:500]
    m = LINK.search(r.text)
    assert m, "no calendar link on the answer"
    return m.group(1), m.group(2)


def feed(url: str, **headers) -> httpx.Response:
    """As a phone fetches it: a fresh client, no cookie."""
    with httpx.Client(timeout=60) as c:
        return c.get(url, headers=headers)


def events(body: bytes) -> dict[str, object]:
    cal = Calendar.from_ical(body)
    return {str(e.get("summary")).replace("\r\n", "\n"): e for e in cal.walk("VEVENT")}


def store_file(weeks) -> str:
    return str(weeks.ward_file.parent / "sheetsync.db")


def test_the_link_shows_once_to_who_may_change_the_unit(http, weeks):
    admin, alpha, viewer = http("admin"), http("alpha"), http("xem")
    page = viewer.get("/don-vi/phong-beta").text
    assert "Đơn vị chưa có liên kết lịch." in page and "/lich/" not in page.replace("/lich/tao-lai", "")
    assert "Tạo liên kết lịch" not in page  # a viewer is not offered the button
    url, token = new_link(admin, "phong-beta")
    assert url == f"{weeks.url}/lich/{token}.ics" and len(token) >= 40
    made = admin.client.post("/don-vi/phong-beta/lich/tao-lai")  # as a reload would send it: no token
    assert made.status_code == 403
    # Shown once: neither the unit page nor any later page carries it, for anyone.
    for s in (admin, viewer):
        page = s.get("/don-vi/phong-beta").text
        assert token not in page and "Đơn vị đã có liên kết lịch, tạo lúc" in page and "bởi admin" in page
        assert "Liên kết chỉ hiện một lần" in page
    assert "Tạo lại liên kết" in admin.get("/don-vi/phong-beta").text
    assert "Tạo lại liên kết" not in viewer.get("/don-vi/phong-beta").text
    assert feed(url).status_code == 200
    # A focal person of Alpha sees neither Beta's page nor can make its link.
    r = alpha.get("/don-vi/phong-beta")
    assert r.status_code == 404 and token not in r.text
    r = alpha.post("/don-vi/phong-beta/lich/tao-lai", token_from="/don-vi/phong-alpha")
    assert r.status_code == 404 and "/lich/" not in r.text
    assert feed(url).status_code == 200


def test_the_store_holds_no_usable_token(http, weeks):
    url, token = new_link(http("alpha"), "phong-alpha")
    with open(store_file(weeks), "rb") as fh:
        raw = fh.read()
    with sqlite3.connect(store_file(weeks)) as db:
        cols = [r[1] for r in db.execute("PRAGMA table_info(web_calendar_tokens)")]
        digests = dict(db.execute("SELECT unit, digest FROM web_calendar_tokens"))
        audit = " ".join(str(v) for row in db.execute("SELECT * FROM web_audit") for v in row)
    assert cols == ["unit", "digest", "created_at", "created_by"]
    assert token.encode() not in raw and token not in audit  # nowhere in the file, the log included
    assert digests["Phòng Alpha"] == token_digest(token)
    # What a copy of the database gives does not open the feed.
    assert feed(f"{weeks.url}/lich/{digests['Phòng Alpha']}.ics").status_code == 404
    assert feed(url).status_code == 200


def test_the_feed_needs_no_cookie_and_holds_the_units_schedule_and_deadlines(http):
    url, _ = new_link(http("admin"), "phong-alpha")
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


def test_hostile_event_text_stays_inside_its_own_event(http):
    url, _ = new_link(http("admin"), "phong-alpha")
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


def test_another_units_token_never_reveals_this_unit(http):
    admin = http("admin")
    beta_url, _ = new_link(admin, "phong-beta")
    r = feed(beta_url)
    assert r.status_code == 200
    got = events(r.content)
    assert BETA_EVENT in got
    assert not any("Alpha" in s for s in got) and "Alpha" not in r.text
    assert str(Calendar.from_ical(r.content)["x-wr-calname"]) == "Lịch công tác – Phòng Beta"


def test_a_wrong_token_gets_a_bare_404(http, weeks):
    url, token = new_link(http("admin"), "phong-alpha")
    wrong = [secrets.token_urlsafe(32), token[:-1] + ("A" if token[-1] != "A" else "B"), "ngan",
             token + "x" * 80, "..%2F..%2Fward.yaml"]
    answers = [feed(f"{weeks.url}/lich/{t}.ics") for t in wrong]
    assert [a.status_code for a in answers] == [404] * len(wrong)
    assert {a.text for a in answers[:-1]} == {"Không tìm thấy.\n"}  # the same for every wrong token
    assert all("Alpha" not in a.text and "calendar" not in a.headers.get("content-type", "") for a in answers)
    assert "Not Found" not in answers[-1].text and "Không tìm thấy" in answers[-1].text  # no such route
    log = http("admin").get("/quan-tri/nhat-ky").text
    assert "Liên kết lịch sai hoặc đã thay" in log


def test_rotating_the_link_ends_the_old_one_and_is_audited(http, weeks):
    alpha, viewer = http("alpha"), http("xem")
    old_url, old = new_link(alpha, "phong-alpha")
    assert feed(old_url).status_code == 200
    # A viewer may not rotate, nor a form without its token.
    r = viewer.post("/don-vi/phong-alpha/lich/tao-lai", token_from="/don-vi/phong-alpha")
    assert r.status_code == 403 and "/lich/" not in r.text.replace("/lich/tao-lai", "")
    r = alpha.post("/don-vi/phong-alpha/lich/tao-lai", with_token=False)
    assert r.status_code == 403
    assert feed(old_url).status_code == 200
    r = alpha.post("/don-vi/phong-alpha/lich/tao-lai", token_from="/don-vi/phong-alpha")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert "liên kết cũ không còn dùng được" in r.text and "Hãy sao chép ngay; liên kết sẽ không hiện lại." in r.text
    new_url, new = LINK.search(r.text).groups()
    assert new != old
    assert feed(old_url).status_code == 404
    r = feed(new_url)
    assert r.status_code == 200 and "Giao ban tuần của Phòng Alpha" in events(r.content)
    log = http("admin").get("/quan-tri/nhat-ky").text
    assert "Tạo lại liên kết lịch công tác" in log and old not in log and new not in log


def test_guessing_tokens_is_slowed_like_logins(http, weeks):
    """Last in the module: afterwards this address gets 429 from every calendar URL."""
    url, _ = new_link(http("admin"), "phong-alpha")
    assert feed(url).status_code == 200
    codes = [feed(f"{weeks.url}/lich/{secrets.token_urlsafe(32)}.ics").status_code
             for _ in range(CALENDAR_FAILURES)]
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
        url, _ = new_link(s, "phong-beta")
        s.close()
        assert [feed(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    finally:
        srv.stop()


def test_a_link_made_before_tokens_were_hashed_still_opens_the_feed(tmp_path):
    """A ward whose store holds a token in plain text (schema 8): `serve` upgrades it on start,
    and the link people subscribed to opens the same feed, while the store keeps only its digest."""
    from conftest import Server, add_accounts, initial_sync
    from sqlalchemy import create_engine, text
    from test_web_weeks_store import OLD_TOKENS
    from weeks_ward import make_weeks_ward

    ward_file = make_weeks_ward(tmp_path / "ward")
    add_accounts(ward_file)
    initial_sync(ward_file)
    token = secrets.token_urlsafe(32)
    engine = create_engine(f"sqlite:///{ward_file.parent / 'sheetsync.db'}")
    with engine.begin() as c:
        c.execute(text("DROP TABLE web_calendar_tokens"))
        OLD_TOKENS.create(c)
        c.execute(OLD_TOKENS.insert().values(unit="Phòng Beta", token=token, created_by="admin",
                                             created_at=datetime(2026, 11, 20, 8, 30)))
        c.execute(text("DELETE FROM schema_version WHERE version >= 9"))
    engine.dispose()
    srv = Server(ward_file, "--no-schedule")
    try:
        r = feed(f"{srv.url}/lich/{token}.ics")
        assert r.status_code == 200 and BETA_EVENT in events(r.content)
        with open(ward_file.parent / "sheetsync.db", "rb") as fh:
            assert token.encode() not in fh.read()
        s = Browserless(srv.url)
        assert s.login("alpha").status_code == 303
        assert s.get("/don-vi/phong-beta").status_code == 404
        s.close()
    finally:
        srv.stop()
