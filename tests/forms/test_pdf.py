"""The PDF printed by headless Chromium: real text, the right fonts, and a clear message without it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from sheetsync.forms import write_reports
from sheetsync.forms.pdf import ENGINE_ENV, find_browser

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="cần pdftotext/pdffonts (apt install poppler-utils)")


def pdf_text(path, *args):
    return subprocess.run(["pdftotext", "-layout", *args, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@needs_poppler
def test_ward_pdf_has_title_month_and_a_known_row(browser, reports):
    assert reports.messages == []
    pdf = reports.ward.paths["pdf"]
    assert pdf.name == "Mau_01A_02A_Phuong_Ba_Dinh_2026-03.pdf"
    text = pdf_text(pdf)
    assert "TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC, LAO ĐỘNG HỢP ĐỒNG" in text
    assert "DANH SÁCH KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI HẰNG THÁNG" in text
    assert "Tháng 03/2026" in text and "Mẫu số 02A" in text
    row = next(line for line in text.splitlines() if "Trần Văn Bình" in line)
    assert row.split()[-4:] == ["92,50", "HTXSNV", "HTXSNV", "HTXSNV"]
    assert "71,00*" in text
    assert "Tổng cộng" in text and "NGƯỜI LẬP BIỂU" in text


@needs_poppler
def test_pdf_is_a4_landscape_with_serif_fonts_that_have_vietnamese_glyphs(browser, reports):
    pdf = reports.ward.paths["pdf"]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "841.92 x 594.96 pts (A4)" in info
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]]
    assert names and all(n.startswith(("TimesNewRoman", "LiberationSerif", "Tinos")) for n in names), names
    # A font without Vietnamese letters would have pulled in a fallback such as DejaVu for them.
    assert "Nguyễn Thị Hồng" in pdf_text(pdf)  # typed as NFD, printed as NFC (wraps before Nhung)


@needs_poppler
def test_pdf_repeats_the_table_header_on_each_page(browser, reports):
    pdf = reports.ward.paths["pdf"]
    pages = pdf_text(pdf).split("\f")
    form_02a_pages = [p for p in pages if "Phòng/bộ" in p]
    assert len(form_02a_pages) >= 2
    assert all("Họ và tên" in p and "(18)" in p for p in form_02a_pages)


def test_without_a_browser_xlsx_and_html_are_still_written(units, ward, tmp_path, monkeypatch):
    monkeypatch.setenv(ENGINE_ENV, str(tmp_path / "khong_co_trinh_duyet.exe"))
    out = write_reports(units, ward, tmp_path)
    assert len(out.messages) == 1
    message = out.messages[0]
    assert "PDF" in message and "Chrome" in message and "Edge" in message
    assert "apt install chromium" in message
    assert {p.suffix for p in out.paths} == {".xlsx", ".html"}
    assert not list(tmp_path.glob("*.pdf"))


def test_browser_lookup_order(tmp_path, monkeypatch):
    fake = tmp_path / "msedge.exe"
    fake.write_text("")
    monkeypatch.setenv(ENGINE_ENV, str(fake))
    assert find_browser() == fake
    monkeypatch.delenv(ENGINE_ENV)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr("sys.platform", "win32")
    for var in ("PROGRAMFILES", "PROGRAMFILES(X86)"):
        monkeypatch.delenv(var, raising=False)
    local = tmp_path / "Local"
    edge = local / "Microsoft" / "Edge" / "Application" / "msedge.exe"
    edge.parent.mkdir(parents=True)
    edge.write_text("")
    monkeypatch.setenv("LOCALAPPDATA", str(local))
    assert find_browser() == edge
    edge.unlink()
    assert find_browser() is None


def test_pdf_only_run_keeps_no_html(browser, units, ward, tmp_path):
    out = write_reports(units[:1], ward, tmp_path, formats=("pdf",), per_unit=False)
    assert [p.name for p in out.paths] == ["Mau_01A_02A_Phuong_Ba_Dinh_2026-03.pdf"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Mau_01A_02A_Phuong_Ba_Dinh_2026-03.pdf"]


@needs_poppler
@pytest.mark.parametrize("notes", [18, 20, 30])
def test_the_signature_block_never_stands_alone_on_a_page(browser, tmp_path, notes):
    """With this many 01A notes (measured on Chromium 156 with Liberation Serif) the table ended at
    the foot of a page and the date line and signatures were printed alone on the next one. Now the
    last row travels with them, under the repeated column headings."""
    from sample_data import sample_ward, unit_phuc_xa

    from sheetsync.forms import UnitResults

    unit = unit_phuc_xa()
    lines = [f"Ghi chú số {i}: nhiệm vụ NV-{i:02d} của tổ chuyên môn cần bổ sung minh chứng trước ngày 30"
             for i in range(notes)]
    out = write_reports([UnitResults(unit.unit, unit.month, unit.people, lines)], sample_ward(), tmp_path,
                        formats=("pdf",), per_unit=False)
    pdf = out.ward.paths["pdf"]
    pages = pdf_text(pdf).split("\f")
    signed = [i for i, p in enumerate(pages) if "NGƯỜI LẬP BIỂU" in p]
    assert len(signed) == 2  # 01A and 02A
    for i in signed:
        page = pages[i].splitlines()
        sign_at = next(n for n, line in enumerate(page) if "NGƯỜI LẬP BIỂU" in line)
        date_at = next(n for n, line in enumerate(page) if ", ngày ..... tháng ..... năm 2026" in line)
        # A table row (the total of 01A, the last person of 02A) is printed above, on the same page.
        last_row = "Ngô Thị Thu" if "(18)" in pages[i] else "Tổng cộng"
        row_at = next(n for n, line in enumerate(page) if last_row in line)
        assert row_at < date_at < sign_at, pages[i]
        assert "STT" in pages[i]  # under the column headings
    shots = tmp_path / "png"
    shots.mkdir()
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", str(signed[0] + 1), "-l", str(signed[0] + 1), str(pdf),
                    str(shots / f"01A-signature-page-{notes}-notes")], check=True)
    print(f"\nẢnh trang chữ ký Mẫu 01A: {shots}")
