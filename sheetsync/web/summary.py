"""A unit's last result in the few numbers the ward dashboard shows. Kept beside the result in
the store, so that the dashboard of a 50-unit ward reads 50 small rows instead of every unit's
findings and people (issue 11: pages read the store, p95 under 200 ms)."""

from __future__ import annotations

SUMMARY_VERSION = 2  # bump when the fields change: older summaries are then made again


def month_figures(result: dict, month: str) -> dict:
    """People on the roster, rated, approved and provisional; counts per rating; exceeded quotas."""
    m = (result.get("months") or {}).get(month) or {}
    scores = m.get("scores") or []
    return {"roster": m.get("people_on_roster", 0), "rated": m.get("rated", 0),
            "approved": sum(1 for p in scores if p.get("approved_rating")),
            "provisional": sum(1 for p in scores if p.get("provisional")),
            "ratings": m.get("ratings") or {},
            "quota_exceeded": [q for q in (m.get("quota") or []) if q.get("exceeded")]}


def bottleneck_counts(bottlenecks: dict | None) -> dict[str, int]:
    """Items per kind of a unit's bottleneck report (history.bottlenecks, as stored)."""
    out: dict[str, int] = {}
    for item in (bottlenecks or {}).get("items") or []:
        out[item.get("kind")] = out.get(item.get("kind"), 0) + 1
    return out


def unit_summary(result: dict | None, bottlenecks: dict | None = None) -> dict:
    """What the dashboard needs of one unit's result, for every month it holds (`has_result`
    false: the unit has never been synced successfully), and its bottlenecks per kind."""
    if not result:
        return {"version": SUMMARY_VERSION, "has_result": False, "months": {}, "bottlenecks": {}}
    return {"version": SUMMARY_VERSION, "has_result": True,
            "error_rows": result.get("error_rows", 0), "warning_rows": result.get("warning_rows", 0),
            "months": {month: month_figures(result, month) for month in sorted(result.get("months") or {})},
            "bottlenecks": bottleneck_counts(bottlenecks)}


def is_current(summary: dict | None) -> bool:
    return isinstance(summary, dict) and summary.get("version") == SUMMARY_VERSION
