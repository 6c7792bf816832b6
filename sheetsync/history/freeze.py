"""Approved months are frozen: their record is the truth, a later edit in the sheet is shown, not absorbed.

The rule (see also `Store.record_unit`): a unit's month is *approved* when it has at least one
scored person and every scored person (an evaluation row of the month whose `Mã cán bộ` is on
the roster) has an `Xếp loại được phê duyệt`. The first sync or report that records the month
in that state freezes it on that record. From then on `apply_freeze`, called after `evaluate`
and before `plan_writes`, compares the month's rows in the sheet with the frozen record by row
key: every changed input cell, added row and deleted row becomes a warning (which cell, old and
new value, when first found), and the month's scores in the evaluation are put back to the
recorded ones, so the write-back keeps showing the approved truth. `Store.reopen` lifts the
freeze; the next sync then records the sheet as it is (and freezes it again if still approved).

Months that vanished from the workbook altogether are not reported (an office may archive past
months into another file); their record stays in the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from sheetsync.domain.calendar import month_label
from sheetsync.engine.findings import COLUMNS, WARNING
from sheetsync.engine.scoring import SCORE_COLUMNS, Scores
from sheetsync.history.capture import (
    MONTH_TABS,
    PERSON_RESULT,
    TASK_RESULT,
    digest,
    month_rows,
    row_inputs,
    row_keys,
)
from sheetsync.history.codes import ADDED_CODE, DELETED_CODE, EDIT_CODE, MONTH_CODE
from sheetsync.history.store import Store
from sheetsync.history.store.store import RecordedMonth
from sheetsync.text import shorten

ROW_FIELD = "__row__"  # the `field` under which an added or deleted row is remembered


@dataclass
class Edit:
    """One difference between the sheet and an approved month's record."""

    month: str
    tab: str  # schema name: tasks | evaluations
    title: str  # the tab's title in the workbook
    row: int | None  # sheet row now (None: the row is gone)
    row_key: str
    field: str  # input field key, or ROW_FIELD for an added/deleted row
    header: str
    old: object
    new: object
    found_at: datetime | None = None

    @property
    def kind(self) -> str:
        if self.field != ROW_FIELD:
            return "edit"
        return "added" if self.new == "added" else "deleted"


@dataclass
class FreezeReport:
    """What `apply_freeze` did to one unit's evaluation."""

    unit: str
    frozen: list[str] = field(default_factory=list)  # the unit's frozen months in view
    restored: list[str] = field(default_factory=list)  # months whose scores were put back
    edits: list[Edit] = field(default_factory=list)

    @property
    def edited_months(self) -> list[str]:
        return sorted({e.month for e in self.edits})

    def to_dict(self) -> dict:
        return {"unit": self.unit, "frozen": self.frozen, "restored": self.restored,
                "edits": [{"month": e.month, "tab": e.title, "row": e.row, "key": e.row_key, "kind": e.kind,
                           "column": e.header, "old": e.old, "new": e.new,
                           "found_at": e.found_at.isoformat(timespec="seconds") if e.found_at else None}
                          for e in self.edits]}


# -- texts ---------------------------------------------------------------------------------------

def _when(at: datetime | None) -> str:
    return f"{at:%H:%M} ngày {at:%d/%m/%Y}" if at else "lần này"


def show_value(v: object) -> str:
    """A recorded value as a person reads it: dd/mm/yyyy dates, decimal comma, '(trống)'."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "(trống)"
    if isinstance(v, bool):
        return "Có" if v else "Không"
    if isinstance(v, (int, float)):
        f = float(v)
        text = str(int(f)) if f.is_integer() else f"{f:.6g}"
        return "'" + text.replace(".", ",") + "'"
    text = str(v)
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        return f"'{text[8:]}/{text[5:7]}/{text[:4]}'"
    return "'" + shorten(text, 60) + "'"


def _edit_message(e: Edit) -> str:
    tail = (f" (phát hiện lúc {_when(e.found_at)}). Kết quả tháng giữ theo bản đã phê duyệt; muốn ghi nhận thay đổi, "
            "quản trị viên cần mở lại tháng (sheetsync reopen).")
    if e.kind == "edit":
        return (f"Sửa sau khi tháng {month_label(e.month)} đã được phê duyệt: {e.header} đổi từ {show_value(e.old)} "
                f"thành {show_value(e.new)}" + tail)
    if e.kind == "added":
        return (f"Hàng được thêm vào tháng {month_label(e.month)} sau khi tháng đã được phê duyệt; không được tính "
                "vào kết quả đã phê duyệt" + tail)
    return (f"Hàng {e.header} của tháng {month_label(e.month)} đã bị xoá hoặc đổi mã sau khi tháng đã được phê duyệt"
            + tail)


def _month_message(month: str, frozen_at: datetime | None, edits: list[Edit]) -> str:
    n_edit = sum(e.kind == "edit" for e in edits)
    n_add = sum(e.kind == "added" for e in edits)
    n_del = sum(e.kind == "deleted" for e in edits)
    where: dict[str, list[int]] = {}
    for e in edits:
        if e.row is not None:
            where.setdefault(e.title, [])
            if e.row not in where[e.title]:
                where[e.title].append(e.row)
    places = "; ".join(f"trang {t} hàng {', '.join(map(str, rows[:10]))}" + (" …" if len(rows) > 10 else "")
                       for t, rows in where.items())
    parts = [f"{n} ô bị sửa" for n in [n_edit] if n] + [f"{n} hàng thêm" for n in [n_add] if n] + \
            [f"{n} hàng bị xoá" for n in [n_del] if n]
    locked = f" (khóa lúc {_when(frozen_at)})" if frozen_at else ""
    return (f"Tháng {month_label(month)} đã được phê duyệt{locked} nhưng bảng tính bị sửa sau đó: "
            f"{', '.join(parts)}" + (f" ({places})" if places else "") +
            ". Điểm và xếp loại tháng giữ theo bản đã phê duyệt cho đến khi quản trị viên mở lại tháng.")


# -- comparing -----------------------------------------------------------------------------------

def _key_text(tab, data: dict) -> str:
    keys = [k for k in tab.schema.key if data.get(k) is not None]
    return ", ".join(f"{tab.header(k)} {data[k]}" for k in keys) or "không có mã"


def _compare(ev, month: str, rec: RecordedMonth, keys: dict[str, pd.Series],
             inputs: dict[str, dict[int, dict]]) -> list[Edit]:
    edits: list[Edit] = []
    for name in MONTH_TABS:
        tab = ev.tabs.get(name)
        if tab is None:
            continue
        recorded = {k: v for (t, k), v in rec.rows.items() if t == name}
        key_of = keys[name]
        in_month = set(month_rows(tab, month))
        seen: set[str] = set()
        candidates = key_of[key_of.isin(recorded.keys()) | key_of.index.isin(list(in_month))]
        for r, k in candidates.items():
            if k in recorded:
                seen.add(k)
                old, new = recorded[k]["data"], inputs[name][int(r)]
                for f in sorted(set(old) | set(new), key=lambda x: list(new).index(x) if x in new else 999):
                    a, b = old.get(f), new.get(f)
                    if not _same(a, b):
                        edits.append(Edit(month, name, tab.title, int(r), k, f, tab.header(f), a, b))
            elif r in in_month:
                edits.append(Edit(month, name, tab.title, int(r), k, ROW_FIELD, tab.header(tab.schema.key[0]),
                                  None, "added"))
        for k, v in recorded.items():
            if k not in seen:
                edits.append(Edit(month, name, tab.title, None, k, ROW_FIELD, _key_text(tab, v["data"]),
                                  "present", "deleted"))
    return edits


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    return a == b


def _findings(ev, month: str, edits: list[Edit], frozen_at: datetime | None) -> pd.DataFrame:
    recs = []
    for e in edits:
        tab = ev.tabs[e.tab]
        code = {"edit": EDIT_CODE, "added": ADDED_CODE, "deleted": DELETED_CODE}[e.kind]
        letter = tab.letters.get(e.field if e.kind == "edit" else tab.schema.key[0])
        cell = f"{letter}{e.row}" if letter and e.row is not None else None
        recs.append({"tab": e.title, "row": e.row, "cell": cell, "column": e.header if e.kind != "deleted" else "",
                     "severity": WARNING, "code": code, "message": _edit_message(e), "key": e.row_key})
    title = ev.tabs["evaluations"].title if "evaluations" in ev.tabs else edits[0].title
    recs.append({"tab": title, "row": None, "cell": None, "column": "", "severity": WARNING, "code": MONTH_CODE,
                 "message": _month_message(month, frozen_at, edits), "key": month})  # the month it is about
    return pd.DataFrame(recs, columns=COLUMNS)


# -- restoring -----------------------------------------------------------------------------------

FLAGS = ("provisional", "scored", "leader")


def _recorded(rec: RecordedMonth, tab: str, rows: pd.Index, keys: pd.Series, columns: list[str]) -> pd.DataFrame:
    """The recorded scores of `rows` (matched by key), one column per result; rows the record
    lacks (added after approval) come back empty."""
    data = [((rec.rows.get((tab, keys[r])) or {}).get("scores") or {}) for r in rows]
    return pd.DataFrame.from_records(data, index=rows, columns=columns) if len(rows) else \
        pd.DataFrame(index=rows, columns=columns)


def _flag(values: pd.Series, missing: bool = False) -> pd.Series:
    return pd.Series([missing if v is None or pd.isna(v) else bool(v) for v in values], index=values.index, dtype=bool)


def _restore(ev, month: str, rec: RecordedMonth, keys: dict[str, pd.Series]) -> bool:
    """Put the month's recorded scores back into the evaluation: task conversions, people,
    roster view, quota and counts, and the engine values of the evaluation rows."""
    scores: Scores | None = ev.scores
    if scores is None:
        return False
    tasks = ev.tabs.get("tasks")
    if tasks is not None:
        tf = scores.tasks.frame
        rows = month_rows(tasks, month).intersection(tf.index)
        got = _recorded(rec, "tasks", rows, keys["tasks"], TASK_RESULT)
        for c in ("A", "D", "Q", "T"):
            tf.loc[rows, c] = pd.to_numeric(got[c], errors="coerce").astype("float64")
        tf.loc[rows, "excluded"] = _flag(got["excluded"], missing=True)  # not in the record: not approved work
        tf.loc[rows, "zeroed"] = _flag(got["zeroed"])
    ms = scores.months.get(month)
    if ms is None:
        return False
    people = ms.people
    cols = [c for c in PERSON_RESULT if c in people.columns]
    got = _recorded(rec, "evaluations", people.index, keys["evaluations"], cols)
    for c in cols:
        if c in FLAGS:
            people[c] = _flag(got[c])
        elif c in SCORE_COLUMNS and c != "suggested_rating":
            people[c] = pd.to_numeric(got[c], errors="coerce").astype("float64")
        else:
            people[c] = got[c].astype(object).where(got[c].notna(), None)
    roster = ms.roster
    scored = people[people["scored"]]
    first = scored[~scored["_sid"].duplicated()].set_index("_sid")
    for c in [*SCORE_COLUMNS, "approved_rating", "final_rating", "provisional", "leader"]:
        if c in roster.columns and c in first.columns:
            roster[c] = roster["_id"].map(first[c])
    ms.quota = list(rec.summary.get("quota") or [])
    ms.counts = dict(rec.summary.get("counts") or {})
    parts = [m.people for m in scores.months.values()]
    scores.evaluations = pd.concat(parts) if parts else pd.DataFrame()
    return True


# -- the entry point -----------------------------------------------------------------------------

def apply_freeze(store: Store, unit: str, evaluation, now: datetime | None = None) -> FreezeReport:
    """Hold the unit's approved months to their record: report edits as findings on the rows and
    the unit, and put the recorded scores back into `evaluation` (changed in place)."""
    report = FreezeReport(unit)
    frozen = store.frozen_months(unit)
    if evaluation.month_filter:
        frozen = [m for m in frozen if m in evaluation.month_filter]
    if not frozen:
        return report
    now = now or store.clock()
    ev = evaluation
    names = [n for n in MONTH_TABS if n in ev.tabs]
    keys = {n: row_keys(ev.tabs[n]) for n in names}
    inputs = {n: row_inputs(ev, n) for n in names}
    present = {m for n in names for m in _months_of(ev.tabs[n])}
    added: list[pd.DataFrame] = []
    for month in frozen:
        if month not in present:
            continue  # archived elsewhere: see the module docstring
        rec = store.recorded_month(unit, month, frozen=True)
        if rec is None:
            continue
        report.frozen.append(month)
        edits = _compare(ev, month, rec, keys, inputs)
        if edits:
            found = store.note_edits(unit, month, rec.snapshot_id, [
                {"tab": e.tab, "row_key": e.row_key, "field": e.field, "old": e.old, "new": e.new} for e in edits], now)
            for e in edits:
                e.found_at = found.get((e.tab, e.row_key, e.field, digest(e.new)), now)
            state = store.freeze_state(unit, month)
            added.append(_findings(ev, month, edits, state.frozen_at))
            report.edits.extend(edits)
        if _restore(ev, month, rec, keys):
            report.restored.append(month)
    if added:
        frames = [f for f in [ev.findings, *added] if len(f)]
        out = pd.concat(frames, ignore_index=True)[COLUMNS]
        out["row"] = out["row"].astype("Int64")
        ev.findings = out
    return report


def _months_of(tab) -> set[str]:
    mf = tab.schema.month_field
    if not mf or mf not in tab.values:
        return set()
    return {m for m in tab.values.loc[tab.rows, mf].dropna().unique() if isinstance(m, str)}
