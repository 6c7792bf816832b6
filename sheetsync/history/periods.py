"""Quarters and years from the recorded months, and their forms.

Rules (profile key `periods`, defaults in PERIOD_DEFAULTS):
- A person's period score is the `aggregation` (only `mean` for now) of their monthly totals as
  recorded (the frozen record of an approved month, else the latest). A month without a total
  is listed as missing and not counted as zero. Rounded half up like every figure.
- The proposed rating bands the period score with the profile's bands; a person disciplined in
  any month of the period gets the profile's `discipline_rating`, as a month would.
- Quotas: the profile's quota, per unit (the person's unit in the last month of the period, so
  a transfer counts where the person now works) and per peer group, reported never enforced.
- Leaders (the engine's leader flag in their last month): Q1 to Q3 are rated per quarter; Q4 is
  not rated on its own but folds into the year.
- The year report flags anyone whose proposed year rating lies more than
  `year_deviation_levels` rating levels (0 = best band, one more per band) from the mean level of their
  monthly ratings (approved, else suggested).
- People are identified by `Mã cán bộ` across units: a transfer keeps its months.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sheetsync.config.profile import Profile, round_half_up
from sheetsync.domain.calendar import ROMAN, Period, month_label, parse_quarter, parse_year  # noqa: F401  (re-exported for the CLI)
from sheetsync.engine.scoring import check_quota
from sheetsync.errors import PeriodError
from sheetsync.results import COMPONENT_FIELDS
from sheetsync.text import normalize_key

if TYPE_CHECKING:
    from sheetsync.forms import WardInfo
    from sheetsync.history.store import Store

PERIOD_DEFAULTS = {"aggregation": "mean", "year_deviation_levels": 0.5}


def period_settings(profile: Profile) -> dict:
    settings = {**PERIOD_DEFAULTS, **(profile.periods or {})}
    if settings["aggregation"] != "mean":
        raise PeriodError(f"Bộ tiêu chí {profile.name}: periods.aggregation '{settings['aggregation']}' chưa được hỗ "
                          "trợ; hiện chỉ có 'mean' (bình quân tổng điểm các tháng có điểm).")
    return settings


@dataclass
class PeriodResult:
    period: Period
    profile: Profile
    people: pd.DataFrame  # one row per person (see PERSON_COLUMNS)
    quotas: dict[str, list[dict]] = field(default_factory=dict)  # by unit
    units: list[str] = field(default_factory=list)
    unit_months: pd.DataFrame | None = None  # unit, month, recorded, frozen

    def person(self, staff_id: str) -> dict:
        p = self.people[self.people["staff_key"] == normalize_key(staff_id)]
        if p.empty:
            raise KeyError(staff_id)
        return {k: (None if not isinstance(v, (list, dict, str)) and pd.isna(v) else v)
                for k, v in p.iloc[0].to_dict().items()}

    def to_dict(self) -> dict:
        from sheetsync.history.capture import jsonable

        people = [{k: jsonable(v) for k, v in rec.items() if k != "staff_key"} for rec in self.people.to_dict("records")]
        return {"period": self.period.label, "kind": self.period.kind, "months": self.period.months,
                "profile": self.profile.name, "units": self.units, "quotas": jsonable(self.quotas), "people": people}


PERSON_COLUMNS = [
    "staff_key", "staff_id", "full_name", "unit", "units", "position", "department", "category", "peer_group",
    "leader", "roster_order", "months", "missing", "monthly", "monthly_ratings", "score", "rating", "rated",
    "record_level", "record_rating", "deviation", "flagged", "disciplined", "provisional", "quota_marked",
    "tasks", "returns", "delays", "overdue", "notes",
]


def _pick_month_records(records: pd.DataFrame) -> pd.DataFrame:
    """One record per person and month: a transfer in mid-month may leave two; the scored one
    wins, then the approved (frozen) one, then the latest."""
    r = records.copy()
    r["_pri"] = (r["scored"].astype(int) * 4 + r["frozen"].astype(int) * 2
                 + r["approved_rating"].notna().astype(int))
    r = r.sort_values(["_pri", "recorded_at"], kind="stable")
    return r.drop_duplicates(["staff_key", "month"], keep="last").sort_values(["staff_key", "month"])


def compute_period(store: Store, period: Period, profile: Profile, *, units: Sequence[str] | None = None,
                   exceptional: Sequence[str] = (), proposed: dict[str, str] | None = None) -> PeriodResult:
    """Every person's period result from the store. `units` (e.g. the ward's, in order) limits
    who is listed, by their last unit; months from other units still count. `proposed` maps
    `Mã cán bộ` to a year rating proposed by the authority, checked instead of the computed one."""
    settings = period_settings(profile)
    records = store.months_for(months=period.months)
    unit_months = store.unit_months()
    unit_months = unit_months[unit_months["month"].isin(period.months)]
    unit_list = list(units) if units is not None else sorted(set(records["unit"]) | set(unit_months["unit"]))
    if records.empty:
        return PeriodResult(period, profile, pd.DataFrame(columns=PERSON_COLUMNS), {}, unit_list, unit_months)
    ranks = {r: i for i, r in enumerate(profile.ratings)}
    proposed_by_key = _proposed(proposed, profile)
    rows = []
    for key, g in _pick_month_records(records).groupby("staff_key", sort=False):
        last = g.iloc[-1]
        if last["unit"] not in unit_list:
            continue
        scored = g[g["total_points"].notna()]
        monthly = {m: float(t) for m, t in zip(scored["month"], scored["total_points"])}
        score = round_half_up(float(np.mean(list(monthly.values()))), profile.rounding) if monthly else None
        disciplined = bool(g["disciplined"].any())
        rating = None if score is None else profile.band(score)
        if disciplined and rating is not None:
            rating = profile.discipline_rating
        notes = []
        leader = bool(g[g["scored"].astype(bool)].iloc[-1]["leader"]) if g["scored"].any() else False
        rated = rating is not None
        if period.kind == "quarter" and period.quarter == 4 and leader:
            rated = False
            notes.append("Lãnh đạo, quản lý: quý IV đánh giá cùng kết quả năm")
        if key in proposed_by_key and period.kind == "year":
            rating = proposed_by_key[key]
        month_ratings = {m: r for m, r in zip(g["month"], g["final_rating"]) if isinstance(r, str)}
        levels = [ranks[r] for r in month_ratings.values() if r in ranks]
        record_level = float(np.mean(levels)) if levels else None
        missing = [m for m in period.months if m not in monthly]
        if missing:
            notes.append("Thiếu điểm tháng " + ", ".join(month_label(m) for m in missing)
                         + " (không tính vào bình quân)")
        if disciplined:
            notes.append("Bị kỷ luật trong kỳ")
        provisional = not bool(g["frozen"].all())
        if provisional:
            notes.append("Có tháng chưa phê duyệt xong: kết quả tạm tính")
        rows.append({
            "staff_key": key, "staff_id": last["staff_id"], "full_name": last["full_name"], "unit": last["unit"],
            "units": list(dict.fromkeys(g["unit"])), "position": last["position"], "department": last["department"],
            "category": last["category"], "peer_group": last["peer_group"], "leader": leader,
            "roster_order": int(last["roster_order"] or 0), "months": sorted(monthly), "missing": missing,
            "monthly": monthly, "monthly_ratings": month_ratings, "score": score,
            "rating": rating if rated else None, "rated": rated and rating is not None,
            "record_level": record_level, "record_rating": _record_rating(month_ratings, ranks),
            "deviation": None, "flagged": False, "disciplined": disciplined, "provisional": provisional,
            "quota_marked": False, "tasks": int(g["tasks"].sum()), "returns": int(g["returns"].sum()),
            "delays": int(g["delays"].sum()), "overdue": int(g["overdue"].sum()), "notes": notes,
        })
    people = pd.DataFrame(rows, columns=PERSON_COLUMNS)
    for i, u in people["units"].items():
        if len(u) > 1:
            people.at[i, "notes"] = [*people.at[i, "notes"], "Chuyển công tác: có tháng tại " + ", ".join(u[:-1])]
    if period.kind == "year":
        _flag_year(people, ranks, float(settings["year_deviation_levels"]), profile.scale)
    quotas = _apply_quotas(people, profile, set(exceptional))
    people["unit_order"] = people["unit"].map({u: i for i, u in enumerate(unit_list)})
    people = people.sort_values(["unit_order", "roster_order", "staff_key"], kind="stable").drop(columns="unit_order")
    people["notes"] = people["notes"].map(lambda n: "; ".join(n))
    return PeriodResult(period, profile, people.reset_index(drop=True), quotas, unit_list, unit_months)


def _proposed(proposed: dict[str, str] | None, profile: Profile) -> dict[str, str]:
    if not proposed:
        return {}
    scale = profile.scale
    return {normalize_key(k): scale.normalize(v) for k, v in proposed.items() if scale.normalize(v)}


def _record_rating(month_ratings: dict[str, str], ranks: dict[str, int]) -> str | None:
    """The monthly ratings' most frequent value (a tie goes to the lower rating)."""
    counts = Counter(r for r in month_ratings.values() if r in ranks)
    if not counts:
        return None
    return max(counts, key=lambda r: (counts[r], ranks[r]))


def _flag_year(people: pd.DataFrame, ranks: dict[str, int], threshold: float, scale) -> None:
    for i, p in people.iterrows():
        if p["rating"] is None or p["record_level"] is None or p["rating"] not in ranks:
            continue
        dev = ranks[p["rating"]] - p["record_level"]
        people.at[i, "deviation"] = round(dev, 2)
        if abs(dev) > threshold + 1e-9:
            people.at[i, "flagged"] = True
            spread = Counter(p["monthly_ratings"].values())
            detail = ", ".join(f"{n} tháng {scale.code(r) or r}" for r, n in sorted(spread.items(), key=lambda x: ranks.get(x[0], 9)))
            side = "cao hơn" if dev < 0 else "thấp hơn"
            people.at[i, "notes"] = [*p["notes"], f"Xếp loại năm {side} kết quả hằng tháng ({detail}): cần xem xét"]


def _apply_quotas(people: pd.DataFrame, profile: Profile, exceptional: set[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    if people.empty or not profile.quota:
        return out
    for unit, grp in people[people["rated"]].groupby("unit", sort=False):
        frame = pd.DataFrame({"final_rating": grp["rating"], "total_points": grp["score"],
                              "staff_id": grp["staff_id"], "peer_group": grp["peer_group"]}, index=grp.index)
        quota = check_quota(frame, profile, unit in exceptional)
        out[unit] = quota
        marked = {s for q in quota for s in q.get("marked", [])}
        for i in grp.index[grp["staff_id"].astype(str).isin(marked)]:
            people.at[i, "quota_marked"] = True
            people.at[i, "notes"] = [*people.at[i, "notes"], "Vượt tỷ lệ " + profile.quota["rating"]]
    return out


# -- forms ---------------------------------------------------------------------------------------

def unit_results(result: PeriodResult):
    """Per unit, the forms' `UnitResults` of the period: the form slots carry period figures
    (quarter: the three monthly totals in a, b, c; year: the four quarterly means in a..d)."""
    from sheetsync.forms import UnitResults
    from sheetsync.forms.model import PEOPLE_COLUMNS

    p = result.period
    out = []
    for unit in result.units:
        grp = result.people[result.people["unit"] == unit]
        recs = []
        for _, x in grp.iterrows():
            slots = _slots(p, x["monthly"], result.profile)
            recs.append({
                "staff_id": x["staff_id"], "full_name": x["full_name"], "position": x["position"],
                "department": x["department"], "category": x["category"], **slots,
                "general_points": None, "task_points": None, "total_points": x["score"],
                "self_rating": x["record_rating"] if p.kind == "year" else None,
                "suggested_rating": x["rating"], "approved_rating": None,
                "provisional": bool(x["provisional"]), "notes": x["notes"],
            })
        people = pd.DataFrame(recs, columns=list(PEOPLE_COLUMNS))
        notes = [q["message"] for q in result.quotas.get(unit, []) if q.get("exceeded") and q.get("message")]
        missing = int(grp["missing"].map(bool).sum()) if len(grp) else 0
        if missing:
            notes.append(f"{missing} người thiếu điểm ít nhất một tháng")
        flagged = int(grp["flagged"].sum()) if len(grp) else 0
        if flagged:
            notes.append(f"{flagged} người có xếp loại năm lệch so với kết quả hằng tháng")
        out.append(UnitResults(unit, p.months[-1], people, notes))
    return out


def _slots(p: Period, monthly: dict[str, float], profile: Profile) -> dict:
    names = COMPONENT_FIELDS  # the form's a..e columns carry the months (quarter) or quarters (year)
    slots: dict = dict.fromkeys(names)
    if p.kind == "quarter":
        for name, m in zip(names, p.months):
            slots[name] = monthly.get(m)
    else:
        for q in range(4):
            vals = [monthly[m] for m in p.months[q * 3:(q + 1) * 3] if m in monthly]
            slots[names[q]] = round_half_up(float(np.mean(vals)), profile.rounding) if vals else None
    return slots


def write_period_forms(result: PeriodResult, ward: WardInfo, out_dir: str | Path,
                       formats: Sequence[str] = ("xlsx", "html", "pdf"), templates_dir: str | Path | None = None,
                       per_unit: bool = True):
    """01A and 02A of the period per unit and for the ward, by the monthly forms' writer."""
    from sheetsync.forms.report import Edition, write_reports

    p = result.period
    units = [u for u in unit_results(result) if len(u.people)]
    if not units:
        raise PeriodError(f"Chưa có tháng nào của {p.phrase} được ghi nhận trong kho dữ liệu; "
                          "hãy chạy sheetsync sync cho các tháng của kỳ trước.")
    return write_reports(units, ward, out_dir, formats=formats, templates_dir=templates_dir, per_unit=per_unit,
                         edition=Edition.for_period(p))
