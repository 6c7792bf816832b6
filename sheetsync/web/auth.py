"""Passwords, sessions, CSRF and the limits on what can be repeated.

Passwords are hashed with argon2 (argon2-cffi). The session is Starlette's signed cookie
(itsdangerous; HttpOnly, SameSite=Strict, expiring), holding the account id, when the person logged
in and a CSRF token that every form echoes back.

Limits (`service.limits` of ward.yaml, web.config.DEFAULT_LIMITS) are counted from the audit
log, so they hold across processes and restarts. Failed logins are audit events; more than the
`login` limit for one account name, or from one address (an office behind one NAT address shares
it), answer 429 until the window passes. Calendar feeds (/lich/<token>.ics) are fetched without
a session: a wrong token is an audit event too, and past the `calendar` limit from one address
every calendar request from it gets 429; besides, one address gets at most
`service.calendar_per_minute` feeds a minute (counted in this process). What a signed-in person
can repeat at a cost (sync now, uploads, forms, feedback, account changes) is counted per account
and, where a unit is concerned, per unit (`Limiter`).
"""

from __future__ import annotations

import math
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sheetsync.errors import UsageError
from sheetsync.web.config import Limit
from sheetsync.web.state import ROLES, User, WebState

MIN_PASSWORD = 8

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


def _over(count: int, most: int | None) -> bool:
    return most is not None and count >= most


def login_blocked(state: WebState, ip: str, username: str, limit: Limit, now: datetime | None = None) -> bool:
    """Too many failed logins lately for this account name or from this address."""
    now = now or datetime.now()
    per_account, per_ip = state.failed_logins(ip, username.strip(), now - timedelta(minutes=limit.minutes))
    return _over(per_account, limit.per_user) or _over(per_ip, limit.per_address)


def calendar_blocked(state: WebState, ip: str, limit: Limit, now: datetime | None = None) -> bool:
    """Too many wrong calendar tokens from this address lately (someone guessing)."""
    if limit.per_address is None:
        return False
    now = now or datetime.now()
    return state.events_from("calendar-refused", ip, now - timedelta(minutes=limit.minutes)) >= limit.per_address


# What the audit log records for each limited action (the events its limit counts), and how a
# refusal names it. A sync that found its unit already being synced ("busy") is not counted: it
# cost nothing, the sync under way stands for it.
COUNTED = {"sync": ("sync",), "upload": ("upload", "upload-refused"), "forms": ("forms",),
           "feedback": ("feedback",), "accounts": ("user-add", "user-remove", "user-passwd")}
NOT_COUNTED = {"sync": "busy"}
DOING = {"sync": "đồng bộ", "upload": "tải tệp lên", "forms": "lập biểu mẫu", "feedback": "gửi kiến nghị",
         "accounts": "thay đổi tài khoản"}


@dataclass(frozen=True)
class Refusal:
    """An action refused by its limit: which count was full, and when it frees up."""

    action: str
    scope: str  # "per_user" | "per_unit"
    most: int
    minutes: float
    retry_at: datetime

    def retry_seconds(self, now: datetime | None = None) -> int:
        return max(1, math.ceil((self.retry_at - (now or datetime.now())).total_seconds()))

    def message(self, now: datetime | None = None) -> str:
        who = "Tài khoản của bạn đã" if self.scope == "per_user" else "Đơn vị này đã được các tài khoản"
        wait = max(1, math.ceil(self.retry_seconds(now) / 60))
        return (f"{who} {DOING[self.action]} {self.most} lần trong {_minutes(self.minutes)}, mức tối đa phường cho "
                f"phép. Hãy thử lại sau {self.retry_at:%H:%M} (khoảng {wait} phút nữa).")

    @property
    def detail(self) -> str:
        """The audit line's detail: which limit refused."""
        per = "mỗi tài khoản" if self.scope == "per_user" else "mỗi đơn vị"
        return f"{DOING[self.action]}: tối đa {self.most} lần/{_minutes(self.minutes)} {per}"


def _minutes(minutes: float) -> str:
    if minutes >= 60 and minutes % 60 == 0:
        return f"{int(minutes // 60)} giờ"
    return f"{minutes:g} phút".replace(".", ",")


class Ticket:
    """A limited action under way: counted as done until `done` (once its audit event is written)."""

    def __init__(self, limiter: Limiter, keys: list[tuple]):
        self._limiter, self._keys = limiter, keys

    def done(self) -> None:
        keys, self._keys = self._keys, []
        self._limiter._finish(keys)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc) -> None:
        self.done()


class Limiter:
    """How often a signed-in person may repeat a costly action (`service.limits`). The count is
    the action's audit events within the window (across processes and restarts), plus the
    requests of this process that passed the check and have not yet recorded theirs, so that a
    burst of simultaneous requests cannot all slip under the limit. The checks take a few
    indexed reads and run one at a time; limited actions are rare, the lock is never held long."""

    def __init__(self, state: WebState, limits: dict[str, Limit]):
        self.state, self.limits = state, limits
        self._running: dict[tuple, int] = {}
        self._lock = threading.Lock()

    def reserve(self, action: str, username: str, unit: str | None = None,
                now: datetime | None = None) -> Ticket | Refusal:
        """A ticket for `action` by `username` (on `unit`), or the refusal of the first full count."""
        limit, now = self.limits[action], now or datetime.now()
        since = now - timedelta(minutes=limit.minutes)
        counts = [("per_user", limit.per_user, {"username": username})]
        if unit is not None:
            counts.append(("per_unit", limit.per_unit, {"target": unit}))
        # Read and reserved under one lock: a request that finishes (its event written, its
        # reservation given back) between another's read and check cannot be missed by both.
        with self._lock:
            keys = []
            for scope, most, where in counts:
                if most is None:
                    continue
                key = (action, scope, *where.values())
                seen = self.state.recent_events(COUNTED[action], since, most, skip_detail=NOT_COUNTED.get(action),
                                                **where)
                times = sorted(seen + [now] * self._running.get(key, 0), reverse=True)
                if len(times) >= most:
                    return Refusal(action, scope, most, limit.minutes, times[most - 1] + timedelta(minutes=limit.minutes))
                keys.append(key)
            for key in keys:
                self._running[key] = self._running.get(key, 0) + 1
        return Ticket(self, keys)

    def _finish(self, keys: list[tuple]) -> None:
        with self._lock:
            for key in keys:
                left = self._running.get(key, 0) - 1
                if left > 0:
                    self._running[key] = left
                else:
                    self._running.pop(key, None)


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
