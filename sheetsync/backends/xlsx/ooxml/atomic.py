"""Writing a workbook back safely: office lock files, advisory locks, the temporary file beside
the original, fsync and `os.replace`.

A crash or a concurrent editor must never leave half a file or overwrite someone's save, so
this is the only place that touches the original on disk. It also removes the temporary files a
killed write left behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from sheetsync.backends.xlsx.ooxml.identity import fingerprint
from sheetsync.backends.xlsx.ooxml.messages import _changed_error, _display, _locked_error, _read_only_error
from sheetsync.backends.xlsx.ooxml.model import PathLike
from sheetsync.errors import SourceLocked, SourceUnreadable, os_error

if TYPE_CHECKING:
    from sheetsync.backends.xlsx.ooxml.package import _Package


def _lock_files(path: Path) -> list[Path]:
    # Excel writes "~$name.xlsx"; LibreOffice writes ".~lock.name.xlsx#".
    return [path.with_name("~$" + path.name), path.with_name(".~lock." + path.name + "#")]


def check_not_locked(path: PathLike) -> None:
    """Raise SourceLocked when an office suite has the file open.

    On Linux/macOS nothing stops us from replacing a file that Excel or
    LibreOffice has open, and the user's next save would silently overwrite
    our changes (or theirs). Their lock files are the only reliable signal.
    """
    p = Path(path)
    for lock in _lock_files(p):
        if lock.exists():
            raise _locked_error(p, lock)


TEMP_PREFIX, TEMP_SUFFIX = ".sheetsync-", ".tmp"


def _try_lock(fd: int) -> bool:
    """An exclusive advisory lock (flock) without waiting; True where the platform has none."""
    try:
        import fcntl
    except ImportError:  # Windows: the office lock files and sharing modes do this job
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return True  # a file system without flock (some network shares): nothing to honour
    return True


def _file_writable(path: Path, st: os.stat_result) -> bool:
    """Whether the file itself may be written. Root may write anything, so for root the mode
    bits say it: a file marked read-only by its owner stays untouched."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return bool(st.st_mode & 0o222)
    return os.access(path, os.W_OK)


def clean_stale_temps(folder: Path, older_than: float | None = None) -> list[Path]:
    """Remove temporary files a killed write left beside workbooks (`.sheetsync-*.tmp`), once
    they are old and no writer holds their lock. Returns what was removed."""
    from sheetsync.limits import limit

    age = limit("STALE_TEMP_SECONDS") if older_than is None else older_than
    now = time.time()
    removed = []
    try:
        candidates = list(folder.glob(TEMP_PREFIX + "*" + TEMP_SUFFIX))
    except OSError:
        return removed
    for tmp in candidates:
        try:
            st = os.lstat(tmp)
            if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < age:
                continue
            fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if _try_lock(fd):
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _write_atomically(path: Path, pkg: _Package, before: tuple[int, int]) -> None:
    """Temp file beside the original, fsync, then os.replace: all or nothing.

    The original's own permissions are respected (a read-only file is refused even when its
    folder is writable), an advisory lock held on it by another process is honoured (flock,
    taken for the whole write), and the new file keeps the original's mode, owner and group."""
    st = os.stat(path)
    if not _file_writable(path, st):
        raise _read_only_error(path)
    mode = stat.S_IMODE(st.st_mode)
    try:
        orig_fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise os_error(exc, path, writing=True) from exc
    try:
        if not _try_lock(orig_fd):
            raise _locked_error(path)
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
        except OSError as exc:
            raise os_error(exc, path, writing=True) from exc
        _try_lock(fd)  # marks the temp file as in use for clean_stale_temps
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                pkg.write_to(fh)
                fh.flush()
                os.fsync(fh.fileno())
                os.chmod(tmp, mode)
                if hasattr(os, "chown") and (st.st_uid, st.st_gid) != _owner(tmp):
                    try:
                        os.chown(tmp, st.st_uid, st.st_gid)
                    except PermissionError as exc:
                        raise SourceLocked(
                            f"Tệp “{_display(path)}” thuộc về người dùng/nhóm khác; ghi lại sẽ đổi chủ sở hữu của nó, "
                            "nên hệ thống không ghi. Hãy chạy sheetsync bằng tài khoản sở hữu tệp.") from exc
            with zipfile.ZipFile(tmp) as check:  # cheap sanity check of what we produced
                if len(check.infolist()) == 0:
                    raise SourceUnreadable("Tệp tạm ghi ra bị rỗng.")
            pkg.close()  # Windows cannot replace a file we still hold open
            if fingerprint(path) != before:
                raise _changed_error(path)
            try:
                os.replace(tmp, path)
            except PermissionError as exc:
                raise _locked_error(path) from exc
            _fsync_dir(path.parent)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise os_error(exc, path, writing=True) from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    finally:
        os.close(orig_fd)


def _owner(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_uid, st.st_gid


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable on POSIX; not possible (nor needed) on Windows.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
