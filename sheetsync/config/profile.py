"""Scoring profiles: every weight, threshold, deduction, deadline and quota, from YAML."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sheetsync.config.resources import profiles_dir, schemas_dir
from sheetsync.config.schema import yes_no
from sheetsync.config.yamlfile import load_yaml
from sheetsync.domain.ratings import RatingScale
from sheetsync.errors import ProfileError
from sheetsync.text import shorten

DEFAULT_PROFILE = "nd335"


@dataclass
class Band:
    min: float | None
    rating: str


@dataclass
class Profile:
    name: str
    title: str
    general_max: float
    general_field: str
    general_fallback: str | None
    task_max: float
    staff_components: list[str]
    leader_components: list[str]
    per_return: float
    per_delay: float
    leader_roles: list[str]
    d_all_pass: float
    d_any_fail: float
    dd_all_done: float
    dd_otherwise: float
    bonus_field: str | None
    bonus_max: float
    rounding: int
    bands: list[Band]
    discipline_rating: str
    quota: dict
    deadlines: dict
    checks: dict
    okr: dict
    periods: dict
    field_overrides: dict = field(default_factory=dict)
    weekly: dict = field(default_factory=dict)  # report_day (ISO weekday), stale_weeks
    bottlenecks: dict = field(default_factory=dict)  # thresholds of `sheetsync bottlenecks` (BOTTLENECK_DEFAULTS)
    plans: dict = field(default_factory=lambda: dict(PLANS_DEFAULTS))  # planned_by_day
    feedback: dict = field(default_factory=lambda: dict(FEEDBACK_DEFAULTS))  # escalate_after_days
    source: Path | None = None
    scale: RatingScale = field(default_factory=lambda: RatingScale(()))

    def __post_init__(self) -> None:
        if not len(self.scale):
            self.scale = RatingScale.build([{"rating": b.rating, "min": b.min} for b in self.bands], known_ratings())

    def band(self, total: float) -> str:
        for b in self.bands:
            if b.min is None or total >= b.min - 1e-9:
                return b.rating
        return self.bands[-1].rating

    def band_many(self, totals):
        """`band` over a Series of totals (NaN stays None)."""
        import numpy as np
        import pandas as pd

        t = totals.to_numpy(dtype="float64")
        out = np.full(len(t), None, dtype=object)
        for b in reversed(self.bands):
            hit = ~np.isnan(t) if b.min is None else (t >= b.min - 1e-9)
            out[hit] = b.rating
        return pd.Series(out, index=totals.index, dtype=object)

    @property
    def ratings(self) -> list[str]:
        """Ratings from best to worst, as the bands list them."""
        return [b.rating for b in self.bands]


def known_ratings() -> list[dict]:
    """The `rating` enum of schemas/enums.yaml: codes, short labels and aliases of the usual
    names, which a profile's bands inherit unless they give their own."""
    raw = load_yaml(schemas_dir() / "enums.yaml", ProfileError, "tệp danh mục") or {}
    values = raw.get("rating") if isinstance(raw, dict) else None
    return [v for v in values or [] if isinstance(v, dict) and "value" in v]


# -- the declared shape of a profile -------------------------------------------------------------
# Each key: (kind, required). Kinds: "text", "number", "integer", "day" (1..31), "yes/no",
# "texts" (a list of text), "ratings" ("rated" or a list of ratings), "scopes", "bands", "table"
# (any mapping, checked where it is used), or a nested dict for a section.

NUMBER, INTEGER, TEXT, TEXTS, DAY, YESNO = "number", "integer", "text", "texts", "day", "yes/no"

PROFILE_SHAPE: dict[str, Any] = {
    "name": (TEXT, False),
    "title": (TEXT, False),
    "general": ({"max": (NUMBER, True), "field": (TEXT, True), "fallback_field": (TEXT, False)}, True),
    "task_points": ({"max": (NUMBER, True), "staff_components": ("components", True),
                     "leader_components": ("components", True)}, True),
    "deductions": ({"per_return": (NUMBER, True), "per_delay": (NUMBER, True)}, True),
    "leaders": ({"roles": (TEXTS, True), "d_all_pass": (NUMBER, True), "d_any_fail": (NUMBER, True),
                 "dd_all_done": (NUMBER, True), "dd_otherwise": (NUMBER, True)}, True),
    "bonus": ({"field": (TEXT, True), "max": (NUMBER, True)}, False),
    "rounding": (INTEGER, False),
    "bands": ("bands", True),
    "discipline_rating": (TEXT, True),
    "quota": ({"rating": (TEXT, True), "of": ("ratings", True), "max_ratio": (NUMBER, True),
               "exceptional_max_ratio": (NUMBER, False), "scopes": ("scopes", False)}, True),
    "deadlines": ({"self_assessment": (DAY, False), "manager_review": (DAY, False), "approval": (DAY, False),
                   "forms_to_ward": (DAY, False), "publication_next_month": (DAY, False),
                   "progress_stale_days": (INTEGER, False)}, True),
    "checks": ({"approved_above_suggested": (YESNO, False), "approved_with_missing_evidence": (YESNO, False)}, False),
    "okr": ({"equal_weights_warning_min_krs": (INTEGER, False), "attainment_cap": (NUMBER, False)}, False),
    "periods": ({"aggregation": (TEXT, False), "year_deviation_levels": (NUMBER, False)}, False),
    "field_overrides": ("table", False),
    "weekly": ("table", False),  # checked by _weekly
    "bottlenecks": ("table", False),  # checked by _bottlenecks
    "plans": ({"planned_by_day": (DAY, False), "adhoc_groups": (TEXTS, False)}, False),
    "feedback": ({"escalate_after_days": (INTEGER, False)}, False),
}
QUOTA_SCOPES = ("unit", "peer_group")


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"giá trị đúng/sai {value}"
    if isinstance(value, list):
        return "một danh sách"
    if isinstance(value, dict):
        return "một bảng khóa: giá trị"
    return f"'{shorten(str(value))}'"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf")


def _check_value(kind: Any, value: Any, where: str, path: Path) -> Any:
    """One value against its declared kind; returns it normalised (yes/no as bool)."""
    def bad(expected: str) -> ProfileError:
        return ProfileError(f"bộ tiêu chí {path}: `{where}` phải là {expected}, không phải {_describe(value)}")

    if isinstance(kind, dict):
        if not isinstance(value, dict):
            raise bad("một bảng khóa: giá trị (các mục con thụt vào dưới nó)")
        return _check_section(kind, value, where + ".", path)
    if kind == NUMBER:
        if not _is_number(value):
            raise bad("một số, ví dụ 30 hoặc 0.25")
        return value
    if kind in (INTEGER, DAY):
        if not _is_number(value) or float(value) != int(value):
            raise bad("một số nguyên" + (" từ 1 đến 31 (ngày trong tháng)" if kind == DAY else ""))
        if kind == DAY and not 1 <= int(value) <= 31:
            raise bad("một ngày trong tháng, từ 1 đến 31")
        return int(value)
    if kind == TEXT:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise bad("một dòng chữ")
        return str(value)
    if kind == TEXTS:
        if not isinstance(value, list) or not all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in value):
            raise bad("một danh sách chữ, ví dụ [a, b, c]")
        return [str(x) for x in value]
    if kind == YESNO:
        return yes_no(value, f"bộ tiêu chí {path}: `{where}`", ProfileError)
    if kind == "ratings":
        if value == "rated":
            return value
        return _check_value(TEXTS, value, where, path)
    if kind == "components":
        from sheetsync.results import COMPONENT_FIELDS

        known = [f.removeprefix("score_") for f in COMPONENT_FIELDS]
        parts = _check_value(TEXTS, value, where, path)
        if not parts or any(x not in known for x in parts):
            raise bad(f"một danh sách thành phần điểm lấy trong {', '.join(known)}")
        return parts
    if kind == "scopes":
        scopes = _check_value(TEXTS, value, where, path)
        wrong = [x for x in scopes if x not in QUOTA_SCOPES]
        if wrong:
            raise bad(f"danh sách gồm {', '.join(QUOTA_SCOPES)}")
        return scopes
    if kind == "bands":
        if not isinstance(value, list) or not value:
            raise bad("một danh sách ngưỡng xếp loại, mỗi ngưỡng {min: số, rating: tên xếp loại}")
        out = []
        for i, band in enumerate(value, start=1):
            spot = f"{where}[{i}]"
            if not isinstance(band, dict):
                raise ProfileError(f"bộ tiêu chí {path}: `{spot}` phải là {{min: số, rating: tên xếp loại}}, "
                                   f"không phải {_describe(band)}")
            band = _check_section({"min": ("min", False), "rating": (TEXT, True), "code": (TEXT, False),
                                   "short": (TEXT, False), "aliases": (TEXTS, False)}, band, spot + ".", path)
            out.append(band)
        return out
    if kind == "min":
        if value is not None and not _is_number(value):
            raise bad("một số (hoặc null ở ngưỡng cuối)")
        return value
    if kind == "table":
        if not isinstance(value, dict):
            raise bad("một bảng khóa: giá trị")
        return value
    raise AssertionError(kind)


def _check_section(shape: dict[str, Any], raw: dict, prefix: str, path: Path) -> dict:
    out = {}
    for key in raw:
        if key not in shape:
            close = difflib.get_close_matches(str(key), list(shape), n=1, cutoff=0.6)
            hint = f" — có phải '{close[0]}'?" if close else f" (các mục dùng được: {', '.join(shape)})"
            raise ProfileError(f"bộ tiêu chí {path}: mục `{prefix}{shorten(str(key))}` không hợp lệ{hint}")
    for key, (kind, required) in shape.items():
        value = raw.get(key)
        if value is None:
            if required:
                raise ProfileError(f"bộ tiêu chí {path} thiếu mục `{prefix}{key}`")
            out[key] = None
            continue
        out[key] = _check_value(kind, value, prefix + key, path)
    return out


def validate_profile(raw: Any, path: Path) -> dict:
    """A profile's data checked against `PROFILE_SHAPE`: every problem a Vietnamese
    ProfileError naming the key, never a KeyError or a float('abc') deep in the scoring."""
    if not isinstance(raw, dict):
        raise ProfileError(f"bộ tiêu chí {path} phải là một bảng khóa: giá trị (general:, task_points:, bands:...), "
                           f"không phải {_describe(raw) if raw is not None else 'một tệp rỗng'}")
    return _check_section(PROFILE_SHAPE, raw, "", path)


def _check_fields(path: Path, refs: dict[str, str | None]) -> None:
    """The columns a profile names must be columns of the `Đánh giá tháng` schema (a typo
    there would otherwise surface deep in the scoring as a KeyError)."""
    raw = load_yaml(schemas_dir() / "evaluations.yaml", ProfileError, "tệp lược đồ") or {}
    keys = {str(f.get("key")) for f in raw.get("fields", []) if isinstance(f, dict)} if isinstance(raw, dict) else set()
    for where, key in refs.items():
        if key is not None and keys and key not in keys:
            close = difflib.get_close_matches(key, sorted(keys), n=1, cutoff=0.6)
            hint = f" — có phải '{close[0]}'?" if close else ""
            raise ProfileError(f"bộ tiêu chí {path}: `{where}` nêu cột '{shorten(key)}' không có trong trang "
                               f"Đánh giá tháng{hint}")


def _section(raw: dict, key: str) -> dict:
    return {k: v for k, v in (raw.get(key) or {}).items() if v is not None}


def load_profile(name_or_path: str | Path | None = None) -> Profile:
    """Load a profile by name (a file in schemas/profiles/) or by path."""
    if name_or_path is not None and not isinstance(name_or_path, (str, Path)):
        raise ProfileError(f"bộ tiêu chí phải là một tên hoặc đường dẫn, không phải {_describe(name_or_path)}")
    spec = str(name_or_path or DEFAULT_PROFILE)
    path = Path(spec)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = profiles_dir() / f"{spec}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in profiles_dir().glob("*.yaml")))
        raise ProfileError(f"không tìm thấy bộ tiêu chí chấm điểm '{shorten(spec)}' (có sẵn: {known})")
    raw = validate_profile(load_yaml(path, ProfileError, "bộ tiêu chí"), path)
    bonus = raw.get("bonus") or {}
    bands = [Band(b["min"], b["rating"]) for b in raw["bands"]]
    if bands[-1].min is not None:
        raise ProfileError(f"{path}: ngưỡng xếp loại cuối cùng phải có `min: null` (nhận mọi tổng điểm thấp hơn)")
    if any(b.min is None for b in bands[:-1]):
        raise ProfileError(f"{path}: chỉ ngưỡng xếp loại cuối cùng được có `min: null`")
    mins = [b.min for b in bands[:-1]]
    if mins != sorted(mins, reverse=True):
        raise ProfileError(f"{path}: các ngưỡng xếp loại phải xếp từ cao xuống thấp (min giảm dần)")
    general, tasks, leaders = raw["general"], raw["task_points"], raw["leaders"]
    _check_fields(path, {"general.field": general["field"], "general.fallback_field": general.get("fallback_field"),
                         "bonus.field": bonus.get("field")})
    return Profile(
        name=raw.get("name") or path.stem,
        title=raw.get("title") or path.stem,
        general_max=float(general["max"]),
        general_field=general["field"],
        general_fallback=general.get("fallback_field"),
        task_max=float(tasks["max"]),
        staff_components=list(tasks["staff_components"]),
        leader_components=list(tasks["leader_components"]),
        per_return=float(raw["deductions"]["per_return"]),
        per_delay=float(raw["deductions"]["per_delay"]),
        leader_roles=list(leaders["roles"]),
        d_all_pass=float(leaders["d_all_pass"]),
        d_any_fail=float(leaders["d_any_fail"]),
        dd_all_done=float(leaders["dd_all_done"]),
        dd_otherwise=float(leaders["dd_otherwise"]),
        bonus_field=bonus.get("field"),
        bonus_max=float(bonus.get("max") or 0),
        rounding=int(raw["rounding"] if raw.get("rounding") is not None else 2),
        bands=bands,
        discipline_rating=raw["discipline_rating"],
        quota=_section(raw, "quota"),
        deadlines=_section(raw, "deadlines"),
        checks=_section(raw, "checks"),
        okr=_section(raw, "okr"),
        periods=_section(raw, "periods"),
        field_overrides=dict(raw.get("field_overrides") or {}),
        weekly=_weekly(raw.get("weekly"), path),
        bottlenecks=_bottlenecks(raw.get("bottlenecks"), path),
        plans={**PLANS_DEFAULTS, **_section(raw, "plans")},
        feedback=_feedback(raw, path),
        source=path,
        scale=RatingScale.build([{k: v for k, v in b.items() if v is not None} for b in raw["bands"]],
                                known_ratings()),
    )


WEEKLY_DEFAULTS = {"report_day": 5, "stale_weeks": 2}
# A task given by this day of its month is part of the month's plan; a person with no planned
# task once the day has passed is flagged.
PLANS_DEFAULTS = {"planned_by_day": 5, "adhoc_groups": ["Phát sinh, đột xuất"]}
# Open feedback on an unclear task goes to the unit's focal person after this many days.
FEEDBACK_DEFAULTS = {"escalate_after_days": 3}


def _feedback(raw: dict, path: Path) -> dict:
    out = {**FEEDBACK_DEFAULTS, **_section(raw, "feedback")}
    days = out["escalate_after_days"]
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ProfileError(f"{path}: `feedback.escalate_after_days` phải là một số nguyên từ 0 trở lên, không phải {days!r}")
    return out


def _weekly(raw: Any, path: Path) -> dict:
    """The weekly-report settings, defaults filled in and checked (a day of the week 1..7)."""
    if raw is not None and not isinstance(raw, dict):
        raise ProfileError(f"{path}: mục `weekly` phải là một bảng (report_day, stale_weeks)")
    out = {**WEEKLY_DEFAULTS, **(raw or {})}
    day, stale = out["report_day"], out["stale_weeks"]
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7:
        raise ProfileError(f"{path}: `weekly.report_day` phải là một số từ 1 (thứ Hai) đến 7 (Chủ nhật), không phải {day!r}")
    if isinstance(stale, bool) or not isinstance(stale, int) or stale < 1:
        raise ProfileError(f"{path}: `weekly.stale_weeks` phải là một số nguyên từ 1 trở lên, không phải {stale!r}")
    return out


BOTTLENECK_DEFAULTS = {"overdue_days": 3, "stale_days": 14, "returns_above": 1, "no_update_days": 14,
                       "obstacle_days": 30}


def _bottlenecks(raw: Any, path: Path) -> dict:
    """The bottleneck report's thresholds, defaults filled in, each a whole number of days (or returns)."""
    if raw is not None and not isinstance(raw, dict):
        raise ProfileError(f"{path}: mục `bottlenecks` phải là một bảng ({', '.join(BOTTLENECK_DEFAULTS)})")
    unknown = [k for k in (raw or {}) if k not in BOTTLENECK_DEFAULTS]
    if unknown:
        raise ProfileError(f"{path}: khóa không hợp lệ trong `bottlenecks`: {', '.join(map(str, unknown))}; "
                           f"chỉ có {', '.join(BOTTLENECK_DEFAULTS)}")
    out = {**BOTTLENECK_DEFAULTS, **(raw or {})}
    for key, value in out.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ProfileError(f"{path}: `bottlenecks.{key}` phải là một số nguyên từ 0 trở lên, không phải {value!r}")
    return out


def round_half_up(x, digits: int = 2):
    """Round half up (0.125 → 0.13), robust to binary float error (89.995 is stored as
    89.99499999…, which plain rounding would send down across a band edge)."""
    import numpy as np

    scale = 10.0 ** digits
    arr = np.asarray(x, dtype="float64")
    scaled = arr * scale
    # Nudge by a relative epsilon far below a displayed cent, but above float noise.
    out = np.floor(scaled + 0.5 + 1e-9 * np.maximum(1.0, np.abs(scaled))) / scale
    return out if np.ndim(x) else float(out)
