"""The Python API behind the CLI: a script or scheduler can call these directly.

    from sheetsync import api
    result = api.sync(["ward.yaml"], as_of="2026-11-26")
    for unit in result.units:
        print(unit.unit, unit.evaluation.error_count)
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import pandas as pd

from sheetsync.backends import SourceError, open_source
from sheetsync.engine.evaluate import UnitResult, run_unit
from sheetsync.engine.findings import ERROR, WARNING
from sheetsync.config.profile import Profile, load_profile
from sheetsync.config.schema import Schemas, SchemaError, load_schemas
from sheetsync.config.ward import UnitSpec, WardConfig, WardConfigError, resolve_sources


EXIT_OK, EXIT_FINDINGS, EXIT_PROBLEM = 0, 1, 2


@dataclass
class RunResult:
    mode: str  # "validate" or "sync"
    units: list[UnitResult]
    profile: Profile
    as_of: pd.Timestamp
    months: list[str] | None
    ward: WardConfig | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.problems or any(u.error for u in self.units):
            return EXIT_PROBLEM
        if any(u.evaluation is not None and u.evaluation.error_count for u in self.units):
            return EXIT_FINDINGS
        return EXIT_OK

    def to_dict(self, with_findings: bool = True) -> dict:
        return {
            "mode": self.mode,
            "as_of": self.as_of.strftime("%Y-%m-%d"),
            "profile": self.profile.name,
            "months": self.months,
            "ward": self.ward.name if self.ward else None,
            "exit_code": self.exit_code,
            "problems": self.problems,
            "units": [unit_dict(u, self.months, with_findings) for u in self.units],
        }


def unit_dict(u: UnitResult, months: list[str] | None, with_findings: bool = True) -> dict:
    d: dict = {"unit": u.unit, "source": u.source, "error": u.error, "written": u.written,
               "seconds": {k: round(v, 3) for k, v in u.seconds.items()}}
    ev = u.evaluation
    if ev is None:
        return d
    f = findings_in_months(ev, months)
    d.update({
        "errors": int((f["severity"] == ERROR).sum()),
        "warnings": int((f["severity"] == WARNING).sum()),
        "error_rows": ev.rows_with(ERROR),
        "warning_rows": ev.rows_with(WARNING),
        "cells_written": u.plan.cell_count if (u.plan and u.written) else 0,
        "summary_rewritten": bool(u.plan and u.plan.summary is not None and u.written),
        "write": u.write_info,
        "months": {},
    })
    if ev.scores is not None:
        for m, ms in ev.scores.months.items():
            people = ms.people[ms.people["scored"]]
            d["months"][m] = {
                "people_on_roster": int(len(ms.roster)),
                "rated": int(sum(ms.counts.values())),
                "ratings": {k: int(v) for k, v in ms.counts.items()},
                "quota": [{k: v for k, v in q.items()} for q in ms.quota],
                "scores": [_person(people.loc[r]) for r in people.index],
            }
    if u.freeze is not None:
        d["freeze"] = u.freeze.to_dict()
    if with_findings:
        d["findings"] = [_finding(rec) for rec in f.to_dict("records")]
    return d


def _clean(v):
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def _person(row: pd.Series) -> dict:
    keys = ["staff_id", "score_a", "score_b", "score_c", "score_d", "score_dd", "score_e", "task_points",
            "general_points", "bonus_points", "total_points", "suggested_rating", "approved_rating", "final_rating",
            "provisional"]
    out = {k: _clean(row.get(k)) for k in keys}
    out["row"] = int(row.name)
    return out


def _finding(rec: dict) -> dict:
    return {k: _clean(v) for k, v in rec.items()}


def findings_in_months(ev, months: list[str] | None) -> pd.DataFrame:
    """The unit's findings, less those on rows of months other than the ones asked for."""
    f = ev.findings
    if not months:
        return f
    keep = pd.Series(True, index=f.index)
    for tab in ev.tabs.values():
        mf = tab.schema.month_field
        if not mf or mf not in tab.values:
            continue
        month_of = tab.values[mf]
        other_rows = set(month_of.index[month_of.notna() & ~month_of.isin(months)])
        keep &= ~((f["tab"] == tab.title) & f["row"].isin(other_rows))
    return f[keep]


def _backend_for(spec: UnitSpec):
    return open_source(spec.source, unit=spec.name)


def open_run_store(store, sources: list[str]):
    """The store a run records into: `store` may be a Store, a SQLite path or database URL
    (`none` for no store), False for none, or None for the default (see `store.store_target`).
    Returns (store or None, whether this call opened it)."""
    from sheetsync.history.store import Store, open_store, store_target

    if store is False:
        return None, False
    if isinstance(store, Store):
        return store, False
    target = store_target(store, sources)
    return (open_store(target), True) if target else (None, False)


def run(sources: list[str], *, write: bool, month: str | None = None, as_of: date | str | None = None,
        profile: str | Path | Profile | None = None, schemas: Schemas | None = None,
        progress: Callable[[UnitSpec], None] | None = None, store=None) -> RunResult:
    """Validate (write=False) or sync (write=True) every unit named by `sources`. A sync records
    every unit's months in the store (see `open_run_store`); both honour frozen months."""
    from sheetsync.history.store import StoreError

    as_of_ts = pd.Timestamp(as_of).normalize() if as_of else pd.Timestamp(date.today())
    months = [month] if month else None
    problems: list[str] = []
    mode = "sync" if write else "validate"
    try:
        ward, units = resolve_sources(list(sources))
        prof = profile if isinstance(profile, Profile) else load_profile(profile or (ward.profile if ward else None))
        schemas = schemas or load_schemas()
        st, opened = open_run_store(store, sources)
    except (WardConfigError, SchemaError, StoreError) as exc:
        try:
            prof = profile if isinstance(profile, Profile) else load_profile(None)
        except SchemaError:  # the default profile itself is broken: report with a stand-in
            raise SystemExit(f"Lỗi: {exc}") from None
        return RunResult(mode, [], prof, as_of_ts, months, None, [str(exc)])
    results: list[UnitResult] = []
    try:
        for spec in units:
            if progress:
                progress(spec)
            try:
                backend = _backend_for(spec)
                results.append(run_unit(backend, schemas, prof, unit=spec.name, as_of=as_of_ts, months=months,
                                        write=write, exceptional=spec.exceptional, store=st, record=write))
            except (SourceError, WardConfigError, SchemaError, StoreError, OSError) as exc:
                results.append(UnitResult(spec.name, spec.source, error=str(exc)))
            except Exception as exc:  # noqa: BLE001 — one unit's failure must not stop the ward
                if os.environ.get("SHEETSYNC_DEBUG"):
                    traceback.print_exc()
                results.append(UnitResult(spec.name, spec.source,
                                          error=f"Lỗi không mong đợi khi xử lý đơn vị ({type(exc).__name__}: {exc}). "
                                                "Hãy gửi tệp và thông báo này cho bộ phận kỹ thuật."))
    finally:
        if opened:
            st.close()
    return RunResult(mode, results, prof, as_of_ts, months, ward, problems)


def validate(sources: list[str], **kwargs) -> RunResult:
    """Check every unit; never writes."""
    return run(sources, write=False, **kwargs)


def sync(sources: list[str], **kwargs) -> RunResult:
    """Check, score and write back every unit."""
    return run(sources, write=True, **kwargs)


def init(path: str | Path, unit: str, *, overwrite: bool = False, profile: str | None = None,
         create: bool = False, share_with: list[str] | None = None):
    """Create a blank unit workbook (.xlsx → its Path), or lay out a Google spreadsheet
    (`gsheet:<id>` or URL; `create=True` makes a new one through Drive) → `google_init.InitResult`."""
    from sheetsync.backends import is_google_source

    prof = load_profile(profile)
    if create or is_google_source(str(path)):
        from sheetsync.backends.google.init import init_google

        return init_google(None if create else str(path), load_schemas(), unit, overwrite=overwrite,
                           profile_bonus=bool(prof.bonus_field), create=create, share_with=share_with)
    from sheetsync.backends.xlsx.init import init_workbook

    return init_workbook(path, load_schemas(), unit, overwrite=overwrite, profile_bonus=bool(prof.bonus_field))


@dataclass
class ReportResult:
    run: RunResult
    month: str | None
    output: object | None  # forms.ReportOutput
    messages: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return self.run.exit_code if self.output is not None else EXIT_PROBLEM


def report(sources: list[str], *, month: str | None = None, as_of: date | str | None = None,
           out: str | Path = "bao-cao", formats: tuple[str, ...] = ("xlsx", "html", "pdf"),
           profile: str | Path | Profile | None = None, templates_dir: str | Path | None = None,
           progress: Callable[[UnitSpec], None] | None = None, store=None,
           gsheet: str | None = None) -> ReportResult:
    """Score every unit like `sync` (never writing into unit workbooks) and fill Mẫu 01A and
    02A per unit and for the ward; the store records that the month's forms were produced.
    With `gsheet` (gsheet:<id> or URL), the ward's forms also replace two tabs of that sheet."""

    from sheetsync.history.store import StoreError

    try:
        st, opened = open_run_store(store, sources)
    except StoreError as exc:
        st, opened = None, False
        store_problem = str(exc)
    else:
        store_problem = None
    try:
        result = run(sources, write=False, month=month, as_of=as_of, profile=profile, progress=progress,
                     store=st if st is not None else False)
        if store_problem:
            result.problems.append(store_problem)
        evaluated = [u for u in result.units if u.evaluation is not None]
        if not evaluated:
            return ReportResult(result, month, None, result.problems + [u.error for u in result.units if u.error])
        if month is None:
            months = sorted({m for u in evaluated for m in u.evaluation.months})
            month = months[-1] if months else None
        if month is None:
            return ReportResult(result, None, None, ["Chưa có tháng nào có dữ liệu đánh giá để lập báo cáo."])
        out_result = _write_forms(result, evaluated, month, out, formats, templates_dir)
        if gsheet and out_result.output is not None:
            out_result.messages.append(_forms_to_gsheet(gsheet, result, evaluated, month, templates_dir))
        if st is not None and out_result.output is not None:
            # The ward office's record that this month's forms were produced (tracked by `status`).
            for u in evaluated:
                st.record_unit(u.unit, u.source, u.evaluation, run_kind="report", covers=[month])
        return out_result
    finally:
        if opened:
            st.close()


def _forms_to_gsheet(spec: str, result: RunResult, evaluated: list[UnitResult], month: str, templates_dir) -> str:
    from sheetsync.forms.gsheet import write_forms_gsheet
    from sheetsync.forms.report import ward_tables
    from sheetsync.forms.collect import unit_results, ward_info

    units = [unit_results(u.evaluation, month) for u in evaluated]
    name = result.ward.name if result.ward else "Tổng hợp"
    ward = ward_info(result.ward, result.profile, name)
    try:
        info = write_forms_gsheet(spec, ward_tables(units, ward, templates_dir), f"{ward.name} — Tháng {month[5:]}/{month[:4]}")
    except SourceError as exc:
        return f"Không ghi được biểu mẫu vào Google Sheets: {exc}"
    return f"Đã ghi Mẫu 01A, 02A của {ward.name} vào bảng tính Google {info['spreadsheet']} ({info['requests']} yêu cầu)."


def _write_forms(result: RunResult, evaluated: list[UnitResult], month: str, out, formats, templates_dir) -> "ReportResult":
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
