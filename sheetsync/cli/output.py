"""How the CLI shows results: tables, findings, notices. Only presentation lives here; every
number and message comes from the service's result objects."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from sheetsync.errors import EXIT_PROBLEM, SheetsyncError
from sheetsync.text import terminal_safe

T = TypeVar("T")

SHOWN_PER_KIND = 5  # findings listed per unit and severity unless --verbose


def say(text: str = "", err: bool = False) -> None:
    click.echo(terminal_safe(text), err=err)


def fail(error, code: int = 2) -> None:
    """Print a Vietnamese error (a SheetsyncError or text) and exit with `code`."""
    say(f"Lỗi: {error}", err=True)
    sys.exit(code)


def echo_json(payload: dict, code: int | None = None) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    if code is not None:
        sys.exit(code)


def failed(error, as_json: bool) -> None:
    """A SheetsyncError ends the command with exit 2: as JSON for scripts, else a Vietnamese line."""
    if as_json:
        echo_json({"exit_code": EXIT_PROBLEM, "error": error.to_dict()}, EXIT_PROBLEM)
    fail(error, EXIT_PROBLEM)


def guarded(as_json: bool, work: Callable[[], T]) -> T:
    """Run a service call; a SheetsyncError it raises becomes `failed`."""
    try:
        return work()
    except SheetsyncError as exc:
        failed(exc, as_json)


def fmt(v: Any, digits: int = 2) -> str:
    """A number as people read it here: decimal comma, a dash for nothing."""
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}f}".replace(".", ",")
    return str(v)


def table(head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    say("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    say("  ".join("-" * w for w in widths))
    for r in rows:
        say("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))))


def notices(items, prefix: str = "") -> None:
    for n in items:
        mark = "Cảnh báo" if n.level == "warning" else "Lưu ý"
        say(f"{prefix}{mark}: {n.message}", err=n.level == "warning")


def run_result(result, verbose: bool = False) -> None:
    """The summary of a validate or sync: one line per unit, then each unit's findings."""
    from sheetsync.engine.findings import ERROR, WARNING
    from sheetsync.engine.messages import severity_label

    for p in result.problems:
        say(f"Lỗi: {p}", err=True)
    notices(result.notices)
    if not result.units:
        return
    verb = "Đồng bộ" if result.mode == "sync" else "Kiểm tra"
    say(f"{verb} {len(result.units)} đơn vị — bộ tiêu chí {result.profile.title}, "
        f"xét hạn đến {result.as_of:%d/%m/%Y}")
    scale = result.profile.scale
    writes = result.mode == "sync"
    head = ["Đơn vị", "Hàng lỗi", "Hàng c.báo", "Được chấm"] + [r.short for r in scale] + (["Ô đã ghi"] if writes else [])
    rows = []
    for u in result.units:
        d = u.to_dict(result.months, with_findings=False)
        if u.evaluation is None:
            rows.append([u.unit, "—", "—", "—"] + ["—"] * len(scale) + (["—"] if writes else []))
            continue
        month_data = d["months"].get(max(d["months"])) if d["months"] else None
        counts = month_data["ratings"] if month_data else {}
        rated = f"{month_data['rated']}/{month_data['people_on_roster']}" if month_data else "0"
        row = [u.unit, str(d["error_rows"]), str(d["warning_rows"]), rated] + [str(counts.get(r.name, 0)) for r in scale]
        if writes:
            row.append((str(d["cells_written"]) + (" + Tổng hợp" if d["summary_rewritten"] else ""))
                       if u.written else "không đổi" if u.error is None else "không ghi")
        rows.append(row)
    table(head, rows)
    for u in result.units:
        if u.evaluation is None:
            say(f"\n[{u.unit}] Lỗi: {u.error}", err=True)
            continue
        f = u.evaluation.findings_in(result.months)
        for severity, noun in ((ERROR, "lỗi"), (WARNING, "cảnh báo")):
            found = f[f["severity"] == severity]
            if not len(found):
                continue
            shown = found if verbose else found.head(SHOWN_PER_KIND)
            say(f"\n[{u.unit}] {len(found)} {noun}" + ("" if verbose or len(found) <= SHOWN_PER_KIND else ", ví dụ") + ":")
            for rec in shown.itertuples():
                where = f"{rec.tab}!{rec.cell}" if isinstance(rec.cell, str) else rec.tab
                say(f"  - {severity_label(severity)} {where}: {rec.message}")
            if len(found) > len(shown):
                say(f"  … và {len(found) - len(shown)} {noun} khác (xem cột Ghi chú kiểm tra, hoặc chạy lại với --verbose).")
        notices(u.notices, f"[{u.unit}] ")
        if u.error is not None:
            say(f"[{u.unit}] Lỗi: {u.error}", err=True)
        if u.record_error is not None:
            say(f"[{u.unit}] Đã ghi bảng tính nhưng chưa lưu được vào kho lịch sử: {u.record_error}", err=True)
    if result.months:
        from sheetsync.domain.calendar import month_label

        say(f"\n(Chỉ tính tháng {', '.join(month_label(m) for m in result.months)}.)")
