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
        assert ws.page_setup.fitToHeight == 0  # as many pages down as the rows need
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddFooter.center.text == "Trang &P / &N"
    for title in tabs:
        assert wb[title].print_title_rows == "$1:$1"  # the header row on every printed page
    # As wide as one page when that keeps type at 65% or more; wider tabs print across, the code
    # column repeated: the catalogue fits, the 37 columns of `Nhiệm vụ` (with the plan, feedback and
    # key result columns) take four pages.
    assert wb[SCHEMAS["catalogue"].title].page_setup.fitToWidth == 1
    tasks = wb[SCHEMAS["tasks"].title]
    assert (tasks.page_setup.fitToWidth, tasks.page_setup.pageOrder, tasks.print_title_cols) == (4, "overThenDown",
                                                                                                  "$A:$A")


def test_pages_across_keep_type_at_the_schema_minimum():
    from sheetsync.backends.xlsx.init import PRINTABLE_PX, pages_across
    from sheetsync.config.schema import PrintLayout

    assert pages_across([14] * 10, PrintLayout()) == 1  # 150 characters: one page at 65%
    widths = [14, 36, 26, 50, 24, 24, 30, 50]  # 254 characters
    for scale in (40, 65, 100):
        n = pages_across(widths, PrintLayout(min_scale=scale, repeat_columns=1))
        px = sum(w * 7 + 5 for w in widths) + (n - 1) * (14 * 7 + 5)
        assert px * scale / 100 <= n * PRINTABLE_PX  # fits at the minimum scale ...
        if n > 1:  # ... and one page fewer would not
            assert (px - (14 * 7 + 5)) * scale / 100 > (n - 1) * PRINTABLE_PX * 0.95
    assert pages_across(widths, PrintLayout(min_scale=100)) > pages_across(widths, PrintLayout(min_scale=40))


def test_a_print_block_in_a_schema_is_checked(tmp_path):
    import pytest

    from sheetsync.config.schema import PrintLayout
    from sheetsync.errors import SchemaError

    assert PrintLayout.parse({"min_scale": 80}, "tasks") == PrintLayout(80, 1)
    for bad in ({"min_scale": 5}, {"scale": 60}, {"repeat_columns": -1}, "60"):
        with pytest.raises(SchemaError):
            PrintLayout.parse(bad, "tasks")


def test_google_formats_name_the_font_too():
    for fmt in (ENGINE_CELL, ENGINE_HEADER, INPUT_HEADER, *SUMMARY_STYLES.values()):
        assert fmt["textFormat"]["fontFamily"] == "Arial"


def test_input_columns_are_top_aligned_like_engine_columns(tmp_path):
    book = UnitBook(tmp_path / "unit.xlsx")
    ws = openpyxl.load_workbook(book.path)["Nhiệm vụ"]
    for letter in ("A", "C", "Q"):  # code, name, evidence: what a person types there sits at the top
        assert ws.column_dimensions[letter].alignment.vertical == "top", letter
