"""The engine-owned `Tổng hợp` tab: per month, one row per person with every score, then the
unit's counts per rating and the quota check; at the top, the state of the checks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sheetsync.config.schema import Schemas
from sheetsync.domain.calendar import month_label
from sheetsync.engine.alignment import staff_labels
from sheetsync.engine.findings import ERROR, WARNING
from sheetsync.engine.messages import severity_label
from sheetsync.engine.writeplan import SummaryCell, SummaryTab
from sheetsync.results import rows_by_worst
from sheetsync.text import normalize_key

if TYPE_CHECKING:
    from sheetsync.results import Evaluation


SUMMARY_TITLE = "TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI HẰNG THÁNG"
_UNIT_SEPARATOR = " — "


def _missing(v) -> bool:
    """`pd.isna` of one cell, with the common cases (text, numbers) answered without it: a year's
    summary has tens of thousands of cells."""
    if v is None:
        return True
    if isinstance(v, (str, bool, int)):
        return False
    if isinstance(v, float):
        return v != v
    return bool(pd.isna(v))


def summary_title(unit: str) -> str:
    """The first line of the summary tab; it names the unit, so a Google sheet carries the name
    `init` gave it (a file's name or a sheet's title may say something else)."""
    return SUMMARY_TITLE + (f"{_UNIT_SEPARATOR}{unit}" if unit else "")


def unit_in_summary(grids: dict, summary_title_text: str) -> str | None:
    """The unit named on the summary tab's first line, if the workbook has one."""
    tab = next((t for t in grids if normalize_key(t) == normalize_key(summary_title_text)), None)
    rows = grids[tab].rows if tab is not None else []
    first = rows[0][0] if rows and rows[0] else None
    if isinstance(first, str) and first.startswith(SUMMARY_TITLE + _UNIT_SEPARATOR):
        return first[len(SUMMARY_TITLE + _UNIT_SEPARATOR):].strip() or None
    return None


def build_summary(ev: Evaluation, schemas: Schemas, now: datetime) -> SummaryTab:
    profile = ev.profile
    cols = [c for c in schemas.summary_columns if not (c.profile_bonus_only and not profile.bonus_field)]
    width = len(cols)
    grid: list[list[SummaryCell]] = []

    def line(*cells: SummaryCell) -> None:
        row = list(cells) + [SummaryCell(None)] * (width - len(cells))
        grid.append(row)

    line(SummaryCell(summary_title(ev.unit), "title"))
    line(SummaryCell(f"Cập nhật lúc {now:%H:%M %d/%m/%Y}; tính hạn đến ngày {ev.as_of:%d/%m/%Y}; "
                     f"bộ tiêu chí: {profile.title}. Trang này do hệ thống ghi lại mỗi lần đồng bộ, không sửa tay.",
                     "muted"))
    worst = rows_by_worst(ev.findings)
    err_rows, warn_rows = worst[ERROR], worst[WARNING]
    line(SummaryCell(f"Kết quả kiểm tra: {err_rows} hàng có lỗi, {warn_rows} hàng có cảnh báo",
                     "error" if err_rows else ("warning" if warn_rows else "bold")))
    general = ev.findings[ev.findings["row"].isna()]
    for rec in general.itertuples():
        line(SummaryCell(f"{severity_label(rec.severity)} — {rec.tab}: {rec.message}",
                         "error" if rec.severity == ERROR else "warning"))
    line()

    # The ratings table sits under the person table: its label runs over columns A–C (empty to
    # the right), the count and share go under the first score columns.
    count_col = next((i for i, c in enumerate(cols) if c.style == "number"), 3)
    scores = ev.scores
    weekly = _weekly_by_month(ev, list(scores.months)) if scores is not None else {}
    all_stats = _all_plan_stats(ev)
    names = _names(ev)
    # Plans of months not scored yet (early in a month, before anyone is evaluated).
    for month in _unscored_plan_months(ev):
        for text, style in _plan_lines(ev, month, {}, names):
            line(SummaryCell(f"Tháng {month_label(month)} — {text}", style))
    if scores is None or not scores.months:
        line(SummaryCell("Chưa có tháng nào để tổng hợp (trang Đánh giá tháng chưa có hàng hợp lệ).", "muted"))
    else:
        for month in sorted(scores.months, reverse=True):
            ms = scores.months[month]
            line(SummaryCell(f"Tháng {month_label(month)}", "title"))
            grid.append([SummaryCell(c.header, "header") for c in cols])
            roster = ms.roster
            stats = _plan_stats(ev, month, all_stats)
            grid.extend(_person_rows(roster, stats, cols))
            line()
            rated = sum(ms.counts.values())

            def table_row(label, count, share, label_style="text", num_style=("int", "number")):
                cells = [SummaryCell(None)] * width
                cells[0] = SummaryCell(label, label_style)
                cells[count_col] = SummaryCell(count, num_style[0] if count is not None else "text")
                cells[count_col + 1] = SummaryCell(share, num_style[1] if share is not None else "text")
                grid.append(cells)

            table_row("Xếp loại", "Số người", "Tỷ lệ (%)", "bold", ("bold", "bold"))
            for rating in profile.ratings:
                n = int(ms.counts.get(rating, 0))
                table_row(rating, n, round(100 * n / rated, 2) if rated else None)
            table_row("Chưa đánh giá", int(len(roster) - rated), None)
            for q in ms.quota:
                text = q.get("message") or (f"Tỷ lệ {q['rating']} trong {q['label']}: {q['count']} người, "
                                            f"tối đa {q['limit']}: đạt yêu cầu.")
                line(SummaryCell(text, "warning" if q["exceeded"] else "text"))
            for text, style in _weekly_lines(weekly.get(month, []), month):
                line(SummaryCell(text, style))
            for text, style in _plan_lines(ev, month, stats, names):
                line(SummaryCell(text, style))
            line()
    widths = [c.width for c in cols]
    return SummaryTab(schemas.summary_title, grid, widths, volatile_rows=(1,))


def _person_rows(roster: pd.DataFrame, stats: dict[str, dict], cols: list) -> list[list[SummaryCell]]:
    """One row per person of the month's roster, built column by column (a year's summary has
    2,400 of them): a person's plan figures (`stats`, by `_id`) win over the roster's."""
    n = len(roster)
    ids = roster["_id"].tolist() if "_id" in roster else [None] * n
    entries = [stats.get(i, _NO_TASKS) for i in ids]
    blank = SummaryCell(None)

    def values(key: str) -> tuple[list, list[bool]]:
        """The column's values as Python values, and where they are missing."""
        if key in roster:
            arr = roster[key].to_numpy()
            missing = pd.isna(arr).tolist()
            vals = [_native(v) for v in arr] if arr.dtype == object else arr.tolist()
        else:
            vals, missing = [None] * n, [True] * n
        if any(key in e for e in entries):
            vals = [e[key] if key in e else v for e, v in zip(entries, vals)]
            missing = [_missing(v) for v in vals]
        return vals, missing

    columns = []
    for c in cols:
        if c.key == "notes":
            rows, _ = values("evaluation_row")
            provisional, _ = values("provisional")
            vals = [_person_note({"evaluation_row": e, "provisional": p}) for e, p in zip(rows, provisional)]
            missing = [v is None for v in vals]
        else:
            vals, missing = values(c.key)
        columns.append([blank if m else SummaryCell(v, c.style) for v, m in zip(vals, missing)])
    return [list(row) for row in zip(*columns)] if columns else [[] for _ in range(n)]


def _native(v):
    """A numpy scalar as the Python value it holds (what `to_dict` gives)."""
    return v.item() if isinstance(v, np.generic) else v


def _weekly_by_month(ev: Evaluation, months: list[str]) -> dict[str, list[dict]]:
    """Weekly reports missing or late, per month (none when the unit keeps no weekly reports)."""
    from sheetsync.engine.weekly import weekly_report_items

    if "weekly" not in ev.tabs or not months:
        return {}
    out: dict[str, list[dict]] = {}
    for it in weekly_report_items(ev, months, ev.as_of, ev.profile):
        out.setdefault(it["month"], []).append(it)
    return out


def _weekly_lines(items: list[dict], month: str) -> list[tuple[str, str]]:
    """A heading and one line per person with missing or late weekly reports in the month."""
    if not items:
        return []
    per: dict[tuple[str, str], dict[str, list[str]]] = {}
    for it in items:
        per.setdefault((it["staff_id"], it["full_name"]), {"weekly-missing": [], "weekly-late": []})[it["code"]].append(
            str(int(it["week"][6:8])))
    out = [(f"Báo cáo tuần tháng {month_label(month)}: {sum(len(v['weekly-missing']) for v in per.values())} "
            f"báo cáo thiếu, {sum(len(v['weekly-late']) for v in per.values())} báo cáo trễ hạn", "bold")]
    for (sid, name), v in sorted(per.items()):
        parts = []
        if v["weekly-missing"]:
            parts.append(f"thiếu {len(v['weekly-missing'])} (tuần {', '.join(v['weekly-missing'])})")
        if v["weekly-late"]:
            parts.append(f"trễ {len(v['weekly-late'])} (tuần {', '.join(v['weekly-late'])})")
        out.append((f"{sid} {name}".strip() + ": " + "; ".join(parts), "warning"))
    return out


_NO_TASKS = {"planned_tasks": 0, "planned_weight": 0.0, "adhoc_tasks": 0, "adhoc_weight": 0.0}


def _all_plan_stats(ev: Evaluation) -> dict:
    from sheetsync.engine.plans import plan_stats

    if ev.plans is None or ev.scores is None:
        return {}
    return plan_stats(ev.plans.kinds, ev.scores.tasks.frame)


def _plan_stats(ev: Evaluation, month: str, every: dict) -> dict[str, dict]:
    """Per person (normalised code): the month's planned and ad-hoc tasks and converted weight."""
    from sheetsync.config.profile import round_half_up

    st = every.get(month)
    if st is None or st.empty:
        return {}
    # As `to_dict("index")` gives it (Python values), built from column lists: twelve months of
    # a year's unit each ask for it.
    columns = {c: (round_half_up(st[c].to_numpy(dtype="float64"), ev.profile.rounding)
                   if c in ("planned_weight", "adhoc_weight") else st[c].to_numpy()).tolist() for c in st.columns}
    return {k: dict(zip(columns, values)) for k, values in zip(st.index.tolist(), zip(*columns.values()))}


def _unscored_plan_months(ev: Evaluation) -> list[str]:
    if ev.plans is None:
        return []
    fb = ev.plans.feedback
    months = set(ev.plans.missing) | (set(fb.loc[fb["escalated"].astype(bool), "month"].dropna()) if len(fb) else set())
    scored = set(ev.scores.months) if ev.scores is not None else set()
    return sorted(months - scored, reverse=True)


def _plan_lines(ev: Evaluation, month: str, stats: dict[str, dict], names: dict[str, str]) -> list[tuple[str, str]]:
    """The month's ad-hoc share, people without a planned task, feedback unanswered too long."""
    from sheetsync.config.profile import round_half_up
    from sheetsync.engine.validate import _num

    if ev.plans is None:
        return []
    out = []
    planned = sum(v["planned_weight"] for v in stats.values())
    adhoc = sum(v["adhoc_weight"] for v in stats.values())
    if planned + adhoc > 0:
        share = round_half_up(100 * adhoc / (planned + adhoc), 1)
        out.append((f"Kế hoạch tháng {month_label(month)}: quy đổi trong kế hoạch {_num(round_half_up(planned, 2))}, "
                    f"phát sinh {_num(round_half_up(adhoc, 2))} ({_num(share)}% khối lượng là việc phát sinh)", "bold"))
    missing = ev.plans.missing.get(month, [])
    if missing:
        day = ev.plans.plan_days[month]
        who = ", ".join(names.get(normalize_key(s), s) for s in missing)
        out.append((f"Chưa có nhiệm vụ trong kế hoạch (giao đến ngày {day:%d/%m/%Y}): {len(missing)} người — {who}",
                    "warning"))
    fb = ev.plans.feedback
    late = fb[(fb["month"] == month) & fb["escalated"].astype(bool)] if len(fb) else fb
    if len(late):
        out.append((f"Phản hồi nhiệm vụ chưa rõ, quá {ev.plans.escalate_after} ngày chưa được trả lời: "
                    f"{len(late)}", "warning"))
        for r in late.itertuples():
            owner = names.get(normalize_key(r.owner), r.owner) if isinstance(r.owner, str) else ""
            manager = (", quản lý trực tiếp " + names.get(normalize_key(r.manager), r.manager)
                       if isinstance(r.manager, str) else "")
            what = " — ".join(x for x in (r.kind, r.text) if isinstance(x, str))
            out.append((f"{r.task_id} ({owner}{manager}): {what}; phản hồi ngày {r.date:%d/%m/%Y}, "
                        f"{int(r.days)} ngày", "warning"))
    return out


def _names(ev: Evaluation) -> dict[str, str]:
    return staff_labels(ev.tabs.get("staff"))


def _person_note(person: dict) -> str | None:
    notes = []
    if pd.isna(person.get("evaluation_row")):
        notes.append("Chưa có hàng đánh giá")
    if person.get("provisional") is True:
        notes.append("Điểm tạm tính")
    return "; ".join(notes) or None
