"""What the store remembers: quarters and years, what is missing or late, one person's months,
and reopening an approved month. Each command is a function returning a result object."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from sheetsync.config.profile import Profile
from sheetsync.config.schema import load_schemas
from sheetsync.config.ward import UnitSpec, WardConfig
from sheetsync.domain.calendar import Period, month_label, parse_month, parse_quarter, parse_year
from sheetsync.errors import EXIT_FINDINGS, EXIT_OK, EXIT_PROBLEM, SheetsyncError, StoreError, UsageError
from sheetsync.results import UnitResult, plain
from sheetsync.service.reports import FORMATS, check_formats
from sheetsync.service.units import (
    as_of_timestamp,
    for_each_unit,
    load_run_profile,
    open_backend,
    resolve_units,
    unit_key,
)


@dataclass
class HistoryContext:
    ward: WardConfig | None
    units: list[UnitSpec]
    profile: Profile
    store: object | None  # Store
    target: str | None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def open_history(sources: Sequence[str], store: str | None = None, profile: str | Path | Profile | None = None,
                 *, must_exist: bool = True) -> HistoryContext:
    """The ward, its units, the profile and the opened store. With `must_exist=False`, a store
    that does not exist yet is simply absent (None) instead of an error."""
    from sheetsync.history.store import open_store, store_target

    ward, units, _ = resolve_units(list(sources))
    prof = load_run_profile(profile, ward)
    target = store_target(store, list(sources))
    exists = bool(target) and ("://" in target or Path(target).exists())
    if not exists:
        if not must_exist:
            return HistoryContext(ward, units, prof, None, target)
        if target is None:
            raise StoreError("Không xác định được nơi đặt kho dữ liệu; hãy chỉ rõ --store.", code="store.missing")
        raise StoreError(f"Chưa có kho dữ liệu tại {target}; hãy chạy 'sheetsync sync' (có ghi kho) trước.",
                         code="store.missing")
    return HistoryContext(ward, units, prof, open_store(target), target)


# -- quarters and years -----------------------------------------------------------------------------

@dataclass
class PeriodReport:
    result: object  # history.periods.PeriodResult
    files: list[Path] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {**self.result.to_dict(), "files": [str(f) for f in self.files], "messages": self.messages}


def period(sources: Sequence[str], which: Period, *, store: str | None = None,
           profile: str | Path | Profile | None = None, out: str | Path = "bao-cao",
           formats: Sequence[str] = FORMATS, templates_dir: str | Path | None = None,
           forms: bool = True) -> PeriodReport:
    """Every person's result for a quarter or a year from the recorded months, and its forms."""
    from sheetsync.forms.collect import ward_info
    from sheetsync.history.periods import compute_period, write_period_forms

    fmts = check_formats(formats)
    ctx = open_history(sources, store, profile)
    try:
        result = compute_period(ctx.store, which, ctx.profile, units=[u.name for u in ctx.units],
                                exceptional=[u.name for u in ctx.units if u.exceptional])
        report = PeriodReport(result)
        if forms and len(result.people):
            name = ctx.ward.name if ctx.ward else (ctx.units[0].name if len(ctx.units) == 1 else "Tổng hợp")
            output = write_period_forms(result, ward_info(ctx.ward, ctx.profile, name), out, formats=fmts,
                                        templates_dir=templates_dir)
            report.files, report.messages = list(output.paths), list(output.messages)
        return report
    finally:
        ctx.close()


def quarter(sources: Sequence[str], quarter: str | Period, **kwargs) -> PeriodReport:
    """A quarter (`2/2026`, `Q2/2026`, `Quý 2/2026`, `2026-Q2`): see `period`."""
    return period(sources, quarter if isinstance(quarter, Period) else parse_quarter(quarter), **kwargs)


def year(sources: Sequence[str], year: str | int | Period, **kwargs) -> PeriodReport:
    """A year: see `period`."""
    return period(sources, year if isinstance(year, Period) else parse_year(year), **kwargs)


# -- status ------------------------------------------------------------------------------------------

@dataclass
class StatusResult:
    report: object  # history.tracking.StatusReport
    units: list[UnitResult]
    store: str | None  # where the store is (None: there is none yet)
    as_of: pd.Timestamp
    profile: Profile

    @property
    def problems(self) -> list[UnitResult]:
        return [u for u in self.units if u.error is not None]

    @property
    def exit_code(self) -> int:
        if self.problems:
            return EXIT_PROBLEM
        return EXIT_FINDINGS if len(self.report.items) else EXIT_OK

    def deadlines(self, month: str) -> list[tuple[str, date]]:
        """The month's deadline steps (Vietnamese name, day) as the profile sets them."""
        from sheetsync.history.tracking import month_deadlines

        return month_deadlines(month, self.profile)

    def to_dict(self) -> dict:
        return {**self.report.to_dict(), "store": self.store,
                "problems": [{"unit": u.unit, "source": u.source, **u.error.to_dict()} for u in self.problems]}


def status(sources: Sequence[str], *, as_of: date | str | None = None, store: str | None = None,
           profile: str | Path | Profile | None = None) -> StatusResult:
    """Missing and late work of every unit and person (never writes into workbooks). Only open
    months are scored: approved months are done, and scoring is the slow part."""
    from sheetsync.engine.evaluate import evaluate
    from sheetsync.history.tracking import status as compute_status
    from sheetsync.history.tracking import window_months

    ctx = open_history(sources, store, profile, must_exist=False)
    as_of_ts = as_of_timestamp(as_of)
    schemas = load_schemas()
    window = window_months(as_of_ts)

    def one(spec: UnitSpec) -> UnitResult:
        grids = open_backend(spec).read()
        frozen = set(ctx.store.frozen_months(spec.name)) if ctx.store is not None else set()
        ev = evaluate(grids, schemas, ctx.profile, as_of=as_of_ts, unit=spec.name, exceptional=spec.exceptional,
                      months=[m for m in window if m not in frozen])
        return UnitResult(spec.name, spec.source, unit_key(spec.source), evaluation=ev)

    try:
        units = for_each_unit(ctx.units, one)
        evaluations = {u.unit: u.evaluation for u in units if u.evaluation is not None}
        report = compute_status(evaluations, ctx.store, as_of_ts, ctx.profile)
    finally:
        ctx.close()
    return StatusResult(report, units, ctx.target if ctx.store is not None else None, as_of_ts, ctx.profile)


# -- one person's months ---------------------------------------------------------------------------

HISTORY_COLUMNS = ["month", "unit", "total_points", "general_points", "task_points", "suggested_rating",
                   "approved_rating", "final_rating", "frozen", "provisional", "tasks", "returns", "delays", "overdue"]


@dataclass
class PersonHistory:
    staff_id: str
    full_name: str
    months: pd.DataFrame  # HISTORY_COLUMNS, oldest first
    profile: Profile
    html: Path | None = None

    def to_dict(self) -> dict:
        return {"person": self.staff_id, "full_name": self.full_name,
                "months": [{k: plain(r[k]) for k in HISTORY_COLUMNS} for r in self.months.to_dict("records")],
                "html": str(self.html) if self.html else None}


def history(sources: Sequence[str], person: str, *, store: str | None = None, html: str | Path | None = None,
            profile: str | Path | Profile | None = None) -> PersonHistory:
    """One person's months, scores and ratings across every unit (transfers included); with
    `html`, also a page with a chart of the monthly totals against the rating bands."""
    ctx = open_history(sources, store, profile)
    try:
        h = ctx.store.person_history(person)
    finally:
        ctx.close()
    if h.empty:
        raise UsageError(f"Không có tháng nào của cán bộ '{person}' trong kho dữ liệu.", code="history.no-person")
    result = PersonHistory(str(h["staff_id"].iloc[-1]), str(h["full_name"].iloc[-1] or ""),
                           h[HISTORY_COLUMNS].reset_index(drop=True), ctx.profile)
    if html:
        result.html = write_history_html(result, html)
    return result


def history_chart_svg(h: PersonHistory) -> str:
    """Monthly totals against the rating bands, as inline SVG (matplotlib, no display needed)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from sheetsync.forms.charts import font_rc

    months = [f"{m[5:]}/{m[2:4]}" for m in h.months["month"]]
    totals = h.months["total_points"].astype(float)
    buf = io.StringIO()
    with matplotlib.rc_context(font_rc(["Liberation Serif", "Tinos", "DejaVu Serif"])):
        fig = Figure(figsize=(7.5, 3.0), dpi=100)
        ax = fig.add_subplot()
        ax.plot(months, totals, marker="o", color="#1f3b73", linewidth=1.8)
        for r in h.profile.scale:
            if r.min is not None:
                ax.axhline(r.min, color="#999999", linewidth=0.8, linestyle="--")
                ax.text(0.99, r.min + 0.5, r.code, fontsize=7, color="#555555", ha="right", va="bottom",
                        transform=ax.get_yaxis_transform())  # x in axes fraction: always inside
        ax.set_ylim(max(0, min([40.0, *totals.dropna()]) - 5), 100)
        ax.set_ylabel("Tổng điểm")
        fig.tight_layout()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.find("<svg"):]


def write_history_html(h: PersonHistory, path: str | Path) -> Path:
    """The person's page, from `templates/pages/person_history.html.j2` (every value escaped)."""
    import jinja2
    from markupsafe import Markup

    from sheetsync.config.resources import templates_dir
    from sheetsync.forms.numbers import format_number

    scale = h.profile.scale
    rows = [{"month": month_label(r["month"]), "unit": r["unit"],
             "total": format_number(r["total_points"]) if pd.notna(r["total_points"]) else "—",
             "suggested": scale.code(r["suggested_rating"]) or "—", "approved": scale.code(r["approved_rating"]) or "—",
             "state": "Đã phê duyệt" if r["frozen"] else "Chưa khóa",
             "returns": r["returns"], "delays": r["delays"], "overdue": r["overdue"]}
            for r in h.months.to_dict("records")]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "pages")), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    page = env.get_template("person_history.html.j2").render(
        title=f"Lịch sử đánh giá – {h.staff_id} {h.full_name}".strip(), rows=rows,
        chart=Markup(history_chart_svg(h)))  # our own SVG; every text in it came from matplotlib
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


# -- reopening an approved month --------------------------------------------------------------------

def reopen(sources: Sequence[str], unit: str, month: str, reason: str, *, by: str | None = None,
           store: str | None = None):
    """Lift the freeze of an approved month: the next sync records the sheet as it is (and freezes
    it again if still approved). Returns the month's freeze state."""
    month = parse_month(month)
    ctx = open_history(sources, store, None)
    try:
        known = {u.name for u in ctx.units} | set(ctx.store.units())
        if unit not in known:
            raise UsageError(f"Không có đơn vị '{unit}'; các đơn vị: {', '.join(sorted(known))}.", code="usage.unit")
        return ctx.store.reopen(unit, month, by or current_user(), reason)
    finally:
        ctx.close()


# -- renaming a unit -------------------------------------------------------------------------------

@dataclass
class RenameResult:
    old: str
    new: str
    moved: dict[str, int]  # table → rows now under the new name

    def to_dict(self) -> dict:
        return {"from": self.old, "to": self.new, "moved": self.moved}


def rename_unit(sources: Sequence[str], old: str, new: str, *, by: str | None = None, reason: str = "",
                store: str | None = None) -> RenameResult:
    """Move a unit's whole record (history, frozen months, the ward service's state) from its old
    name to the name the ward file now gives it. The ward file is edited first, so `new` must be
    one of its units and `old` no longer one: two units of the ward are never merged."""
    ctx = open_history(sources, store, None)
    try:
        names = {u.name for u in ctx.units}
        if ctx.ward is not None and new not in names:
            raise UsageError(f"«{new}» không phải đơn vị nào trong {ctx.ward.path.name if ctx.ward.path else 'ward.yaml'}"
                             "; hãy sửa tên đơn vị trong tệp đó trước, rồi chuyển lịch sử.", code="usage.unit")
        if old in names:
            raise UsageError(f"«{old}» vẫn là một đơn vị trong tệp của phường; không gộp lịch sử của hai đơn vị.",
                             code="usage.unit")
        return RenameResult(old, new, ctx.store.rename_unit(old, new, by or current_user(), reason))
    finally:
        ctx.close()


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 — no login name in some containers
        return "quản trị viên"


__all__ = ["HistoryContext", "PeriodReport", "PersonHistory", "RenameResult", "SheetsyncError", "StatusResult",
           "history", "open_history", "period", "quarter", "rename_unit", "reopen", "status", "write_history_html",
           "year"]
