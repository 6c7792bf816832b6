"""History commands: quarter, year, status, history, reopen (registered on the main group).

Each calls `sheetsync.service` and prints the result. Exit codes: 0 done, 1 `status` found
missing or late work, 2 usage, store or source problems.
"""

from __future__ import annotations

import sys

import click

from sheetsync.cli.options import (
    MONTH_HELP,
    apply,
    as_of_option,
    formats_list,
    formats_option,
    json_option,
    month_option,
    out_option,
    profile_option,
    quarter_option,
    store_option,
    templates_option,
    year_option,
)
from sheetsync.cli.output import echo_json, fmt, guarded, say
from sheetsync.cli.startup import load_service

# -- quarter and year ----------------------------------------------------------------------------

forms_options = [
    out_option("bao-cao", "Thư mục ghi biểu mẫu."),
    formats_option("xlsx,html,pdf", "Các định dạng, cách nhau bởi dấu phẩy: xlsx, html, pdf."),
    templates_option("Thư mục mẫu biểu đã chỉnh sửa (mẫu quý trong quy/, mẫu năm trong nam/)."),
    click.option("--no-forms", is_flag=True, help="Chỉ tính và in kết quả, không lập biểu mẫu."),
]


def _period_command(sources, store, profile, period, out, formats, templates, as_json, no_forms) -> None:
    service = load_service()

    rep = guarded(as_json, lambda: service.period(list(sources), period, store=store, profile=profile, out=out,
                                                 formats=formats_list(formats), templates_dir=templates,
                                                 forms=not no_forms))
    if as_json:
        echo_json(rep.to_dict(), 0)
    result = rep.result
    if result.people.empty:
        say(f"Chưa có tháng nào của {period.phrase} trong kho dữ liệu.")
        return
    _print_period(result)
    for m in rep.messages:
        say(m, err=True)
    if rep.files:
        say(f"\nĐã lập biểu mẫu trong {out}:")
        for f in rep.files:
            say(f"  {f}")


def _print_period(result) -> None:
    p = result.period
    scale = result.profile.scale
    cols = [f"T{m[5:]}" for m in p.months] if p.kind == "quarter" else ["Quý I", "Quý II", "Quý III", "Quý IV"]
    say(f"Kết quả {p.label} (bình quân tổng điểm các tháng có điểm):")
    for unit in result.units:
        grp = result.people[result.people["unit"] == unit]
        if grp.empty:
            continue
        say(f"\n{unit}")
        say(f"  {'Mã':<8} {'Họ và tên':<26} " + " ".join(f"{c:>7}" for c in cols) +
            f" {'Điểm':>7} {'Xếp loại':<8} Ghi chú")
        for _, x in grp.iterrows():
            if p.kind == "quarter":
                vals = [x["monthly"].get(m) for m in p.months]
            else:
                vals = []
                for q in range(4):
                    got = [x["monthly"][m] for m in p.months[q * 3:(q + 1) * 3] if m in x["monthly"]]
                    vals.append(sum(got) / len(got) if got else None)
            say(f"  {x['staff_id']!s:<8} {str(x['full_name'] or '')[:26]:<26} " +
                " ".join(f"{fmt(v):>7}" for v in vals) +
                f" {fmt(x['score']):>7} {scale.code(x['rating']) or '—':<8} {x['notes']}")
        for q in result.quotas.get(unit, []):
            if q.get("exceeded"):
                say(f"  ! {q['message']}")


@click.command(options_metavar="[TÙY CHỌN]")
@click.argument("sources", nargs=-1, required=True)
@click.option("--quarter", "period", required=True, callback=quarter_option,
              help="Quý, dạng q/yyyy, ví dụ 2/2026, Q2/2026 hoặc Quý 2/2026.")
@store_option
@profile_option
@apply(forms_options)
@json_option
def quarter(sources, period, store, profile, out, formats, templates, no_forms, as_json) -> None:
    """Kết quả quý của từng người từ các tháng đã ghi nhận; lập Mẫu 01A, 02A theo quý."""
    _period_command(sources, store, profile, period, out, formats, templates, as_json, no_forms)


@click.command(options_metavar="[TÙY CHỌN]")
@click.argument("sources", nargs=-1, required=True)
@click.option("--year", "period", required=True, callback=year_option, help="Năm, ví dụ 2026.")
@store_option
@profile_option
@apply(forms_options)
@json_option
def year(sources, period, store, profile, out, formats, templates, no_forms, as_json) -> None:
    """Kết quả năm của từng người từ các tháng đã ghi nhận; nêu người có xếp loại năm lệch so với hằng tháng."""
    _period_command(sources, store, profile, period, out, formats, templates, as_json, no_forms)


# -- status ----------------------------------------------------------------------------------------

@click.command(options_metavar="[TÙY CHỌN]")
@click.argument("sources", nargs=-1, required=True)
@as_of_option
@store_option
@profile_option
@click.option("--counts", is_flag=True, help="In thêm số lần trả lại, chậm tiến độ, quá hạn theo tháng của từng người.")
@json_option
def status(sources, as_of, store, profile, counts, as_json) -> None:
    """Những việc còn thiếu hoặc trễ hạn của từng đơn vị và từng người (không ghi vào tệp)."""
    service = load_service()
    from sheetsync.domain.calendar import month_label, month_of

    res = guarded(as_json, lambda: service.status(list(sources), as_of=as_of, store=store, profile=profile))
    if as_json:
        echo_json(res.to_dict(), res.exit_code)
    for u in res.problems:
        say(f"Lỗi: {u.unit}: {u.error}", err=True)
    if res.store is None:
        say("(Chưa có kho dữ liệu: không xét được biểu mẫu gửi phường và nhiệm vụ lâu không cập nhật.)")
    current = month_of(res.as_of.date())
    say(f"Tình hình đến ngày {res.as_of:%d/%m/%Y} (ngày xét hạn; đổi bằng --as-of).")
    steps = ", ".join(f"{step} {day:%d/%m}" for step, day in res.deadlines(current))
    if steps:
        say(f"Hạn của tháng {month_label(current)} theo bộ tiêu chí {res.profile.title}: {steps}. "
            "Các tháng trước còn mở (chưa phê duyệt xong) cũng được xét.")
    for u in res.units:
        if u.evaluation is None:
            continue
        items = res.report.for_unit(u.unit)
        say(f"\n{u.unit}: " + ("không có việc thiếu hoặc trễ hạn." if items.empty else f"{len(items)} việc"))
        for _, it in items.sort_values(["staff_id", "month", "code"]).iterrows():
            who = f"{it['staff_id']} {it['full_name']}".strip() or "Đơn vị"
            say(f"  - {who}: {it['message']}")
    if counts and len(res.report.counts):
        say(f"\nSố lần trả lại / chậm tiến độ / nhiệm vụ quá hạn theo tháng năm {res.as_of.year}:")
        for (unit, sid), g in res.report.counts.groupby(["unit", "staff_id"], sort=False):
            cells = " ".join(f"T{m[5:]}:{r}/{d}/{o}" for m, r, d, o in
                             zip(g["month"], g["returns"], g["delays"], g["overdue"]))
            say(f"  {unit} {sid}: {cells}")
    sys.exit(res.exit_code)


# -- history -----------------------------------------------------------------------------------

@click.command(options_metavar="[TÙY CHỌN]")
@click.argument("sources", nargs=-1, required=True)
@click.option("--person", required=True, help="Mã cán bộ.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Ghi thêm trang HTML có bảng và biểu đồ.")
@store_option
@json_option
def history(sources, person, html_path, store, as_json) -> None:
    """Các tháng, điểm và xếp loại của một người qua mọi đơn vị (kể cả khi chuyển công tác)."""
    service = load_service()
    from sheetsync.domain.calendar import month_label

    h = guarded(as_json, lambda: service.history(list(sources), person, store=store, html=html_path))
    if as_json:
        echo_json(h.to_dict(), 0)
    scale = h.profile.scale
    say(f"{h.staff_id} {h.full_name}")
    say(f"  {'Tháng':<8} {'Đơn vị':<34} {'Tổng':>7} {'Gợi ý':<7} {'Duyệt':<7} {'Khóa':<5} Trả lại/Chậm/Quá hạn")
    for _, r in h.months.iterrows():
        say(f"  {month_label(r['month'])} {str(r['unit'])[:34]:<34} {fmt(r['total_points']):>7} "
            f"{scale.code(r['suggested_rating']) or '—':<7} {scale.code(r['approved_rating']) or '—':<7} "
            f"{'có' if r['frozen'] else 'chưa':<5} {r['returns']}/{r['delays']}/{r['overdue']}")
    if h.html:
        say(f"\nĐã ghi {h.html}")


# -- reopen ------------------------------------------------------------------------------------

@click.command(options_metavar="[TÙY CHỌN]")
@click.argument("sources", nargs=-1, required=True)
@click.option("--unit", required=True, help="Tên đơn vị như trong ward.yaml.")
@click.option("--month", required=True, callback=month_option, help=f"Tháng đã phê duyệt cần mở lại, {MONTH_HELP}.")
@click.option("--reason", required=True, help="Lý do mở lại (được lưu vào nhật ký).")
@click.option("--by", "by", default=None, help="Người mở lại. Mặc định: tài khoản đang dùng.")
@store_option
@json_option
def reopen(sources, unit, month, reason, by, store, as_json) -> None:
    """Mở lại một tháng đã phê duyệt: lần đồng bộ sau sẽ ghi nhận nội dung hiện có trong bảng tính.

    Sửa bảng tính trước, rồi mới mở lại: lần đồng bộ kế tiếp ghi nhận nội dung mới và khóa lại
    ngay nếu mọi người vẫn có xếp loại được phê duyệt."""
    service = load_service()
    from sheetsync.domain.calendar import month_label

    state = guarded(as_json, lambda: service.reopen(list(sources), unit, month, reason, by=by, store=store))
    if as_json:
        echo_json({"unit": unit, "month": month, "frozen": state.frozen, "events": state.events}, 0)
    say(f"Đã mở lại tháng {month_label(month)} của {unit}. Lần đồng bộ sau sẽ ghi nhận nội dung hiện có.")


# -- rename-unit -----------------------------------------------------------------------------

@click.command("rename-unit", options_metavar="[TÙY CHỌN]")
@click.argument("sources", nargs=-1, required=True)
@click.option("--from", "old", required=True, help="Tên cũ của đơn vị, như lịch sử đã ghi.")
@click.option("--to", "new", required=True, help="Tên mới, như trong ward.yaml (sửa tệp đó trước).")
@click.option("--reason", default="", help="Lý do (được lưu vào nhật ký).")
@click.option("--by", "by", default=None, help="Người thực hiện. Mặc định: tài khoản đang dùng.")
@store_option
@json_option
def rename_unit(sources, old, new, reason, by, store, as_json) -> None:
    """Chuyển toàn bộ lịch sử của một đơn vị sang tên mới, sau khi đã đổi tên trong ward.yaml.

    Chuyển cả các tháng đã khóa, kết quả đã lưu, trang của đơn vị trên dịch vụ phường, tệp tải
    lên, kiến nghị, lịch và các tài khoản được xem đơn vị. Không gộp: nếu tên mới đã có dữ liệu
    trong kho thì không đổi gì. Dừng `sheetsync serve` trong lúc đổi tên."""
    service = load_service()
    done = guarded(as_json, lambda: service.rename_unit(list(sources), old, new, by=by, reason=reason, store=store))
    if as_json:
        echo_json(done.to_dict(), 0)
    say(f"Đã chuyển dữ liệu của «{old}» sang «{new}» ({sum(done.moved.values())} bản ghi).")


COMMANDS = (quarter, year, status, history, reopen, rename_unit)


def register(main_group: click.Group) -> None:
    """Add the history commands to `sheetsync`."""
    for command in COMMANDS:
        main_group.add_command(command)
