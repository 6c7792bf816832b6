"""Cheap identities of a workbook file, told without inflating it.

`fingerprint` (mtime, size) detects an edit made behind our back between a read and a write;
`package_print` (every member's name, CRC-32 and size from the zip central directory) tells the
reuse layer that a file's content is the same although it was touched.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile

from sheetsync.backends.xlsx.ooxml.messages import _not_found_error, _read_error
from sheetsync.backends.xlsx.ooxml.model import PathLike


def fingerprint(path: PathLike) -> tuple[int, int]:
    """(st_mtime_ns, st_size): cheap identity used to detect edits made behind our back."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _not_found_error(path) from None
    except OSError as exc:
        raise _read_error(path, exc) from exc
    return (st.st_mtime_ns, st.st_size)


def package_print(path: PathLike, max_members: int) -> str | None:
    """Every member of the package by name, CRC-32 and size, as its zip central directory
    records them (nothing is inflated): equal prints mean the same bytes in every part, but for
    a CRC-32 collision. None when it cannot be told cheaply (no regular file, no zip, more than
    `max_members` members): the caller then reads the file as usual."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # a FIFO or a device would block or never end
        with open(path, "rb") as fh, zipfile.ZipFile(fh) as z:
            infos = z.infolist()
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, RuntimeError):
        return None
    if len(infos) > max_members:
        return None
    h = hashlib.sha256()
    for name, crc, size in sorted((i.filename, i.CRC, i.file_size) for i in infos):
        h.update(f"{name}\0{crc}\0{size}\n".encode())
    return h.hexdigest()
