"""Every Vietnamese message the engine writes, in one place, keyed by rule code.

A message says what was found and what is expected. `{value}` is the cell as the user
typed it (shortened); other placeholders are named per message.
"""

from __future__ import annotations

from sheetsync.text import visible

SEVERITY_LABELS = {"error": "Lỗi", "warning": "Cảnh báo", "valid": "Hợp lệ"}


def severity_label(severity: str) -> str:
    """How a severity is shown to a person (check status cells, notes, terminal)."""
    return SEVERITY_LABELS[severity]


TYPE_EXPECTED = {
    "number": "một số, ví dụ 12 hoặc 1,5",
    "integer": "một số nguyên, ví dụ 0, 1, 2",
    "percent": "một tỷ lệ phần trăm, ví dụ 80 hoặc 80%",
    "date": "một ngày dạng dd/mm/yyyy, ví dụ 05/11/2026",
    "month": "một tháng dạng mm/yyyy, ví dụ 11/2026",
    "period": "một tháng (11/2026), một quý (Q4/2026) hoặc một năm (2026)",
    "week": "một tuần dạng yyyy-Www (ví dụ 2026-W47), Tuần 47/2026 hoặc một ngày trong tuần",
    "time": "một giờ như 08:00, 8h30, 14 giờ, một khoảng 7:30 - 9:00 (giờ kết thúc sau giờ bắt đầu) hoặc Cả ngày",
}

MESSAGES = {
    # cells
    "cell.error": "Ô có lỗi công thức {value}; cần sửa công thức hoặc nhập trực tiếp giá trị.",
    "cell.formula-without-value": "Ô có công thức nhưng tệp chưa lưu kết quả tính; hãy mở tệp bằng Excel hoặc LibreOffice, lưu lại rồi chạy lại.",
    "cell.merged": "Ô nằm trong vùng gộp ô {value}; cần bỏ gộp ô (Unmerge) để mỗi hàng có giá trị riêng.",
    # fields
    "field.required": "Thiếu {header}; cần ghi {header} (thông tin bắt buộc).",
    "field.type": "'{value}' không hợp lệ ở cột {header}; cần {expected}.",
    "field.enum": "'{value}' không thuộc danh sách của cột {header}; cần một trong: {choices}.",
    "field.min": "{value} nhỏ hơn mức tối thiểu; cần {header} từ {bound} trở lên.",
    "field.min-exclusive": "{value} không hợp lệ; cần {header} lớn hơn {bound}.",
    "field.max": "{value} lớn hơn mức tối đa; cần {header} không quá {bound}.",
    "field.max-field": "{header} ({value}) lớn hơn {other} ({bound}); chỉ được tính bằng {other}.",
    "field.pattern": "'{value}' không đúng dạng ở cột {header}; cần {expected}.",
    "field.too-long": "Nội dung dài {length} ký tự, vượt mức {limit} ký tự của cột {header}; cần rút gọn.",
    "field.unique": "'{value}' bị trùng (cũng có ở hàng {others}); mỗi {header} chỉ được dùng một lần.",
    "field.ref": "'{value}' không có trong cột {target_header} của trang {target_tab}; cần một mã đã khai báo ở đó.",
    "field.required-when": "Thiếu {header} trong khi {condition}; cần ghi {header}.",
    "field.not-before": "{header} ({value}) trước {other} ({bound}); cần từ {bound} trở đi.",
    "row.key-duplicate": "Trùng {header} với hàng {others}; mỗi người chỉ có một hàng đánh giá mỗi tháng.",
    "row.sum": "{message}",
    # structure
    "tab.missing": "Không tìm thấy trang tính '{title}'; cần một trang tên '{title}' (lệnh 'sheetsync init' tạo sẵn mẫu đúng).",
    "header.missing": "Trang '{tab}' thiếu cột '{header}'; cần thêm cột có đúng tiêu đề này.",
    "header.missing-optional": "Trang '{tab}' không có cột '{header}'; hệ thống coi cột này để trống.",
    "header.duplicate": "Cột '{header}' xuất hiện nhiều lần ({columns}); hệ thống dùng cột {used}, cần xoá hoặc đổi tên các cột còn lại.",
    "tree.cycle": "Người quản lý trực tiếp tạo thành vòng lặp ({path}); cần sửa để chuỗi quản lý kết thúc ở người đứng đầu.",
    "tree.self": "Người này được ghi là người quản lý trực tiếp của chính mình; cần ghi mã của người quản lý khác hoặc để trống.",
    "tree.multiple-heads": "Có {count} người không có người quản lý trực tiếp ({ids}); thường chỉ người đứng đầu để trống cột này.",
    # scoring
    "score.no-work": "Không có nhiệm vụ nào được giao trong tháng {month} (tổng quy đổi giao bằng 0); chưa tính được điểm kết quả thực hiện nhiệm vụ.",
    "score.provisional": "Điểm tạm tính: có {count} hàng nhiệm vụ đang lỗi (trang {tab}: {rows}); cần sửa để điểm được tính đầy đủ.",
    "score.leader-d": "Điểm d = {value} vì trong phạm vi quản lý có người xếp loại {rating}: {people}.",
    "score.leader-dd": "Điểm đ = {value} vì công việc của lãnh đạo và những người được quản lý chưa hoàn thành đủ số lượng, chất lượng, tiến độ ở trang {tab}: {tasks}.",
    "score.general-from-self": "Quản lý chưa chấm điểm tiêu chí chung; tạm dùng điểm tự đánh giá ({value}).",
    "score.general-missing": "Chưa có điểm tiêu chí chung (cả tự đánh giá và quản lý); chưa tính được tổng điểm.",
    "score.leader-e-missing": "Lãnh đạo, quản lý cần có Điểm năng lực tập hợp, đoàn kết (%); chưa tính được điểm kết quả thực hiện nhiệm vụ.",
    "score.leader-no-staff": "Là lãnh đạo, quản lý nhưng không quản lý ai trong danh sách; được chấm như người không giữ chức vụ lãnh đạo.",
    "score.not-in-roster": "Mã cán bộ '{value}' không có trong trang Cán bộ; không tính điểm được.",
    "score.disciplined": "Bị kỷ luật từ khiển trách trở lên: xếp loại {rating}, bất kể điểm.",
    "score.missing-row": "{name} ({staff_id}) chưa có hàng đánh giá tháng {month} trong trang Đánh giá tháng.",
    "score.row-excluded": "Hàng không được tính điểm vì {reason}.",
    "score.row-zeroed": "Hàng vẫn tính số lượng giao nhưng chưa tính hoàn thành, chất lượng, tiến độ cho đến khi sửa lỗi.",
    "task.overdue": "Quá hạn: hạn {due}, đến ngày {as_of} chưa hoàn thành ({got}); cần cập nhật kết quả hoặc điều chỉnh hạn.",
    "score.task-month": "Tháng {month} có {count} nhiệm vụ nhưng trang Đánh giá tháng chưa có hàng nào của tháng này; cần thêm hàng đánh giá cho từng người.",
    # quotas
    "quota.exceeded": "Vượt tỷ lệ {rating}: {count} người, tối đa {limit} ({rule}) trong {scope}.",
    "quota.person": "Thuộc nhóm vượt tỷ lệ {rating} trong {scope} (điểm thấp hơn những người trong tỷ lệ); cấp có thẩm quyền cần xem xét.",
    # deadlines and honesty
    "deadline.late": "{step} ngày {date}, sau hạn ngày {deadline}.",
    "deadline.missing": "Chưa {step}; đã quá hạn ngày {deadline}.",
    "honesty.approved-above": "Xếp loại được phê duyệt ({approved}) cao hơn xếp loại gợi ý ({suggested}); cần ghi rõ lý do.",
    "honesty.approved-missing-evidence": "Đã phê duyệt xếp loại trong khi còn nhiệm vụ hoàn thành nhưng thiếu minh chứng: {rows}.",
    # okr
    "okr.equal-weights": "Các kết quả then chốt của mục tiêu '{group}' có trọng số bằng nhau ({count} × {weight}); trọng số cần phản ánh quy mô, độ khó chứ không chia đều.",
    "okr.no-actual": "Kỳ đã kết thúc nhưng chưa có Giá trị thực hiện; cần ghi giá trị để tính mức đạt.",
    "okr.stretch-direction": "Ngưỡng vượt bằng ngưỡng hoàn thành; cần một ngưỡng vượt lớn hơn (hoặc nhỏ hơn với chỉ số càng thấp càng tốt).",
}


def message(code: str, **values) -> str:
    """The message for `code`; any text put into it has its control characters made visible
    (a name or code from a cell can hold ESC or BEL, and messages reach terminals and logs)."""
    return MESSAGES[code].format(**{k: visible(v) if isinstance(v, str) else v for k, v in values.items()})
