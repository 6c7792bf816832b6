"""`sheetsync schedule`: the week's work schedule of every unit (and of the ward) as the
document offices publish (xlsx, HTML, PDF) and as an iCalendar (.ics) file with the month's
deadlines. Unit workbooks are read and checked like `validate`; nothing is written into them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from sheetsync.config.profile import Profile
from sheetsync.domain.calendar import week_of, week_start
from sheetsync.errors import EXIT_PROBLEM, SheetsyncError
from sheetsync.results import RunResult
from sheetsync.service.reports import check_formats
from sheetsync.service.units import Progress, as_of_timestamp, run

FORMATS = ("xlsx", "html", "pdf", "ics")


@dataclass
class ScheduleScope:
    name: str
    kind: str  # "unit" | "ward"
    events: int  # events printed for the week
    calendar_events: int  # events in the .ics (every week)
    paths: dict[str, Path] = field(default_factory=dict)


@dataclass
class ScheduleResult:
    run: RunResult
    week: str
    scopes: list[ScheduleScope] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    problem: SheetsyncError | None = None

    @property
    def paths(self) -> list[Path]:
        return [p for s in self.scopes for p in s.paths.values()]

    @property
    def exit_code(self) -> int:
        if self.problem is not None or not self.scopes:
            return EXIT_PROBLEM
        return self.run.exit_code

    def to_dict(self) -> dict:
        return {"week": self.week, "exit_code": self.exit_code, "messages": self.messages,
                "problem": self.problem.to_dict() if self.problem else None,
                "scopes": [{"name": s.name, "kind": s.kind, "events": s.events, "calendar_events": s.calendar_events,
                            "files": {k: str(p) for k, p in s.paths.items()}} for s in self.scopes],
                "files": [str(p) for p in self.paths]}


def schedule(sources: list[str], *, week: str | None = None, as_of: date | str | None = None,
             out: str | Path = "lich-cong-tac", formats: Sequence[str] = FORMATS,
             profile: str | Path | Profile | None = None, templates_dir: str | Path | None = None,
             progress: Progress | None = None) -> ScheduleResult:
    """The schedule of `week` (`2026-W44`; default the week of `as_of`, else today) per unit and,
    for more than one unit, for the ward; the .ics files hold every week and the deadlines."""
    from sheetsync.engine.schedule import schedule_events
    from sheetsync.forms.collect import ward_info
    from sheetsync.schedule import document

    formats = check_formats(formats, FORMATS)
    week = week or week_of(as_of_timestamp(as_of).date())
    result = run(sources, write=False, as_of=as_of, profile=profile, progress=progress, store=False, mode="schedule")
    outcome = ScheduleResult(result, week)
    outcome.messages += [str(p) for p in result.problems] + [f"{u.unit}: {u.error}" for u in result.units if u.error]
    units = [u for u in result.units if u.evaluation is not None and u.duplicate_of is None]
    if not units:
        outcome.problem = result.problems[0] if result.problems else next((u.error for u in result.units if u.error),
                                                                          None)
        return outcome
    frames = []
    for u in units:
        ev = schedule_events(u.evaluation)
        frames.append(ev.assign(unit=u.unit))
        if "schedule" not in u.evaluation.tabs:
            outcome.messages.append(f"{u.unit}: bảng tính chưa có trang 'Lịch công tác' (tạo bằng 'sheetsync init' "
                                    "cho tệp mới, hoặc thêm trang có các cột Ngày, Thời gian, Nội dung...).")
        else:
            bad = _rows_not_printed(u.evaluation)
            if bad:
                outcome.messages.append(f"{u.unit}: {bad} hàng Lịch công tác có lỗi (ngày, giờ hoặc nội dung) không "
                                        "được in; xem cột Ghi chú kiểm tra sau khi chạy 'sheetsync sync'.")
    name = result.ward.name if result.ward else (units[0].unit if len(units) == 1 else "Tổng hợp")
    ward = ward_info(result.ward, result.profile, name)
    scopes = [(u.unit, "unit", f) for u, f in zip(units, frames)]
    if len(units) > 1:
        scopes.insert(0, (name, "ward", pd.concat(frames, ignore_index=True)))
    out = Path(out)
    pages: list[tuple[ScheduleScope, Path]] = []
    try:
        slugs = document.slug_for([s[0] for s in scopes])
        for (scope, kind, events), slug in zip(scopes, slugs):
            written, html = _write_scope(scope, kind, events, slug, week, ward, result.profile, out, formats,
                                         templates_dir)
            outcome.scopes.append(written)
            if html is not None:
                pages.append((written, html))
    except SheetsyncError as exc:
        outcome.problem = exc
        outcome.messages.append(str(exc))
    if "pdf" in formats and pages:
        _print(pages, out, week, keep_html="html" in formats, messages=outcome.messages)
    return outcome


@dataclass
class UnitCalendar:
    """One unit's calendar as `sheetsync serve` hands it to a subscribing phone or Outlook."""

    unit: str
    ics: bytes | None  # the iCalendar file; None when the workbook could not be read
    events: int = 0  # schedule events in it (the deadlines come on top)
    problem: SheetsyncError | None = None


def unit_calendar(sources: list[str], unit: str, *, as_of: date | str | None = None,
                  profile: str | Path | Profile | None = None, schemas=None,
                  templates_dir: str | Path | None = None) -> UnitCalendar:
    """The .ics of one unit of the ward (`unit` by name) exactly as `schedule` writes it: every
    event of its Lịch công tác and the months' deadlines. The workbook is read and checked like
    `validate`; nothing is written, nothing recorded."""
    from sheetsync.engine.schedule import schedule_events
    from sheetsync.forms.collect import ward_info
    from sheetsync.schedule import document, ical

    week = week_of(as_of_timestamp(as_of).date())
    result = run(sources, write=False, as_of=as_of, profile=profile, schemas=schemas, store=False, mode="schedule",
                 only=[unit])
    u = next((x for x in result.units if x.unit == unit), None)
    if u is None or u.evaluation is None:
        problem = (u.error if u else None) or (result.problems[0] if result.problems else None)
        return UnitCalendar(unit, None, 0, problem)
    events = schedule_events(u.evaluation).assign(unit=u.unit)
    info = ward_info(result.ward, result.profile, unit)
    layout = document.load_layout("unit", document.context(unit, week, info), templates_dir)
    cal = ical.build_calendar(unit, events, result.profile, layout, week_start(week))
    return UnitCalendar(unit, cal.to_ical(), len(events))


def _print(pages: list[tuple[ScheduleScope, Path]], out: Path, week: str, *, keep_html: bool,
           messages: list[str]) -> None:
    """PDFs of the pages, a few browsers at a time (most of a print is the browser starting)."""
    from concurrent.futures import ThreadPoolExecutor

    from sheetsync.forms.pdf import NO_ENGINE_MESSAGE, PdfError, find_browser, print_pdf
    from sheetsync.forms.report import PDF_WORKERS

    browser = find_browser()
    if browser is None:
        messages.append(NO_ENGINE_MESSAGE)
    else:
        def one(job: tuple[ScheduleScope, Path]):
            try:
                return print_pdf(job[1], job[1].with_suffix(".pdf"), browser).path
            except PdfError as exc:
                return exc

        with ThreadPoolExecutor(max_workers=PDF_WORKERS) as pool:
            for (scope, _), printed in zip(pages, pool.map(one, pages)):
                if isinstance(printed, PdfError):
                    messages.append(f"{scope.name}: {printed}")
                else:
                    scope.paths["pdf"] = printed
    if not keep_html:
        for _, html in pages:
            html.unlink(missing_ok=True)


def _rows_not_printed(ev) -> int:
    tab = ev.tabs["schedule"]
    f = ev.findings
    bad = f[(f["tab"] == tab.title) & (f["severity"] == "error")]
    return int(bad["row"].nunique())


def _write_scope(scope: str, kind: str, events: pd.DataFrame, slug: str, week: str, ward, profile: Profile, out: Path,
                 formats: tuple[str, ...], templates_dir) -> tuple[ScheduleScope, Path | None]:
    """xlsx, HTML and .ics of one scope; returns the HTML page too when a PDF is to be printed."""
    from sheetsync.schedule import document, ical, render

    ctx = document.context(scope, week, ward)
    layout = document.load_layout(kind, ctx, templates_dir)
    doc = document.build_document(scope, kind, week, events, layout)
    result = ScheduleScope(scope, kind, doc.events, len(events))
    base = f"Lich_cong_tac_{slug}_{week}"
    html = None
    if "xlsx" in formats:
        result.paths["xlsx"] = render.render_xlsx(doc, out / f"{base}.xlsx")
    if "html" in formats or "pdf" in formats:
        html = render.render_html(doc, out / f"{base}.html", templates_dir)
        if "html" in formats:
            result.paths["html"] = html
    if "ics" in formats:
        cal = ical.build_calendar(scope, events, profile, layout, week_start(week))
        result.paths["ics"] = ical.write_ics(out / f"Lich_cong_tac_{slug}.ics", cal)
    return result, html if "pdf" in formats else None
