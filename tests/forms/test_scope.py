"""File-safe, readable scope names."""

from __future__ import annotations

import unicodedata

from sheetsync.forms.scope import form_file_name, slug, unique_slugs


def test_slug_is_readable_ascii():
    assert slug("Phường Ba Đình") == "Phuong_Ba_Dinh"
    assert slug(unicodedata.normalize("NFD", "Phường Ba Đình")) == "Phuong_Ba_Dinh"
    assert slug("Trường THCS Nguyễn Trãi (cơ sở 2)") == "Truong_THCS_Nguyen_Trai_co_so_2"
    assert slug('Tổ: "A/B" \\ <C>*?|') == "To_A_B_C"
    assert slug("  ") == "Don_vi" and slug("../..") == "Don_vi"
    assert len(slug("Trường " * 40)) <= 60


def test_unique_slugs_ignore_case_and_diacritics():
    assert unique_slugs(["Phòng Văn hóa", "Phòng Văn hoá", "PHONG VAN HOA", "Khác"]) == [
        "Phong_Van_hoa", "Phong_Van_hoa_2", "PHONG_VAN_HOA_3", "Khac"]


def test_file_name():
    assert form_file_name("01A", "Phuong_Ba_Dinh", "2026-03", "xlsx") == "Mau_01A_Phuong_Ba_Dinh_2026-03.xlsx"
