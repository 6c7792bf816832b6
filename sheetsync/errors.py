"""Every failure sheetsync reports, as types with stable codes.

A scheduler reading `--json` tells "file open in Excel" (`source.locked`) from "no Google
credentials" (`google.credentials`) by the code, never by parsing the Vietnamese message. The
message is what a person reads; the code is what a program reads. Codes are dotted, lowercase,
and never change meaning once published (add new ones instead).

This module imports nothing from the rest of the package, so every layer can raise these.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import Any

EXIT_OK, EXIT_FINDINGS, EXIT_PROBLEM = 0, 1, 2  # the CLI's exit codes (README, "Mã thoát")


class SheetsyncError(Exception):
    """Base of every reported failure: a Vietnamese `message` and a stable `code`."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.details = details

    @property
    def message(self) -> str:
        return str(self)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


# -- sources: a unit's workbook or spreadsheet -------------------------------------------------

class SourceError(SheetsyncError):
    """A source that cannot be opened, read or written."""

    code = "source"


class SourceNotFound(SourceError):
    code = "source.not-found"


class SourceUnsupported(SourceError):
    """Not a kind of source sheetsync knows (not .xlsx, not Google, not a folder or ward.yaml)."""

    code = "source.unsupported"


class SourceUnreadable(SourceError):
    """The file exists but is not a readable workbook (damaged, encrypted, not .xlsx)."""

    code = "source.unreadable"


class SourceTooLarge(SourceError):
    """Past a bound that protects the process (sheet extent, inflated size)."""

    code = "source.too-large"


class SourceLocked(SourceError):
    """Open in Excel/LibreOffice, or not writable: nothing was written."""

    code = "source.locked"


class SourceChanged(SourceError):
    """Changed on disk since it was read: writing would lose those edits."""

    code = "source.changed"


class SourceWriteFailed(SourceError):
    """Writing failed part-way (disk full, permissions); the original is kept."""

    code = "source.write-failed"


# -- Google --------------------------------------------------------------------------------------

class GoogleError(SourceError):
    code = "google"


class GoogleNotInstalled(GoogleError):
    code = "google.not-installed"


class GoogleCredentialsError(GoogleError):
    """No key, an unreadable key, or a key Google refuses."""

    code = "google.credentials"


class GooglePermissionError(GoogleError):
    """The sheet is not shared with the account (or only for viewing)."""

    code = "google.permission"


class GoogleApiDisabled(GoogleError):
    code = "google.api-disabled"


class GoogleNotFound(GoogleError):
    code = "google.not-found"


class GoogleUnreachable(GoogleError):
    """No stable answer after bounded retries (network, 429, 5xx)."""

    code = "google.unreachable"


class GoogleRefused(GoogleError):
    code = "google.refused"


# -- configuration ---------------------------------------------------------------------------------

class ConfigError(SheetsyncError):
    code = "config"


class WardConfigError(ConfigError):
    """ward.yaml (or the list of sources) cannot be used."""

    code = "config.ward"


class SchemaError(ConfigError):
    """A schema, profile or template file cannot be used."""

    code = "config.schema"


class ProfileError(SchemaError):
    code = "config.profile"


class TemplateError(SchemaError):
    code = "config.template"


# -- history and periods --------------------------------------------------------------------------

class StoreError(SheetsyncError):
    """The history store cannot be opened, migrated or written."""

    code = "store"


class HistoryElsewhere(StoreError):
    """The workbook's history is recorded under another unit name (the unit was renamed in the
    ward file): syncing it under the new name would score its approved months afresh and start
    a second history, so it waits until the history is moved (`sheetsync rename-unit`)."""

    code = "store.history-elsewhere"


class PeriodError(SheetsyncError, ValueError):
    """A month, quarter, year or date that cannot be read."""

    code = "period"


class UsageError(SheetsyncError):
    """A command asked for something that cannot be done as asked."""

    code = "usage"


class UnexpectedError(SheetsyncError):
    """A defect in sheetsync: one unit's failure, reported without stopping the ward."""

    code = "unexpected"


# -- the operating system's errors, in Vietnamese ----------------------------------------------------

_ERRNO_TEXT = {
    errno.ENOSPC: ("source.write-failed", "ổ đĩa đã đầy; hãy giải phóng dung lượng rồi chạy lại"),
    errno.EDQUOT: ("source.write-failed", "đã hết hạn mức dung lượng của tài khoản trên ổ đĩa; hãy giải phóng "
                                          "dung lượng rồi chạy lại"),
    errno.EACCES: ("source.locked", "không có quyền truy cập; hãy kiểm tra quyền của tệp và thư mục chứa nó"),
    errno.EPERM: ("source.locked", "hệ điều hành không cho phép thao tác này; hãy kiểm tra quyền của tệp và "
                                   "thư mục chứa nó"),
    errno.EROFS: ("source.locked", "ổ đĩa hoặc thư mục chỉ cho phép đọc; hãy chép tệp sang nơi ghi được"),
    errno.ENOENT: ("source.not-found", "không tìm thấy tệp hoặc thư mục"),
    errno.EISDIR: ("source.unsupported", "đây là một thư mục, không phải tệp"),
    errno.ENOTDIR: ("source.not-found", "một phần của đường dẫn không phải thư mục"),
    errno.ENAMETOOLONG: ("source.write-failed", "tên hoặc đường dẫn tệp quá dài; hãy đặt tên ngắn hơn hoặc "
                                                "chuyển tệp lên thư mục gần gốc"),
    errno.EMFILE: ("source.unreadable", "mở quá nhiều tệp cùng lúc; hãy chạy lại"),
    errno.EBUSY: ("source.locked", "tệp đang được chương trình khác sử dụng; hãy đóng nó rồi chạy lại"),
    errno.ETXTBSY: ("source.locked", "tệp đang được chương trình khác sử dụng; hãy đóng nó rồi chạy lại"),
    errno.EIO: ("source.unreadable", "lỗi đọc/ghi của ổ đĩa; hãy kiểm tra ổ đĩa hoặc kết nối mạng tới thư mục "
                                     "dùng chung"),
    errno.ELOOP: ("source.not-found", "đường dẫn có liên kết tượng trưng lặp vòng"),
}
_CODE_CLASS: dict[str, type[SourceError]] = {}


def os_error_message(exc: OSError, path: object = None) -> str:
    """An OSError as a person reads it, in Vietnamese: what happened to which file and what to
    do (never "[Errno 28] No space left on device")."""
    place = path if path is not None else (exc.filename or "")
    where = f"{os.fspath(place)}: " if place else ""
    _, text = _ERRNO_TEXT.get(exc.errno or -1, ("", ""))
    if not text:
        name = errno.errorcode.get(exc.errno or -1)
        text = f"lỗi hệ điều hành ({name or ' '.join(str(exc.strerror or exc).split())[:200]})"
    return where + text + "."


def os_error(exc: OSError, where: str | os.PathLike | None = None, *, writing: bool = False) -> SourceError:
    """An operating-system failure as a typed error with a Vietnamese sentence (never the raw
    English `[Errno 28] ...`): permissions and read-only media are `source.locked`, a missing
    file `source.not-found`, a full disk `source.write-failed`; an errno without its own entry
    is `source.write-failed` when writing, `source.unreadable` otherwise."""
    if not _CODE_CLASS:
        _CODE_CLASS.update({c.code: c for c in (SourceWriteFailed, SourceLocked, SourceNotFound, SourceUnsupported,
                                                SourceUnreadable)})
    code, _ = _ERRNO_TEXT.get(exc.errno or -1, ("source.write-failed" if writing else "source.unreadable", ""))
    return _CODE_CLASS.get(code, SourceError)(os_error_message(exc, where), code=code, errno=exc.errno)


def require_regular_file(path: object, error: type[Exception], what: str = "tệp") -> None:
    """Refuse a path that is not a regular file (a folder, a FIFO, a device such as /dev/zero,
    possibly behind a symlink): opening one would hang or read forever. Checked with stat,
    which never blocks."""
    try:
        st = os.stat(path)  # follows symlinks: the target is what would be read
    except OSError as exc:
        raise error(os_error_message(exc, path)) from exc
    if stat.S_ISREG(st.st_mode):
        return
    kind = ("một thư mục" if stat.S_ISDIR(st.st_mode) else "một đường ống (FIFO)" if stat.S_ISFIFO(st.st_mode)
            else "một thiết bị" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "một socket" if stat.S_ISSOCK(st.st_mode) else "một loại tệp đặc biệt")
    raise error(f"{what[:1].upper() + what[1:]} {os.fspath(path)} là {kind}, không phải một tệp thường; "
                "hãy chỉ tới đúng tệp.")




def error_dict(error: SheetsyncError | None) -> dict[str, Any] | None:
    """The `--json` shape of an error (None stays None)."""
    return None if error is None else error.to_dict()
