"""`sheetsync schedule`: the weekly schedule document (xlsx, HTML, PDF) laid out from its
template, and the .ics calendar read back by the `icalendar` parser: events at their local
times in Asia/Ho_Chi_Minh, the profile's deadlines as all-day events, UIDs that stay put."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from unitbook import UnitBook

from sheetsync.cli import main
from sheetsync.config.profile import load_profile
from sheetsync.forms.pdf import find_browser
from sheetsync.service.schedule import schedule

MONDAY = dt.date(2026, 10, 26)  # ISO week 44 of 2026
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def fill(book: UnitBook) -> UnitBook:
    book.person("CB1", "Nguyễn Văn An")
    book.set("staff", 2, "position", "Chủ tịch")
    book.person("CB2", "Trần Thị Bình", manager="CB1")
    book.product("SP1", 1)
    rows = [
        (MONDAY, "14h00 - 16h30", "Tiếp công dân định kỳ", "CB1", "Thanh tra, Tư pháp", "Trụ sở tiếp dân"),
        (MONDAY, "8h00", "Giao ban lãnh đạo", "CB1", "Các Phó Chủ tịch", "Phòng họp 2"),
        (MONDAY + dt.timedelta(days=2), "Cả ngày", "Tập huấn chuyển đổi số", "CB2", "", "Trung tâm Hội nghị"),
        (MONDAY + dt.timedelta(days=5), "8h", "Tổng vệ sinh môi trường <script>alert(1)</script>", "CB1", "", ""),
        (MONDAY + dt.timedelta(days=7), "9:00", "Giao ban tuần 45", "CB1", "", "Phòng họp 2"),  # next week
        (MONDAY, "sáng nay", "Hàng có giờ sai", "", "", ""),
    ]
    for d, t, c, ch, pa, pl in rows:
        book.add("schedule", date=d, time=t, content=c, chair=ch, participants=pa, place=pl)
    book.save()
    return book


@pytest.fixture
def unit(tmp_path) -> Path:
    return fill(UnitBook(tmp_path / "van-phong.xlsx", unit="Văn phòng HĐND và UBND")).path


def events_of(path: Path) -> list:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return [c for c in cal.walk("VEVENT")]


def test_the_ics_holds_every_event_at_its_local_time_and_the_profiles_deadlines(unit, tmp_path):
    res = schedule([str(unit)], week="2026-W44", out=tmp_path / "out", formats=["ics"], as_of="2026-10-26")
    assert res.exit_code == 1  # the workbook has an error (exit 1 as with validate); the rest is exported
    assert any("1 hàng Lịch công tác có lỗi" in m for m in res.messages)  # the wrong time is not exported
    ics = res.scopes[0].paths["ics"]
    cal = icalendar.Calendar.from_ical(ics.read_bytes())
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    assert str(cal["X-WR-CALNAME"]) == "Lịch công tác – Văn phòng HĐND và UBND"
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    meeting = events["Giao ban lãnh đạo"]
    assert meeting.decoded("DTSTART") == dt.datetime(2026, 10, 26, 8, 0, tzinfo=HCM)
    assert meeting.decoded("DTSTART").utcoffset() == dt.timedelta(hours=7)
    assert meeting.decoded("DTEND") == dt.datetime(2026, 10, 26, 9, 0, tzinfo=HCM)  # default 60 minutes
    assert str(meeting["LOCATION"]) == "Phòng họp 2"
    assert "Chủ trì: Nguyễn Văn An (Chủ tịch)" in str(meeting["DESCRIPTION"])
    reception = events["Tiếp công dân định kỳ"]
    assert reception.decoded("DTEND") == dt.datetime(2026, 10, 26, 16, 30, tzinfo=HCM)
    training = events["Tập huấn chuyển đổi số"]
    assert training.decoded("DTSTART") == dt.date(2026, 10, 28)  # all day: a date, not a time
    assert training.decoded("DTEND") == dt.date(2026, 10, 29)
    assert "Giao ban tuần 45" in events  # every week, not only the printed one
    assert "Hàng có giờ sai" not in events
    deadlines = sorted((e.decoded("DTSTART"), str(e["SUMMARY"])) for e in cal.walk("VEVENT")
                       if str(e["SUMMARY"]).startswith("Hạn "))
    # From October (the week) to the month after the last event's (2/11 → December): 25, 26, 28, 30
    # and the 5th of the month after, from nd335.
    assert deadlines[:5] == [(dt.date(2026, 10, 25), "Hạn tự đánh giá tháng 10/2026"),
                             (dt.date(2026, 10, 26), "Hạn quản lý đánh giá tháng 10/2026"),
                             (dt.date(2026, 10, 28), "Hạn phê duyệt xếp loại tháng 10/2026"),
                             (dt.date(2026, 10, 30), "Hạn gửi Mẫu 01A, 02A cho phường tháng 10/2026"),
                             (dt.date(2026, 11, 5), "Hạn công bố kết quả tháng 10/2026")]
    assert len(deadlines) == 15 and deadlines[-1] == (dt.date(2027, 1, 5), "Hạn công bố kết quả tháng 12/2026")
    assert all(isinstance(e.decoded("DTSTART"), dt.date) and not isinstance(e.decoded("DTSTART"), dt.datetime)
               for e in cal.walk("VEVENT") if str(e["SUMMARY"]).startswith("Hạn "))


def test_deadlines_follow_the_profile_not_fixed_days(unit, tmp_path):
    raw = yaml.safe_load(load_profile("nd335").source.read_text(encoding="utf-8"))
    raw["deadlines"]["self_assessment"] = 20
    del raw["deadlines"]["publication_next_month"]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    res = schedule([str(unit)], week="2026-W44", out=tmp_path / "out", formats=["ics"], profile=str(path))
    days = {str(e["SUMMARY"]): e.decoded("DTSTART") for e in events_of(res.scopes[0].paths["ics"])}
    assert days["Hạn tự đánh giá tháng 10/2026"] == dt.date(2026, 10, 20)
    assert not any(s.startswith("Hạn công bố") for s in days)


def test_exporting_again_keeps_every_uid_even_when_an_event_moves(unit, tmp_path):
    first = schedule([str(unit)], week="2026-W44", out=tmp_path / "a", formats=["ics"])
    uids = {str(e["SUMMARY"]): str(e["UID"]) for e in events_of(first.scopes[0].paths["ics"])}
    assert len(set(uids.values())) == len(uids)
    again = schedule([str(unit)], week="2026-W45", out=tmp_path / "b", formats=["ics"])
    assert {str(e["SUMMARY"]): str(e["UID"]) for e in events_of(again.scopes[0].paths["ics"])} == uids
    wb = openpyxl.load_workbook(unit)
    ws = wb["Lịch công tác"]
    ws["B3"] = "9h30"  # the morning meeting moves to 9h30, another room
    ws["F3"] = "Phòng họp 1"
    ws.insert_rows(2)  # and a row is inserted above it
    wb.save(unit)
    moved = schedule([str(unit)], week="2026-W44", out=tmp_path / "c", formats=["ics"])
    now = {str(e["SUMMARY"]): e for e in events_of(moved.scopes[0].paths["ics"])}
    assert str(now["Giao ban lãnh đạo"]["UID"]) == uids["Giao ban lãnh đạo"]
    assert now["Giao ban lãnh đạo"].decoded("DTSTART") == dt.datetime(2026, 10, 26, 9, 30, tzinfo=HCM)


def test_two_events_with_the_same_content_on_one_day_get_two_uids(tmp_path):
    book = UnitBook(tmp_path / "u.xlsx")
    book.person("S1")
    book.add("schedule", date=MONDAY, time="8:00", content="Tiếp công dân")
    book.add("schedule", date=MONDAY, time="14:00", content="Tiếp công dân")
    book.save()
    res = schedule([str(book.path)], week="2026-W44", out=tmp_path / "out", formats=["ics"])
    uids = [str(e["UID"]) for e in events_of(res.scopes[0].paths["ics"]) if str(e["SUMMARY"]) == "Tiếp công dân"]
    assert len(uids) == 2 and len(set(uids)) == 2


def test_the_html_document_groups_days_and_sessions_as_offices_publish(unit, tmp_path):
    res = schedule([str(unit)], week="2026-W44", out=tmp_path / "out", formats=["html", "xlsx"])
    html = res.scopes[0].paths["html"].read_text(encoding="utf-8")
    assert "LỊCH CÔNG TÁC TUẦN 44" in html and "CỦA VĂN PHÒNG HĐND VÀ UBND" in html
    assert "(Từ ngày 26/10/2026 đến ngày 01/11/2026)" in html
    monday = html[html.index("Thứ Hai"):html.index("Thứ Ba")]
    assert monday.index("Sáng") < monday.index("Giao ban lãnh đạo") < monday.index("Chiều") \
        < monday.index("Tiếp công dân định kỳ")  # by session, the morning first, whatever the row order
    assert '<td class="day lead">Thứ Hai' in html and '<td class="day tail"></td>' in monday  # one cell for the day
    assert "8h00" in monday and "14h00 - 16h30" in monday
    friday = html[html.index("Thứ Sáu"):html.index("Thứ Bảy")]
    assert "Làm việc thường xuyên tại cơ quan" in friday  # a weekday without events is still printed
    assert "Chủ nhật" not in html  # a weekend day only when it has events
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "Giao ban tuần 45" not in html
    assert res.scopes[0].events == 4 and res.scopes[0].calendar_events == 5


def test_the_xlsx_document_merges_each_day_over_its_events(unit, tmp_path):
    res = schedule([str(unit)], week="2026-W44", out=tmp_path / "out", formats=["xlsx"])
    ws = openpyxl.load_workbook(res.scopes[0].paths["xlsx"]).active
    texts = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert "LỊCH CÔNG TÁC TUẦN 44" in texts and "(Từ ngày 26/10/2026 đến ngày 01/11/2026)" in texts
    day = next(c for row in ws.iter_rows() for c in row if c.value == "Thứ Hai\n26/10/2026")
    merged = [str(r) for r in ws.merged_cells.ranges if r.min_row == day.row and r.min_col == day.column]
    assert merged == [f"A{day.row}:A{day.row + 1}"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows
    script = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "<script>" in c.value)
    assert script.data_type == "s"


def test_an_offices_template_changes_the_title_and_columns(unit, tmp_path):
    mine = tmp_path / "mau"
    mine.mkdir()
    (mine / "lich_cong_tac.yaml").write_text(
        'title: [{text: "LỊCH LÀM VIỆC TUẦN {week} NĂM {yyyy}", bold: true}]\n'
        "columns:\n  - {key: day, label: Ngày}\n  - {key: time, label: Giờ}\n  - {key: content, label: Việc}\n",
        encoding="utf-8")
    res = schedule([str(unit)], week="2026-W44", out=tmp_path / "out", formats=["html"], templates_dir=mine)
    html = res.scopes[0].paths["html"].read_text(encoding="utf-8")
    assert "LỊCH LÀM VIỆC TUẦN 44 NĂM 2026" in html
    assert "<th>Giờ</th>" in html and "Chủ trì" not in html


def test_a_broken_template_is_a_vietnamese_message(unit, tmp_path):
    mine = tmp_path / "mau"
    mine.mkdir()
    (mine / "lich_cong_tac.yaml").write_text("sessions: [{name: Sáng, until: trưa}]\n", encoding="utf-8")
    res = schedule([str(unit)], week="2026-W44", out=tmp_path / "out", formats=["html"], templates_dir=mine)
    assert res.exit_code == 2 and res.problem.code == "config.template"
    assert "until" in str(res.problem) and "HH:MM" in str(res.problem)


def test_a_ward_gets_one_schedule_for_all_units_with_a_unit_column(tmp_path):
    fill(UnitBook(tmp_path / "a.xlsx", unit="Văn phòng"))
    b = UnitBook(tmp_path / "b.xlsx", unit="Trường Tiểu học Phúc Xá")
    b.person("T1", "Lê Thu Hà")
    b.add("schedule", date=MONDAY, time="7h30", content="Chào cờ đầu tuần", place="Sân trường")
    b.save()
    (tmp_path / "ward.yaml").write_text(
        "ward: Phường Ba Đình\nissuing_body: UBND PHƯỜNG BA ĐÌNH\nplace: Ba Đình\nunits:\n"
        "  - {name: Văn phòng, source: a.xlsx}\n  - {name: Trường Tiểu học Phúc Xá, source: b.xlsx}\n",
        encoding="utf-8")
    res = schedule([str(tmp_path / "ward.yaml")], week="2026-W44", out=tmp_path / "out", formats=["html", "ics"])
    assert [(s.name, s.kind, s.events) for s in res.scopes] == [
        ("Phường Ba Đình", "ward", 5), ("Văn phòng", "unit", 4), ("Trường Tiểu học Phúc Xá", "unit", 1)]
    html = res.scopes[0].paths["html"].read_text(encoding="utf-8")
    assert "<th>Đơn vị</th>" in html and "UBND PHƯỜNG BA ĐÌNH" in html and "Ba Đình, ngày" in html
    monday = html[html.index("Thứ Hai"):html.index("Thứ Ba")]
    assert monday.index("Chào cờ đầu tuần") < monday.index("Giao ban lãnh đạo")  # 7h30 before 8h00
    assert "<th>Đơn vị</th>" not in res.scopes[1].paths["html"].read_text(encoding="utf-8")
    ward_events = events_of(res.scopes[0].paths["ics"])
    assert {str(e["SUMMARY"]) for e in ward_events} >= {"Chào cờ đầu tuần", "Giao ban lãnh đạo"}


def test_a_workbook_without_the_tab_gets_a_notice_not_an_error(tmp_path):
    book = UnitBook(tmp_path / "u.xlsx")
    book.person("S1")
    del book.wb["Lịch công tác"]
    book.save()
    res = schedule([str(book.path)], week="2026-W44", out=tmp_path / "out", formats=["html"])
    assert res.exit_code == 0
    assert any("chưa có trang 'Lịch công tác'" in m for m in res.messages)
    html = res.scopes[0].paths["html"].read_text(encoding="utf-8")
    assert html.count("Làm việc thường xuyên tại cơ quan") == 5


def test_the_command_prints_the_files_and_refuses_a_wrong_week(unit, tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["schedule", str(unit), "--week", "Tuần 44/2026", "--out", str(tmp_path / "o"),
                               "--format", "html,ics"])
    assert res.exit_code == 1, res.output  # one row has an error
    assert "Đã lập lịch công tác Tuần 44/2026 (26/10–01/11)" in res.output and ".ics" in res.output
    bad = runner.invoke(main, ["schedule", str(unit), "--week", "2026-W60"])
    assert bad.exit_code == 2 and "năm 2026 có các tuần từ 1 đến 53" in bad.output
    fmt = runner.invoke(main, ["schedule", str(unit), "--format", "docx", "--out", str(tmp_path / "o")])
    assert fmt.exit_code == 2 and "Định dạng không hỗ trợ: docx" in fmt.output


@pytest.mark.skipif(find_browser() is None or shutil.which("pdftoppm") is None,
                    reason="cần Chromium và poppler (apt install chromium poppler-utils)")
def test_the_pdf_prints_the_week_and_keeps_the_signature_with_the_last_day(unit, tmp_path):
    res = schedule([str(unit)], week="2026-W44", out=tmp_path / "out", formats=["pdf"])
    pdf = res.scopes[0].paths["pdf"]
    assert "html" not in res.scopes[0].paths and not list((tmp_path / "out").glob("*.html"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "LỊCH CÔNG TÁC TUẦN 44" in text and "Giao ban lãnh đạo" in text
    pages = text.split("\f")
    last = next(p for p in reversed(pages) if p.strip())
    assert "Thứ Bảy" in last and "TL. THỦ TRƯỞNG ĐƠN VỊ" in last  # the signature never alone on a page
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True)
    assert list(tmp_path.glob("page*.png"))


@pytest.mark.parametrize("page, said", [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "Mẫu trang lịch công tác dùng thao tác không được phép"),
    ("{% for day in days %}", "có lỗi cú pháp ở dòng 1"),
    ("{{ no_such_name }}", "Không dựng được trang lịch công tác từ mẫu"),
])
def test_an_edited_schedule_template_that_breaks_gets_a_vietnamese_message(unit, tmp_path, page, said):
    custom = tmp_path / "mau" / "schedule"
    custom.mkdir(parents=True)
    (custom / "lich_cong_tac.html.j2").write_text(page, encoding="utf-8")
    res = CliRunner().invoke(main, ["schedule", str(unit), "--week", "2026-W44", "--out", str(tmp_path / "o"),
                                    "--format", "html", "--templates", str(tmp_path / "mau")])
    assert res.exit_code == 2, res.output
    assert said in res.output and "Traceback" not in res.output
    assert not list((tmp_path / "o").glob("*.html"))
