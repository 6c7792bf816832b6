"""What `init` and `sync` put in the workbook for screen and paper, read back from the file:
one named font in every style (headers, engine cells, the summary tab), and every tab set up to
print (A4 landscape, fit to width, header row on every page, page numbers). The same as printed
by LibreOffice is in test_workbook_rendered.py."""

from __future__ import annotations

import re
import zipfile

import openpyxl
from unitbook import SCHEMAS, UnitBook, sync

from sheetsync.backends.google.cells import ENGINE_CELL, ENGINE_HEADER, INPUT_HEADER, SUMMARY_STYLES


def synced(book: UnitBook):
    book.product("SP1", 1)
    book.person("S1")
    book.task("T1", "S1", qty="hai", done=1)
    book.evaluation("S1", mgr_general=28)
    sync(book.save())
    return book.path


def test_every_font_in_the_workbook_is_named_arial(book):
    path = synced(book)
    with zipfile.ZipFile(path) as z:
        styles = z.read("xl/styles.xml").decode()
    fonts = re.findall(r"<font>.*?</font>|<font/>", re.search(r"<fonts[^>]*>(.*?)</fonts>", styles, re.S).group(1))
    assert len(fonts) >= 4  # body, header, summary title, engine styles...
    assert all('<name val="Arial"/>' in f for f in fonts), fonts
    wb = openpyxl.load_workbook(path)
    header = wb["Nhiệm vụ"]["A1"]
    assert (header.font.name, header.font.b) == ("Arial", True)
    assert wb["Tổng hợp"]["A1"].font.name == "Arial"


def test_every_tab_init_makes_is_set_up_to_print(book):
    wb = openpyxl.load_workbook(synced(book))
    tabs = [SCHEMAS[name].title for name in ("staff", "catalogue", "tasks", "evaluations", "okr")]
    for title in tabs + ["Tổng hợp"]:
        ws = wb[title]
        assert ws.page_setup.orientation == "landscape", title
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddFooter.center.text == "Trang &P / &N"
    for title in tabs:
        assert wb[title].print_title_rows == "$1:$1"  # the header row on every printed page


def test_google_formats_name_the_font_too():
    for fmt in (ENGINE_CELL, ENGINE_HEADER, INPUT_HEADER, *SUMMARY_STYLES.values()):
        assert fmt["textFormat"]["fontFamily"] == "Arial"


def test_input_columns_are_top_aligned_like_engine_columns(tmp_path):
    book = UnitBook(tmp_path / "unit.xlsx")
    ws = openpyxl.load_workbook(book.path)["Nhiệm vụ"]
    for letter in ("A", "C", "Q"):  # code, name, evidence: what a person types there sits at the top
        assert ws.column_dimensions[letter].alignment.vertical == "top", letter
