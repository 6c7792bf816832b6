"""The `service:` block of ward.yaml: when the schedule runs, where mail goes, the public URL.

    service:
      schedule:
        every_minutes: 10        # one tick every 10 minutes ...
        hours: "07:00-18:00"     # ... within these hours (local time)
        days: "1-6"              # Monday=1 ... Sunday=7
      base_url: https://okr.phuong.example.vn
      smtp: {host: 127.0.0.1, port: 25, from: okr@phuong.example.vn, user: ..., password_env: ...}
      remind_days: 2             # reminders this many days before each deadline
      queue: procrastinate       # units synced by `sheetsync worker` processes (PostgreSQL store; web/queue.py)
      # or, with the worker's timings:
      # queue: {engine: procrastinate, heartbeat_seconds: 10, stalled_seconds: 30}
      page_cache_seconds: 5      # pages' figures computed at most this often (syncs by this process show at once)
      calendar_cache_minutes: 10 # a unit's calendar feed (/lich/<token>.ics) made from its workbook at most this often
      calendar_per_minute: 30    # calendar feeds one address may fetch per minute (then 429)
      limits:                    # how often what costs or can be abused may be repeated (then 429)
        sync: {per_user: 6, per_unit: 10, minutes: 15}       # "Đồng bộ ngay"
        upload: {per_user: 10, per_unit: 20, minutes: 60}    # workbooks uploaded
        forms: {per_user: 10, minutes: 60}                   # forms 01A/02A made (PDFs in Chromium)
        feedback: {per_user: 10, per_unit: 30, minutes: 60}  # complaints, corrections
        accounts: {per_user: 60, minutes: 60}                # accounts added, removed, passwords set
        login: {per_user: 5, per_address: 30, minutes: 15}  # failed logins (per account name tried)
        calendar: {per_address: 20, minutes: 15}             # wrong calendar links
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from sheetsync.errors import WardConfigError

KNOWN_KEYS = {"schedule", "smtp", "base_url", "upload_max_mb", "session_hours", "remind_days", "queue",
              "page_cache_seconds", "calendar_cache_minutes",
              "calendar_per_minute", "limits"}
SCHEDULE_KEYS = {"every_minutes", "hours", "days", "enabled"}
SMTP_KEYS = {"host", "port", "from", "user", "password_env", "starttls"}
QUEUE_KEYS = {"engine", "heartbeat_seconds", "stalled_seconds"}
QUEUE_ENGINES = ("procrastinate",)


@dataclass
class Schedule:
    enabled: bool = True
    every_minutes: float = 10
    start: time = time(7, 0)
    end: time = time(18, 0)
    days: frozenset[int] = frozenset(range(1, 7))  # Monday..Saturday

    def is_working(self, now: datetime) -> bool:
        return now.isoweekday() in self.days and self.start <= now.time() <= self.end


@dataclass
class QueueConfig:
    """Where scheduled syncs run: None = in the `serve` process; "procrastinate" = in `sheetsync
    worker` processes sharing a PostgreSQL job queue. A worker that sends no heartbeat for
    `stalled_seconds` is taken as dead and its job is given to another."""

    engine: str | None = None
    heartbeat_seconds: float = 10
    stalled_seconds: float = 30


@dataclass(frozen=True)
class Limit:
    """At most `per_user` times for one account, `per_unit` times on one unit (all accounts
    together) and `per_address` times from one network address, within any `minutes`; None
    leaves that count free."""

    minutes: float
    per_user: int | None = None
    per_unit: int | None = None
    per_address: int | None = None


# The limits a ward may set, and the counts each takes (what "user" and "unit" mean for it).
LIMIT_COUNTS = {
    "sync": ("per_user", "per_unit"),  # "Đồng bộ ngay": a Google quota or a workbook write each
    "upload": ("per_user", "per_unit"),  # uploaded workbooks: disk
    "forms": ("per_user",),  # the month's forms: PDFs printed by headless Chromium
    "feedback": ("per_user", "per_unit"),  # complaints and corrections
    "accounts": ("per_user",),  # accounts added or removed, passwords set (argon2 each)
    "login": ("per_user", "per_address"),  # failed logins, per account name tried and per address
    "calendar": ("per_address",),  # wrong calendar links (someone guessing)
}
DEFAULT_LIMITS = {
    "sync": Limit(15, per_user=6, per_unit=10),
    "upload": Limit(60, per_user=10, per_unit=20),
    "forms": Limit(60, per_user=10),
    "feedback": Limit(60, per_user=10, per_unit=30),
    "accounts": Limit(60, per_user=60),
    "login": Limit(15, per_user=5, per_address=30),
    "calendar": Limit(15, per_address=20),
}


@dataclass
class ServiceConfig:
    schedule: Schedule = field(default_factory=Schedule)
    smtp: dict | None = None
    base_url: str = ""
    upload_max_mb: float = 20
    session_hours: float = 8
    remind_days: float = 2  # digests go out this many days before a deadline (and up to the day)
    queue: QueueConfig = field(default_factory=QueueConfig)
    page_cache_seconds: float = 5  # a page's figures are computed at most this often (0: every request)
    calendar_cache_minutes: float = 10  # a calendar feed is read from its workbook at most this often
    calendar_per_minute: float = 30  # calendar feeds one address may fetch per minute
    limits: dict[str, Limit] = field(default_factory=lambda: dict(DEFAULT_LIMITS))


def _hours(text: str) -> tuple[time, time]:
    try:
        a, b = (x.strip() for x in str(text).split("-"))
        return time.fromisoformat(a), time.fromisoformat(b)
    except ValueError as exc:
        raise WardConfigError(f"service.schedule.hours '{text}' cần dạng 07:00-18:00.") from exc


def _days(text) -> frozenset[int]:
    try:
        if isinstance(text, list):
            return frozenset(int(d) for d in text)
        a, _, b = str(text).partition("-")
        return frozenset(range(int(a), int(b or a) + 1))
    except ValueError as exc:
        raise WardConfigError(f"service.schedule.days '{text}' cần dạng 1-6 (thứ Hai = 1, Chủ nhật = 7).") from exc


def _unknown(block: dict, known: set[str], where: str) -> None:
    bad = sorted(set(block) - known)
    if bad:
        raise WardConfigError(f"Khóa không hợp lệ trong {where}: {', '.join(bad)} (chỉ có: {', '.join(sorted(known))}).")


def service_config(raw: dict | None) -> ServiceConfig:
    """The ward's `service:` block, checked: unknown keys and bad values are reported, not ignored."""
    raw = raw or {}
    _unknown(raw, KNOWN_KEYS, "service")
    cfg = ServiceConfig()
    sched = raw.get("schedule") or {}
    if not isinstance(sched, dict):
        raise WardConfigError("service.schedule phải là một khối khóa: giá trị (every_minutes, hours, days).")
    _unknown(sched, SCHEDULE_KEYS, "service.schedule")
    if "every_minutes" in sched:
        try:
            cfg.schedule.every_minutes = float(sched["every_minutes"])
        except (TypeError, ValueError) as exc:
            raise WardConfigError("service.schedule.every_minutes phải là một số phút.") from exc
        if cfg.schedule.every_minutes <= 0:
            raise WardConfigError("service.schedule.every_minutes phải lớn hơn 0.")
    if "hours" in sched:
        cfg.schedule.start, cfg.schedule.end = _hours(sched["hours"])
    if "days" in sched:
        cfg.schedule.days = _days(sched["days"])
    if "enabled" in sched:
        cfg.schedule.enabled = bool(sched["enabled"])
    smtp = raw.get("smtp")
    if smtp:
        if not isinstance(smtp, dict) or not smtp.get("host") or not smtp.get("from"):
            raise WardConfigError("service.smtp cần ít nhất host và from.")
        _unknown(smtp, SMTP_KEYS, "service.smtp")
        cfg.smtp = dict(smtp)
    if raw.get("queue") is not None:
        cfg.queue = _queue(raw["queue"])
    cfg.base_url = str(raw.get("base_url") or "").rstrip("/")
    for key in ("upload_max_mb", "session_hours", "remind_days", "page_cache_seconds", "calendar_cache_minutes",
                "calendar_per_minute"):
        if key in raw:
            try:
                setattr(cfg, key, float(raw[key]))
            except (TypeError, ValueError) as exc:
                raise WardConfigError(f"service.{key} phải là một số.") from exc
    if raw.get("limits") is not None:
        cfg.limits = _limits(raw["limits"])
    return cfg


def _limits(raw) -> dict[str, Limit]:
    """The `limits:` block over the defaults: a limit names only what it changes; `null` leaves a
    count free."""
    from dataclasses import replace

    if not isinstance(raw, dict):
        raise WardConfigError("service.limits là một khối khóa: giá trị (sync, upload, forms, feedback, accounts, "
                              "login, calendar).")
    _unknown(raw, set(LIMIT_COUNTS), "service.limits")
    limits = dict(DEFAULT_LIMITS)
    for name, block in raw.items():
        where = f"service.limits.{name}"
        if not isinstance(block, dict):
            raise WardConfigError(f"{where} là một khối khóa: giá trị, ví dụ {{per_user: 6, minutes: 15}}.")
        _unknown(block, {*LIMIT_COUNTS[name], "minutes"}, where)
        changes = {}
        if "minutes" in block:
            minutes = block["minutes"]
            if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or minutes <= 0:
                raise WardConfigError(f"{where}.minutes phải là một số phút lớn hơn 0.")
            changes["minutes"] = float(minutes)
        for key in LIMIT_COUNTS[name]:
            if key in block:
                n = block[key]
                if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
                    raise WardConfigError(f"{where}.{key} phải là một số nguyên từ 1 trở lên (hoặc null: không giới hạn).")
                changes[key] = n
        limits[name] = replace(limits[name], **changes)
    return limits


def _queue(raw) -> QueueConfig:
    block = {"engine": raw} if isinstance(raw, str) else raw
    if not isinstance(block, dict):
        raise WardConfigError("service.queue là tên hàng đợi (procrastinate) hoặc một khối khóa: giá trị.")
    _unknown(block, QUEUE_KEYS, "service.queue")
    engine = str(block.get("engine") or "").strip().lower()
    if engine not in QUEUE_ENGINES:
        raise WardConfigError(f"service.queue '{block.get('engine')}' không hỗ trợ; chỉ có: {', '.join(QUEUE_ENGINES)}.")
    cfg = QueueConfig(engine=engine)
    for key in ("heartbeat_seconds", "stalled_seconds"):
        if key in block:
            try:
                setattr(cfg, key, float(block[key]))
            except (TypeError, ValueError) as exc:
                raise WardConfigError(f"service.queue.{key} phải là một số giây.") from exc
            if getattr(cfg, key) <= 0:
                raise WardConfigError(f"service.queue.{key} phải lớn hơn 0.")
    if cfg.stalled_seconds < 2 * cfg.heartbeat_seconds:
        raise WardConfigError("service.queue.stalled_seconds phải ít nhất gấp đôi heartbeat_seconds "
                              "(nếu không, một tiến trình còn sống có thể bị coi là đã dừng).")
    return cfg
