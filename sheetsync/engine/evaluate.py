"""The engine's one entry point: a unit's tabs in, findings, scores and the write plan out.

`evaluate` is pure (grids in, results out) so every backend shares it; the service layer
(`sheetsync.service`) adds the backend's read and write and the history store around it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from datetime import date, datetime

import numpy as np
import pandas as pd

from sheetsync.config.profile import Profile, round_half_up
from sheetsync.config.schema import Schemas
from sheetsync.engine.alignment import link_key_results
from sheetsync.engine.findings import ERROR, VALID, WARNING, Findings, worst_by
from sheetsync.engine.grid import BoundTab, SheetGrid, bind_tab, find_tab
from sheetsync.engine.messages import message, severity_label
from sheetsync.engine.plans import assess
from sheetsync.engine.schedule import check_schedule
from sheetsync.engine.scoring import (
    MonthPart,
    Scores,
    month_fingerprints,
    month_from_part,
    roster_of,
    score_month,
    score_okr,
    score_tasks,
    task_row_findings,
    unscored_task_months,
)
from sheetsync.engine.summary import build_summary
from sheetsync.engine.validate import TabChecker, TabData, check_references, check_tree
from sheetsync.engine.weekly import check_weekly, stale_tasks, task_progress
from sheetsync.engine.writeplan import WritePlan, diff_tab, summary_differs
from sheetsync.results import Evaluation
from sheetsync.text import normalize_key


def _as_timestamp(as_of: date | str | None) -> pd.Timestamp:
    if as_of is None:
        return pd.Timestamp(date.today())
    return pd.Timestamp(as_of).normalize()


def _config_print(schemas: Schemas, profile: Profile) -> str:
    """The effective schemas and profile as text (where they were loaded from left out)."""
    content = [{k: v for k, v in vars(o).items() if k != "source"} for o in (schemas, profile)]
    return hashlib.sha256(repr(content).encode()).hexdigest()


def evaluate(grids: dict[str, SheetGrid], schemas: Schemas, profile: Profile, *, as_of=None,
             unit: str = "", exceptional: bool = False, months: list[str] | None = None,
             reuse: Mapping[str, MonthPart] | None = None, parts: bool = True) -> Evaluation:
    """Validate and score one unit's tabs. `months` limits scoring (default: every month
    that has evaluation rows). `reuse` offers parts of an earlier evaluation (month → part, see
    `Evaluation.parts`): a month whose scoring inputs have the part's fingerprint takes it
    instead of being scored again; every other month is scored. Validation always covers
    every row, so checks across months (keys, references) see the whole workbook. With
    `parts=False` (a caller with nowhere to keep them: no history store) `Evaluation.parts`
    stays empty and the months' fingerprints are not worked out."""
    as_of_ts = _as_timestamp(as_of)
    schemas = schemas.with_overrides(profile.field_overrides).with_ratings(profile.scale)
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

    for tab in tabs.values():
        targets = {}
        for f in tab.schema.input_fields:
            if f.ref:
                targets[f.ref["tab"]] = (tabs.get(f.ref["tab"]), f.ref["field"])
        check_references(tab, targets, findings)
    parent = check_tree(tabs["staff"], findings) if "staff" in tabs else {}
    weekly = None
    if "weekly" in tabs:
        weekly = check_weekly(tabs["weekly"], tabs.get("tasks"), as_of_ts, findings)
        if "tasks" in tabs:
            stale_tasks(tabs["tasks"], weekly, profile, as_of_ts, findings)
    if "schedule" in tabs:
        check_schedule(tabs["schedule"], findings)

    plans = None
    if "tasks" in tabs:
        plans = assess(tabs["tasks"], tabs.get("staff"), tabs.get("evaluations"), profile, as_of_ts, findings,
                       months)

    scores = None
    scored_months: list[str] = []
    kept: dict[str, MonthPart] = {}
    links = None
    if "tasks" in tabs and "kr_id" in tabs["tasks"].values and "okr" not in tabs:
        link_key_results(tabs["tasks"], None, None, None, tabs.get("staff"), findings)
    if {"staff", "tasks", "evaluations"} <= set(tabs):
        ts = score_tasks(tabs["tasks"], tabs.get("catalogue"), profile)
        task_row_findings(tabs["tasks"], ts, findings, as_of_ts)
        if "okr" in tabs:
            progress = task_progress(tabs["tasks"], weekly)["progress"]
            links = link_key_results(tabs["tasks"], tabs["okr"], ts.frame["A"], progress, tabs.get("staff"),
                                     findings)
        ev = tabs["evaluations"]
        present = sorted({m for m in ev.values.get("month", pd.Series(dtype=object)).dropna().unique()})
        scored_months = [m for m in present if months is None or m in months]
        prints = month_fingerprints(scored_months, tabs["staff"], ev, ts, parent, profile, as_of_ts, exceptional,
                                    _config_print(schemas, profile)) if parts or reuse else {}
        roster = roster_of(tabs["staff"]) if reuse else None
        month_scores = {}
        for m in scored_months:
            fp = prints.get(m, "")
            part = (reuse or {}).get(m)
            if part is not None and part.fingerprint == fp:
                part = dataclasses.replace(part, reused=True)  # the offered part itself is left as given
                month_scores[m] = month_from_part(m, tabs["staff"], part, roster)
            else:
                mine = Findings()
                month_scores[m] = score_month(m, tabs["staff"], ev, ts, parent, profile, as_of_ts, mine, exceptional)
                part = MonthPart(fp, month_scores[m].people, month_scores[m].quota, month_scores[m].counts, mine)
            findings.extend(part.findings)
            if parts:
                kept[m] = part
        per_row = [ms.people for ms in month_scores.values()]
        evals_out = pd.concat(per_row) if per_row else pd.DataFrame()
        if months is None:
            unscored_task_months(ts, scored_months, profile, as_of_ts, tabs["tasks"], findings)
        okr = score_okr(tabs["okr"], profile, findings, as_of_ts, links) if "okr" in tabs else None
        scores = Scores(ts, month_scores, evals_out, okr)
    return Evaluation(unit, tabs, bound, findings.frame(), scores, scored_months, profile, as_of_ts, months,
                      weekly=weekly, plans=plans, parts=kept)


def engine_values(ev: Evaluation, settled: Mapping[str, pd.Index] | None = None) -> dict[str, pd.DataFrame]:
    """What every engine cell of every tab should hold. `settled` (tab → rows) leaves out rows
    known to hold it already (see `plan_writes`)."""
    out: dict[str, pd.DataFrame] = {}
    f = ev.findings[ev.findings["row"].notna()]
    for name, tab in ev.tabs.items():
        keys = [fl.key for fl in tab.schema.engine_fields]
        if not keys:
            continue
        skip = (settled or {}).get(name)

        def kept(index: pd.Index, skip=skip) -> pd.Index:
            return index if skip is None or not len(skip) else index[~index.isin(skip)]

        idx = kept(tab.values.index.union(tab.raw_engine.index))
        want = pd.DataFrame(index=idx, columns=keys, dtype=object)
        for k in keys:
            if tab.schema.field(k).type == "number":
                want[k] = want[k].astype("float64")
        rows = kept(tab.rows)
        mine = f[f["tab"] == tab.title]
        if skip is not None and len(skip):
            mine = mine[~mine["row"].isin(skip).to_numpy(dtype=bool)]
        if "check_status" in keys:
            status = worst_by(mine, "row")
            want.loc[rows, "check_status"] = status.reindex(rows).fillna(VALID).map(severity_label).to_numpy()
        if "check_notes" in keys:
            want.loc[rows, "check_notes"] = _notes(mine, tab).reindex(rows).to_numpy()
        if name == "tasks" and "plan_kind" in keys and ev.plans is not None:
            kinds = ev.plans.kinds
            kinds = kinds[kinds.index.isin(idx)]
            want.loc[kinds.index, "plan_kind"] = kinds.to_numpy()
        if ev.scores is not None:
            if name == "tasks":
                tf = ev.scores.tasks.frame
                tf = tf[tf.index.isin(idx)]
                for k, c in (("conv_assigned", "A"), ("conv_done", "D"), ("conv_quality", "Q"), ("conv_timely", "T")):
                    if k in keys:
                        want.loc[tf.index, k] = round_half_up(tf[c].to_numpy(dtype="float64"), ev.profile.rounding)
            if name == "evaluations":
                p = ev.scores.evaluations
                p = p[p.index.isin(idx)]
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
                okr = ev.scores.okr
                okr = okr[okr.index.isin(idx)]
                for k in ("attainment", "kr_status", "task_progress", "alignment"):
                    if k in keys and k in okr:
                        want.loc[okr.index, k] = okr[k].to_numpy()
        out[name] = want
    return out


_CELL_COLUMN = re.compile(r"^([A-Z]+)")


def _notes(findings: pd.DataFrame, tab: TabData) -> pd.Series:
    """Per row, its findings as the notes cell shows them: errors first, then warnings, each
    "label [column]: message" on a line. A year's tasks carry ~15,000 findings: plain lists,
    each label and column worked out once."""
    if findings.empty:
        return pd.Series(dtype=object)
    order = {ERROR: 0, WARNING: 1}
    rows, severities = findings["row"].tolist(), findings["severity"].tolist()
    cells, messages = findings["cell"].tolist(), findings["message"].tolist()
    labels: dict = {}
    columns: dict = {}

    # As sort_values(["row", severity order]), stable, unknown severities last in their row.
    ranks = np.array([order.get(v, len(order)) for v in severities])
    per_row: dict = {}
    for i in np.lexsort((ranks, np.asarray(rows, dtype="float64"))).tolist():
        sev, cell = severities[i], cells[i]
        label = labels.get(sev)
        if label is None:
            label = labels[sev] = severity_label(sev)
        col = columns.get(cell)
        if col is None:
            m = _CELL_COLUMN.match(cell) if isinstance(cell, str) else None
            col = columns[cell] = f" [{m.group(1)}]" if m else ""
        per_row.setdefault(rows[i], []).append(f"{label}{col}: {messages[i]}")
    return pd.Series({r: "\n".join(texts) for r, texts in per_row.items()}, dtype=object)


def plan_writes(ev: Evaluation, grids: dict[str, SheetGrid], schemas: Schemas, now: datetime | None = None,
                settled: Mapping[str, pd.Index] | None = None) -> WritePlan:
    """The cells, row heights and summary tab to write so the sheet shows `ev`.

    `settled` (tab name → rows) names rows the caller knows already hold exactly what `ev`
    wants in their engine cells (the service knows it of the rows of a month read exactly as
    its last sync wrote them, with everything else the month depends on unchanged: see
    `sheetsync.service.reuse.GridText.month_prints`). Their engine values are neither worked
    out nor compared; their heights are still fitted, to the text they hold. The plan is the
    one a call without `settled` makes."""
    plan = WritePlan()
    desired = engine_values(ev, settled)
    for name, want in desired.items():
        b = ev.bound[name]
        tab = ev.tabs[name]
        headers = {fl.key: fl.header for fl in tab.schema.engine_fields}
        keys = b.raw[[k for k in tab.schema.key if k in b.raw.columns]]
        grid = grids.get(b.title)
        patch = diff_tab(b.title, b.header_row, b.columns, b.last_col, tab.schema.key, want,
                         tab.raw_engine, headers, keys, text_fields=tab.schema.engine_fields,
                         layout=grid, settled=(settled or {}).get(name))
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
