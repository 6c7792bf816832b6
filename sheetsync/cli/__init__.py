"""The `sheetsync` command: a thin layer over `sheetsync.api`.

Exit codes: 0 clean, 1 findings with errors, 2 usage or I/O problems.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from sheetsync import __version__, api
from sheetsync.engine.findings import ERROR
from sheetsync.config.profile import load_profile
from sheetsync.cli.options import as_of_option, month_option
from sheetsync.errors import SchemaError, SheetsyncError



class Group(click.Group):
    """Usage errors exit with 2 (click's default too) and say so in Vietnamese."""


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sheetsync")
def main() -> None:
    """sheetsync: kiểm tra, chấm điểm và ghi kết quả đánh giá hằng tháng ngay trong bảng tính của đơn vị."""


common_options = [
    click.argument("sources", nargs=-1, required=True),
    click.option("--month", callback=month_option, help="Chỉ chấm tháng này (yyyy-mm). Mặc định: mọi tháng có trong tệp."),
    click.option("--as-of", "as_of", callback=as_of_option, help="Ngày dùng để xét hạn (yyyy-mm-dd). Mặc định: hôm nay."),
    click.option("--profile", help="Bộ tiêu chí chấm điểm: tên (nd335, hanoi-3814) hoặc đường dẫn tệp YAML."),
    click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON cho script, bộ lập lịch."),
    click.option("--store", help="Nơi lưu lịch sử: tệp SQLite hoặc URL PostgreSQL. Mặc định: sheetsync.db cạnh "
                                 "ward.yaml hoặc tệp .xlsx; 'none' để không lưu."),
]


def with_common(f):
    for opt in reversed(common_options):
        f = opt(f)
    return f


@main.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--unit", required=True, help="Tên đơn vị, ví dụ 'Trường Tiểu học Phúc Xá'.")
@click.option("--overwrite", is_flag=True, help="Ghi đè nếu tệp (hoặc các trang của bảng tính Google) đã có dữ liệu.")
@click.option("--profile", help="Bộ tiêu chí (hanoi-3814 thêm cột Điểm thưởng).")
@click.option("--create", is_flag=True, help="Tạo bảng tính Google mới qua Google Drive (không cần PATH).")
@click.option("--share-with", "share_with", multiple=True, metavar="EMAIL",
              help="Chia sẻ bảng tính Google với email này, quyền chỉnh sửa (lặp lại được).")
def init(path: str | None, unit: str, overwrite: bool, profile: str | None, create: bool,
         share_with: tuple[str, ...]) -> None:
    """Tạo một bảng tính trống cho đơn vị, đủ các trang và tiêu đề cột.

    PATH là tệp .xlsx, hoặc gsheet:<mã> / đường dẫn một bảng tính Google có sẵn."""
    if not path and not create:
        raise click.UsageError("Cần PATH (tệp .xlsx, gsheet:<mã> hoặc đường dẫn Google Sheets) hoặc --create.")
    try:
        out = api.init(path or "", unit, overwrite=overwrite, profile=profile, create=create,
                       share_with=list(share_with))
    except (FileExistsError, SheetsyncError, OSError) as exc:
        click.echo(f"Lỗi: {exc}", err=True)
        sys.exit(api.EXIT_PROBLEM)
    if not isinstance(out, Path):  # a Google spreadsheet
        shared = f" Đã chia sẻ với {', '.join(out.shared_with)}." if out.shared_with else ""
        click.echo(f"Đã dựng bảng tính Google cho đơn vị '{unit}': {out.url}{shared}\n"
                   f"Khai báo trong ward.yaml: source: gsheet:{out.spreadsheet_id}; sau khi nhập dữ liệu, chạy: "
                   f"sheetsync sync gsheet:{out.spreadsheet_id}")
        return
    click.echo(f"Đã tạo {out} cho đơn vị '{unit}'. Mở tệp, nhập danh sách cán bộ, danh mục sản phẩm, "
               "nhiệm vụ và đánh giá; sau đó chạy: sheetsync sync " + str(out))


@main.command()
@with_common
def validate(sources, month, as_of, profile, as_json, store) -> None:
    """Kiểm tra dữ liệu (không ghi gì vào tệp)."""
    _run(sources, month, as_of, profile, as_json, write=False, store=store)


@main.command()
@with_common
def sync(sources, month, as_of, profile, as_json, store) -> None:
    """Kiểm tra, chấm điểm và ghi kết quả vào các cột, trang của hệ thống."""
    _run(sources, month, as_of, profile, as_json, write=True, store=store)


def _run(sources, month, as_of, profile, as_json, write: bool, store: str | None = None) -> None:
    try:
        load_profile(profile) if profile else None
    except SchemaError as exc:
        click.echo(f"Lỗi: {exc}", err=True)
        sys.exit(api.EXIT_PROBLEM)
    options = dict(write=write, month=month, as_of=as_of, profile=profile, store=store)
    if as_json or not sys.stderr.isatty():
        result = api.run(sources, **options)
    else:
        from sheetsync.config.ward import resolve_sources
        try:
            count = len(resolve_sources(list(sources))[1])
        except Exception:  # noqa: BLE001 — the run itself reports bad sources properly
            count = 1
        with click.progressbar(length=max(count, 1), label="Đang xử lý các đơn vị", file=sys.stderr,
                               item_show_func=lambda s: s.name if s else "") as bar:
            result = api.run(sources, progress=lambda spec: bar.update(1, spec), **options)
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


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--month", callback=month_option, help="Tháng lập báo cáo (yyyy-mm). Mặc định: tháng gần nhất có dữ liệu.")
@click.option("--as-of", "as_of", callback=as_of_option, help="Ngày dùng để xét hạn (yyyy-mm-dd). Mặc định: hôm nay.")
@click.option("--out", "out", default="bao-cao", show_default=True, type=click.Path(file_okay=False),
              help="Thư mục ghi biểu mẫu.")
@click.option("--format", "formats", default="xlsx,html,pdf", show_default=True,
              help="Các định dạng, cách nhau bởi dấu phẩy: xlsx, html, pdf.")
@click.option("--profile", help="Bộ tiêu chí chấm điểm: tên hoặc đường dẫn YAML.")
@click.option("--templates", type=click.Path(exists=True, file_okay=False), help="Thư mục mẫu biểu đã chỉnh sửa.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@click.option("--store", help="Nơi lưu lịch sử (SQLite hoặc URL PostgreSQL); 'none' để không lưu.")
@click.option("--gsheet", help="Ghi thêm Mẫu 01A, 02A của phường vào bảng tính Google này (gsheet:<mã> hoặc đường dẫn).")
def report(sources, month, as_of, out, formats, profile, templates, as_json, store, gsheet) -> None:
    """Lập Mẫu số 01A và 02A cho từng đơn vị và toàn phường (không ghi vào tệp của đơn vị)."""
    fmts = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    bad = [f for f in fmts if f not in ("xlsx", "html", "pdf")]
    if bad:
        raise click.BadParameter(f"định dạng không hỗ trợ: {', '.join(bad)}; chỉ có xlsx, html, pdf.",
                                 param_hint="--format")
    result = api.report(sources, month=month, as_of=as_of, out=out, formats=fmts, profile=profile,
                        templates_dir=templates, store=store, gsheet=gsheet)
    if as_json:
        payload = {"month": result.month, "exit_code": result.exit_code, "messages": result.messages,
                   "files": [str(p) for p in result.output.paths] if result.output else [],
                   "units": [api.unit_dict(u, [result.month] if result.month else None, with_findings=False)
                             for u in result.run.units]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        sys.exit(result.exit_code)
    for m in result.messages:
        click.echo(m, err=True)
    if result.output is None:
        sys.exit(api.EXIT_PROBLEM)
    click.echo(f"Đã lập biểu mẫu tháng {result.month[5:]}/{result.month[:4]} trong {result.output.out_dir}:")
    for scope in result.output.scopes:
        click.echo(f"  {scope.name}:")
        for kind, path in scope.paths.items():
            click.echo(f"    {kind:<9} {path}")
    sys.exit(result.exit_code)


@main.command()
@click.option("--out", "out", default="sheetsync-demo", show_default=True, type=click.Path(file_okay=False),
              help="Thư mục tạo phường mẫu.")
@click.option("--months", default="2026-10", show_default=True,
              help="Các tháng có dữ liệu: một tháng (2026-10), danh sách (2026-09,2026-10) hoặc khoảng (2026-01..2026-12).")
@click.option("--as-of", "as_of", callback=as_of_option, help="Ngày xét hạn. Mặc định: cuối tháng cuối cùng.")
@click.option("--format", "formats", default="xlsx,html,pdf", show_default=True, help="Định dạng biểu mẫu.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def demo(out, months, as_of, formats, as_json) -> None:
    """Tạo một phường mẫu (nhiều đơn vị, có trường học), đồng bộ và lập biểu mẫu."""
    from sheetsync.demo import build_demo_ward

    month_list = _month_list(months)
    ward_file = build_demo_ward(out, months=month_list)
    last = month_list[-1]
    as_of = as_of or _month_end(last)
    if not as_json:
        click.echo(f"Đã tạo phường mẫu: {ward_file}")
    result = api.sync([str(ward_file)], as_of=as_of)
    if as_json:
        rep = api.report([str(ward_file)], month=last, as_of=as_of, out=Path(out) / "bao-cao",
                         formats=tuple(formats.split(",")))
        click.echo(json.dumps({"ward": str(ward_file), "sync": result.to_dict(with_findings=False),
                               "report": {"month": rep.month, "files": [str(p) for p in rep.output.paths]
                                          if rep.output else [], "messages": rep.messages}},
                              ensure_ascii=False, indent=2, default=str))
        return
    print_result(result)
    click.echo("\nLập biểu mẫu gửi phường...")
    rep = api.report([str(ward_file)], month=last, as_of=as_of, out=Path(out) / "bao-cao",
                     formats=tuple(formats.split(",")))
    for m in rep.messages:
        click.echo(m, err=True)
    if rep.output is not None:
        ward = rep.output.ward
        click.echo(f"Biểu mẫu của phường ({ward.name}):")
        for kind, path in ward.paths.items():
            click.echo(f"  {kind:<9} {path}")
        click.echo(f"Biểu mẫu từng đơn vị: {rep.output.out_dir}")
    click.echo(f"\nMở các tệp .xlsx của đơn vị trong {Path(out)} để xem cột 'Kết quả kiểm tra', 'Ghi chú kiểm tra' "
               "và trang 'Tổng hợp' do hệ thống ghi. Sửa một ô rồi chạy lại: sheetsync sync " + str(ward_file))


def _month_list(spec: str) -> list[str]:
    spec = spec.strip()
    if ".." in spec:
        a, b = (month_option(None, None, x) for x in spec.split("..", 1))
        y, m = int(a[:4]), int(a[5:])
        out = []
        while f"{y}-{m:02d}" <= b:
            out.append(f"{y}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    return [month_option(None, None, x) for x in spec.split(",") if x.strip()]


def _month_end(month: str) -> date:
    y, m = int(month[:4]), int(month[5:])
    nxt = date(y + (m == 12), 1 if m == 12 else m + 1, 1)
    from datetime import timedelta
    return nxt - timedelta(days=1)


@main.command()
@click.option("--port", default=8765, show_default=True, help="Cổng trên 127.0.0.1.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), help="Thư mục lưu trạng thái (giữ qua các lần chạy).")
@click.option("--quota-per-minute", type=int, help="Giả lập hạn mức: lỗi 429 khi vượt số yêu cầu mỗi phút.")
@click.option("--error-rate", type=float, default=0.0, help="Tỷ lệ trả lỗi 500/503 ngẫu nhiên (0..1).")
@click.option("--drop-rate", type=float, default=0.0, help="Tỷ lệ ngắt kết nối ngẫu nhiên (0..1).")
@click.option("--latency-ms", type=float, default=0.0, help="Độ trễ thêm cho mỗi yêu cầu (ms).")
def emulator(port, data_dir, quota_per_minute, error_rate, drop_rate, latency_ms) -> None:
    """Chạy bộ giả lập Google Sheets API ngoại tuyến để thực hành và kiểm thử."""
    from sheetsync.emulator import FaultConfig, serve

    serve(port=port, data_dir=data_dir, faults=FaultConfig(quota_per_minute=quota_per_minute, error_rate=error_rate,
                                                            drop_rate=drop_rate, latency_ms=latency_ms))


def _register_history() -> None:
    from sheetsync.cli.history import register

    register(main)


_register_history()
