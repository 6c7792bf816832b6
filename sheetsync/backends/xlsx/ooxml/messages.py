"""The Vietnamese errors a workbook file can raise here (missing, unreadable, locked, changed,
read-only).

End users read these, so their wording lives in one place instead of at each raise.
"""

from __future__ import annotations

from pathlib import Path

from sheetsync.backends.xlsx.ooxml.model import PathLike
from sheetsync.errors import SourceChanged, SourceLocked, SourceNotFound, SourceUnreadable


def _display(path: PathLike) -> str:
    return Path(path).name


def _not_found_error(path: PathLike) -> SourceNotFound:
    return SourceNotFound(f"Không tìm thấy tệp {_display(path)}.")


def _read_error(path: PathLike, detail: object) -> SourceUnreadable:
    return SourceUnreadable(f"Không đọc được tệp {_display(path)}: {detail}")


def _locked_error(path: PathLike, lock_file: Path | None = None) -> SourceLocked:
    msg = (
        f"Tệp “{_display(path)}” đang được mở trong Excel/LibreOffice hoặc không cho phép ghi. "
        "Hãy đóng tệp rồi thử lại."
    )
    if lock_file is not None:
        msg += f" Nếu tệp không còn mở ở đâu, hãy xóa tệp khóa “{lock_file.name}” bên cạnh nó."
    return SourceLocked(msg)


def _changed_error(path: PathLike) -> SourceChanged:
    return SourceChanged(
        f"Tệp “{_display(path)}” đã bị thay đổi trên đĩa kể từ lần đọc trước. "
        "Không ghi gì cả; hãy chạy lại để xử lý bản mới nhất."
    )


def _read_only_error(path: Path) -> SourceLocked:
    return SourceLocked(
        f"Tệp “{_display(path)}” chỉ cho phép đọc (không có quyền ghi vào chính tệp), nên hệ thống không ghi gì. "
        "Nếu muốn đồng bộ, hãy bỏ thuộc tính chỉ đọc (Windows: chuột phải → Properties → bỏ Read-only; "
        "Linux: chmod u+w) rồi chạy lại.")
