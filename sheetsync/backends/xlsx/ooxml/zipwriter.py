"""A minimal zip writer that copies members' compressed bytes verbatim.

zipfile cannot copy a member without inflating and deflating it again, which costs time and
changes bytes we promised not to touch (images, charts, anything we do not rewrite). New or
rewritten members are deflated from `_Pieces`, so a large part need not be joined first.
"""

from __future__ import annotations

import struct
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from sheetsync.backends.xlsx.ooxml.deflate import _crc32, _deflater
from sheetsync.errors import SourceUnreadable

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<I4B4HL2L5H2L")
_END_RECORD = struct.Struct("<IHHHHIIH")
_ZIP32_LIMIT = 0xFFFFFFFF
_FLAG_DATA_DESCRIPTOR = 0x08
_FLAG_UTF8 = 0x800


class _Pieces(list):
    """A part's new content as consecutive buffers (slices of the old part and new rows), so a
    28 MB sheet with five rows changed is not copied into one string before it is deflated."""

    def tobytes(self) -> bytes:
        return b"".join(self)


def _dos_datetime(dt: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    y, mo, d, h, mi, s = dt
    if y < 1980:
        y, mo, d, h, mi, s = 1980, 1, 1, 0, 0, 0
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _strip_zip64_extra(extra: bytes) -> bytes:
    # A zip64 field is only meaningful with 0xFFFFFFFF placeholders, which we never write.
    out, i = bytearray(), 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, i)
        if tag != 0x0001:
            out += extra[i : i + 4 + size]
        i += 4 + size
    return bytes(out)


def _data_start(fh, info: zipfile.ZipInfo) -> int | None:
    """Offset of a member's compressed bytes in the open file ``fh``, after its local header
    (whose name and extra field may differ in length from the central directory's); None when
    no local header starts where the central directory says."""
    fh.seek(info.header_offset)
    header = fh.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        return None
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    return info.header_offset + _LOCAL_HEADER.size + name_len + extra_len


@dataclass
class _CentralEntry:
    name: bytes
    create_version: int
    create_system: int
    extract_version: int
    flags: int
    compress_type: int
    dostime: int
    dosdate: int
    crc: int
    compress_size: int
    file_size: int
    extra: bytes
    comment: bytes
    internal_attr: int
    external_attr: int
    offset: int = 0


class _ZipWriter:
    """Minimal zip writer that can copy members' compressed bytes verbatim.

    zipfile cannot copy a member without inflating and deflating it again,
    which both costs time and changes bytes we promised not to touch.
    """

    def __init__(self, fh, comment: bytes = b"") -> None:
        self._fh = fh
        self._entries: list[_CentralEntry] = []
        self._comment = comment

    def _write_entry(self, entry: _CentralEntry, write_data: Callable[[], None]) -> None:
        entry.offset = self._fh.tell()
        if entry.offset > _ZIP32_LIMIT or entry.compress_size > _ZIP32_LIMIT or entry.file_size > _ZIP32_LIMIT:
            raise SourceUnreadable("Tệp quá lớn (cần ZIP64), chưa được hỗ trợ.")
        self._fh.write(
            _LOCAL_HEADER.pack(
                0x04034B50, entry.extract_version, entry.flags, entry.compress_type,
                entry.dostime, entry.dosdate, entry.crc, entry.compress_size,
                entry.file_size, len(entry.name), 0,
            )
        )
        self._fh.write(entry.name)
        write_data()
        self._entries.append(entry)

    def copy_raw(self, src, info: zipfile.ZipInfo) -> None:
        """Copy a member's compressed bytes from the open source file ``src``."""
        data_start = _data_start(src, info)
        if data_start is None:
            raise SourceUnreadable(f"Tệp zip hỏng ở thành phần {info.filename}.")
        dostime, dosdate = _dos_datetime(info.date_time)
        entry = _CentralEntry(
            name=_raw_name(info), create_version=info.create_version,
            create_system=info.create_system, extract_version=info.extract_version,
            # Sizes go into the local header, so no data descriptor follows the data.
            flags=info.flag_bits & ~_FLAG_DATA_DESCRIPTOR, compress_type=info.compress_type,
            dostime=dostime, dosdate=dosdate, crc=info.CRC, compress_size=info.compress_size,
            file_size=info.file_size, extra=_strip_zip64_extra(info.extra), comment=info.comment,
            internal_attr=info.internal_attr, external_attr=info.external_attr,
        )

        def write_data() -> None:
            src.seek(data_start)
            remaining = info.compress_size
            while remaining:
                chunk = src.read(min(remaining, 1 << 20))
                if not chunk:
                    raise SourceUnreadable(f"Tệp zip bị cắt cụt ở thành phần {info.filename}.")
                self._fh.write(chunk)
                remaining -= len(chunk)

        self._write_entry(entry, write_data)

    def add(self, name: str, data: bytes | _Pieces, like: zipfile.ZipInfo | None = None) -> None:
        """Add a member with new content (deflated), keeping ``like``'s attributes if given."""
        comp, crc32 = _deflater(), _crc32()
        pieces = data if isinstance(data, _Pieces) else [data]
        out, crc, size = [], 0, 0
        for piece in pieces:
            out.append(comp.compress(piece))
            crc = crc32(piece, crc)
            size += len(piece)
        out.append(comp.flush())
        payload = b"".join(out)
        raw_name = _raw_name(like) if like is not None else name.encode("utf-8")
        flags = (like.flag_bits & _FLAG_UTF8) if like is not None else 0
        if like is None and not name.isascii():
            flags |= _FLAG_UTF8
        dostime, dosdate = _dos_datetime(time.localtime()[:6])
        entry = _CentralEntry(
            name=raw_name, create_version=like.create_version if like else 20,
            create_system=like.create_system if like else 0, extract_version=20, flags=flags,
            compress_type=zipfile.ZIP_DEFLATED, dostime=dostime, dosdate=dosdate,
            crc=crc, compress_size=len(payload), file_size=size, extra=b"",
            comment=like.comment if like else b"", internal_attr=like.internal_attr if like else 0,
            external_attr=like.external_attr if like else 0,
        )
        self._write_entry(entry, lambda: self._fh.write(payload))

    def finish(self) -> None:
        start = self._fh.tell()
        for e in self._entries:
            self._fh.write(
                _CENTRAL_HEADER.pack(
                    0x02014B50, e.create_version, e.create_system, e.extract_version, 0,
                    e.flags, e.compress_type, e.dostime, e.dosdate, e.crc, e.compress_size,
                    e.file_size, len(e.name), len(e.extra), len(e.comment), 0,
                    e.internal_attr, e.external_attr, e.offset,
                )
            )
            self._fh.write(e.name + e.extra + e.comment)
        size = self._fh.tell() - start
        if len(self._entries) > 0xFFFF or start > _ZIP32_LIMIT:
            raise SourceUnreadable("Tệp quá lớn (cần ZIP64), chưa được hỗ trợ.")
        n = len(self._entries)
        self._fh.write(_END_RECORD.pack(0x06054B50, 0, 0, n, n, size, start, len(self._comment)))
        self._fh.write(self._comment)


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    if info.flag_bits & _FLAG_UTF8:
        return info.orig_filename.encode("utf-8")
    return info.orig_filename.encode("cp437")
