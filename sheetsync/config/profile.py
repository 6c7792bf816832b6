"""Scoring profiles: every weight, threshold, deduction, deadline and quota, from YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sheetsync.config.resources import profiles_dir, read_yaml, schemas_dir
from sheetsync.domain.ratings import RatingScale
from sheetsync.errors import ProfileError

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
    path = schemas_dir() / "enums.yaml"
    try:
        raw = read_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"không đọc được {path}: {exc}") from exc
    values = raw.get("rating") if isinstance(raw, dict) else None
    return [v for v in values or [] if isinstance(v, dict) and "value" in v]


def _get(raw: dict, path: str, default: Any = ...) -> Any:
    cur: Any = raw
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            if default is ...:
                raise ProfileError(f"bộ tiêu chí thiếu mục `{path}`")
            return default
        cur = cur[part]
    return cur


def load_profile(name_or_path: str | Path | None = None) -> Profile:
    """Load a profile by name (a file in schemas/profiles/) or by path."""
    spec = str(name_or_path or DEFAULT_PROFILE)
    path = Path(spec)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = profiles_dir() / f"{spec}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in profiles_dir().glob("*.yaml")))
        raise ProfileError(f"không tìm thấy bộ tiêu chí chấm điểm '{spec}' (có sẵn: {known})")
    try:
        raw = read_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"không đọc được bộ tiêu chí {path}: {exc}") from exc
    bonus = raw.get("bonus") or {}
    raw_bands = _get(raw, "bands")
    bands = [Band(b.get("min"), b["rating"]) for b in raw_bands]
    if bands[-1].min is not None:
        raise ProfileError(f"{path}: ngưỡng xếp loại cuối cùng phải có `min: null` (nhận mọi tổng điểm thấp hơn)")
    return Profile(
        name=raw.get("name", path.stem),
        title=raw.get("title", path.stem),
        general_max=float(_get(raw, "general.max")),
        general_field=_get(raw, "general.field"),
        general_fallback=_get(raw, "general.fallback_field", None),
        task_max=float(_get(raw, "task_points.max")),
        staff_components=list(_get(raw, "task_points.staff_components")),
        leader_components=list(_get(raw, "task_points.leader_components")),
        per_return=float(_get(raw, "deductions.per_return")),
        per_delay=float(_get(raw, "deductions.per_delay")),
        leader_roles=list(_get(raw, "leaders.roles")),
        d_all_pass=float(_get(raw, "leaders.d_all_pass")),
        d_any_fail=float(_get(raw, "leaders.d_any_fail")),
        dd_all_done=float(_get(raw, "leaders.dd_all_done")),
        dd_otherwise=float(_get(raw, "leaders.dd_otherwise")),
        bonus_field=bonus.get("field"),
        bonus_max=float(bonus.get("max", 0)),
        rounding=int(raw.get("rounding", 2)),
        bands=bands,
        discipline_rating=_get(raw, "discipline_rating"),
        quota=dict(_get(raw, "quota")),
        deadlines=dict(_get(raw, "deadlines")),
        checks=dict(raw.get("checks") or {}),
        okr=dict(raw.get("okr") or {}),
        periods=dict(raw.get("periods") or {}),
        field_overrides=dict(raw.get("field_overrides") or {}),
        weekly=_weekly(raw.get("weekly"), path),
        source=path,
        scale=RatingScale.build(raw_bands, known_ratings()),
    )


WEEKLY_DEFAULTS = {"report_day": 5, "stale_weeks": 2}


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
