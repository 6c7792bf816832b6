"""A realistic sample ward: six units of Phường Ba Đình, 84 people, a month (or a year) of work.

`build_demo_ward` writes `ward.yaml` and one workbook per unit, each made by `init_workbook` and
then filled with openpyxl by header text (never by column position), so the demo also checks
that the blank template is what people really fill in. It serves demos, manual testing and
the engine's end-to-end tests.

The data is synthetic but shaped like a real ward after the 2025 reorganisation: offices,
a one-stop centre and two schools, a proper management tree, products with conversion
coefficients, tasks grounded on plans and decisions, and a month-end evaluation. Performance
is planned per person and month (a tier), the task outcomes are drawn until the demo's own
reading of scoring.md lands in that tier, and the authority then approves like a real one
(within the quota, except where the demo wants the quota warning). Planted problems, so that
every kind of finding shows up (see PLANTS and `_plan_month`):

- rows: text in a number column, an impossible date, unknown staff and product codes, a blank
  required cell, done above assigned, a duplicate task id, missing evidence, "Trả lại" without
  a count, "Đạt" with nothing done, an NFD-typed enum, an unknown collaborator;
- layout: a merged cell and a blank row in the middle of a `Nhiệm vụ` tab, an NFD name;
- evaluation: late self-assessments, missing manager reviews, a disciplined person, a unit not
  yet approved, an approval above the suggestion, a unit over the nd335 quota;
- OKR: equal weights on three key results and a decreasing KPI (stretch below target).
"""

from __future__ import annotations

import calendar
import math
import random
import re
import unicodedata
from copy import copy
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook
from openpyxl.styles import Protection

from sheetsync.backends.xlsx.init import init_workbook
from sheetsync.config.profile import Profile, load_profile, round_half_up
from sheetsync.config.schema import Schemas, TabSchema, load_schemas
from sheetsync.text import normalize_key

__all__ = ["DEFAULT_MONTHS", "UNITS", "build_demo_ward"]

DEFAULT_MONTHS = ("2026-10",)
PROFILE = "nd335"

# -- vocabulary --------------------------------------------------------------------------------

RATINGS = XS, GOOD, PASS, FAIL = ("Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ",
                                  "Hoàn thành nhiệm vụ", "Không hoàn thành nhiệm vụ")
RATING_CODES = {XS: "HTXSNV", GOOD: "HTTNV", PASS: "HTNV", FAIL: "KHTNV"}
RATING_LETTERS = {XS: "A", GOOD: "B", PASS: "C", FAIL: "D"}
HEAD, DEPUTY = "Người đứng đầu", "Cấp phó"
CB, CC, VC, HD = "Cán bộ", "Công chức", "Viên chức", "Lao động hợp đồng"
FOCUS, REGULAR, ADHOC = "Trọng tâm", "Thường xuyên", "Phát sinh, đột xuất"
APPROVED, RETURNED = "Đạt", "Trả lại"
YES = "Có"

# -- people ------------------------------------------------------------------------------------

FAMILY_NAMES = (("Nguyễn", 30), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 4),
                ("Đặng", 3), ("Bùi", 3), ("Đỗ", 3), ("Ngô", 2), ("Hồ", 2), ("Dương", 2), ("Đinh", 2),
                ("Phan", 2), ("Lý", 1), ("Trịnh", 1), ("Đào", 1), ("Lương", 1), ("Mai", 1), ("Tạ", 1),
                ("Chu", 1), ("Khúc", 1))
MALE_MIDDLE = ("Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Thanh", "Tuấn", "Công", "Xuân", "Mạnh",
               "Ngọc", "Trọng", "Duy", "Quốc", "Anh", "Việt", "Đình")
FEMALE_MIDDLE = ("Thị", "Thị", "Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng", "Phương", "Thùy",
                 "Kim", "Mai", "Bích", "Diệu", "Quỳnh", "Hoài")
SECOND_MIDDLE = ("Thu", "Ngọc", "Thanh", "Minh", "Hồng", "Phương", "Kim", "Mai", "Bích", "Hải")
MALE_GIVEN = ("Hùng", "Dũng", "Tuấn", "Minh", "Hải", "Nam", "Long", "Quân", "Sơn", "Thắng", "Cường",
              "Đức", "Hiếu", "Trung", "Phong", "Khánh", "Tùng", "Thành", "Hoàng", "Bình", "Việt",
              "Kiên", "Huy", "Lâm", "Tài", "Quang", "Toàn", "Đạt", "Vinh", "Hưng", "Phúc", "Thịnh")
FEMALE_GIVEN = ("Hương", "Lan", "Hà", "Trang", "Linh", "Mai", "Hoa", "Thảo", "Nhung", "Ngọc", "Huyền",
                "Yến", "Hạnh", "Thủy", "Phương", "Loan", "Vân", "Hằng", "Oanh", "Dung", "Nga", "Quỳnh",
                "Anh", "Giang", "Hiền", "Liên", "Trâm", "Uyên", "Thư", "Hồng", "Duyên", "Nhàn", "Lý")
PHONE_PREFIXES = ("090", "091", "094", "096", "097", "098", "088", "083", "035", "039")


@dataclass(frozen=True)
class Post:
    """A post on a unit's roster. `reports_to` names the slot of the direct manager."""

    slot: str
    position: str
    job: str
    department: str
    category: str
    role: str  # key of ROLE_TASKS: what kind of work the holder is given
    reports_to: str | None = None
    leader: str = ""
    peer_group: str = ""
    female: float = 0.55


def _posts(slot: str, n: int, *, job: str | tuple[str, ...], category: str | tuple[str, ...],
           **kw: Any) -> tuple[Post, ...]:
    """`n` similar posts (slots slot1..slotn); a tuple job or category is cycled over them."""
    jobs = job if isinstance(job, tuple) else (job,)
    cats = category if isinstance(category, tuple) else (category,)
    return tuple(Post(f"{slot}{i + 1}", job=jobs[i % len(jobs)], category=cats[i % len(cats)], **kw)
                 for i in range(n))


# -- products ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Product:
    name: str
    unit_of_measure: str
    coefficient: float | str  # a str is typed as text with the Vietnamese decimal comma
    complexity: str
    evidence: str  # placeholders: {n} document number, {date}, {mm} month, {abbr} unit symbol

    @property
    def k(self) -> float:
        c = self.coefficient
        return float(c.replace(",", ".")) if isinstance(c, str) else float(c)


PRODUCTS: dict[str, Product] = {
    "tham_muu": Product("Văn bản tham mưu (tờ trình, dự thảo quyết định, văn bản chỉ đạo)", "văn bản", 2, "N3",
                        "Tờ trình số {n}/TTr-{abbr} ngày {date}"),
    "bao_cao_dk": Product("Báo cáo định kỳ (tuần, tháng, quý)", "báo cáo", "1,5", "N2",
                          "Báo cáo số {n}/BC-{abbr} ngày {date}"),
    "bao_cao_cd": Product("Báo cáo chuyên đề, đột xuất", "báo cáo", 2.5, "N4", "Báo cáo số {n}/BC-{abbr} ngày {date}"),
    "ke_hoach": Product("Kế hoạch triển khai nhiệm vụ", "kế hoạch", 2, "N3", "Kế hoạch số {n}/KH-{abbr} ngày {date}"),
    "cong_van": Product("Công văn hướng dẫn, đôn đốc, trả lời", "văn bản", 1, "N1",
                        "Công văn số {n}/{abbr} ngày {date} (đã phát hành trên hệ thống quản lý văn bản)"),
    "bien_ban": Product("Biên bản kiểm tra", "biên bản", "1,5", "N2",
                        "Biên bản kiểm tra ngày {date}, lưu hồ sơ {abbr}"),
    "hoi_nghi": Product("Tổ chức hội nghị, cuộc họp", "cuộc họp", 1.5, "N2",
                        "Thông báo kết luận số {n}/TB-{abbr} ngày {date}"),
    "ho_so_tthc": Product("Hồ sơ thủ tục hành chính được tiếp nhận, giải quyết", "hồ sơ", "0,5", "N1",
                          "Thống kê trên Hệ thống thông tin giải quyết TTHC thành phố ngày {date}"),
    "huong_dan": Product("Lượt hướng dẫn người dân nộp hồ sơ trực tuyến", "lượt", 0.5, "N1",
                         "Sổ theo dõi hướng dẫn tại Bộ phận một cửa tháng {mm}"),
    "van_thu": Product("Xử lý văn bản đến, đi trong tuần", "tuần", 1, "N1",
                       "Sổ đăng ký văn bản đến, đi trên hệ thống quản lý văn bản, chốt ngày {date}"),
    "luu_tru": Product("Hồ sơ được chỉnh lý, số hóa", "hồ sơ", 0.5, "N1", "Danh mục hồ sơ đã số hóa, chốt ngày {date}"),
    "chung_tu": Product("Bộ chứng từ kế toán", "bộ", 0.5, "N1", "Sổ kế toán, chứng từ tháng {mm}"),
    "bao_cao_tc": Product("Báo cáo tài chính, quyết toán", "báo cáo", 2.5, "N4",
                          "Báo cáo số {n}/BC-{abbr} ngày {date}"),
    "chuyen_xe": Product("Chuyến xe phục vụ công tác", "chuyến", 0.5, "N1", "Sổ nhật trình xe tháng {mm}"),
    "bao_duong": Product("Lượt bảo dưỡng phương tiện, thiết bị", "lượt", 1, "N1", "Phiếu bảo dưỡng ngày {date}"),
    "phuc_vu": Product("Phục vụ hội nghị, cuộc họp, tiếp khách", "lượt", 0.5, "N1",
                       "Lịch công tác tuần của cơ quan, xác nhận ngày {date}"),
    "ca_truc": Product("Ca trực", "ca", 0.5, "N1", "Sổ giao ca trực tháng {mm}"),
    "tuyen_truyen": Product("Tin, bài tuyên truyền", "tin, bài", 1, "N2",
                            "Trang thông tin điện tử phường, đăng ngày {date}"),
    "ho_so_csxh": Product("Hồ sơ chính sách xã hội được thẩm định", "hồ sơ", 1, "N2",
                          "Danh sách đề nghị số {n}/DS-{abbr} ngày {date}"),
    "ho_tro_it": Product("Lượt hỗ trợ kỹ thuật, khắc phục sự cố", "lượt", 0.5, "N1",
                         "Sổ theo dõi sự cố công nghệ thông tin tháng {mm}"),
    "giang_day": Product("Giảng dạy theo thời khóa biểu", "tuần dạy", 2, "N2",
                         "Sổ đầu bài, sổ báo giảng tháng {mm} (tổ trưởng xác nhận)"),
    "tiet_day": Product("Tiết dạy thao giảng, dự giờ, tiết đọc thư viện", "tiết", 1, "N2", "Phiếu dự giờ ngày {date}"),
    "ke_hoach_bai_day": Product("Kế hoạch bài dạy", "bài", 0.5, "N1",
                                "Kế hoạch bài dạy trên hệ thống quản lý trường học, duyệt ngày {date}"),
    "ho_so_gv": Product("Hồ sơ giáo viên (sổ chủ nhiệm, sổ theo dõi chất lượng giáo dục)", "bộ hồ sơ", "1,5", "N2",
                        "Hồ sơ đã được tổ trưởng kiểm tra ngày {date}"),
    "boi_duong_hs": Product("Buổi bồi dưỡng, phụ đạo học sinh", "buổi", 1, "N2",
                            "Sổ theo dõi bồi dưỡng, phụ đạo ngày {date}"),
    "sinh_hoat_cm": Product("Buổi sinh hoạt chuyên môn tổ", "buổi", 1.5, "N2",
                            "Biên bản sinh hoạt chuyên môn ngày {date}"),
    "hop_phu_huynh": Product("Cuộc họp phụ huynh học sinh", "cuộc họp", "1,5", "N2",
                             "Biên bản họp phụ huynh ngày {date}"),
    "boi_duong_gv": Product("Buổi bồi dưỡng chuyên môn, nghiệp vụ", "buổi", 1, "N1",
                            "Bài thu hoạch bồi dưỡng hè nộp ngày {date}"),
    "ho_so_ts": Product("Hồ sơ tuyển sinh được tiếp nhận, kiểm tra", "hồ sơ", 0.5, "N1",
                        "Danh sách tuyển sinh trên hệ thống, chốt ngày {date}"),
    "cham_soc_tre": Product("Tuần chăm sóc, nuôi dưỡng, giáo dục trẻ", "tuần", 2, "N2",
                            "Sổ theo dõi trẻ, kế hoạch tuần (xác nhận ngày {date})"),
    "hoat_dong_tn": Product("Hoạt động trải nghiệm, ngoại khóa", "hoạt động", 1.5, "N2",
                            "Kế hoạch và hình ảnh hoạt động ngày {date}"),
    "do_choi": Product("Bộ đồ dùng, đồ chơi tự làm", "bộ", 0.5, "N1", "Biên bản kiểm tra đồ dùng ngày {date}"),
    "suat_an": Product("Ngày chế biến bữa ăn bán trú đảm bảo an toàn thực phẩm", "ngày", 0.5, "N1",
                       "Sổ kiểm thực ba bước tháng {mm}"),
    "ve_sinh": Product("Lượt tổng vệ sinh, khử khuẩn", "lượt", 0.5, "N1", "Sổ theo dõi vệ sinh tháng {mm}"),
    "y_te": Product("Lượt theo dõi, sơ cứu, chăm sóc sức khỏe học sinh", "lượt", 0.5, "N1",
                    "Sổ y tế trường học tháng {mm}"),
    "thu_vien": Product("Lượt phục vụ mượn, trả sách, thiết bị dạy học", "lượt", 0.5, "N1",
                        "Sổ mượn, trả thư viện tháng {mm}"),
}


# -- task templates ----------------------------------------------------------------------------

SCHOOL_MONTHS = frozenset({1, 2, 3, 4, 5, 9, 10, 11, 12})
SUMMER = frozenset({6, 7, 8})


@dataclass(frozen=True)
class Template:
    """One kind of task. `span`: "task" (dates of its own), "week" (one row per week of the
    month) or "month" (a duty spanning the month, never late). Name placeholders: {m} month,
    {topic}, {tdp} residential group, {street}, {cls} class, {dept}, {field}, {week}, {short},
    {theme}, {y}, {old_year}, {next_school_year}."""

    product: str
    name: str
    output: str
    criteria: str
    group: str
    qty: tuple[int, int] = (1, 1)
    span: str = "task"
    months: frozenset[int] | None = None
    other_lead: bool = False  # led by another unit of the ward; this unit takes part
    who: str = ""  # "head" or "deputy": only for that leader role (one unit report, one chair)


def _t(product: str, name: str, output: str, criteria: str, group: str, qty: tuple[int, int] = (1, 1),
       **kw: Any) -> Template:
    return Template(product, name, output, criteria, group, qty, **kw)


OFFICE_STAFF = (
    _t("tham_muu", "Tham mưu dự thảo văn bản chỉ đạo về {topic}", "Dự thảo văn bản trình lãnh đạo",
       "Đúng thể thức theo Nghị định 30/2020/NĐ-CP; căn cứ pháp lý chính xác", FOCUS, (1, 3)),
    _t("bao_cao_dk", "Xây dựng báo cáo tháng {m} về {topic}", "Báo cáo gửi UBND phường",
       "Số liệu chính xác, đúng biểu mẫu, đúng hạn", REGULAR, (1, 2)),
    _t("bao_cao_cd", "Xây dựng báo cáo chuyên đề về {topic}", "Báo cáo chuyên đề",
       "Đánh giá đúng thực trạng; có số liệu và đề xuất giải pháp", ADHOC),
    _t("cong_van", "Soạn thảo công văn hướng dẫn, đôn đốc về {topic}", "Công văn gửi các tổ dân phố, đơn vị",
       "Nội dung rõ ràng, phát hành đúng hạn", REGULAR, (2, 5)),
    _t("bien_ban", "Kiểm tra {topic} tại tổ dân phố số {tdp}", "Biên bản kiểm tra",
       "Đúng quy trình; biên bản đủ chữ ký, có kiến nghị xử lý", FOCUS, (1, 3)),
    _t("ke_hoach", "Xây dựng kế hoạch triển khai {topic}", "Dự thảo kế hoạch trình ký",
       "Bám sát chỉ đạo cấp trên; phân công, tiến độ cụ thể", FOCUS),
    _t("hoi_nghi", "Chuẩn bị nội dung hội nghị về {topic}", "Tài liệu, báo cáo phục vụ hội nghị",
       "Tài liệu đầy đủ, gửi đại biểu trước 02 ngày làm việc", ADHOC),
    _t("bien_ban", "Phối hợp kiểm tra liên ngành trên {street}", "Biên bản kiểm tra liên ngành",
       "Tham gia đủ các buổi kiểm tra; ý kiến chuyên môn bằng văn bản", ADHOC, (1, 2), other_lead=True),
)

ROLE_TASKS: dict[str, tuple[Template, ...]] = {
    "lead": (
        _t("ke_hoach", "Chỉ đạo xây dựng kế hoạch {topic}", "Kế hoạch trình Chủ tịch UBND phường ký ban hành",
           "Phân công rõ người, rõ việc, rõ thời hạn", FOCUS),
        _t("bien_ban", "Kiểm tra, đôn đốc việc thực hiện {topic}", "Biên bản kiểm tra, thông báo kết quả",
           "Kết luận rõ tồn tại, trách nhiệm khắc phục", FOCUS, (1, 2)),
        _t("bao_cao_dk", "Chủ trì xây dựng báo cáo kết quả công tác tháng {m} của {short}",
           "Báo cáo tháng gửi UBND phường", "Số liệu chính xác, đúng hạn, có đánh giá và đề xuất", REGULAR, who="head"),
        _t("hoi_nghi", "Chủ trì họp giao ban {short} tháng {m}", "Thông báo kết luận cuộc họp",
           "Kết luận rõ nhiệm vụ, người thực hiện, thời hạn", REGULAR, (1, 2), who="head"),
        _t("bao_cao_dk", "Tổng hợp kết quả các lĩnh vực được phân công phụ trách tháng {m}",
           "Báo cáo gửi người đứng đầu", "Đầy đủ lĩnh vực, đúng hạn, nêu rõ tồn tại", REGULAR, who="deputy"),
        _t("hoi_nghi", "Chủ trì họp triển khai nhiệm vụ các lĩnh vực được phân công tháng {m}",
           "Thông báo kết luận cuộc họp", "Kết luận rõ nhiệm vụ, người thực hiện, thời hạn", REGULAR, who="deputy"),
        _t("tham_muu", "Duyệt, hoàn thiện văn bản tham mưu về {topic} trình lãnh đạo UBND phường",
           "Văn bản trình ký", "Đúng thẩm quyền, đúng thể thức; không bị trả lại", REGULAR, (2, 4)),
        _t("bao_cao_cd", "Chỉ đạo xây dựng báo cáo đột xuất về {topic} theo yêu cầu của UBND Thành phố",
           "Báo cáo gửi UBND Thành phố", "Đúng thời hạn yêu cầu; số liệu được đối chiếu", ADHOC),
    ),
    "cv": OFFICE_STAFF,
    "tuphap": (
        _t("ho_so_tthc", "Giải quyết hồ sơ đăng ký hộ tịch (khai sinh, kết hôn, khai tử), tuần {week}",
           "Kết quả đăng ký hộ tịch trả cho công dân", "Đúng hạn theo quy định; không sai sót thông tin", REGULAR,
           (6, 15), span="week"),
        _t("ho_so_tthc", "Chứng thực bản sao từ bản chính, chứng thực chữ ký tháng {m}",
           "Bản sao, chữ ký được chứng thực", "Đúng thẩm quyền; lưu sổ chứng thực đầy đủ", REGULAR, (40, 90),
           span="month"),
        _t("cong_van", "Tham mưu trả lời đơn, thư của công dân về {topic}", "Văn bản trả lời công dân",
           "Đúng thời hạn giải quyết đơn thư; căn cứ pháp lý rõ ràng", ADHOC, (1, 3)),
        _t("tham_muu", "Tham mưu phổ biến, giáo dục pháp luật về {topic}", "Dự thảo kế hoạch, tài liệu tuyên truyền",
           "Nội dung chính xác, phù hợp đối tượng", FOCUS),
    ),
    "cv_vhxh": OFFICE_STAFF[:6] + (
        _t("tuyen_truyen", "Viết tin, bài tuyên truyền về {topic} trên trang thông tin điện tử phường",
           "Tin, bài được đăng", "Nội dung chính xác, đúng định hướng, có hình ảnh", REGULAR, (2, 5)),
        _t("ho_so_csxh", "Thẩm định hồ sơ đề nghị hưởng trợ cấp xã hội, chính sách người có công",
           "Danh sách đề nghị trình Chủ tịch UBND phường", "Đúng đối tượng, đủ hồ sơ, đúng thời hạn", REGULAR, (5, 15)),
    ),
    "clerk": (
        _t("van_thu", "Tiếp nhận, vào sổ văn bản đến; phát hành văn bản đi tuần {week}",
           "Văn bản được vào sổ, chuyển xử lý trên hệ thống", "Không thất lạc; văn bản đi phát hành trong ngày",
           REGULAR, span="week"),
        _t("luu_tru", "Lập hồ sơ, nộp lưu tài liệu năm {old_year} vào lưu trữ cơ quan", "Hồ sơ nộp lưu",
           "Hồ sơ đúng danh mục, đủ thành phần", REGULAR, (10, 30)),
        _t("bao_cao_dk", "Báo cáo công tác văn thư, lưu trữ tháng {m}", "Báo cáo gửi Chánh Văn phòng",
           "Số liệu khớp sổ đăng ký văn bản", REGULAR),
    ),
    "archivist": (
        _t("luu_tru", "Chỉnh lý, số hóa hồ sơ lưu trữ năm {old_year}", "Hồ sơ đã số hóa trên hệ thống",
           "Đúng tiêu chuẩn số hóa; tra cứu được", FOCUS, (20, 50)),
        _t("luu_tru", "Phục vụ khai thác, tra cứu hồ sơ lưu trữ tháng {m}", "Phiếu yêu cầu khai thác được đáp ứng",
           "Đáp ứng trong ngày; ghi sổ khai thác đầy đủ", REGULAR, (5, 15), span="month"),
        _t("bao_cao_dk", "Thống kê, báo cáo số liệu lưu trữ tháng {m}", "Báo cáo thống kê",
           "Đúng biểu mẫu, đúng hạn", REGULAR),
        _t("cong_van", "Soạn thảo công văn đôn đốc các bộ phận nộp lưu hồ sơ", "Công văn đôn đốc",
           "Nêu rõ danh mục, thời hạn nộp lưu", REGULAR),
    ),
    "accountant": (
        _t("chung_tu", "Lập, kiểm soát chứng từ thanh toán tháng {m}", "Bộ chứng từ đã được duyệt chi",
           "Đúng chế độ, đủ chữ ký, hợp lệ", REGULAR, (15, 35), span="month"),
        _t("bao_cao_tc", "Lập báo cáo tình hình thực hiện dự toán ngân sách tháng {m}", "Báo cáo tài chính",
           "Số liệu khớp sổ kế toán và Kho bạc", REGULAR),
        _t("chung_tu", "Chi trả tiền lương, phụ cấp tháng {m}", "Bảng lương, ủy nhiệm chi",
           "Chi đúng, đủ, đúng hạn", REGULAR, (2, 4)),
        _t("bao_cao_dk", "Đối chiếu số dư tài khoản với Kho bạc Nhà nước tháng {m}", "Bảng đối chiếu số dư",
           "Khớp đúng từng tài khoản", REGULAR),
    ),
    "driver": (
        _t("chuyen_xe", "Phục vụ xe công tác cho lãnh đạo tháng {m}", "Chuyến xe hoàn thành",
           "An toàn, đúng giờ; nhật trình ghi đầy đủ", REGULAR, (18, 30), span="month"),
        _t("chuyen_xe", "Phục vụ xe đoàn kiểm tra {topic}", "Chuyến xe hoàn thành", "An toàn, đúng giờ", ADHOC, (2, 5)),
        _t("bao_duong", "Bảo dưỡng, vệ sinh xe ô tô định kỳ", "Xe được bảo dưỡng",
           "Đúng lịch bảo dưỡng; có phiếu xác nhận", REGULAR, (1, 2)),
    ),
    "support": (
        _t("phuc_vu", "Chuẩn bị phòng họp, phục vụ hội nghị, cuộc họp tháng {m}", "Cuộc họp được phục vụ",
           "Chu đáo, đúng giờ, không để xảy ra sai sót", REGULAR, (8, 16), span="month"),
        _t("phuc_vu", "Đón tiếp, phục vụ đoàn công tác", "Lượt phục vụ", "Chu đáo, đúng nghi thức", ADHOC, (2, 5)),
        _t("ca_truc", "Trực cơ quan ngoài giờ hành chính tháng {m}", "Ca trực", "Đúng lịch; sổ trực ghi đầy đủ",
           REGULAR, (4, 8), span="month"),
    ),
    "field_support": (
        _t("bien_ban", "Tuần tra, lập biên bản vi phạm trật tự đô thị trên {street}", "Biên bản vi phạm",
           "Biên bản đúng mẫu, có ảnh chụp hiện trường", REGULAR, (3, 8)),
        _t("ca_truc", "Trực, xử lý lấn chiếm vỉa hè, lòng đường tháng {m}", "Ca trực", "Đúng lịch phân công",
           REGULAR, (6, 12), span="month"),
        _t("bao_cao_dk", "Tổng hợp số liệu vi phạm trật tự đô thị tháng {m}", "Bảng tổng hợp",
           "Số liệu khớp biên bản", REGULAR),
    ),
    "hcc": (
        _t("ho_so_tthc", "Tiếp nhận, giải quyết hồ sơ TTHC lĩnh vực {field}, tuần {week}",
           "Hồ sơ được giải quyết, trả kết quả",
           "Đúng hạn theo quy định; không yêu cầu bổ sung quá 01 lần", REGULAR, (15, 40), span="week"),
        _t("huong_dan", "Hướng dẫn người dân nộp hồ sơ trực tuyến, thanh toán phí trực tuyến tháng {m}",
           "Lượt hướng dẫn",
           "Người dân nộp được hồ sơ; không có phản ánh", FOCUS, (20, 50), span="month"),
        _t("luu_tru", "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính", "Hồ sơ số hóa trên hệ thống",
           "Đủ thành phần; đúng quy định về số hóa", FOCUS, (20, 60)),
        _t("bao_cao_dk", "Báo cáo tình hình tiếp nhận, giải quyết TTHC tháng {m}", "Báo cáo gửi UBND phường",
           "Số liệu khớp hệ thống", REGULAR),
    ),
    "hcc_support": (
        _t("huong_dan", "Hướng dẫn, hỗ trợ người dân tại khu vực chờ tháng {m}", "Lượt hướng dẫn",
           "Niềm nở, đúng quy tắc ứng xử", REGULAR, (60, 120), span="month"),
        _t("luu_tru", "Hỗ trợ số hóa hồ sơ đầu vào", "Hồ sơ số hóa", "Bản quét rõ nét, đủ trang", REGULAR, (30, 60)),
        _t("ve_sinh", "Chuẩn bị, vệ sinh khu vực tiếp nhận, trang thiết bị", "Lượt vệ sinh",
           "Sạch sẽ trước giờ làm việc",
           REGULAR, (15, 22), span="month"),
    ),
    "it": (
        _t("ho_tro_it", "Hỗ trợ kỹ thuật, khắc phục sự cố thiết bị, phần mềm tháng {m}", "Sự cố được khắc phục",
           "Khắc phục trong ngày; ghi sổ theo dõi", REGULAR, (10, 25), span="month"),
        _t("bao_cao_dk", "Báo cáo vận hành hệ thống thông tin giải quyết TTHC tháng {m}", "Báo cáo vận hành",
           "Đầy đủ chỉ số, đúng hạn", REGULAR),
        _t("ke_hoach", "Xây dựng kế hoạch bảo đảm an toàn thông tin tại Trung tâm", "Dự thảo kế hoạch",
           "Đúng hướng dẫn của Sở Khoa học và Công nghệ", FOCUS),
        _t("luu_tru", "Kiểm tra, đối soát dữ liệu hồ sơ số hóa", "Biên bản đối soát dữ liệu",
           "Dữ liệu khớp hệ thống; không thiếu hồ sơ", FOCUS, (20, 40)),
    ),
    "lead_school": (
        _t("bien_ban", "Dự giờ, kiểm tra hoạt động sư phạm nhà giáo", "Phiếu dự giờ, biên bản kiểm tra",
           "Đúng kế hoạch kiểm tra nội bộ; góp ý cụ thể", FOCUS, (2, 4), months=SCHOOL_MONTHS),
        _t("ke_hoach", "Xây dựng kế hoạch {topic} tháng {m}", "Kế hoạch được ban hành",
           "Phù hợp điều kiện nhà trường; phân công rõ", FOCUS),
        _t("bao_cao_dk", "Báo cáo kết quả hoạt động giáo dục tháng {m} gửi UBND phường", "Báo cáo tháng",
           "Số liệu chính xác, đúng hạn", REGULAR, who="head"),
        _t("hoi_nghi", "Chủ trì họp Hội đồng sư phạm tháng {m}", "Biên bản họp Hội đồng sư phạm",
           "Đánh giá đúng kết quả tháng; triển khai rõ nhiệm vụ tháng sau", REGULAR, who="head"),
        _t("bao_cao_dk", "Tổng hợp báo cáo chuyên môn của các tổ tháng {m}", "Báo cáo gửi Hiệu trưởng",
           "Số liệu khớp báo cáo của tổ, đúng hạn", REGULAR, who="deputy"),
        _t("hoi_nghi", "Chủ trì họp tổ trưởng chuyên môn tháng {m}", "Biên bản họp",
           "Triển khai rõ nhiệm vụ chuyên môn tháng sau", REGULAR, who="deputy"),
        _t("bao_cao_cd", "Báo cáo đột xuất về {topic} theo yêu cầu của Phòng Văn hóa - Xã hội", "Báo cáo gửi phòng",
           "Đúng thời hạn; số liệu chính xác", ADHOC),
    ),
    "teacher": (
        _t("giang_day", "Giảng dạy theo thời khóa biểu lớp {cls} tháng {m}", "Các tiết dạy theo thời khóa biểu",
           "Dạy đúng, đủ chương trình; không bỏ tiết, cắt xén", REGULAR, (4, 4), span="month", months=SCHOOL_MONTHS),
        _t("ke_hoach_bai_day", "Soạn kế hoạch bài dạy lớp {cls} tháng {m}", "Kế hoạch bài dạy được tổ trưởng duyệt",
           "Đúng yêu cầu cần đạt của Chương trình GDPT 2018", REGULAR, (16, 24), months=SCHOOL_MONTHS),
        _t("tiet_day", "Dạy tiết thao giảng, dự giờ đồng nghiệp", "Tiết dạy, phiếu dự giờ",
           "Tiết dạy xếp loại Đạt trở lên",
           FOCUS, (2, 4), months=SCHOOL_MONTHS),
        _t("ho_so_gv", "Cập nhật hồ sơ chủ nhiệm, sổ theo dõi chất lượng giáo dục lớp {cls}", "Hồ sơ giáo viên",
           "Cập nhật đầy đủ, đúng quy định", REGULAR, months=SCHOOL_MONTHS),
        _t("boi_duong_hs", "Phụ đạo học sinh chưa hoàn thành, bồi dưỡng học sinh năng khiếu lớp {cls}",
           "Buổi phụ đạo, bồi dưỡng", "Đúng kế hoạch; có theo dõi tiến bộ của học sinh", FOCUS, (4, 8),
           months=SCHOOL_MONTHS),
        _t("hop_phu_huynh", "Tổ chức họp phụ huynh học sinh lớp {cls}", "Biên bản họp phụ huynh",
           "Thông tin đầy đủ; tiếp thu ý kiến phụ huynh", REGULAR, months=frozenset({1, 3, 5, 9, 10, 12})),
        _t("boi_duong_gv", "Tham gia bồi dưỡng chuyên môn, nghiệp vụ hè năm {y}", "Bài thu hoạch",
           "Tham gia đủ các buổi; bài thu hoạch đạt yêu cầu", FOCUS, (4, 8), months=SUMMER),
        _t("ho_so_ts", "Tham gia tuyển sinh năm học {next_school_year}", "Hồ sơ tuyển sinh được kiểm tra",
           "Đúng đối tượng, đúng tuyến", FOCUS, (20, 40), months=frozenset({6, 7})),
        _t("ca_truc", "Trực trường dịp hè năm {y}", "Ca trực", "Đúng lịch phân công", REGULAR, (2, 4), span="month",
           months=SUMMER),
        _t("ke_hoach", "Chuẩn bị kế hoạch giáo dục lớp {cls} năm học {next_school_year}", "Kế hoạch giáo dục lớp",
           "Đúng hướng dẫn nhiệm vụ năm học", FOCUS, months=frozenset({8})),
    ),
    "kg_teacher": (
        _t("cham_soc_tre", "Chăm sóc, nuôi dưỡng, giáo dục trẻ lớp {cls}, tuần {week}", "Kế hoạch tuần được thực hiện",
           "Trẻ an toàn tuyệt đối; thực hiện đủ các hoạt động trong ngày", REGULAR, span="week"),
        _t("ke_hoach", "Xây dựng kế hoạch giáo dục tháng {m} lớp {cls}", "Kế hoạch giáo dục tháng",
           "Phù hợp độ tuổi; được tổ trưởng duyệt", REGULAR),
        _t("hoat_dong_tn", "Tổ chức hoạt động trải nghiệm \"{theme}\" cho trẻ lớp {cls}", "Hoạt động được tổ chức",
           "An toàn; trẻ hứng thú tham gia", FOCUS, (1, 2)),
        _t("do_choi", "Làm đồ dùng, đồ chơi tự tạo phục vụ hoạt động góc", "Bộ đồ chơi", "An toàn, thẩm mỹ, dùng được",
           REGULAR, (2, 5)),
        _t("ho_so_gv", "Đánh giá sự phát triển của trẻ, cập nhật hồ sơ lớp {cls}", "Hồ sơ lớp",
           "Cập nhật đầy đủ, đúng quy định", REGULAR),
    ),
    "cook": (
        _t("suat_an", "Chế biến bữa ăn bán trú tháng {m}", "Bữa ăn đúng thực đơn, đủ định lượng",
           "Kiểm thực ba bước; lưu mẫu thức ăn đủ 24 giờ", REGULAR, (18, 22), span="month"),
        _t("ve_sinh", "Vệ sinh bếp ăn, dụng cụ chế biến định kỳ", "Lượt vệ sinh", "Đạt yêu cầu khi kiểm tra đột xuất",
           REGULAR, (4, 4), span="month"),
        _t("bao_duong", "Kiểm tra, bảo dưỡng thiết bị bếp, tủ lưu mẫu", "Phiếu kiểm tra thiết bị",
           "Thiết bị vận hành an toàn", REGULAR),
    ),
    "nurse": (
        _t("y_te", "Theo dõi, sơ cứu, chăm sóc sức khỏe học sinh tháng {m}", "Lượt chăm sóc sức khỏe",
           "Xử lý kịp thời; ghi sổ y tế đầy đủ", REGULAR, (20, 50), span="month"),
        _t("tuyen_truyen", "Tuyên truyền phòng, chống dịch bệnh trong trường học", "Bài tuyên truyền, bảng tin",
           "Nội dung chính xác, phù hợp học sinh", FOCUS, (1, 2)),
        _t("bao_cao_dk", "Báo cáo công tác y tế trường học tháng {m}", "Báo cáo gửi Trạm Y tế phường",
           "Đúng biểu mẫu, đúng hạn", REGULAR),
        _t("ve_sinh", "Kiểm tra vệ sinh lớp học, khu vệ sinh, bếp ăn", "Lượt kiểm tra", "Có sổ ghi kết quả kiểm tra",
           REGULAR, (4, 8)),
    ),
    "librarian": (
        _t("thu_vien", "Phục vụ mượn, trả sách và thiết bị dạy học tháng {m}", "Lượt phục vụ",
           "Sổ mượn, trả đầy đủ; không thất lạc", REGULAR, (40, 80), span="month"),
        _t("tiet_day", "Tổ chức tiết đọc thư viện cho học sinh", "Tiết đọc thư viện",
           "Đúng kế hoạch; học sinh tham gia đủ", REGULAR, (4, 8)),
        _t("bao_cao_dk", "Kiểm kê, báo cáo tình hình sử dụng thiết bị dạy học tháng {m}", "Báo cáo kiểm kê",
           "Số liệu khớp sổ tài sản", REGULAR),
    ),
    "guard": (
        _t("ca_truc", "Trực bảo vệ trường theo ca tháng {m}", "Ca trực", "Không để mất tài sản; sổ giao ca đầy đủ",
           REGULAR, (20, 26), span="month"),
        _t("bien_ban", "Kiểm tra hệ thống phòng cháy, chữa cháy, điện, nước", "Biên bản kiểm tra",
           "Phát hiện, báo cáo kịp thời hư hỏng", REGULAR, (1, 2)),
        _t("ca_truc", "Hướng dẫn phụ huynh đưa đón học sinh, giữ trật tự cổng trường", "Ca trực cổng trường",
           "Cổng trường thông thoáng, an toàn", REGULAR, (18, 22), span="month"),
    ),
}
TEACHER_LEAD_EXTRA = (
    _t("sinh_hoat_cm", "Chủ trì sinh hoạt chuyên môn {dept}", "Biên bản sinh hoạt chuyên môn",
       "Đúng lịch; có nghiên cứu bài học, chia sẻ kinh nghiệm", FOCUS, (2, 2)),
    _t("bien_ban", "Kiểm tra hồ sơ chuyên môn giáo viên {dept}", "Biên bản kiểm tra hồ sơ",
       "Kiểm tra đủ giáo viên trong tổ", REGULAR),
)
ROLE_TASKS["teacher_lead"] = ROLE_TASKS["teacher"] + TEACHER_LEAD_EXTRA
ROLE_TASKS["kg_lead"] = ROLE_TASKS["kg_teacher"] + TEACHER_LEAD_EXTRA

# How many rows a person gets in a month, by role (weekly templates count one row per week).
ROLE_TASK_COUNT: dict[str, tuple[int, int]] = {
    "lead": (3, 5), "lead_school": (3, 5), "cv": (4, 7), "cv_vhxh": (4, 7), "tuphap": (5, 7), "clerk": (5, 6),
    "archivist": (3, 5), "accountant": (3, 5), "driver": (3, 4), "support": (3, 4), "field_support": (3, 5),
    "hcc": (5, 7), "hcc_support": (3, 4), "it": (3, 5), "teacher": (4, 6), "teacher_lead": (5, 7),
    "kg_teacher": (5, 8), "kg_lead": (6, 8), "cook": (3, 3), "nurse": (3, 4), "librarian": (3, 3), "guard": (3, 3),
}

# -- units -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyResult:
    text: str
    kpi_unit: str
    formula: str
    weight: float
    source: str
    target: float | str  # a str is typed with the decimal comma
    stretch: float | None
    actual: tuple[float, float]  # the range a period's actual value is drawn from
    decimals: int = 1


@dataclass(frozen=True)
class Objective:
    oid: str
    text: str
    level: str
    owner: str  # a department or unit name, or "@slot" for the holder of that post
    parent: str
    krs: tuple[KeyResult, ...]


EQUAL_THIRD = 100 / 3  # as pasted from =100/3: three equal weights that still sum to 100


@dataclass(frozen=True)
class UnitSpec:
    key: str  # file stem
    name: str
    short: str  # how task names refer to the unit ("Văn phòng", "phòng", ...)
    prefix: str  # staff id prefix
    abbr: str  # symbol on the unit's documents (KH-THPX, BC-VP, ...)
    school: bool
    posts: tuple[Post, ...]
    topics: tuple[str, ...]
    approval: str = "quota"  # "quota": within the quota; "generous": as suggested; "pending": none in the last month
    xs_share: float = 0.12  # share of the unit planned as excellent (of non-leaders for "generous")
    types_as_text: bool = False  # this unit types months and decimals as text (10/2026, 27,5)
    okr: tuple[Objective, ...] = ()


LEAD_JOB = "Lãnh đạo, quản lý"
OFFICE_GROUP, TEACHERS, SCHOOL_STAFF = "Chuyên viên", "Giáo viên", "Nhân viên"  # peer groups
ADMIN, URBAN, ONE_STOP = "Bộ phận Hành chính - Quản trị", "Bộ phận Quản lý đô thị", "Bộ phận Tiếp nhận và trả kết quả"
SCHOOL_OFFICE = "Tổ Văn phòng"
PRIMARY_II, PRIMARY_III = "Giáo viên tiểu học hạng II", "Giáo viên tiểu học hạng III"

VAN_PHONG_POSTS = (
    Post("head", "Chánh Văn phòng", LEAD_JOB, "Lãnh đạo Văn phòng", CC, "lead", leader=HEAD, female=0.4),
    Post("dep_th", "Phó Chánh Văn phòng", LEAD_JOB, "Bộ phận Tổng hợp", CC, "lead", "head", DEPUTY),
    Post("dep_hc", "Phó Chánh Văn phòng", LEAD_JOB, "Bộ phận Hành chính - Quản trị", CC, "lead", "head", DEPUTY),
    Post("hdnd", "Phó Trưởng Ban Pháp chế HĐND phường", "Đại biểu HĐND hoạt động chuyên trách", "Bộ phận HĐND",
         CB, "cv", "head"),
    *_posts("th", 4, position="Chuyên viên", department="Bộ phận Tổng hợp", role="cv", reports_to="dep_th",
            peer_group=OFFICE_GROUP, category=CC,
            job=("Chuyên viên tổng hợp", "Chuyên viên tổng hợp", "Chuyên viên pháp chế",
                 "Chuyên viên thi đua, khen thưởng")),
    *_posts("tp", 2, position="Chuyên viên", department="Bộ phận Tư pháp - Hộ tịch", role="tuphap",
            reports_to="dep_th", peer_group=OFFICE_GROUP, category=CC, job="Chuyên viên tư pháp - hộ tịch"),
    Post("vt", "Văn thư", "Văn thư viên", ADMIN, CC, "clerk", "dep_hc", female=0.8),
    Post("kt", "Kế toán", "Kế toán viên", ADMIN, CC, "accountant", "dep_hc", female=0.8),
    Post("lt", "Cán sự", "Lưu trữ viên", ADMIN, CC, "archivist", "dep_hc"),
    Post("lx", "Nhân viên lái xe", "Lái xe", ADMIN, HD, "driver", "dep_hc", female=0.0),
    Post("pv", "Nhân viên phục vụ", "Phục vụ", ADMIN, HD, "support", "dep_hc", female=0.9),
)
VAN_PHONG_OKR = (
    Objective("MT01", "Nâng cao chất lượng tham mưu, tổng hợp phục vụ chỉ đạo, điều hành của UBND phường",
              "Đơn vị", "Văn phòng HĐND và UBND", "", (
                  KeyResult("Tỷ lệ văn bản tham mưu được ban hành đúng hạn", "%",
                            "Số văn bản ban hành đúng hạn / tổng số văn bản được giao × 100", 50,
                            "Hệ thống quản lý văn bản và điều hành", 95, 100, (92, 99.5)),
                  KeyResult("Số văn bản bị trả lại do sai thể thức, nội dung", "văn bản",
                            "Đếm số văn bản lãnh đạo trả lại trong kỳ", 30, "Sổ theo dõi văn bản trình ký",
                            5, 2, (1, 7), 0),
                  KeyResult("Tỷ lệ văn bản đi được ký số, phát hành điện tử", "%",
                            "Số văn bản ký số / tổng số văn bản đi × 100", 20,
                            "Hệ thống quản lý văn bản và điều hành", 90, 98, (88, 99.5)),
              )),
    Objective("MT02", "Đẩy mạnh chuyển đổi số trong công tác văn phòng", "Phòng/bộ phận", ADMIN, "MT01", (
        KeyResult("Tỷ lệ hồ sơ công việc được lập trên hệ thống", "%", "Số hồ sơ lập điện tử / tổng số hồ sơ × 100",
                  EQUAL_THIRD, "Hệ thống quản lý văn bản và điều hành", 80, 90, (75, 92)),
        KeyResult("Tỷ lệ cuộc họp sử dụng tài liệu điện tử", "%", "Số cuộc họp không giấy / tổng số cuộc họp × 100",
                  EQUAL_THIRD, "Lịch công tác tuần", 70, 85, (60, 90)),
        KeyResult("Số hồ sơ lưu trữ được số hóa", "hồ sơ", "Đếm hồ sơ số hóa trong kỳ", EQUAL_THIRD,
                  "Danh mục hồ sơ số hóa", 300, 360, (250, 380), 0),
    )),
    Objective("MT03", "Hoàn thành chỉnh lý, số hóa tài liệu lưu trữ giai đoạn 2020–2024", "Cá nhân", "@lt", "MT02", (
        KeyResult("Số hồ sơ được chỉnh lý, số hóa", "hồ sơ", "Đếm hồ sơ đã chỉnh lý, số hóa", 100,
                  "Danh mục hồ sơ số hóa", 150, 180, (120, 190), 0),
    )),
)

KINH_TE_POSTS = (
    Post("head", "Trưởng phòng", LEAD_JOB, "Lãnh đạo phòng", CC, "lead", leader=HEAD, female=0.3),
    Post("dep_kt", "Phó Trưởng phòng", LEAD_JOB, "Bộ phận Kinh tế - Tài chính", CC, "lead", "head", DEPUTY),
    Post("dep_dt", "Phó Trưởng phòng", LEAD_JOB, URBAN, CC, "lead", "head", DEPUTY, female=0.3),
    *_posts("kt", 4, position="Chuyên viên", department="Bộ phận Kinh tế - Tài chính", role="cv",
            reports_to="dep_kt", peer_group=OFFICE_GROUP, category=CC,
            job=("Chuyên viên quản lý tài chính - ngân sách", "Chuyên viên kế hoạch - đầu tư",
                 "Chuyên viên quản lý thương mại, dịch vụ", "Chuyên viên quản lý kinh tế")),
    *_posts("dt", 4, position="Chuyên viên", department=URBAN, role="cv", reports_to="dep_dt",
            peer_group=OFFICE_GROUP, category=CC, female=0.35,
            job=("Chuyên viên quản lý trật tự xây dựng", "Chuyên viên quản lý đô thị",
                 "Chuyên viên quản lý tài nguyên và môi trường", "Chuyên viên quản lý giao thông, hạ tầng")),
    Post("cs", "Cán sự", "Cán sự quản lý trật tự đô thị", URBAN, CC, "cv", "dep_dt", female=0.3),
    Post("hd", "Nhân viên hợp đồng", "Hỗ trợ quản lý trật tự đô thị", URBAN, HD, "field_support", "dep_dt",
         female=0.1),
)

VAN_HOA_POSTS = (
    Post("head", "Trưởng phòng", LEAD_JOB, "Lãnh đạo phòng", CC, "lead", leader=HEAD, female=0.6),
    Post("dep_vh", "Phó Trưởng phòng", LEAD_JOB, "Bộ phận Văn hóa - Thông tin", CC, "lead", "head", DEPUTY),
    Post("dep_xh", "Phó Trưởng phòng", LEAD_JOB, "Bộ phận Lao động - Xã hội", CC, "lead", "head", DEPUTY),
    *_posts("vh", 4, position="Chuyên viên", department="Bộ phận Văn hóa - Thông tin", role="cv_vhxh",
            reports_to="dep_vh", peer_group=OFFICE_GROUP, category=CC,
            job=("Chuyên viên văn hóa, thông tin", "Chuyên viên thể thao, du lịch", "Chuyên viên dân tộc, tôn giáo",
                 "Chuyên viên giáo dục - đào tạo")),
    *_posts("xh", 4, position="Chuyên viên", department="Bộ phận Lao động - Xã hội", role="cv_vhxh",
            reports_to="dep_xh", peer_group=OFFICE_GROUP, category=CC, female=0.7,
            job=("Chuyên viên lao động, việc làm", "Chuyên viên bảo trợ xã hội", "Chuyên viên người có công",
                 "Chuyên viên y tế, dân số")),
)

HANH_CHINH_CONG_POSTS = (
    Post("head", "Giám đốc Trung tâm", LEAD_JOB, "Lãnh đạo Trung tâm", CC, "lead", leader=HEAD, female=0.5),
    Post("dep", "Phó Giám đốc Trung tâm", LEAD_JOB, "Lãnh đạo Trung tâm", VC, "lead", "head", DEPUTY),
    *_posts("mc", 5, position="Chuyên viên", department=ONE_STOP, role="hcc", reports_to="dep",
            peer_group="Bộ phận một cửa", category=(CC, CC, VC, CC, VC), female=0.7,
            job="Tiếp nhận và trả kết quả giải quyết thủ tục hành chính"),
    Post("it", "Chuyên viên", "Quản trị hệ thống công nghệ thông tin", "Bộ phận Hành chính - Tổng hợp", VC, "it",
         "dep", female=0.2),
    *_posts("hd", 2, position="Nhân viên hỗ trợ", department=ONE_STOP, role="hcc_support", reports_to="dep",
            category=HD, job="Hướng dẫn, hỗ trợ người dân"),
)
HANH_CHINH_CONG_OKR = (
    Objective("MT01", "Nâng cao chất lượng phục vụ người dân, doanh nghiệp", "Đơn vị",
              "Trung tâm Phục vụ hành chính công", "", (
                  KeyResult("Tỷ lệ hồ sơ giải quyết đúng hạn", "%",
                            "Số hồ sơ đúng hạn / tổng số hồ sơ đã giải quyết × 100", 40,
                            "Hệ thống thông tin giải quyết TTHC thành phố", "97,5", 99.5, (96.5, 99.8)),
                  KeyResult("Tỷ lệ hồ sơ tiếp nhận trực tuyến toàn trình", "%",
                            "Số hồ sơ trực tuyến toàn trình / tổng số hồ sơ × 100", 35,
                            "Hệ thống thông tin giải quyết TTHC thành phố", 80, 90, (76, 92)),
                  KeyResult("Thời gian chờ trung bình tại quầy", "phút", "Tổng thời gian chờ / số lượt lấy số thứ tự",
                            25, "Hệ thống xếp hàng tự động", 15, 10, (9, 17)),  # lower is better
              )),
    Objective("MT02", "Nâng cao mức độ hài lòng của người dân", "Phòng/bộ phận", ONE_STOP, "MT01", (
        KeyResult("Tỷ lệ người dân đánh giá hài lòng", "%", "Số phiếu hài lòng / tổng số phiếu × 100", 60,
                  "Phiếu đánh giá điện tử tại quầy", 95, 98, (93, 99.5)),
        KeyResult("Số phản ánh, kiến nghị về thái độ phục vụ", "phản ánh", "Đếm phản ánh được xác minh là đúng", 40,
                  "Sổ tiếp nhận phản ánh, kiến nghị", 2, 0, (0, 3), 0),
    )),
)

PHUC_XA_POSTS = (
    Post("head", "Hiệu trưởng", "Quản lý giáo dục", "Ban Giám hiệu", VC, "lead_school", leader=HEAD, female=0.7),
    Post("dep1", "Phó Hiệu trưởng", "Quản lý giáo dục", "Ban Giám hiệu", VC, "lead_school", "head", DEPUTY,
         female=0.8),
    Post("dep2", "Phó Hiệu trưởng", "Quản lý giáo dục", "Ban Giám hiệu", VC, "lead_school", "head", DEPUTY,
         female=0.6),
    Post("tt1", "Tổ trưởng chuyên môn", PRIMARY_II, "Tổ khối 1-2", VC, "teacher_lead", "dep1", peer_group=TEACHERS,
         female=0.9),
    *_posts("gv1_", 3, position="Giáo viên", department="Tổ khối 1-2", role="teacher", reports_to="dep1",
            peer_group=TEACHERS, category=VC, female=0.9, job=PRIMARY_III),
    Post("tt2", "Tổ trưởng chuyên môn", PRIMARY_II, "Tổ khối 3", VC, "teacher_lead", "dep1", peer_group=TEACHERS,
         female=0.9),
    *_posts("gv2_", 3, position="Giáo viên", department="Tổ khối 3", role="teacher", reports_to="dep1",
            peer_group=TEACHERS, category=VC, female=0.85, job=(PRIMARY_III, PRIMARY_II)),
    Post("tt3", "Tổ trưởng chuyên môn", PRIMARY_II, "Tổ khối 4-5", VC, "teacher_lead", "dep2", peer_group=TEACHERS,
         female=0.8),
    *_posts("gv3_", 3, position="Giáo viên", department="Tổ khối 4-5", role="teacher", reports_to="dep2",
            peer_group=TEACHERS, category=VC, female=0.8,
            job=(PRIMARY_III, "Giáo viên Tiếng Anh", "Giáo viên Giáo dục thể chất")),
    Post("kt", "Kế toán", "Kế toán viên", SCHOOL_OFFICE, VC, "accountant", "dep2", peer_group=SCHOOL_STAFF,
         female=0.9),
    Post("tv", "Nhân viên thư viện - thiết bị", "Thư viện viên", SCHOOL_OFFICE, VC, "librarian", "dep2",
         peer_group=SCHOOL_STAFF, female=0.9),
    Post("yt", "Nhân viên y tế học đường", "Y tế học đường", SCHOOL_OFFICE, HD, "nurse", "dep2",
         peer_group=SCHOOL_STAFF, female=0.9),
    Post("bv", "Nhân viên bảo vệ", "Bảo vệ", SCHOOL_OFFICE, HD, "guard", "dep2", peer_group=SCHOOL_STAFF, female=0.0),
)
PHUC_XA_OKR = (
    Objective("MT01", "Nâng cao chất lượng giáo dục toàn diện học sinh", "Đơn vị", "Trường Tiểu học Phúc Xá", "", (
        KeyResult("Tỷ lệ học sinh hoàn thành tốt các môn học và hoạt động giáo dục", "%",
                  "Số học sinh hoàn thành tốt / tổng số học sinh × 100", 50, "Phần mềm quản lý trường học",
                  85, 90, (82, 92)),
        KeyResult("Số tiết dạy ứng dụng công nghệ thông tin", "tiết", "Đếm tiết dạy có bài giảng điện tử", 30,
                  "Sổ báo giảng", 120, 150, (100, 160), 0),
        KeyResult("Số vụ tai nạn thương tích học sinh tại trường", "vụ", "Đếm vụ việc phải sơ cứu, chuyển viện", 20,
                  "Sổ y tế trường học", 1, 0, (0, 2), 0),
    )),
)

HOA_SEN_POSTS = (
    Post("head", "Hiệu trưởng", "Quản lý giáo dục", "Ban Giám hiệu", VC, "lead_school", leader=HEAD, female=1.0),
    Post("dep1", "Phó Hiệu trưởng", "Quản lý giáo dục", "Ban Giám hiệu", VC, "lead_school", "head", DEPUTY,
         female=1.0),
    Post("dep2", "Phó Hiệu trưởng", "Quản lý giáo dục", "Ban Giám hiệu", VC, "lead_school", "head", DEPUTY,
         female=1.0),
    Post("tt_nt", "Tổ trưởng chuyên môn", "Giáo viên mầm non hạng II", "Tổ Nhà trẻ", VC, "kg_lead", "dep1", DEPUTY,
         female=1.0),
    *_posts("nt", 3, position="Giáo viên", department="Tổ Nhà trẻ", role="kg_teacher", reports_to="tt_nt",
            peer_group=TEACHERS, category=VC, female=1.0, job="Giáo viên mầm non hạng III"),
    Post("tt_mg", "Tổ trưởng chuyên môn", "Giáo viên mầm non hạng II", "Tổ Mẫu giáo", VC, "kg_lead", "dep1", DEPUTY,
         female=1.0),
    *_posts("mg", 4, position="Giáo viên", department="Tổ Mẫu giáo", role="kg_teacher", reports_to="tt_mg",
            peer_group=TEACHERS, category=(VC, VC, VC, HD), female=1.0,
            job=("Giáo viên mầm non hạng III", "Giáo viên mầm non hạng II")),
    Post("kt", "Kế toán", "Kế toán viên", SCHOOL_OFFICE, VC, "accountant", "dep2", female=0.9),
    *_posts("na", 2, position="Nhân viên nấu ăn", department="Tổ Nuôi dưỡng", role="cook", reports_to="dep2",
            category=HD, female=0.8, job="Nấu ăn"),
    Post("yt", "Nhân viên y tế", "Y tế học đường", SCHOOL_OFFICE, HD, "nurse", "dep2", female=1.0),
)

UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("van-phong", "Văn phòng HĐND và UBND", "Văn phòng", "VP", "VP", False, VAN_PHONG_POSTS,
             ("cải cách hành chính", "chuyển đổi số, ký số văn bản", "công tác văn thư, lưu trữ",
              "tiếp công dân, giải quyết đơn thư", "kỳ họp thường lệ của HĐND phường",
              "thực hành tiết kiệm, chống lãng phí", "công tác thi đua, khen thưởng", "phổ biến, giáo dục pháp luật",
              "kiểm soát thủ tục hành chính", "đăng ký, quản lý hộ tịch"),
             okr=VAN_PHONG_OKR),
    UnitSpec("kinh-te-ha-tang-do-thi", "Phòng Kinh tế - Hạ tầng - Đô thị", "phòng", "KT", "KTHTĐT", False,
             KINH_TE_POSTS,
             ("trật tự xây dựng trên địa bàn", "vệ sinh môi trường, thu gom rác thải", "quản lý vỉa hè, lòng đường",
              "thu ngân sách nhà nước", "quản lý hộ kinh doanh cá thể", "phòng cháy, chữa cháy tại cơ sở kinh doanh",
              "chiếu sáng công cộng", "quản lý đất đai, nhà ở", "an toàn giao thông", "chỉnh trang đô thị")),
    UnitSpec("van-hoa-xa-hoi", "Phòng Văn hóa - Xã hội", "phòng", "VH", "VHXH", False, VAN_HOA_POSTS,
             ("phong trào Toàn dân đoàn kết xây dựng đời sống văn hóa", "chi trả trợ cấp xã hội hằng tháng",
              "công tác người có công", "tiêm chủng mở rộng", "phòng, chống sốt xuất huyết",
              "giáo dục mầm non, tiểu học trên địa bàn", "giải quyết việc làm",
              "quản lý hoạt động tín ngưỡng, tôn giáo", "tổ chức lễ hội, sự kiện văn hóa", "chăm sóc người cao tuổi",
              "an toàn thực phẩm"),
             approval="pending", types_as_text=True),
    UnitSpec("tt-phuc-vu-hcc", "Trung tâm Phục vụ hành chính công", "Trung tâm", "HC", "TTPVHCC", False,
             HANH_CHINH_CONG_POSTS,
             ("tiếp nhận hồ sơ trực tuyến toàn trình", "thanh toán trực tuyến phí, lệ phí",
              "số hóa hồ sơ, kết quả giải quyết TTHC", "khảo sát mức độ hài lòng của người dân",
              "niêm yết công khai thủ tục hành chính"),
             okr=HANH_CHINH_CONG_OKR),
    UnitSpec("th-phuc-xa", "Trường Tiểu học Phúc Xá", "nhà trường", "PX", "THPX", True, PHUC_XA_POSTS,
             ("dạy học theo Chương trình giáo dục phổ thông 2018", "kiểm tra định kỳ",
              "phong trào thi đua dạy tốt, học tốt", "bồi dưỡng học sinh năng khiếu", "xây dựng trường học an toàn",
              "chuyển đổi số trong dạy học", "giáo dục kỹ năng sống", "công tác bán trú"),
             okr=PHUC_XA_OKR),
    UnitSpec("mn-hoa-sen", "Trường Mầm non Hoa Sen", "nhà trường", "HS", "MNHS", True, HOA_SEN_POSTS,
             ("chăm sóc, giáo dục trẻ theo Chương trình giáo dục mầm non", "vệ sinh an toàn thực phẩm bếp ăn bán trú",
              "phòng, chống dịch bệnh cho trẻ", "phát triển vận động cho trẻ",
              "xây dựng trường học an toàn, thân thiện", "tổ chức ngày hội, ngày lễ cho trẻ"),
             approval="generous", xs_share=0.4),
)

STREETS = ("phố Quán Thánh", "phố Phan Đình Phùng", "phố Đội Cấn", "phố Liễu Giai", "phố Hoàng Hoa Thám",
           "phố Nguyễn Trung Trực", "phố Hàng Đậu", "phố Trấn Vũ", "phố Châu Long", "phố Ngọc Hà")
HCC_FIELDS = ("chứng thực", "hộ tịch", "đất đai", "xây dựng", "đăng ký kinh doanh", "bảo trợ xã hội")
KG_THEMES = ("Bé với an toàn giao thông", "Các loại rau, củ, quả", "Bé yêu nghề truyền thống", "Môi trường xanh",
             "Bé vui Tết Trung thu", "Mùa đông của bé", "Ngày hội của cô giáo")
PRIMARY_CLASSES = {"Tổ khối 1-2": ("1A", "1B", "2A", "2B"), "Tổ khối 3": ("3A", "3B", "3C", "3D"),
                   "Tổ khối 4-5": ("4A", "4B", "5A", "5B")}
KG_CLASSES = {"Tổ Nhà trẻ": ("Nhà trẻ D1", "Nhà trẻ D2", "Nhà trẻ D3", "Nhà trẻ D4"),
              "Tổ Mẫu giáo": ("Mẫu giáo bé C1", "Mẫu giáo nhỡ B1", "Mẫu giáo nhỡ B2", "Mẫu giáo lớn A1",
                              "Mẫu giáo lớn A2")}

# -- performance -------------------------------------------------------------------------------

# Outcome weights per planned tier (see `_draw_outcome` for what each kind means).
OUTCOME_WEIGHTS: dict[str, dict[str, int]] = {
    XS: {"ok": 80, "returned_ok": 7, "excused": 7, "pending": 3, "late": 3},
    GOOD: {"ok": 46, "late": 13, "returned_ok": 12, "returned": 5, "pending": 6, "partial": 8, "excused": 4,
           "unfinished": 4, "no_evidence": 2},
    PASS: {"ok": 22, "late": 16, "returned_ok": 10, "returned": 12, "pending": 8, "partial": 12, "unfinished": 17,
           "no_evidence": 3},
    FAIL: {"ok": 6, "late": 18, "returned": 20, "partial": 18, "unfinished": 38},
}
GENERAL_POINTS = {XS: (27.0, 30.0), GOOD: (25.0, 29.0), PASS: (22.0, 27.0), FAIL: (18.0, 24.0)}
LEADER_E = {XS: (92, 98), GOOD: (80, 92), PASS: (70, 82), FAIL: (60, 75)}
PASS_SHARE = 0.12  # share of each unit planned as Hoàn thành nhiệm vụ
FAIL_BELOW = -1.9  # a month's performance below this is planned as Không hoàn thành nhiệm vụ
FIT_TRIES = 60

MANAGER_COMMENTS = {
    XS: ("Hoàn thành xuất sắc nhiệm vụ; chủ động, sáng tạo trong tham mưu.",
         "Sản phẩm đúng hạn, chất lượng cao; là điển hình của đơn vị.",
         "Hoàn thành vượt tiến độ các nhiệm vụ trọng tâm."),
    GOOD: ("Hoàn thành tốt nhiệm vụ được giao.", "Hoàn thành tốt nhiệm vụ; cần chủ động hơn trong báo cáo tiến độ.",
           "Một số sản phẩm còn chậm tiến độ, cần khắc phục.", "Chấp hành tốt kỷ luật, kỷ cương hành chính."),
    PASS: ("Hoàn thành nhiệm vụ; còn nhiều sản phẩm chậm tiến độ, phải chỉnh sửa.",
           "Cần nâng cao chất lượng tham mưu, hạn chế văn bản bị trả lại."),
    FAIL: ("Chưa hoàn thành nhiệm vụ; nhiều nhiệm vụ quá hạn chưa có kết quả.",
           "Cần kiểm điểm, khắc phục ngay các nhiệm vụ chậm tiến độ."),
}

# -- planted problems --------------------------------------------------------------------------

# Row problems planted in every month, each in a unit drawn at random (kind → what it shows).
PLANTS = {
    "text_number": "field.type: 'hai' in Số lượng giao (row left out of scoring)",
    "invalid_date": "field.type: 31/02/2026 in Ngày hoàn thành (row zeroed)",
    "unknown_staff": "field.ref: an owner code with its leading zeros dropped (row left out)",
    "unknown_product": "field.ref: a product code missing from the catalogue (row left out)",
    "blank_required": "field.required: Sản phẩm đầu ra or Tiêu chí chất lượng left blank (row zeroed)",
    "done_over": "task.done-over-assigned: more done than assigned (counted as assigned)",
    "duplicate_id": "field.unique: a copied row kept its Mã nhiệm vụ (both rows zeroed)",
    "no_evidence": "field.required-when: done without Minh chứng (row zeroed)",
    "returned_no_count": "task.returned-without-count: Trả lại with no Số lần trả lại",
    "approved_nothing": "task.approved-without-output: Đạt with nothing done",
    "unknown_collaborator": "field.ref: a collaborator code that does not exist (row zeroed)",
    "nfd_group": "no finding: Nhóm nhiệm vụ typed in NFD must still match",
}
EXTRA_PLANTS = ("no_evidence", "done_over", "blank_required", "invalid_date", "text_number", "unknown_staff")
PLANT_RATE = 0.035  # planted rows per task row, counting the ones in PLANTS
ZEROING = {"invalid_date", "blank_required", "duplicate_id", "duplicate_id_pair", "no_evidence",
           "unknown_collaborator", "merged"}
EXCLUDING = {"text_number", "unknown_staff", "unknown_product"}
PAIRED = {"duplicate_id", "merged"}  # these need the owner's previous row
MISSING_REVIEWS = 3  # people whose manager has not scored them yet, in the last month
LATE_SELF_SHARE = 0.05
MERGED_UNIT, BLANK_ROW_UNIT, NFD_NAME_UNIT = "kinh-te-ha-tang-do-thi", "van-hoa-xa-hoi", "th-phuc-xa"
DISCIPLINED_UNIT, APPROVED_ABOVE_UNIT = "tt-phuc-vu-hcc", "kinh-te-ha-tang-do-thi"
TEXT_DATE_SHARE = 0.03
TEXT_DATE_FORMS = (lambda d: d.strftime("%d/%m/%Y"), lambda d: f"{d.day}/{d.month}/{d.year}",
                   lambda d: d.strftime("%d-%m-%Y"), lambda d: d.isoformat())
DATE_FORMAT, MONTH_FORMAT = "DD/MM/YYYY", "MM/YYYY"
ADHOC_KINDS = ("letter", "conclusion", "meeting")
DOCS_PER_MONTH = {"": 60, "UBND-VP": 150}  # room in each month's range of document numbers
UNLOCKED = Protection(locked=False)


# -- building blocks ---------------------------------------------------------------------------

@dataclass
class Person:
    staff_id: str
    full_name: str
    post: Post
    manager_id: str | None
    ability: float
    female: bool
    phone: str | None
    email: str | None
    account: str | None
    classes: tuple[str, ...] = ()


@dataclass
class Unit:
    spec: UnitSpec
    people: list[Person]
    descendants: dict[str, set[str]]
    bottom_up: list[str]  # staff ids, everyone after the people they manage
    catalogue: dict[str, str]  # product key → code
    by_id: dict[str, Person] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {p.staff_id: p for p in self.people}


@dataclass(frozen=True)
class Month:
    ym: str
    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def text(self) -> str:
        return f"{self.month:02d}/{self.year}"

    def day(self, d: int) -> date:
        return date(self.year, self.month, min(d, self.last.day))


@dataclass
class DocNumbers:
    """A month's document numbers per symbol (KH-UBND, BC-VHXH, ...): unique, and rising
    through the year because each month starts past the previous month's range."""

    month: Month
    rng: random.Random
    last: dict[str, int] = field(default_factory=dict)

    def take(self, symbol: str) -> int:
        per_month = DOCS_PER_MONTH.get(symbol, DOCS_PER_MONTH[""])
        n = self.last.get(symbol, (self.month.month - 1) * per_month) + self.rng.randint(1, 3)
        self.last[symbol] = n
        return n


@dataclass(frozen=True)
class Basis:
    text: str
    issued: date
    topic: str | None = None


@dataclass
class Outcome:
    kind: str = "ok"
    done: float | None = None
    done_date: date | None = None
    review: str = ""
    returns: int | None = None
    delays: int | None = None
    excused: bool = False
    evidence: str = ""
    progress: float | None = None


@dataclass
class Draft:
    """One task row before it is typed into the sheet."""

    owner: str
    template: Template
    name: str
    basis: Basis
    product: str  # PRODUCTS key
    q: int
    start: date
    due: date
    lead_unit: str = ""
    collaborators: str = ""
    outcome: Outcome = field(default_factory=Outcome)
    plant: str = ""
    cells: dict[str, Any] = field(default_factory=dict)  # raw cells that override the typed values

    @property
    def k(self) -> float:
        return PRODUCTS[self.product].k

    @property
    def state(self) -> str:
        """How the engine should treat the row: "excluded", "zeroed" or "" (see scoring.md)."""
        if self.plant in EXCLUDING:
            return "excluded"
        o = self.outcome
        if self.plant in ZEROING or ((o.done or 0) > 0 and not o.evidence):
            return "zeroed"
        return ""


@dataclass
class Estimate:
    total: float | None
    rating: str | None


# -- small helpers -----------------------------------------------------------------------------

def _on_or_before(d: date) -> date:
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def _on_or_after(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _ascii(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _half_points(rng: random.Random, lo: float, hi: float) -> float:
    return rng.randint(int(lo * 2), int(hi * 2)) / 2


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _parse_months(months: list[str] | tuple[str, ...] | None) -> list[Month]:
    out = []
    for ym in sorted(set(months or DEFAULT_MONTHS)):
        m = re.fullmatch(r"(\d{4})-(\d{2})", ym)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"month {ym!r} is not YYYY-MM")
        out.append(Month(ym, int(m.group(1)), int(m.group(2))))
    return out


# -- roster ------------------------------------------------------------------------------------

def _full_name(rng: random.Random, female: bool) -> str:
    family = rng.choices([f for f, _ in FAMILY_NAMES], weights=[w for _, w in FAMILY_NAMES])[0]
    if female:
        middle = rng.choice(FEMALE_MIDDLE)
        if middle == "Thị" and rng.random() < 0.35:
            middle += " " + rng.choice(SECOND_MIDDLE)
        given = rng.choice(FEMALE_GIVEN)
    else:
        middle, given = rng.choice(MALE_MIDDLE), rng.choice(MALE_GIVEN)
    if given in middle.split():
        return _full_name(rng, female)
    return f"{family} {middle} {given}"


def _contact(rng: random.Random, name: str, category: str, ward_slug: str, taken: set[str]
             ) -> tuple[str | None, str | None, str | None]:
    """Phone, e-mail and HanoiWork account; the account and mail name is the given name plus
    initials (Nguyễn Thị Thu Hương → huongntt), numbered when taken."""
    parts = _ascii(name).lower().split()
    local = parts[-1] + "".join(p[0] for p in parts[:-1])
    base, n = local, 1
    while local in taken:
        n += 1
        local = f"{base}{n}"
    taken.add(local)
    digits = rng.choice(PHONE_PREFIXES) + f"{rng.randint(0, 9_999_999):07d}"
    phone = digits if rng.random() < 0.9 else f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if rng.random() < 0.06:
        phone = None
    contract = category == HD
    email = None if contract and rng.random() < 0.6 else f"{local}.{ward_slug}@hanoi.gov.vn"
    account = None if contract else f"{local}.{ward_slug}"
    return phone, email, account


def _build_units(rng: random.Random, ward_slug: str) -> list[Unit]:
    """Every unit's roster. Drawn first from the seed alone, so people do not depend on months."""
    names: set[str] = set()
    taken: set[str] = set()
    units = []
    for spec in UNITS:
        ids = {post.slot: f"{spec.prefix}{i:03d}" for i, post in enumerate(spec.posts, start=1)}
        people = []
        class_pool = {d: list(c) for d, c in {**PRIMARY_CLASSES, **KG_CLASSES}.items()}
        for post in spec.posts:
            female = rng.random() < post.female
            name = _full_name(rng, female)
            while name in names:
                name = _full_name(rng, female)
            names.add(name)
            phone, email, account = _contact(rng, name, post.category, ward_slug, taken)
            classes = ()
            if post.role in ("teacher", "teacher_lead", "kg_teacher", "kg_lead") and class_pool.get(post.department):
                classes = (class_pool[post.department].pop(0),)
            people.append(Person(ids[post.slot], name, post, ids.get(post.reports_to) if post.reports_to else None,
                                 rng.gauss(0.3, 0.8), female, phone, email, account, classes))
        units.append(_unit(spec, people))
    return units


def _unit(spec: UnitSpec, people: list[Person]) -> Unit:
    children: dict[str, list[str]] = {}
    for p in people:
        if p.manager_id:
            children.setdefault(p.manager_id, []).append(p.staff_id)

    def below(sid: str) -> set[str]:
        out: set[str] = set()
        for c in children.get(sid, []):
            out |= {c} | below(c)
        return out

    descendants = {p.staff_id: below(p.staff_id) for p in people}
    bottom_up = sorted((p.staff_id for p in people), key=lambda s: len(descendants[s]))
    products: list[str] = []
    for p in people:
        for t in ROLE_TASKS[p.post.role]:
            if t.product not in products:
                products.append(t.product)
    products.sort(key=list(PRODUCTS).index)
    catalogue = {key: f"SP{i:02d}" for i, key in enumerate(products, start=1)}
    return Unit(spec, people, descendants, bottom_up, catalogue)


# -- a month of tasks --------------------------------------------------------------------------

def _bases(unit: Unit, month: Month, rng: random.Random, ward: WardNames, numbers: DocNumbers
           ) -> dict[str, list[Basis]]:
    """The documents this unit's tasks rest on this month, by task group."""
    spec = unit.spec
    first = month.first
    own_plans = f"KH-{spec.abbr}"

    def dates(n: int, lo: int, hi: int) -> list[date]:
        return sorted(_on_or_before(first + timedelta(days=rng.randint(lo, hi))) for _ in range(n))

    prev = _on_or_before(first - timedelta(days=rng.randint(2, 5)))
    if spec.school:
        sy = month.year if month.month >= 8 else month.year - 1
        regular = [Basis(f"Kế hoạch giáo dục nhà trường năm học {sy}-{sy + 1} của {spec.name}", date(sy, 8, 25)),
                   Basis(f"Kế hoạch số {numbers.take(own_plans)}/{own_plans} ngày {prev:%d/%m/%Y} về nhiệm vụ "
                         f"tháng {month.text}", prev)]
    else:
        regular = [Basis(f"Chương trình công tác tháng {month.text} của UBND {ward.lower}", prev),
                   Basis(f"Quy chế làm việc của UBND {ward.lower} (Quyết định số 15/QĐ-UBND ngày 15/07/2025)",
                         date(2025, 7, 15))]
    focus = []
    for i, d in enumerate(dates(rng.randint(2, 3), -1, 5)):
        t = rng.choice(spec.topics)
        if spec.school:
            text = f"Kế hoạch số {numbers.take(own_plans)}/{own_plans} ngày {d:%d/%m/%Y} của {spec.name} về {t}"
        elif i == 2:
            text = (f"Kế hoạch số {numbers.take('TP:KH-UBND')}/KH-UBND ngày {d:%d/%m/%Y} của UBND Thành phố Hà Nội "
                    f"về {t}")
        else:
            text = f"Kế hoạch số {numbers.take('KH-UBND')}/KH-UBND ngày {d:%d/%m/%Y} của UBND {ward.lower} về {t}"
        focus.append(Basis(text, d, t))
    adhoc = []
    for d in dates(rng.randint(1, 2), 2, 14):
        t = rng.choice(spec.topics)
        kind = "school" if spec.school else rng.choice(ADHOC_KINDS)
        adhoc.append(Basis(_adhoc_text(kind, d, t, ward, numbers), d, t))
    return {REGULAR: regular, FOCUS: focus, ADHOC: adhoc}


def _adhoc_text(kind: str, d: date, topic: str, ward: WardNames, numbers: DocNumbers) -> str:
    """The text of a document behind unplanned work: a letter, a meeting's conclusions..."""
    on = f"ngày {d:%d/%m/%Y}"
    if kind == "school":
        return f"Công văn số {numbers.take('VHXH')}/VHXH {on} của Phòng Văn hóa - Xã hội về {topic}"
    if kind == "letter":
        return f"Công văn số {numbers.take('UBND-VP')}/UBND-VP {on} của UBND {ward.lower} về việc {topic}"
    if kind == "conclusion":
        return f"Thông báo kết luận số {numbers.take('TB-UBND')}/TB-UBND {on} của Chủ tịch UBND {ward.lower}"
    return f"Chỉ đạo của Chủ tịch UBND {ward.lower} tại cuộc họp giao ban {on}"


def _task_dates(template: Template, basis: Basis, month: Month, week: int, rng: random.Random) -> tuple[date, date]:
    first, last = _on_or_after(month.first), _on_or_before(month.last)
    if template.span == "month":
        return first, last
    if template.span == "week":
        start = _on_or_after(month.first + timedelta(days=7 * (week - 1)))
        due = last if week == 4 else min(_on_or_before(start + timedelta(days=4)), last)
        return start, max(start, due)
    start = _on_or_after(max(first, basis.issued) + timedelta(days=rng.randint(0, 4)))
    start = min(start, _on_or_before(last - timedelta(days=2)))
    due = min(_on_or_before(start + timedelta(days=rng.randint(3, 14))), last)
    return start, max(start, due)


def _draft_person(person: Person, unit: Unit, month: Month, bases: dict[str, list[Basis]], rng: random.Random,
                  ward: WardNames) -> list[Draft]:
    """3–8 rows for one person: weekly duties first, then other templates drawn without repeats."""
    post = person.post
    who = {HEAD: "head", DEPUTY: "deputy"}.get(post.leader, "")
    usable = [t for t in ROLE_TASKS[post.role]
              if (t.months is None or month.month in t.months) and t.who in ("", who)]
    weekly = [t for t in usable if t.span == "week"]
    others = [t for t in usable if t.span != "week"]
    lo, hi = ROLE_TASK_COUNT[post.role]
    n = rng.randint(lo, hi)
    chosen: list[tuple[Template, int]] = [(t, w) for t in weekly for w in range(1, 5)]
    pool = others[:]
    rng.shuffle(pool)
    while len(chosen) < max(n, 3) and pool:
        chosen.append((pool.pop(), 0))
    if len(chosen) < 3:  # a thin role in a thin month: repeat a template on another topic
        chosen += [(rng.choice(others), 0) for _ in range(3 - len(chosen))]
    colleagues = [p.staff_id for p in unit.people
                  if p.post.department == post.department and p.staff_id != person.staff_id]
    drafts = []
    for template, week in chosen:
        basis = rng.choice(bases[template.group])
        topic = basis.topic or rng.choice(unit.spec.topics)
        name = template.name.format(
            m=month.text, topic=topic, tdp=rng.randint(1, 28), street=rng.choice(STREETS),
            cls=(person.classes or ("",))[0], dept=post.department, field=rng.choice(HCC_FIELDS), week=week,
            short=unit.spec.short, theme=rng.choice(KG_THEMES), y=month.year, old_year=month.year - rng.randint(3, 6),
            next_school_year=f"{month.year}-{month.year + 1}")
        start, due = _task_dates(template, basis, month, week, rng)
        lead = ""
        if template.other_lead:
            lead = rng.choice([u for u in ward.office_units if u != unit.spec.name])
        collab = ""
        if colleagues and template.span == "task" and rng.random() < 0.2:
            collab = ", ".join(sorted(rng.sample(colleagues, k=min(len(colleagues), rng.randint(1, 2)))))
        lo_q, hi_q = template.qty
        drafts.append(Draft(person.staff_id, template, name, basis, template.product, rng.randint(lo_q, hi_q),
                            start, due, lead, collab))
    return drafts


def _draw_outcome(d: Draft, kind: str, month: Month, abbr: str, rng: random.Random) -> Outcome:
    """What happened to a task by the end of the month.

    ok: done in full, on time, approved. late: done after the due date. returned_ok: approved
    after 1–2 returns. returned: sent back, not yet approved. pending: done, not yet reviewed.
    partial: part done. unfinished: nothing done yet. excused: late or returned for a confirmed
    objective reason. no_evidence: done and approved but nobody recorded the evidence."""
    last = month.last
    room = (last - d.due).days
    if kind == "late" and (d.template.span == "month" or room < 1):
        kind = "returned_ok"
    if kind == "excused":
        kind = "excused_late" if d.template.span != "month" and room >= 1 else "excused_returned"
    if kind == "partial" and d.q < 2:
        kind = "unfinished"
    o = Outcome(kind=kind, done=d.q, review=APPROVED, progress=100)
    on_time = max(d.start, _on_or_before(d.due - timedelta(days=rng.randint(0, min(3, (d.due - d.start).days)))))
    o.done_date = on_time
    if kind in ("late", "excused_late"):
        o.done_date = d.due + timedelta(days=rng.randint(1, min(5, room)))
        if kind == "late" and rng.random() < 0.15:
            o.delays = 2
    if kind in ("returned_ok", "excused_returned"):
        o.returns = 1 if rng.random() < 0.75 else 2
    if kind == "returned":
        o.review, o.returns = RETURNED, (1 if rng.random() < 0.7 else 2)
    if kind == "pending":
        o.review = "Chưa duyệt" if rng.random() < 0.3 else ""
    if kind.startswith("excused"):
        o.excused = True
    if kind == "partial":
        o.done = max(1, min(d.q - 1, round(d.q * rng.uniform(0.5, 0.9))))
        o.progress = round(100 * o.done / d.q)
        o.review = APPROVED if rng.random() < 0.6 else ""
    if kind == "unfinished":
        o.done = 0 if rng.random() < 0.4 else None
        o.done_date, o.review, o.progress = None, "", rng.choice((20, 30, 40, 50, 60, 70))
    if (o.done or 0) > 0 and kind != "no_evidence":
        product = PRODUCTS[d.product]
        o.evidence = product.evidence.format(n="{n}", date=f"{o.done_date:%d/%m/%Y}", mm=month.text, abbr=abbr)
    return o


# -- the demo's own reading of scoring.md ------------------------------------------------------

def _conversions(d: Draft, p: Profile) -> tuple[float, float, float, float] | None:
    """A, D, Q and T of one row, or None when the engine leaves the row out."""
    state = d.state
    if state == "excluded":
        return None
    o = d.outcome
    assigned = d.q * d.k
    done = min(o.done or 0, d.q) * d.k
    if state == "zeroed":
        return assigned, 0.0, 0.0, 0.0
    late = o.done_date is not None and o.done_date > d.due
    returns = 0 if o.excused else (o.returns or 0)
    delays = 0 if o.excused else (o.delays if o.delays is not None else int(late))
    quality = done * max(0.0, 1 - p.per_return * returns) if o.review == APPROVED else 0.0
    timely = done * max(0.0, 1 - p.per_delay * delays)
    return assigned, done, quality, timely


def _sums(drafts: list[Draft], p: Profile) -> tuple[float, float, float, float]:
    rows = [c for c in (_conversions(d, p) for d in drafts) if c is not None]
    return tuple(sum(r[i] for r in rows) for i in range(4)) if rows else (0.0, 0.0, 0.0, 0.0)


@dataclass
class PersonInputs:
    """What the evaluation row will say, decided before outcomes are drawn."""

    tier: str
    mgr_general: float | None
    self_general: float
    e: float | None
    disciplined: bool

    @property
    def general(self) -> float:
        return self.mgr_general if self.mgr_general is not None else self.self_general


def _estimate(sums: tuple[float, float, float, float], inputs: PersonInputs, leader: tuple[float, float] | None,
              p: Profile) -> Estimate:
    """Total and rating as scoring.md defines them; `leader` is (d, đ) for leaders."""
    A, D, Q, T = sums
    if A <= 0:
        return Estimate(None, p.discipline_rating if inputs.disciplined else None)
    comps = [100 * D / A, 100 * Q / A, 100 * T / A]
    if leader is not None:
        comps += [leader[0], leader[1], inputs.e or 0.0]
    total = float(round_half_up(inputs.general + p.task_max * (sum(comps) / len(comps)) / 100, p.rounding))
    rating = p.discipline_rating if inputs.disciplined else p.band(total)
    return Estimate(total, rating)


# -- one unit, one month -----------------------------------------------------------------------

@dataclass
class UnitMonth:
    unit: Unit
    month: Month
    drafts: dict[str, list[Draft]]
    tiers: dict[str, str]  # planned rating per person
    inputs: dict[str, PersonInputs] = field(default_factory=dict)
    estimates: dict[str, Estimate] = field(default_factory=dict)
    approved: dict[str, str | None] = field(default_factory=dict)

    def leader_parts(self, sid: str, p: Profile) -> tuple[float, float] | None:
        person = self.unit.by_id[sid]
        team = self.unit.descendants[sid]
        if person.post.leader not in p.leader_roles or not team:
            return None
        ratings = [self.approved.get(m) or self.estimates[m].rating for m in team if m in self.estimates]
        d = p.d_any_fail if p.bands[-1].rating in ratings else p.d_all_pass
        A, D, Q, T = _sums([x for s in team | {sid} for x in self.drafts[s]], p)
        full = all(math.isclose(v, A, rel_tol=1e-5, abs_tol=1e-8) for v in (D, Q, T))
        return d, (p.dd_all_done if full else p.dd_otherwise)

    def estimate(self, sid: str, p: Profile) -> Estimate:
        return _estimate(_sums(self.drafts[sid], p), self.inputs[sid], self.leader_parts(sid, p), p)

    def fit(self, sid: str, p: Profile, rng: random.Random) -> None:
        """Draw outcomes for the person's unplanted rows until the estimate lands in the tier
        (a disciplined person's rating is fixed, so one draw is enough)."""
        inputs = self.inputs[sid]
        free = [d for d in self.drafts[sid] if not d.plant]
        target = p.ratings.index(p.discipline_rating if inputs.disciplined else inputs.tier)
        best: tuple[int, list[Outcome]] | None = None
        for _ in range(FIT_TRIES):
            for d in free:
                d.outcome = _draw_outcome(d, _weighted(rng, OUTCOME_WEIGHTS[inputs.tier]), self.month,
                                          self.unit.spec.abbr, rng)
            est = self.estimate(sid, p)
            miss = abs(p.ratings.index(est.rating) - target) if est.rating else 9
            if best is None or miss < best[0]:
                best = (miss, [d.outcome for d in free])
            if miss == 0:
                break
        for d, o in zip(free, best[1]):
            d.outcome = o
        self.estimates[sid] = self.estimate(sid, p)

    def estimate_all(self, p: Profile) -> None:
        for sid in self.unit.bottom_up:
            self.estimates[sid] = self.estimate(sid, p)


def _quota_excess(ratings: dict[str, str | None], totals: dict[str, float | None], groups: dict[str, str],
                  p: Profile) -> list[str]:
    """People rated excellent beyond the quota in the unit or a peer group, lowest totals first."""
    q = p.quota
    scopes = [list(ratings)] + [[s for s in ratings if groups.get(s) == g] for g in sorted(set(groups.values()))]
    excess: list[str] = []
    for members in scopes:
        tops = sorted((s for s in members if ratings[s] == q["rating"]), key=lambda s: -(totals.get(s) or 0))
        base = sum(1 for s in members if ratings[s] is not None) if q.get("of") == "rated" \
            else sum(1 for s in members if ratings[s] in q["of"])
        limit = math.floor(float(q["max_ratio"]) * base + 1e-9)
        excess += [s for s in tops[limit:] if s not in excess]
    return sorted(excess, key=lambda s: totals.get(s) or 0)


def _plan_tiers(unit: Unit, rng: random.Random) -> dict[str, str]:
    """Each person's planned rating this month: stable ability plus the month's luck, ranked
    within the unit (the top as excellent, the bottom as merely passing, a rare failure)."""
    perf = {x.staff_id: x.ability + rng.gauss(0, 0.6) for x in unit.people}
    order = sorted(unit.people, key=lambda x: -perf[x.staff_id])
    if unit.spec.approval == "generous":
        pool = [x for x in order if not x.post.leader]
        top = {x.staff_id for x in pool[:round(len(pool) * unit.spec.xs_share)]}
    else:
        top = {x.staff_id for x in order[:max(1, round(len(order) * unit.spec.xs_share))]}
    bottom = {x.staff_id for x in order[-max(1, round(len(order) * PASS_SHARE)):]}
    tiers = {}
    for x in order:
        s = x.staff_id
        tiers[s] = FAIL if perf[s] < FAIL_BELOW else XS if s in top else PASS if s in bottom else GOOD
    return tiers


@dataclass
class MonthPlan:
    """Which month-level problems go where (drawn once per month across the ward)."""

    month: Month
    is_first: bool
    is_last: bool
    missing_review: set[str] = field(default_factory=set)
    disciplined: set[str] = field(default_factory=set)
    late_self: set[str] = field(default_factory=set)


def _plan_month(units: list[Unit], month: Month, is_first: bool, is_last: bool, rng: random.Random) -> MonthPlan:
    plan = MonthPlan(month, is_first, is_last)
    staff = [p for u in units for p in u.people if p.post.leader != HEAD]
    plan.late_self = {p.staff_id for p in staff if rng.random() < LATE_SELF_SHARE}
    if is_last:
        plan.missing_review = {p.staff_id for p in rng.sample(staff, MISSING_REVIEWS)}
        unit = next(u for u in units if u.spec.key == DISCIPLINED_UNIT)
        plan.disciplined = {rng.choice([p for p in unit.people if not p.post.leader]).staff_id}
    return plan


def _plant_rows(units: list[Unit], months: dict[str, UnitMonth], plan: MonthPlan, rng: random.Random) -> None:
    """Plant the row problems of PLANTS (and a few extra) on rows of ordinary staff, one per
    person, never on someone planned as excellent (a zeroed row would cost them the rating)."""
    total = sum(len(ds) for um in months.values() for ds in um.drafts.values())
    kinds = list(PLANTS)
    kinds += [rng.choice(EXTRA_PLANTS) for _ in range(max(0, round(total * PLANT_RATE) - len(kinds)))]
    used: set[str] = set(plan.disciplined)
    if plan.is_first:
        kinds.insert(0, "merged")
    for kind in kinds:
        unit = next(u for u in units if u.spec.key == MERGED_UNIT) if kind == "merged" else rng.choice(units)
        um = months[unit.spec.key]
        owners = [p.staff_id for p in unit.people
                  if not p.post.leader and p.staff_id not in used and len(um.drafts[p.staff_id]) >= 3
                  and um.tiers[p.staff_id] != XS]
        if not owners:
            continue
        sid = rng.choice(owners)
        used.add(sid)
        drafts = um.drafts[sid]
        target = rng.randrange(1, len(drafts)) if kind in PAIRED else rng.randrange(len(drafts))
        _plant(kind, drafts, target, unit, plan.month, rng)


def _plant(kind: str, drafts: list[Draft], i: int, unit: Unit, month: Month, rng: random.Random) -> None:
    """Put one problem on row `i` (on an otherwise clean, finished row, so the finding is the
    only thing wrong with it)."""
    d = drafts[i]
    d.plant = kind
    abbr = unit.spec.abbr
    if kind == "text_number":
        d.q = 2  # typed in words: "hai"
    d.outcome = _draw_outcome(d, "no_evidence" if kind == "no_evidence" else "ok", month, abbr, rng)
    if kind == "text_number":
        d.cells["assigned_qty"] = "hai"
    elif kind == "invalid_date":
        d.cells["done_date"] = "31/02/2026"
    elif kind == "unknown_staff":
        d.cells["owner_id"] = re.sub(r"0+(?=\d)", "", d.owner, count=1)  # VP007 typed as VP7
    elif kind == "unknown_product":
        d.cells["product_code"] = f"SP{len(unit.catalogue) + rng.randint(2, 6):02d}"
    elif kind == "blank_required":
        d.cells[rng.choice(("output", "quality_criteria"))] = None
    elif kind == "done_over":
        d.cells["done_qty"] = d.q + rng.randint(1, 3)
    elif kind == "returned_no_count":
        d.outcome.review, d.outcome.returns = RETURNED, None
    elif kind == "approved_nothing":
        d.outcome = replace(d.outcome, done=None, done_date=None, evidence="", progress=60, review=APPROVED)
    elif kind == "unknown_collaborator":
        nobody = f"{unit.spec.prefix}0{len(unit.people) + 7}"  # beyond the roster's last code
        d.cells["collaborators"] = ", ".join(x for x in (d.collaborators, nobody) if x)
    elif kind == "nfd_group":
        d.cells["task_group"] = unicodedata.normalize("NFD", d.template.group)
    elif kind in PAIRED:
        prev = drafts[i - 1]
        prev.plant = prev.plant or f"{kind}_pair"
        prev.outcome = _draw_outcome(prev, "ok", month, abbr, rng)
        if kind == "merged":
            d.basis = prev.basis


# -- the whole month for one unit ---------------------------------------------------------------

def _run_unit_month(um: UnitMonth, plan: MonthPlan, p: Profile, rng: random.Random) -> None:
    unit, spec = um.unit, um.unit.spec
    for x in unit.people:
        s = x.staff_id
        tier = um.tiers[s]
        mgr = _half_points(rng, *GENERAL_POINTS[FAIL if s in plan.disciplined else tier])
        self_points = min(30.0, mgr + rng.choice((0, 0, 0, 0.5, 1, 1, 1.5, 2)))
        e = float(rng.randint(*LEADER_E[tier])) if x.post.leader else None
        um.inputs[s] = PersonInputs(tier, None if s in plan.missing_review else mgr, self_points, e,
                                    s in plan.disciplined)
    for s in unit.bottom_up:
        um.fit(s, p, rng)
    approval = spec.approval
    if approval == "pending" and plan.is_last:
        _fit_quota_by_work(um, p, rng)
        return
    um.approved = {s: e.rating for s, e in um.estimates.items()}
    if approval != "generous":
        groups = {x.staff_id: x.post.peer_group for x in unit.people if x.post.peer_group}
        totals = {s: e.total for s, e in um.estimates.items()}
        while excess := _quota_excess(um.approved, totals, groups, p):
            um.approved[excess[0]] = p.ratings[1]
    if spec.key == APPROVED_ABOVE_UNIT and plan.is_last:
        _approve_above(um, p)


def _fit_quota_by_work(um: UnitMonth, p: Profile, rng: random.Random) -> None:
    """A unit with no approval yet is judged on suggested ratings: keep those within the quota."""
    groups = {x.staff_id: x.post.peer_group for x in um.unit.people if x.post.peer_group}
    for _ in range(5):
        ratings = {s: e.rating for s, e in um.estimates.items()}
        excess = _quota_excess(ratings, {s: e.total for s, e in um.estimates.items()}, groups, p)
        if not excess:
            return
        inputs = um.inputs[excess[0]]
        inputs.tier = p.ratings[1]
        if inputs.mgr_general is not None:
            inputs.mgr_general = min(inputs.mgr_general, 26.0)
        um.fit(excess[0], p, rng)
        um.estimate_all(p)


def _approve_above(um: UnitMonth, p: Profile) -> None:
    """The authority approves one person a level above the suggestion (an honesty warning)."""
    for rating in (PASS, FAIL, GOOD):
        for s in um.unit.bottom_up:
            if um.estimates[s].rating == rating and not um.inputs[s].disciplined:
                um.approved[s] = p.ratings[p.ratings.index(rating) - 1]
                return


# -- typing rows into cells --------------------------------------------------------------------

@dataclass
class Typist:
    """How people type dates and months: mostly real date cells, sometimes text in one of the
    accepted forms; every form shows up early (d/m/yyyy on a date where it differs)."""

    rng: random.Random
    pending: list[int] = field(default_factory=lambda: list(range(len(TEXT_DATE_FORMS))))

    def day(self, d: date | None) -> date | str | None:
        if d is None:
            return None
        if self.pending and (self.pending[0] != 1 or d.day < 10 or d.month < 10):
            return TEXT_DATE_FORMS[self.pending.pop(0)](d)
        if self.rng.random() < TEXT_DATE_SHARE:
            return self.rng.choice(TEXT_DATE_FORMS)(d)
        return d

    def month(self, m: Month, as_text: bool) -> date | str:
        if as_text:
            return m.ym if self.rng.random() < 0.03 else m.text
        return m.first


def _task_cells(d: Draft, task_id: str, um: UnitMonth, typist: Typist) -> dict[str, Any]:
    o = d.outcome
    progress: Any = o.progress
    if progress == 100 and typist.rng.random() < 0.15:
        progress = "100%"
    cells = {
        "task_id": task_id, "month": typist.month(um.month, um.unit.spec.types_as_text), "task_name": d.name,
        "basis": d.basis.text, "task_group": d.template.group, "lead_unit": d.lead_unit or None, "owner_id": d.owner,
        "collaborators": d.collaborators or None, "product_code": um.unit.catalogue[d.product], "assigned_qty": d.q,
        "start_date": typist.day(d.start), "due_date": typist.day(d.due), "output": d.template.output,
        "quality_criteria": d.template.criteria, "progress_pct": progress, "done_qty": o.done,
        "done_date": typist.day(o.done_date), "evidence": o.evidence or None, "review": o.review or None,
        "returns": o.returns, "delays": o.delays,
        "excused": ("x" if um.unit.spec.school else YES) if o.excused else None,
    }
    cells.update(d.cells)
    return cells


def _rating_text(rating: str | None, school: bool, rng: random.Random) -> str | None:
    """Schools write codes, offices the full text, and some people the Hanoi letter."""
    if rating is None:
        return None
    if rng.random() < 0.08:
        return RATING_LETTERS[rating]
    return RATING_CODES[rating] if school else rating


def _evaluation_cells(um: UnitMonth, plan: MonthPlan, typist: Typist, rng: random.Random) -> list[dict[str, Any]]:
    unit, month = um.unit, um.month
    school = unit.spec.school
    approve_day = _on_or_before(month.day(rng.choice((27, 28))))
    rows = []
    for x in unit.people:
        s = x.staff_id
        inp, est = um.inputs[s], um.estimates[s]
        suggested = est.rating or GOOD
        rank = RATINGS.index(suggested)
        self_rank = max(0, rank - 1) if rng.random() < 0.25 else min(3, rank + 1) if rng.random() < 0.04 else rank
        if s in plan.late_self:
            self_day = month.day(rng.randint(26, 28))
        else:
            self_day = _on_or_before(month.day(rng.randint(19, 25)))
        mgr_day = max(self_day, _on_or_before(min(self_day + timedelta(days=rng.randint(0, 2)), month.day(26))))
        reviewed = inp.mgr_general is not None
        approved = um.approved.get(s)
        comment = None
        if reviewed:
            comment = rng.choice(MANAGER_COMMENTS[approved or suggested])
            if inp.disciplined:
                comment = (f"Bị kỷ luật khiển trách theo Quyết định số {rng.randint(30, 90)}/QĐ-UBND ngày "
                           f"{month.day(rng.randint(5, 15)):%d/%m/%Y}.")
        self_points: Any = inp.self_general
        if unit.spec.types_as_text and self_points % 1:
            self_points = f"{self_points:.1f}".replace(".", ",")
        e: Any = inp.e
        if e is not None and rng.random() < 0.2:
            e = f"{e:.0f}%"
        rows.append({
            "staff_id": s, "month": typist.month(month, unit.spec.types_as_text), "self_general": self_points,
            "self_rating": _rating_text(RATINGS[self_rank], school, rng),
            "self_date": typist.day(self_day), "mgr_general": inp.mgr_general, "mgr_comment": comment,
            "mgr_date": typist.day(mgr_day) if reviewed else None, "leader_e": e,
            "disciplined": YES if inp.disciplined else (None if rng.random() < 0.7 else "Không"),
            "approved_rating": _rating_text(approved, school, rng),
            "approved_date": typist.day(max(approve_day, mgr_day)) if approved else None,
        })
    return rows


def _staff_cells(unit: Unit) -> list[dict[str, Any]]:
    rows = []
    for x in unit.people:
        name = x.full_name
        if unit.spec.key == NFD_NAME_UNIT and x.post.slot == "gv2_2":
            name = unicodedata.normalize("NFD", name)  # typed on a keyboard that sends decomposed text
        rows.append({
            "staff_id": x.staff_id, "full_name": name, "position": x.post.position, "job_position": x.post.job,
            "department": x.post.department, "category": x.post.category, "leader_role": x.post.leader or None,
            "manager_id": x.manager_id, "peer_group": x.post.peer_group or None, "account": x.account,
            "phone": x.phone, "email": x.email,
        })
    return rows


def _catalogue_cells(unit: Unit) -> list[dict[str, Any]]:
    return [{"product_code": code, "product_name": PRODUCTS[key].name,
             "unit_of_measure": PRODUCTS[key].unit_of_measure, "coefficient": PRODUCTS[key].coefficient,
             "complexity": PRODUCTS[key].complexity}
            for key, code in unit.catalogue.items()]


def _okr_cells(unit: Unit, months: list[Month], rng: random.Random) -> list[dict[str, Any]]:
    """The unit's objectives once per quarter covered; the last quarter's individual KR has no
    actual value yet."""
    quarters = sorted({(m.year, (m.month - 1) // 3 + 1) for m in months})
    ids = {x.post.slot: x.staff_id for x in unit.people}
    rows = []
    for y, q in quarters:
        n = 0
        for obj in unit.spec.okr:
            owner = ids[obj.owner[1:]] if obj.owner.startswith("@") else obj.owner
            for kr in obj.krs:
                n += 1
                lo, hi = kr.actual
                actual: Any = round(rng.uniform(lo, hi), kr.decimals)
                if kr.decimals == 0:
                    actual = int(actual)
                if obj.level == "Cá nhân" and (y, q) == quarters[-1]:
                    actual = None
                rows.append({
                    "objective_id": obj.oid, "objective": obj.text, "level": obj.level, "owner": owner,
                    "parent_id": obj.parent or None, "kr_id": f"KR{n:02d}-Q{q}-{y}", "key_result": kr.text,
                    "kpi_unit": kr.kpi_unit, "kpi_formula": kr.formula, "weight": kr.weight,
                    "data_source": kr.source, "target": kr.target, "stretch": kr.stretch, "actual": actual,
                    "period": f"Q{q}/{y}",
                })
    return rows


# -- workbook and ward files -------------------------------------------------------------------

@dataclass
class UnitSheets:
    """Everything typed into one unit's workbook: rows per tab (None = a blank row) and merges."""

    staff: list[dict[str, Any] | None] = field(default_factory=list)
    catalogue: list[dict[str, Any] | None] = field(default_factory=list)
    tasks: list[dict[str, Any] | None] = field(default_factory=list)
    evaluations: list[dict[str, Any] | None] = field(default_factory=list)
    okr: list[dict[str, Any] | None] = field(default_factory=list)
    merges: list[tuple[str, str, int, int]] = field(default_factory=list)  # (tab, field, first, last) row indexes


def _columns_by_header(ws, tab: TabSchema) -> dict[str, int]:
    """Field key → column, found by the header text in row 1 (never by position)."""
    seen = {normalize_key(c.value): c.column for c in ws[1] if isinstance(c.value, str)}
    out = {}
    for f in tab.fields:
        col = next((seen[k] for k in f.match_keys if k in seen), None)
        if col is not None:
            out[f.key] = col
    return out


def _column_styles(ws, col: int, scratch_row: int, date_format: str) -> tuple[Any, Any]:
    """The style of a cell typed into an input column (unlocked, as Excel gives cells typed
    under a column style), plain and as a date. Built once per column on a scratch cell and
    then copied: assigning openpyxl styles cell by cell is what would make the demo slow."""
    cell = ws.cell(row=scratch_row, column=col)
    cell.protection = UNLOCKED
    plain = copy(cell._style)
    cell.number_format = date_format
    dated = copy(cell._style)
    del ws._cells[(scratch_row, col)]
    return plain, dated


def _write_workbook(path: Path, unit_name: str, sheets: UnitSheets, schemas: Schemas) -> None:
    init_workbook(path, schemas, unit_name, overwrite=True)
    wb = load_workbook(path)
    for name in ("staff", "catalogue", "tasks", "evaluations", "okr"):
        tab = schemas.tabs[name]
        ws = wb[tab.title]
        rows = getattr(sheets, name)
        cols = _columns_by_header(ws, tab)
        styles = {key: _column_styles(ws, col, len(rows) + 2,
                                      MONTH_FORMAT if tab.field(key).type == "month" else DATE_FORMAT)
                  for key, col in cols.items()}
        for i, row in enumerate(rows, start=2):
            for key, value in (row or {}).items():
                if value is None or value == "":
                    continue
                cell = ws.cell(row=i, column=cols[key], value=value)
                plain, dated = styles[key]
                cell._style = copy(dated if isinstance(value, date) else plain)
        for tab_name, key, first, last in sheets.merges:
            if tab_name == name:
                col = cols[key]
                ws.merge_cells(start_row=first + 2, start_column=col, end_row=last + 2, end_column=col)
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    tmp.replace(path)


@dataclass(frozen=True)
class WardNames:
    name: str  # Phường Ba Đình
    office_units: tuple[str, ...]  # units that lead inter-agency inspections

    @property
    def lower(self) -> str:  # phường Ba Đình, as it reads inside a sentence
        return self.name[:1].lower() + self.name[1:]

    @property
    def place(self) -> str:
        return re.sub(r"^(phường|xã|thị trấn)\s+", "", self.name, flags=re.IGNORECASE)

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]", "", _ascii(self.place).lower())


def _ward_yaml(ward: WardNames) -> dict[str, Any]:
    units = []
    for spec in UNITS:
        entry: dict[str, Any] = {"name": spec.name, "source": f"{spec.key}.xlsx"}
        if spec.school:
            entry["exceptional"] = False
        units.append(entry)
    return {"ward": ward.name, "office": f"Văn phòng HĐND và UBND {ward.lower}",
            "issuing_body": f"UBND {ward.name.upper()}", "place": ward.place, "profile": PROFILE, "units": units}


def build_demo_ward(out_dir: str | Path, *, months: list[str] | None = None, seed: int = 2026,
                    ward_name: str = "Phường Ba Đình") -> Path:
    """Create out_dir/ward.yaml and one .xlsx per unit (made with init_workbook, then filled with
    openpyxl by header text, not by position). Returns the ward.yaml path.

    The same seed gives the same files; people depend on the seed only, so a one-month and a
    twelve-month ward share their rosters. Existing demo files in out_dir are overwritten."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    month_list = _parse_months(months)
    schemas, profile = load_schemas(), load_profile(PROFILE)
    ward = WardNames(ward_name, tuple(u.name for u in UNITS if u.name.startswith("Phòng ")))
    units = _build_units(random.Random(seed), ward.slug)
    sheets = {u.spec.key: UnitSheets(_staff_cells(u), _catalogue_cells(u)) for u in units}
    typist = Typist(random.Random(f"{seed}:typing"))
    for i, month in enumerate(month_list):
        rng = random.Random(f"{seed}:{month.ym}")
        plan = _plan_month(units, month, i == 0, i == len(month_list) - 1, rng)
        numbers = DocNumbers(month, rng)
        ums = {}
        for u in units:
            bases = _bases(u, month, rng, ward, numbers)
            drafts = {x.staff_id: _draft_person(x, u, month, bases, rng, ward) for x in u.people}
            ums[u.spec.key] = UnitMonth(u, month, drafts, _plan_tiers(u, rng))
        _plant_rows(units, ums, plan, rng)
        for u in units:
            um = ums[u.spec.key]
            _run_unit_month(um, plan, profile, rng)
            _append_month(sheets[u.spec.key], um, plan, typist, numbers, rng)
    for u in units:
        sheets[u.spec.key].okr = _okr_cells(u, month_list, random.Random(f"{seed}:okr:{u.spec.key}"))
        _write_workbook(out / f"{u.spec.key}.xlsx", u.spec.name, sheets[u.spec.key], schemas)
    ward_path = out / "ward.yaml"
    ward_path.write_text(yaml.safe_dump(_ward_yaml(ward), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return ward_path


def _number_evidence(um: UnitMonth, numbers: DocNumbers) -> None:
    """Give the month's evidence documents their numbers, rising with their dates."""
    drafts = [d for ds in um.drafts.values() for d in ds if "{n}" in d.outcome.evidence]
    for d in sorted(drafts, key=lambda d: d.outcome.done_date):
        symbol = d.outcome.evidence.split("{n}/", 1)[1].split()[0]
        d.outcome.evidence = d.outcome.evidence.replace("{n}", str(numbers.take(symbol)))


def _append_month(sheets: UnitSheets, um: UnitMonth, plan: MonthPlan, typist: Typist, numbers: DocNumbers,
                  rng: random.Random) -> None:
    """Type the month's task and evaluation rows, with the layout problems of the first month."""
    _number_evidence(um, numbers)
    key = um.unit.spec.key
    seq = 0
    last_id = ""
    blank_at = None
    if plan.is_first and key == BLANK_ROW_UNIT:
        blank_at = rng.randrange(len(um.unit.people) // 3, 2 * len(um.unit.people) // 3)
    for n, x in enumerate(um.unit.people):
        if n == blank_at:
            sheets.tasks.append(None)  # someone deleted a row's content instead of the row
        for d in um.drafts[x.staff_id]:
            if d.plant == "duplicate_id":
                task_id = last_id  # a copied row whose id nobody changed
            else:
                seq += 1
                task_id = f"NV-{um.month.year % 100:02d}{um.month.month:02d}-{seq:04d}"
            if d.plant == "merged":
                row = len(sheets.tasks)
                sheets.merges.append(("tasks", "basis", row - 1, row))
            sheets.tasks.append(_task_cells(d, task_id, um, typist))
            last_id = task_id
    sheets.evaluations.extend(_evaluation_cells(um, plan, typist, rng))
