"""The work schedule (tab Lịch công tác): checks across rows, and the events it holds.

The single-tab rules (a real date, a readable time, the required cells) come from
schemas/schedule.yaml like every tab's. Here, over the valid rows:
- one chair in two events whose times overlap on the same day is warned (`schedule.chair-overlap`);
- `schedule_events` gives the events to print and export, with staff codes in the chair and
  participants cells replaced by the person's name and position from the tab Cán bộ.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sheetsync.domain.calendar import time_bounds
from sheetsync.engine.findings import Findings
from sheetsync.engine.validate import TabData
from sheetsync.text import normalize_key

if TYPE_CHECKING:
    from sheetsync.results import Evaluation

EVENT_COLUMNS = ["row", "date", "time", "start", "end", "content", "chair", "participants", "place",
                 "preparing_unit", "note"]
_PARTS = re.compile(r"\s*[,;]\s*")


def _usable(tab: TabData) -> pd.Index:
    """Rows whose date, time and content are present and without an error."""
    v = tab.on_rows(tab.values)
    ok = np.ones(len(v), dtype=bool)
    for k in ("date", "time", "content"):
        if k not in v:
            return pd.Index([])
        ok &= pd.notna(v[k].to_numpy())
        if k in tab.errors:
            ok &= ~tab.errors[k].reindex(v.index, fill_value=False).to_numpy(dtype=bool)
    return v.index[ok]


def check_schedule(tab: TabData, findings: Findings) -> None:
    """Warn where one chair has two events at overlapping times on the same day."""
    if "chair" not in tab.values:
        return
    rows = _usable(tab)
    v = tab.values.loc[rows]
    v = v[v["chair"].notna() & (v["time"] != "Cả ngày")]
    if len(v) < 2:
        return
    # Events by chair and day, in the order they first appear; a unit's week has a few dozen
    # events, so plain lists (a groupby and a row lookup per pair cost more than the comparisons).
    days: dict[tuple, list[tuple[int, dict]]] = {}
    for r, chair, day, t in zip(v.index.tolist(), v["chair"].tolist(), v["date"].tolist(), v["time"].tolist()):
        start, end = time_bounds(t)
        days.setdefault((normalize_key(chair), day), []).append((r, {"start": start, "end": end}))
    for (_, day), events in days.items():
        if len(events) < 2:
            continue
        order = np.argsort(np.array([e["start"] for _, e in events], dtype=object), kind="quicksort")
        g = [events[i] for i in order]  # by start time, as sort_values orders them
        for r, a in g:
            clash = [o for o, b in g if o != r and _overlap(a, b)]
            if clash:
                others = ", ".join(str(o) for o in clash)
                findings.add(tab.title, int(r), tab.header("chair"), "warning", "schedule.chair-overlap",
                             f"{tab.values.at[r, 'chair']} chủ trì hai việc trùng giờ ngày {pd.Timestamp(day):%d/%m/%Y} "
                             f"(cũng ở hàng {others}); cần xếp lại giờ hoặc người chủ trì.",
                             cell=f"{tab.letters.get('chair', '')}{r}" if tab.letters.get("chair") else None)


def _overlap(a: dict, b: dict) -> bool:
    """Two spans overlap; an event with only a start time is taken to last until the next one starts."""
    if a["start"] == b["start"]:
        return True
    first, second = (a, b) if a["start"] < b["start"] else (b, a)
    return isinstance(first["end"], str) and first["end"] > second["start"]


def staff_labels(ev: Evaluation) -> dict[str, str]:
    """Staff code (normalised) → `Họ tên (Chức vụ)` as a schedule prints a person."""
    staff = ev.tabs.get("staff")
    if staff is None or "staff_id" not in staff.values:
        return {}
    v = staff.on_rows(staff.values)
    out = {}
    for _r, x in v.iterrows():
        sid, name, pos = x.get("staff_id"), x.get("full_name"), x.get("position")
        if isinstance(sid, str) and isinstance(name, str):
            out[normalize_key(sid)] = f"{name} ({pos})" if isinstance(pos, str) and pos else name
    return out


def expand_people(text, labels: dict[str, str]) -> str:
    """A chair or participants cell with each part that is a staff code replaced by the person."""
    if not isinstance(text, str) or not text.strip():
        return ""
    parts = [p for p in _PARTS.split(text.strip()) if p]
    if not any(normalize_key(p) in labels for p in parts):
        return text.strip()
    return ", ".join(labels.get(normalize_key(p), p) for p in parts)


def schedule_events(ev: Evaluation) -> pd.DataFrame:
    """The unit's usable schedule rows as events (EVENT_COLUMNS), by date and time."""
    tab = ev.tabs.get("schedule")
    if tab is None:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    rows = _usable(tab)
    v = tab.values.loc[rows]
    labels = staff_labels(ev)

    def text(key: str) -> pd.Series:
        return v[key].map(lambda t: t.strip() if isinstance(t, str) else "") if key in v else pd.Series("", index=v.index)

    out = pd.DataFrame({
        "row": v.index.astype(int),
        "date": pd.to_datetime(v["date"]),
        "time": v["time"],
        "start": v["time"].map(lambda t: time_bounds(t)[0] or ""),  # "" for an all-day event
        "end": v["time"].map(lambda t: time_bounds(t)[1] or ""),  # "" when only the start is given
        "content": text("content"),
        "chair": text("chair").map(lambda t: expand_people(t, labels)),
        "participants": text("participants").map(lambda t: expand_people(t, labels)),
        "place": text("place"),
        "preparing_unit": text("preparing_unit"),
        "note": text("note"),
    }, columns=EVENT_COLUMNS)
    return out.sort_values(["date", "start", "row"], kind="stable").reset_index(drop=True)
