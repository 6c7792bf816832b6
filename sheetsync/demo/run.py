"""`sheetsync demo`: build the demo ward, sync it and fill the ward's forms, all as of the last
month's closing day (the forms deadline), with the store recording both runs on that day.

So the ward's history tells one story: the month's work, self-assessments, reviews and
approvals are dated before that day, the forms were produced on it (in time), and a later
`sheetsync status` reports only what the demo planted (late self-assessments, missing
reviews, the unit not yet approved, unfinished tasks), not every unit's forms as late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from sheetsync.config.profile import load_profile
from sheetsync.demo.build import PROFILE, build_demo_ward, closing_day

RECORDED_AT = time(16, 30)  # the hour the ward office runs sync and report on the closing day


@dataclass
class DemoRun:
    ward: Path
    month: str
    as_of: date
    sync: object  # results.RunResult
    report: object | None  # service.ReportResult


def run_demo(out: str | Path, months: list[str], *, as_of: date | None = None,
             formats: tuple[str, ...] = ("xlsx", "html", "pdf"), on_built=None) -> DemoRun:
    """Build the ward in `out`, sync it and write its forms to `out/bao-cao`, as of `as_of`
    (default: the last month's closing day). `on_built(ward_path)` is called in between."""
    from sheetsync import service
    from sheetsync.history.store import open_store, store_target

    ward = build_demo_ward(out, months=months)
    if on_built is not None:
        on_built(ward)
    last = sorted(months)[-1]
    day = as_of or closing_day(last, load_profile(PROFILE))
    target = store_target(None, [str(ward)])
    store = open_store(target) if target else None
    try:
        if store is not None:
            at = datetime.combine(day, RECORDED_AT)
            store.clock = lambda: at
        kept = store if store is not None else False
        synced = service.sync([str(ward)], as_of=day, store=kept)
        report = service.report([str(ward)], month=last, as_of=day, out=Path(out) / "bao-cao", formats=formats,
                            store=kept)
    finally:
        if store is not None:
            store.close()
    return DemoRun(ward, last, day, synced, report)
