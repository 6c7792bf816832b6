"""The weeks inside the month: `schedule` (the weekly work schedule and its calendar) and
`bottlenecks` (where work is stuck), registered on the main group."""

from __future__ import annotations

import sys

import click

from sheetsync.cli.options import (
    as_of_option,
    formats_list,
    formats_option,
    json_option,
    out_option,
    profile_option,
    store_option,
    templates_option,
    week_option,
)
from sheetsync.cli.output import echo_json, guarded, notices, say, table
from sheetsync.errors import EXIT_PROBLEM


@click.command(options_metavar="[TÙY CHỌN]")
@click.argument("sources", nargs=-1, required=True)
@click.option("--week", callback=week_option,
              help="Tuần cần in: 2026-W44, Tuần 44/2026 hoặc một ngày trong tuần. Mặc định: tuần của --as-of (hôm nay).")
@as_of_option
@out_option("lich-cong-tac", "Thư mục ghi lịch.")
@formats_option("xlsx,html,pdf,ics",
                "Các định dạng, cách nhau bởi dấu phẩy: xlsx, html, pdf, ics (lịch cho điện thoại, Outlook).")
@profile_option
@templates_option("Thư mục mẫu đã chỉnh sửa (lich_cong_tac.yaml, lich_cong_tac.html.j2).")
@json_option
def schedule(sources, week, as_of, out, formats, profile, templates, as_json) -> None:
    """In lịch công tác tuần (trang Lịch công tác) của từng đơn vị và của phường: xlsx, HTML, PDF, và tệp
    lịch .ics (mọi tuần, kèm các hạn đánh giá trong tháng) để nhập hoặc đăng ký trên điện thoại, Outlook.
    Không ghi gì vào bảng tính của đơn vị."""
    from sheetsync.domain.calendar import week_label
    from sheetsync.service.schedule import schedule as make_schedule

    result = guarded(as_json, lambda: make_schedule(list(sources), week=week, as_of=as_of, out=out,
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


@click.command(options_metavar="[TÙY CHỌN]")
@click.argument("sources", nargs=-1, required=True)
@as_of_option
@out_option("diem-nghen", "Thư mục ghi báo cáo.")
@formats_option("xlsx,html", "Các định dạng, cách nhau bởi dấu phẩy: xlsx, html (có biểu đồ).")
@profile_option
@store_option
@json_option
def bottlenecks(sources, as_of, out, formats, profile, store, as_json) -> None:
    """Báo cáo điểm nghẽn theo đơn vị và người quản lý trực tiếp: khó khăn, vướng mắc nêu trong báo cáo
    tuần, nhiệm vụ quá hạn hoặc lâu không cập nhật, nhiệm vụ bị trả lại nhiều lần, người không cập nhật
    (ngưỡng trong bộ tiêu chí, mục bottlenecks). Không ghi gì vào bảng tính của đơn vị."""
    from sheetsync.history.bottlenecks import KINDS
    from sheetsync.service.reports import bottlenecks as find

    result = guarded(as_json, lambda: find(list(sources), as_of=as_of, store=store, profile=profile, out=out,
                                          formats=formats_list(formats)))
    if as_json:
        echo_json(result.to_dict(), result.exit_code)
    for m in result.messages:
        say(m, err=True)
    report = result.report
    counts = report.counts()
    say(f"Điểm nghẽn tính đến ngày {report.as_of:%d/%m/%Y}:")
    table(["Đơn vị", *KINDS.values(), "Cộng"],
          [[u, *[str(int(v)) for v in row], str(int(row.sum()))] for u, row in counts.iterrows()])
    for path in result.paths:
        say(f"  {path}")
    sys.exit(result.exit_code)


COMMANDS = (schedule, bottlenecks)


def register(main_group: click.Group) -> None:
    """Add the weekly commands to `sheetsync`."""
    for command in COMMANDS:
        main_group.add_command(command)
