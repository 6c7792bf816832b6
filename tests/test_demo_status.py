"""`sheetsync demo` tells one story in time: the month's forms are produced, and recorded, on
the month's forms deadline, so `sheetsync status` right after reports what the demo planted
(the unit not yet approved, its missing reviews and unfinished tasks), never the forms as late."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.cli import main
from sheetsync.history.store import open_store

NOT_YET_APPROVED = "Phòng Văn hóa - Xã hội"
PLANTED = {"approval-missing", "manager_review-missing", "self_assessment-late", "task-overdue", "feedback-open"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "sheetsync-demo"
    res = run("demo", "--out", out, "--format", "xlsx", "--json")
    assert res.exit_code in (0, 1), res.output
    return out, json.loads(res.output)


def status(out, *extra):
    res = run("status", out / "ward.yaml", "--json", *extra)
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)


def test_the_demo_is_told_as_of_the_forms_deadline_and_recorded_then(demo):
    out, shown = demo
    assert shown["as_of"] == "2026-10-30"
    with open_store(out / "sheetsync.db") as store:
        runs = store.runs()
    assert set(runs["kind"]) == {"sync", "report"}
    assert {str(t)[:10] for t in runs["at"]} == {"2026-10-30"}


def test_status_after_the_demo_reports_what_was_planted_and_no_late_forms(demo):
    out, _ = demo
    report = status(out, "--as-of", "2026-12-01")
    items = report["items"]
    codes = {i["code"] for i in items}
    assert codes <= PLANTED, codes - PLANTED
    assert {"approval-missing", "task-overdue"} <= codes
    # The approved units' month is frozen, done; only the unit not yet approved is still open.
    assert {i["unit"] for i in items} == {NOT_YET_APPROVED}
    tabs = XlsxBackend(out / "van-hoa-xa-hoi.xlsx").read()
    evaluations = tabs["Đánh giá tháng"].rows
    head = evaluations[0]
    rows = [dict(zip(head, r)) for r in evaluations[1:] if r and r[0]]
    unreviewed = {r["Mã cán bộ"] for r in rows if r.get("Điểm tiêu chí chung do quản lý đánh giá") in (None, "")}
    assert {i["staff_id"] for i in items if i["code"] == "approval-missing"} == {r["Mã cán bộ"] for r in rows}
    assert {i["staff_id"] for i in items if i["code"] == "manager_review-missing"} == unreviewed


def test_status_today_never_reports_the_demo_forms_late_or_missing(demo):
    out, _ = demo
    codes = {i["code"] for i in status(out)["items"]}
    assert not codes & {"forms-late", "forms-missing"}
