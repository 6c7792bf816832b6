"""Schema migrations, hand-rolled: a numbered list of steps and a `schema_version` table.

Why not alembic: the store has a handful of tables and must upgrade itself silently on the
first run of a newer sheetsync, on SQLite and PostgreSQL alike, with no migration scripts for
an office to run. A step is a function of a connection inside the migration's transaction.

Rule for later changes: never edit a shipped step. Add a step with explicit DDL (e.g.
`ALTER TABLE ... ADD COLUMN`) and change the models to match; step 1 creates the tables as
listed in V1_TABLES from the models, so a new column must also be added by its own step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, DateTime, Engine, String, inspect, select, text
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table

from sheetsync.history.store.db import StoreError
from sheetsync.history.store.models import Base, SchemaVersion

V1_TABLES = ("schema_version", "runs", "snapshots", "unit_months", "snapshot_rows", "person_months",
             "snapshot_findings", "freeze_events", "approval_edits")
LOCK_KEY = 0x5EE75F0C  # PostgreSQL advisory lock: one migrating process at a time


def _v1(conn: Connection) -> None:
    tables = [Base.metadata.tables[name] for name in V1_TABLES]
    Base.metadata.create_all(conn, tables=tables)


def _v2(conn: Connection) -> None:
    # Severity became data ("error"/"warning"), translated only where a person reads it.
    for label, code in (("Lỗi", "error"), ("Cảnh báo", "warning")):
        conn.execute(text("UPDATE snapshot_findings SET severity = :code WHERE severity = :label"),
                     {"code": code, "label": label})


def _v3(conn: Connection) -> None:
    # Unchanged syncs: the previous run row stands for them (runs.last_at, runs.repeats), and a
    # unit's last result is kept to be shown again while its workbook does not change.
    # (Step 1 creates `runs` from today's model, which already has the columns.)
    have = {c["name"] for c in inspect(conn).get_columns("runs")}
    if "last_at" not in have:
        conn.execute(text("ALTER TABLE runs ADD COLUMN last_at TIMESTAMP"))
    if "repeats" not in have:
        conn.execute(text("ALTER TABLE runs ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0"))
    Base.metadata.create_all(conn, tables=[Base.metadata.tables["unit_results"]])


def _v4(conn: Connection) -> None:
    # The ward office service (`sheetsync serve`): accounts, audit, unit states, uploads, locks.
    from sheetsync.history.store.web_models import WEB_TABLES

    Base.metadata.create_all(conn, tables=[Base.metadata.tables[name] for name in WEB_TABLES])


def _v5(conn: Connection) -> None:
    # Publication of a month's results and complaints/corrections on them (`sheetsync serve`).
    from sheetsync.history.store.web_models import PUBLICATION_TABLES

    Base.metadata.create_all(conn, tables=[Base.metadata.tables[name] for name in PUBLICATION_TABLES])


def _v6(conn: Connection) -> None:
    # The ward dashboard reads each unit's counts, not its whole last result: a small summary
    # beside the result (filled on the next sync, or from the result when first read).
    have = {c["name"] for c in inspect(conn).get_columns("web_unit_state")}
    if "summary" not in have:
        kind = "JSONB" if conn.dialect.name == "postgresql" else "JSON"
        conn.execute(text(f"ALTER TABLE web_unit_state ADD COLUMN summary {kind}"))


def _v7(conn: Connection) -> None:
    # Calendar subscription links (a secret token per unit) and each unit's bottlenecks as its
    # last sync found them, so the pages show them without opening a workbook.
    from sheetsync.history.store.web_models import CALENDAR_TABLES

    Base.metadata.create_all(conn, tables=[Base.metadata.tables[name] for name in CALENDAR_TABLES])
    have = {c["name"] for c in inspect(conn).get_columns("web_unit_state")}
    if "bottlenecks" not in have:
        kind = "JSONB" if conn.dialect.name == "postgresql" else "JSON"
        conn.execute(text(f"ALTER TABLE web_unit_state ADD COLUMN bottlenecks {kind}"))


def _v8(conn: Connection) -> None:
    # A changed unit scores only its changed months: each month's scoring kept per unit.
    Base.metadata.create_all(conn, tables=[Base.metadata.tables["unit_month_parts"]])


def _v9(conn: Connection) -> None:
    # Calendar links kept as the SHA-256 of their token, not the token: whoever reads the database
    # (a backup, a dump) cannot open a feed. The links made before keep working: each stored token
    # is hashed. The table is made again (SQLite cannot drop a UNIQUE column); a store that got the
    # table from step 7 after this change already has the digest and is left as it is.
    from sheetsync.history.store.web_models import CalendarToken, token_digest

    have = {c["name"] for c in inspect(conn).get_columns("web_calendar_tokens")}
    if "token" not in have:
        return
    old = sql_table("web_calendar_tokens", sql_column("unit", String), sql_column("token", String),
                    sql_column("created_at", DateTime), sql_column("created_by", String))
    rows = conn.execute(select(old)).all()
    if conn.dialect.name == "sqlite":  # the freed pages are zeroed, not left holding the tokens
        conn.execute(text("PRAGMA secure_delete = ON"))
    conn.execute(text("DROP TABLE web_calendar_tokens"))
    if conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA secure_delete = OFF"))
    table = CalendarToken.__table__
    table.create(conn)
    if rows:
        conn.execute(table.insert(), [{"unit": r.unit, "digest": token_digest(r.token),
                                       "created_at": r.created_at, "created_by": r.created_by} for r in rows])


def _v10(conn: Connection) -> None:
    # The web service's limits count one account's or one unit's recent events of an action.
    # (Step 4 creates web_audit from today's model, which already has the indexes.)
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_web_audit_user ON web_audit (username, action, at)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_web_audit_target ON web_audit (target, action, at)"))


def _v11(conn: Connection) -> None:
    # A sync looks for task rows whose return count was ever above 0 among every recorded version
    # of the unit's rows: a partial index holds just those (see models.nonzero_condition).
    from sheetsync.history.store.models import RETURNS_FIELD, RETURNS_INDEX, nonzero_condition

    where = nonzero_condition(conn.dialect.name, RETURNS_FIELD).replace("snapshot_rows.", "")
    conn.execute(text(f"CREATE INDEX IF NOT EXISTS {RETURNS_INDEX} ON snapshot_rows (snapshot_id, tab) WHERE {where}"))


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "months, snapshots, people, findings, freezes, edits after approval", _v1),
    (2, "finding severity stored as a code", _v2),
    (3, "unchanged syncs: run repeats, last result per unit", _v3),
    (4, "ward office service: accounts, audit log, unit states, uploads, locks", _v4),
    (5, "ward office service: published months, complaints and corrections", _v5),
    (6, "ward office service: a unit's dashboard summary beside its last result", _v6),
    (7, "ward office service: calendar subscription links, each unit's bottlenecks", _v7),
    (8, "changed units: each month's scoring kept for the next sync", _v8),
    (9, "ward office service: calendar links kept as the digest of their token", _v9),
    (10, "ward office service: the audit log indexed by account and by unit (limits)", _v10),
    (11, "task rows with returns indexed (the check that a return count never goes down)", _v11),
]
LATEST = MIGRATIONS[-1][0]
# Steps that removed secrets from the store (calendar tokens): on SQLite, the pages they zeroed
# reach the database file at a checkpoint; `after_migrate` runs one at once, so that a copy of
# the file taken afterwards holds none of them (the WAL would otherwise keep the old pages in
# the main file until its next automatic checkpoint).
SCRUBBING_STEPS = frozenset({9})


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(select(SchemaVersion.version).order_by(SchemaVersion.version.desc()).limit(1)).scalar() or 0


def after_migrate(engine: Engine, applied: list[int]) -> None:
    """Work that cannot run inside the migration's transaction (see SCRUBBING_STEPS)."""
    if engine.dialect.name == "sqlite" and SCRUBBING_STEPS & set(applied):
        raw = engine.raw_connection()  # outside any transaction (a checkpoint cannot run inside one)
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def migrate(conn: Connection) -> list[int]:
    """Bring the schema up to date inside the caller's transaction; returns the steps applied."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    version = current_version(conn)
    if version > LATEST:
        raise StoreError(f"Kho dữ liệu được tạo bởi phiên bản sheetsync mới hơn (lược đồ {version}, phiên bản này "
                         f"chỉ biết đến {LATEST}); hãy cập nhật sheetsync.")
    applied = []
    for number, name, step in MIGRATIONS:
        if number <= version:
            continue
        step(conn)
        conn.execute(SchemaVersion.__table__.insert().values(version=number, name=name, applied_at=datetime.now()))
        applied.append(number)
    return applied
