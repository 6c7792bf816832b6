"""Synthetic month for the form tests: 3 units, 25 people, leaders, unrated, provisional,
NFD-typed names and formula/HTML injection attempts."""

from __future__ import annotations

import math
import unicodedata

import pandas as pd

from sheetsync.forms import UnitResults, WardInfo

XS, T, HT, K = ("Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ",
                "Hoàn thành nhiệm vụ", "Không hoàn thành nhiệm vụ")
NAN = math.nan
MONTH = "2026-03"
NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung")
INJECTIONS = ['=HYPERLINK("http://x","y")', "+84 912", "-abc", "@x", "=1+1"]
SCRIPT_NAME = "<script>alert(1)</script>"


def person(staff_id, full_name, category, total, *, position="Chuyên viên", department="",
           suggested=None, approved=None, self_rating=None, leader=False, provisional=False,
           notes="", general=None):
    """A roster row; task points and a/b/c are derived so that the figures are consistent."""
    row = dict(staff_id=staff_id, full_name=full_name, position=position, department=department,
               category=category, score_a=NAN, score_b=NAN, score_c=NAN, score_d=NAN,
               score_dd=NAN, score_e=NAN, general_points=NAN, task_points=NAN,
               total_points=NAN, self_rating=self_rating, suggested_rating=suggested,
               approved_rating=approved, provisional=provisional, notes=notes)
    if total is not None:
        g = general if general is not None else min(30.0, round(total * 0.3, 2))
        task = total - g
        pct = task / 70 * 100
        row.update(score_a=pct, score_b=pct, score_c=pct, general_points=g, task_points=task,
                   total_points=total)
        if leader:
            row.update(score_d=100.0, score_dd=50.0, score_e=85.0)
        row["suggested_rating"] = suggested or band(total)
    return row


def band(total):
    return XS if total >= 90 else T if total >= 70 else HT if total >= 50 else K


def unit_phuc_xa() -> UnitResults:
    people = [
        person("PX01", "Trần Văn Bình", "Viên chức", 92.5, position="Hiệu trưởng",
               department="Ban giám hiệu", leader=True, self_rating=XS, approved=XS),
        person("PX02", "Lê Thị Mai", "Viên chức", 88.125, position="Phó Hiệu trưởng",
               department="Ban giám hiệu", leader=True, self_rating=XS),
        person("PX03", NFD_NAME, "Viên chức", 91.0, position="Giáo viên", department="Tổ 1",
               self_rating=XS, approved=XS),
        person("PX04", "Phạm Quốc Huy", "Viên chức", 75.555, position="Giáo viên",
               department="Tổ 1", self_rating=T),
        person("PX05", INJECTIONS[0], "Viên chức", 71.0, position="Giáo viên",
               department="Tổ 2", self_rating=T, provisional=True,
               notes="Nhiệm vụ NV-12 thiếu minh chứng"),
        person("PX06", "Đỗ Minh Tuấn", "Viên chức", None, position="Giáo viên",
               department="Tổ 2", notes="Chưa tự đánh giá"),
        person("PX07", "Hoàng Thị Lan", "Lao động hợp đồng", 65.0, position="Kế toán",
               department="Văn phòng", self_rating=HT),
        person("PX08", "Vũ Văn Nam", "Lao động hợp đồng", 45.0, position="Bảo vệ",
               department="Văn phòng", self_rating=HT),
        person("PX09", "Ngô Thị Thu", "Công chức", 80.0, position="Nhân viên",
               department="Văn phòng", self_rating=T, approved=HT),
    ]
    return UnitResults("Trường Tiểu học Phúc Xá", MONTH, pd.DataFrame(people),
                       ["Vượt tỷ lệ HTXSNV: 3/2 (tối đa 20% số HTTNV)",
                        "Phê duyệt muộn: 2 người sau ngày 28"])


def unit_van_phong() -> UnitResults:
    people = [
        person("VP01", "Nguyễn Đức Thắng", "Cán bộ", 90.0, position="Chủ tịch UBND",
               department="Lãnh đạo", leader=True, self_rating=XS),
        person("VP02", "Bùi Thị Hạnh", "Cán bộ", 84.445, position="Phó Chủ tịch UBND",
               department="Lãnh đạo", leader=True, self_rating=T, approved=T),
        person("VP03", SCRIPT_NAME, "Công chức", 78.0, position=INJECTIONS[1],
               department=INJECTIONS[2], self_rating=T, notes=INJECTIONS[3]),
        person("VP04", "Đặng Văn Khoa", "Công chức", 70.0, position="Văn phòng - Thống kê",
               department="Văn phòng", self_rating=T, provisional=True),
        person("VP05", "Trịnh Thu Trang", "Công chức", None, position="Tư pháp - Hộ tịch",
               department="Tư pháp"),
        person("VP06", "Lý Thị Ngọc", None, 72.0, position="Hợp đồng", department="Một cửa",
               self_rating=T, notes="Chưa khai báo Đối tượng"),
        person("VP07", "Phan Văn Lợi", "Lao động hợp đồng", 60.0, position="Lái xe",
               department="Văn phòng", self_rating=HT),
        person("VP08", "Mai Anh Tú", "Công chức", 95.0, position="Địa chính",
               department="Địa chính", self_rating=XS),
        person("VP09", "Cao Thị Yến", "Công chức", 69.995, position="Kế toán",
               department="Tài chính", self_rating=T),
    ]
    return UnitResults("Văn phòng HĐND và UBND phường", MONTH, pd.DataFrame(people),
                       ["Tự đánh giá muộn: 1 người", "Thiếu bước quản lý đánh giá: 1 người"])


def unit_van_hoa() -> UnitResults:
    people = [
        person("VH01", "Đinh Công Sơn", "Công chức", 91.0, position="Trưởng phòng",
               department="Lãnh đạo", leader=True, self_rating=XS),
        person("VH02", INJECTIONS[4], "Công chức", 85.0, position="Chuyên viên",
               department="Văn hóa", self_rating=T),
        person("VH03", "Tạ Thị Thanh Hương", "Viên chức", 93.0, position="Chuyên viên",
               department="Văn hóa", self_rating=XS, approved=T),
        person("VH04", "Lương Văn Đức", "Công chức", None, position="Chuyên viên",
               department="Xã hội"),
        person("VH05", "Hà Thị Phương", "Lao động hợp đồng", 55.0, position="Nhân viên",
               department="Xã hội", self_rating=HT),
        person("VH06", "Kiều Minh Châu", "Công chức", 30.0, position="Chuyên viên",
               department="Y tế", self_rating=HT, notes="Bị kỷ luật khiển trách"),
        person("VH07", "Âu Dương Phong", "Viên chức", 79.0, position="Chuyên viên",
               department="Giáo dục", self_rating=T, provisional=True),
    ]
    return UnitResults("Phòng Văn hóa - Xã hội", MONTH, pd.DataFrame(people), [])


def sample_units() -> list[UnitResults]:
    return [unit_phuc_xa(), unit_van_phong(), unit_van_hoa()]


def sample_ward() -> WardInfo:
    return WardInfo(
        name="Phường Ba Đình",
        issuing_body="UBND PHƯỜNG BA ĐÌNH",
        place="Ba Đình",
        quota={"rating": XS, "max_ratio": 0.2, "of": [T],
               "label": "Tối đa HTXSNV = 20% số HTTNV (Nghị định 335/2025/NĐ-CP)"},
    )
