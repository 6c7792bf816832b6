"""Weekly reports on Google: the tab made by `init`, weeks typed as text or as dates (which
Sheets turns into date cells), the same findings as the .xlsx backend, and a quiet re-sync."""

from __future__ import annotations

import datetime as dt

from googlebook import SCHEMAS, GoogleBook, sync


def test_weekly_reports_are_checked_on_google_like_on_xlsx(emulator, gc):
    book = GoogleBook(gc)
    assert SCHEMAS["weekly"].title in [ws.title for ws in book.sh.worksheets()]
    book.person("S1", "Nguyễn Văn A")
    book.person("S2", "Trần Thị B")
    book.person("S3", "Lê Văn C")
    book.product("SP1", 1)
    book.task("T1", "S1", due=dt.date(2026, 11, 30), collaborators="S2")
    book.task("T2", "S1", due=dt.date(2026, 11, 30))  # never reported on: stale by 24/11
    rows = [
        dict(staff_id="S1", week="2026-W45", task_id="T1", progress_pct=40, work_done="Khảo sát"),
        dict(staff_id="S2", week=dt.date(2026, 11, 12), task_id="T1", progress_pct=50, work_done="Tổng hợp"),
        dict(staff_id="S1", week="Tuần 47/2026", task_id="T1", progress_pct="30%", work_done="Sửa lại"),
        dict(staff_id="S3", week="2026-W47", task_id="T1", work_done="Hỗ trợ"),
    ]
    for r in rows:
        book.add("weekly", **r)
    book.save()

    result, _ = sync(book, as_of="2026-11-24")
    f = result.evaluation.findings
    weekly = f[f["tab"] == SCHEMAS["weekly"].title]
    assert sorted(zip(weekly["row"], weekly["code"])) == [(4, "weekly.progress-backwards"), (5, "weekly.not-assigned")]
    stale = f[f["code"] == "task.weekly-stale"]
    assert list(stale["row"]) == [3]
    latest = result.evaluation.weekly.loc["t1"]
    assert latest["progress"] == 30 and latest["last_week"] == "2026-W47"  # S3's row has an error

    col = book.column_of("weekly", "check_status") - 1
    status = [r[col] for r in book.values("weekly")[1:5]]
    assert status == ["Hợp lệ", "Hợp lệ", "Cảnh báo", "Lỗi"]
    again, _ = sync(book, as_of="2026-11-24")
    assert not again.plan


def test_returns_need_a_reason_on_google(emulator, gc):
    book = GoogleBook(gc)
    book.person("S1")
    book.product("SP1", 1)
    book.task("T1", "S1", done=1, review="Trả lại", returns=1)
    book.task("T2", "S1", done=1, review="Trả lại", returns=1, return_reason="Thiếu minh chứng")
    book.evaluation("S1")
    book.save()
    result, _ = sync(book, as_of="2026-11-24")
    f = result.evaluation.findings
    missing = f[f["code"] == "task.return-without-reason"]
    assert list(missing["row"]) == [2] and list(missing["severity"]) == ["error"]
    col = book.column_of("tasks", "check_status") - 1
    assert [r[col] for r in book.values("tasks")[1:3]] == ["Lỗi", "Hợp lệ"]
