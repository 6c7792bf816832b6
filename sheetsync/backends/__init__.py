"""Where unit workbooks live. Every backend hands the engine `SheetGrid`s and applies a
`WritePlan`; the engine itself never knows which one it talks to."""

from __future__ import annotations

from pathlib import Path

from sheetsync.backends.xlsx.backend import XlsxBackend
from sheetsync.errors import GoogleNotInstalled, SourceError, SourceUnsupported

__all__ = ["SourceError", "is_google_source", "open_source"]


def is_google_source(spec: str) -> bool:
    """`gsheet:<id>` or a Google Sheets URL."""
    s = spec.strip()
    return s.startswith("gsheet:") or ("docs.google.com/spreadsheets/" in s and s.startswith(("https://", "http://")))


def open_source(spec: str, *, unit: str | None = None):
    """A backend for one source: an .xlsx path, `gsheet:<id>` or a Google Sheets URL.
    The Google backend is imported only when needed, so gspread stays optional."""
    if is_google_source(spec):
        try:
            from sheetsync.backends.google.backend import open_google
        except ImportError as exc:  # gspread / google-auth not installed
            raise GoogleNotInstalled("Cần cài thêm gói cho Google Sheets: pip install sheetsync "
                              f"(thiếu {exc.name}).") from None
        return open_google(spec, unit=unit)
    if spec.strip().startswith(("https://", "http://")):
        raise SourceUnsupported(f"Không nhận ra nguồn '{spec}': chỉ hỗ trợ đường dẫn bảng tính Google "
                          "(https://docs.google.com/spreadsheets/d/<mã>/...) hoặc gsheet:<mã>.")
    path = Path(spec)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return XlsxBackend(path)
    if path.suffix.lower() in (".xls", ".ods", ".csv"):
        raise SourceUnsupported(f"Tệp '{spec}' là {path.suffix.lower()}, không phải .xlsx: hãy mở bằng Excel hoặc "
                                "LibreOffice và lưu thành Sổ làm việc Excel (.xlsx).")
    raise SourceUnsupported(f"Không nhận ra nguồn '{spec}': mỗi đơn vị cần một tệp .xlsx, một thư mục chứa tệp "
                            ".xlsx hoặc một bảng tính Google (gsheet:<mã>).")
