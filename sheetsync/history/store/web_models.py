"""The ward office service's tables (`sheetsync serve`): accounts, audit log, each unit's last
sync as the pages show it, uploaded workbook versions, and locks shared by every process.

They live in the history store so that one SQLite file (or one PostgreSQL database) is all a
ward keeps; created by migration step 4 (publications and feedback: step 5; calendar links and
each unit's bottlenecks: step 7; calendar links kept as digests: step 9).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sheetsync.history.store.models import Base, JSONType


class WebUser(Base):
    """An account: `admin` (ward office), `unit` (focal person of the units listed), `viewer`."""

    __tablename__ = "web_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    units: Mapped[list] = mapped_column(JSONType)  # unit names (role `unit` only)
    full_name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime)


class AuditEvent(Base):
    """Who did what, when, from where (logins too, failed ones included: they rate-limit logins)."""

    __tablename__ = "web_audit"
    # By account and by unit (target): the limits count one person's or one unit's recent events
    # of an action (web.auth.Limiter); created by step 10 in stores made before.
    __table_args__ = (Index("ix_web_audit_at", "at"), Index("ix_web_audit_action_ip", "action", "ip"),
                      Index("ix_web_audit_user", "username", "action", "at"),
                      Index("ix_web_audit_target", "target", "action", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    username: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class UnitState(Base):
    """A unit's last sync as the pages show it: the result (findings, people, scores) and the
    deadline items computed when it was synced, so that no page reads a workbook."""

    __tablename__ = "web_unit_state"
    unit: Mapped[str] = mapped_column(String(300), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # "ok" | "failing"
    synced_at: Mapped[datetime] = mapped_column(DateTime)
    ok_at: Mapped[datetime | None] = mapped_column(DateTime)
    error_code: Mapped[str | None] = mapped_column(String(80))
    error_message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSONType)  # UnitResult.to_dict() of the last good sync
    summary: Mapped[dict | None] = mapped_column(JSONType, nullable=True)  # web.summary of `result` (migration 6)
    tracking: Mapped[list | None] = mapped_column(JSONType)  # status items (missing/late steps, tasks)
    bottlenecks: Mapped[dict | None] = mapped_column(JSONType, nullable=True)  # BottleneckReport.to_dict() (7)
    requests: Mapped[int] = mapped_column(Integer, default=0)  # API requests of the last sync (Google)


class Upload(Base):
    """An uploaded version of an .xlsx unit's workbook: checked at once, shown, then accepted
    (copied into place and synced) or left. Files are never overwritten."""

    __tablename__ = "web_uploads"
    __table_args__ = (UniqueConstraint("unit", "version", name="uq_web_uploads_unit_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(Text)  # as the person named it
    path: Mapped[str] = mapped_column(Text)  # where it is kept
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))  # "pending" | "accepted" | "superseded"
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    result: Mapped[dict | None] = mapped_column(JSONType)  # the check's UnitResult.to_dict()


class ServiceLock(Base):
    """A named lock valid across processes (one sync of a unit at a time): held until released
    or until `expires_at`; a holder on this host whose process is gone is taken over."""

    __tablename__ = "web_locks"
    name: Mapped[str] = mapped_column(String(400), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class ServiceFlag(Base):
    """Small named facts the service keeps (the month whose forms the schedule made, ...)."""

    __tablename__ = "web_flags"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[dict | None] = mapped_column(JSONType)
    at: Mapped[datetime] = mapped_column(DateTime)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class Publication(Base):
    """A month's results of one unit as published by the ward office (due by the 5th): kept as
    published, so the pages show them read-only whatever later syncs see."""

    __tablename__ = "web_publications"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    unit: Mapped[str] = mapped_column(String(300), primary_key=True)
    people: Mapped[list] = mapped_column(JSONType)  # person_dict rows with full_name
    at: Mapped[datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(100))


class Feedback(Base):
    """A complaint or correction request on a person's published result: recorded, answered, closed."""

    __tablename__ = "web_feedback"
    __table_args__ = (Index("ix_web_feedback_month_unit", "month", "unit"), Index("ix_web_feedback_staff", "staff_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    unit: Mapped[str] = mapped_column(String(300))
    staff_id: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # "complaint" | "correction"
    text: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))  # "open" | "answered" | "closed"
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class CalendarToken(Base):
    """A unit's calendar subscription URL (/lich/<token>.ics): phones and Outlook fetch it without
    logging in, so knowing the token is the permission. Only the token's SHA-256 is kept (since
    step 9), so a copy of the database does not open any feed; the token itself is shown once,
    when made. Rotating replaces it, and the old URL answers 404 from then on."""

    __tablename__ = "web_calendar_tokens"
    unit: Mapped[str] = mapped_column(String(300), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))


def token_digest(token: str) -> str:
    """What the store keeps of a calendar token: its SHA-256 (hex). The token is 256 random bits,
    so the digest needs no salt or key to be useless without the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


WEB_TABLES = ("web_users", "web_audit", "web_unit_state", "web_uploads", "web_locks", "web_flags")
PUBLICATION_TABLES = ("web_publications", "web_feedback")
CALENDAR_TABLES = ("web_calendar_tokens",)
