"""The `sheetsync` command: parses options, calls `sheetsync.service`, prints the result.

Exit codes: 0 clean, 1 findings with errors, 2 usage or I/O problems. Heavy libraries (pandas,
openpyxl, SQLAlchemy, gspread) are imported inside the commands that need them, so `--help`
and a typo answer at once.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from sheetsync import __version__
from sheetsync.cli import i18n, startup
from sheetsync.cli.options import (
    DATE_HELP,
    MONTH_HELP,
    apply,
    as_of_option,
    date_option,
    formats_list,
    formats_option,
    json_option,
    month_option,
    months_option,
    out_option,
    profile_option,
    store_option,
    templates_option,
)
from sheetsync.cli.output import echo_json, fail, failed, run_result, say
from sheetsync.cli.startup import load_service
from sheetsync.errors import EXIT_PROBLEM, SheetsyncError

i18n.install()


class Group(click.Group):
    """Commands show `[TÙY CHỌN]` in their usage line, like the rest of the help. Last resort:
    an error no command caught still ends in a Vietnamese message and exit 2, never a
    traceback (SHEETSYNC_DEBUG=1 shows it)."""

    def command(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[TÙY CHỌN]")
        return super().command(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except SheetsyncError as exc:
            fail(exc)
        except OSError as exc:
            from sheetsync.errors import os_error

            fail(os_error(exc))
        except MemoryError:
            fail("không đủ bộ nhớ để xử lý; hãy kiểm tra các tệp đầu vào (có thể quá lớn).")
        except Exception as exc:  # noqa: BLE001 — the last resort: an answer, not a traceback
            import os
            import traceback

            from sheetsync.text import shorten

            if os.environ.get("SHEETSYNC_DEBUG"):
                traceback.print_exc()
            fail(f"lỗi không mong đợi ({type(exc).__name__}: {shorten(str(exc), 200)}). Hãy gửi lệnh đã chạy "
                 "và thông báo này cho bộ phận kỹ thuật.")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]},
             options_metavar="[TÙY CHỌN]", subcommand_metavar="LỆNH [THAM SỐ]...")
@click.version_option(__version__, prog_name="sheetsync")
def main() -> None:
    """sheetsync: kiểm tra, chấm điểm và ghi kết quả đánh giá hằng tháng ngay trong bảng tính của đơn vị."""


run_options = [
    click.argument("sources", nargs=-1, required=True),
    click.option("--month", callback=month_option,
                 help=f"Chỉ chấm tháng này, {MONTH_HELP}. Mặc định: mọi tháng có trong tệp."),
    as_of_option,
    profile_option,
    json_option,
    store_option,
    click.option("--verbose", "-v", is_flag=True, help="In mọi lỗi và cảnh báo (mặc định: 5 mỗi loại, mỗi đơn vị)."),
]


@main.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--unit", required=True, help="Tên đơn vị, ví dụ 'Trường Tiểu học Phúc Xá'.")
@click.option("--overwrite", is_flag=True, help="Ghi đè nếu tệp (hoặc các trang của bảng tính Google) đã có dữ liệu.")
@click.option("--profile", help="Bộ tiêu chí (hanoi-3814 thêm cột Điểm thưởng).")
@click.option("--create", is_flag=True, help="Tạo bảng tính Google mới qua Google Drive (không cần ĐƯỜNG-DẪN).")
@click.option("--share-with", "share_with", multiple=True, metavar="EMAIL",
              help="Chia sẻ bảng tính Google với email này, quyền chỉnh sửa (lặp lại được).")
@json_option
def init(path: str | None, unit: str, overwrite: bool, profile: str | None, create: bool,
         share_with: tuple[str, ...], as_json: bool) -> None:
    """Tạo một bảng tính trống cho đơn vị, đủ các trang và tiêu đề cột.

    ĐƯỜNG-DẪN là tệp .xlsx, hoặc gsheet:<mã> / đường dẫn một bảng tính Google có sẵn."""
    from sheetsync import service

    try:
        out = service.init(path or "", unit, overwrite=overwrite, profile=profile, create=create,
                           share_with=list(share_with))
    except SheetsyncError as exc:
        failed(exc, as_json)
    except (FileExistsError, OSError) as exc:
        from sheetsync.errors import os_error

        failed(os_error(exc, path) if not isinstance(exc, FileExistsError) else
                SheetsyncError(str(exc), code="source.exists"), as_json)
    if not isinstance(out, Path):  # a Google spreadsheet
        if as_json:
            echo_json({"spreadsheet": out.spreadsheet_id, "url": out.url, "shared_with": out.shared_with}, 0)
        shared = f" Đã chia sẻ với {', '.join(out.shared_with)}." if out.shared_with else ""
        say(f"Đã dựng bảng tính Google cho đơn vị '{unit}': {out.url}{shared}\n"
            f"Khai báo trong ward.yaml: source: gsheet:{out.spreadsheet_id}; sau khi nhập dữ liệu, chạy: "
            f"sheetsync sync gsheet:{out.spreadsheet_id}")
        return
    if as_json:
        echo_json({"path": str(out)}, 0)
    say(f"Đã tạo {out} cho đơn vị '{unit}'. Mở tệp, nhập danh sách cán bộ, danh mục sản phẩm, "
        "nhiệm vụ và đánh giá; sau đó chạy: sheetsync sync " + str(out))


@main.command()
@apply(run_options)
def validate(sources, month, as_of, profile, as_json, store, verbose) -> None:
    """Kiểm tra dữ liệu (không ghi gì vào tệp)."""
    _run(sources, month, as_of, profile, as_json, store, verbose, write=False)


@main.command()
@apply(run_options)
def sync(sources, month, as_of, profile, as_json, store, verbose) -> None:
    """Kiểm tra, chấm điểm và ghi kết quả vào các cột, trang của hệ thống."""
    _run(sources, month, as_of, profile, as_json, store, verbose, write=True)


def _run(sources, month, as_of, profile, as_json, store, verbose: bool, write: bool) -> None:
    service = load_service()
    options = dict(write=write, month=month, as_of=as_of, profile=profile, store=store)
    if as_json or not sys.stderr.isatty():
        result = service.run(list(sources), **options)
    else:
        try:
            count = len(service.resolve_units(list(sources))[1])
        except SheetsyncError:  # the run itself reports bad sources properly
            count = 1
        with click.progressbar(length=max(count, 1), label="Đang xử lý các đơn vị", file=sys.stderr,
                               item_show_func=lambda s: s.name if s else "") as bar:
            result = service.run(list(sources), progress=lambda spec: bar.update(1, spec), **options)
    if as_json:
        echo_json(result.to_dict(), result.exit_code)
    run_result(result, verbose)
    sys.exit(result.exit_code)


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--month", callback=month_option,
              help=f"Tháng lập báo cáo, {MONTH_HELP}. Mặc định: tháng gần nhất có dữ liệu.")
@as_of_option
@out_option("bao-cao", "Thư mục ghi biểu mẫu.")
@formats_option("xlsx,html,pdf", "Các định dạng, cách nhau bởi dấu phẩy: xlsx, html, pdf.")
@profile_option
@templates_option("Thư mục mẫu biểu đã chỉnh sửa.")
@json_option
@store_option
@click.option("--gsheet", help="Ghi thêm Mẫu 01A, 02A của phường vào bảng tính Google này (gsheet:<mã> hoặc đường dẫn).")
def report(sources, month, as_of, out, formats, profile, templates, as_json, store, gsheet) -> None:
    """Lập Mẫu số 01A và 02A cho từng đơn vị và toàn phường (không ghi vào tệp của đơn vị)."""
    service = load_service()

    try:
        result = service.report(list(sources), month=month, as_of=as_of, out=out, formats=formats_list(formats),
                                profile=profile, templates_dir=templates, store=store, gsheet=gsheet)
    except SheetsyncError as exc:
        failed(exc, as_json)
    if as_json:
        echo_json(result.to_dict(), result.exit_code)
    from sheetsync.cli.output import notices
    from sheetsync.domain.calendar import month_label

    notices(result.run.notices)
    for m in result.messages:
        say(m, err=True)
    if result.output is None:
        sys.exit(EXIT_PROBLEM)
    say(f"Đã lập biểu mẫu tháng {month_label(result.month)} trong {result.output.out_dir}:")
    for scope in result.output.scopes:
        say(f"  {scope.name}:")
        for kind, path in scope.paths.items():
            say(f"    {kind:<9} {path}")
    sys.exit(result.exit_code)


@main.command()
@out_option("sheetsync-demo", "Thư mục tạo phường mẫu.")
@click.option("--months", default="2026-10", show_default=True, callback=months_option,
              help="Các tháng có dữ liệu: một tháng (10/2026), danh sách (09/2026,10/2026) hoặc khoảng (01/2026..12/2026).")
@click.option("--as-of", "as_of", callback=date_option,
              help=f"Ngày xét hạn, {DATE_HELP}. Mặc định: ngày hạn gửi biểu mẫu về phường của tháng cuối cùng.")
@formats_option("xlsx,html,pdf", "Định dạng biểu mẫu.")
@json_option
def demo(out, months, as_of, formats, as_json) -> None:
    """Tạo một phường mẫu (nhiều đơn vị, có trường học), đồng bộ và lập biểu mẫu."""
    from sheetsync.demo.run import run_demo

    built = None if as_json else (lambda ward: say(f"Đã tạo phường mẫu: {ward}"))
    run = run_demo(out, months, as_of=as_of, formats=formats_list(formats), on_built=built)
    ward_file, result, rep = run.ward, run.sync, run.report
    if as_json:
        echo_json({"ward": str(ward_file), "as_of": run.as_of.isoformat(), "sync": result.to_dict(with_findings=False),
                   "report": {"month": rep.month, "files": [str(p) for p in rep.output.paths] if rep.output else [],
                              "messages": rep.messages}})
        return
    run_result(result)
    say(f"\nBiểu mẫu gửi phường, lập ngày {run.as_of:%d/%m/%Y} (hạn gửi biểu mẫu tháng {run.month[5:]}/{run.month[:4]}):")
    for m in rep.messages:
        say(m, err=True)
    if rep.output is not None:
        ward = rep.output.ward
        say(f"Biểu mẫu của phường ({ward.name}):")
        for kind, path in ward.paths.items():
            say(f"  {kind:<9} {path}")
        say(f"Biểu mẫu từng đơn vị: {rep.output.out_dir}")
    say(f"\nMở các tệp .xlsx của đơn vị trong {Path(out)} để xem cột 'Kết quả kiểm tra', 'Ghi chú kiểm tra' "
        "và trang 'Tổng hợp' do hệ thống ghi. Sửa một ô rồi chạy lại: sheetsync sync " + str(ward_file))


@main.command()
@click.option("--port", default=8765, show_default=True, help="Cổng trên 127.0.0.1.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), help="Thư mục lưu trạng thái (giữ qua các lần chạy).")
@click.option("--quota-per-minute", type=int, help="Giả lập hạn mức: lỗi 429 khi vượt số yêu cầu mỗi phút.")
@click.option("--error-rate", type=float, default=0.0, help="Tỷ lệ trả lỗi 500/503 ngẫu nhiên (0..1).")
@click.option("--drop-rate", type=float, default=0.0, help="Tỷ lệ ngắt kết nối ngẫu nhiên (0..1).")
@click.option("--latency-ms", type=float, default=0.0, help="Độ trễ thêm cho mỗi yêu cầu (ms).")
def emulator(port, data_dir, quota_per_minute, error_rate, drop_rate, latency_ms) -> None:
    """Chạy bộ giả lập Google Sheets API ngoại tuyến để thực hành và kiểm thử."""
    try:  # a separate package (sheets-emulator): sheetsync itself never needs it
        from sheets_emulator import EmulatorServer, FaultConfig, StateFileError
    except ModuleNotFoundError as exc:
        if exc.name != "sheets_emulator":
            raise
        click.echo("Chưa cài bộ giả lập Google Sheets (gói sheets-emulator). "
                   "Cài bằng: pip install -e emulator (trong thư mục mã nguồn sheetsync).", err=True)
        sys.exit(2)
    faults = FaultConfig(quota_per_minute=quota_per_minute, error_rate=error_rate, drop_rate=drop_rate,
                         latency_ms=latency_ms)
    try:
        faults.validate()
        server = EmulatorServer(port, data_dir, faults).start()
    except StateFileError as exc:
        click.echo(f"Tệp trạng thái của bộ giả lập bị hỏng: {exc.path} ({exc.reason}). "
                   "Hãy sửa hoặc xoá tệp này rồi chạy lại.", err=True)
        sys.exit(2)
    except ValueError as exc:
        click.echo(f"Thông số không hợp lệ: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"Không mở được cổng {port}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    click.echo(f"Bộ giả lập Google Sheets đang chạy tại {server.url}")
    click.echo(f"  Để sheetsync dùng nó: export SHEETSYNC_GOOGLE_API_URL={server.url}")
    if server.state_path is not None:
        click.echo(f"  Trạng thái được lưu ở: {server.state_path}")
    click.echo("  Nhấn Ctrl-C để dừng.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        click.echo("Đã dừng bộ giả lập.")


def _register_history() -> None:
    from sheetsync.cli.history import register

    register(main)


def _register_web() -> None:
    from sheetsync.cli.web import register

    register(main)


def _register_worker() -> None:
    from sheetsync.cli.worker import register

    register(main)


def _register_weeks() -> None:
    from sheetsync.cli.weeks import register

    register(main)


_register_history()
_register_web()
_register_worker()
_register_weeks()


def run() -> None:
    """The `sheetsync` program: `main` in a process of its own (see `sheetsync.cli.startup`)."""
    startup.begin()
    main()
