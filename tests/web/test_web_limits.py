"""Limits on what a signed-in person can repeat at a cost (service.limits of ward.yaml): sync now,
uploads, forms, feedback, account changes. Past its limit an action is refused with a Vietnamese
429 page saying when to try again, and the refusal is in the audit log, like a refused login;
once the window has passed it is allowed again. Counted from the audit log, per account and per
unit, on SQLite and PostgreSQL; a viewer is refused what it was refused before, limits or not."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import PASSWORD, Browserless, Server, add_accounts, initial_sync, make_ward
from sqlalchemy import inspect, select, text, update

from sheetsync.errors import WardConfigError
from sheetsync.history.store import open_store
from sheetsync.history.store.migrations import LATEST
from sheetsync.history.store.web_models import AuditEvent
from sheetsync.web.auth import Limiter, Refusal, Ticket
from sheetsync.web.config import DEFAULT_LIMITS, Limit, service_config
from sheetsync.web.state import WebState

LIMITS = {"sync": {"per_user": 2, "per_unit": 3, "minutes": 15}, "upload": {"per_user": 2, "per_unit": 3},
          "forms": {"per_user": 1}, "feedback": {"per_user": 2, "minutes": 30}, "accounts": {"per_user": 2},
          "login": {"per_user": 2}}
RETRY = re.compile(r"Hãy thử lại sau (\d\d:\d\d) \(khoảng (\d+) phút nữa\)\.")


# -- configuration -------------------------------------------------------------------------------

def test_limits_are_configuration_with_defaults():
    assert service_config({}).limits == DEFAULT_LIMITS
    cfg = service_config({"limits": {"sync": {"per_user": 3}, "calendar": {"per_address": None, "minutes": 5}}})
    assert cfg.limits["sync"] == Limit(15, per_user=3, per_unit=DEFAULT_LIMITS["sync"].per_unit)
    assert cfg.limits["calendar"] == Limit(5, per_address=None)  # null: that count is free
    assert cfg.limits["upload"] == DEFAULT_LIMITS["upload"]


@pytest.mark.parametrize("limits, words", [
    ({"dong-bo": {"per_user": 1}}, "Khóa không hợp lệ trong service.limits: dong-bo"),
    ({"forms": {"per_unit": 1}}, "Khóa không hợp lệ trong service.limits.forms: per_unit"),
    ({"sync": {"per_user": 0}}, "service.limits.sync.per_user phải là một số nguyên từ 1"),
    ({"sync": {"per_user": "nhiều"}}, "service.limits.sync.per_user phải là một số nguyên từ 1"),
    ({"upload": {"minutes": -1}}, "service.limits.upload.minutes phải là một số phút lớn hơn 0"),
    ({"upload": 5}, "service.limits.upload là một khối khóa"),
    (["sync"], "service.limits là một khối khóa"),
])
def test_a_wrong_limit_is_reported_not_ignored(limits, words):
    with pytest.raises(WardConfigError) as err:
        service_config({"limits": limits})
    assert words in str(err.value)


# -- the count, on each database -------------------------------------------------------------------

@pytest.fixture
def state(store_url):
    store = open_store(store_url)
    yield WebState(store)
    store.close()


def test_the_count_is_per_account_and_per_unit_within_the_window(state):
    limiter = Limiter(state, {"sync": Limit(10, per_user=2, per_unit=3)})
    for who, unit in (("an", "Phòng A"), ("an", "Phòng A"), ("binh", "Phòng A")):
        ticket = limiter.reserve("sync", who, unit)
        assert isinstance(ticket, Ticket)
        state.audit(who, "sync", unit, "127.0.0.1", "ok")
        ticket.done()
    first = state.recent_events(("sync",), datetime.now() - timedelta(minutes=1), 5, username="an")[-1]
    refused = limiter.reserve("sync", "an", "Phòng B")  # An's own two syncs, whatever the unit
    assert isinstance(refused, Refusal) and refused.scope == "per_user"
    assert refused.retry_at == first + timedelta(minutes=10)
    assert "Tài khoản của bạn đã đồng bộ 2 lần trong 10 phút" in refused.message()
    refused = limiter.reserve("sync", "chi", "Phòng A")  # Phòng A's three, whoever asked
    assert isinstance(refused, Refusal) and refused.scope == "per_unit"
    assert refused.message().startswith("Đơn vị này đã được các tài khoản đồng bộ 3 lần trong 10 phút")
    assert isinstance(limiter.reserve("sync", "chi", "Phòng B"), Ticket)
    # Once the window has passed, allowed again.
    later = refused.retry_at + timedelta(seconds=1)
    assert isinstance(limiter.reserve("sync", "chi", "Phòng A", now=later), Ticket)


def test_what_cost_nothing_is_not_counted(state):
    limiter = Limiter(state, {"sync": Limit(10, per_user=1), "forms": Limit(10, per_user=1)})
    for _ in range(3):  # the unit was being synced already: the sync under way stood for these
        state.audit("an", "sync", "Phòng A", "127.0.0.1", "busy")
    state.audit("an", "download", "Phòng A", "127.0.0.1", "workbook")
    state.audit("an", "rate-limited", "Phòng A", "127.0.0.1", "đồng bộ")  # refusals are not uses
    assert isinstance(limiter.reserve("sync", "an", "Phòng A"), Ticket)
    state.audit("binh", "forms", None, "127.0.0.1", "2026-11")
    assert isinstance(limiter.reserve("forms", "an"), Ticket)  # another account's forms


def test_simultaneous_requests_cannot_all_slip_under_the_limit(state):
    limiter = Limiter(state, {"upload": Limit(60, per_user=3)})
    start, got = threading.Barrier(8), []

    def ask():
        start.wait()
        got.append(limiter.reserve("upload", "an", "Phòng A"))
    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tickets = [g for g in got if isinstance(g, Ticket)]
    assert len(tickets) == 3 and len(got) == 8
    tickets[0].done()  # one ended without doing anything (no event): its place is free again
    assert isinstance(limiter.reserve("upload", "an", "Phòng A"), Ticket)
    assert isinstance(limiter.reserve("upload", "an", "Phòng A"), Refusal)


def test_a_store_from_before_gets_the_audit_indexes_the_count_reads(store_url):
    """Migration 10: the counts read one account's or one unit's latest events of an action through
    an index, not by scanning every event of the action (measured: README, "Giới hạn số lần")."""
    store = open_store(store_url)
    with store.engine.begin() as c:  # as sheetsync left it at schema 9
        c.execute(text("DROP INDEX ix_web_audit_user"))
        c.execute(text("DROP INDEX ix_web_audit_target"))
        c.execute(text("DELETE FROM schema_version WHERE version >= 10"))
    store.close()
    store = open_store(store_url)
    try:
        names = {i["name"]: i["column_names"] for i in inspect(store.engine).get_indexes("web_audit")}
        assert names["ix_web_audit_user"] == ["username", "action", "at"]
        assert names["ix_web_audit_target"] == ["target", "action", "at"]
        with store.engine.connect() as c:
            assert c.execute(text("SELECT max(version) FROM schema_version")).scalar() == LATEST >= 10
    finally:
        store.close()


# -- through a served ward ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ward(tmp_path_factory):
    root = tmp_path_factory.mktemp("limits") / "ward"
    ward_file = make_ward(root, service={"limits": LIMITS, "page_cache_seconds": 0})
    add_accounts(ward_file)
    initial_sync(ward_file)
    srv = Server(ward_file, "--no-schedule")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def server(ward):
    """The ward the shared `http` sessions (conftest) open on."""
    return ward


def store_of(ward) -> str:
    return str(Path(ward.ward_file).parent / "sheetsync.db")


def age(ward, minutes: float, **where) -> None:
    """Move the matching audit events `minutes` back, as if that much time had passed."""
    store = open_store(store_of(ward))
    try:
        with store.engine.begin() as c:
            query = select(AuditEvent.id, AuditEvent.at)
            for col, v in where.items():
                query = query.where(getattr(AuditEvent, col) == v)
            for eid, at in c.execute(query).all():
                c.execute(update(AuditEvent).where(AuditEvent.id == eid).values(at=at - timedelta(minutes=minutes)))
    finally:
        store.close()


def refusals(ward) -> list[tuple]:
    store = open_store(store_of(ward))
    try:
        return [(e["username"], e["target"], e["detail"]) for e in WebState(store).audit_log()
                if e["action"] == "rate-limited"]
    finally:
        store.close()


def refused(r, *words: str) -> None:
    """The 429 page: Vietnamese, when to try again (the clock time and the header agree)."""
    assert r.status_code == 429, r.text[:300]
    assert "quá số lần cho phép" in r.text and "Traceback" not in r.text
    m = RETRY.search(r.text)
    assert m, r.text
    seconds = int(r.headers["retry-after"])
    at = datetime.now() + timedelta(seconds=seconds)
    assert abs((datetime.combine(at.date(), datetime.strptime(m.group(1), "%H:%M").time()) - at).total_seconds()) < 120
    assert 0 < seconds <= 24 * 3600
    for w in words:
        assert w in r.text, w


def sync(s: Browserless, slug: str):
    return s.post(f"/don-vi/{slug}/dong-bo", token_from=f"/don-vi/{slug}")


def test_sync_now_is_limited_per_account_and_per_unit(http, ward):
    alpha, admin = http("alpha"), http("admin")
    assert [sync(alpha, "phong-alpha").status_code for _ in range(2)] == [303, 303]
    r = sync(alpha, "phong-alpha")
    refused(r, "Tài khoản của bạn đã đồng bộ 2 lần trong 15 phút", 'href="/don-vi/phong-alpha"')
    assert sync(admin, "phong-alpha").status_code == 303  # the unit's third
    r = sync(admin, "phong-alpha")
    refused(r, "Đơn vị này đã được các tài khoản đồng bộ 3 lần trong 15 phút")
    assert sync(admin, "phong-beta").status_code == 303  # another unit: admin's second
    assert refusals(ward)[:2] == [("admin", "Phòng Alpha", "đồng bộ: tối đa 3 lần/15 phút mỗi đơn vị"),
                                  ("alpha", "Phòng Alpha", "đồng bộ: tối đa 2 lần/15 phút mỗi tài khoản")]
    log = admin.get("/quan-tri/nhat-ky").text
    assert "Bị từ chối: quá số lần cho phép" in log
    # A viewer is refused as before (403, not 429), and sees no button.
    viewer = http("xem")
    r = sync(viewer, "phong-alpha")
    assert r.status_code == 403 and "chỉ được xem" in r.text
    assert "Đồng bộ ngay" not in viewer.get("/don-vi/phong-alpha").text
    # After the window, allowed again.
    age(ward, 16, action="sync")
    r = sync(alpha, "phong-alpha")
    assert r.status_code == 303
    assert "Đã đồng bộ xong." in alpha.get("/don-vi/phong-alpha").text


def test_a_unit_being_synced_is_not_synced_again_nor_counted(http, ward):
    admin = http("admin")
    store = open_store(store_of(ward))
    try:
        state = WebState(store)
        lock = state.acquire("sync:Phòng Gamma")  # a sync under way (the schedule, a worker)
        try:
            for _ in range(3):  # past the limit of 2, had they counted
                r = sync(admin, "phong-gamma")
                assert r.status_code == 303
                assert "không đồng bộ thêm lần nữa" in admin.get("/don-vi/phong-gamma").text
        finally:
            state.release("sync:Phòng Gamma", lock)
        busy = [e for e in state.audit_log() if e["action"] == "sync" and e["target"] == "Phòng Gamma"]
        assert [e["detail"] for e in busy] == ["busy"] * 3
    finally:
        store.close()
    age(ward, 16, action="sync")
    assert sync(admin, "phong-gamma").status_code == 303
    assert "Đã đồng bộ xong." in admin.get("/don-vi/phong-gamma").text


def test_uploads_are_limited_before_the_file_is_read(http, ward):
    alpha, admin = http("alpha"), http("admin")
    book = (Path(ward.ward_file).parent / "alpha.xlsx").read_bytes()

    def upload(s: Browserless):
        return s.post("/don-vi/phong-alpha/tai-len", files={"file": ("alpha.xlsx", book)},
                      token_from="/don-vi/phong-alpha")
    assert [upload(alpha).status_code for _ in range(2)] == [303, 303]
    refused(upload(alpha), "Tài khoản của bạn đã tải tệp lên 2 lần trong 1 giờ")
    assert upload(admin).status_code == 303
    refused(upload(admin), "Đơn vị này đã được các tài khoản tải tệp lên 3 lần trong 1 giờ")
    assert refusals(ward)[:2] == [("admin", "Phòng Alpha", "tải tệp lên: tối đa 3 lần/1 giờ mỗi đơn vị"),
                                  ("alpha", "Phòng Alpha", "tải tệp lên: tối đa 2 lần/1 giờ mỗi tài khoản")]
    uploads = list((Path(ward.ward_file).parent / ".sheetsync-web" / "uploads").rglob("*.xlsx"))
    assert len(uploads) == 3  # the refused ones left nothing on disk
    viewer = http("xem")
    r = viewer.post("/don-vi/phong-alpha/tai-len", files={"file": ("alpha.xlsx", book)},
                    token_from="/don-vi/phong-alpha")
    assert r.status_code == 403
    age(ward, 61, action="upload")
    assert upload(alpha).status_code == 303


def test_forms_are_limited_per_account(http, ward):
    admin = http("admin")
    store = open_store(store_of(ward))
    try:  # forms made a moment ago by this account (what the button records)
        WebState(store).audit("admin", "forms", None, "127.0.0.1", "2026-11")
    finally:
        store.close()
    r = admin.post("/bieu-mau", {"month": "2026-11"}, token_from="/")
    refused(r, "Tài khoản của bạn đã lập biểu mẫu 1 lần trong 1 giờ", 'href="/?month=2026-11"')
    assert refusals(ward)[0] == ("admin", None, "lập biểu mẫu: tối đa 1 lần/1 giờ mỗi tài khoản")
    assert not (Path(ward.ward_file).parent / ".sheetsync-web" / "forms").exists() or not any(
        (Path(ward.ward_file).parent / ".sheetsync-web" / "forms").rglob("*.xlsx"))
    assert http("xem").post("/bieu-mau", {"month": "2026-11"}, token_from="/").status_code == 403
    age(ward, 61, action="forms")
    r = admin.post("/bieu-mau", {"month": "2026-11"}, token_from="/")
    assert r.status_code == 303
    assert "Đã lập Mẫu 01A, 02A tháng 11/2026" in admin.get("/?month=2026-11").text


def test_feedback_is_limited_per_account(http, ward):
    admin, alpha = http("admin"), http("alpha")
    assert admin.post("/cong-bo", {"month": "2026-11"}, token_from="/").status_code == 303

    def complain(s: Browserless):
        return s.post("/don-vi/phong-alpha/kien-nghi", {"month": "2026-11", "staff_id": "AL02", "kind": "complaint",
                                                        "text": "Đề nghị xem lại điểm b"}, token_from="/don-vi/phong-alpha")
    assert [complain(alpha).status_code for _ in range(2)] == [303, 303]
    refused(complain(alpha), "Tài khoản của bạn đã gửi kiến nghị 2 lần trong 30 phút")
    assert refusals(ward)[0] == ("alpha", "Phòng Alpha", "gửi kiến nghị: tối đa 2 lần/30 phút mỗi tài khoản")
    store = open_store(store_of(ward))
    try:
        assert len(WebState(store).feedback(unit="Phòng Alpha")) == 2  # the refused one was not recorded
    finally:
        store.close()
    r = http("xem").post("/don-vi/phong-alpha/kien-nghi", {"month": "2026-11", "staff_id": "AL02",
                                                           "kind": "complaint", "text": "x"},
                         token_from="/don-vi/phong-alpha")
    assert r.status_code == 403
    age(ward, 31, action="feedback")
    assert complain(alpha).status_code == 303


def test_account_changes_are_limited_per_account(http, ward):
    admin = http("admin")

    def add(name: str):
        return admin.post("/quan-tri/tai-khoan", {"action": "add", "username": name, "password": PASSWORD,
                                                  "role": "viewer"}, token_from="/quan-tri/tai-khoan")
    assert add("xem-1").status_code == 303
    assert admin.post("/quan-tri/tai-khoan", {"action": "passwd", "username": "xem-1", "password": "mat-khau-moi-2"},
                      token_from="/quan-tri/tai-khoan").status_code == 303
    r = add("xem-2")
    refused(r, "Tài khoản của bạn đã thay đổi tài khoản 2 lần trong 1 giờ", 'href="/quan-tri/tai-khoan"')
    assert refusals(ward)[0] == ("admin", None, "thay đổi tài khoản: tối đa 2 lần/1 giờ mỗi tài khoản")
    assert "xem-2" not in admin.get("/quan-tri/tai-khoan").text
    assert http("xem").post("/quan-tri/tai-khoan", {"action": "add", "username": "x", "password": PASSWORD,
                                                    "role": "admin"}, token_from="/").status_code == 403
    age(ward, 61, action="user-add")
    age(ward, 61, action="user-passwd")
    assert add("xem-2").status_code == 303
    assert "xem-2" in admin.get("/quan-tri/tai-khoan").text


def test_the_login_limit_comes_from_the_ward(http, ward):
    s = Browserless(ward.url)
    try:
        assert [s.login("alpha", "sai-mat-khau").status_code for _ in range(2)] == [401, 401]
        r = s.login("alpha", PASSWORD)
        assert r.status_code == 429 and "hãy thử lại sau 15 phút" in r.text
        age(ward, 16, action="login-failed")
        assert s.login("alpha", PASSWORD).status_code == 303
    finally:
        s.close()


def test_the_refusal_in_the_browser(chromium, ward):
    """What a focal person sees who presses "Đồng bộ ngay" once too often."""
    screenshots = Path(__file__).resolve().parents[2] / "build" / "web-screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    age(ward, 16, action="sync")
    page = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(ward.url + "/dang-nhap")
    page.fill("input[name=username]", "alpha")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Đăng nhập')")
    page.wait_for_url(ward.url + "/")
    page.goto(ward.url + "/don-vi/phong-alpha")
    for _ in range(2):
        page.click("button:has-text('Đồng bộ ngay')")
        page.wait_for_selector("text=Đã đồng bộ xong.")
    with page.expect_response(lambda r: r.url.endswith("/dong-bo")) as answer:
        page.click("button:has-text('Đồng bộ ngay')")
    assert answer.value.status == 429
    page.wait_for_selector("h1:has-text('quá số lần cho phép')")
    text = page.locator("main").inner_text()
    assert "Tài khoản của bạn đã đồng bộ 2 lần trong 15 phút" in text and RETRY.search(text)
    page.screenshot(path=str(screenshots / "limits-429.png"))
    page.click("text=Quay lại")
    page.wait_for_url(ward.url + "/don-vi/phong-alpha")
    assert problems == []
