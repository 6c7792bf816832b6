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


class PeriodError(SheetsyncError, ValueError):
    """A month, quarter, year or date that cannot be read."""

    code = "period"


class UsageError(SheetsyncError):
    """A command asked for something that cannot be done as asked."""

    code = "usage"


class UnexpectedError(SheetsyncError):
    """A defect in sheetsync: one unit's failure, reported without stopping the ward."""

    code = "unexpected"


_ERRNO_TEXT = {
    errno.ENOSPC: ("source.write-failed", "ổ đĩa đã đầy; hãy giải phóng dung lượng rồi chạy lại"),
    errno.EDQUOT: ("source.write-failed", "đã hết hạn mức dung lượng đĩa của tài khoản"),
    errno.EACCES: ("source.locked", "không có quyền đọc hoặc ghi (kiểm tra quyền của tệp và thư mục)"),
    errno.EPERM: ("source.locked", "hệ điều hành không cho phép thao tác này (kiểm tra quyền của tệp)"),
    errno.EROFS: ("source.locked", "ổ đĩa hoặc thư mục chỉ cho đọc"),
    errno.ENOENT: ("source.not-found", "không tìm thấy tệp hoặc thư mục"),
    errno.EISDIR: ("source.unsupported", "đây là một thư mục, không phải tệp"),
    errno.ENOTDIR: ("source.not-found", "một phần của đường dẫn không phải thư mục"),
    errno.ENAMETOOLONG: ("source.unsupported", "tên tệp hoặc đường dẫn quá dài"),
    errno.EBUSY: ("source.locked", "tệp đang bị chương trình khác sử dụng"),
    errno.EIO: ("source.unreadable", "lỗi đọc/ghi của ổ đĩa"),
}
_CODE_CLASS: dict[str, type[SourceError]] = {}


def os_error(exc: OSError, where: str | os.PathLike | None = None) -> SourceError:
    """An operating-system failure as a typed error with a Vietnamese sentence (never the raw
    English `[Errno 28] ...`)."""
    if not _CODE_CLASS:
        _CODE_CLASS.update({c.code: c for c in (SourceWriteFailed, SourceLocked, SourceNotFound, SourceUnsupported,
                                                SourceUnreadable)})
    code, text = _ERRNO_TEXT.get(exc.errno or -1, ("source", f"lỗi hệ thống (mã {exc.errno})"))
    place = where if where is not None else (exc.filename or "")
    prefix = f"{os.fspath(place)}: " if place else ""
    return _CODE_CLASS.get(code, SourceError)(f"{prefix}{text}.", code=code, errno=exc.errno)


def error_dict(error: SheetsyncError | None) -> dict[str, Any] | None:
    """The `--json` shape of an error (None stays None)."""
    return None if error is None else error.to_dict()
