"""Plans, feedback on unclear tasks and tasks serving key results on Google: the columns made by
`init`, the same findings and engine cells as the .xlsx backend, and a quiet re-sync."""

from __future__ import annotations

import datetime as dt

from googlebook import SCHEMAS, GoogleBook, sync

from sheetsync.engine.plans import ADHOC, PLANNED


def test_plans_feedback_and_key_results_on_google(emulator, gc):
    book = GoogleBook(gc)
    header = book.values("tasks")[0]
    for key in ("assigned_date", "kr_id", "feedback_kind", "feedback", "feedback_date", "answer", "answer_date",
                "plan_kind"):
        assert SCHEMAS["tasks"].field(key).header in header
    book.person("S1", "Nguyễn Văn A", role="Người đứng đầu")
    book.person("S2", "Trần Thị B", manager="S1")
    book.person("S3", "Lê Văn C", manager="S1")
    book.product("SP1", 1)
    book.product("SP2", 1.5)
    book.task("T1", "S1", qty=2, done=2, review="Đạt", kr_id="KR1")  # planned (undated), weight 2, 100%
    book.task("T2", "S2", product="SP2", qty=2, progress_pct=40, kr_id="KR1",  # ad-hoc, weight 3, 40%
              assigned_date=dt.date(2026, 11, 12), feedback_kind="Thiếu nguồn lực",
              feedback="Cần thêm máy tính", feedback_date=dt.date(2026, 11, 13))
    book.task("T3", "S2", feedback_kind="Phạm vi", feedback_date=dt.date(2026, 11, 3),
              answer="Chỉ các tổ dân phố 1-5", answer_date=dt.date(2026, 11, 4))
    book.add("okr", objective_id="MT01", objective="Mục tiêu đơn vị", level="Đơn vị", kr_id="KR0",
             key_result="Kết quả 0", kpi_unit="%", kpi_formula="Tỷ lệ", weight=100, data_source="Báo cáo",
             target=100, actual=90, period="Q4/2026")
    book.add("okr", objective_id="MT02", objective="Mục tiêu cá nhân", level="Cá nhân", owner="S2", parent_id="MT01",
             kr_id="KR1", key_result="Kết quả 1", kpi_unit="%", kpi_formula="Tỷ lệ", weight=100,
             data_source="Báo cáo", target=100, period="Q4/2026")
    for s in ("S1", "S2", "S3"):
        book.evaluation(s)
    book.save()

    result, _ = sync(book, as_of="2026-11-17")  # T2's feedback is 4 days old: escalated
    f = result.evaluation.findings
    assert list(f.loc[f["code"] == "task.feedback-open", "row"]) == [3]
    assert list(f.loc[f["code"] == "plan.no-planned-task", "row"]) == [4]  # S3 has no task at all
    tasks = book.values("tasks")
    col = {k: book.column_of("tasks", k) - 1 for k in ("plan_kind", "check_status")}
    assert [r[col["plan_kind"]] for r in tasks[1:4]] == [PLANNED, ADHOC, PLANNED]
    assert tasks[1][col["check_status"]] == "Hợp lệ"
    assert "phản hồi nhiệm vụ chưa rõ ngày 13/11/2026" in tasks[2][col["check_status"] + 1]
    okr = book.values("okr")
    ocol = {k: book.column_of("okr", k) - 1 for k in ("task_progress", "attainment", "alignment")}
    # (2 × 100 + 3 × 40) / 5 = 64
    assert okr[2][ocol["task_progress"]] == 64 and okr[2][ocol["attainment"]] == 64
    assert okr[2][ocol["alignment"]] == "S1 Nguyễn Văn A, S2 Trần Thị B (2 nhiệm vụ) → MT02 (Cá nhân) → MT01 (Đơn vị)"
    summary = [r[0] for r in book.sh.worksheet(SCHEMAS.summary_title).get_values() if r]
    assert any(t.startswith("T2 (S2 Trần Thị B, quản lý trực tiếp S1 Nguyễn Văn A): Thiếu nguồn lực") for t in summary)
    again, _ = sync(book, as_of="2026-11-17")
    assert not again.plan
