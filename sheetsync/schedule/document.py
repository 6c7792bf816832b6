"""The weekly schedule document: its layout (templates/schedule/lich_cong_tac.yaml) and its
content for one week (days, each with its sessions Sáng/Chiều/..., each with its events).

Renderers (render.py) only lay out what is here; the calendar export (ical.py) reads the same
layout's `calendar:` block. Nothing about the look is in Python: titles, columns, sessions,
days always printed, recipients and signatures come from the template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from sheetsync.config.resources import templates_dir as shipped_templates
from sheetsync.domain.calendar import ALL_DAY, time_bounds, week_end, week_start, weekday_name
from sheetsync.errors import TemplateError
from sheetsync.forms.layout import Line, deep_merge, fill

LAYOUT_FILE = "lich_cong_tac.yaml"
PAGE_TEMPLATE = "lich_cong_tac.html.j2"
COLUMN_KEYS = ("day", "session", "time", "content", "chair", "participants", "place", "preparing_unit", "note", "unit")
_HHMM = re.compile(r"^([01]\d|2[0-4]):[0-5]\d$")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: float


@dataclass(frozen=True)
class ScheduleLayout:
    font: dict[str, Any]
    orientation: str
    margins_mm: dict[str, float]
    issuing_body: tuple[Line, ...]
    motto: tuple[Line, ...]
    date_line: str
    title: tuple[Line, ...]
    sessions: tuple[tuple[str, str], ...]  # (name, until HH:MM)
    all_day: str
    days: tuple[int, ...]
    empty_day: str
    time_format: str
    columns: tuple[Column, ...]
    recipients_title: str
    recipients: tuple[str, ...]
    signatures: tuple[dict[str, str], ...]
    calendar: dict[str, Any]

    @property
    def css_family(self) -> str:
        names = [self.font.get("name", "Times New Roman"), *self.font.get("fallback", [])]
        return ", ".join(n if n in ("serif", "sans-serif") else f'"{n}"' for n in names)


def template_dirs(templates_dir: str | Path | None) -> list[Path]:
    """The office's folder first (its `schedule/` subfolder when it has one), then the shipped one."""
    default = shipped_templates() / "schedule"
    if templates_dir is None:
        return [default]
    custom = Path(templates_dir)
    if not custom.is_dir():
        raise TemplateError(f"Không tìm thấy thư mục mẫu: {custom}")
    if (custom / "schedule").is_dir():
        custom = custom / "schedule"
    return [custom, default]


def _read(path: Path) -> dict[str, Any]:
    from sheetsync.config.yamlfile import load_yaml

    data = load_yaml(path, TemplateError, "tệp mẫu") or {}
    if not isinstance(data, dict):
        raise TemplateError(f"Tệp mẫu {path} phải là một bảng khóa: giá trị")
    return data


def _lines(items: Any, context: Mapping[str, str], where: str) -> tuple[Line, ...]:
    if not isinstance(items, list):
        raise TemplateError(f"{where} phải là một danh sách dòng ({{text: ..., bold: ...}})")
    out = []
    for it in items:
        if isinstance(it, str):
            it = {"text": it}
        if not isinstance(it, dict) or "text" not in it:
            raise TemplateError(f"{where}: mỗi dòng cần có `text`")
        text = fill(it["text"], context).strip()
        if text:  # a placeholder with nothing to say (no issuing body above a lone unit) leaves no blank line
            out.append(Line(text, bool(it.get("bold")), bool(it.get("italic")), bool(it.get("underline"))))
    return tuple(out)


def load_layout(kind: str, context: Mapping[str, str], templates_dir: str | Path | None = None) -> ScheduleLayout:
    """The layout for a unit's (`kind` = "unit") or the ward's ("ward") schedule, placeholders
    filled; the office's file, if any, is merged over the shipped one key by key."""
    dirs = template_dirs(templates_dir)
    raw: dict[str, Any] = {}
    for folder in reversed(dirs):
        if (folder / LAYOUT_FILE).is_file():
            raw = deep_merge(raw, _read(folder / LAYOUT_FILE))
    if not raw:
        raise TemplateError(f"Không tìm thấy tệp mẫu {LAYOUT_FILE} trong: {', '.join(map(str, dirs))}")
    override = (raw.pop("overrides", None) or {}).get(kind)
    if isinstance(override, dict):
        raw = deep_merge(raw, override)
    where = LAYOUT_FILE
    sessions = []
    for s in raw.get("sessions") or []:
        until = str((s or {}).get("until", ""))
        if not isinstance(s, dict) or not s.get("name") or not _HHMM.match(until):
            raise TemplateError(f"{where}: mỗi buổi trong `sessions` cần `name` và `until` dạng HH:MM, ví dụ 12:00")
        sessions.append((str(s["name"]), until))
    if not sessions:
        raise TemplateError(f"{where}: cần ít nhất một buổi trong `sessions`")
    days = raw.get("days") or []
    if not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days):
        raise TemplateError(f"{where}: `days` là các số từ 1 (thứ Hai) đến 7 (Chủ nhật)")
    columns = []
    for c in raw.get("columns") or []:
        if not isinstance(c, dict) or c.get("key") not in COLUMN_KEYS:
            raise TemplateError(f"{where}: cột {c!r} không hợp lệ; `key` là một trong: {', '.join(COLUMN_KEYS)}")
        if c.get("scope") not in (None, kind) and c.get("scope") in ("unit", "ward"):
            continue
        columns.append(Column(c["key"], fill(c.get("label", c["key"]), context), float(c.get("width", 10))))
    if not columns:
        raise TemplateError(f"{where}: cần ít nhất một cột trong `columns`")
    page = raw.get("page") or {}
    recipients = raw.get("recipients") or {}
    return ScheduleLayout(
        font=dict(raw.get("font") or {}),
        orientation=str(page.get("orientation", "landscape")),
        margins_mm={k: float(v) for k, v in (page.get("margins_mm") or {}).items()},
        issuing_body=_lines(raw.get("issuing_body") or [], context, f"{where}: issuing_body"),
        motto=_lines(raw.get("motto") or [], context, f"{where}: motto"),
        date_line=fill(raw.get("date_line", ""), context),
        title=_lines(raw.get("title") or [], context, f"{where}: title"),
        sessions=tuple(sessions),
        all_day=str(raw.get("all_day") or ALL_DAY),
        days=tuple(days),
        empty_day=fill(raw.get("empty_day", ""), context),
        time_format=str(raw.get("time_format") or "{h}h{mm}"),
        columns=tuple(columns),
        recipients_title=fill(recipients.get("title", ""), context),
        recipients=tuple(fill(x, context) for x in recipients.get("lines") or []),
        signatures=tuple({k: fill(v, context) for k, v in (s or {}).items()} for s in raw.get("signatures") or []),
        calendar={k: fill(v, context) if isinstance(v, str) else v for k, v in (raw.get("calendar") or {}).items()},
    )


# -- the week's content ----------------------------------------------------------------------------

@dataclass
class Session:
    name: str
    events: list[dict[str, str]]  # column key → text


@dataclass
class Day:
    day: date
    label: str  # "Thứ Hai\n26/10/2026"
    sessions: list[Session] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(len(s.events) for s in self.sessions) or 1


@dataclass
class ScheduleDocument:
    scope: str
    kind: str  # "unit" | "ward"
    week: str  # 2026-W44
    layout: ScheduleLayout
    days: list[Day]

    @property
    def events(self) -> int:
        return sum(len(s.events) for d in self.days for s in d.sessions)


def show_time(span: str, layout: ScheduleLayout) -> str:
    """`08:00` as the document writes it (`8h00` by default); a span as `7h30 - 11h30`."""
    if span == ALL_DAY:
        return layout.all_day
    start, end = time_bounds(span)

    def one(hhmm: str) -> str:
        return layout.time_format.format(h=int(hhmm[:2]), hh=hhmm[:2], mm=hhmm[3:])
    return one(start) + (f" - {one(end)}" if end else "")


def session_of(span: str, layout: ScheduleLayout) -> str:
    if span == ALL_DAY:
        return layout.all_day
    start = time_bounds(span)[0]
    for name, until in layout.sessions:
        if start < until:
            return name
    return layout.sessions[-1][0]


def context(scope: str, week: str, ward) -> dict[str, str]:
    """Values for the template's `{placeholders}` (ward: a forms WardInfo)."""
    from sheetsync.forms.model import clean_text
    from sheetsync.forms.scope import PLACE_BLANK

    a, b = week_start(week), week_end(week)
    issuer = clean_text(ward.issuing_body)
    if issuer.casefold() == clean_text(scope).casefold():
        issuer = ""  # a lone unit's workbook: its own name is the only heading
    return {"scope": clean_text(scope), "scope_upper": clean_text(scope).upper(), "ward": clean_text(ward.name),
            "issuing_body": issuer, "place": clean_text(ward.place).strip() or PLACE_BLANK,
            "week": str(int(week[6:8])), "yyyy": week[:4], "from": f"{a:%d/%m/%Y}", "to": f"{b:%d/%m/%Y}"}


def build_document(scope: str, kind: str, week: str, events: pd.DataFrame, layout: ScheduleLayout) -> ScheduleDocument:
    """The week's events (engine.schedule EVENT_COLUMNS, plus `unit`) grouped into days and sessions."""
    a = week_start(week)
    in_week = events[(events["date"] >= pd.Timestamp(a)) & (events["date"] <= pd.Timestamp(week_end(week)))] \
        if len(events) else events
    order = [name for name, _ in layout.sessions]
    days = []
    for i in range(7):
        day = a + timedelta(days=i)
        mine = in_week[in_week["date"] == pd.Timestamp(day)] if len(in_week) else in_week
        if not len(mine) and (i + 1) not in layout.days:
            continue
        d = Day(day, f"{weekday_name(day)}\n{day:%d/%m/%Y}")
        by_session: dict[str, list[dict[str, str]]] = {}
        for x in mine.sort_values("start", kind="stable").to_dict("records"):  # units in order, by time
            cells = {k: str(x.get(k) or "") for k in COLUMN_KEYS if k not in ("day", "session", "time")}
            cells["time"] = show_time(x["time"], layout)
            by_session.setdefault(session_of(x["time"], layout), []).append(cells)
        for name in [layout.all_day, *order]:
            if name in by_session:
                d.sessions.append(Session(name, by_session[name]))
        days.append(d)
    return ScheduleDocument(scope, kind, week, layout, days)


def table_rows(doc: ScheduleDocument) -> list[list[tuple[str, str, int]]]:
    """The table body as rows of cells (column key, text, rows spanned); a day's and a session's
    cell appear once, on their first row, spanning the rows below them (0 = covered by a span,
    -1 = the last row it covers)."""
    return [row for day in day_rows(doc) for row in day]


def day_rows(doc: ScheduleDocument) -> list[list[list[tuple[str, str, int]]]]:
    """`table_rows` grouped by day (a page break may fall between days, never inside one's spans)."""
    keys = [c.key for c in doc.layout.columns]
    groups: list[list[list[tuple[str, str, int]]]] = []
    for d in doc.days:
        out: list[list[tuple[str, str, int]]] = []
        groups.append(out)
        if not d.sessions:
            row = []
            for k in keys:
                text = d.label if k == "day" else (doc.layout.empty_day if k == "content" else "")
                row.append((k, text, 1))
            out.append(row)
            continue
        i = 0
        for s in d.sessions:
            for j, e in enumerate(s.events):
                row = []
                for k in keys:
                    if k == "day":
                        row.append((k, d.label, d.rows if i == 0 else -1 if i == d.rows - 1 else 0))
                    elif k == "session":
                        row.append((k, s.name, len(s.events) if j == 0 else -1 if j == len(s.events) - 1 else 0))
                    else:
                        row.append((k, e.get(k, ""), 1))
                out.append(row)
                i += 1
    return groups


def slug_for(names: Sequence[str]) -> list[str]:
    from sheetsync.forms.scope import unique_slugs

    return unique_slugs(list(names))
