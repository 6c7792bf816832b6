"""What a run produced, as plain objects every front end reads (CLI, web, scripts).

The per-person score fields are defined here once; the engine fills them, the store records
them, the forms and `--json` show them. This module imports only leaf modules (`errors`,
`engine.findings`), so any layer can use it without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sheetsync.engine.findings import ERROR, VALID, WARNING
from sheetsync.errors import EXIT_FINDINGS, EXIT_OK, EXIT_PROBLEM, SheetsyncError

if TYPE_CHECKING:
    from sheetsync.config.profile import Profile
    from sheetsync.config.ward import WardConfig
    from sheetsync.engine.grid import BoundTab
    from sheetsync.engine.plans import PlanReport
    from sheetsync.engine.scoring import MonthPart, Scores
    from sheetsync.engine.validate import TabData
    from sheetsync.engine.writeplan import WritePlan
    from sheetsync.history.freeze import FreezeReport

# -- the per-person score fields -------------------------------------------------------------------

COMPONENT_FIELDS = ("score_a", "score_b", "score_c", "score_d", "score_dd", "score_e")  # a b c (d đ e)
POINT_FIELDS = ("task_points", "general_points", "bonus_points", "total_points")
SCORE_FIELDS = (*COMPONENT_FIELDS, *POINT_FIELDS)  # the numbers, rounded half up
RATING_FIELDS = ("suggested_rating", "approved_rating", "final_rating")
PERSON_FIELDS = ("staff_id", *SCORE_FIELDS, *RATING_FIELDS, "provisional")  # one person's month, as reported


def plain(v: Any) -> Any:
    """A cell or score as plain JSON-able Python: NaN/NA/NaT → None, numpy scalars → Python."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


@dataclass(frozen=True)
class Notice:
    """Something a person should be told about a unit or the run that is not a row's finding:
    a month just frozen, a month asked for that has no data, a duplicate workbook, nothing
    written because the file is open. `level` is "info" or "warning"."""

    code: str
    message: str
    level: str = "info"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "level": self.level, "message": self.message}


@dataclass
class Evaluation:
    """Everything the engine concluded about one unit, before any write."""

    unit: str
    tabs: dict[str, TabData]
    bound: dict[str, BoundTab]
    findings: pd.DataFrame
    scores: Scores | None
    months: list[str]
    profile: Profile
    as_of: pd.Timestamp
    month_filter: list[str] | None = None
    weekly: pd.DataFrame | None = None  # per task: its latest weekly report (engine.weekly.LATEST_COLUMNS)
    plans: PlanReport | None = None  # planned/ad-hoc per task, people without a plan, open feedback
    parts: dict[str, MonthPart] = field(default_factory=dict)  # per scored month, for reuse by a later run

    def rows_with(self, severity: str, findings: pd.DataFrame | None = None) -> int:
        """Rows whose worst finding is `severity`."""
        return rows_by_worst(self.findings if findings is None else findings).get(severity, 0)

    @property
    def error_count(self) -> int:
        return int((self.findings["severity"] == ERROR).sum())

    @property
    def warning_count(self) -> int:
        return int((self.findings["severity"] == WARNING).sum())

    def month_summaries(self) -> dict[str, dict]:
        """Per scored month: roster size, people rated, ratings, quota, every scored person."""
        out: dict[str, dict] = {}
        if self.scores is None:
            return out
        for m, ms in self.scores.months.items():
            people = ms.people[ms.people["scored"]]
            out[m] = {
                "people_on_roster": int(len(ms.roster)),
                "rated": int(sum(ms.counts.values())),
                "ratings": {k: int(v) for k, v in ms.counts.items()},
                "quota": [dict(q) for q in ms.quota],
                "scores": person_dicts(people),
            }
        return out

    def staff_ids(self) -> list[str]:
        """The `Mã cán bộ` of the unit's roster rows, as written."""
        staff = self.tabs.get("staff")
        if staff is None or "staff_id" not in staff.values:
            return []
        return [str(s) for s in staff.values.loc[staff.rows, "staff_id"].dropna().astype(str).unique()]

    def month_of_findings(self, findings: pd.DataFrame | None = None) -> pd.Series:
        """The month of each finding's row (None for a finding on no row or on a tab without
        months), looked up tab by tab: a year has a hundred thousand findings."""
        f = self.findings if findings is None else findings
        out = np.full(len(f), None, dtype=object)
        for tab in self.tabs.values():
            mf = tab.schema.month_field
            if not mf or mf not in tab.values:
                continue
            col = tab.values[mf].dropna().astype(str)
            here = (f["tab"] == tab.title).to_numpy(dtype=bool) & f["row"].notna().to_numpy(dtype=bool)
            if here.any():
                months = col.reindex(f.loc[here, "row"].astype("int64").to_numpy())
                out[here] = [m if isinstance(m, str) else None for m in months.tolist()]
        return pd.Series(out, index=f.index, dtype=object)

    def findings_in(self, months: list[str] | None) -> pd.DataFrame:
        """The unit's findings, less those on rows of months other than the ones asked for."""
        f = self.findings
        if not months:
            return f
        keep = pd.Series(True, index=f.index)
        for tab in self.tabs.values():
            mf = tab.schema.month_field
            if not mf or mf not in tab.values:
                continue
            month_of = tab.values[mf]
            other_rows = set(month_of.index[month_of.notna() & ~month_of.isin(months)])
            keep &= ~((f["tab"] == tab.title) & f["row"].isin(other_rows))
        return f[keep]


@dataclass
class RecordedEvaluation:
    """A unit's last evaluation as the store kept it, shown again when the unit has not changed
    since (see `sheetsync.service.reuse`): the findings, counts and scores an `Evaluation` shows,
    without the tabs and frames behind them. Forms and status always evaluate afresh."""

    unit: str
    findings: pd.DataFrame  # Evaluation.findings plus "month": the month of the finding's row
    months: list[str]
    summaries: dict[str, dict]
    staff: list[str]
    as_of: pd.Timestamp
    month_filter: list[str] | None = None
    scores = None
    tabs: dict = field(default_factory=dict)

    error_count = Evaluation.error_count
    warning_count = Evaluation.warning_count

    def month_summaries(self) -> dict[str, dict]:
        return self.summaries

    rows_with = Evaluation.rows_with

    def staff_ids(self) -> list[str]:
        return list(self.staff)

    def findings_in(self, months: list[str] | None) -> pd.DataFrame:
        f = self.findings
        if months:
            f = f[f["month"].isna() | f["month"].isin(months)]
        return f.drop(columns="month")


@dataclass
class UnitResult:
    """One unit's run: its evaluation (when it could be read), what was written, what failed."""

    unit: str
    source: str
    key: str = ""  # stable identity: the workbook's resolved path or gsheet:<id>
    evaluation: Evaluation | RecordedEvaluation | None = None
    plan: WritePlan | None = None
    written: bool = False
    write_info: dict = field(default_factory=dict)
    error: SheetsyncError | None = None  # the unit could not be read, checked or written
    record_error: SheetsyncError | None = None  # written, but the history store could not record it
    seconds: dict = field(default_factory=dict)
    freeze: FreezeReport | None = None
    notices: list[Notice] = field(default_factory=list)
    duplicate_of: str | None = None  # another unit of the run with the same name: left out of forms and store
    reused: bool = False  # unchanged since its last sync: the recorded result, nothing re-evaluated
    unread: bool = False  # reused without even reading the workbook: its package was byte for byte the same

    @property
    def ok(self) -> bool:
        return self.error is None and self.evaluation is not None and self.evaluation.error_count == 0

    def to_dict(self, months: list[str] | None = None, with_findings: bool = True) -> dict:
        d: dict = {"unit": self.unit, "source": self.source, "key": self.key,
                   "error": self.error.to_dict() if self.error else None,
                   "record_error": self.record_error.to_dict() if self.record_error else None,
                   "written": self.written, "duplicate_of": self.duplicate_of, "reused": self.reused,
                   "notices": [n.to_dict() for n in self.notices],
                   "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}
        ev = self.evaluation
        if ev is None:
            return d
        f = ev.findings_in(months)
        d.update({
            "errors": int((f["severity"] == ERROR).sum()),
            "warnings": int((f["severity"] == WARNING).sum()),
            "error_rows": ev.rows_with(ERROR, f),
            "warning_rows": ev.rows_with(WARNING, f),
            "cells_written": self.plan.cell_count if (self.plan and self.written) else 0,
            "summary_rewritten": bool(self.plan and self.plan.summary is not None and self.written),
            "write": self.write_info,
        })
        d["months"] = ev.month_summaries()
        if self.freeze is not None:
            d["freeze"] = self.freeze.to_dict()
        if with_findings:
            d["findings"] = [{k: plain(v) for k, v in rec.items()} for rec in f.to_dict("records")]
        return d


def person_dict(row: pd.Series) -> dict:
    """One scored person's month as `--json` and the web pages show it."""
    out = {k: plain(row.get(k)) for k in PERSON_FIELDS}
    out["row"] = int(row.name)
    return out


def rows_by_worst(findings: pd.DataFrame) -> dict[str, int]:
    """How many rows (tab and row) have each severity as their worst finding, as `worst_by`
    ranks them (an error over a warning over anything else, which counts as valid), counted on
    sets rather than by a groupby: a year's workbook has a hundred thousand findings, and the
    summary tab and every printed result ask for two of the counts."""
    f = findings[findings["row"].notna()]
    keys = list(zip(f["tab"].tolist(), f["row"].tolist()))
    severities = f["severity"].tolist()
    errors = {k for k, s in zip(keys, severities) if s == ERROR}
    warnings = {k for k, s in zip(keys, severities) if s == WARNING} - errors
    return {ERROR: len(errors), WARNING: len(warnings), VALID: len(set(keys) - errors - warnings)}


def person_dicts(people: pd.DataFrame) -> list[dict]:
    """`person_dict` of every row of `people`, built column by column (a year has thousands)."""
    n = len(people)
    columns = [_plain_column(people[k]) if k in people.columns else [None] * n for k in PERSON_FIELDS]
    return [{**dict(zip(PERSON_FIELDS, values)), "row": r}
            for r, values in zip(people.index.astype("int64").tolist(), zip(*columns))]


def _plain_column(col: pd.Series) -> list:
    """`plain` of every value of a column; a float column without a per-value call."""
    if col.dtype == "float64":
        return [None if x != x else x for x in col.tolist()]
    return [plain(v) for v in col.tolist()]


@dataclass
class RunResult:
    """A validate or sync over one or more units."""

    mode: str  # "validate" | "sync" | "report"
    units: list[UnitResult]
    profile: Profile
    as_of: pd.Timestamp
    months: list[str] | None
    ward: WardConfig | None = None
    problems: list[SheetsyncError] = field(default_factory=list)  # the run itself could not start
    notices: list[Notice] = field(default_factory=list)  # about the ward as a whole

    @property
    def exit_code(self) -> int:
        if self.problems or any(u.error or u.record_error for u in self.units):
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
            "problems": [p.to_dict() for p in self.problems],
            "notices": [n.to_dict() for n in self.notices],
            "units": [u.to_dict(self.months, with_findings) for u in self.units],
        }
