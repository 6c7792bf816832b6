"""From the engine's evaluation of a unit to the forms' input (`UnitResults`).

The forms know nothing of the engine; this is the one place that translates scores and
findings into the rows and notes of Mẫu 01A and 02A.
"""

from __future__ import annotations

import pandas as pd

from sheetsync.config.profile import Profile
from sheetsync.config.ward import WardConfig
from sheetsync.forms import UnitResults, WardInfo
from sheetsync.history.codes import MONTH_CODE
from sheetsync.results import COMPONENT_FIELDS, Evaluation

# Short notes a person's row shows in 02A, by rule code (the full message is in the sheet).
PERSON_NOTES = {
    "deadline.self_assessment-late": "Tự đánh giá muộn",
    "deadline.self_assessment-missing": "Chưa tự đánh giá",
    "deadline.manager_review-late": "Quản lý đánh giá muộn",
    "deadline.manager_review-missing": "Quản lý chưa đánh giá",
    "deadline.approval-late": "Phê duyệt muộn",
    "deadline.approval-missing": "Chưa phê duyệt",
    "quota.person": "Vượt tỷ lệ {quota}",
    "score.disciplined": "Bị kỷ luật",
    "honesty.approved-above": "Phê duyệt cao hơn gợi ý",
    "honesty.approved-missing-evidence": "Còn nhiệm vụ thiếu minh chứng",
    "score.general-from-self": "Điểm chung tạm lấy tự đánh giá",
    "score.no-work": "Không có nhiệm vụ trong tháng",
}
STEP_CODES = {
    "deadline.self_assessment-late": "tự đánh giá muộn",
    "deadline.self_assessment-missing": "chưa tự đánh giá",
    "deadline.manager_review-late": "quản lý đánh giá muộn",
    "deadline.manager_review-missing": "quản lý chưa đánh giá",
    "deadline.approval-late": "phê duyệt muộn",
    "deadline.approval-missing": "chưa phê duyệt",
}


def unit_results(ev: Evaluation, month: str) -> UnitResults:
    """The unit's month as the forms need it: everyone on the roster, in roster order."""
    ms = ev.scores.months.get(month) if ev.scores else None
    staff = ev.tabs.get("staff")
    if ms is None:
        roster = staff.values.loc[staff.rows] if staff is not None else pd.DataFrame()
        people = pd.DataFrame({k: roster.get(k) for k in ("staff_id", "full_name", "position", "department",
                                                           "category")})
        people["provisional"] = False
        people["notes"] = "Chưa có hàng đánh giá"
        return UnitResults(ev.unit, month, people.reset_index(drop=True), [f"Tháng {month}: chưa có dữ liệu đánh giá."])

    roster = ms.roster
    evals = ev.tabs["evaluations"].values
    eval_rows = roster["evaluation_row"]
    self_rating = eval_rows.map(lambda r: evals.at[int(r), "self_rating"]
                                if pd.notna(r) and "self_rating" in evals else None)
    f = ev.findings
    f = f[(f["tab"] == ev.tabs["evaluations"].title) & f["row"].notna()]
    quota_code = ev.profile.scale.code((ev.profile.quota or {}).get("rating")) or "xếp loại cao nhất"
    notes_by_row = f[f["code"].isin(PERSON_NOTES)].groupby("row")["code"].agg(
        lambda codes: "; ".join(dict.fromkeys(PERSON_NOTES[c].format(quota=quota_code) for c in codes)))

    def note(i) -> str:
        r = eval_rows[i]
        parts = []
        if pd.isna(r):
            parts.append("Chưa có hàng đánh giá")
        else:
            if bool(roster.at[i, "provisional"]) if "provisional" in roster and pd.notna(roster.at[i, "provisional"]) else False:
                parts.append("Điểm tạm tính")
            if int(r) in notes_by_row.index:
                parts.append(notes_by_row[int(r)])
        return "; ".join(parts)

    people = pd.DataFrame({
        "staff_id": roster["staff_id"],
        "full_name": roster.get("full_name"),
        "position": roster.get("position"),
        "department": roster.get("department"),
        "category": roster.get("category"),
        **{c: roster.get(c) for c in (*COMPONENT_FIELDS, "general_points", "task_points", "total_points")},
        "self_rating": self_rating,
        "suggested_rating": roster.get("suggested_rating"),
        "approved_rating": roster.get("approved_rating"),
        "provisional": roster.get("provisional").fillna(False).astype(bool) if "provisional" in roster else False,
        "notes": [note(i) for i in roster.index],
    })
    return UnitResults(ev.unit, month, people.reset_index(drop=True), unit_notes(ev, month))


def unit_notes(ev: Evaluation, month: str) -> list[str]:
    """Ghi chú of the unit's row in 01A: quota excess and late or missing steps."""
    ms = ev.scores.months[month]
    notes = [q["message"] for q in ms.quota if q.get("exceeded") and q.get("message")]
    evals = ev.tabs["evaluations"]
    rows_in_month = set(ms.people.index)
    f = ev.findings
    f = f[(f["tab"] == evals.title) & f["row"].isin(rows_in_month) & f["code"].isin(STEP_CODES)]
    counts = f.groupby("code")["row"].nunique()
    steps = [f"{n} người {STEP_CODES[c]}" for c, n in counts.items()]
    if steps:
        notes.append("; ".join(steps))
    # An approved month edited afterwards: the office must see it on the form, not only in the sheet.
    edited = ev.findings[(ev.findings["code"] == MONTH_CODE) & (ev.findings["key"] == month)]
    notes.extend(edited["message"].tolist())
    return notes


def ward_info(ward: WardConfig | None, profile: Profile, fallback_name: str) -> WardInfo:
    q = profile.quota or {}
    quota = {"rating": q.get("rating"), "max_ratio": q.get("max_ratio"), "of": q.get("of"),
             "label": f"Tối đa {int(round(100 * float(q.get('max_ratio', 0))))}%"}
    if ward is None:
        return WardInfo(fallback_name, fallback_name.upper(), "", quota, profile.scale)
    return WardInfo(ward.name, ward.issuing_body or ward.name.upper(), ward.place or ward.name, quota, profile.scale)
