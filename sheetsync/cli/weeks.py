"""The weeks inside the month: `schedule` (the weekly work schedule and its calendar) and
`bottlenecks` (where work is stuck), registered on the main group."""

from __future__ import annotations

import sys

import click

from sheetsync.cli.options import as_of_option, formats_list, json_option, profile_option, week_option
from sheetsync.cli.output import echo_json, fail, notices, say
from sheetsync.errors import EXIT_PROBLEM, SheetsyncError


def _guard(as_json: bool, work):
    try:
        return work()
    except SheetsyncError as exc:
        if as_json:
            echo_json({"exit_code": EXIT_PROBLEM, "error": exc.to_dict()}, EXIT_PROBLEM)
        fail(exc)


@click.command(options_metavar="[TÙY CHỌN]")
@click.argument("sources", nargs=-1, required=True)
@click.option("--week", callback=week_option,
              help="Tuần cần in: 2026-W44, Tuần 44/2026 hoặc một ngày trong tuần. Mặc định: tuần của --as-of (hôm nay).")
@as_of_option
@click.option("--out", "out", default="lich-cong-tac", show_default=True, type=click.Path(file_okay=False),
              help="Thư mục ghi lịch.")
@click.option("--format", "formats", default="xlsx,html,pdf,ics", show_default=True,
              help="Các định dạng, cách nhau bởi dấu phẩy: xlsx, html, pdf, ics (lịch cho điện thoại, Outlook).")
@profile_option
@click.option("--templates", type=click.Path(exists=True, file_okay=False),
              help="Thư mục mẫu đã chỉnh sửa (lich_cong_tac.yaml, lich_cong_tac.html.j2).")
@json_option
def schedule(sources, week, as_of, out, formats, profile, templates, as_json) -> None:
    """In lịch công tác tuần (trang Lịch công tác) của từng đơn vị và của phường: xlsx, HTML, PDF, và tệp
    lịch .ics (mọi tuần, kèm các hạn đánh giá trong tháng) để nhập hoặc đăng ký trên điện thoại, Outlook.
    Không ghi gì vào bảng tính của đơn vị."""
    from sheetsync.domain.calendar import week_label
    from sheetsync.service.schedule import schedule as make_schedule

    result = _guard(as_json, lambda: make_schedule(list(sources), week=week, as_of=as_of, out=out,
                                                   formats=formats_list(formats), profile=profile,
                                                   templates_dir=templates))
    if as_json:
        echo_json(result.to_dict(), result.exit_code)
    notices(result.run.notices)
    for m in result.messages:
        say(m, err=True)
    if not result.scopes:
        sys.exit(EXIT_PROBLEM)
    say(f"Đã lập lịch công tác {week_label(result.week)} trong {out}:")
    for scope in result.scopes:
        say(f"  {scope.name}: {scope.events} việc trong tuần, {scope.calendar_events} việc trong tệp lịch")
        for kind, path in scope.paths.items():
            say(f"    {kind:<5} {path}")
    sys.exit(result.exit_code)


COMMANDS = (schedule,)


def register(main_group: click.Group) -> None:
    """Add the weekly commands to `sheetsync`."""
    for command in COMMANDS:
        main_group.add_command(command)
