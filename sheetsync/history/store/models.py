"""The store's tables (SQLAlchemy 2 declarative models), the same on SQLite and PostgreSQL.

One *snapshot* is what a sync or report saw of one unit's month: its input rows as read, its
people's scores and ratings, its findings, with a content hash. Snapshots are never changed;
`unit_months` points at the latest one (`head`) and, once the month is approved, at the frozen
one (`frozen`) that stays the truth until an administrator reopens the month.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class JSONType(TypeDecorator):
    """JSON; JSONB on PostgreSQL. Chosen when a dialect is in use, so that a SQLite store never
    loads the PostgreSQL dialect (a sync of an unchanged ward mostly pays start-up)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


class Base(DeclarativeBase):
    pass


class SchemaVersion(Base):
    """Applied migrations (hand-rolled: see migrations.py)."""

    __tablename__ = "schema_version"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    applied_at: Mapped[datetime] = mapped_column(DateTime)


class Run(Base):
    """One unit processed by one `sync` or `report` (kept even when nothing changed: the
    tracking of forms sent to the ward and of updates needs to know when runs happened)."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(String(300), index=True)
    source: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # "sync" | "report"
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    as_of: Mapped[date | None] = mapped_column(Date)
    months: Mapped[list] = mapped_column(JSONType)  # months the run covered
    changed: Mapped[list] = mapped_column(JSONType)  # months recorded anew
    frozen: Mapped[list] = mapped_column(JSONType)  # months frozen by this run
    # A sync that finds the unit as its unit's previous sync left it adds no row: that row's
    # `last_at` moves and `repeats` counts the syncs it stands for (migration 3).
    last_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    repeats: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class UnitMonth(Base):
    """Per unit and month: the latest snapshot and, while approved and not reopened, the frozen one."""

    __tablename__ = "unit_months"
    unit: Mapped[str] = mapped_column(String(300), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    head_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    frozen_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Snapshot(Base):
    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("unit", "month", "seq", name="uq_snapshots_unit_month_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(String(300))
    month: Mapped[str] = mapped_column(String(7))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per unit and month
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(64))
    approved: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[dict] = mapped_column(JSONType)  # quota, counts, roster size


class SnapshotRow(Base):
    """One input row (tab `tasks` or `evaluations`) as read, by row key; `scores` holds what the
    engine computed for it (task conversions, or the person's scores)."""

    __tablename__ = "snapshot_rows"
    __table_args__ = (Index("ix_snapshot_rows_snapshot", "snapshot_id", "tab"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"))
    tab: Mapped[str] = mapped_column(String(40))
    row_key: Mapped[str] = mapped_column(Text)
    sheet_row: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSONType)
    scores: Mapped[dict | None] = mapped_column(JSONType)


# Rows whose return count may be other than 0 are few; a sync asks for them among every version
# of a unit's task rows (`history.returns.check_returns`). A partial index on that condition
# (migration 11) answers it without reading each row's JSON; the query states the condition in
# exactly these words, literal, as the database needs to see that the index covers it.
RETURNS_FIELD = "returns"
RETURNS_INDEX = "ix_snapshot_rows_returns"


def nonzero_condition(dialect: str, name: str) -> str:
    """SQL on `snapshot_rows` true where input `name` of the row may be other than 0 or empty: in
    SQLite a JSON number 0 or null compares as 0 or NULL, and text never does; in PostgreSQL the
    value as text is compared."""
    if not name.isidentifier():
        raise ValueError(f"not a field name: {name!r}")
    if dialect == "sqlite":
        return f"json_extract(snapshot_rows.data, '$.{name}') != 0"
    return f"coalesce(snapshot_rows.data ->> '{name}', '0') NOT IN ('0', '0.0')"


class PersonMonth(Base):
    """One person's month in one snapshot: what periods and history read."""

    __tablename__ = "person_months"
    __table_args__ = (Index("ix_person_months_staff", "staff_key"),
                      Index("ix_person_months_snapshot", "snapshot_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(300))
    month: Mapped[str] = mapped_column(String(7))
    staff_id: Mapped[str] = mapped_column(String(100))
    staff_key: Mapped[str] = mapped_column(String(100))
    row_key: Mapped[str] = mapped_column(Text)
    roster_order: Mapped[int] = mapped_column(Integer, default=0)  # place in the unit's roster
    scored: Mapped[bool] = mapped_column(Boolean, default=True)  # False: tasks but no scored evaluation row
    full_name: Mapped[str | None] = mapped_column(Text)
    position: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    peer_group: Mapped[str | None] = mapped_column(Text)
    leader_role: Mapped[str | None] = mapped_column(Text)
    leader: Mapped[bool] = mapped_column(Boolean, default=False)
    disciplined: Mapped[bool] = mapped_column(Boolean, default=False)
    total_points: Mapped[float | None] = mapped_column(Float)
    general_points: Mapped[float | None] = mapped_column(Float)
    task_points: Mapped[float | None] = mapped_column(Float)
    suggested_rating: Mapped[str | None] = mapped_column(Text)
    approved_rating: Mapped[str | None] = mapped_column(Text)
    final_rating: Mapped[str | None] = mapped_column(Text)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    tasks: Mapped[int] = mapped_column(Integer, default=0)
    returns: Mapped[int] = mapped_column(Integer, default=0)
    delays: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)


class SnapshotFinding(Base):
    __tablename__ = "snapshot_findings"
    __table_args__ = (Index("ix_snapshot_findings_snapshot", "snapshot_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"))
    tab: Mapped[str] = mapped_column(Text)
    row_key: Mapped[str | None] = mapped_column(Text)
    sheet_row: Mapped[int | None] = mapped_column(Integer)
    cell: Mapped[str | None] = mapped_column(String(20))
    column: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(80))
    message: Mapped[str] = mapped_column(Text)


class FreezeEvent(Base):
    """Audit log: a month frozen (by a sync that saw it approved) or reopened (by an administrator)."""

    __tablename__ = "freeze_events"
    __table_args__ = (Index("ix_freeze_events_unit_month", "unit", "month"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(String(300))
    month: Mapped[str] = mapped_column(String(7))
    action: Mapped[str] = mapped_column(String(20))  # "freeze" | "reopen"
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    by: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)


class ApprovalEdit(Base):
    """A cell changed after its month was approved, as first found (kept so 'found when' holds)."""

    __tablename__ = "approval_edits"
    __table_args__ = (UniqueConstraint("frozen_id", "tab", "row_key", "field", "new_hash",
                                       name="uq_approval_edits"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(String(300))
    month: Mapped[str] = mapped_column(String(7))
    frozen_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    tab: Mapped[str] = mapped_column(String(40))
    row_key: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(String(80))
    old: Mapped[dict | None] = mapped_column(JSONType)  # {"v": value}
    new: Mapped[dict | None] = mapped_column(JSONType)
    new_hash: Mapped[str] = mapped_column(String(64))
    first_found_at: Mapped[datetime] = mapped_column(DateTime)
    last_found_at: Mapped[datetime] = mapped_column(DateTime)


class UnitResultRecord(Base):
    """A unit's last synced result in compact form and the key it holds for (see
    `sheetsync.service.reuse`): one row per unit and workbook, replaced, never added to."""

    __tablename__ = "unit_results"
    unit: Mapped[str] = mapped_column(String(300), primary_key=True)
    source: Mapped[str] = mapped_column(String(1000), primary_key=True)  # the workbook's stable identity
    key: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict] = mapped_column(JSONType)
    at: Mapped[datetime] = mapped_column(DateTime)


class UnitMonthPart(Base):
    """One month's scoring as the engine last made it for a unit and workbook
    (`sheetsync.engine.scoring.MonthPart` as `sheetsync.service.reuse.part_data` keeps it), with
    the fingerprint of its inputs: a sync offers it to the engine, which takes it only for a
    month whose inputs have that fingerprint. One row per unit, workbook and month, replaced."""

    __tablename__ = "unit_month_parts"
    unit: Mapped[str] = mapped_column(String(300), primary_key=True)
    source: Mapped[str] = mapped_column(String(1000), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    part: Mapped[dict] = mapped_column(JSONType)
    at: Mapped[datetime] = mapped_column(DateTime)

