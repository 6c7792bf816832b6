"""The ward office service's commands: `serve` (the web place, with its schedule), `users`
(accounts) and `tick` (one scheduled pass, for cron or a test). Registered on the main group;
Starlette, uvicorn and argon2 are imported only when one of them runs."""

from __future__ import annotations

import sys

import click

from sheetsync.cli.options import date_option, store_option
from sheetsync.cli.output import fail, say
from sheetsync.errors import SheetsyncError


def _open(ward_file: str, store: str | None):
    from sheetsync.web.jobs import open_ward

    try:
        return open_ward(ward_file, store)
    except SheetsyncError as exc:
        fail(exc)


@click.command()
@click.argument("ward_file", type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Địa chỉ lắng nghe. Mặc định chỉ máy này; dùng 0.0.0.0 sau một reverse proxy HTTPS (xem README).")
@click.option("--port", default=8080, show_default=True, type=int, help="Cổng.")
@store_option
@click.option("--no-schedule", is_flag=True, help="Không tự đồng bộ theo lịch (chỉ phục vụ trang).")
@click.option("--https-only", is_flag=True, help="Cookie phiên chỉ gửi qua HTTPS (bật khi chạy sau reverse proxy HTTPS).")
@click.option("--as-of", "as_of", callback=date_option,
              help="Ngày xét hạn cố định (xem lại một tháng đã qua, phường mẫu). Mặc định: hôm nay.")
def serve(ward_file, host, port, store, no_schedule, https_only, as_of) -> None:
    """Chạy trang theo dõi của phường: đồng bộ các đơn vị theo lịch, xem tháng trên trình duyệt."""
    import logging

    import uvicorn

    from sheetsync.web.app import create_app
    from sheetsync.web.queue import check_store, queued

    ward = _open(ward_file, store)
    if queued(ward):
        try:
            check_store(ward)
        except SheetsyncError as exc:
            ward.close()
            fail(exc)
    if not ward.state.users():
        say("Chưa có tài khoản nào. Tạo tài khoản quản trị trước:\n"
            f"  sheetsync users add {ward_file} --username admin --role admin", err=True)
        ward.close()
        sys.exit(2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    by_workers = queued(ward)
    app = create_app(ward, scheduler=not (no_schedule or by_workers), https_only=https_only,
                     today=(lambda: as_of) if as_of else None)
    sched = ward.service.schedule
    say(f"Trang theo dõi {ward.config.name}: http://{host}:{port}/ (Ctrl+C để dừng)")
    if by_workers:
        say("Đồng bộ theo lịch do các tiến trình sheetsync worker đảm nhận (hàng đợi procrastinate).")
    elif not no_schedule:
        names = {1: "thứ Hai", 2: "thứ Ba", 3: "thứ Tư", 4: "thứ Năm", 5: "thứ Sáu", 6: "thứ Bảy", 7: "Chủ nhật"}
        days = ", ".join(names[d] for d in sorted(sched.days) if d in names)
        say(f"Đồng bộ mỗi {sched.every_minutes:g} phút, {sched.start:%H:%M}-{sched.end:%H:%M}, {days}.")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True,
                    forwarded_allow_ips="127.0.0.1")
    finally:
        ward.close()


@click.command()
@click.argument("ward_file", type=click.Path(dir_okay=False))
@store_option
@click.option("--as-of", "as_of", callback=date_option, help="Ngày xét hạn. Mặc định: hôm nay.")
def tick(ward_file, store, as_of) -> None:
    """Một lượt đồng bộ theo lịch: mọi đơn vị, mỗi đơn vị một tiến trình tại một thời điểm. Với
    'queue: procrastinate' trong ward.yaml: xếp mọi đơn vị vào hàng đợi cho các tiến trình sheetsync worker."""
    from sheetsync.web.queue import enqueue_now, queued
    from sheetsync.web.scheduler import tick as run_tick

    ward = _open(ward_file, store)
    if queued(ward):
        try:
            queue_rep = enqueue_now(ward, as_of)
        except SheetsyncError as exc:
            fail(exc)
        finally:
            ward.close()
        say(f"Lượt {queue_rep.tick}: đã xếp {len(queue_rep.queued)} đơn vị vào hàng đợi"
            + (f", {len(queue_rep.waiting)} đơn vị còn chờ từ lượt trước (không xếp lại)" if queue_rep.waiting else "")
            + "; các tiến trình sheetsync worker sẽ đồng bộ.")
        return
    try:
        rep = run_tick(ward, as_of)
    finally:
        ward.close()
    for o in rep.outcomes:
        mark = {"ok": "✓", "busy": "…", "failing": "✗"}[o.status]
        say(f"{mark} {o.unit}" + (f": {o.message}" if o.message else ""))
    say(f"{rep.count('ok')} đơn vị xong, {rep.count('failing')} lỗi, {rep.count('busy')} đang được đồng bộ nơi khác; "
        f"{rep.seconds:.1f} giây, {rep.requests} yêu cầu API.")
    sys.exit(2 if rep.count("failing") else 0)


@click.group()
def users() -> None:
    """Tài khoản của trang theo dõi: admin (văn phòng phường), unit (đầu mối đơn vị), viewer (chỉ xem)."""


def _password(given: str | None) -> str:
    if given:
        return given
    return click.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")


@users.command("add")
@click.argument("ward_file", type=click.Path(dir_okay=False))
@click.option("--username", required=True, help="Tên đăng nhập.")
@click.option("--role", type=click.Choice(["admin", "unit", "viewer"]), required=True, help="Vai trò.")
@click.option("--unit", "units", multiple=True, help="Đơn vị (vai trò unit; nhắc lại cho nhiều đơn vị).")
@click.option("--name", "full_name", default="", help="Họ tên.")
@click.option("--email", default="", help="Thư điện tử (nhận nhắc việc).")
@click.option("--password", envvar="SHEETSYNC_PASSWORD", help="Mật khẩu (mặc định: hỏi; hoặc biến SHEETSYNC_PASSWORD).")
@store_option
def users_add(ward_file, username, role, units, full_name, email, password, store) -> None:
    """Tạo tài khoản."""
    from sheetsync.web.views import add_user

    ward = _open(ward_file, store)
    try:
        add_user(ward, username, _password(password), role, list(units), full_name, email)
        ward.state.audit(None, "user-add", username, "cli", role)
    except SheetsyncError as exc:
        fail(exc)
    finally:
        ward.close()
    say(f"Đã tạo tài khoản {username} ({role}).")


@users.command("list")
@click.argument("ward_file", type=click.Path(dir_okay=False))
@store_option
def users_list(ward_file, store) -> None:
    """Liệt kê tài khoản."""
    ward = _open(ward_file, store)
    try:
        rows = ward.state.users()
    finally:
        ward.close()
    if not rows:
        say("Chưa có tài khoản nào.")
    for u in rows:
        say(f"{u.username:<20} {u.role:<7} {', '.join(u.units)}")


@users.command("remove")
@click.argument("ward_file", type=click.Path(dir_okay=False))
@click.option("--username", required=True)
@store_option
def users_remove(ward_file, username, store) -> None:
    """Xoá tài khoản."""
    ward = _open(ward_file, store)
    try:
        gone = ward.state.remove_user(username)
        if gone:
            ward.state.audit(None, "user-remove", username, "cli")
    finally:
        ward.close()
    if not gone:
        fail(f"Không có tài khoản '{username}'.")
    say(f"Đã xoá tài khoản {username}.")


@users.command("passwd")
@click.argument("ward_file", type=click.Path(dir_okay=False))
@click.option("--username", required=True)
@click.option("--password", envvar="SHEETSYNC_PASSWORD", help="Mật khẩu mới (mặc định: hỏi).")
@store_option
def users_passwd(ward_file, username, password, store) -> None:
    """Đổi mật khẩu (phiên đăng nhập cũ của tài khoản hết hiệu lực)."""
    from sheetsync.web.auth import hash_password

    ward = _open(ward_file, store)
    try:
        ok = ward.state.set_password(username, hash_password(_password(password)))
        if ok:
            ward.state.audit(None, "user-passwd", username, "cli")
    except SheetsyncError as exc:
        fail(exc)
    finally:
        ward.close()
    if not ok:
        fail(f"Không có tài khoản '{username}'.")
    say(f"Đã đổi mật khẩu của {username}.")


COMMANDS = (serve, tick, users)


def register(main_group: click.Group) -> None:
    for command in COMMANDS:
        main_group.add_command(command)
