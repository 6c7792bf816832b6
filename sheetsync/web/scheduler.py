"""The schedule: every `every_minutes` within working hours, every unit of the ward is synced
(`jobs.sync_unit`, one unit at a time, each under its store lock so that another process never
syncs it at the same moment). A failing unit is recorded as failing and tried again next tick;
the others go on. On the forms deadline day the month's forms are made once; before each
deadline the focal persons get their reminder digests (reminders.py)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime

from sheetsync.web import jobs

log = logging.getLogger("sheetsync.web")


@dataclass
class TickReport:
    started: datetime
    seconds: float = 0.0
    outcomes: list[jobs.SyncOutcome] = field(default_factory=list)
    forms: str | None = None  # month whose forms this tick made
    reminders: object | None = None  # reminders.ReminderReport

    @property
    def requests(self) -> int:
        return sum(o.requests for o in self.outcomes)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def tick(ward: jobs.Ward, today: date | None = None) -> TickReport:
    """One pass over the ward's units, then the forms when their day has come."""
    t0 = time.perf_counter()
    rep = TickReport(datetime.now())
    for spec in ward.units:
        out = jobs.sync_unit(ward, spec, as_of=today)
        rep.outcomes.append(out)
        if out.status == "failing":
            log.warning("Đồng bộ %s không thành công: %s", spec.name, out.message)
    from sheetsync.web.reminders import send

    rep.forms = forms_if_due(ward, today or date.today())
    rep.reminders = send(ward, today or date.today())
    rep.seconds = time.perf_counter() - t0
    return rep


def forms_if_due(ward: jobs.Ward, today: date) -> str | None:
    """On or after the month's forms day (the profile's `forms_to_ward`), the month's forms are
    made once by the schedule (on demand they can be made again at any time)."""
    day = ward.profile.deadlines.get("forms_to_ward")
    if not isinstance(day, int):
        return None
    month = f"{today:%Y-%m}"
    from sheetsync.engine.scoring import deadline_day

    if today < deadline_day(month, day).date():
        return None
    flag = f"forms-made:{month}"
    if ward.state.flag(flag):
        return None
    token = ward.state.acquire(flag)
    if token is None:
        return None
    try:
        if ward.state.flag(flag):
            return None
        rep = jobs.make_forms(ward, month, today)
        if rep.output is not None:
            ward.state.set_flag(flag, {"files": len(rep.output.paths)})
            return month
        return None
    finally:
        ward.state.release(flag, token)


def catch_up(ward: jobs.Ward, today: date | None = None) -> TickReport | None:
    """At start-up outside working hours: sync once the units the pages have never shown (a ward
    that starts the service in the evening sees its units at once, not the next morning)."""
    seen = ward.state.unit_states(with_result=False)
    missing = [spec for spec in ward.units if spec.name not in seen]
    if not missing:
        return None
    t0 = time.perf_counter()
    rep = TickReport(datetime.now())
    for spec in missing:
        rep.outcomes.append(jobs.sync_unit(ward, spec, as_of=today))
    rep.seconds = time.perf_counter() - t0
    return rep


class Ticker:
    """A daemon thread ticking on the ward's schedule until stopped."""

    def __init__(self, ward: jobs.Ward, today=None):
        self.ward = ward
        self.today = today
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sheetsync-schedule", daemon=True)
        self.last: TickReport | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        sched = self.ward.service.schedule
        if sched.enabled and not sched.is_working(datetime.now()):
            try:
                done = catch_up(self.ward, self.today() if self.today else None)
                if done:
                    log.info("Đồng bộ lần đầu ngoài giờ làm việc: %d đơn vị chưa có trên trang", len(done.outcomes))
            except Exception:  # noqa: BLE001
                log.exception("Lượt đồng bộ lần đầu lỗi")
        while not self._stop.is_set():
            now = datetime.now()
            if sched.enabled and sched.is_working(now):
                try:
                    self.last = tick(self.ward, self.today() if self.today else None)
                    log.info("Lượt đồng bộ: %d đơn vị, %.1f giây", len(self.last.outcomes), self.last.seconds)
                except Exception:  # noqa: BLE001 — the schedule must outlive any one tick
                    log.exception("Lượt đồng bộ lỗi")
            self._stop.wait(sched.every_minutes * 60)
