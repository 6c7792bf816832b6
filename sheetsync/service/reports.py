"""The ward's reports: Mẫu 01A and 02A of a month, per unit and for the ward; the bottlenecks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sheetsync.config.profile import Profile
from sheetsync.domain.calendar import month_label
from sheetsync.errors import EXIT_FINDINGS, EXIT_OK, EXIT_PROBLEM, SheetsyncError, SourceError, UsageError
from sheetsync.results import RunResult, UnitResult
from sheetsync.service.units import Progress, open_run_store, run

FORMATS = ("xlsx", "html", "pdf")


@dataclass
class ReportResult:
    run: RunResult
    month: str | None
    output: object | None  # forms.ReportOutput
    messages: list[str] = field(default_factory=list)
    problem: SheetsyncError | None = None  # why no forms were written

    @property
    def exit_code(self) -> int:
        return self.run.exit_code if self.output is not None else EXIT_PROBLEM

    def to_dict(self) -> dict:
        return {"month": self.month, "exit_code": self.exit_code, "messages": self.messages,
                "problem": self.problem.to_dict() if self.problem else None,
                "files": [str(p) for p in self.output.paths] if self.output else [],
                "problems": [p.to_dict() for p in self.run.problems],
                "notices": [n.to_dict() for n in self.run.notices],
                "units": [u.to_dict([self.month] if self.month else None, with_findings=False) for u in self.run.units]}


def check_formats(formats: Sequence[str], allowed: Sequence[str] = FORMATS, *, may_be_empty: bool = False
                  ) -> tuple[str, ...]:
    """The output formats asked for, normalised; an unknown one (or none, unless `may_be_empty`)
    is a usage error naming what `allowed` offers."""
    fmts = tuple(f.strip().lower() for f in formats if f.strip())
    bad = [f for f in fmts if f not in allowed]
    if bad or not (fmts or may_be_empty):
        raise UsageError(f"Định dạng không hỗ trợ: {', '.join(bad) or '(trống)'}; chỉ có {', '.join(allowed)}.")
    return fmts


def report(sources: list[str], *, month: str | None = None, as_of: date | str | None = None,
           out: str | Path = "bao-cao", formats: Sequence[str] = FORMATS,
           profile: str | Path | Profile | None = None, templates_dir: str | Path | None = None,
           progress: Progress | None = None, store=None, gsheet: str | None = None) -> ReportResult:
    """Score every unit like `sync` (never writing into unit workbooks) and fill Mẫu 01A and
    02A per unit and for the ward; the store records that the month's forms were produced.
    With `gsheet` (gsheet:<id> or URL), the ward's forms also replace two tabs of that sheet."""
    formats = check_formats(formats)
    store_problem = None
    try:
        st, opened = open_run_store(store, sources)
    except SheetsyncError as exc:
        st, opened, store_problem = None, False, exc
    try:
        result = run(sources, write=False, month=month, as_of=as_of, profile=profile, progress=progress,
                     store=st if st is not None else False, mode="report")
        if store_problem:
            result.problems.append(store_problem)
        evaluated = [u for u in result.units if u.evaluation is not None and u.duplicate_of is None]
        if not evaluated:
            problem = result.problems[0] if result.problems else next((u.error for u in result.units if u.error), None)
            return ReportResult(result, month, None, [str(p) for p in result.problems] +
                                [f"{u.unit}: {u.error}" for u in result.units if u.error], problem)
        if month is None:
            months = sorted({m for u in evaluated for m in u.evaluation.months})
            month = months[-1] if months else None
        if month is None:
            problem = UsageError("Chưa có tháng nào có dữ liệu đánh giá để lập báo cáo.", code="report.no-month")
            return ReportResult(result, None, None, [str(problem)], problem)
        out_result = _write_forms(result, evaluated, month, out, formats, templates_dir)
        if gsheet and out_result.output is not None:
            out_result.messages.append(_forms_to_gsheet(gsheet, result, evaluated, month, templates_dir))
        if st is not None and out_result.output is not None:
            # The ward office's record that this month's forms were produced (tracked by `status`).
            for u in evaluated:
                try:
                    st.record_unit(u.unit, u.source, u.evaluation, run_kind="report", covers=[month])
                except SheetsyncError as exc:
                    u.record_error = exc
        return out_result
    finally:
        if opened:
            st.close()


def _forms_to_gsheet(spec: str, result: RunResult, evaluated: list[UnitResult], month: str, templates_dir) -> str:
    from sheetsync.forms.collect import unit_results, ward_info
    from sheetsync.forms.gsheet import write_forms_gsheet
    from sheetsync.forms.report import ward_tables

    units = [unit_results(u.evaluation, month) for u in evaluated]
    name = result.ward.name if result.ward else "Tổng hợp"
    ward = ward_info(result.ward, result.profile, name)
    try:
        info = write_forms_gsheet(spec, ward_tables(units, ward, templates_dir),
                                  f"{ward.name} — Tháng {month_label(month)}")
    except SourceError as exc:
        return f"Không ghi được biểu mẫu vào Google Sheets: {exc}"
    return f"Đã ghi Mẫu 01A, 02A của {ward.name} vào bảng tính Google {info['spreadsheet']} ({info['requests']} yêu cầu)."


def _write_forms(result: RunResult, evaluated: list[UnitResult], month: str, out, formats, templates_dir) -> ReportResult:
    from sheetsync.forms import write_reports
    from sheetsync.forms.collect import unit_results, ward_info

    units = [unit_results(u.evaluation, month) for u in evaluated]
    name = result.ward.name if result.ward else (units[0].unit if len(units) == 1 else "Tổng hợp")
    # A single workbook without a ward file: its own forms only, not a "ward" copy of them.
    single = result.ward is None and len(units) == 1
    output = write_reports(units, ward_info(result.ward, result.profile, name), out, formats=formats,
                           templates_dir=templates_dir, per_unit=not single)
    messages = list(getattr(output, "messages", []))
    messages += [f"{u.unit}: {u.error}" for u in result.units if u.error]
    return ReportResult(result, month, output, messages)


# -- bottlenecks ---------------------------------------------------------------------------------------

BOTTLENECK_FORMATS = ("xlsx", "html")


@dataclass
class BottleneckResult:
    report: object | None  # history.bottlenecks.BottleneckReport
    units: list[UnitResult]
    store: str | None  # where the store is (None: there is none yet: no record of returns or progress)
    paths: list[Path] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[UnitResult]:
        return [u for u in self.units if u.error is not None]

    @property
    def exit_code(self) -> int:
        if self.problems or self.report is None:
            return EXIT_PROBLEM
        return EXIT_FINDINGS if len(self.report.items) else EXIT_OK

    def to_dict(self) -> dict:
        return {**(self.report.to_dict() if self.report is not None else {}), "store": self.store,
                "exit_code": self.exit_code, "files": [str(p) for p in self.paths], "messages": self.messages,
                "problems": [{"unit": u.unit, "source": u.source, **u.error.to_dict()} for u in self.problems]}


def bottlenecks(sources: Sequence[str], *, as_of: date | str | None = None, store: str | None = None,
                profile: str | Path | Profile | None = None, out: str | Path | None = "diem-nghen",
                formats: Sequence[str] = BOTTLENECK_FORMATS) -> BottleneckResult:
    """Where work is stuck in every unit, by manager (obstacles raised in weekly reports, tasks
    overdue or without update, tasks returned more than once, people without update), from the
    workbooks as they are and the history store when there is one; with `out`, written as xlsx and
    an HTML page with a chart. Never writes into unit workbooks."""
    from sheetsync.config.schema import load_schemas
    from sheetsync.engine.evaluate import evaluate
    from sheetsync.history.bottlenecks import bottlenecks as compute
    from sheetsync.history.store import open_store, store_target
    from sheetsync.history.tracking import window_months
    from sheetsync.service.units import (
        as_of_timestamp,
        for_each_unit,
        load_run_profile,
        open_backend,
        resolve_units,
        unit_key,
    )

    fmts = check_formats(formats, BOTTLENECK_FORMATS, may_be_empty=out is None)
    ward, specs, _ = resolve_units(list(sources))
    prof = load_run_profile(profile, ward)
    target = store_target(store, list(sources))
    st = open_store(target) if target and ("://" in target or Path(target).exists()) else None  # never created here
    as_of_ts = as_of_timestamp(as_of)
    schemas = load_schemas()
    window = window_months(as_of_ts)

    def one(spec) -> UnitResult:
        grids = open_backend(spec).read()
        frozen = set(st.frozen_months(spec.name)) if st is not None else set()
        ev = evaluate(grids, schemas, prof, as_of=as_of_ts, unit=spec.name, exceptional=spec.exceptional,
                      months=[m for m in window if m not in frozen])
        return UnitResult(spec.name, spec.source, unit_key(spec.source), evaluation=ev)

    try:
        units = for_each_unit(specs, one)
        evaluations = {u.unit: u.evaluation for u in units if u.evaluation is not None}
        report = compute(evaluations, st, as_of_ts, prof)
    finally:
        if st is not None:
            st.close()
    result = BottleneckResult(report, units, target if st is not None else None)
    result.messages += [f"{u.unit}: {u.error}" for u in units if u.error]
    if st is None:
        result.messages.append("Chưa có kho lịch sử: số lần trả lại chỉ lấy theo bảng tính và việc cập nhật tiến độ "
                               "chỉ theo báo cáo tuần (chạy 'sheetsync sync' để có kho).")
    if out is not None and evaluations:
        from sheetsync.forms import bottlenecks as render
        from sheetsync.forms.scope import slug

        name = ward.name if ward else (next(iter(evaluations)) if len(evaluations) == 1 else "Tổng hợp")
        title = f"Điểm nghẽn trong thực hiện nhiệm vụ – {name}"
        base = Path(out) / f"Diem_nghen_{slug(name)}_{as_of_ts:%Y-%m-%d}"
        if "xlsx" in fmts:
            result.paths.append(render.render_xlsx(report, base.with_suffix(".xlsx"), title))
        if "html" in fmts:
            result.paths.append(render.render_html(report, base.with_suffix(".html"), title))
    return result
