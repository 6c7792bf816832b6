"""The unit workbook as LibreOffice shows and prints it, after `init` and a `sync`: one named
font, a print set-up an office can use (A4 landscape, fit to width, headers on every page, page
numbers), and engine cells readable as written. Pictures of the pages are written to a folder
the test prints, for a reviewer to look at."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import subprocess

import pytest
from rendering import needs_soffice, page_count, page_size, pdf_text, to_pdf, to_png, words
from unitbook import UnitBook, sync

pytestmark = needs_soffice

NAMES = ["Nguyễn Thị Hồng Nhung", "Trần Văn Bình", "Lê Thị Mai", "Phạm Quốc Huy", "Hoàng Thị Lan",
         "Vũ Văn Nam", "Ngô Thị Thu", "Đỗ Minh Tuấn"]


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    """A school unit of 8 staff in a month of 15 tasks each, typed as people type: a few mistakes,
    tasks overdue, one leader; synced once, then converted to PDF by LibreOffice."""
    folder = tmp_path_factory.mktemp("school")
    book = UnitBook(folder / "Truong-TH-Phuc-Xa.xlsx", unit="Trường Tiểu học Phúc Xá")
    book.product("SP1", 1, name="Giáo án")
    book.product("SP2", 2, name="Báo cáo chuyên đề")
    book.person("GV01", NAMES[0], category="Viên chức", role="Người đứng đầu")
    for i, name in enumerate(NAMES[1:], start=2):
        book.person(f"GV{i:02d}", name, category="Viên chức", manager="GV01")
    rows = {}
    for i in range(1, 9):
        for j in range(1, 16):
            n = (i - 1) * 15 + j
            done = {1: 1, 2: 0, 3: None}.get(j, 1)
            rows[(i, j)] = book.task(f"NV{n:03d}", f"GV{i:02d}", "SP2" if j == 4 else "SP1", qty=1, done=done,
                                     review="Đạt" if done else None, due=dt.date(2026, 11, 10 + j))
        book.evaluation(f"GV{i:02d}", mgr_general=26, leader_e=80 if i == 1 else None)
    book.set("tasks", rows[(3, 1)], "assigned_qty", "hai")  # a word for a number
    book.set("tasks", rows[(5, 2)], "owner_id", "GV99")  # a code nobody has
    path = book.save()
    result = sync(path, as_of="2026-11-26")
    assert result.written
    pdf = to_pdf([path], folder / "pdf")[0]
    shots = to_png(pdf, folder / "png", dpi=50)
    print(f"\nẢnh các trang bảng tính đơn vị in bằng LibreOffice: {folder / 'png'}")
    return {"path": path, "pdf": pdf, "pages": pdf_text(pdf).split("\f")[:-1], "shots": shots}


def _task_pages(school) -> list[str]:
    return [p for p in school["pages"] if re.search(r"^\s*NV\d{3}\s", p, re.M)]


def test_every_page_is_a4_landscape_and_type_stays_readable(school):
    width, height = page_size(school["pdf"])
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    # Fit to one page wide, the 29 columns of `Nhiệm vụ` printed at a third of their size;
    # now no tab prints below its schema's min_scale (65%): body type of Arial 10 stays >= 6.5 pt.
    body = [w for w in words(school["pdf"]) if re.fullmatch(r"NV\d{3}", w.text)]
    assert body and min(w.y1 - w.y0 for w in body) >= 0.65 * 10
    assert page_count(school["pdf"]) <= 28  # 8 people, 120 tasks: every tab, every column


def test_a_wide_tab_prints_across_first_with_its_code_on_every_page(school):
    """`Nhiệm vụ` prints four pages across (with the plan, feedback and key result columns): the
    same rows on consecutive pages, each page starting with the task code, every column on one
    of them. LibreOffice leaves out a page whose columns are empty on every row of its band (here
    the returns and feedback columns of rows never returned nor questioned), so a band has 3 or 4."""
    tasks = _task_pages(school)
    codes = [tuple(re.findall(r"^\s*(NV\d{3})\s", p, re.M)) for p in tasks]
    bands = [len(list(g)) for _, g in itertools.groupby(codes)]  # over, then down: a band's pages follow
    assert bands[0] == 4 and all(n in (3, 4) for n in bands), bands
    assert len(set(codes)) == len(bands)  # no rows printed in two bands
    band = " ".join(" ".join(p.split()) for p in tasks[:4])
    for header in ("Mã nhiệm vụ", "Tên nhiệm vụ", "Hạn hoàn", "Minh chứng", "Ghi chú kiểm tra", "Quy đổi",
                   "Ngày giao", "Vướng mắc khi", "Trả lời của", "Kế hoạch tháng"):
        assert header in band, header
    assert all(re.search(r"^\s*Mã nhiệm vụ", p, re.M) for p in tasks)  # the code column, repeated


def test_every_page_repeats_its_header_row_and_says_its_page_number(school):
    pages = school["pages"]
    task_pages = _task_pages(school)
    assert len(task_pages) >= 6
    assert all("Mã nhiệm vụ" in p for p in task_pages)  # print titles: header row and code column
    for number, p in enumerate(pages, start=1):
        assert re.search(rf"\bTrang {number} / {len(pages)}\b", p), p[-300:]


def test_one_named_font_everywhere_headers_and_body_alike(school):
    fonts = subprocess.run(["pdffonts", str(school["pdf"])], capture_output=True, text=True, check=True).stdout
    names = {line.split()[0].split("+")[-1].split("-")[0] for line in fonts.splitlines()[2:]}
    # Arial is printed with its metric twin Liberation Sans; no other family (the header used
    # to come out in a different font from the body).
    assert names <= {"LiberationSans", "Arial", "ArialMT"}, names


def _squeeze(text: str) -> str:
    return "".join(str(text).split())


def _header(page_words, phrase: str) -> float | None:
    """The x centre of a header line reading `phrase` (words on one line, left to right)."""
    parts = phrase.split()
    for i, w in enumerate(page_words):
        run = page_words[i:i + len(parts)]
        if [x.text for x in run] == parts and all(abs(x.y0 - w.y0) < 1 for x in run):
            return (run[0].x0 + run[-1].x1) / 2
    return None


def test_engine_notes_are_printed_whole_inside_their_own_row(school):
    """Each task row's `Ghi chú kiểm tra`, as printed, is exactly the text written, found between
    the row's own task code and the next row's: nothing cut off, nothing spilling into the next
    row (input and engine cells alike sit at the top of their row)."""
    import openpyxl

    ws = openpyxl.load_workbook(school["path"])["Nhiệm vụ"]
    header = {c.value: c.column for c in ws[1]}
    written = {ws.cell(r, 1).value: ws.cell(r, header["Ghi chú kiểm tra"]).value for r in range(2, ws.max_row + 1)}
    assert sum(1 for v in written.values() if v and len(v) > 60) >= 10  # notes longer than a line
    heights = [ws.row_dimensions[r].height for r in range(2, ws.max_row + 1)]
    assert max(h or 0 for h in heights) >= 50  # rows grew with their notes

    checked = 0
    all_words = words(school["pdf"])
    for page in sorted({w.page for w in all_words}):
        ws_words = [w for w in all_words if w.page == page]
        codes = sorted((w for w in ws_words if w.text in written and w.x0 < 60), key=lambda w: w.y0)
        notes, before = _header(ws_words, "Ghi chú kiểm tra"), _header(ws_words, "Kết quả kiểm")
        if not codes or notes is None or before is None:
            continue
        # The notes column (50 wide) follows `Kết quả kiểm tra` (12 wide); headers are centred
        # in their columns, which gives the page's scale and the column's edges.
        scale = (notes - before) / (12 / 2 + 50 / 2)
        left, right = notes - scale * 25 - 2, notes + scale * 25
        footer = min(w.y0 for w in ws_words if w.text == "Trang")
        for code, below in zip(codes, [*codes[1:], None]):
            top, bottom = code.y0 - 2, (below.y0 - 2 if below is not None else footer)
            inside = [w for w in ws_words if left <= w.x0 < right and top <= (w.y0 + w.y1) / 2 < bottom]
            got = "".join(w.text for w in sorted(inside, key=lambda w: (round(w.y0), w.x0)))
            assert _squeeze(got) == _squeeze(written[code.text] or ""), (code.text, got, written[code.text])
            checked += 1
    assert checked == len(written)
