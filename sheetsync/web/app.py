"""The web application: pages of the month for the ward office and the units' focal persons.

Every page reads the store (the unit states the syncs left there), never a workbook. Every form
carries the session's CSRF token; every unit URL checks the account's units first and answers
404 (no data, not even whether the unit exists) to an account that may not see it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import threading
import time
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sheetsync.config.resources import templates_dir
from sheetsync.domain.calendar import month_label
from sheetsync.errors import SheetsyncError
from sheetsync.web import auth, jobs, views
from sheetsync.web.state import ROLE_LABELS, ROLES, User

STATIC = Path(__file__).parent / "static"
SECRET_FILE = "session-secret"


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(templates_dir() / "web")), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["month"] = month_label
    env.filters["dt"] = lambda v: "" if v is None else (v.strftime("%d/%m/%Y %H:%M") if isinstance(v, datetime)
                                                         else str(v))
    env.filters["d"] = lambda v: "" if v is None else (v.strftime("%d/%m/%Y") if isinstance(v, date) else str(v))
    env.filters["num"] = lambda v: "" if v is None else (f"{v:.2f}".rstrip("0").rstrip(".").replace(".", ",")
                                                         if isinstance(v, float) else str(v))
    env.filters["first_upper"] = lambda v: str(v)[:1].upper() + str(v)[1:]
    env.filters["form_kind"] = lambda k: {"01A.xlsx": "Mẫu 01A (.xlsx)", "02A.xlsx": "Mẫu 02A (.xlsx)",
                                          "pdf": "Bản in (PDF)", "html": "Trang web"}.get(k, k)
    env.filters["urlq"] = lambda v: quote(str(v), safe="")
    return env


def _secret(ward: jobs.Ward) -> str:
    """The session signing key: kept beside the store (0600), made once."""
    import os
    import secrets

    ward.dir.mkdir(parents=True, exist_ok=True)
    path = ward.dir / SECRET_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


class PageCache:
    """Pages kept for a few seconds: under many readers the dashboard is computed and rendered
    once per interval and account, not once per request. Any write by this process (a sync, an upload, a
    publication, an account change) empties it; writes by other processes (workers) show within
    `seconds`. Keys include the account's role and units, so nobody is served another's page.
    With `follow_writes` false, only `seconds` ends an item (its key says what it depends on)."""

    @property
    def generation(self) -> int:
        return self.state.generation if self.follow_writes else 0

    def __init__(self, state, seconds: float, follow_writes: bool = True):
        self.state, self.seconds, self.follow_writes = state, seconds, follow_writes
        self._items: dict = {}
        self._making: dict = {}
        self._lock = threading.Lock()

    def get(self, key, make):
        if self.seconds <= 0:
            return make()
        with self._lock:
            hit = self._items.get(key)
            making = self._making.setdefault(key, threading.Lock())
        current = hit is not None and hit[0] == self.generation
        if current and time.monotonic() - hit[1] < self.seconds:
            return hit[2]
        # Only the interval has passed (nothing was written): while one request makes the page
        # again, the others get the page as it was a moment ago instead of queueing behind it.
        if not making.acquire(blocking=not current):
            return hit[2]
        try:
            with self._lock:
                hit = self._items.get(key)
            if hit and hit[0] == self.generation and time.monotonic() - hit[1] < self.seconds:
                return hit[2]  # made by the request this one waited for
            generation, now = self.generation, time.monotonic()
            data = make()
            with self._lock:
                if len(self._items) > 500:  # bounded, whatever URLs people make up
                    self._items.clear()
                    self._making = {}
                self._items[key] = (generation, now, data)
            return data
        finally:
            making.release()


class Pages:
    def __init__(self, ward: jobs.Ward, today=None):
        self.ward = ward
        self.env = _env()
        self.today = today or date.today
        self.cache = PageCache(ward.state, ward.service.page_cache_seconds)
        self.calendars = PageCache(ward.state, ward.service.calendar_cache_minutes * 60, follow_writes=False)
        self.calendar_throttle = auth.Throttle(ward.service.calendar_per_minute)
        self.limiter = auth.Limiter(ward.state, ward.service.limits)
        self.csrf_slot = "csrf-slot-" + secrets.token_hex(16)  # where a cached page's token goes

    # -- helpers ------------------------------------------------------------------------------------

    def render(self, request: Request, name: str, status_code: int = 200, **ctx) -> HTMLResponse:
        session = request.session
        if "csrf" not in session:
            session["csrf"] = auth.new_csrf_token()
        html = self.env.get_template(name).render(
            request=request, user=request.state.user if hasattr(request.state, "user") else None,
            csrf=session["csrf"], ward=self.ward.config, flash=session.pop("flash", None), roles=ROLE_LABELS,
            **ctx)
        return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)

    def user(self, request: Request) -> User | None:
        uid = request.session.get("uid")
        if uid is None:
            return None
        started = request.session.get("at", 0)
        if datetime.now().timestamp() - started > self.ward.service.session_hours * 3600:
            request.session.clear()
            return None
        found = self.ward.state.user_and_stamp(uid)
        if found is None or request.session.get("pw") != found[1]:
            request.session.clear()
            return None
        user = found[0]
        request.state.user = user
        return user

    def need_user(self, request: Request) -> User:
        user = self.user(request)
        if user is None:
            raise _Redirect("/dang-nhap?next=" + quote(request.url.path))
        return user

    def need_admin(self, request: Request) -> User:
        user = self.need_user(request)
        if not user.is_admin:
            raise HTTPException(403, "Chỉ quản trị viên (văn phòng phường) được làm việc này.")
        return user

    def unit_for(self, request: Request, user: User):
        spec = self.ward.unit(request.path_params["unit"])
        if spec is None or not user.can_see(spec.name):
            raise HTTPException(404, "Không tìm thấy đơn vị.")
        return spec

    async def form(self, request: Request):
        form = await request.form(max_files=1, max_fields=50, max_part_size=1024 * 1024)
        if not auth.csrf_ok(request.session, form.get("csrf")):
            raise HTTPException(403, "Phiên làm việc hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã CSRF); "
                                     "hãy tải lại trang rồi thử lại.")
        return form

    async def change_unit(self, request: Request, refusal: str):
        """Open a unit action: signed in, may see the unit (else 404), a valid form (CSRF), may change the
        unit (else 403 with `refusal`). One place, so no action can forget a step; returns (user, spec, form)."""
        user = self.need_user(request)
        spec = self.unit_for(request, user)
        form = await self.form(request)
        if not user.can_change(spec.name):
            raise HTTPException(403, refusal)
        return user, spec, form

    async def limited(self, request: Request, action: str, user: User, unit: str | None = None,
                      back: str = "/") -> auth.Ticket:
        """Refuse an action past its limit (`service.limits`): a 429 page saying when to try again,
        and an audit event, as for refused logins. Otherwise the ticket to hold until the action's
        own audit event is written (`with`)."""
        verdict = await run_in_threadpool(self.limiter.reserve, action, user.username, unit)
        if isinstance(verdict, auth.Refusal):
            self.audit(request, "rate-limited", unit, verdict.detail)
            raise _Limited(verdict, back)
        return verdict

    def audit(self, request: Request, action: str, target: str | None = None, detail: str | None = None) -> None:
        user = getattr(request.state, "user", None)
        self.ward.state.audit(user.username if user else None, action, target, client_ip(request), detail)

    def flash(self, request: Request, text: str, level: str = "ok") -> None:
        request.session["flash"] = {"text": text, "level": level}

    # -- login -----------------------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        nxt = request.query_params.get("next", "/")
        if request.method == "GET":
            return self.render(request, "login.html.j2", next=nxt)
        form = await self.form(request)
        username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
        nxt = str(form.get("next") or "/")
        if not nxt.startswith("/") or nxt.startswith("//"):
            nxt = "/"
        ip = client_ip(request)
        limit = self.ward.service.limits["login"]
        if await run_in_threadpool(auth.login_blocked, self.ward.state, ip, username, limit):
            self.ward.state.audit(None, "login-blocked", username, ip)
            return self.render(request, "login.html.j2", status_code=429, next=nxt, username=username,
                               error=f"Đăng nhập sai quá nhiều lần; hãy thử lại sau {limit.minutes:g} phút.")
        user = await run_in_threadpool(auth.authenticate, self.ward.state, username, password)
        if user is None:
            self.ward.state.audit(None, "login-failed", username, ip)
            await asyncio.sleep(0.5)
            return self.render(request, "login.html.j2", status_code=401, next=nxt, username=username,
                               error="Sai tên đăng nhập hoặc mật khẩu.")
        request.session.clear()
        request.session.update(uid=user.id, at=datetime.now().timestamp(), csrf=auth.new_csrf_token(),
                               pw=self.ward.state.password_stamp(user.id))
        self.ward.state.audit(user.username, "login", None, ip)
        return RedirectResponse(nxt, 303)

    async def logout(self, request: Request) -> Response:
        user = self.user(request)
        await self.form(request)
        if user:
            self.audit(request, "logout")
        request.session.clear()
        return RedirectResponse("/dang-nhap", 303)

    # -- dashboard ---------------------------------------------------------------------------------------

    async def cached_page(self, request: Request, user: User, name: str, key: tuple, make) -> Response:
        """A page from the cache (PageCache): rendered once per interval for each account and URL,
        its session's CSRF token put in on the way out. A page carrying a one-time message
        (flash) is rendered afresh."""
        session = request.session
        if "csrf" not in session:
            session["csrf"] = auth.new_csrf_token()
        if session.get("flash"):
            return self.render(request, name, **await run_in_threadpool(make))

        def html() -> str:
            return self.env.get_template(name).render(user=user, csrf=self.csrf_slot, ward=self.ward.config,
                                                      flash=None, roles=ROLE_LABELS, **make())

        page = await run_in_threadpool(self.cache.get, (name, user.username, user.role, user.units, *key), html)
        return HTMLResponse(page.replace(self.csrf_slot, session["csrf"]), headers=SECURITY_HEADERS)

    async def dashboard(self, request: Request) -> Response:
        user = self.need_user(request)
        month, today = request.query_params.get("month"), self.today()
        return await self.cached_page(request, user, "dashboard.html.j2", (month, today),
                                      lambda: views.dashboard(self.ward, user, month, today))

    async def status_page(self, request: Request) -> Response:
        user = self.need_user(request)
        data = await run_in_threadpool(views.status_page, self.ward, user, self.today())
        return self.render(request, "status.html.j2", **data)

    # -- a unit ---------------------------------------------------------------------------------------------

    async def unit(self, request: Request) -> Response:
        user = self.need_user(request)
        spec = self.unit_for(request, user)
        q = request.query_params
        args = (q.get("month"), q.get("severity"), q.get("tab"), self.today())
        return await self.cached_page(request, user, "unit.html.j2", (spec.name, *args),
                                      lambda: views.unit_page(self.ward, user, spec, *args))

    def base_url(self, request: Request) -> str:
        """Where people reach the service: `service.base_url` of ward.yaml, else the address asked."""
        return self.ward.service.base_url or str(request.base_url).rstrip("/")

    # -- calendar subscription ---------------------------------------------------------------------------

    async def calendar_feed(self, request: Request) -> Response:
        """A unit's calendar for phones and Outlook, which cannot log in: the secret token in the
        URL is the permission. A wrong or replaced token gets a bare 404 (nothing says whether a
        unit or a token exists); guessing is slowed like logins (auth.calendar_blocked)."""
        ip = client_ip(request)
        if not self.calendar_throttle.allow(ip) or await run_in_threadpool(auth.calendar_blocked, self.ward.state, ip,
                                                                           self.ward.service.limits["calendar"]):
            return Response("Quá nhiều yêu cầu; hãy thử lại sau.\n", 429, media_type="text/plain; charset=utf-8",
                            headers={**FEED_HEADERS, "Retry-After": "60", "Cache-Control": "no-store"})
        token = request.path_params["token"]
        unit = await run_in_threadpool(self.ward.state.calendar_unit, token) if TOKEN.fullmatch(token) else None
        spec = next((u for u in self.ward.units if u.name == unit), None) if unit else None
        if spec is None:
            self.ward.state.audit(None, "calendar-refused", None, ip)
            return Response("Không tìm thấy.\n", 404, media_type="text/plain; charset=utf-8",
                            headers={**FEED_HEADERS, "Cache-Control": "no-store"})
        today = self.today()
        try:
            feed = await run_in_threadpool(self.calendars.get, ("ics", spec.name, _source_stamp(spec.source), today),
                                           lambda: self._calendar(spec, today))
        except SheetsyncError as exc:  # not kept in the cache: the next request tries again
            import logging

            logging.getLogger("sheetsync.web").warning("Lịch của %s: %s", spec.name, exc)
            return Response("Chưa đọc được lịch công tác của đơn vị; hãy thử lại sau.\n", 503,
                            media_type="text/plain; charset=utf-8",
                            headers={**FEED_HEADERS, "Retry-After": "600", "Cache-Control": "no-store"})
        body, etag = feed
        headers = {**FEED_HEADERS, "ETag": etag,
                   "Cache-Control": f"private, max-age={int(self.ward.service.calendar_cache_minutes * 60)}",
                   "Content-Disposition": f'inline; filename="lich-cong-tac-{self.ward.slug_of(spec.name)}.ics"'}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)

    def _calendar(self, spec, today: date) -> tuple[bytes, str]:
        from sheetsync.service.schedule import unit_calendar

        cal = unit_calendar([str(self.ward.path)], spec.name, as_of=today, profile=self.ward.profile,
                            schemas=self.ward.schemas)
        if cal.ics is None:
            raise cal.problem or SheetsyncError("Không đọc được bảng tính của đơn vị.")
        return cal.ics, '"' + hashlib.sha256(cal.ics).hexdigest()[:32] + '"'

    async def rotate_calendar(self, request: Request) -> Response:
        """Make the unit's calendar link (anew): the answer is the only place the link ever shows,
        since the store keeps only its digest. Rendered here rather than after a redirect, so the
        link is in no cookie, no cache and no later page."""
        user, spec, _ = await self.change_unit(request, "Tài khoản chỉ được xem, không được tạo lại liên kết lịch.")
        replaced = await run_in_threadpool(self.ward.state.calendar_link, spec.name) is not None
        token = await run_in_threadpool(self.ward.state.rotate_calendar_token, spec.name, user.username)
        self.audit(request, "calendar-rotate", spec.name)
        return self.render(request, "calendar_link.html.j2", spec=spec, slug=request.path_params["unit"],
                           replaced=replaced, calendar=views.calendar_link(self.base_url(request), token))

    async def sync_now(self, request: Request) -> Response:
        user, spec, _ = await self.change_unit(request, "Tài khoản chỉ được xem, không được đồng bộ.")
        back = f"/don-vi/{request.path_params['unit']}"
        # A unit already being synced (by the schedule, a worker, another click) is not synced
        # again: jobs.sync_unit answers "busy" at once, and that answer is not counted.
        with await self.limited(request, "sync", user, spec.name, back):
            out = await run_in_threadpool(jobs.sync_unit, self.ward, spec, as_of=self.today(), by=user.username)
            self.audit(request, "sync", spec.name, out.status)
        self.flash(request, {"ok": "Đã đồng bộ xong.", "busy": BUSY_TEXT}.get(out.status, "Đồng bộ không thành công: "
                                                                               + out.message),
                   "ok" if out.status == "ok" else "warn")
        return RedirectResponse(back, 303)

    async def workbook(self, request: Request) -> Response:
        user = self.need_user(request)
        spec = self.unit_for(request, user)
        path = Path(spec.source)
        if spec.source.startswith(("gsheet:", "https://")) or not path.is_file():
            raise HTTPException(404, "Đơn vị này không có tệp .xlsx để tải về.")
        self.audit(request, "download", spec.name, "workbook")
        return FileResponse(path, filename=path.name, media_type=XLSX)

    async def upload(self, request: Request) -> Response:
        user = self.need_user(request)
        spec = self.unit_for(request, user)
        if not user.can_change(spec.name):
            raise HTTPException(403, "Tài khoản chỉ được xem, không được tải tệp lên.")
        limit = int(self.ward.service.upload_max_mb * 1024 * 1024)
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit + 64 * 1024:
            raise HTTPException(413, f"Tệp quá lớn; giới hạn {self.ward.service.upload_max_mb:.0f} MB.")
        if spec.source.startswith(("gsheet:", "https://")):
            raise HTTPException(400, "Đơn vị này dùng Google Sheets: sửa trực tiếp trên bảng tính.")
        back = f"/don-vi/{request.path_params['unit']}"
        with await self.limited(request, "upload", user, spec.name, back):  # before the body is read
            return await self._upload(request, user, spec, limit, back)

    async def _upload(self, request: Request, user: User, spec, limit: int, back: str) -> Response:
        try:
            form = await request.form(max_files=1, max_fields=10, max_part_size=limit + 1024)
        except Exception as exc:  # multipart parser: part too large, malformed body
            raise HTTPException(400, f"Không đọc được tệp gửi lên ({exc}).") from exc
        if not auth.csrf_ok(request.session, form.get("csrf")):
            raise HTTPException(403, "Phiên làm việc hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã CSRF); "
                                     "hãy tải lại trang rồi thử lại.")
        f = form.get("file")
        if f is None or not hasattr(f, "read"):
            self.flash(request, "Chưa chọn tệp.", "warn")
            return RedirectResponse(back, 303)
        data = await f.read(limit + 1)
        try:
            upload_id = await run_in_threadpool(jobs.store_upload, self.ward, spec, f.filename or "tep.xlsx", data,
                                                user.username, self.today())
        except SheetsyncError as exc:
            self.audit(request, "upload-refused", spec.name, str(exc))
            self.flash(request, str(exc), "error")
            return RedirectResponse(back, 303)
        self.audit(request, "upload", spec.name, f"{f.filename} (#{upload_id})")
        return RedirectResponse(f"{back}/tai-len/{upload_id}", 303)

    def _upload_of(self, request: Request, spec) -> dict:
        try:
            up = self.ward.state.upload(int(request.path_params["upload"]))
        except ValueError:
            up = None
        if up is None or up["unit"] != spec.name:
            raise HTTPException(404, "Không tìm thấy phiên bản tải lên.")
        return up

    async def upload_page(self, request: Request) -> Response:
        user = self.need_user(request)
        spec = self.unit_for(request, user)
        up = self._upload_of(request, spec)
        data = views.upload_view(self.ward, user, spec, up, request.query_params.get("severity"),
                                 request.query_params.get("tab"))
        return self.render(request, "upload.html.j2", **data)

    async def upload_file(self, request: Request) -> Response:
        user = self.need_user(request)
        spec = self.unit_for(request, user)
        up = self._upload_of(request, spec)
        self.audit(request, "download", spec.name, f"upload v{up['version']}")
        return FileResponse(up["path"], filename=f"{jobs.slug(spec.name)}-v{up['version']}.xlsx", media_type=XLSX)

    async def accept(self, request: Request) -> Response:
        user, spec, _ = await self.change_unit(request, "Tài khoản chỉ được xem.")
        up = self._upload_of(request, spec)
        if up["status"] != "pending":
            self.flash(request, "Phiên bản này đã được xử lý trước đó.", "warn")
            return RedirectResponse(f"/don-vi/{request.path_params['unit']}", 303)
        try:
            out = await run_in_threadpool(jobs.accept_upload, self.ward, spec, up, user.username)
        except SheetsyncError as exc:
            self.flash(request, str(exc), "error")
            return RedirectResponse(request.url.path.rsplit("/", 1)[0], 303)
        self.audit(request, "upload-accepted", spec.name, f"v{up['version']}")
        self.flash(request, f"Đã nhận phiên bản {up['version']} và đồng bộ"
                   + ("." if out.status == "ok" else f": {out.message}"), "ok" if out.status == "ok" else "warn")
        return RedirectResponse(f"/don-vi/{request.path_params['unit']}", 303)

    # -- publication and feedback ---------------------------------------------------------------------------

    async def publish(self, request: Request) -> Response:
        user = self.need_admin(request)
        form = await self.form(request)
        month = views.parse_month(str(form.get("month", "")))
        if month is None:
            raise HTTPException(400, "Tháng không hợp lệ.")
        people = await run_in_threadpool(views.published_people, self.ward, month)
        if not people:
            self.flash(request, f"Tháng {month_label(month)} chưa có kết quả nào để công bố.", "error")
            return RedirectResponse(f"/?month={month}", 303)
        await run_in_threadpool(self.ward.state.publish, month, user.username, people, datetime.now())
        self.audit(request, "publish", None, month)
        self.flash(request, f"Đã công bố kết quả tháng {month_label(month)} của {len(people)} đơn vị.")
        return RedirectResponse(f"/?month={month}", 303)

    async def results(self, request: Request) -> Response:
        user = self.need_user(request)
        spec = self.unit_for(request, user)
        month = views.parse_month(request.path_params["month"])
        data = views.results_list(self.ward, spec, month) if month else None
        if data is None:
            raise HTTPException(404, "Kết quả tháng này chưa được công bố.")
        return self.render(request, "results.html.j2", **data)

    async def add_feedback(self, request: Request) -> Response:
        user, spec, form = await self.change_unit(request, "Tài khoản chỉ được xem.")
        with await self.limited(request, "feedback", user, spec.name, f"/don-vi/{request.path_params['unit']}"):
            return await self._add_feedback(request, user, spec, form)

    async def _add_feedback(self, request: Request, user: User, spec, form) -> Response:
        month = views.parse_month(str(form.get("month", "")))
        pub = self.ward.state.publication(month, spec.name) if month else None
        staff = str(form.get("staff_id", "")).strip()
        person = next((p for p in (pub or {}).get("people", []) if p.get("staff_id") == staff), None)
        text = str(form.get("text", "")).strip()
        kind = str(form.get("kind", ""))
        back = f"/don-vi/{request.path_params['unit']}?month={month or ''}#kien-nghi"
        if pub is None or person is None or kind not in views.FEEDBACK_KINDS or not text or len(text) > 5000:
            self.flash(request, "Kiến nghị cần tháng đã công bố, một người trong danh sách, loại kiến nghị và nội dung "
                       "(tối đa 5000 ký tự).", "error")
            return RedirectResponse(back, 303)
        fid = self.ward.state.add_feedback(month=month, unit=spec.name, staff_id=staff,
                                           full_name=person.get("full_name"), kind=kind, text=text, by=user.username)
        self.audit(request, "feedback", spec.name, f"#{fid} {staff} {month}")
        self.flash(request, f"Đã ghi nhận kiến nghị số {fid}.")
        return RedirectResponse(back, 303)

    async def feedback_list(self, request: Request) -> Response:
        user = self.need_user(request)
        items = views.feedback_for(self.ward, user)
        return self.render(request, "feedback.html.j2", items=items, kinds=views.FEEDBACK_KINDS,
                           feedback_status=views.FEEDBACK_STATUS,
                           slugs={u.name: self.ward.slug_of(u.name) for u in self.ward.units})

    async def answer_feedback(self, request: Request) -> Response:
        self.need_admin(request)
        form = await self.form(request)
        try:
            fid = int(request.path_params["fid"])
        except ValueError:
            fid = -1
        found = self.ward.state.feedback(feedback_id=fid)
        if not found:
            raise HTTPException(404, "Không tìm thấy kiến nghị.")
        answer = str(form.get("answer", "")).strip()[:5000]
        close = form.get("close") == "1"
        if not answer and not close:
            self.flash(request, "Cần nội dung trả lời.", "error")
            return RedirectResponse("/kien-nghi", 303)
        self.ward.state.answer_feedback(fid, answer, request.state.user.username, close)
        self.audit(request, "feedback-close" if close else "feedback-answer", found[0]["unit"], f"#{fid}")
        self.flash(request, f"Đã {'đóng' if close else 'trả lời'} kiến nghị số {fid}.")
        return RedirectResponse("/kien-nghi", 303)

    # -- a person ---------------------------------------------------------------------------------------------

    async def person(self, request: Request) -> Response:
        user = self.need_user(request)
        data = await run_in_threadpool(views.person_page, self.ward, user, request.path_params["staff"])
        if data is None:
            raise HTTPException(404, "Không tìm thấy cán bộ.")
        return self.render(request, "person.html.j2", **data)

    async def person_chart(self, request: Request) -> Response:
        user = self.need_user(request)
        svg = await run_in_threadpool(views.person_chart, self.ward, user, request.path_params["staff"])
        if svg is None:
            raise HTTPException(404, "Không tìm thấy cán bộ.")
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store",
                                                                  "X-Content-Type-Options": "nosniff"})

    # -- forms ----------------------------------------------------------------------------------------------

    async def make_forms(self, request: Request) -> Response:
        user = self.need_admin(request)
        form = await self.form(request)
        month = views.parse_month(str(form.get("month", "")))
        if month is None:
            raise HTTPException(400, "Tháng không hợp lệ.")
        with await self.limited(request, "forms", user, back=f"/?month={month}"):
            rep = await run_in_threadpool(jobs.make_forms, self.ward, month, self.today())
            self.audit(request, "forms", None, month)
        if rep.output is None:
            self.flash(request, "Không lập được biểu mẫu: " + "; ".join(rep.messages), "error")
        else:
            self.flash(request, f"Đã lập Mẫu 01A, 02A tháng {month_label(month)}."
                       + (" " + " ".join(rep.output.messages) if rep.output.messages else ""))
        return RedirectResponse(f"/?month={month}", 303)

    async def form_file(self, request: Request) -> Response:
        user = self.need_user(request)
        month = views.parse_month(request.path_params["month"])
        name = request.path_params["file"]
        files = {f["file"]: f for f in jobs.form_files(self.ward, month)} if month else {}
        f = files.get(name)
        if f is None or not views.may_see_form(user, f):
            raise HTTPException(404, "Không tìm thấy biểu mẫu.")
        self.audit(request, "download", f["unit"], name)
        media = {"xlsx": XLSX, "pdf": "application/pdf", "html": "text/html; charset=utf-8"}[name.rsplit(".", 1)[1]]
        return FileResponse(jobs.forms_dir(self.ward, month) / name, media_type=media,
                            filename=name if not name.endswith(".html") else None)

    # -- admin --------------------------------------------------------------------------------------------------

    async def users(self, request: Request) -> Response:
        user = self.need_admin(request)
        error = None
        if request.method == "POST":
            form = await self.form(request)
            action = form.get("action")
            if action not in ("add", "remove", "passwd"):
                return RedirectResponse("/quan-tri/tai-khoan", 303)
            with await self.limited(request, "accounts", user, back="/quan-tri/tai-khoan"):
                error = await run_in_threadpool(self._change_account, request, form, action)
            if error is None:
                return RedirectResponse("/quan-tri/tai-khoan", 303)
        return self.render(request, "users.html.j2", status_code=400 if error else 200, error=error,
                           users=self.ward.state.users(), units=self.ward.units, role_names=ROLES)

    def _change_account(self, request: Request, form, action: str) -> str | None:
        """Add or remove an account, or set its password; the reason it could not be done, or None."""
        try:
            if action == "add":
                units = [u for u in form.getlist("units") if u]
                views.add_user(self.ward, str(form.get("username", "")).strip(), str(form.get("password", "")),
                               str(form.get("role", "")), units, str(form.get("full_name", "")),
                               str(form.get("email", "")))
                self.audit(request, "user-add", str(form.get("username")), str(form.get("role")))
                self.flash(request, f"Đã tạo tài khoản {form.get('username')}.")
            elif action == "remove":
                name = str(form.get("username", ""))
                if name == request.state.user.username:
                    raise SheetsyncError("Không thể tự xoá tài khoản đang dùng.")
                if self.ward.state.remove_user(name):
                    self.audit(request, "user-remove", name)
                    self.flash(request, f"Đã xoá tài khoản {name}.")
            elif action == "passwd":
                name = str(form.get("username", ""))
                if self.ward.state.set_password(name, auth.hash_password(str(form.get("password", "")))):
                    self.audit(request, "user-passwd", name)
                    self.flash(request, f"Đã đổi mật khẩu của {name}.")
        except SheetsyncError as exc:
            return str(exc)
        return None

    async def audit_page(self, request: Request) -> Response:
        self.need_admin(request)
        every = request.query_params.get("tat-ca") == "1"
        events = self.ward.state.audit_log(without=() if every else views.ROUTINE_ACTIONS)
        return self.render(request, "audit.html.j2", events=events, every=every, actions=views.AUDIT_ACTIONS)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


# "Sync now" on a unit whose sync is under way: that sync stands for this one.
BUSY_TEXT = ("Đơn vị đang được đồng bộ (theo lịch hoặc do người khác yêu cầu), nên không đồng bộ thêm lần nữa; "
             "kết quả hiện trên trang này khi lượt đó xong.")
# What a person reads for the router's own errors (Starlette's details are English phrases).
ERROR_TEXT = {404: "Không tìm thấy trang.", 405: "Trang này không nhận yêu cầu kiểu này."}
# Calendar feeds: never framed or indexed, and the secret URL is not passed on as a referrer.
FEED_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
                "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def _source_stamp(source: str) -> tuple:
    """A local workbook's size and time of change (a changed file is read again at once)."""
    try:
        st = Path(source).stat()
        return st.st_size, st.st_mtime_ns
    except (OSError, ValueError):
        return ()


class _Redirect(Exception):
    def __init__(self, url: str):
        self.url = url


class _Limited(HTTPException):
    """An action refused by its limit: 429 with when to try again, and the way back."""

    def __init__(self, refusal: auth.Refusal, back: str):
        super().__init__(429, refusal.message(), headers={"Retry-After": str(refusal.retry_seconds())})
        self.back = back


def create_app(ward: jobs.Ward, *, scheduler: bool = True, today=None, https_only: bool = False) -> Starlette:
    """The application for one ward. With `scheduler`, the units are synced on the ward's
    schedule from a background thread of this process."""
    pages = Pages(ward, today)

    async def redirect(request: Request, exc: _Redirect) -> Response:
        return RedirectResponse(exc.url, 303)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (304,):
            return Response(status_code=exc.status_code)
        from http import HTTPStatus

        ours = isinstance(exc.detail, str) and exc.detail and exc.detail != HTTPStatus(exc.status_code).phrase
        page = pages.render(request, "error.html.j2", status_code=exc.status_code, code=exc.status_code,
                            message=exc.detail if ours else ERROR_TEXT.get(exc.status_code, "Không tìm thấy trang."),
                            back=getattr(exc, "back", None))
        page.headers.update(exc.headers or {})
        return page

    async def server_error(request: Request, exc: Exception) -> Response:
        import logging

        logging.getLogger("sheetsync.web").exception("Lỗi không mong đợi ở %s", request.url.path)
        html = pages.env.get_template("error.html.j2").render(
            request=request, user=None, csrf="", ward=ward.config, flash=None, roles=ROLE_LABELS, code=500,
            message="Lỗi không mong đợi ở máy chủ; hãy thử lại hoặc báo cho bộ phận kỹ thuật (chi tiết trong nhật ký "
                    "của dịch vụ).")
        return HTMLResponse(html, status_code=500, headers=SECURITY_HEADERS)

    routes = [
        Route("/dang-nhap", pages.login, methods=["GET", "POST"]),
        Route("/dang-xuat", pages.logout, methods=["POST"]),
        Route("/", pages.dashboard),
        Route("/tinh-trang", pages.status_page),
        Route("/don-vi/{unit}", pages.unit),
        Route("/don-vi/{unit}/dong-bo", pages.sync_now, methods=["POST"]),
        Route("/don-vi/{unit}/lich/tao-lai", pages.rotate_calendar, methods=["POST"]),
        Route("/lich/{token}.ics", pages.calendar_feed),
        Route("/don-vi/{unit}/bang-tinh", pages.workbook),
        Route("/don-vi/{unit}/tai-len", pages.upload, methods=["POST"]),
        Route("/don-vi/{unit}/tai-len/{upload}", pages.upload_page),
        Route("/don-vi/{unit}/tai-len/{upload}/tep", pages.upload_file),
        Route("/don-vi/{unit}/tai-len/{upload}/nhan", pages.accept, methods=["POST"]),
        Route("/cong-bo", pages.publish, methods=["POST"]),
        Route("/don-vi/{unit}/ket-qua/{month}", pages.results),
        Route("/don-vi/{unit}/kien-nghi", pages.add_feedback, methods=["POST"]),
        Route("/kien-nghi", pages.feedback_list),
        Route("/kien-nghi/{fid}", pages.answer_feedback, methods=["POST"]),
        Route("/nguoi/{staff}", pages.person),
        Route("/nguoi/{staff}/bieu-do.svg", pages.person_chart),
        Route("/bieu-mau", pages.make_forms, methods=["POST"]),
        Route("/bieu-mau/{month}/{file}", pages.form_file),
        Route("/quan-tri/tai-khoan", pages.users, methods=["GET", "POST"]),
        Route("/quan-tri/nhat-ky", pages.audit_page),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    middleware = [Middleware(SessionMiddleware, secret_key=_secret(ward), session_cookie="sheetsync_session",
                             max_age=int(ward.service.session_hours * 3600), same_site="strict",
                             https_only=https_only)]

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        ticker = None
        if scheduler:
            from sheetsync.web.scheduler import Ticker

            ticker = Ticker(ward, today=today)
            ticker.start()
        try:
            yield
        finally:
            if ticker is not None:
                ticker.stop()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={_Redirect: redirect, HTTPException: http_error, Exception: server_error})
    app.state.ward = ward
    app.state.pages = pages
    return app


def json_dumps(v) -> str:
    return json.dumps(v, ensure_ascii=False, default=str)
