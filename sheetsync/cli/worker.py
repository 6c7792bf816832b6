"""`sheetsync worker`: one of several processes sharing a ward's scheduled syncs through the
procrastinate job queue in the PostgreSQL store (sheetsync.web.queue). procrastinate is imported
only when the command runs."""

from __future__ import annotations

import click

from sheetsync.cli.options import date_option, store_option
from sheetsync.cli.output import fail, say
from sheetsync.errors import SheetsyncError


@click.command()
@click.argument("ward_file", type=click.Path(dir_okay=False))
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 32),
              help="Số đơn vị tiến trình này đồng bộ cùng lúc.")
@store_option
@click.option("--as-of", "as_of", callback=date_option,
              help="Ngày xét hạn cố định (xem lại một tháng đã qua, phường mẫu). Mặc định: hôm nay.")
def worker(ward_file, concurrency, store, as_of) -> None:
    """Chạy một tiến trình đồng bộ dùng chung hàng đợi (kho PostgreSQL, 'queue: procrastinate' trong
    ward.yaml). Chạy vài tiến trình, trên một hoặc nhiều máy: mỗi đơn vị chỉ do một tiến trình đồng bộ
    tại một thời điểm; tiến trình bị dừng đột ngột thì việc của nó được tiến trình khác làm tiếp."""
    import logging

    from sheetsync.web.jobs import open_ward
    from sheetsync.web.queue import beat_cron, check_queue, run_worker, worker_name

    try:
        ward = open_ward(ward_file, store)
    except SheetsyncError as exc:
        fail(exc)
    try:
        check_queue(ward)
    except SheetsyncError as exc:
        ward.close()
        fail(exc)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    sched, q = ward.service.schedule, ward.service.queue
    say(f"{worker_name()}: {ward.config.name}, {len(ward.units)} đơn vị, {concurrency} việc cùng lúc (Ctrl+C để dừng).")
    say(f"Lịch: mỗi {sched.every_minutes:g} phút, {sched.start:%H:%M}-{sched.end:%H:%M}"
        + ("" if sched.enabled else " (đang tắt: chỉ làm việc được xếp bằng sheetsync tick)")
        + f"; nhịp kiểm tra {beat_cron(ward)}; tiến trình im lặng {q.stalled_seconds:g} giây bị coi là đã dừng.")
    try:
        run_worker(ward, concurrency=concurrency, as_of=as_of)
    except SheetsyncError as exc:
        fail(exc)
    finally:
        ward.close()
    say("Đã dừng.")


def register(main_group: click.Group) -> None:
    main_group.add_command(worker)
