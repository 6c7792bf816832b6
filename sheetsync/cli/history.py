"""History commands: quarter, year, status, history, reopen (registered on the main group).

Each reads the store (`--store`, default `sheetsync.db` beside `ward.yaml` or the workbooks)
and, for `status`, the units' workbooks (never writing into them).
Exit codes: 0 done, 1 `status` found missing or late work, 2 usage, store or source problems.
"""

from __future__ import annotations

import getpass
import html
import json
import sys
from datetime import date
from pathlib import Path

import click
import pandas as pd

from sheetsync import api
from sheetsync.cli.options import as_of_option
from sheetsync.history.periods import (
    PeriodError,
    compute_period,
    parse_quarter,
    parse_year,
    write_period_forms,
)
from sheetsync.config.profile import load_profile
from sheetsync.config.schema import SchemaError
from sheetsync.history.store import StoreError, open_store, store_target
from sheetsync.config.ward import WardConfigError, resolve_sources

store_option = click.option("--store", "store_url",
                            help="Kho dữ liệu: tệp SQLite hoặc URL PostgreSQL (postgresql+psycopg://...). "
                                 "Mặc định: sheetsync.db cạnh ward.yaml.")
json_option = click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
profile_option = click.option("--profile", help="Bộ tiêu chí chấm điểm: tên hoặc đường dẫn YAML.")


def _fail(text: str) -> None:
    click.echo(f"Lỗi: {text}", err=True)
    sys.exit(api.EXIT_PROBLEM)


def _context(sources, store_url, profile, must_exist: bool = True):
    """The ward, its units, the profile and the opened store."""
    try:
        ward, units = resolve_sources(list(sources))
        prof = load_profile(profile or (ward.profile if ward else None))
    except (WardConfigError, SchemaError) as exc:
        _fail(str(exc))
    target = store_target(store_url, sources)
    if target is None:
        _fail("Không xác định được nơi đặt kho dữ liệu; hãy chỉ rõ --store.")
    if must_exist and "://" not in target and not Path(target).exists():
        _fail(f"Chưa có kho dữ liệu tại {target}; hãy chạy 'sheetsync sync' (có ghi kho) trước.")
    try:
        store = open_store(target)
    except StoreError as exc:
        _fail(str(exc))
    return ward, units, prof, store


def _echo_json(payload: dict, code: int = 0) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    sys.exit(code)


def _fmt(v, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}f}".replace(".", ",")
    return str(v)


CODES = {"Hoàn thành xuất sắc nhiệm vụ": "HTXSNV", "Hoàn thành tốt nhiệm vụ": "HTTNV",
         "Hoàn thành nhiệm vụ": "HTNV", "Không hoàn thành nhiệm vụ": "KHTNV"}


def _rating(v) -> str:
    return CODES.get(v, "—") if isinstance(v, str) else "—"


# -- quarter and year ----------------------------------------------------------------------------

def _period_command(sources, store_url, profile, period, out, formats, templates, as_json, no_forms) -> None:
    from sheetsync.forms.collect import ward_info

    ward, units, prof, store = _context(sources, store_url, profile)
    fmts = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    bad = [f for f in fmts if f not in ("xlsx", "html", "pdf")]
    if bad:
        raise click.BadParameter(f"định dạng không hỗ trợ: {', '.join(bad)}.", param_hint="--format")
    try:
        result = compute_period(store, period, prof, units=[u.name for u in units],
                                exceptional=[u.name for u in units if u.exceptional])
        files, messages = [], []
        if not no_forms and len(result.people):
            name = ward.name if ward else (units[0].name if len(units) == 1 else "Tổng hợp")
            output = write_period_forms(result, ward_info(ward, prof, name), out, formats=fmts, templates_dir=templates)
            files, messages = [str(p) for p in output.paths], output.messages
    except PeriodError as exc:
        _fail(str(exc))
    finally:
        store.close()
    if as_json:
        _echo_json({**result.to_dict(), "files": files, "messages": messages})
    if result.people.empty:
        click.echo(f"Chưa có tháng nào của {period.phrase} trong kho dữ liệu.")
        return
    _print_period(result)
    for m in messages:
        click.echo(m, err=True)
    if files:
        click.echo(f"\nĐã lập biểu mẫu trong {out}:")
        for f in files:
            click.echo(f"  {f}")


def _print_period(result) -> None:
    p = result.period
    cols = [f"T{m[5:]}" for m in p.months] if p.kind == "quarter" else ["Quý I", "Quý II", "Quý III", "Quý IV"]
    click.echo(f"Kết quả {p.label} (bình quân tổng điểm các tháng có điểm):")
    for unit in result.units:
        grp = result.people[result.people["unit"] == unit]
        if grp.empty:
            continue
        click.echo(f"\n{unit}")
        click.echo(f"  {'Mã':<8} {'Họ và tên':<26} " + " ".join(f"{c:>7}" for c in cols) +
                   f" {'Điểm':>7} {'Xếp loại':<8} Ghi chú")
        for _, x in grp.iterrows():
            if p.kind == "quarter":
                vals = [x["monthly"].get(m) for m in p.months]
            else:
                vals = []
                for q in range(4):
                    got = [x["monthly"][m] for m in p.months[q * 3:(q + 1) * 3] if m in x["monthly"]]
                    vals.append(sum(got) / len(got) if got else None)
            click.echo(f"  {x['staff_id']!s:<8} {str(x['full_name'] or '')[:26]:<26} " +
                       " ".join(f"{_fmt(v):>7}" for v in vals) +
                       f" {_fmt(x['score']):>7} {_rating(x['rating']):<8} {x['notes']}")
        for q in result.quotas.get(unit, []):
            if q.get("exceeded"):
                click.echo(f"  ! {q['message']}")


forms_options = [
    click.option("--out", default="bao-cao", show_default=True, type=click.Path(file_okay=False),
                 help="Thư mục ghi biểu mẫu."),
    click.option("--format", "formats", default="xlsx,html,pdf", show_default=True,
                 help="Các định dạng, cách nhau bởi dấu phẩy: xlsx, html, pdf."),
    click.option("--templates", type=click.Path(exists=True, file_okay=False),
                 help="Thư mục mẫu biểu đã chỉnh sửa (mẫu quý trong quy/, mẫu năm trong nam/)."),
    click.option("--no-forms", is_flag=True, help="Chỉ tính và in kết quả, không lập biểu mẫu."),
]


def _with_forms(f):
    for opt in reversed(forms_options):
        f = opt(f)
    return f


def _quarter_value(ctx, param, value):
    try:
        return parse_quarter(value)
    except PeriodError as exc:
        raise click.BadParameter(str(exc)) from None


def _year_value(ctx, param, value):
    try:
        return parse_year(value)
    except PeriodError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--quarter", "period", required=True, callback=_quarter_value, help="Quý, dạng q/yyyy, ví dụ 2/2026.")
@store_option
@profile_option
@_with_forms
@json_option
def quarter(sources, period, store_url, profile, out, formats, templates, no_forms, as_json) -> None:
    """Kết quả quý của từng người từ các tháng đã ghi nhận; lập Mẫu 01A, 02A theo quý."""
    _period_command(sources, store_url, profile, period, out, formats, templates, as_json, no_forms)


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--year", "period", required=True, callback=_year_value, help="Năm, ví dụ 2026.")
@store_option
@profile_option
@_with_forms
@json_option
def year(sources, period, store_url, profile, out, formats, templates, no_forms, as_json) -> None:
    """Kết quả năm của từng người từ các tháng đã ghi nhận; nêu người có xếp loại năm lệch so với hằng tháng."""
    _period_command(sources, store_url, profile, period, out, formats, templates, as_json, no_forms)


# -- status ----------------------------------------------------------------------------------------

@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--as-of", "as_of", callback=as_of_option, help="Ngày xét hạn (yyyy-mm-dd). Mặc định: hôm nay.")
@store_option
@profile_option
@click.option("--counts", is_flag=True, help="In thêm số lần trả lại, chậm tiến độ, quá hạn theo tháng của từng người.")
@json_option
def status(sources, as_of, store_url, profile, counts, as_json) -> None:
    """Những việc còn thiếu hoặc trễ hạn của từng đơn vị và từng người (không ghi vào tệp)."""
    from sheetsync.backends import SourceError, open_source
    from sheetsync.engine.evaluate import evaluate
    from sheetsync.config.schema import load_schemas
    from sheetsync.history.tracking import status as compute_status
    from sheetsync.history.tracking import window_months

    target = store_target(store_url, sources)
    has_store = bool(target) and ("://" in target or Path(target).exists())
    _ward, units, prof, store = _context(sources, store_url, profile, must_exist=False) if has_store else \
        (*_no_store(sources, profile), None)
    as_of_ts = pd.Timestamp(as_of or date.today())
    schemas = load_schemas()
    evaluations, problems = {}, []
    window = window_months(as_of_ts)
    for spec in units:
        try:
            grids = open_source(spec.source).read()
            frozen = set(store.frozen_months(spec.name)) if store is not None else set()
            # Only open months are scored (possibly none): approved months are done, and scoring is the slow part.
            evaluations[spec.name] = evaluate(grids, schemas, prof, as_of=as_of_ts, unit=spec.name,
                                              exceptional=spec.exceptional,
                                              months=[m for m in window if m not in frozen])
        except (SourceError, OSError) as exc:
            problems.append(f"{spec.name}: {exc}")
    try:
        report = compute_status(evaluations, store, as_of_ts, prof)
    finally:
        if store is not None:
            store.close()
    code = api.EXIT_PROBLEM if problems else (api.EXIT_FINDINGS if len(report.items) else api.EXIT_OK)
    if as_json:
        _echo_json({**report.to_dict(), "problems": problems, "store": target if has_store else None}, code)
    for p in problems:
        click.echo(f"Lỗi: {p}", err=True)
    if not has_store:
        click.echo("(Chưa có kho dữ liệu: không xét được biểu mẫu gửi phường và nhiệm vụ lâu không cập nhật.)")
    click.echo(f"Tình hình đến ngày {as_of_ts:%d/%m/%Y}:")
    for unit in evaluations:
        items = report.for_unit(unit)
        click.echo(f"\n{unit}: " + ("không có việc thiếu hoặc trễ hạn." if items.empty else f"{len(items)} việc"))
        for _, it in items.sort_values(["staff_id", "month", "code"]).iterrows():
            who = f"{it['staff_id']} {it['full_name']}".strip() or "Đơn vị"
            click.echo(f"  - {who}: {it['message']}")
    if counts and len(report.counts):
        click.echo(f"\nSố lần trả lại / chậm tiến độ / nhiệm vụ quá hạn theo tháng năm {as_of_ts.year}:")
        for (unit, sid), g in report.counts.groupby(["unit", "staff_id"], sort=False):
            cells = " ".join(f"T{m[5:]}:{r}/{d}/{o}" for m, r, d, o in
                             zip(g["month"], g["returns"], g["delays"], g["overdue"]))
            click.echo(f"  {unit} {sid}: {cells}")
    sys.exit(code)


def _no_store(sources, profile):
    try:
        ward, units = resolve_sources(list(sources))
        return ward, units, load_profile(profile or (ward.profile if ward else None))
    except (WardConfigError, SchemaError) as exc:
        _fail(str(exc))


# -- history -----------------------------------------------------------------------------------

@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--person", required=True, help="Mã cán bộ.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Ghi thêm trang HTML có bảng và biểu đồ.")
@store_option
@json_option
def history(sources, person, html_path, store_url, as_json) -> None:
    """Các tháng, điểm và xếp loại của một người qua mọi đơn vị (kể cả khi chuyển công tác)."""
    _, _, prof, store = _context(sources, store_url, None)
    try:
        h = store.person_history(person)
    finally:
        store.close()
    if h.empty:
        if as_json:
            _echo_json({"person": person, "months": []}, api.EXIT_PROBLEM)
        _fail(f"Không có tháng nào của cán bộ '{person}' trong kho dữ liệu.")
    cols = ["month", "unit", "total_points", "general_points", "task_points", "suggested_rating", "approved_rating",
            "final_rating", "frozen", "provisional", "tasks", "returns", "delays", "overdue"]
    if as_json:
        from sheetsync.history.capture import jsonable
        _echo_json({"person": person, "full_name": h["full_name"].iloc[-1],
                    "months": [{k: jsonable(r[k]) for k in cols} for r in h.to_dict("records")]})
    name = h["full_name"].iloc[-1] or ""
    click.echo(f"{h['staff_id'].iloc[-1]} {name}")
    click.echo(f"  {'Tháng':<8} {'Đơn vị':<34} {'Tổng':>7} {'Gợi ý':<7} {'Duyệt':<7} {'Khóa':<5} Trả lại/Chậm/Quá hạn")
    for _, r in h.iterrows():
        click.echo(f"  {r['month'][5:]}/{r['month'][:4]} {str(r['unit'])[:34]:<34} {_fmt(r['total_points']):>7} "
                   f"{_rating(r['suggested_rating']):<7} {_rating(r['approved_rating']):<7} "
                   f"{'có' if r['frozen'] else 'chưa':<5} {r['returns']}/{r['delays']}/{r['overdue']}")
    if html_path:
        path = write_history_html(h, html_path, prof)
        click.echo(f"\nĐã ghi {path}")


def history_chart_svg(h: pd.DataFrame, profile) -> str:
    """Monthly totals against the rating bands, as inline SVG (matplotlib, no display needed)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from sheetsync.forms.charts import chart_font

    fig = Figure(figsize=(7.5, 3.0), dpi=100)
    ax = fig.add_subplot()
    font = chart_font(["Liberation Serif", "Tinos", "DejaVu Serif"])
    months = [f"{m[5:]}/{m[2:4]}" for m in h["month"]]
    ax.plot(months, h["total_points"].astype(float), marker="o", color="#1f3b73", linewidth=1.8)
    for b in profile.bands:
        if b.min is not None:
            ax.axhline(b.min, color="#999999", linewidth=0.8, linestyle="--")
            ax.text(len(months) - 0.5, b.min + 0.5, CODES.get(b.rating, b.rating), fontsize=7, color="#555555",
                    ha="right", va="bottom", fontfamily=font)
    ax.set_ylim(max(0, min([40.0, *h["total_points"].dropna().astype(float)]) - 5), 100)
    ax.set_ylabel("Tổng điểm", fontfamily=font)
    for label in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        label.set_fontfamily(font)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def write_history_html(h: pd.DataFrame, path: str | Path, profile) -> Path:
    esc = html.escape
    rows = "\n".join(
        f"<tr><td>{esc(r['month'][5:])}/{esc(r['month'][:4])}</td><td>{esc(str(r['unit']))}</td>"
        f"<td class=n>{esc(_fmt(r['total_points']))}</td><td>{esc(_rating(r['suggested_rating']))}</td>"
        f"<td>{esc(_rating(r['approved_rating']))}</td><td>{'Đã phê duyệt' if r['frozen'] else 'Chưa khóa'}</td>"
        f"<td class=n>{r['returns']}</td><td class=n>{r['delays']}</td><td class=n>{r['overdue']}</td></tr>"
        for _, r in h.iterrows())
    svg = history_chart_svg(h, profile)
    svg = svg[svg.find("<svg"):]
    title = f"Lịch sử đánh giá – {h['staff_id'].iloc[-1]} {h['full_name'].iloc[-1] or ''}"
    page = f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font-family:"Times New Roman","Liberation Serif",serif;margin:2em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:3px 8px}}td.n{{text-align:right}}
figure{{margin:1em 0}}</style></head><body>
<h1>{esc(title)}</h1>
<figure>{svg}<figcaption>Tổng điểm hằng tháng so với các ngưỡng xếp loại</figcaption></figure>
<table><thead><tr><th>Tháng</th><th>Đơn vị</th><th>Tổng điểm</th><th>Xếp loại gợi ý</th><th>Xếp loại được phê duyệt</th>
<th>Trạng thái</th><th>Trả lại</th><th>Chậm tiến độ</th><th>Quá hạn</th></tr></thead>
<tbody>
{rows}
</tbody></table></body></html>
"""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


# -- reopen ------------------------------------------------------------------------------------

def _month_value(ctx, param, value):
    import re

    v = value.strip()
    m = re.match(r"^(\d{4})-(\d{2})$", v)
    if m and 1 <= int(m.group(2)) <= 12:
        return v
    m = re.match(r"^(\d{1,2})/(\d{4})$", v)
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{m.group(2)}-{int(m.group(1)):02d}"
    raise click.BadParameter(f"'{value}' không phải tháng; cần dạng yyyy-mm, ví dụ 2026-06.")


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--unit", required=True, help="Tên đơn vị như trong ward.yaml.")
@click.option("--month", required=True, callback=_month_value, help="Tháng đã phê duyệt cần mở lại (yyyy-mm).")
@click.option("--reason", required=True, help="Lý do mở lại (được lưu vào nhật ký).")
@click.option("--by", "by", default=None, help="Người mở lại. Mặc định: tài khoản đang dùng.")
@store_option
@json_option
def reopen(sources, unit, month, reason, by, store_url, as_json) -> None:
    """Mở lại một tháng đã phê duyệt: lần đồng bộ sau sẽ ghi nhận nội dung hiện có trong bảng tính.

    Sửa bảng tính trước, rồi mới mở lại: lần đồng bộ kế tiếp ghi nhận nội dung mới và khóa lại
    ngay nếu mọi người vẫn có xếp loại được phê duyệt."""
    _, units, _, store = _context(sources, store_url, None)
    try:
        known = {u.name for u in units} | set(store.units())
        if unit not in known:
            _fail(f"Không có đơn vị '{unit}'; các đơn vị: {', '.join(sorted(known))}.")
        state = store.reopen(unit, month, by or _user(), reason)
    except StoreError as exc:
        _fail(str(exc))
    finally:
        store.close()
    if as_json:
        _echo_json({"unit": unit, "month": month, "frozen": state.frozen, "events": state.events})
    click.echo(f"Đã mở lại tháng {month[5:]}/{month[:4]} của {unit}. Lần đồng bộ sau sẽ ghi nhận nội dung hiện có.")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 — no login name in some containers
        return "quản trị viên"


COMMANDS = (quarter, year, status, history, reopen)


def register(main_group: click.Group) -> None:
    """Add the history commands to `sheetsync`."""
    for command in COMMANDS:
        main_group.add_command(command)
