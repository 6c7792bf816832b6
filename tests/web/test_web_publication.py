"""Publishing a month (its results kept read-only, a printable list per unit) and complaints or
correction requests on a person's result, recorded, answered and closed, over real HTTP."""

from __future__ import annotations

import re

from conftest import fill_unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def total_of(html: str, staff_id: str) -> str:
    row = re.search(rf"<td>{staff_id}</td><td>[^<]*</td><td class=\"n\">([^<]*)</td>", html)
    return row.group(1) if row else ""


def test_a_published_month_stays_as_published_and_prints(http, server, tmp_path):
    admin = http("admin")
    assert admin.get("/don-vi/phong-alpha/ket-qua/2026-11").status_code == 404  # not published yet
    r = admin.post("/cong-bo", {"month": "2026-11"}, token_from="/")
    assert r.status_code == 303
    dash = admin.get("/?month=2026-11").text
    assert "Đã công bố kết quả tháng 11/2026 của 3 đơn vị" in dash and "Đã công bố ngày" in dash
    printed = admin.get("/don-vi/phong-alpha/ket-qua/2026-11").text
    assert "KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI THÁNG 11/2026" in printed and "Lê Thị Hoa" in printed
    before = total_of(printed, "AL02")
    assert before

    # The unit sends a new version after publication: the published results do not move.
    focal = http("alpha")
    changed = fill_unit(tmp_path / "alpha-moi.xlsx", "Phòng Alpha", "AL", broken=True).read_bytes()
    up = focal.post("/don-vi/phong-alpha/tai-len", files={"file": ("a.xlsx", changed, XLSX)},
                    token_from="/don-vi/phong-alpha")
    accept = re.search(r'action="(/don-vi/phong-alpha/tai-len/\d+/nhan)"', focal.get(up.headers["location"]).text)
    focal.post(accept.group(1), token_from=up.headers["location"])
    assert "không hợp lệ ở cột Số lượng giao" in focal.get("/don-vi/phong-alpha").text  # the sync saw the change
    assert total_of(focal.get("/don-vi/phong-alpha/ket-qua/2026-11").text, "AL02") == before
    page = focal.get("/don-vi/phong-alpha?month=2026-11").text
    row = re.search(r'<a href="/nguoi/AL02">AL02</a>.*?<b>([^<]*)</b>', page, re.S)
    assert "đã công bố" in page and row.group(1) == before
    assert "Công bố kết quả" in admin.get("/quan-tri/nhat-ky").text


def test_a_complaint_is_recorded_answered_closed_and_shows_where_it_belongs(http, server):
    admin = http("admin")
    admin.post("/cong-bo", {"month": "2026-11"}, token_from="/")
    focal = http("alpha")
    r = focal.post("/don-vi/phong-alpha/kien-nghi", {"month": "2026-11", "staff_id": "AL02", "kind": "complaint",
                                                     "text": "Nhiệm vụ NV2 đã hoàn thành <b>đủ</b>, đề nghị xem lại."},
                   token_from="/don-vi/phong-alpha?month=2026-11")
    assert r.status_code == 303
    unit_page = focal.get("/don-vi/phong-alpha?month=2026-11").text
    assert "Khiếu nại" in unit_page and "Chờ trả lời" in unit_page and "&lt;b&gt;đủ&lt;/b&gt;" in unit_page
    fid = re.search(r"Đã ghi nhận kiến nghị số (\d+)", unit_page).group(1)
    # A person not on the unit's published list, or another unit, is refused.
    bad = focal.post("/don-vi/phong-alpha/kien-nghi", {"month": "2026-11", "staff_id": "BE02", "kind": "complaint",
                                                       "text": "x"}, token_from="/don-vi/phong-alpha")
    assert "Kiến nghị cần tháng đã công bố" in focal.get(bad.headers["location"]).text
    assert focal.post("/don-vi/phong-beta/kien-nghi", {"month": "2026-11", "staff_id": "BE02", "kind": "complaint",
                                                       "text": "x"}, token_from="/").status_code == 404
    # Only the ward office answers.
    assert focal.post(f"/kien-nghi/{fid}", {"answer": "tự trả lời"}, token_from="/kien-nghi").status_code == 403
    admin.post(f"/kien-nghi/{fid}", {"answer": "Đã kiểm tra minh chứng; giữ nguyên kết quả."}, token_from="/kien-nghi")
    listed = focal.get("/kien-nghi").text
    assert "Đã trả lời" in listed and "giữ nguyên kết quả" in listed
    admin.post(f"/kien-nghi/{fid}", {"close": "1"}, token_from="/kien-nghi")
    assert "Đã đóng" in focal.get("/kien-nghi").text
    person = admin.get("/nguoi/AL02").text
    assert "Khiếu nại" in person and "giữ nguyên kết quả" in person
    # Another unit's complaint stays out of this focal person's view.
    admin.post("/don-vi/phong-beta/kien-nghi", {"month": "2026-11", "staff_id": "BE03", "kind": "correction",
                                                "text": "Điều chỉnh điểm BE03"}, token_from="/")
    assert "Điều chỉnh điểm BE03" in admin.get("/kien-nghi").text
    assert "Điều chỉnh điểm BE03" not in focal.get("/kien-nghi").text
    log = admin.get("/quan-tri/nhat-ky").text
    assert "Trả lời kiến nghị" in log and "Đóng kiến nghị" in log
