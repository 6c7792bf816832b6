"""Accounts, roles and the protections of every form, over real HTTP against `sheetsync serve`."""

from __future__ import annotations

import re

from conftest import PASSWORD, SCRIPT_NAME


def test_pages_need_a_login(http):
    anon = http()
    for path in ("/", "/don-vi/phong-alpha", "/don-vi/phong-alpha/bang-tinh", "/tinh-trang", "/quan-tri/tai-khoan"):
        r = anon.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/dang-nhap"), path


def test_admin_sees_every_unit_with_its_month(http):
    admin = http("admin")
    page = admin.get("/").text
    for unit in ("Phòng Alpha", "Phòng Beta", "Phòng Gamma"):
        assert unit in page
    assert "Đánh giá tháng 11/2026" in page
    assert "tự đánh giá" in page and "25/11/2026" in page
    assert "3/3" in page  # people scored per unit


def test_session_cookie_is_signed_httponly_samesite(http):
    s = http()
    r = s.login("admin")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
    # A tampered cookie is no session at all.
    s.client.cookies.set("sheetsync_session", s.client.cookies["sheetsync_session"][:-4] + "AAAA")
    assert s.get("/").status_code == 303


def test_unit_account_sees_only_its_units(http):
    alpha = http("alpha")
    page = alpha.get("/").text
    assert "Phòng Alpha" in page and "Phòng Beta" not in page and "Phòng Gamma" not in page
    assert alpha.get("/don-vi/phong-alpha").status_code == 200
    status = alpha.get("/tinh-trang").text
    assert "Phòng Beta" not in status


def test_unit_account_is_refused_other_units_by_url(http, server):
    alpha = http("alpha")
    token = alpha.token("/don-vi/phong-alpha")
    refused = [
        alpha.get("/don-vi/phong-beta"),
        alpha.get("/don-vi/phong-beta/bang-tinh"),
        alpha.get("/don-vi/phong-beta/tai-len/1"),
        alpha.get("/don-vi/phong-beta/tai-len/1/tep"),
        alpha.client.post("/don-vi/phong-beta/dong-bo", data={"csrf": token}),
        alpha.client.post("/don-vi/phong-beta/tai-len", data={"csrf": token},
                          files={"file": ("beta.xlsx", b"PK\x03\x04 nothing", "application/octet-stream")}),
        alpha.client.post("/don-vi/phong-beta/tai-len/1/nhan", data={"csrf": token}),
    ]
    for r in refused:
        assert r.status_code in (403, 404), (r.request.url, r.status_code)
        assert "BE02" not in r.text and "Phạm Minh Đức" not in r.text  # no data of the other unit
    # Admin pages too.
    assert alpha.get("/quan-tri/tai-khoan").status_code == 403
    assert alpha.get("/quan-tri/nhat-ky").status_code == 403
    assert alpha.client.post("/bieu-mau", data={"csrf": token, "month": "2026-11"}).status_code == 403


def test_viewer_reads_everything_and_changes_nothing(http):
    viewer = http("xem")
    assert viewer.get("/don-vi/phong-beta").status_code == 200
    token = viewer.token("/don-vi/phong-beta")
    assert viewer.client.post("/don-vi/phong-beta/dong-bo", data={"csrf": token}).status_code == 403
    r = viewer.client.post("/don-vi/phong-beta/tai-len", data={"csrf": token},
                           files={"file": ("b.xlsx", b"x", "application/octet-stream")})
    assert r.status_code == 403
    assert "Tải lên phiên bản mới" not in viewer.get("/don-vi/phong-beta").text


UNIT_ACTIONS = ("/don-vi/phong-beta/dong-bo", "/don-vi/phong-beta/lich/tao-lai", "/don-vi/phong-beta/tai-len/1/nhan",
                "/don-vi/phong-beta/kien-nghi")


def test_every_unit_action_refuses_a_viewer_and_a_missing_token(http):
    admin = http("admin")
    made = admin.post("/don-vi/phong-beta/lich/tao-lai", token_from="/don-vi/phong-beta")
    calendar_link = re.search(r"/lich/[A-Za-z0-9_-]+\.ics", made.text).group(0)
    viewer = http("xem")
    token = viewer.token("/don-vi/phong-beta")
    for path in UNIT_ACTIONS:
        r = viewer.client.post(path, data={"csrf": token, "month": "2026-11", "text": "x"})
        assert r.status_code == 403 and "chỉ được xem" in r.text, path
    for path in UNIT_ACTIONS:
        r = admin.client.post(path, data={"month": "2026-11", "text": "x"})
        assert r.status_code == 403 and "CSRF" in r.text, path
    # The refused rotations changed nothing: the link made above still opens the feed.
    assert admin.client.get(calendar_link).status_code != 404


def test_a_post_without_the_csrf_token_is_refused(http):
    admin = http("admin")
    assert admin.post("/don-vi/phong-alpha/dong-bo", with_token=False).status_code == 403
    r = admin.client.post("/don-vi/phong-alpha/dong-bo", data={"csrf": "sai"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = admin.client.post("/quan-tri/tai-khoan", data={"action": "add", "username": "ke-gian", "password": "12345678",
                                                       "role": "admin"})
    assert r.status_code == 403
    assert "ke-gian" not in admin.get("/quan-tri/tai-khoan").text
    # The token of another session is no good either.
    other = http("xem")
    foreign = other.token("/")
    assert admin.client.post("/don-vi/phong-alpha/dong-bo", data={"csrf": foreign}).status_code == 403


def test_repeated_bad_logins_are_slowed_then_refused(http):
    s = http()
    codes = [s.login("xem", "sai-mat-khau").status_code for _ in range(5)]
    assert codes == [401] * 5
    blocked = s.login("xem", PASSWORD)  # even the right password, for a while
    assert blocked.status_code == 429 and "thử lại sau" in blocked.text
    admin = http("admin")
    log = admin.get("/quan-tri/nhat-ky").text
    assert log.count("Đăng nhập sai") >= 5 and "Đăng nhập bị tạm khóa" in log and "127.0.0.1" in log


def test_a_script_staff_name_stays_text(http):
    admin = http("admin")
    for path in ("/don-vi/phong-beta", "/tinh-trang", "/"):
        html = admin.get(path).text
        assert "<script>alert" not in html, path
    page = admin.get("/don-vi/phong-beta").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Nguyễn" in page
    assert SCRIPT_NAME not in page


def test_admin_manages_accounts_on_the_page_and_the_audit_log_tells(http):
    admin = http("admin")
    r = admin.post("/quan-tri/tai-khoan", {"action": "add", "username": "gamma", "password": PASSWORD,
                                           "role": "unit", "units": "Phòng Gamma"}, token_from="/quan-tri/tai-khoan")
    assert r.status_code == 303
    gamma = http("gamma")
    assert "Phòng Gamma" in gamma.get("/").text and "Phòng Alpha" not in gamma.get("/").text
    bad = admin.post("/quan-tri/tai-khoan", {"action": "add", "username": "x y", "password": "ngan", "role": "unit"},
                     token_from="/quan-tri/tai-khoan")
    assert bad.status_code == 400 and "Tên đăng nhập" in bad.text
    admin.post("/quan-tri/tai-khoan", {"action": "passwd", "username": "gamma", "password": "mat-khau-moi-2"},
               token_from="/quan-tri/tai-khoan")
    assert gamma.get("/").status_code == 303  # the old session ended with the password
    admin.post("/quan-tri/tai-khoan", {"action": "remove", "username": "gamma"}, token_from="/quan-tri/tai-khoan")
    assert http().login("gamma", "mat-khau-moi-2").status_code == 401
    log = admin.get("/quan-tri/nhat-ky").text
    assert re.search(r"Thêm tài khoản</td><td>gamma", log) and "Đổi mật khẩu" in log and "Xóa tài khoản" in log
    assert "user-add" not in log  # the stored code is not what a person reads


def test_pages_are_vietnamese_and_escape_the_url(http):
    admin = http("admin")
    r = admin.get("/don-vi/khong-co")
    assert r.status_code == 404 and "Không tìm thấy" in r.text
    r = admin.get("/don-vi/phong-alpha?severity=%3Cb%3E&tab=%3Cscript%3E")
    assert r.status_code == 200 and "<script>" not in r.text.split("</header>", 1)[1]


def test_a_person_page_with_months_chart_quarter_and_year_for_who_may_see_it(http):
    admin = http("admin")
    page = admin.get("/nguoi/BE02")
    assert page.status_code == 200
    assert "&lt;script&gt;" in page.text and "<script>alert" not in page.text
    assert "11/2026" in page.text and "Quý IV/2026" in page.text and "Năm 2026" in page.text
    chart = admin.get("/nguoi/BE02/bieu-do.svg")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert chart.text.lstrip().startswith("<svg")
    assert 'href="/nguoi/BE02"' in admin.get("/don-vi/phong-beta").text
    alpha = http("alpha")
    assert alpha.get("/nguoi/AL02").status_code == 200
    for path in ("/nguoi/BE02", "/nguoi/BE02/bieu-do.svg", "/nguoi/KHONGCO"):
        r = alpha.get(path)
        assert r.status_code == 404 and "BE02" not in r.text.replace("/nguoi/BE02", ""), path


def test_a_page_served_from_the_cache_carries_each_session_its_own_token(http):
    """Pages are kept a few seconds (PageCache); two sessions of one account get the same page,
    each with its own CSRF token, and a sync's message is shown once, then the cached page."""
    first, second = http("admin"), http("admin")
    a, b = first.get("/"), second.get("/")
    token_a, token_b = (re.search(r'name="csrf" value="([^"]+)"', r.text).group(1) for r in (a, b))
    assert token_a != token_b and "csrf-slot" not in a.text + b.text
    assert a.text.replace(token_a, "T") == b.text.replace(token_b, "T")
    r = first.client.post("/don-vi/phong-alpha/dong-bo", data={"csrf": token_a})
    assert r.status_code == 303
    unit = first.get("/don-vi/phong-alpha").text
    assert "Đã đồng bộ xong." in unit
    assert "Đã đồng bộ xong." not in first.get("/don-vi/phong-alpha").text


def test_many_logins_at_once_hash_passwords_two_at_a_time(monkeypatch):
    """Each argon2 check takes 64 MiB: twenty logins at the same moment must not take twenty
    times that, so checks beyond HASH_SLOTS wait their turn (and still all succeed)."""
    import threading
    import time

    from sheetsync.web import auth

    stored = auth.hash_password(PASSWORD)
    running, peak, lock = [0], [0], threading.Lock()
    real_verify = auth._hasher.verify

    def counting_verify(h, p):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)
            return real_verify(h, p)
        finally:
            with lock:
                running[0] -= 1

    class Counting:
        verify = staticmethod(counting_verify)

    monkeypatch.setattr(auth, "_hasher", Counting())
    results = []
    threads = [threading.Thread(target=lambda: results.append(auth.verify_password(stored, PASSWORD)))
               for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 12
    assert peak[0] == auth.HASH_SLOTS


def test_the_log_page_leaves_out_the_workers_routine_syncs_unless_asked(http, server):
    from sheetsync.web.jobs import open_ward

    ward = open_ward(server.ward_file)
    try:
        for i in range(3):
            ward.state.audit("worker@may-2", "queue-sync", "Phòng Alpha", "may-2", f"lượt {i}: ok")
    finally:
        ward.close()
    admin = http("admin")
    page = admin.get("/quan-tri/nhat-ky").text
    assert "Đồng bộ theo lịch (worker)" not in page and "Đăng nhập" in page
    every = admin.get("/quan-tri/nhat-ky?tat-ca=1").text
    assert every.count("Đồng bộ theo lịch (worker)") == 3
