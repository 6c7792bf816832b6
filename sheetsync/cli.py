"""The `sheetsync` command: a thin layer over `sheetsync.api`.

Exit codes: 0 clean, 1 findings with errors, 2 usage or I/O problems.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path

import click

from . import __version__, api
from .findings import ERROR
from .profile import load_profile
from .schema import SchemaError

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _month(ctx, param, value):
    if value is None:
        return None
    m = MONTH_RE.match(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        # Accept the Vietnamese way of writing it too.
        m2 = re.match(r"^(\d{1,2})/(\d{4})$", value.strip())
        if m2 and 1 <= int(m2.group(1)) <= 12:
            return f"{m2.group(2)}-{int(m2.group(1)):02d}"
        raise click.BadParameter(f"'{value}' không phải tháng; cần dạng yyyy-mm, ví dụ 2026-11.")
    return value.strip()


def _as_of(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"'{value}' không phải ngày; cần dạng yyyy-mm-dd, ví dụ 2026-11-26.") from None


class Group(click.Group):
    """Usage errors exit with 2 (click's default too) and say so in Vietnamese."""


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sheetsync")
def main() -> None:
    """sheetsync: kiểm tra, chấm điểm và ghi kết quả đánh giá hằng tháng ngay trong bảng tính của đơn vị."""


common_options = [
    click.argument("sources", nargs=-1, required=True),
    click.option("--month", callback=_month, help="Chỉ chấm tháng này (yyyy-mm). Mặc định: mọi tháng có trong tệp."),
    click.option("--as-of", "as_of", callback=_as_of, help="Ngày dùng để xét hạn (yyyy-mm-dd). Mặc định: hôm nay."),
    click.option("--profile", help="Bộ tiêu chí chấm điểm: tên (nd335, hanoi-3814) hoặc đường dẫn tệp YAML."),
    click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON cho script, bộ lập lịch."),
]


def with_common(f):
    for opt in reversed(common_options):
        f = opt(f)
    return f


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--unit", required=True, help="Tên đơn vị, ví dụ 'Trường Tiểu học Phúc Xá'.")
@click.option("--overwrite", is_flag=True, help="Ghi đè nếu tệp đã có.")
@click.option("--profile", help="Bộ tiêu chí (hanoi-3814 thêm cột Điểm thưởng).")
def init(path: str, unit: str, overwrite: bool, profile: str | None) -> None:
    """Tạo một bảng tính trống cho đơn vị, đủ các trang và tiêu đề cột."""
    try:
        out = api.init(path, unit, overwrite=overwrite, profile=profile)
    except (FileExistsError, SchemaError, OSError) as exc:
        click.echo(f"Lỗi: {exc}", err=True)
        sys.exit(api.EXIT_PROBLEM)
    click.echo(f"Đã tạo {out} cho đơn vị '{unit}'. Mở tệp, nhập danh sách cán bộ, danh mục sản phẩm, "
               "nhiệm vụ và đánh giá; sau đó chạy: sheetsync sync " + str(out))


@main.command()
@with_common
def validate(sources, month, as_of, profile, as_json) -> None:
    """Kiểm tra dữ liệu (không ghi gì vào tệp)."""
    _run(sources, month, as_of, profile, as_json, write=False)


@main.command()
@with_common
def sync(sources, month, as_of, profile, as_json) -> None:
    """Kiểm tra, chấm điểm và ghi kết quả vào các cột, trang của hệ thống."""
    _run(sources, month, as_of, profile, as_json, write=True)


def _run(sources, month, as_of, profile, as_json, write: bool) -> None:
    try:
        load_profile(profile) if profile else None
    except SchemaError as exc:
        click.echo(f"Lỗi: {exc}", err=True)
        sys.exit(api.EXIT_PROBLEM)
    specs_seen = []

    def progress(spec):
        specs_seen.append(spec)

    show_bar = not as_json and sys.stderr.isatty()
    if show_bar:
        from .ward import resolve_sources
        try:
            _, units = resolve_sources(list(sources))
        except Exception:  # the run reports it properly
            units = []
        with click.progressbar(length=max(len(units), 1), label="Đang xử lý các đơn vị", file=sys.stderr,
                               item_show_func=lambda s: s.name if s else "") as bar:
            def progress(spec):  # noqa: F811 — the bar's own callback
                bar.update(1, spec)
            result = api.run(sources, write=write, month=month, as_of=as_of, profile=profile, progress=progress)
    else:
        result = api.run(sources, write=write, month=month, as_of=as_of, profile=profile, progress=progress)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        print_result(result)
    sys.exit(result.exit_code)


def print_result(result: api.RunResult) -> None:
    for p in result.problems:
        click.echo(f"Lỗi: {p}", err=True)
    if not result.units:
        return
    verb = "Đồng bộ" if result.mode == "sync" else "Kiểm tra"
    click.echo(f"{verb} {len(result.units)} đơn vị — bộ tiêu chí {result.profile.title}, "
               f"xét hạn đến {result.as_of:%d/%m/%Y}")
    ratings = result.profile.ratings
    short = {r: c for r, c in zip(ratings, ["HTXS", "HTT", "HT", "KHT"])}
    head = ["Đơn vị", "Hàng lỗi", "Hàng c.báo", "Được chấm"] + [short[r] for r in ratings] + \
        (["Ô đã ghi"] if result.mode == "sync" else [])
    rows = []
    for u in result.units:
        d = api.unit_dict(u, result.months, with_findings=False)
        if u.error:
            rows.append([u.unit, "—", "—", "—"] + ["—"] * len(ratings) + (["—"] if result.mode == "sync" else []))
            continue
        month_data = d["months"].get(max(d["months"])) if d["months"] else None
        counts = month_data["ratings"] if month_data else {}
        rated = f"{month_data['rated']}/{month_data['people_on_roster']}" if month_data else "0"
        row = [u.unit, str(d["error_rows"]), str(d["warning_rows"]), rated] + [str(counts.get(r, 0)) for r in ratings]
        if result.mode == "sync":
            row.append(str(d["cells_written"]) + (" + Tổng hợp" if d["summary_rewritten"] else "")
                       if u.written else "không đổi")
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    click.echo("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    click.echo("  ".join("-" * w for w in widths))
    for r in rows:
        click.echo("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    for u in result.units:
        if u.error:
            click.echo(f"\n[{u.unit}] Lỗi: {u.error}", err=True)
            continue
        ev = u.evaluation
        f = api.findings_in_months(ev, result.months)
        errs = f[f["severity"] == ERROR]
        if len(errs):
            click.echo(f"\n[{u.unit}] {len(errs)} lỗi, ví dụ:")
            for rec in errs.head(5).itertuples():
                where = f"{rec.tab}!{rec.cell}" if isinstance(rec.cell, str) else rec.tab
                click.echo(f"  - {where}: {rec.message}")
    if result.months:
        click.echo(f"\n(Chỉ tính tháng {', '.join(result.months)}.)")
