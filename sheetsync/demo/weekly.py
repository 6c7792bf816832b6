"""The demo's weekly reports (tab Báo cáo tuần): each task's owner reports on it every week from
its start until it is done, progress rising to where the month leaves it; most reports are sent
on the report day, some a few days late, a few weeks are skipped, and some reports raise an
obstacle with a proposal (data/weekly.yaml).

Every draw comes from a generator seeded by the task's code, so adding weekly reports leaves
every other row of the demo as it was."""

from __future__ import annotations

import functools
import random
from datetime import date, timedelta
from typing import Any

from sheetsync.demo.content import DATA_DIR
from sheetsync.demo.people import Unit
from sheetsync.demo.tasks import Draft, Month


@functools.cache
def weekly_content() -> dict[str, Any]:
    """data/weekly.yaml: shares of skipped, late and troubled reports, and their texts."""
    from sheetsync.config.yamlfile import load_yaml

    return load_yaml(DATA_DIR / "weekly.yaml", what="tệp dữ liệu phường mẫu")


def weekly_rows(unit: Unit, month: Month, drafts: dict[str, list[Draft]], rows: list[dict[str, Any] | None],
                report_day: int) -> list[dict[str, Any]]:
    """The month's weekly reports for the task rows typed (same order as `cells.task_rows`)."""
    data = weekly_content()
    typed = [r for r in rows if r is not None]
    ordered = [d for x in unit.people for d in drafts[x.staff_id]]
    out: list[dict[str, Any]] = []
    for d, row in zip(ordered, typed):
        if d.plant:  # a planted problem row: its weekly reports would only repeat the problem
            continue
        out += _task_reports(d, str(row["task_id"]), month, report_day, data)
    return out


def _task_reports(d: Draft, task_id: str, month: Month, report_day: int, data: dict) -> list[dict[str, Any]]:
    rng = random.Random(f"weekly:{task_id}")
    o = d.outcome
    end = min(o.done_date or month.closes, month.closes)
    monday = d.start - timedelta(days=d.start.weekday())
    weeks: list[date] = []
    while monday <= end:
        if monday + timedelta(days=report_day - 1) <= month.closes:
            weeks.append(monday)
        monday += timedelta(days=7)
    final = 100.0 if (o.done or 0) >= d.q else float(o.progress or 0)
    out = []
    for i, mon in enumerate(weeks):
        if rng.random() < data["skip_share"] and i < len(weeks) - 1:
            continue
        progress = round(final * (i + 1) / len(weeks))
        due = mon + timedelta(days=report_day - 1)
        late = rng.random() < data["late_share"]
        sent = min(due + timedelta(days=rng.randint(1, 4)), month.closes) if late else due
        iso = mon.isocalendar()
        form = rng.random()
        week: Any = (f"{iso[0]}-W{iso[1]:02d}" if form < 0.7 else f"Tuần {iso[1]}/{iso[0]}" if form < 0.85
                     else mon + timedelta(days=rng.randint(0, 4)))
        trouble = rng.random() < data["obstacle_share"]
        obstacle = rng.choice(data["obstacles"]) if trouble else None
        out.append({
            "staff_id": d.owner, "week": week, "task_id": task_id, "progress_pct": progress,
            "work_done": rng.choice(data["work_done"]).format(output=d.template.output.lower()),
            "obstacles": obstacle["obstacle"] if obstacle else None,
            "proposals": obstacle["proposal"] if obstacle else None,
            "report_date": sent,
        })
    return out

