"""The demo's weekly work schedules (tab Lịch công tác): every unit's standing meetings each week
and a few occasional events drawn from data/schedule.yaml, for every week of the demo's months
up to the day its story is told as of. A chair never gets two events in one session of a day.

Draws come from a generator seeded by the unit and the week, so the schedule leaves every other
row of the demo as it was."""

from __future__ import annotations

import functools
import random
from datetime import date, timedelta
from typing import Any

from sheetsync.demo.content import DATA_DIR
from sheetsync.demo.people import Unit
from sheetsync.demo.tasks import Month


@functools.cache
def schedule_content() -> dict[str, Any]:
    from sheetsync.config.yamlfile import load_yaml

    return load_yaml(DATA_DIR / "schedule.yaml", what="tệp dữ liệu phường mẫu")


def _person(text: str, unit: Unit, slots: dict[str, str]) -> str:
    """`@slot` parts as the holder's staff code; other text as written."""
    parts = [p.strip() for p in str(text or "").split(",") if p.strip()]
    out = []
    for p in parts:
        if p.startswith("@"):
            if p[1:] not in slots:
                raise ValueError(f"schedule.yaml: {unit.spec.key} has no post {p}")
            out.append(slots[p[1:]])
        else:
            out.append(p)
    return ", ".join(out)


def _session(time: str) -> str:
    hour = int(time.split("h")[0].split(":")[0])
    return "sáng" if hour < 12 else "chiều"


def schedule_rows(unit: Unit, months: list[Month]) -> list[dict[str, Any]]:
    """The unit's schedule rows for every week touching `months`, until the last month closes."""
    data = schedule_content()
    mine = data["units"].get(unit.spec.key) or {}
    slots = {p.post.slot: p.staff_id for p in unit.people}
    first = months[0].first
    last = months[-1].closes
    monday = first - timedelta(days=first.weekday())
    rows: list[dict[str, Any]] = []
    while monday <= last:
        rng = random.Random(f"schedule:{unit.spec.key}:{monday.isoformat()}")
        taken: set[tuple[date, str, str]] = set()  # (day, session, chair)
        week: list[dict[str, Any]] = []

        def add(day: date, time: str, e: dict[str, Any]) -> None:
            chair = _person(e.get("chair"), unit, slots)
            key = (day, _session(time), chair)
            if day > last or key in taken:
                return
            taken.add(key)
            week.append({"date": day, "time": time, "content": e["content"], "chair": chair,
                         "participants": _person(e.get("participants"), unit, slots), "place": e.get("place"),
                         "preparing_unit": e.get("preparing")})

        for e in mine.get("every_week") or []:
            add(monday + timedelta(days=int(e["weekday"]) - 1), e["time"], e)
        pool = list(mine.get("occasional") or [])
        low, high = data["per_week"]
        for e in rng.sample(pool, min(len(pool), rng.randint(low, high))):
            session = rng.choice(["sáng", "chiều"])
            add(monday + timedelta(days=rng.randint(0, 4)), rng.choice(data["session_times"][session]), e)
        rows += sorted(week, key=lambda r: (r["date"], _session(r["time"])))
        monday += timedelta(days=7)
    return rows
