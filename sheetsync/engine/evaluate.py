"""One unit's cycle: read → bind → validate → score → plan the write-back → write.

`evaluate` is pure (grids in, results out) so every backend shares it; `run_unit` adds
the backend's read and write around it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import pandas as pd

from sheetsync.engine.findings import ERROR, WARNING, Findings, worst
from sheetsync.engine.grid import BoundTab, SheetGrid, bind_tab, find_tab
from sheetsync.engine.messages import message
from sheetsync.config.profile import Profile, round_half_up
from sheetsync.config.schema import Schemas
from sheetsync.engine.scoring import Scores, score_month, score_okr, score_tasks, task_row_findings, unscored_task_months
from sheetsync.engine.summary import build_summary
from sheetsync.text import normalize_key
from sheetsync.engine.validate import TabChecker, TabData, check_references, check_tree
from sheetsync.engine.writeplan import WritePlan, diff_tab, summary_differs


class Backend(Protocol):
    """What the engine needs from a place where a unit's workbook lives."""

    label: str

    def read(self) -> dict[str, SheetGrid]: ...

    def write(self, plan: WritePlan) -> dict: ...


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

    def rows_with(self, severity: str) -> int:
        f = self.findings
        f = f[f["row"].notna()]
        per_row = f.groupby(["tab", "row"])["severity"].agg(worst)
        return int((per_row == severity).sum())

    @property
    def error_count(self) -> int:
        return int((self.findings["severity"] == ERROR).sum())

    @property
    def warning_count(self) -> int:
        return int((self.findings["severity"] == WARNING).sum())


@dataclass
class UnitResult:
    unit: str
    source: str
    evaluation: Evaluation | None = None
    plan: WritePlan | None = None
    written: bool = False
    write_info: dict = field(default_factory=dict)
    error: str | None = None
    seconds: dict = field(default_factory=dict)
    freeze: object | None = None  # freeze.FreezeReport when a store is in use

    @property
    def ok(self) -> bool:
        return self.error is None and self.evaluation is not None and self.evaluation.error_count == 0


def _as_timestamp(as_of: date | str | None) -> pd.Timestamp:
    if as_of is None:
        return pd.Timestamp(date.today())
    return pd.Timestamp(as_of).normalize()


def evaluate(grids: dict[str, SheetGrid], schemas: Schemas, profile: Profile, *, as_of=None,
             unit: str = "", exceptional: bool = False, months: list[str] | None = None) -> Evaluation:
    """Validate and score one unit's tabs. `months` limits scoring (default: every month
    that has evaluation rows)."""
    as_of_ts = _as_timestamp(as_of)
    schemas = schemas.with_overrides(profile.field_overrides)
    findings = Findings()
    titles = list(grids)
    bound: dict[str, BoundTab] = {}
    tabs: dict[str, TabData] = {}
    for name, schema in schemas.tabs.items():
        title = find_tab(schema, titles)
        if title is None:
            if schema.required:
                findings.add(schema.title, None, "", "error", "tab.missing", message("tab.missing", title=schema.title))
            continue
        b = bind_tab(schema, grids[title], findings)
        if b is None:
            continue
        bound[name] = b
        tabs[name] = TabChecker(schema, b.raw, b.headers, b.columns, findings, title=b.title, blank=b.blank).run()

    for name, tab in tabs.items():
        targets = {}
        for f in tab.schema.input_fields:
            if f.ref:
                targets[f.ref["tab"]] = (tabs.get(f.ref["tab"]), f.ref["field"])
        check_references(tab, targets, findings)
    parent = check_tree(tabs["staff"], findings) if "staff" in tabs else {}

    scores = None
    scored_months: list[str] = []
    if {"staff", "tasks", "evaluations"} <= set(tabs):
        ts = score_tasks(tabs["tasks"], tabs.get("catalogue"), profile)
        task_row_findings(tabs["tasks"], ts, findings)
        ev = tabs["evaluations"]
        present = sorted({m for m in ev.values.get("month", pd.Series(dtype=object)).dropna().unique()})
        scored_months = [m for m in present if months is None or m in months]
        month_scores = {m: score_month(m, tabs["staff"], ev, ts, parent, profile, as_of_ts, findings, exceptional)
                        for m in scored_months}
        per_row = [ms.people for ms in month_scores.values()]
        evals_out = pd.concat(per_row) if per_row else pd.DataFrame()
        if months is None:
            unscored_task_months(ts, scored_months, profile, as_of_ts, tabs["tasks"], findings)
        okr = score_okr(tabs["okr"], profile, findings, as_of_ts) if "okr" in tabs else None
        scores = Scores(ts, month_scores, evals_out, okr)
    return Evaluation(unit, tabs, bound, findings.frame(), scores, scored_months, profile, as_of_ts, months)


def engine_values(ev: Evaluation) -> dict[str, pd.DataFrame]:
    """What every engine cell of every tab should hold."""
    out: dict[str, pd.DataFrame] = {}
    f = ev.findings[ev.findings["row"].notna()]
    for name, tab in ev.tabs.items():
        keys = [fl.key for fl in tab.schema.engine_fields]
        if not keys:
            continue
        idx = tab.values.index.union(tab.raw_engine.index)
        want = pd.DataFrame(index=idx, columns=keys, dtype=object)
        for k in keys:
            if tab.schema.field(k).type == "number":
                want[k] = want[k].astype("float64")
        rows = tab.rows
        mine = f[f["tab"] == tab.title]
        if "check_status" in keys:
            status = mine.groupby("row")["severity"].agg(worst)
            want.loc[rows, "check_status"] = status.reindex(rows).fillna("Hợp lệ").to_numpy()
        if "check_notes" in keys:
            want.loc[rows, "check_notes"] = _notes(mine, tab).reindex(rows).to_numpy()
        if ev.scores is not None:
            if name == "tasks":
                tf = ev.scores.tasks.frame
                for k, c in (("conv_assigned", "A"), ("conv_done", "D"), ("conv_quality", "Q"), ("conv_timely", "T")):
                    if k in keys:
                        want.loc[tf.index, k] = round_half_up(tf[c].to_numpy(dtype="float64"), ev.profile.rounding)
            if name == "evaluations":
                p = ev.scores.evaluations
                for k in keys:
                    if k in p.columns and len(p):
                        want.loc[p.index, k] = p[k].to_numpy()
                if ev.month_filter:
                    # Rows of months not asked for keep whatever scores they show.
                    others = rows.difference(p.index)
                    for k in keys:
                        if k not in ("check_status", "check_notes") and k in tab.raw_engine:
                            cur = tab.raw_engine[k].reindex(others)
                            if want[k].dtype == "float64":
                                cur = pd.to_numeric(cur, errors="coerce")
                            want.loc[others, k] = cur.to_numpy()
            if name == "okr" and ev.scores.okr is not None:
                for k in ("attainment", "kr_status"):
                    if k in keys:
                        want.loc[ev.scores.okr.index, k] = ev.scores.okr[k].to_numpy()
        out[name] = want
    return out


def _notes(findings: pd.DataFrame, tab: TabData) -> pd.Series:
    if findings.empty:
        return pd.Series(dtype=object)
    order = {ERROR: 0, WARNING: 1}
    f = findings.assign(_o=findings["severity"].map(order),
                        _c=findings["cell"].fillna("").str.extract(r"^([A-Z]+)", expand=False).fillna(""))
    f = f.sort_values(["row", "_o"], kind="stable")
    lines = f["severity"] + f["_c"].map(lambda c: f" [{c}]" if c else "") + ": " + f["message"]
    return lines.groupby(f["row"]).agg("\n".join)


def plan_writes(ev: Evaluation, grids: dict[str, SheetGrid], schemas: Schemas, now: datetime | None = None) -> WritePlan:
    plan = WritePlan()
    desired = engine_values(ev)
    for name, want in desired.items():
        b = ev.bound[name]
        tab = ev.tabs[name]
        headers = {fl.key: fl.header for fl in tab.schema.engine_fields}
        keys = b.raw[[k for k in tab.schema.key if k in b.raw.columns]]
        patch = diff_tab(b.title, b.header_row, b.columns, b.last_col, tab.schema.key, want,
                         tab.raw_engine, headers, keys)
        if patch:
            plan.patches.append(patch)
    summary = build_summary(ev, schemas, now or datetime.now())
    existing = next((t for t in grids if _same_title(t, schemas.summary_title)), None)
    if existing is not None:
        summary.title = existing
    current = grids[existing].rows if existing is not None else None
    if summary_differs(summary, current):
        plan.summary = summary
    return plan


def _same_title(a: str, b: str) -> bool:
    return normalize_key(a) == normalize_key(b)


def run_unit(backend: Backend, schemas: Schemas, profile: Profile, *, unit: str | None = None, as_of=None,
             months: list[str] | None = None, write: bool = True, exceptional: bool = False,
             store=None, record: bool = False) -> UnitResult:
    """Validate and score one unit, and (with write=True) bring its engine cells up to date.

    With a `store`, approved months recorded there are frozen: edits to them are reported and
    their recorded scores are what the sheet keeps showing; with `record`, the unit's months are
    recorded after the write (one transaction)."""
    name = unit or backend.label
    result = UnitResult(unit=name, source=backend.label)
    t0 = time.perf_counter()
    grids = backend.read()
    if unit is None or unit == backend.label:
        # A bare source (a file or gsheet:<id>): the spreadsheet's own title names the unit.
        name = getattr(backend, "title", None) or name
        result.unit = name
    t1 = time.perf_counter()
    ev = evaluate(grids, schemas, profile, as_of=as_of, unit=name, exceptional=exceptional, months=months)
    if store is not None:
        from sheetsync.history.freeze import apply_freeze

        result.freeze = apply_freeze(store, name, ev)
    t2 = time.perf_counter()
    result.evaluation = ev
    result.plan = plan_writes(ev, grids, schemas)
    t3 = time.perf_counter()
    if write and result.plan:
        result.write_info = backend.write(result.plan) or {}
        result.written = True
    if hasattr(backend, "requests"):  # API backends count their requests, reads included
        result.write_info = {**result.write_info, "requests": backend.requests}
    t4 = time.perf_counter()
    if store is not None and record:
        store.record_unit(name, backend.label, ev, run_kind="sync")
    t5 = time.perf_counter()
    result.seconds = {"read": t1 - t0, "check_and_score": t2 - t1, "plan": t3 - t2, "write": t4 - t3,
                      "record": t5 - t4}
    return result
