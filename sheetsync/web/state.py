"""The service's records in the store: accounts, the audit log, each unit's last sync, uploaded
versions and cross-process locks. Every call is one transaction (`with_retry`); bookkeeping that
a power cut may lose without harm (locks, an unchanged unit's sync time, the workers' sync lines)
is committed without waiting for the disk (`durable=False`), everything else durably."""

from __future__ import annotations

import hmac
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from sheetsync.history.store import Store
from sheetsync.history.store.db import with_retry
from sheetsync.history.store.web_models import (
    AuditEvent,
    CalendarToken,
    Feedback,
    Publication,
    ServiceFlag,
    ServiceLock,
    UnitState,
    Upload,
    WebUser,
    token_digest,
)
from sheetsync.web.summary import is_current, unit_summary

ROLES = ("admin", "unit", "viewer")
ROLE_LABELS = {"admin": "Quản trị (văn phòng phường)", "unit": "Đầu mối đơn vị", "viewer": "Chỉ xem"}


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    units: tuple[str, ...]
    full_name: str = ""
    email: str = ""

    def can_see(self, unit: str) -> bool:
        return self.role in ("admin", "viewer") or unit in self.units

    def can_change(self, unit: str) -> bool:
        return self.role == "admin" or (self.role == "unit" and unit in self.units)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(u: WebUser) -> User:
    return User(u.id, u.username, u.role, tuple(u.units or ()), u.full_name or "", u.email or "")


def _plain(obj, columns: list[str]) -> dict:
    return {c: getattr(obj, c) for c in columns}


UPLOAD_COLUMNS = ["id", "unit", "version", "filename", "path", "sha256", "size", "by", "at", "status",
                  "accepted_at", "result"]


class WebState:
    def __init__(self, store: Store):
        self.store = store
        self.engine = store.engine
        # Counts this process's writes that pages show: a page cached before one is stale. A lock,
        # or the time of an unchanged unit's sync, leaves the cached pages as they are (they show
        # the new time once their seconds are up, as they do for other processes' writes).
        self.generation = 0

    def _do(self, work, readonly: bool = False, durable: bool = True):
        if not readonly and durable:
            self.generation += 1
        return with_retry(self.engine, work, readonly=readonly, durable=durable)

    # -- accounts --------------------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, role: str, units: list[str], full_name: str = "",
                 email: str = "") -> User:
        now = datetime.now()

        def work(s: Session) -> User:
            u = WebUser(username=username, password_hash=password_hash, role=role, units=list(units),
                        full_name=full_name or None, email=email or None, created_at=now, password_changed_at=now)
            s.add(u)
            s.flush()
            return _user(u)
        return self._do(work)

    def user_exists(self, username: str) -> bool:
        return self._do(lambda s: s.execute(select(WebUser.id).where(WebUser.username == username)).first()
                        is not None, readonly=True)

    def users(self) -> list[User]:
        return self._do(lambda s: [_user(u) for u in s.execute(select(WebUser).order_by(WebUser.username)).scalars()],
                        readonly=True)

    def user(self, user_id: int) -> User | None:
        return self._do(lambda s: (lambda u: _user(u) if u else None)(s.get(WebUser, user_id)), readonly=True)

    def user_and_stamp(self, user_id: int) -> tuple[User, str] | None:
        """The account and its password stamp in one query (every page asks both)."""
        def work(s: Session):
            u = s.get(WebUser, user_id)
            return (_user(u), u.password_changed_at.isoformat()) if u else None
        return self._do(work, readonly=True)

    def password_stamp(self, user_id: int) -> str | None:
        """Changes when the password does: a session opened before a change is ended."""
        def work(s: Session) -> str | None:
            u = s.get(WebUser, user_id)
            return u.password_changed_at.isoformat() if u else None
        return self._do(work, readonly=True)

    def credentials(self, username: str) -> tuple[User, str] | None:
        def work(s: Session):
            u = s.execute(select(WebUser).where(WebUser.username == username)).scalar_one_or_none()
            return (_user(u), u.password_hash) if u else None
        return self._do(work, readonly=True)

    def set_password(self, username: str, password_hash: str) -> bool:
        def work(s: Session) -> bool:
            u = s.execute(select(WebUser).where(WebUser.username == username)).scalar_one_or_none()
            if u is None:
                return False
            u.password_hash, u.password_changed_at = password_hash, datetime.now()
            return True
        return self._do(work)

    def remove_user(self, username: str) -> bool:
        return self._do(lambda s: s.execute(delete(WebUser).where(WebUser.username == username)).rowcount > 0)

    # -- audit -------------------------------------------------------------------------------------

    def audit(self, username: str | None, action: str, target: str | None = None, ip: str | None = None,
              detail: str | None = None, durable: bool = True) -> None:
        """One line of the audit log; `durable=False` for the workers' routine lines (one per
        unit and tick), which a power cut may lose, never for logins or a person's actions."""
        self._do(lambda s: s.add(AuditEvent(at=datetime.now(), username=username, action=action, target=target,
                                            ip=ip, detail=detail)), durable=durable)

    def audit_log(self, limit: int = 500, without: tuple[str, ...] = ()) -> list[dict]:
        """The latest events, newest first; `without` leaves out actions (the workers' syncs)."""
        cols = ["at", "username", "action", "target", "ip", "detail"]
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if without:
            query = query.where(AuditEvent.action.not_in(without))
        return self._do(lambda s: [_plain(e, cols) for e in s.execute(query).scalars()], readonly=True)

    def failed_logins(self, ip: str, username: str, since: datetime) -> tuple[int, int]:
        """Failed logins since `since`: (for this account, from this address)."""
        def work(s: Session) -> tuple[int, int]:
            base = select(func.count(AuditEvent.id)).where(AuditEvent.action == "login-failed", AuditEvent.at >= since)
            return (int(s.execute(base.where(AuditEvent.target == username)).scalar() or 0),
                    int(s.execute(base.where(AuditEvent.ip == ip)).scalar() or 0))
        return self._do(work, readonly=True)

    def events_from(self, action: str, ip: str, since: datetime) -> int:
        """Events of `action` from address `ip` since `since` (wrong calendar tokens)."""
        query = select(func.count(AuditEvent.id)).where(AuditEvent.action == action, AuditEvent.ip == ip,
                                                        AuditEvent.at >= since)
        return self._do(lambda s: int(s.execute(query).scalar() or 0), readonly=True)

    def recent_events(self, actions: tuple[str, ...], since: datetime, newest: int, *, username: str | None = None,
                      target: str | None = None, skip_detail: str | None = None) -> list[datetime]:
        """When the latest (at most `newest`) events of `actions` since `since` happened, newest
        first, by `username` and on `target` where given; events whose detail is `skip_detail`
        are left out (a sync that found its unit busy cost nothing)."""
        query = (select(AuditEvent.at).where(AuditEvent.action.in_(actions), AuditEvent.at >= since)
                 .order_by(AuditEvent.at.desc()).limit(newest))
        if username is not None:
            query = query.where(AuditEvent.username == username)
        if target is not None:
            query = query.where(AuditEvent.target == target)
        if skip_detail is not None:
            query = query.where(or_(AuditEvent.detail.is_(None), AuditEvent.detail != skip_detail))
        return self._do(lambda s: list(s.execute(query).scalars()), readonly=True)

    # -- unit states -------------------------------------------------------------------------------

    def save_unit_state(self, unit: str, source: str, *, ok: bool, now: datetime, result: dict | None,
                        tracking: list | None, error_code: str | None = None, error_message: str | None = None,
                        requests: int = 0, bottlenecks: dict | None = None) -> None:
        """A failing sync keeps the last good result (the page shows it, marked as failing);
        `bottlenecks` (a BottleneckReport.to_dict()) is kept beside it, None keeps the last."""
        def work(s: Session) -> None:
            st = s.get(UnitState, unit)
            if st is None:
                st = UnitState(unit=unit, source=source, status="ok", synced_at=now)
                s.add(st)
            st.source, st.synced_at, st.requests = source, now, requests
            st.status = "ok" if ok else "failing"
            st.error_code, st.error_message = error_code, error_message
            if ok:
                st.ok_at = now
            if result is not None:
                st.result = result
            if bottlenecks is not None:
                st.bottlenecks = bottlenecks
            if result is not None or bottlenecks is not None or not is_current(st.summary):
                st.summary = unit_summary(st.result, st.bottlenecks)
            if tracking is not None:
                st.tracking = tracking
        self._do(work)

    def note_unchanged(self, unit: str, source: str, *, now: datetime, requests: int = 0,
                       release: tuple[str, str] | None = None) -> bool:
        """A sync found the unit as its last sync left it: only the times move (synced, last
        good) and the lock `release` (name, token) is given back, in one transaction that need
        not wait for the disk (a power cut loses at most the time of a look that changed
        nothing). Nothing is written, and False returned, unless the unit's state is a good one
        with its result and bottlenecks (the caller then evaluates the unit in full)."""
        def work(s: Session) -> bool:
            done = s.execute(update(UnitState).where(
                UnitState.unit == unit, UnitState.status == "ok", UnitState.result.is_not(None),
                UnitState.bottlenecks.is_not(None)).values(
                source=source, synced_at=now, ok_at=now, requests=requests, error_code=None,
                error_message=None)).rowcount > 0
            if done and release is not None:
                s.execute(delete(ServiceLock).where(ServiceLock.name == release[0], ServiceLock.holder == release[1]))
            return done
        return self._do(work, durable=False)

    def unit_states(self, with_result: bool = True) -> dict[str, dict]:
        cols = ["unit", "source", "status", "synced_at", "ok_at", "error_code", "error_message", "tracking",
                "requests"] + (["result"] if with_result else [])
        return self._do(lambda s: {st.unit: _plain(st, cols) for st in s.execute(select(UnitState)).scalars()},
                        readonly=True)

    def unit_summaries(self) -> dict[str, dict]:
        """Every unit's state with its dashboard summary (web.summary) instead of its whole result.
        A state saved before summaries existed gets its summary made once from its result."""
        cols = ["unit", "source", "status", "synced_at", "ok_at", "error_code", "error_message", "tracking",
                "requests", "summary"]
        fields = [getattr(UnitState, c) for c in cols]
        rows = self._do(lambda s: [dict(zip(cols, r)) for r in s.execute(select(*fields))], readonly=True)
        stale = [r["unit"] for r in rows if not is_current(r["summary"])]
        if stale:
            made = self._do(lambda s: self._make_summaries(s, stale))
            for r in rows:
                if r["unit"] in made:
                    r["summary"] = made[r["unit"]]
        return {r["unit"]: r for r in rows}

    @staticmethod
    def _make_summaries(s: Session, units: list[str]) -> dict[str, dict | None]:
        made = {}
        for st in s.execute(select(UnitState).where(UnitState.unit.in_(units))).scalars():
            st.summary = unit_summary(st.result, st.bottlenecks)
            made[st.unit] = st.summary
        return made

    def unit_state(self, unit: str) -> dict | None:
        cols = ["unit", "source", "status", "synced_at", "ok_at", "error_code", "error_message", "tracking",
                "requests", "result", "bottlenecks"]
        return self._do(lambda s: (lambda st: _plain(st, cols) if st else None)(s.get(UnitState, unit)),
                        readonly=True)

    # -- calendar links --------------------------------------------------------------------------------

    def calendar_link(self, unit: str) -> dict | None:
        """When and by whom the unit's calendar link was made, or None: never the link itself,
        which the store does not hold (only its digest)."""
        return self._do(lambda s: (lambda t: {"created_at": t.created_at, "created_by": t.created_by} if t else None)(
            s.get(CalendarToken, unit)), readonly=True)

    def rotate_calendar_token(self, unit: str, by: str) -> str:
        """A new token for the unit (secrets.token_urlsafe: 256 bits), returned this once and kept
        only as its digest; the old URL stops working at once."""
        import secrets

        token = secrets.token_urlsafe(32)

        def work(s: Session) -> None:
            t = s.get(CalendarToken, unit, with_for_update=True)
            if t is None:
                s.add(CalendarToken(unit=unit, digest=token_digest(token), created_at=datetime.now(), created_by=by))
            else:
                t.digest, t.created_at, t.created_by = token_digest(token), datetime.now(), by
        self._do(work)
        return token

    def calendar_unit(self, token: str) -> str | None:
        """The unit whose calendar `token` opens, or None. Looked up by digest (a digest reveals
        nothing of the token, so the index lookup may take its time), then compared in constant time."""
        digest = token_digest(token)
        found = self._do(lambda s: s.execute(select(CalendarToken.unit, CalendarToken.digest)
                                             .where(CalendarToken.digest == digest)).first(), readonly=True)
        return found.unit if found is not None and hmac.compare_digest(found.digest, digest) else None

    # -- uploads -------------------------------------------------------------------------------------

    def next_upload_version(self, unit: str) -> int:
        return self._do(lambda s: int(s.execute(select(func.max(Upload.version)).where(Upload.unit == unit)).scalar()
                                      or 0) + 1, readonly=True)

    def add_upload(self, **fields) -> int:
        def work(s: Session) -> int:
            up = Upload(**fields)
            s.add(up)
            s.flush()
            return up.id
        return self._do(work)

    def uploads(self, unit: str) -> list[dict]:
        return self._do(lambda s: [_plain(u, UPLOAD_COLUMNS) for u in s.execute(
            select(Upload).where(Upload.unit == unit).order_by(Upload.version.desc())).scalars()], readonly=True)

    def upload(self, upload_id: int) -> dict | None:
        return self._do(lambda s: (lambda u: _plain(u, UPLOAD_COLUMNS) if u else None)(s.get(Upload, upload_id)),
                        readonly=True)

    def mark_accepted(self, upload_id: int, now: datetime) -> None:
        def work(s: Session) -> None:
            up = s.get(Upload, upload_id)
            for other in s.execute(select(Upload).where(Upload.unit == up.unit, Upload.status == "accepted")).scalars():
                other.status = "superseded"
            up.status, up.accepted_at = "accepted", now
        self._do(work)

    # -- flags ----------------------------------------------------------------------------------------

    def flag(self, name: str) -> dict | None:
        return self._do(lambda s: (lambda f: {"value": f.value, "at": f.at, "done": f.done} if f else None)(
            s.get(ServiceFlag, name)), readonly=True)

    def set_flag(self, name: str, value: dict | None = None, done: bool = True) -> None:
        def work(s: Session) -> None:
            f = s.get(ServiceFlag, name)
            if f is None:
                s.add(ServiceFlag(name=name, value=value, at=datetime.now(), done=done))
            else:
                f.value, f.at, f.done = value, datetime.now(), done
        self._do(work)

    # -- publication and feedback ------------------------------------------------------------------------

    def publish(self, month: str, by: str, people_by_unit: dict[str, list[dict]], now: datetime) -> None:
        """Publish the month: every unit's results kept as they are now (once; publishing again
        keeps the first publication)."""
        def work(s: Session) -> None:
            for unit, people in people_by_unit.items():
                if s.get(Publication, (month, unit)) is None:
                    s.add(Publication(month=month, unit=unit, people=people, at=now, by=by))
            if s.get(ServiceFlag, f"published:{month}") is None:
                s.add(ServiceFlag(name=f"published:{month}", value={"by": by}, at=now, done=True))
        self._do(work)

    def publication(self, month: str, unit: str) -> dict | None:
        return self._do(lambda s: (lambda p: {"people": p.people, "at": p.at, "by": p.by} if p else None)(
            s.get(Publication, (month, unit))), readonly=True)

    def add_feedback(self, **fields) -> int:
        def work(s: Session) -> int:
            fb = Feedback(status="open", at=datetime.now(), **fields)
            s.add(fb)
            s.flush()
            return fb.id
        return self._do(work)

    def feedback(self, *, month: str | None = None, unit: str | None = None, staff_id: str | None = None,
                 feedback_id: int | None = None) -> list[dict]:
        cols = ["id", "month", "unit", "staff_id", "full_name", "kind", "text", "by", "at", "status", "answer",
                "answered_by", "answered_at", "closed_at"]

        def work(s: Session) -> list[dict]:
            q = select(Feedback).order_by(Feedback.id)
            for col, v in ((Feedback.month, month), (Feedback.unit, unit), (Feedback.staff_id, staff_id),
                           (Feedback.id, feedback_id)):
                if v is not None:
                    q = q.where(col == v)
            return [_plain(f, cols) for f in s.execute(q).scalars()]
        return self._do(work, readonly=True)

    def answer_feedback(self, feedback_id: int, answer: str, by: str, close: bool) -> None:
        def work(s: Session) -> None:
            fb = s.get(Feedback, feedback_id)
            now = datetime.now()
            if answer:
                fb.answer, fb.answered_by, fb.answered_at = answer, by, now
                fb.status = "answered"
            if close:
                fb.status, fb.closed_at = "closed", now
        self._do(work)

    # -- locks ----------------------------------------------------------------------------------------

    def acquire(self, name: str, ttl: timedelta = timedelta(minutes=30)) -> str | None:
        """Take the named lock; returns a token to release it with, or None when another live
        holder has it. A holder on this host whose process has died is taken over at once."""
        token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        now = datetime.now()

        def work(s: Session) -> str | None:
            lock = s.get(ServiceLock, name, with_for_update=True)
            if lock is not None and lock.expires_at > now and _alive(lock.holder):
                return None
            if lock is None:
                s.add(ServiceLock(name=name, holder=token, acquired_at=now, expires_at=now + ttl))
            else:
                lock.holder, lock.acquired_at, lock.expires_at = token, now, now + ttl
            return token
        # Not durable: a lock lost to a power cut is held by nobody (every holder died with it).
        return self._do(work, durable=False)

    def release(self, name: str, token: str) -> None:
        # Not durable: a release lost to a power cut leaves a lock whose holder died; it is
        # taken over at once on this host (`_alive`), elsewhere when it expires.
        self._do(lambda s: s.execute(delete(ServiceLock).where(ServiceLock.name == name, ServiceLock.holder == token)),
                 durable=False)

    def locks(self) -> dict[str, dict]:
        return self._do(lambda s: {lk.name: {"holder": lk.holder, "acquired_at": lk.acquired_at,
                                             "expires_at": lk.expires_at}
                                   for lk in s.execute(select(ServiceLock)).scalars()}, readonly=True)


def _alive(holder: str) -> bool:
    """False only when the holder ran on this host and its process is gone."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
