"""The xlsx forms as LibreOffice prints them: looked at, and measured."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/rendering.py

from rendering import needs_soffice, to_pdf, to_png, words  # noqa: E402

from sheetsync.forms import write_reports  # noqa: E402


def dark_runs(png: Path, box: tuple[int, int, int, int]) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark pixels inside box (x0, y0, x1, y1): (y, x_start, x_end)."""
    img = Image.open(png).convert("L")
    x0, y0, x1, y1 = box
    runs = []
    for y in range(y0, y1):
        start = None
        for x in range(x0, x1 + 1):
            dark = x < x1 and img.getpixel((x, y)) < 110
            if dark and start is None:
                start = x
            elif not dark and start is not None:
                runs.append((y, start, x - 1))
                start = None
    return runs


@needs_soffice
def test_a_short_centred_line_is_drawn_under_the_agency_name(units, ward, tmp_path):
    out = write_reports(units, ward, tmp_path / "forms", formats=("xlsx",))
    school = out.scope("Trường Tiểu học Phúc Xá").paths["01A.xlsx"]
    ward_02a = out.ward.paths["02A.xlsx"]
    pdfs = to_pdf([school, ward_02a], tmp_path / "pdf")
    dpi = 144
    for pdf, name in zip(pdfs, (["TRƯỜNG", "TIỂU", "HỌC", "PHÚC", "XÁ"], ["UBND", "PHƯỜNG", "BA", "ĐÌNH"])):
        png = to_png(pdf, tmp_path / "png", dpi=dpi, last=1)[0]
        first = [w for w in words(pdf) if w.page == 1]
        # The agency's name: the run of words on one line, left half of the page.
        start = next(i for i, w in enumerate(first) if w.text == name[0] and w.x0 < 420)
        line = first[start:start + len(name)]
        assert [w.text for w in line] == name
        scale = dpi / 72
        left, right, bottom = line[0].x0 * scale, line[-1].x1 * scale, max(w.y1 for w in line) * scale
        runs = dark_runs(png, (int(left) - 20, int(bottom) + 1, int(right) + 20, int(bottom + 12 * scale)))
        long_runs = [r for r in runs if r[2] - r[1] > (right - left) / 5]
        assert long_runs, f"no line under {' '.join(name)} in {png}"
        y, a, b = long_runs[0]
        text_width = right - left
        # Decree 30/2020: 1/3 to 1/2 of the name's length, centred under it.
        assert text_width / 3 - 4 <= b - a <= text_width / 2 + 4, (b - a, text_width)
        assert abs((a + b) / 2 - (left + right) / 2) <= 6, ((a + b) / 2, (left + right) / 2)
        assert y - bottom <= 10 * scale  # right under the name, not lost further down
    print(f"\nẢnh trang đầu các biểu xlsx (LibreOffice): {tmp_path / 'png'}")
