"""The HTML page: escaped text, self-contained, charts embedded, print CSS."""

from __future__ import annotations

import base64
import re

import pandas as pd
from sample_data import INJECTIONS, MONTH, SCRIPT_NAME, person

from sheetsync.forms import UnitResults, build_01a, write_reports
from sheetsync.forms.charts import distribution_chart, quota_chart, quota_shares


def page(reports, scope=None):
    target = reports.ward if scope is None else reports.scope(scope)
    return target.paths["html"].read_text(encoding="utf-8")


def svgs(html):
    return [base64.b64decode(m).decode() for m in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]


def test_sheet_text_is_escaped(reports):
    html = page(reports)
    assert SCRIPT_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert ">=1+1<" in html  # plain text in a cell, nothing to evaluate
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in html


def test_page_is_self_contained(reports):
    html = page(reports)
    assert not re.search(r'(src|href)="(?!data:)', html)
    assert "@import" not in html and "url(" not in html
    assert '<html lang="vi">' in html and '<meta charset="utf-8">' in html


def test_print_css_a4_landscape_and_repeated_header(reports):
    html = page(reports)
    assert "size: A4 landscape" in html
    assert "thead { display: table-header-group; }" in html
    assert html.count("<thead>") == 2 and html.count('class="form ') == 2
    assert '"Times New Roman", "Liberation Serif"' in html


def test_both_forms_with_figures_in_vietnamese_format(reports):
    html = page(reports)
    assert "Mẫu số 01A" in html and "Mẫu số 02A" in html and "Tháng 03/2026" in html
    assert ">22,73<" in html and ">45,45<" in html  # decimal comma
    assert ">71,00*<" in html  # provisional total
    assert ('<tr class="group"><td class="stt">II</td>'
            '<td colspan="17">Văn phòng HĐND và UBND phường</td></tr>') in html


def test_charts_are_svg_with_hatching_for_black_and_white_print(reports):
    charts = svgs(page(reports))
    assert len(charts) == 2
    distribution, quota = charts
    assert distribution.lstrip().startswith("<?xml") and "<svg" in distribution
    # Hatching as vector line segments (SVG patterns print as heavy bitmaps): 3 hatched series
    # in the bars and 3 legend keys.
    assert "<pattern" not in distribution and "<pattern" not in quota
    assert len(re.findall(r'id="LineCollection_\d+"', distribution)) >= 6
    assert re.search(r'id="LineCollection_\d+"', quota) and "stroke-dasharray" in quota  # quota line
    assert "<script" not in distribution and "http://www.w3.org" in distribution
    unit_charts = svgs(page(reports, "Phòng Văn hóa - Xã hội"))
    assert len(unit_charts) == 2


def test_chart_alt_text_names_the_units(reports):
    html = page(reports)
    alts = re.findall(r'alt="([^"]*)"', html)
    assert any("Trường Tiểu học Phúc Xá: HTXSNV 2" in a for a in alts)
    assert any("Tỷ lệ HTXSNV" in a for a in alts)


def test_quota_shares_follow_the_profile(units):
    ward_form = build_01a(units, "Phường")
    nd335 = quota_shares(ward_form.body, {"rating": "Hoàn thành xuất sắc nhiệm vụ", "max_ratio": 0.2,
                                          "of": ["Hoàn thành tốt nhiệm vụ"]})
    assert [(s.numerator, s.denominator) for s in nd335] == [(2, 3), (2, 4), (1, 3)]
    hanoi = quota_shares(ward_form.body, {"rating": "HTXSNV", "max_ratio": 0.3, "of": "rated"})
    assert [(s.numerator, s.denominator) for s in hanoi] == [(2, 8), (2, 8), (1, 6)]
    assert quota_chart(ward_form, {}, ["serif"]) is None
    chart = quota_chart(ward_form, {"rating": "A", "max_ratio": 0.3, "of": "rated"}, ["Liberation Serif"])
    assert "30% số người được đánh giá" in chart.alt


def test_charts_survive_awkward_names_and_empty_units():
    people = pd.DataFrame([person("A", "A", "Công chức", 95.0), person("B", "B", "Công chức", 75.0)])
    odd = UnitResults("Tổ $x$ \\ {dự án} " + INJECTIONS[0], MONTH, people, [])
    empty = UnitResults("Đơn vị trống", MONTH, pd.DataFrame(), [])
    form = build_01a([odd, empty], "Phường")
    chart = distribution_chart(form, ["Liberation Serif"])
    assert chart is not None and "<svg" in chart.svg
    assert "Đơn vị trống" not in chart.alt  # nobody to draw
    quota = quota_chart(form, {"rating": "A", "max_ratio": 0.2, "of": ["B"]}, ["Liberation Serif"])
    assert "1/1" in quota.alt
    assert distribution_chart(build_01a([empty], "Đơn vị trống"), ["serif"]) is None


def test_html_only_run_writes_no_pdf(units, ward, tmp_path):
    out = write_reports(units, ward, tmp_path, formats=("html",))
    assert {p.suffix for p in out.paths} == {".html"} and out.messages == []
    assert not list(tmp_path.glob("*.pdf"))
