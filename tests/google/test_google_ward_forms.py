"""The ward's forms written into a ward-level Google Sheet, through real gspread and the
emulator: three requests, last run's content replaced, text never a formula."""

import datetime as dt

from unitbook import UnitBook

from sheetsync import service


def unit_with(tmp_path, names):
    b = UnitBook(tmp_path / "phong.xlsx", unit="Phòng A")
    b.product("SP1", 1)
    for i, name in enumerate(names):
        row = b.person(f"S{i}", name)
        b.ws("staff").cell(row, b.column_of("staff", "full_name")).data_type = "s"
        b.task(f"T{i}", f"S{i}", qty=1, done=1, review="Đạt")
        b.evaluation(f"S{i}", mgr_general=25, mgr_date=dt.date(2026, 11, 26))
    return b.save()


def test_ward_forms_replace_two_tabs_in_three_requests(emulator, gc, tmp_path):
    sh = gc.create("Biểu mẫu phường")
    target = f"gsheet:{sh.id}"
    path = unit_with(tmp_path, ["Nguyễn Văn An", "=HYPERLINK(\"http://x\",\"y\")", "Trần Thị Bình"])
    emulator.reset_counts()
    res = service.report([str(path)], month="2026-11", as_of="2026-11-28", out=tmp_path / "out", formats=("xlsx",),
                     store=False, gsheet=target)
    assert any("Đã ghi Mẫu 01A, 02A" in m and "(3 yêu cầu)" in m for m in res.messages), res.messages
    assert emulator.request_count["total"] == 3
    # Rendered values: a formula would show "y"; the name shows as typed because it is text.
    rendered = [v for row in sh.worksheet("Mẫu 02A").get_all_values() for v in row]
    assert "=HYPERLINK(\"http://x\",\"y\")" in rendered and "Trần Thị Bình" in rendered
    assert "Tổng cộng" in [v for row in sh.worksheet("Mẫu 01A").get_all_values() for v in row]

    # A later run with fewer people leaves nothing of the old content behind.
    (tmp_path / "b").mkdir()
    path2 = unit_with(tmp_path / "b", ["Lê Văn Cường"])
    service.report([str(path2)], month="2026-11", as_of="2026-11-28", out=tmp_path / "out2", formats=("xlsx",),
               store=False, gsheet=target)
    rendered = [v for row in sh.worksheet("Mẫu 02A").get_all_values() for v in row]
    assert "Lê Văn Cường" in rendered and "Trần Thị Bình" not in rendered
