"""Scale-out: with a PostgreSQL store and `service: {queue: procrastinate}` in ward.yaml, the
scheduled syncs run in `sheetsync worker` processes (on one machine or many) that share a
procrastinate job queue kept in the store's database. procrastinate does the queueing, the
locking and the heartbeats; every job calls `jobs.sync_unit`, nothing here syncs by itself.

- A tick enqueues one `sync_unit` job per unit, with the unit as procrastinate `lock` (at most
  one job of a unit runs at a time) and as `queueing_lock` (a unit still waiting from an earlier
  tick is not queued a second time).
- Ticks come from the `beat` periodic task: procrastinate defers one beat job per cron instant
  across all workers; a beat ticks when the ward's schedule says it is time (the last tick's
  instant is a store flag, so a beat run twice does not tick twice). Each beat first gives back
  to the queue the jobs of workers whose heartbeat stopped (killed, machine switched off): another
  worker takes them up.
- The store lock of `jobs.sync_unit` still holds across everything: a job that finds its unit
  being synced elsewhere (the "Đồng bộ ngay" button, a worker thought dead) is retried later.
- procrastinate's tables live in their own PostgreSQL schema, `procrastinate`, created the first
  time a worker or a queued tick starts (under an advisory lock, so workers starting together
  create it once).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import date, datetime

from sheetsync.errors import StoreError, UsageError
from sheetsync.web import jobs

log = logging.getLogger("sheetsync.worker")

SCHEMA = "procrastinate"  # PostgreSQL schema of procrastinate's tables, beside the store's
QUEUE = "sheetsync"
SYNC_TASK = "sheetsync.sync_unit"
BEAT_TASK = "sheetsync.beat"
AFTER_TASK = "sheetsync.after_tick"
TICK_FLAG = "queue-tick"  # store flag and lock: the instant of the last scheduled tick
BUSY_WAIT_SECONDS = 20  # a job whose unit is busy elsewhere is tried again this much later ...
BUSY_ATTEMPTS = 30  # ... at most this many times (the next tick queues it anyway)
BEAT_STEPS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)  # seconds dividing a minute: cron-able


class UnitBusy(Exception):
    """A job's unit is being synced by another process: procrastinate retries the job later."""


@dataclass
class EnqueueReport:
    tick: str
    queued: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # still queued from an earlier tick: not queued twice


def queued(ward: jobs.Ward) -> bool:
    """Whether the ward's scheduled syncs run in workers rather than in `serve`."""
    return ward.service.queue.engine == "procrastinate"


def check_store(ward: jobs.Ward) -> None:
    """The queue lives in the store's database: only PostgreSQL is shared by several machines."""
    if ward.store.engine.dialect.name != "postgresql":
        raise UsageError("Hàng đợi của sheetsync worker cần kho dữ liệu PostgreSQL dùng chung cho mọi máy (--store "
                         "postgresql://... hoặc biến SHEETSYNC_STORE); với kho SQLite, bỏ 'queue:' khỏi ward.yaml "
                         "để sheetsync serve tự đồng bộ.", code="worker.need-postgres")


def check_queue(ward: jobs.Ward) -> None:
    """Refuse, in words, a ward that cannot run workers."""
    check_store(ward)
    if not queued(ward):
        raise UsageError("ward.yaml chưa bật hàng đợi: thêm 'queue: procrastinate' vào khối service "
                         "(để sheetsync serve không tự đồng bộ song song với các tiến trình worker).",
                         code="worker.queue-off")
    try:
        import procrastinate  # noqa: F401
    except ImportError as exc:
        raise UsageError("Chưa cài hàng đợi procrastinate: pip install 'sheetsync[worker]'.",
                         code="worker.no-procrastinate") from exc


def worker_name() -> str:
    return f"worker {socket.gethostname()}:{os.getpid()}"


def conninfo(ward: jobs.Ward) -> str:
    """The store's database as a libpq URL (procrastinate talks to it with psycopg directly)."""
    return ward.store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_schema(ward: jobs.Ward) -> bool:
    """Create procrastinate's tables in their schema unless they exist; True when created now."""
    import psycopg

    try:
        return _ensure_schema(ward)
    except psycopg.Error as exc:
        raise StoreError(f"Không tạo được bảng hàng đợi trong cơ sở dữ liệu (người dùng cần quyền tạo schema): "
                         f"{exc}", code="worker.schema") from exc


def _ensure_schema(ward: jobs.Ward) -> bool:
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(conninfo(ward), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('sheetsync:procrastinate-schema'))")
        try:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
            if conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.procrastinate_jobs",)).fetchone()[0]:
                return False
            with conn.transaction():
                conn.execute(f'SET LOCAL search_path TO "{SCHEMA}"')
                conn.execute(SchemaManager.get_schema())
            log.info("Đã tạo bảng hàng đợi procrastinate trong schema %s.", SCHEMA)
            return True
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('sheetsync:procrastinate-schema'))")


def beat_cron(ward: jobs.Ward) -> str:
    """How often workers beat: often enough for the schedule and for noticing a dead worker
    (half its stalled time), at most once a minute; in seconds that divide a minute."""
    want = min(ward.service.schedule.every_minutes * 60, ward.service.queue.stalled_seconds / 2, 60)
    step = max((s for s in BEAT_STEPS if s <= want), default=1)
    return "* * * * *" if step == 60 else f"* * * * * */{step}"


def unit_lock(ward: jobs.Ward, unit: str) -> str:
    return f"sheetsync:{ward.config.name}:{unit}"


def make_app(ward: jobs.Ward, as_of: date | None = None):
    """The procrastinate App of a ward, on the store's database, with its three tasks bound to
    the ward this process loaded (each worker reads its own ward.yaml: paths may differ by machine)."""
    import procrastinate

    connector = procrastinate.PsycopgConnector(conninfo=conninfo(ward), min_size=1,
                                               kwargs={"options": f"-c search_path={SCHEMA}"})
    app = procrastinate.App(connector=connector)

    @app.task(name=SYNC_TASK, queue=QUEUE, pass_context=True,
              retry=procrastinate.RetryStrategy(max_attempts=BUSY_ATTEMPTS, wait=BUSY_WAIT_SECONDS,
                                                retry_exceptions={UnitBusy}))
    def sync_unit(context, unit: str, tick: str, as_of: str | None = None) -> str:
        return run_sync_job(ward, unit, tick, as_of, attempt=context.job.attempts)

    @app.periodic(cron=beat_cron(ward), periodic_id="beat")
    @app.task(name=BEAT_TASK, queue=QUEUE, queueing_lock="beat")
    async def beat(timestamp: int) -> str:
        given_back = await give_back_stalled(app, ward.service.queue.stalled_seconds)
        tick = await asyncio.to_thread(claim_tick, ward, datetime.fromtimestamp(timestamp))
        if tick is None:
            return f"given back {given_back}"
        rep = await enqueue_tick(app, ward, tick, as_of)
        log.info("Lượt %s: xếp %d đơn vị vào hàng đợi, %d đơn vị còn chờ từ lượt trước.", tick, len(rep.queued),
                 len(rep.waiting))
        return f"tick {tick}: {len(rep.queued)} queued, given back {given_back}"

    @app.task(name=AFTER_TASK, queue=QUEUE, priority=-1)
    def after_tick(tick: str, as_of: str | None = None) -> None:
        from sheetsync.web.reminders import send
        from sheetsync.web.scheduler import forms_if_due

        today = date.fromisoformat(as_of) if as_of else date.today()
        forms_if_due(ward, today)
        send(ward, today)

    return app


def run_sync_job(ward: jobs.Ward, unit: str, tick: str, as_of: str | None, attempt: int = 0) -> str:
    """One queued sync: `jobs.sync_unit`, then an audit line (who synced which unit in which tick)."""
    spec = next((u for u in ward.units if u.name == unit), None)
    who, host = worker_name(), socket.gethostname()
    if spec is None:
        log.warning("Đơn vị %s không còn trong %s; bỏ qua.", unit, ward.path.name)
        ward.state.audit(who, "queue-sync", unit, host, f"lượt {tick}: không có trong ward.yaml")
        return "missing"
    out = jobs.sync_unit(ward, spec, as_of=date.fromisoformat(as_of) if as_of else None, by=who)
    if out.status == "busy":
        log.info("Đơn vị %s đang được đồng bộ ở nơi khác; thử lại sau %d giây.", unit, BUSY_WAIT_SECONDS)
        raise UnitBusy(out.message)
    detail = f"lượt {tick}; lần {attempt + 1}; {out.status}" + (f": {out.message}" if out.message else "")
    ward.state.audit(who, "queue-sync", unit, host, detail, durable=False)  # the sync itself was durable
    if out.status == "failing":
        log.warning("Đồng bộ %s không thành công: %s", unit, out.message)
    else:
        log.info("Đã đồng bộ %s (%.1f giây).", unit, out.seconds)
    return out.status


def claim_tick(ward: jobs.Ward, at: datetime) -> str | None:
    """The tick's name when a scheduled tick is due at `at` and no other beat has taken it."""
    sched = ward.service.schedule
    if not sched.enabled or not sched.is_working(at):
        return None
    token = ward.state.acquire(TICK_FLAG)
    if token is None:
        return None
    try:
        last = (ward.state.flag(TICK_FLAG) or {}).get("value") or {}
        if last.get("at"):
            elapsed = (at - datetime.fromisoformat(last["at"])).total_seconds()
            if 0 <= elapsed < sched.every_minutes * 60 - 0.5:
                return None
        ward.state.set_flag(TICK_FLAG, {"at": at.isoformat(timespec="seconds")})
        return at.isoformat(sep=" ", timespec="seconds")
    finally:
        ward.state.release(TICK_FLAG, token)


async def give_back_stalled(app, stalled_seconds: float) -> int:
    """Put back in the queue the running jobs of workers silent for `stalled_seconds`."""
    jobs_back = list(await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stalled_seconds))
    for job in jobs_back:
        log.warning("Tiến trình giữ việc %s (%s) đã ngừng gửi tín hiệu; trả việc về hàng đợi.", job.id,
                    (job.task_kwargs or {}).get("unit", job.task_name))
        await app.job_manager.retry_job(job)
    return len(jobs_back)


async def enqueue_tick(app, ward: jobs.Ward, tick: str, as_of: date | None = None) -> EnqueueReport:
    """One job per unit (none for a unit still waiting), then the forms and reminders after them."""
    from procrastinate.exceptions import AlreadyEnqueued

    rep = EnqueueReport(tick)
    day = as_of.isoformat() if as_of else None
    for spec in ward.units:
        key = unit_lock(ward, spec.name)
        try:
            await app.tasks[SYNC_TASK].configure(lock=key, queueing_lock=key).defer_async(
                unit=spec.name, tick=tick, as_of=day)
            rep.queued.append(spec.name)
        except AlreadyEnqueued:
            rep.waiting.append(spec.name)
    try:
        await app.tasks[AFTER_TASK].configure(queueing_lock=f"{QUEUE}:after-tick").defer_async(tick=tick, as_of=day)
    except AlreadyEnqueued:
        pass
    return rep


def enqueue_now(ward: jobs.Ward, as_of: date | None = None) -> EnqueueReport:
    """A tick asked for now (`sheetsync tick` on a queued ward): the workers do the syncing."""
    check_queue(ward)
    ensure_schema(ward)
    app = make_app(ward, as_of)
    tick = datetime.now().isoformat(sep=" ", timespec="milliseconds")
    from procrastinate.exceptions import ConnectorException

    async def go() -> EnqueueReport:
        async with app.open_async():
            return await enqueue_tick(app, ward, tick, as_of)
    try:
        return asyncio.run(go())
    except ConnectorException as exc:
        raise StoreError(f"Không xếp được việc vào hàng đợi: {exc.__cause__ or exc}", code="worker.connection") from exc


def run_worker(ward: jobs.Ward, *, concurrency: int = 1, as_of: date | None = None) -> None:
    """Run one worker until SIGINT/SIGTERM (it finishes the jobs in hand, then stops)."""
    check_queue(ward)
    ensure_schema(ward)
    app = make_app(ward, as_of)
    q = ward.service.queue
    from procrastinate.exceptions import ConnectorException

    try:
        app.run_worker(queues=[QUEUE], concurrency=concurrency, name=worker_name(), delete_jobs="successful",
                       update_heartbeat_interval=q.heartbeat_seconds, stalled_worker_timeout=q.stalled_seconds,
                       install_signal_handlers=True)
    except ConnectorException as exc:
        raise StoreError(f"Mất kết nối tới cơ sở dữ liệu của hàng đợi: {exc.__cause__ or exc}",
                         code="worker.connection") from exc


def queue_counts(ward: jobs.Ward) -> dict[tuple[str, str], int]:
    """Jobs in the queue by (task, status): what is waiting, running, failed (finished jobs are removed)."""
    from sqlalchemy import text

    with ward.store.engine.connect() as c:
        if c.execute(text("SELECT to_regclass(:t)"), {"t": f"{SCHEMA}.procrastinate_jobs"}).scalar() is None:
            return {}
        rows = c.execute(text(f'SELECT task_name, status::text, count(*) FROM "{SCHEMA}".procrastinate_jobs '
                              "WHERE queue_name = :q GROUP BY 1, 2"), {"q": QUEUE})
        return {(t, s): int(n) for t, s, n in rows}
