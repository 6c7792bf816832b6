"""Passwords, sessions, CSRF and the login rate limit.

Passwords are hashed with argon2 (argon2-cffi). The session is Starlette's signed cookie
(itsdangerous; HttpOnly, SameSite=Lax, expiring), holding the account id, when the person logged
in and a CSRF token that every form echoes back. Failed logins are audit events; more than
`MAX_FAILURES` for one account, or `MAX_IP_FAILURES` from one address (an office behind one
NAT address shares it), within `WINDOW` answer 429 until the window passes, across processes
(the count is read from the store). Calendar feeds (/lich/<token>.ics) are fetched without a
session: a wrong token is an audit event too, and more than `MAX_CALENDAR_FAILURES` from one
address within `WINDOW` answer 429 to every calendar request from it; besides, one address gets
at most `service.calendar_per_minute` feeds a minute (counted in this process).
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sheetsync.errors import UsageError
from sheetsync.web.state import ROLES, User, WebState

MAX_FAILURES = 5
MAX_IP_FAILURES = 30
WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 8
MAX_CALENDAR_FAILURES = 20

_hasher = PasswordHasher()
# Each argon2 computation takes `memory_cost` (64 MiB by default): twenty people logging in at the
# same moment took the service to 1.2 GB. At most this many run at once; the others wait their turn.
HASH_SLOTS = 2
_slots = threading.BoundedSemaphore(HASH_SLOTS)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.", code="web.weak-password")
    with _slots:
        return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        with _slots:
            return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def authenticate(state: WebState, username: str, password: str) -> User | None:
    found = state.credentials(username.strip())
    if found is None:
        verify_password(_DUMMY_HASH, password)  # the same time whether the account exists or not
        return None
    user, stored = found
    return user if verify_password(stored, password) else None


def login_blocked(state: WebState, ip: str, username: str, now: datetime | None = None) -> bool:
    now = now or datetime.now()
    per_account, per_ip = state.failed_logins(ip, username.strip(), now - WINDOW)
    return per_account >= MAX_FAILURES or per_ip >= MAX_IP_FAILURES


def calendar_blocked(state: WebState, ip: str, now: datetime | None = None) -> bool:
    """Too many wrong calendar tokens from this address lately (someone guessing)."""
    now = now or datetime.now()
    return state.events_from("calendar-refused", ip, now - WINDOW) >= MAX_CALENDAR_FAILURES


class Throttle:
    """At most `per_minute` requests per address in any minute (in this process)."""

    def __init__(self, per_minute: float):
        self.per_minute = per_minute
        self._seen: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def allow(self, ip: str, now: float | None = None) -> bool:
        import time

        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) > 10_000:  # bounded, whatever addresses come
                self._seen.clear()
            recent = [t for t in self._seen.get(ip, ()) if now - t < 60]
            allowed = len(recent) < self.per_minute
            if allowed:
                recent.append(now)
            self._seen[ip] = recent
            return allowed


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(session: dict, sent: str | None) -> bool:
    want = session.get("csrf")
    return bool(want) and bool(sent) and secrets.compare_digest(str(want), str(sent))


def check_account(state: WebState, username: str, role: str, units: list[str], known_units: list[str]) -> None:
    """Why an account cannot be created as asked (UsageError), or nothing."""
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise UsageError("Tên đăng nhập không được trống, không có dấu cách, tối đa 100 ký tự.", code="web.bad-username")
    if role not in ROLES:
        raise UsageError(f"Vai trò '{role}' không có; chỉ có: {', '.join(ROLES)}.", code="web.bad-role")
    if role == "unit" and not units:
        raise UsageError("Tài khoản đầu mối đơn vị cần ít nhất một đơn vị (--unit).", code="web.no-unit")
    if role != "unit" and units:
        raise UsageError("Chỉ tài khoản vai trò 'unit' mới gắn với đơn vị.", code="web.unit-for-role")
    unknown = [u for u in units if u not in known_units]
    if unknown:
        raise UsageError(f"Phường không có đơn vị: {', '.join(unknown)}. Các đơn vị: {', '.join(known_units)}.",
                         code="web.unknown-unit")
    if state.user_exists(username):
        raise UsageError(f"Đã có tài khoản '{username}'.", code="web.user-exists")
