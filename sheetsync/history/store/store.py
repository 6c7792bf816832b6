"""The Store: record what each sync and report saw, freeze approved months, answer history.

Every write is one transaction (`with_retry`): on SQLite the write lock is taken up front and
waits for other writers (busy timeout); on PostgreSQL the unit's month rows are locked
(`SELECT ... FOR UPDATE`, in month order, so two syncs of one unit queue instead of
deadlocking) and a conflicting insert is retried from the start. Either way two syncs at once
lose nothing, and a sync killed half-way commits nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session
from typing_extensions import Self

from sheetsync.domain.calendar import month_label
from sheetsync.history.capture import MonthCapture, capture, capture_months, digest
from sheetsync.history.quickstore import (
    LOOKUP_SQL_PG,
    LOOKUP_SQL_SQLITE,
    RESULT_SQL_PG,
    RESULT_SQL_SQLITE,
    Wanted,
    looked_up,
)
from sheetsync.history.store.db import StoreError, make_engine, store_url, with_retry
from sheetsync.history.store.migrations import after_migrate, migrate
from sheetsync.history.store.models import (
    ApprovalEdit,
    Base,
    FreezeEvent,
    PersonMonth,
    Run,
    Snapshot,
    SnapshotFinding,
    SnapshotRow,
    UnitMonth,
    UnitMonthPart,
    UnitResultRecord,
    nonzero_condition,
)
from sheetsync.text import normalize_key

if TYPE_CHECKING:
    from sheetsync.results import Evaluation

_LOOKUP_SQL = {False: LOOKUP_SQL_SQLITE, True: LOOKUP_SQL_PG}
_RESULT_SQL = {False: RESULT_SQL_SQLITE, True: RESULT_SQL_PG}


@dataclass
class RecordResult:
    """What `record_unit` did: the run's id, months recorded anew, unchanged, frozen now, skipped as frozen."""

    run_id: int
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    frozen_now: list[str] = field(default_factory=list)
    skipped_frozen: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)  # month recorded → its latest snapshot's content hash


@dataclass
class FreezeState:
    unit: str
    month: str
    frozen: bool
    frozen_at: datetime | None = None
    snapshot_id: int | None = None
    head_id: int | None = None
    events: list[dict] = field(default_factory=list)


@dataclass
class OtherName:
    """A unit name a workbook's history is recorded under, with its recorded and frozen months."""

    unit: str
    months: list[str]
    frozen: list[str]


@dataclass
class RecordedMonth:
    """A snapshot read back: rows by (tab, key), people, summary."""

    snapshot_id: int
    unit: str
    month: str
    recorded_at: datetime
    rows: dict[tuple[str, str], dict]  # (tab, row_key) -> {"sheet_row", "data", "scores"}
    people: pd.DataFrame
    summary: dict
    approved: bool


class Store:
    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine
        # What "now" is when a run is recorded without a time of its own: the wall clock, or the
        # day a replayed run happened (the demo ward records its runs on the month's own dates).
        self.clock: Callable[[], datetime] = datetime.now

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _insert(self, model):
        # The dialect's own INSERT (ON CONFLICT), imported only for the dialect in use.
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        return dialect_insert(model)

    # -- recording ---------------------------------------------------------------------------

    def _lock(self, s: Session, unit: str, months: list[str]) -> dict[str, UnitMonth]:
        """The unit's rows of `months` (in month order), created where new and locked for this
        transaction in month order, so that two syncs of one unit queue instead of deadlocking:
        two statements for all the months, not two per month."""
        s.execute(self._insert(UnitMonth).values([{"unit": unit, "month": m, "version": 0} for m in months])
                  .on_conflict_do_nothing(index_elements=["unit", "month"]))
        rows = s.execute(select(UnitMonth).where(UnitMonth.unit == unit, UnitMonth.month.in_(months))
                         .order_by(UnitMonth.month).with_for_update()).scalars()
        return {um.month: um for um in rows}

    def record_unit(self, unit: str, source: str, evaluation: Evaluation, *, run_kind: str = "sync",
                    now: datetime | None = None, covers: Iterable[str] | None = None,
                    known: dict[str, str] | None = None) -> RecordResult:
        """Record every month of one unit's evaluation in one transaction. A month whose content
        hash equals its latest snapshot is not stored again (only `last_seen_at` moves); a frozen
        month is left as frozen; a month now approved is frozen on the snapshot just recorded.
        `covers` names the months the run was about (a report's month: forms tracking reads it);
        default every month recorded. `known` maps months the caller knows to capture exactly as
        a snapshot of that content hash (see `sheetsync.service.reuse.GridText.month_prints`)
        to that hash: while it is still the month's latest snapshot, the month is not captured."""
        if run_kind not in ("sync", "report"):
            raise ValueError("run_kind must be 'sync' or 'report'")
        now = now or self.clock()
        present = capture_months(evaluation)
        frozen = sorted(set(self.frozen_months(unit)) & set(present))  # checked again under the lock
        known = {m: h for m, h in (known or {}).items() if m in present}
        # A frozen month is not even captured; nor is a known one (unless its snapshot moved on).
        caps = capture(evaluation, skip=set(frozen) | set(known))
        as_of = evaluation.as_of.date() if evaluation.as_of is not None else None
        months = sorted(set(covers)) if covers is not None else present

        def recapture(month: str) -> MonthCapture:
            return capture(evaluation, only={month})[month]

        def work(s: Session) -> RecordResult:
            res = self._record(s, unit, source, caps, run_kind, now, as_of, months, known, recapture)
            res.skipped_frozen = sorted(set(res.skipped_frozen) | set(frozen))
            return res
        return with_retry(self.engine, work)

    def _record(self, s: Session, unit: str, source: str, caps: dict[str, MonthCapture], kind: str,
                now: datetime, as_of: date | None, months: list[str],
                known: dict[str, str] | None = None,
                recapture: Callable[[str], MonthCapture] | None = None) -> RecordResult:
        res = RecordResult(0)
        run: Run | None = None

        def the_run() -> Run:
            nonlocal run
            if run is None:
                run = Run(unit=unit, source=source, kind=kind, at=now, as_of=as_of, months=months, changed=[],
                          frozen=[], repeats=0)
                s.add(run)
                s.flush()
                res.run_id = run.id
            return run

        known = known or {}
        months_seen = sorted(set(caps) | set(known))
        ums = self._lock(s, unit, months_seen) if months_seen else {}
        wanted_heads = [um.head_id for um in ums.values() if um.head_id and um.frozen_id is None]
        heads = ({h.id: h for h in s.execute(select(Snapshot).where(Snapshot.id.in_(wanted_heads))).scalars()}
                 if wanted_heads else {})
        for month in months_seen:
            cap = caps.get(month)
            um = ums[month]
            if um.frozen_id is not None:
                res.skipped_frozen.append(month)
                continue
            head = heads.get(um.head_id) if um.head_id else None
            if cap is None and (head is None or head.content_hash != known[month]):
                cap = recapture(month)  # the month's snapshot moved on: capture it after all
            if head is not None and head.content_hash == (cap.content_hash if cap is not None else known[month]):
                head.last_seen_at = now
                snap_id = head.id
                res.unchanged.append(month)
            else:
                snap_id = self._insert_snapshot(s, unit, source, kind, now, the_run().id, cap)
                um.head_id = snap_id
                res.changed.append(month)
            res.hashes[month] = cap.content_hash if cap is not None else head.content_hash
            if (cap.approved if cap is not None else head.approved):
                um.frozen_id, um.frozen_at = snap_id, now
                s.add(FreezeEvent(unit=unit, month=month, action="freeze", snapshot_id=snap_id, by=f"{kind}",
                                  reason="Mọi người đã có xếp loại được phê duyệt", at=now))
                res.frozen_now.append(month)
            um.version = (um.version or 0) + 1
        if run is None and kind == "sync":
            prev = self._repeatable_run(s, unit, source, months)
            if prev is not None:  # nothing new: the previous run stands for this one too
                prev.last_at, prev.repeats, res.run_id = now, (prev.repeats or 0) + 1, prev.id
                return res
        run = the_run()
        run.changed, run.frozen = res.changed, res.frozen_now
        return res

    def _repeatable_run(self, s: Session, unit: str, source: str, months: list[str]) -> Run | None:
        """The unit's latest sync run, when it was of the same workbook and months."""
        prev = s.execute(select(Run).where(Run.unit == unit, Run.kind == "sync").order_by(Run.id.desc())
                         .limit(1)).scalar_one_or_none()
        if prev is None or prev.source != source or list(prev.months or []) != list(months):
            return None
        return prev

    # -- unchanged units -------------------------------------------------------------------------

    def reuse_lookup(self, unit: str, source_key: str, wanted: Wanted
                     ) -> tuple[list[tuple[str, int]], tuple[str, dict] | None, bool]:
        """For `sheetsync.service.reuse`, in one read: the unit's frozen months with their frozen
        snapshots, then its last saved result, whole when it is the one `wanted(frozen)` names
        (its key, or the package print saved in it), else only its `BRIEF` entries, taken out by
        the database: the whole result of a year's unit (its hundred thousand findings) is read
        and decoded only when it is the one wanted. Returns (frozen, (key, result) or None,
        whether the result is whole)."""
        def work(s: Session):
            frozen = [(m, int(f)) for m, f in s.execute(
                select(UnitMonth.month, UnitMonth.frozen_id).where(UnitMonth.unit == unit,
                                                                   UnitMonth.frozen_id.is_not(None)))]
            key, package = wanted(sorted(frozen))
            pg = self.dialect == "postgresql"
            row = s.execute(text(_LOOKUP_SQL[pg]), {"unit": unit, "source": source_key, "key": key}).first()

            def whole(saved_key: str) -> str | None:
                return s.execute(text(_RESULT_SQL[pg]), {"unit": unit, "source": source_key,
                                                         "key": saved_key}).scalar()
            return looked_up(frozen, row, package, whole)
        return with_retry(self.engine, work, readonly=True)

    def reuse_units(self, source_key: str) -> list[str]:
        """The units whose last result was saved for this workbook (a workbook read without a
        unit name is named by its own summary tab, unknown until it is read)."""
        def work(s: Session) -> list[str]:
            return sorted(s.execute(select(UnitResultRecord.unit).where(UnitResultRecord.source == source_key))
                          .scalars())
        return with_retry(self.engine, work, readonly=True)

    def save_result(self, unit: str, source_key: str, key: str, result: dict, now: datetime | None = None) -> None:
        """Keep a unit's last result (replacing the one before)."""
        now = now or self.clock()

        def work(s: Session) -> None:
            stmt = self._insert(UnitResultRecord).values(unit=unit, source=source_key, key=key, result=result, at=now)
            s.execute(stmt.on_conflict_do_update(index_elements=["unit", "source"],
                                                 set_={"key": key, "result": result, "at": now}))
        # A cache: lost to a power cut, it costs the next sync one full evaluation, nothing else.
        with_retry(self.engine, work, durable=False)

    def month_parts(self, unit: str, source_key: str) -> dict[str, dict]:
        """The unit's kept month parts (month → part as `save_month_parts` was given it)."""
        def work(s: Session) -> dict[str, dict]:
            return {m: p for m, p in s.execute(select(UnitMonthPart.month, UnitMonthPart.part).where(
                UnitMonthPart.unit == unit, UnitMonthPart.source == source_key))}
        return with_retry(self.engine, work, readonly=True)

    def save_month_parts(self, unit: str, source_key: str, parts: dict[str, dict], months: Iterable[str] | None,
                         now: datetime | None = None) -> None:
        """Keep these months' parts (replacing the ones before); with `months`, the unit's parts of
        any other month are dropped (its evaluation had no such month)."""
        now = now or self.clock()

        def work(s: Session) -> None:
            if months is not None:
                s.execute(delete(UnitMonthPart).where(UnitMonthPart.unit == unit, UnitMonthPart.source == source_key,
                                                      UnitMonthPart.month.not_in(list(months))))
            for m, part in sorted(parts.items()):
                values = {"fingerprint": part["fingerprint"], "part": part, "at": now}
                stmt = self._insert(UnitMonthPart).values(unit=unit, source=source_key, month=m, **values)
                s.execute(stmt.on_conflict_do_update(index_elements=["unit", "source", "month"], set_=values))
        with_retry(self.engine, work, durable=False)  # a cache too (see `save_result`)

    def note_unchanged(self, unit: str, source: str, months: list[str], now: datetime | None = None) -> None:
        """A sync found the unit as its last sync left it: the months' latest snapshots were seen
        again and the last run stands for this one too; nothing is added to the store. Committed
        without waiting for the disk (`with_retry(durable=False)`)."""
        now = now or self.clock()

        def work(s: Session) -> None:
            heads = select(UnitMonth.head_id).where(UnitMonth.unit == unit, UnitMonth.month.in_(months),
                                                    UnitMonth.frozen_id.is_(None), UnitMonth.head_id.is_not(None))
            s.execute(update(Snapshot).where(Snapshot.id.in_(heads)).values(last_seen_at=now))
            prev = self._repeatable_run(s, unit, source, months)
            if prev is not None:
                prev.last_at, prev.repeats = now, (prev.repeats or 0) + 1
            else:
                s.add(Run(unit=unit, source=source, kind="sync", at=now, as_of=None, months=months, changed=[],
                          frozen=[], repeats=0))
        # Only times and a repeat count move (or a run row that says nothing new was seen): a
        # power cut may lose them without harm, so the commit does not wait for the disk.
        with_retry(self.engine, work, durable=False)

    def _insert_snapshot(self, s: Session, unit: str, source: str, kind: str, now: datetime, run_id: int,
                         cap: MonthCapture) -> int:
        seq = (s.execute(select(func.max(Snapshot.seq)).where(Snapshot.unit == unit, Snapshot.month == cap.month))
               .scalar() or 0) + 1
        snap = Snapshot(unit=unit, month=cap.month, seq=seq, run_id=run_id, recorded_at=now, last_seen_at=now,
                        source=source, kind=kind, content_hash=cap.content_hash, approved=cap.approved,
                        summary=cap.summary)
        s.add(snap)
        s.flush()
        if cap.rows:
            _insert_many(s, SnapshotRow, [{"snapshot_id": snap.id, **r} for r in cap.rows])
        if cap.people:
            _insert_many(s, PersonMonth, [{"snapshot_id": snap.id, "unit": unit, "month": cap.month, **p}
                                          for p in cap.people])
        if cap.findings:
            _insert_many(s, SnapshotFinding, [{"snapshot_id": snap.id, **f} for f in cap.findings])
        return snap.id

    # -- freezing ------------------------------------------------------------------------------

    def frozen_months(self, unit: str) -> list[str]:
        def work(s: Session) -> list[str]:
            return list(s.execute(select(UnitMonth.month).where(UnitMonth.unit == unit, UnitMonth.frozen_id.is_not(None))
                                  .order_by(UnitMonth.month)).scalars())
        return with_retry(self.engine, work, readonly=True)

    def freeze_state(self, unit: str, month: str) -> FreezeState:
        def work(s: Session) -> FreezeState:
            um = s.get(UnitMonth, (unit, month))
            events = [{"action": e.action, "at": e.at, "by": e.by, "reason": e.reason, "snapshot_id": e.snapshot_id}
                      for e in s.execute(select(FreezeEvent).where(FreezeEvent.unit == unit, FreezeEvent.month == month)
                                         .order_by(FreezeEvent.id)).scalars()]
            if um is None:
                return FreezeState(unit, month, False, events=events)
            return FreezeState(unit, month, um.frozen_id is not None, um.frozen_at, um.frozen_id, um.head_id, events)
        return with_retry(self.engine, work, readonly=True)

    def reopen(self, unit: str, month: str, by: str, reason: str, now: datetime | None = None) -> FreezeState:
        """Unfreeze an approved month: the next sync records the sheet as it then is (and freezes
        it again if everyone still has an approved rating)."""
        if not (reason or "").strip():
            raise StoreError("Cần ghi lý do mở lại tháng đã phê duyệt.")
        now = now or self.clock()

        def work(s: Session) -> None:
            um = s.execute(select(UnitMonth).where(UnitMonth.unit == unit, UnitMonth.month == month)
                           .with_for_update()).scalar_one_or_none()
            if um is None or um.frozen_id is None:
                raise StoreError(f"Tháng {month_label(month)} của {unit} chưa được khóa (chưa phê duyệt xong "
                                 "hoặc đã được mở lại); không có gì để mở lại.")
            s.add(FreezeEvent(unit=unit, month=month, action="reopen", snapshot_id=um.frozen_id, by=by,
                              reason=reason.strip(), at=now))
            um.frozen_id, um.frozen_at = None, None
            um.version = (um.version or 0) + 1
        with_retry(self.engine, work)
        return self.freeze_state(unit, month)

    def recorded_month(self, unit: str, month: str, frozen: bool = True) -> RecordedMonth | None:
        """The frozen snapshot of a month (frozen=True) or its latest one; None when there is none."""
        def work(s: Session) -> RecordedMonth | None:
            um = s.get(UnitMonth, (unit, month))
            sid = None if um is None else (um.frozen_id if frozen else um.head_id)
            return None if sid is None else self._read_snapshot(s, sid)
        return with_retry(self.engine, work, readonly=True)

    def _read_snapshot(self, s: Session, sid: int) -> RecordedMonth:
        snap = s.get(Snapshot, sid)
        rows = {(r.tab, r.row_key): {"sheet_row": r.sheet_row, "data": r.data, "scores": r.scores}
                for r in s.execute(select(SnapshotRow).where(SnapshotRow.snapshot_id == sid)).scalars()}
        people = _frame(s.execute(select(PersonMonth).where(PersonMonth.snapshot_id == sid)).scalars())
        return RecordedMonth(sid, snap.unit, snap.month, snap.recorded_at, rows, people, snap.summary, snap.approved)

    def note_edits(self, unit: str, month: str, frozen_id: int, edits: list[dict], now: datetime) -> dict[tuple, datetime]:
        """Remember edits found after approval; returns when each was first found, by
        (tab, row_key, field, new value hash)."""
        if not edits:
            return {}
        recs = [{"unit": unit, "month": month, "frozen_id": frozen_id, "tab": e["tab"], "row_key": e["row_key"],
                 "field": e["field"], "old": {"v": e["old"]}, "new": {"v": e["new"]}, "new_hash": digest(e["new"]),
                 "first_found_at": now, "last_found_at": now} for e in edits]

        def work(s: Session) -> dict[tuple, datetime]:
            stmt = self._insert(ApprovalEdit)
            stmt = stmt.on_conflict_do_update(index_elements=["frozen_id", "tab", "row_key", "field", "new_hash"],
                                              set_={"last_found_at": stmt.excluded.last_found_at})
            s.execute(stmt, recs)
            found = s.execute(select(ApprovalEdit.tab, ApprovalEdit.row_key, ApprovalEdit.field, ApprovalEdit.new_hash,
                                     ApprovalEdit.first_found_at).where(ApprovalEdit.frozen_id == frozen_id))
            return {(t, k, f, h): at for t, k, f, h, at in found}
        return with_retry(self.engine, work)

    def approval_edits(self, unit: str | None = None, month: str | None = None) -> pd.DataFrame:
        def work(s: Session) -> pd.DataFrame:
            q = select(ApprovalEdit).order_by(ApprovalEdit.id)
            if unit is not None:
                q = q.where(ApprovalEdit.unit == unit)
            if month is not None:
                q = q.where(ApprovalEdit.month == month)
            return _frame(s.execute(q).scalars())
        return with_retry(self.engine, work, readonly=True)

    # -- reading -----------------------------------------------------------------------------

    # -- unit names ----------------------------------------------------------------------------

    def history_elsewhere(self, unit: str, source: str, source_key: str) -> list[OtherName]:
        """Other unit names this workbook's history is recorded under (runs of the same source, or
        a saved result for the same workbook), with their months — only when `unit` itself has
        none recorded: the sign of a unit renamed in the ward file."""
        def work(s: Session) -> list[OtherName]:
            if s.execute(select(UnitMonth.unit).where(UnitMonth.unit == unit).limit(1)).first() is not None:
                return []
            names = set(s.execute(select(Run.unit).where(Run.source == source, Run.unit != unit)).scalars())
            names |= set(s.execute(select(UnitResultRecord.unit).where(UnitResultRecord.source == source_key,
                                                                       UnitResultRecord.unit != unit)).scalars())
            found = []
            for name in sorted(names):
                rows = s.execute(select(UnitMonth.month, UnitMonth.frozen_id).where(UnitMonth.unit == name)
                                 .order_by(UnitMonth.month)).all()
                if rows:
                    found.append(OtherName(name, [m for m, _ in rows], [m for m, f in rows if f is not None]))
            return found
        return with_retry(self.engine, work, readonly=True)

    def rename_unit(self, old: str, new: str, by: str, reason: str = "", now: datetime | None = None
                    ) -> dict[str, int]:
        """Move everything recorded under unit name `old` to `new`, in one transaction: history,
        frozen months, saved results, the ward service's page state, uploads, feedback, calendar
        and the accounts that may see the unit. Refused when `new` already has anything recorded
        (two histories are never merged). Returns rows moved per table; the move is written to
        the service's audit log. (The ward service reads the ward file at start: it is stopped
        while its units are renamed.)"""
        from sheetsync.history.store.web_models import AuditEvent, WebUser

        if not new.strip() or old == new:
            raise StoreError("Tên mới của đơn vị phải khác tên cũ và không để trống.", code="store.rename")
        now = now or self.clock()
        tables = [t for t in Base.metadata.sorted_tables if "unit" in t.c]

        def work(s: Session) -> dict[str, int]:
            taken = [t.name for t in tables if s.execute(select(t.c.unit).where(t.c.unit == new).limit(1)).first()]
            if taken:
                raise StoreError(f"Đơn vị «{new}» đã có dữ liệu trong kho; không gộp hai lịch sử. Không đổi gì.",
                                 code="store.rename")
            moved = {}
            for t in tables:
                n = s.execute(update(t).where(t.c.unit == old).values(unit=new)).rowcount
                if n:
                    moved[t.name] = n
            for user in s.execute(select(WebUser)).scalars():
                if old in (user.units or []):
                    user.units = [new if u == old else u for u in user.units]
                    moved["web_users"] = moved.get("web_users", 0) + 1
            if not moved:
                raise StoreError(f"Kho không có dữ liệu nào của đơn vị «{old}». Không đổi gì.", code="store.rename")
            detail = f"{old} → {new}" + (f": {reason.strip()}" if reason.strip() else "")
            s.add(AuditEvent(at=now, username=by, action="unit-renamed", target=new, ip=None,
                                        detail=detail))
            return moved
        return with_retry(self.engine, work)

    def units(self) -> list[str]:
        return with_retry(self.engine, lambda s: list(s.execute(
            select(UnitMonth.unit).distinct().order_by(UnitMonth.unit)).scalars()), readonly=True)

    def months_for(self, unit: str | None = None, months: Iterable[str] | None = None) -> pd.DataFrame:
        """Every person's month as the record stands (the frozen snapshot where frozen, else the
        latest): one row per person, unit and month, with `frozen` and `recorded_at`."""
        month_list = sorted(set(months)) if months is not None else None

        conditions = []
        if unit is not None:
            conditions.append(UnitMonth.unit == unit)
        if month_list is not None:
            conditions.append(UnitMonth.month.in_(month_list))
        return self._person_months(conditions, (PersonMonth.unit, PersonMonth.month, PersonMonth.id))

    def _person_months(self, conditions: list, order_by: tuple) -> pd.DataFrame:
        """Recorded person-months (the frozen snapshot where frozen, else the latest)."""
        def work(s: Session) -> pd.DataFrame:
            truth = func.coalesce(UnitMonth.frozen_id, UnitMonth.head_id)
            q = (select(PersonMonth, UnitMonth.frozen_id.is_not(None).label("frozen"), Snapshot.recorded_at)
                 .join(UnitMonth, PersonMonth.snapshot_id == truth)
                 .join(Snapshot, Snapshot.id == PersonMonth.snapshot_id)
                 .where(*conditions).order_by(*order_by))
            out = []
            for pm, frozen, recorded_at in s.execute(q):
                d = _row_dict(pm)
                d.update(frozen=bool(frozen), recorded_at=recorded_at)
                out.append(d)
            return pd.DataFrame(out, columns=_PM_COLUMNS + ["frozen", "recorded_at"])
        return with_retry(self.engine, work, readonly=True)

    def unit_months(self, unit: str | None = None) -> pd.DataFrame:
        """Per unit and month: frozen or not, and the truth snapshot's summary."""
        def work(s: Session) -> pd.DataFrame:
            truth = func.coalesce(UnitMonth.frozen_id, UnitMonth.head_id)
            q = (select(UnitMonth.unit, UnitMonth.month, UnitMonth.frozen_id, UnitMonth.frozen_at, Snapshot.id,
                        Snapshot.recorded_at, Snapshot.last_seen_at, Snapshot.approved, Snapshot.summary)
                 .join(Snapshot, Snapshot.id == truth).order_by(UnitMonth.unit, UnitMonth.month))
            if unit is not None:
                q = q.where(UnitMonth.unit == unit)
            rows = [{"unit": u, "month": m, "frozen": fid is not None, "frozen_at": fat, "snapshot_id": sid,
                     "recorded_at": rat, "last_seen_at": lat, "approved": bool(ap), "summary": sm}
                    for u, m, fid, fat, sid, rat, lat, ap, sm in s.execute(q)]
            return pd.DataFrame(rows, columns=["unit", "month", "frozen", "frozen_at", "snapshot_id", "recorded_at",
                                               "last_seen_at", "approved", "summary"])
        return with_retry(self.engine, work, readonly=True)

    def person_history(self, staff_id: str) -> pd.DataFrame:
        """A person's months in every unit, as recorded (transfers keep their months)."""
        key = normalize_key(staff_id)
        return self._person_months([PersonMonth.staff_key == key], (PersonMonth.month, PersonMonth.unit))

    def runs(self, unit: str | None = None, kind: str | None = None) -> pd.DataFrame:
        def work(s: Session) -> pd.DataFrame:
            q = select(Run).order_by(Run.at, Run.id)
            if unit is not None:
                q = q.where(Run.unit == unit)
            if kind is not None:
                q = q.where(Run.kind == kind)
            return _frame(s.execute(q).scalars(), ["id", "unit", "source", "kind", "at", "as_of", "months",
                                                    "changed", "frozen", "last_at", "repeats"])
        return with_retry(self.engine, work, readonly=True)

    def row_history(self, unit: str, tab: str, months: Iterable[str] | None = None,
                    nonzero: str | None = None) -> pd.DataFrame:
        """Every recorded version of the unit's rows in `tab`: row_key, month, data, and the
        snapshot's recorded_at and last_seen_at (a version held from the first to the second).
        With `nonzero`, only versions whose input of that name may be other than 0 or empty
        (the database leaves out the rest; the caller still reads what is left)."""
        month_list = sorted(set(months)) if months is not None else None

        def work(s: Session) -> pd.DataFrame:
            q = (select(SnapshotRow.row_key, SnapshotRow.data, Snapshot.month, Snapshot.seq, Snapshot.recorded_at,
                        Snapshot.last_seen_at)
                 .join(Snapshot, Snapshot.id == SnapshotRow.snapshot_id)
                 .where(Snapshot.unit == unit, SnapshotRow.tab == tab).order_by(Snapshot.month, Snapshot.seq))
            if month_list is not None:
                q = q.where(Snapshot.month.in_(month_list))
            if nonzero is not None:  # literal: the database then sees its partial index covers it
                q = q.where(text(nonzero_condition(self.dialect, nonzero)))
            rows = [{"row_key": k, "data": d, "month": m, "seq": q_, "recorded_at": r, "last_seen_at": ls}
                    for k, d, m, q_, r, ls in s.execute(q)]
            return pd.DataFrame(rows, columns=["row_key", "data", "month", "seq", "recorded_at", "last_seen_at"])
        return with_retry(self.engine, work, readonly=True)

    def snapshot_count(self, unit: str | None = None) -> int:
        def work(s: Session) -> int:
            q = select(func.count(Snapshot.id))
            if unit is not None:
                q = q.where(Snapshot.unit == unit)
            return int(s.execute(q).scalar() or 0)
        return with_retry(self.engine, work, readonly=True)

    def check(self) -> list[str]:
        """Consistency problems (empty when the store is sound): heads and frozen snapshots that
        point at the wrong month, snapshots with a gap in their numbering."""
        def work(s: Session) -> list[str]:
            problems = []
            for um in s.execute(select(UnitMonth)).scalars():
                for label, sid in (("head", um.head_id), ("frozen", um.frozen_id)):
                    if sid is None:
                        continue
                    snap = s.get(Snapshot, sid)
                    if snap is None or (snap.unit, snap.month) != (um.unit, um.month):
                        problems.append(f"{um.unit} {um.month}: {label} {sid} sai")
            seqs = s.execute(select(Snapshot.unit, Snapshot.month, func.count(Snapshot.id), func.max(Snapshot.seq))
                             .group_by(Snapshot.unit, Snapshot.month))
            for u, m, n, mx in seqs:
                if n != mx:
                    problems.append(f"{u} {m}: {n} bản ghi nhưng số thứ tự tới {mx}")
            return problems
        return with_retry(self.engine, work, readonly=True)


_PM_COLUMNS = [c.key for c in PersonMonth.__table__.columns]


def _insert_many(s: Session, model, rows: list[dict]) -> None:
    """Insert `rows` into `model`'s table in their order, with what the ORM's bulk insert would
    store: a None value is left out (the column's default, or SQL NULL; for a JSON column that is
    NULL, not the JSON text null) unless the column's type stores None itself, and each run of
    rows with the same keys goes in one statement. Through Core: a month's record is a few
    thousand rows, and the ORM's bulk path costs about as much again per row."""
    table = model.__table__
    keeps_none = _KEEPS_NONE.get(table.name)
    if keeps_none is None:
        keeps_none = _KEEPS_NONE[table.name] = frozenset(c.key for c in table.columns if c.type.should_evaluate_none)
    given = [{k: v for k, v in r.items() if v is not None or k in keeps_none} for r in rows]
    for _, group in groupby(given, key=tuple):
        s.execute(table.insert(), list(group))


_KEEPS_NONE: dict[str, frozenset[str]] = {}


def _row_dict(obj) -> dict:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def _frame(objs, columns: list[str] | None = None) -> pd.DataFrame:
    rows = [_row_dict(o) for o in objs]
    if columns is None and not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows, columns=columns) if columns else pd.DataFrame(rows)


def open_store(url_or_path: str | os.PathLike) -> Store:
    """Open (creating and migrating if needed) the store at a SQLite path or a database URL,
    e.g. `postgresql+psycopg://user@host/db`."""
    url = store_url(url_or_path)
    engine = make_engine(url)
    try:
        after_migrate(engine, with_retry(engine, lambda s: migrate(s.connection())))
    except StoreError:
        engine.dispose()
        raise
    except Exception as exc:
        engine.dispose()
        raise StoreError(f"Không mở được kho dữ liệu {url_or_path}: {exc}") from exc
    return Store(url, engine)
