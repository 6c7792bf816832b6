"""Low-level .xlsx layer: the few facts calamine cannot give us, and surgical write-back.

Why this module exists
----------------------
The project's core rule is *never lose or misplace data*. openpyxl's load+save
round trip silently drops images, charts, slicers and extension lists, and it
takes about a minute on a 100k-row workbook. So write-back patches the OOXML
zip package directly:

* only the parts that really change are rewritten (the touched worksheets, and
  styles.xml / workbook.xml / rels / [Content_Types].xml when strictly needed);
* every other zip member is copied with its *compressed* bytes untouched;
* inside a worksheet, ``<row>`` chunks are located by byte search and only the
  rows that change are parsed and rebuilt, so the cost follows the size of the
  change, not the size of the sheet (apart from one inflate/deflate pass);
* the result is written to a temporary file beside the original, fsynced and
  moved over it with ``os.replace``, so a crash never leaves half a file.

Reading values stays with python-calamine; :func:`scan_special_cells` only adds
what calamine hides (error cells vs. formulas without a cached value).
"""

from __future__ import annotations

import bisect
import copy
import functools
import hashlib
import math
import numbers
import os
import posixpath
import re
import stat
import struct
import tempfile
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union
from urllib.parse import quote, unquote

from lxml import etree

from sheetsync.domain.a1 import cell_ref, col_letter, parse_ref
from sheetsync.errors import SourceChanged, SourceLocked, SourceNotFound, SourceUnreadable, os_error
from sheetsync.text import cell_text

__all__ = [
    "SourceLocked",
    "SourceChanged",
    "CellError",
    "StyledCell",
    "SheetPatch",
    "STYLE_NAMES",
    "fingerprint",
    "check_not_locked",
    "scan_special_cells",
    "patch_workbook",
]

CellValue = str | float | int | None
PathLike = Union[str, "os.PathLike[str]"]

# ---------------------------------------------------------------------------
# Errors (messages are shown to end users, hence Vietnamese)
# ---------------------------------------------------------------------------


def _display(path: PathLike) -> str:
    return Path(path).name


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


# ---------------------------------------------------------------------------
# Public data types
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    """A cell whose value calamine reports as '' but which is not really empty.

    ``code`` is the Excel error text ("#REF!", "#DIV/0!", ...) or
    ``"formula-without-value"`` for a formula that was never calculated (e.g.
    written by openpyxl or a script), whose value we therefore cannot know.
    """

    code: str
    formula: str | None = None


FORMULA_WITHOUT_VALUE = "formula-without-value"


@dataclass
class StyledCell:
    """One cell of an engine-generated sheet (see :data:`STYLE_NAMES`)."""

    value: CellValue
    style: str = "text"


@dataclass
class SheetPatch:
    """Values to write into engine-owned cells of an existing tab.

    ``cells`` maps 1-based (row, col) to the new value; ``None`` clears the value
    but keeps the cell's formatting. Cells that do not exist yet take the row's
    or column's own format when the user gave one (what Excel does when you
    type), else ``new_cell_style``. ``headers`` are new header cells of engine
    columns appended to the tab.
    """

    sheet: str
    cells: dict[tuple[int, int], CellValue]
    new_cell_style: str = "engine"
    headers: dict[tuple[int, int], str] = field(default_factory=dict)
    # 1-based row → height in points (written as ht with customHeight="1"); 0 removes the row's
    # height, back to the sheet's default.
    row_heights: dict[int, float] = field(default_factory=dict)


@dataclass
class SheetLayout:
    """How a worksheet is laid out: explicit row heights (points) and column widths (characters)."""

    row_heights: dict[int, float] = field(default_factory=dict)
    col_widths: dict[int, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Small helpers: fingerprints and locks
# ---------------------------------------------------------------------------


def fingerprint(path: PathLike) -> tuple[int, int]:
    """(st_mtime_ns, st_size): cheap identity used to detect edits made behind our back."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SourceNotFound(f"Không tìm thấy tệp {_display(path)}.") from None
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


# ---------------------------------------------------------------------------
# Cell references, values, XML text
# ---------------------------------------------------------------------------

MAX_ROWS = 1_048_576
MAX_COLS = 16_384


# Characters XML 1.0 cannot carry at all (not even as character references).
# Excel decodes "_xHHHH_" inside cell text as a character escape, so a literal
# occurrence must have its underscore escaped as "_x005F_" to survive.
_OOXML_ESCAPE_LIKE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")


def _xml_text(text: str) -> str:
    # "\r" must be a character reference: XML parsers normalise raw CR/CRLF to LF.
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _xml_attr(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _cell_text_xml(text: str) -> str:
    return _xml_text(_OOXML_ESCAPE_LIKE.sub("_x005F_", cell_text(text)))


_ENTITY_RE = re.compile(r"&(#x[0-9A-Fa-f]+|#\d+|amp|lt|gt|quot|apos);")
_NAMED_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _xml_unescape(raw: bytes) -> str:
    def sub(m: re.Match[str]) -> str:
        ent = m.group(1)
        if ent.startswith("#x"):
            return chr(int(ent[2:], 16))
        if ent.startswith("#"):
            return chr(int(ent[1:]))
        return _NAMED_ENTITIES[ent]

    return _ENTITY_RE.sub(sub, raw.decode("utf-8"))


def _number_text(value: object) -> str | None:
    """Text for <v>, or None when the value is not a finite number (NaN/inf are 'no value')."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    f = float(value)  # type: ignore[arg-type]
    if not math.isfinite(f):
        return None
    # repr() of a Python float is the shortest text that round-trips exactly.
    return repr(f)


def _check_value(value: object, where: str) -> None:
    if value is None or isinstance(value, (str, bool, numbers.Real)):
        return
    raise TypeError(f"{where}: unsupported cell value type {type(value).__name__!r}")


def _value_xml(value: CellValue, p: str = "") -> tuple[str | None, str]:
    """(t attribute, inner XML) for a value; ``p`` is the element prefix in use ("" or "x:")."""
    if value is None:
        return None, ""
    if isinstance(value, str):
        # Always an inline string: never a formula, and sharedStrings.xml stays untouched.
        return "inlineStr", f'<{p}is><{p}t xml:space="preserve">{_cell_text_xml(value)}</{p}t></{p}is>'
    if isinstance(value, bool):
        return "b", f"<{p}v>{'1' if value else '0'}</{p}v>"
    text = _number_text(value)
    if text is None:
        return None, ""
    return None, f"<{p}v>{text}</{p}v>"


# ---------------------------------------------------------------------------
# Zip package: raw-copying writer
# ---------------------------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<I4B4HL2L5H2L")
_END_RECORD = struct.Struct("<IHHHHIIH")
_ZIP32_LIMIT = 0xFFFFFFFF
_FLAG_DATA_DESCRIPTOR = 0x08
_FLAG_UTF8 = 0x800
# A rewritten member is deflated fast rather than small: a year's task sheet is ~28 MB of XML,
# which zlib level 6 takes ~0.25 s CPU to deflate (to 2.0 MB), zlib level 1 ~0.08 s (2.9 MB) and
# ISA-L level 2 ~0.02 s (2.9 MB). Members not rewritten keep their bytes, whoever deflated them.
_ISAL_LEVEL = 2
_ZLIB_LEVEL = 1


class _Pieces(list):
    """A part's new content as consecutive buffers (slices of the old part and new rows), so a
    28 MB sheet with five rows changed is not copied into one string before it is deflated."""

    def tobytes(self) -> bytes:
        return b"".join(self)


def _inflater():
    """(raw deflate → (data, crc32)) with ISA-L, or None where python-isal is not installed."""
    try:
        from isal import isal_zlib
    except ImportError:
        return None

    def inflate(raw: bytes) -> tuple[bytes, int]:
        try:
            data = isal_zlib.decompress(raw, -15)
        except isal_zlib.error as exc:
            raise zlib.error(str(exc)) from exc
        return data, isal_zlib.crc32(data)
    return inflate


def _crc32():
    """crc32(data, value): ISA-L's where installed (5× zlib's), else zlib's."""
    try:
        from isal import isal_zlib
    except ImportError:
        return zlib.crc32
    return isal_zlib.crc32


def _deflater():
    """A raw-deflate compressor: ISA-L's (python-isal) where it is installed, else zlib's."""
    try:
        from isal import isal_zlib
    except ImportError:  # a platform without an isal wheel: zlib is as valid, only slower
        return zlib.compressobj(_ZLIB_LEVEL, zlib.DEFLATED, -15)
    return isal_zlib.compressobj(_ISAL_LEVEL, isal_zlib.DEFLATED, -15)


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
        src.seek(info.header_offset)
        header = src.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise SourceUnreadable(f"Tệp zip hỏng ở thành phần {info.filename}.")
        name_len, extra_len = struct.unpack_from("<HH", header, 26)
        data_start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
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


# ---------------------------------------------------------------------------
# OPC package model: parts, relationships, sheets
# ---------------------------------------------------------------------------

_REL_OFFICE_DOC = "/officeDocument"
_REL_WORKSHEET = "/worksheet"
_REL_STYLES = "/styles"
_REL_CALC_CHAIN = "/calcChain"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_TRANSITIONAL_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _parse_xml(data: bytes, part: str) -> etree._Element:
    try:
        return etree.fromstring(data, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceUnreadable(f"Thành phần {part} của tệp không phải XML hợp lệ: {exc}") from exc


_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _serialize(root: etree._Element) -> bytes:
    # Excel's own declaration form (lxml would use single quotes).
    return _XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _resolve_target(source_part: str, target: str) -> str:
    target = unquote(target)
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def _sheet_key(name: str) -> str:
    # Excel treats sheet names case-insensitively; NFC because macOS often types NFD Vietnamese.
    return unicodedata.normalize("NFC", name).casefold()


_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _check_new_sheet_name(name: str) -> None:
    if (
        not name
        or len(name) > 31
        or _INVALID_SHEET_CHARS.search(name)
        or name.startswith("'")
        or name.endswith("'")
        or name.casefold() == "history"
    ):
        raise SourceUnreadable(f"Tên trang tính “{name}” không hợp lệ trong Excel.")


@dataclass
class _Sheet:
    name: str
    element: etree._Element  # the <sheet> element in workbook.xml
    part: str | None  # zip member name; None for chartsheets etc.


class _Package:
    """Read side of an .xlsx file plus the pending edits to its parts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fh = open(path, "rb")
        except PermissionError as exc:
            raise _locked_error(path) from exc
        except FileNotFoundError:
            raise SourceNotFound(f"Không tìm thấy tệp {_display(path)}.") from None
        except OSError as exc:
            raise _read_error(path, exc) from exc
        try:
            self.zip = zipfile.ZipFile(self._fh)
        except (zipfile.BadZipFile, OSError) as exc:
            self._fh.close()
            raise _read_error(path, "không phải tệp .xlsx hợp lệ (có thể là .xls hoặc tệp có mật khẩu)") from exc
        self._members = {info.filename.lower(): info for info in self.zip.infolist()}
        self.replaced: dict[str, bytes] = {}  # existing member name -> new content
        self.added: dict[str, bytes] = {}  # new member name -> content
        self.removed: set[str] = set()
        try:
            self._load_workbook()
        except BaseException:
            self.close()
            raise

    # -- context management -------------------------------------------------
    def close(self) -> None:
        self.zip.close()
        self._fh.close()

    def __enter__(self) -> _Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- members --------------------------------------------------------------
    def info(self, part: str) -> zipfile.ZipInfo | None:
        return self._members.get(part.lower())

    def exists(self, part: str) -> bool:
        return part.lower() in self._members or part in self.added

    def read(self, part: str) -> bytes:
        if part in self.added:
            return self.added[part]
        info = self.info(part)
        if info is None:
            raise _read_error(self.path, f"thiếu thành phần {part}")
        if info.filename in self.replaced:
            staged = self.replaced[info.filename]
            if isinstance(staged, _Pieces):
                staged = self.replaced[info.filename] = staged.tobytes()
            return staged
        if info.flag_bits & 0x1:
            raise _read_error(self.path, "tệp zip bị mã hóa")
        try:
            data = self._inflate(info)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise _read_error(self.path, f"thành phần {part} bị hỏng ({exc})") from exc
        if part.lower().endswith((".xml", ".rels")) and _has_markup_declaration(data) and (
                b"<!DOCTYPE" in data or b"<!ENTITY" in data):
            # Excel never writes a DTD; an entity would not survive re-serialisation and the
            # file written back would no longer open.
            raise _read_error(self.path, f"thành phần {part} có khai báo DOCTYPE/ENTITY, Excel không bao giờ "
                                         "ghi như vậy; hãy mở tệp bằng Excel và lưu lại")
        return data

    def _inflate(self, info: zipfile.ZipInfo) -> bytes:
        """A member's content. A deflated one is inflated by ISA-L where it is installed (a year's
        task sheet, 28 MB of XML: 0.06 → 0.04 s CPU) and its CRC checked as zipfile would."""
        inflate = _inflater()
        if inflate is None or info.compress_type != zipfile.ZIP_DEFLATED:
            return self.zip.read(info)
        self._fh.seek(info.header_offset)
        header = self._fh.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"thiếu đầu mục của {info.filename}")
        name_len, extra_len = struct.unpack_from("<HH", header, 26)
        self._fh.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
        raw = self._fh.read(info.compress_size)
        if len(raw) != info.compress_size:
            raise EOFError(f"{info.filename} bị cắt cụt")
        data, crc = inflate(raw)
        if len(data) != info.file_size or crc != info.CRC:
            raise zipfile.BadZipFile(f"sai CRC hoặc kích thước ở {info.filename}")
        return data

    def write(self, part: str, data: bytes | _Pieces) -> None:
        """Stage new content for a part (callers skip writes that change nothing)."""
        info = self.info(part)
        if info is None:
            self.added[part] = data
        else:
            self.replaced[info.filename] = data

    def remove(self, part: str) -> None:
        info = self.info(part)
        if info is not None:
            self.removed.add(info.filename)

    @property
    def dirty(self) -> bool:
        return bool(self.replaced or self.added or self.removed)

    # -- workbook structure -------------------------------------------------------
    def _load_workbook(self) -> None:
        root_rels = _parse_xml(self.read("_rels/.rels"), "_rels/.rels")
        wb_part = None
        for rel in root_rels:
            if rel.get("Type", "").endswith(_REL_OFFICE_DOC) and rel.get("TargetMode") != "External":
                wb_part = _resolve_target("", rel.get("Target", ""))
                break
        if wb_part is None or self.info(wb_part) is None:
            raise _read_error(self.path, "không tìm thấy workbook.xml")
        self.workbook_part = self.info(wb_part).filename
        self.workbook = _parse_xml(self.read(self.workbook_part), self.workbook_part)
        self.main_ns = etree.QName(self.workbook).namespace or ""
        self.workbook_rels_part = _rels_path(self.workbook_part)
        self.workbook_rels = _parse_xml(self.read(self.workbook_rels_part), self.workbook_rels_part)
        self._workbook_dirty = False
        self._rels_dirty = False
        self._ct_root: etree._Element | None = None
        self.sheets = self._read_sheets()

    def _rel_targets(self) -> dict[str, tuple[str, str]]:
        out = {}
        for rel in self.workbook_rels:
            if rel.get("TargetMode") == "External":
                continue
            out[rel.get("Id", "")] = (rel.get("Type", ""), _resolve_target(self.workbook_part, rel.get("Target", "")))
        return out

    def _sheets_element(self) -> etree._Element:
        el = self.workbook.find(f"{{{self.main_ns}}}sheets")
        if el is None:
            raise _read_error(self.path, "workbook.xml không có danh sách trang tính")
        return el

    def _read_sheets(self) -> list[_Sheet]:
        targets = self._rel_targets()
        sheets = []
        for el in self._sheets_element():
            if _local(el.tag) != "sheet":
                continue
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id" and k.startswith("{")), None)
            rel_type, target = targets.get(rid or "", ("", ""))
            part = None
            if rel_type.endswith(_REL_WORKSHEET) and self.info(target) is not None:
                part = self.info(target).filename
            sheets.append(_Sheet(el.get("name", ""), el, part))
        return sheets

    def find_sheet(self, name: str) -> _Sheet | None:
        key = _sheet_key(name)
        exact = [s for s in self.sheets if s.name == name]
        if exact:
            return exact[0]
        return next((s for s in self.sheets if _sheet_key(s.name) == key), None)

    def worksheet_part(self, name: str) -> str:
        sheet = self.find_sheet(name)
        if sheet is None:
            raise SourceUnreadable(f"Không tìm thấy trang tính “{name}” trong tệp {_display(self.path)}.")
        if sheet.part is None:
            raise SourceUnreadable(f"Trang tính “{name}” không phải bảng tính thường (ví dụ trang biểu đồ).")
        return sheet.part

    def _relationship_base(self) -> str:
        # Reuse the namespace of existing relationship types (transitional vs. strict OOXML).
        for rel in self.workbook_rels:
            t = rel.get("Type", "")
            if t.endswith(_REL_WORKSHEET):
                return t[: -len(_REL_WORKSHEET)]
        return _TRANSITIONAL_RELS

    def _add_relationship(self, rel_suffix: str, part: str) -> str:
        ids = {rel.get("Id") for rel in self.workbook_rels}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        target = posixpath.relpath(part, posixpath.dirname(self.workbook_part) or ".")
        rel = etree.SubElement(self.workbook_rels, f"{{{_PKG_RELS_NS}}}Relationship")
        rel.set("Id", rid)
        rel.set("Type", self._relationship_base() + rel_suffix)
        rel.set("Target", quote(target, safe="/._-~"))
        self._rels_dirty = True
        return rid

    def _content_types(self) -> etree._Element:
        if self._ct_root is None:
            self._ct_root = _parse_xml(self.read("[Content_Types].xml"), "[Content_Types].xml")
        return self._ct_root

    def _add_override(self, part: str, content_type: str) -> None:
        root = self._content_types()
        name = "/" + part
        for el in root:
            if _local(el.tag) == "Override" and el.get("PartName", "").lower() == name.lower():
                el.set("ContentType", content_type)
                return
        el = etree.SubElement(root, f"{{{_CT_NS}}}Override")
        el.set("PartName", name)
        el.set("ContentType", content_type)

    def _unused_part(self, folder: str, stem: str) -> str:
        n = 1
        while self.exists(f"{folder}/{stem}{n}.xml"):
            n += 1
        return f"{folder}/{stem}{n}.xml"

    def add_worksheet(self, name: str, data: bytes) -> str:
        """Append a new tab (last, so existing localSheetId/activeTab indexes stay valid)."""
        _check_new_sheet_name(name)
        wb_dir = posixpath.dirname(self.workbook_part)
        part = self._unused_part(posixpath.join(wb_dir, "worksheets"), "sheet")
        self.added[part] = data
        rid = self._add_relationship(_REL_WORKSHEET, part)
        self._add_override(part, _CT_WORKSHEET)
        sheets_el = self._sheets_element()
        sheet_ids = [int(s.element.get("sheetId", "0")) for s in self.sheets if s.element.get("sheetId", "").isdigit()]
        rel_ns = next(
            (etree.QName(k).namespace for s in self.sheets for k in s.element.attrib if _local(k) == "id" and k.startswith("{")),
            _TRANSITIONAL_RELS,
        )
        el = etree.SubElement(sheets_el, f"{{{self.main_ns}}}sheet")
        el.set("name", name)
        el.set("sheetId", str(max(sheet_ids, default=0) + 1))
        el.set(f"{{{rel_ns}}}id", rid)
        self.sheets.append(_Sheet(name, el, part))
        self._workbook_dirty = True
        return part

    def styles_part(self) -> str | None:
        for rel_type, target in self._rel_targets().values():
            if rel_type.endswith(_REL_STYLES) and self.info(target) is not None:
                return self.info(target).filename
        return None

    def add_styles(self, data: bytes) -> str:
        part = posixpath.join(posixpath.dirname(self.workbook_part), "styles.xml")
        if self.exists(part):
            part = self._unused_part(posixpath.dirname(part), "styles")
        self.added[part] = data
        self._add_relationship(_REL_STYLES, part)
        self._add_override(part, _CT_STYLES)
        return part

    def drop_calc_chain(self) -> None:
        """Remove calcChain.xml: it lists formula cells, and Excel reports the file as
        corrupt when a listed cell no longer holds a formula. Excel rebuilds it."""
        for rel in list(self.workbook_rels):
            if rel.get("Type", "").endswith(_REL_CALC_CHAIN):
                part = _resolve_target(self.workbook_part, rel.get("Target", ""))
                self.remove(part)
                self.workbook_rels.remove(rel)
                self._rels_dirty = True
                root = self._content_types()
                for el in list(root):
                    if _local(el.tag) == "Override" and el.get("PartName", "").lower() == "/" + part.lower():
                        root.remove(el)

    def request_full_recalc(self) -> None:
        """Ask Excel to recalculate on open, so formulas reading engine cells are not stale."""
        calc = self.workbook.find(f"{{{self.main_ns}}}calcPr")
        if calc is None:
            calc = etree.Element(f"{{{self.main_ns}}}calcPr")
            _insert_in_order(self.workbook, calc, _WORKBOOK_ORDER)
        if calc.get("fullCalcOnLoad") not in ("1", "true"):
            calc.set("fullCalcOnLoad", "1")
            self._workbook_dirty = True

    def stage_structure(self) -> None:
        """Serialize workbook.xml / rels / content types, if anything was changed in them."""
        if self._workbook_dirty:
            self.write(self.workbook_part, _serialize(self.workbook))
        if self._rels_dirty:
            self.write(self.workbook_rels_part, _serialize(self.workbook_rels))
        if self._ct_root is not None:
            self.write("[Content_Types].xml", _serialize(self._ct_root))

    # -- output ---------------------------------------------------------------
    def write_to(self, fh) -> None:
        """Write the patched package: new parts deflated, all others copied raw."""
        writer = _ZipWriter(fh, self.zip.comment)
        for info in self.zip.infolist():
            if info.filename in self.removed:
                continue
            if info.filename in self.replaced:
                writer.add(info.filename, self.replaced[info.filename], like=info)
            else:
                writer.copy_raw(self._fh, info)
        for name, data in self.added.items():
            writer.add(name, data)
        writer.finish()


# Schema order of workbook.xml children (CT_Workbook): Excel rejects out-of-order elements.
_WORKBOOK_ORDER = [
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
    "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
    "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
    "fileRecoveryPr", "webPublishObjects", "extLst",
]


def _insert_in_order(parent: etree._Element, child: etree._Element, order: list[str]) -> None:
    """Insert ``child`` before the first sibling that must follow it in schema order."""
    rank = order.index(_local(child.tag))
    for i, sibling in enumerate(parent):
        name = _local(sibling.tag)
        if name in order and order.index(name) > rank:
            parent.insert(i, child)
            return
    parent.append(child)


# ---------------------------------------------------------------------------
# Styles: idempotent find-or-add in styles.xml
# ---------------------------------------------------------------------------


# The one font of sheetsync's workbooks (`init`, engine styles): named, so that Excel, LibreOffice
# and Google Sheets all show it rather than each its own default. Arial: present on Windows and
# macOS, Google Sheets' default, metric-compatible Liberation Sans (with Vietnamese) on Linux;
# Arial 10 has Calibri 11's digit width, so column widths mean the same.
FONT_NAME = "Arial"
FONT_SIZE = 10


@dataclass(frozen=True)
class _StyleSpec:
    bold: bool = False
    italic: bool = False
    size: float | None = None
    font_color: str | None = None  # ARGB
    fill: str | None = None  # ARGB of a solid fill
    border: bool = False
    num_fmt: int = 0  # built-in formats only: 1 = "0", 2 = "0.00"
    wrap: bool = False
    vertical: str | None = None


_STYLES: dict[str, _StyleSpec] = {
    "title": _StyleSpec(bold=True, size=14),
    "header": _StyleSpec(bold=True, fill="FFD9D9D9", border=True, wrap=True, vertical="center"),
    # Engine tabs carry no row heights (neither Excel nor LibreOffice re-fits rows on open), so
    # plain text does not wrap: a long line runs on over the empty cells to its right.
    "text": _StyleSpec(vertical="top"),
    "number": _StyleSpec(num_fmt=2, vertical="top"),
    "int": _StyleSpec(num_fmt=1, vertical="top"),
    "bold": _StyleSpec(bold=True, vertical="top"),
    "warning": _StyleSpec(fill="FFFCD5B4", vertical="top"),
    "error": _StyleSpec(fill="FFFFC7CE", vertical="top"),
    "muted": _StyleSpec(italic=True, font_color="FF808080", vertical="top"),
    # Engine-owned cells in user tabs: visibly "not yours" but quiet.
    "engine": _StyleSpec(fill="FFF2F2F2", wrap=True, vertical="top"),
    "engine_header": _StyleSpec(bold=True, fill="FFBFBFBF", wrap=True, vertical="top"),
}
STYLE_NAMES: frozenset[str] = frozenset(_STYLES)

_STYLESHEET_ORDER = [
    "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
    "tableStyles", "colors", "extLst",
]

_MINIMAL_STYLES = (
    '<styleSheet xmlns="{ns}"><fonts count="1"><font><sz val="10"/><name val="Arial"/>'
    '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/>'
    "<right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count=\"1\"><xf numFmtId=\"0\" "
    'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" '
    'fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle '
    'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _element_key(el: etree._Element) -> tuple:
    """Structural identity of a style element, independent of prefixes and attribute order."""
    attrs = tuple(sorted((_local(k) if k.startswith("{") else k, v) for k, v in el.attrib.items()))
    children = tuple(_element_key(c) for c in el if isinstance(c.tag, str))
    return (_local(el.tag), attrs, children)


class _StyleBook:
    """Maps style names to cellXfs indexes, adding fonts/fills/borders/xfs only when missing."""

    def __init__(self, package: _Package) -> None:
        self._package = package
        self._part: str | None = None
        self._root: etree._Element | None = None  # parsed on first use: often not needed at all
        self._ns = ""
        self._cache: dict[str, int] = {}
        self._changed = False

    def _load(self) -> None:
        self._part = self._package.styles_part()
        if self._part is None:
            # A workbook without styles.xml (some generators): start from Excel's minimum.
            self._root = _parse_xml(_MINIMAL_STYLES.format(ns=self._package.main_ns).encode(), "styles.xml")
            self._changed = True
        else:
            self._root = _parse_xml(self._package.read(self._part), self._part)
        self._ns = etree.QName(self._root).namespace or ""

    def _section(self, name: str) -> etree._Element:
        el = self._root.find(f"{{{self._ns}}}{name}")
        if el is None:
            el = etree.Element(f"{{{self._ns}}}{name}")
            _insert_in_order(self._root, el, _STYLESHEET_ORDER)
            self._changed = True
        return el

    def _find_or_add(self, section_name: str, candidate: etree._Element, reserved: int = 0) -> int:
        section = self._section(section_name)
        items = [c for c in section if isinstance(c.tag, str)]
        key = _element_key(candidate)
        for i, item in enumerate(items):
            if i >= reserved and _element_key(item) == key:
                return i
        if section_name == "fills":
            # Excel reserves fill 0 (none) and 1 (gray125) whatever they say; pad if missing.
            for pattern in ("none", "gray125")[len(items):]:
                fill = etree.SubElement(section, f"{{{self._ns}}}fill")
                etree.SubElement(fill, f"{{{self._ns}}}patternFill").set("patternType", pattern)
                items.append(fill)
        section.append(candidate)
        section.set("count", str(len(items) + 1))
        self._changed = True
        return len(items)

    def _e(self, tag: str, **attrs: str) -> etree._Element:
        el = etree.Element(f"{{{self._ns}}}{tag}")
        for k, v in attrs.items():
            el.set(k, v)
        return el

    def _font_id(self, spec: _StyleSpec) -> int:
        fonts = [c for c in self._section("fonts") if isinstance(c.tag, str)]
        named = bool(fonts) and fonts[0].find(f"{{{self._ns}}}name") is not None
        if not (spec.bold or spec.italic or spec.size or spec.font_color) and named:
            return 0
        # Derive from the workbook's default font so engine text matches the user's typeface,
        # always with a name (an unnamed font is shown in each program's own default).
        font = copy.deepcopy(fonts[0]) if fonts else self._e("font")
        if font.find(f"{{{self._ns}}}name") is None:
            font.append(self._e("name", val=FONT_NAME))
        for child in list(font):
            if _local(child.tag) in ("b", "i") or (_local(child.tag) == "color" and spec.font_color):
                font.remove(child)
        if spec.italic:
            font.insert(0, self._e("i"))
        if spec.bold:
            font.insert(0, self._e("b"))
        if spec.size:
            sz = font.find(f"{{{self._ns}}}sz")
            if sz is None:
                sz = etree.SubElement(font, f"{{{self._ns}}}sz")
            sz.set("val", f"{spec.size:g}")
        if spec.font_color:
            font.append(self._e("color", rgb=spec.font_color))
        return self._find_or_add("fonts", font)

    def _fill_id(self, spec: _StyleSpec) -> int:
        if not spec.fill:
            return 0
        fill = self._e("fill")
        pattern = etree.SubElement(fill, f"{{{self._ns}}}patternFill", patternType="solid")
        pattern.append(self._e("fgColor", rgb=spec.fill))
        pattern.append(self._e("bgColor", indexed="64"))
        return self._find_or_add("fills", fill, reserved=2)

    def _border_id(self, spec: _StyleSpec) -> int:
        if not spec.border:
            return 0
        border = self._e("border")
        for side in ("left", "right", "top", "bottom"):
            etree.SubElement(border, f"{{{self._ns}}}{side}", style="thin").append(self._e("color", indexed="64"))
        border.append(self._e("diagonal"))
        return self._find_or_add("borders", border)

    def xf_id(self, name: str) -> int:
        """Index into cellXfs for a named style (see STYLE_NAMES)."""
        if name in self._cache:
            return self._cache[name]
        if self._root is None:
            self._load()
        spec = _STYLES.get(name)
        if spec is None:
            raise ValueError(f"unknown style {name!r}; expected one of {sorted(STYLE_NAMES)}")
        font, fill, border = self._font_id(spec), self._fill_id(spec), self._border_id(spec)
        xf = self._e("xf", numFmtId=str(spec.num_fmt), fontId=str(font), fillId=str(fill), borderId=str(border))
        style_xfs = self._root.find(f"{{{self._ns}}}cellStyleXfs")
        if style_xfs is not None and any(isinstance(c.tag, str) for c in style_xfs):
            xf.set("xfId", "0")  # based on the "Normal" cell style
        for flag, used in (("applyNumberFormat", spec.num_fmt), ("applyFont", font), ("applyFill", fill),
                           ("applyBorder", border), ("applyAlignment", spec.wrap or spec.vertical)):
            if used:
                xf.set(flag, "1")
        if spec.wrap or spec.vertical:
            align = etree.SubElement(xf, f"{{{self._ns}}}alignment")
            if spec.vertical:
                align.set("vertical", spec.vertical)
            if spec.wrap:
                align.set("wrapText", "1")
        self._cache[name] = self._find_or_add("cellXfs", xf)
        return self._cache[name]

    def stage(self) -> None:
        """Stage styles.xml in the package if an entry had to be added."""
        if not self._changed or self._root is None:
            return
        data = _serialize(self._root)
        if self._part is None:
            self._part = self._package.add_styles(data)
        else:
            self._package.write(self._part, data)


# ---------------------------------------------------------------------------
# Worksheet XML surgery (byte level)
# ---------------------------------------------------------------------------

_PREFIX_RE = re.compile(rb"<([A-Za-z_][\w.\-]*:)?sheetData[\s/>]")
_ATTR_RE = re.compile(rb"([\w:.\-]+)\s*=\s*(\"[^\"]*\"|'[^']*')")


def _attrs(raw: bytes) -> list[tuple[bytes, bytes]]:
    """Attributes of a start tag as (name, quoted value) in document order."""
    return [(m.group(1), m.group(2)) for m in _ATTR_RE.finditer(raw)]


def _attr(attrs: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for k, v in attrs:
        if k == name:
            return _xml_unescape(v[1:-1])
    return None


def _render_attrs(attrs: list[tuple[bytes, bytes]]) -> bytes:
    return b"".join(b" " + k + b"=" + v for k, v in attrs)


def _set_attr(attrs: list[tuple[bytes, bytes]], name: bytes, value: str) -> list[tuple[bytes, bytes]]:
    quoted = b'"' + _xml_attr(value).encode() + b'"'
    out = [(k, quoted if k == name else v) for k, v in attrs]
    if all(k != name for k, _ in attrs):
        out.append((name, quoted))
    return out


def _is_true(value: str | None) -> bool:
    return value in ("1", "true")


@dataclass(frozen=True)
class _Pat:
    """Byte patterns for one element prefix ('' or e.g. 'x:' when a generator binds one)."""

    p: bytes
    sheet_data: re.Pattern[bytes]
    row_open: bytes
    row_tag: re.Pattern[bytes]
    row_close: bytes
    cell_tag: re.Pattern[bytes]
    cell_close: bytes
    f_tag: re.Pattern[bytes]
    v_elem: re.Pattern[bytes]
    cols: re.Pattern[bytes]
    col_tag: re.Pattern[bytes]
    dimension: re.Pattern[bytes]
    merge_cells: re.Pattern[bytes]


@functools.lru_cache(maxsize=8)
def _patterns(p: bytes) -> _Pat:
    e = re.escape(p)
    return _Pat(
        p=p,
        sheet_data=re.compile(rb"<" + e + rb"sheetData(?=[\s/>])[^>]*?(/?)>"),
        row_open=b"<" + p + b"row",
        row_tag=re.compile(rb"<" + e + rb"row(?=[\s/>])([^>]*?)(/?)>"),
        row_close=b"</" + p + b"row>",
        cell_tag=re.compile(rb"<" + e + rb"c(?=[\s/>])([^>]*?)(/?)>"),
        cell_close=b"</" + p + b"c>",
        f_tag=re.compile(rb"<" + e + rb"f(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + e + rb"f>)", re.S),
        v_elem=re.compile(rb"<" + e + rb"v(?=[\s/>])[^>]*?(?:/>|>(.*?)</" + e + rb"v>)", re.S),
        cols=re.compile(rb"<" + e + rb"cols(?=[\s/>])[^>]*?(?:/>|>.*?</" + e + rb"cols>)", re.S),
        col_tag=re.compile(rb"<" + e + rb"col(?=[\s/>])([^>]*?)/?>"),
        dimension=re.compile(rb"<" + e + rb"dimension(?=[\s/>])([^>]*?)/?>"),
        merge_cells=re.compile(rb"<" + e + rb"mergeCells(?=[\s/>])[^>]*?(?:/>|>.*?</" + e + rb"mergeCells>)", re.S),
    )


_ROW_NUMBER_RE = re.compile(rb"(?<![\w:.\-])r\s*=\s*[\"'](\d+)[\"']")


_BISECT_ROWS = 200  # rows to write up to which each is found by bisecting rather than by the full index


class _SheetLayout:
    """Where things are in a worksheet part, found without parsing it.

    The row index (``rows``, ``starts``: every row's number and offset) is built on first use;
    `locate` finds one row without it, by bisecting the part's bytes, so patching a handful of
    rows of a year's sheet (28 MB of XML) does not walk its 20,000 row tags."""

    def __init__(self, data: bytes, pat: _Pat, part: str, sd_start: int, content_start: int, content_end: int,
                 sd_end: int) -> None:
        self.data, self.pat, self.part = data, pat, part
        self.sd_start = sd_start  # start of <sheetData ...>
        self.content_start = content_start  # just after the start tag
        self.content_end = content_end  # start of </sheetData> (== content_start for <sheetData/>)
        self.sd_end = sd_end  # just after the element
        self._index: tuple[list[int], list[int]] | None = None
        self._found: dict[int, tuple[int, int]] = {}  # rows found by bisecting

    def _full_index(self) -> tuple[list[int], list[int]]:
        if self._index is None:
            self._index = _index_rows(self.data, self.content_start, self.content_end, self.pat, self.part)
        return self._index

    @property
    def rows(self) -> list[int]:
        """Row numbers, ascending."""
        return self._full_index()[0]

    @property
    def starts(self) -> list[int]:
        """Offset of each <row ...> start tag."""
        return self._full_index()[1]

    def find(self, num: int) -> int:
        """Index of row ``num`` in ``rows``, or where it would be inserted (negative-free bisect)."""
        return bisect.bisect_left(self.rows, num)

    def has(self, i: int, num: int) -> bool:
        return i < len(self.rows) and self.rows[i] == num

    def span(self, i: int) -> tuple[int, int]:
        """Byte span of the i-th <row> element; ends are only looked up for rows we touch."""
        return self._row_span(self.starts[i], self.rows[i])

    def _row_span(self, start: int, num: int) -> tuple[int, int]:
        m = self.pat.row_tag.match(self.data, start)
        assert m is not None
        if m.group(2):
            return start, m.end()
        close = self.data.find(self.pat.row_close, m.end(), self.content_end)
        if close < 0:
            raise SourceUnreadable(f"Trang tính {self.part}: hàng {num} thiếu thẻ đóng.")
        return start, close + len(self.pat.row_close)

    def locate(self, num: int) -> tuple[int, int] | int:
        """Byte span of row ``num``'s element, or the offset where a new row ``num`` goes."""
        if self._index is None:
            if num in self._found:
                return self._found[num]
            start = self._bisect(num)
            if start is not None:
                span = self._found[num] = self._row_span(start, num)
                return span
        i = self.find(num)
        if self.has(i, num):
            return self.span(i)
        return self.starts[i] if i < len(self.rows) else self.content_end

    def _tag_at_or_after(self, pos: int, end: int) -> tuple[int, int | None] | None:
        """(offset, number) of the first row tag starting in [pos, end); number None when the
        tag has no r attribute. Cell text holds no "<" (comments and CDATA are refused), so
        every "<row" in sheetData starts a row tag or an element named like one."""
        stop = min(end + len(self.pat.row_open) - 1, self.content_end)  # a tag starting before end
        while True:
            at = self.data.find(self.pat.row_open, pos, stop)
            if at < 0:
                return None
            m = self.pat.row_tag.match(self.data, at)
            if m is not None:
                r = _ROW_NUMBER_RE.search(m.group(1))
                return at, int(r.group(1)) if r else None
            pos = at + 1

    def _bisect(self, num: int) -> int | None:
        """Offset of the row tag that says r="num", found by bisecting the bytes of sheetData
        (rows are stored in ascending order); None when there is none or a probed tag has no
        r attribute (its number depends on the rows before it: the full index tells)."""
        lo, hi = self.content_start, self.content_end
        # Invariant: row tags starting before lo have numbers < num, those from hi on >= num.
        while lo < hi:
            mid = (lo + hi) // 2
            tag = self._tag_at_or_after(mid, hi)
            if tag is None:
                hi = mid
                continue
            at, r = tag
            if r is None:
                return None
            if r < num:
                lo = at + 1
            else:
                hi = at
        tag = self._tag_at_or_after(lo, self.content_end)
        if tag is None or tag[1] != num:
            return None
        return tag[0]


@dataclass(frozen=True)
class _SheetDataSpan:
    pat: _Pat
    start: int  # start of <sheetData ...>
    content_start: int  # just after the start tag
    content_end: int  # start of </sheetData> (== content_start for <sheetData/>)
    end: int  # just after the element


def _locate_sheet_data(data: bytes, part: str) -> _SheetDataSpan:
    """Find <sheetData> (and the element prefix in use) with two byte searches."""
    m = _PREFIX_RE.search(data)
    if m is None:
        raise SourceUnreadable(f"Trang tính {part} không có phần dữ liệu (sheetData).")
    pat = _patterns(m.group(1) or b"")
    sd = pat.sheet_data.match(data, m.start())
    if sd is None:
        raise SourceUnreadable(f"Trang tính {part}: không nhận diện được thẻ sheetData.")
    if sd.group(1):
        return _SheetDataSpan(pat, sd.start(), sd.end(), sd.end(), sd.end())
    close = b"</" + pat.p + b"sheetData>"
    content_end = data.find(close, sd.end())
    if content_end < 0:
        raise SourceUnreadable(f"Trang tính {part}: thiếu thẻ đóng sheetData.")
    return _SheetDataSpan(pat, sd.start(), sd.end(), content_end, content_end + len(close))


def _has_markup_declaration(data: bytes, start: int = 0, end: int | None = None) -> bool:
    """Whether the bytes may hold a comment, CDATA section or DOCTYPE: all start with "<!", so
    without any "!" (one memchr pass, the common case) they hold none."""
    return data.find(b"!", start, len(data) if end is None else end) >= 0


def _layout(data: bytes, part: str) -> _SheetLayout:
    loc = _locate_sheet_data(data, part)
    pat, content_start, content_end = loc.pat, loc.content_start, loc.content_end
    if _has_markup_declaration(data, content_start, content_end) and (
            data.find(b"<!--", content_start, content_end) >= 0
            or data.find(b"<![CDATA[", content_start, content_end) >= 0):
        # Byte search would mistake text inside these for markup.
        raise SourceUnreadable(f"Trang tính {part} chứa chú thích XML/CDATA trong dữ liệu, chưa được hỗ trợ.")
    return _SheetLayout(data, pat, part, loc.start, content_start, content_end, loc.end)


def _index_rows(data: bytes, start: int, end: int, pat: _Pat, part: str) -> tuple[list[int], list[int]]:
    """Row numbers and start offsets of all <row> elements.

    Cell text cannot contain a literal "<" (comments/CDATA are refused above),
    so every "<row" in sheetData is a row start tag: one regex pass suffices.
    """
    rows: list[int] = []
    starts: list[int] = []
    prev = 0
    search_r = _ROW_NUMBER_RE.search
    for m in pat.row_tag.finditer(data, start, end):
        rm = search_r(m.group(1))
        num = int(rm.group(1)) if rm else prev + 1  # rows without r follow the previous one
        if num <= prev:
            raise SourceUnreadable(f"Trang tính {part}: các hàng không theo thứ tự (hàng {num}).")
        rows.append(num)
        starts.append(m.start())
        prev = num
    return rows, starts


@dataclass
class _Cell:
    col: int
    attrs: list[tuple[bytes, bytes]]
    inner: bytes  # children XML ('' for <c .../>)

    def render(self, p: bytes) -> bytes:
        a = _render_attrs(self.attrs)
        if not self.inner:
            return b"<" + p + b"c" + a + b"/>"
        return b"<" + p + b"c" + a + b">" + self.inner + b"</" + p + b"c>"


@dataclass
class _Row:
    num: int
    attrs: list[tuple[bytes, bytes]]
    cells: list[_Cell]
    tail: bytes  # anything after the last cell (e.g. <extLst>), kept verbatim

    def render(self, p: bytes) -> bytes:
        body = b"".join(c.render(p) for c in self.cells) + self.tail
        return b"<" + p + b"row" + _render_attrs(self.attrs) + b">" + body + b"</" + p + b"row>"


def _parse_row(chunk: bytes, num: int, pat: _Pat, part: str) -> _Row:
    m = pat.row_tag.match(chunk)
    assert m is not None
    row = _Row(num, _attrs(m.group(1)), [], b"")
    if m.group(2):
        return row
    body_end = len(chunk) - len(pat.row_close)
    pos, prev_col = m.end(), 0
    while True:
        c = pat.cell_tag.search(chunk, pos, body_end)
        if c is None:
            row.tail = chunk[pos:body_end]
            return row
        attrs = _attrs(c.group(1))
        ref = _attr(attrs, b"r")
        parsed = parse_ref(ref) if ref else None
        col = parsed[1] if parsed else prev_col + 1
        if ref is None:
            attrs.insert(0, (b"r", b'"' + cell_ref(num, col).encode() + b'"'))
        elif parsed is None:
            raise SourceUnreadable(f"Trang tính {part}: địa chỉ ô “{ref}” không hợp lệ.")
        if col <= prev_col:
            raise SourceUnreadable(f"Trang tính {part}: các ô ở hàng {num} không theo thứ tự.")
        if c.group(2):
            inner, pos = b"", c.end()
        else:
            close = chunk.find(pat.cell_close, c.end(), body_end)
            if close < 0:
                raise SourceUnreadable(f"Trang tính {part}: ô {cell_ref(num, col)} thiếu thẻ đóng.")
            inner, pos = chunk[c.end() : close], close + len(pat.cell_close)
        row.cells.append(_Cell(col, attrs, inner))
        prev_col = col


def _iter_rows(layout: _SheetLayout, part: str, must_contain: Sequence[bytes] = ()) -> Iterable[_Row]:
    """Parse rows lazily, skipping those that contain none of ``must_contain``."""
    data = layout.data
    for i, num in enumerate(layout.rows):
        start, end = layout.span(i)
        chunk = data[start:end]
        if must_contain and not any(marker in chunk for marker in must_contain):
            continue
        yield _parse_row(chunk, num, layout.pat, part)


# -- formulas ------------------------------------------------------------------


@dataclass
class _Formula:
    attrs: list[tuple[bytes, bytes]]
    text: str | None  # None for <f .../> (shared-formula dependents)
    span: tuple[int, int]  # within the cell's inner bytes

    @property
    def shared_index(self) -> str | None:
        return _attr(self.attrs, b"si") if _attr(self.attrs, b"t") == "shared" else None


def _formula(cell: _Cell, pat: _Pat) -> _Formula | None:
    if not cell.inner:
        return None
    m = pat.f_tag.search(cell.inner)
    if m is None:
        return None
    text = _xml_unescape(m.group(2)) if m.group(2) is not None else None
    return _Formula(_attrs(m.group(1)), text, m.span())


def _cached_value(cell: _Cell, pat: _Pat) -> bytes | None:
    """The raw <v> text; None when there is no <v> element at all."""
    m = pat.v_elem.search(cell.inner) if cell.inner else None
    if m is None:
        return None
    return m.group(1) or b""


def _translate(formula: str, origin: tuple[int, int], dest: tuple[int, int]) -> str | None:
    """A shared formula's text as seen from another cell of its range."""
    from openpyxl.formula.translate import Translator, TranslatorError

    try:
        out = Translator("=" + formula, origin=cell_ref(*origin)).translate_formula(cell_ref(*dest))
    except (TranslatorError, ValueError):
        return None
    return out[1:] if out.startswith("=") else out


# -- scanning ------------------------------------------------------------------------

_HT_RE = re.compile(rb"(?<![\w:.\-])ht\s*=\s*[\"']([0-9.eE+\-]+)[\"']")


def _scan_layout(data: bytes, part: str) -> SheetLayout:
    """Row heights and column widths, by a regex pass over the row start tags (no parsing)."""
    loc = _locate_sheet_data(data, part)
    pat = loc.pat
    out = SheetLayout()
    head = data[: loc.start]
    m = pat.cols.search(head)
    if m:
        for c in pat.col_tag.finditer(m.group(0)):
            a = _attrs(c.group(1))
            lo, hi, width = _attr(a, b"min"), _attr(a, b"max"), _attr(a, b"width")
            try:
                lo_i, hi_i, w = int(lo or 0), int(hi or 0), float(width or 0)
            except ValueError:
                continue
            if w > 0 and 0 < lo_i <= hi_i:
                for col in range(lo_i, min(hi_i, lo_i + 1000) + 1):
                    out.col_widths[col] = w
    # Only the rows whose start tag holds "ht" are looked at: each "ht" found is traced back
    # to the tag around it (text containing "ht" is no row tag), instead of a regex pass over
    # every row of a year's sheet.
    pos, end = loc.content_start, loc.content_end
    while True:
        pos = data.find(b"ht", pos, end)
        if pos < 0:
            break
        lt = data.rfind(b"<", loc.content_start, pos)
        pos += 2
        row = pat.row_tag.match(data, lt)
        if row is None or row.end() <= pos:
            continue
        pos = row.end()  # the tag's other "ht" (customHeight) needs no second look
        attrs = row.group(1)
        h = _HT_RE.search(attrs)
        if h is None:
            continue
        r = _ROW_NUMBER_RE.search(attrs)
        try:
            if r is not None:
                out.row_heights[int(r.group(1))] = float(h.group(1))
        except ValueError:
            continue
    return out


def _scan_sheet(data: bytes, part: str) -> dict[tuple[int, int], CellError]:
    loc = _locate_sheet_data(data, part)
    markers = (b"<" + loc.pat.p + b"f", b't="e"', b"t='e'")
    if not any(data.find(marker, loc.content_start, loc.content_end) >= 0 for marker in markers):
        return {}  # the common case: no formulas, no errors -> no parsing at all
    layout = _layout(data, part)
    pat = layout.pat
    found: dict[tuple[int, int], CellError] = {}
    masters: dict[str, tuple[str, tuple[int, int]]] = {}
    for row in _iter_rows(layout, part, markers):
        for cell in row.cells:
            f = _formula(cell, pat)
            is_error = _attr(cell.attrs, b"t") == "e"
            if f is None and not is_error:
                continue
            pos = (row.num, cell.col)
            text = f.text if f else None
            if f is not None and f.shared_index is not None:
                if f.text:
                    masters[f.shared_index] = (f.text, pos)
                elif f.shared_index in masters:
                    master_text, origin = masters[f.shared_index]
                    text = _translate(master_text, origin, pos)
            value = _cached_value(cell, pat)
            if is_error:
                code = _xml_unescape(value).strip() if value else ""
                found[pos] = CellError(code or FORMULA_WITHOUT_VALUE, text)
            elif value is None or (value == b"" and _attr(cell.attrs, b"t") != "str"):
                # t="str" with an empty <v> is a formula whose real result is "".
                found[pos] = CellError(FORMULA_WITHOUT_VALUE, text)
    return found


# -- patching ------------------------------------------------------------------------


@dataclass
class _Write:
    """What to put in one cell."""

    value: CellValue
    fallback_style: str  # style name when the cell is new (and row/column give none)
    use_row_col_style: bool = True


class _SheetPatcher:
    """Applies cell writes to one worksheet part, rebuilding only the rows it touches."""

    def __init__(self, data: bytes, part: str, styles: _StyleBook) -> None:
        self.part = part
        self.layout = _layout(data, part)
        self.pat = self.layout.pat
        self.styles = styles
        self.formulas_removed = False
        self._col_styles = self._column_styles()

    def _column_styles(self) -> list[tuple[int, int, int]]:
        head = self.layout.data[: self.layout.sd_start]
        m = self.pat.cols.search(head)
        out = []
        if m:
            for c in self.pat.col_tag.finditer(m.group(0)):
                a = _attrs(c.group(1))
                lo, hi, s = _attr(a, b"min"), _attr(a, b"max"), _attr(a, b"style")
                # style="0" is the default format (LibreOffice writes it on every column).
                if lo and hi and s and s != "0":
                    out.append((int(lo), int(hi), int(s)))
        return out

    def _new_cell_style(self, row: _Row | None, col: int, write: _Write) -> int:
        if write.use_row_col_style:
            # Excel renders an empty cell with the row's format if it has one, else the column's.
            if row is not None and _is_true(_attr(row.attrs, b"customFormat")):
                s = _attr(row.attrs, b"s")
                if s and s != "0":
                    return int(s)
            for lo, hi, s in self._col_styles:
                if lo <= col <= hi:
                    return s
        return self.styles.xf_id(write.fallback_style)

    def _rewrite_cell(self, cell: _Cell | None, row: _Row | None, row_num: int, col: int, write: _Write) -> _Cell:
        if cell is None:
            attrs = [(b"r", b'"' + cell_ref(row_num, col).encode() + b'"')]
            fresh = True
        else:
            if cell.inner and self.pat.f_tag.search(cell.inner):
                self.formulas_removed = True
            # Cell metadata (cm/vm) describes the old value (dynamic arrays, rich values).
            attrs = [(k, v) for k, v in cell.attrs if k not in (b"t", b"cm", b"vm")]
            s = _attr(cell.attrs, b"s")
            # An empty, unformatted cell element is equivalent to no cell at all.
            fresh = not cell.inner and (s is None or s == "0")
        if fresh:
            xf = self._new_cell_style(row, col, write)
            attrs = [(k, v) for k, v in attrs if k != b"s"]
            if xf:
                attrs.append((b"s", b'"%d"' % xf))
        t, inner = _value_xml(write.value, self.pat.p.decode())
        if t:
            attrs.append((b"t", b'"' + t.encode() + b'"'))
        return _Cell(col, attrs, inner.encode("utf-8"))

    def _apply_to_row(self, row: _Row, writes: Mapping[int, _Write], fixes: Mapping[int, str]) -> None:
        by_col = {c.col: i for i, c in enumerate(row.cells)}
        for col, text in fixes.items():
            cell = row.cells[by_col[col]]
            f = _formula(cell, self.pat)
            assert f is not None
            attrs = [(k, v) for k, v in f.attrs if k not in (b"t", b"si", b"ref")]
            new_f = b"<" + self.pat.p + b"f" + _render_attrs(attrs) + b">" + _xml_text(text).encode() + b"</" + self.pat.p + b"f>"
            cell.inner = cell.inner[: f.span[0]] + new_f + cell.inner[f.span[1] :]
        for col in sorted(writes):
            idx = by_col.get(col)
            new = self._rewrite_cell(row.cells[idx] if idx is not None else None, row, row.num, col, writes[col])
            if idx is not None:
                row.cells[idx] = new
            else:
                cols = [c.col for c in row.cells]
                row.cells.insert(bisect.bisect_left(cols, col), new)
                by_col = {c.col: i for i, c in enumerate(row.cells)}
        spans = _attr(row.attrs, b"spans")
        if spans and row.cells:
            lo, hi = row.cells[0].col, row.cells[-1].col
            try:
                bounds = [int(x) for part in spans.split() for x in part.split(":")]
                lo, hi = min(lo, *bounds), max(hi, *bounds)
            except ValueError:
                pass
            row.attrs = _set_attr(row.attrs, b"spans", f"{lo}:{hi}")

    def _shared_formula_fixes(self, writes: Mapping[tuple[int, int], _Write]) -> dict[tuple[int, int], str]:
        """Dependents of shared formulas whose master cell we are about to overwrite.

        Such dependents only say "same formula as si=N"; once the master is gone
        Excel would declare the file corrupt. They get the formula text spelled out.
        """
        data = self.layout.data
        masters: dict[str, tuple[str, tuple[int, int]]] = {}
        rows_with_writes = sorted({r for r, _ in writes})
        for num in rows_with_writes:
            where = self.layout.locate(num)
            if not isinstance(where, tuple):
                continue
            start, end = where
            if b"shared" not in data[start:end]:
                continue
            row = _parse_row(data[start:end], num, self.pat, self.part)
            for cell in row.cells:
                f = _formula(cell, self.pat)
                if (num, cell.col) in writes and f is not None and f.shared_index is not None and f.text:
                    masters[f.shared_index] = (f.text, (num, cell.col))
        if not masters:
            return {}
        fixes: dict[tuple[int, int], str] = {}
        for row in _iter_rows(self.layout, self.part, (b"si=",)):
            for cell in row.cells:
                pos = (row.num, cell.col)
                f = _formula(cell, self.pat)
                if pos in writes or f is None or f.text or f.shared_index not in masters:
                    continue
                text, origin = masters[f.shared_index]
                translated = _translate(text, origin, pos)
                if translated is None:
                    raise SourceUnreadable(
                        f"Trang tính {self.part}: không thể tách công thức dùng chung ở ô {cell_ref(*pos)}."
                    )
                fixes[pos] = translated
        return fixes

    def apply(self, writes: Mapping[tuple[int, int], _Write], heights: Mapping[int, float] | None = None) -> bytes | _Pieces:
        """Return the new part bytes (the original object when nothing changed)."""
        lay, p = self.layout, self.pat.p
        heights = heights or {}
        if len({r for r, _ in writes} | set(heights)) > _BISECT_ROWS:
            lay.rows  # noqa: B018 — many rows: one pass over every row tag costs less than bisecting each
        fixes = self._shared_formula_fixes(writes)
        by_row: dict[int, tuple[dict[int, _Write], dict[int, str]]] = {}
        for (r, c), w in writes.items():
            by_row.setdefault(r, ({}, {}))[0][c] = w
        for (r, c), text in fixes.items():
            by_row.setdefault(r, ({}, {}))[1][c] = text
        for r in heights:
            by_row.setdefault(r, ({}, {}))

        edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement), sorted by start
        for num in sorted(by_row):
            cell_writes, row_fixes = by_row[num]
            where = lay.locate(num)
            if isinstance(where, tuple):
                start, end = where
                old = lay.data[start:end]
                row = _parse_row(old, num, self.pat, self.part)
                self._apply_to_row(row, cell_writes, row_fixes)
                if num in heights:
                    row.attrs = _with_height(row.attrs, heights[num])
                new = row.render(p)
                if new != old:
                    edits.append((start, end, new))
            else:
                at = where
                row = _Row(num, [(b"r", b'"%d"' % num)], [], b"")
                self._apply_to_row(row, cell_writes, {})
                if num in heights:
                    row.attrs = _with_height(row.attrs, heights[num])
                if row.cells or len(row.attrs) > 1:
                    edits.append((at, at, row.render(p)))
        if not edits:
            return lay.data
        return self._assemble(edits, writes)

    def _assemble(self, edits: list[tuple[int, int, bytes]], writes: Mapping[tuple[int, int], _Write]) -> bytes:
        lay, p = self.layout, self.pat.p
        head = _update_dimension(lay.data[: lay.sd_start], self.pat, writes.keys())
        pieces = [head]
        if lay.content_start == lay.sd_end:  # <sheetData/>: needs an open/close pair now
            pieces.append(b"<" + p + b"sheetData>")
            pieces.extend(new for _, _, new in edits)
            pieces.append(b"</" + p + b"sheetData>")
            pieces.append(lay.data[lay.sd_end :])
            return b"".join(pieces)
        view = memoryview(lay.data)
        pos = lay.sd_start
        for start, end, new in edits:
            pieces.append(view[pos:start])
            pieces.append(new)
            pos = end
        pieces.append(view[pos:])
        return _Pieces(pieces)


def _with_height(attrs: list[tuple[bytes, bytes]], height: float) -> list[tuple[bytes, bytes]]:
    """A row's attributes with its height set (ht, customHeight) or, for 0, removed."""
    kept = [(k, v) for k, v in attrs if k not in (b"ht", b"customHeight")]
    if height <= 0:
        return kept
    return kept + [(b"ht", b'"%s"' % f"{height:g}".encode()), (b"customHeight", b'"1"')]


def _range_bounds(ref: str) -> tuple[int, int, int, int] | None:
    parts = [parse_ref(x) for x in ref.split(":")]
    if not parts or any(x is None for x in parts) or len(parts) > 2:
        return None
    (r1, c1), (r2, c2) = parts[0], parts[-1]  # type: ignore[misc]
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _update_dimension(head: bytes, pat: _Pat, cells: Iterable[tuple[int, int]]) -> bytes:
    """Grow <dimension ref> to include newly written cells (Excel uses it as the used range)."""
    m = pat.dimension.search(head)
    cells = list(cells)
    if m is None or not cells:
        return head
    attrs = _attrs(m.group(1))
    bounds = _range_bounds(_attr(attrs, b"ref") or "")
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    lo_r, lo_c, hi_r, hi_c = min(rows), min(cols), max(rows), max(cols)
    if bounds is not None:
        # Always a union: "A1" may mean "empty sheet" but also "only A1 is filled".
        r1, c1, r2, c2 = bounds
        lo_r, lo_c, hi_r, hi_c = min(lo_r, r1), min(lo_c, c1), max(hi_r, r2), max(hi_c, c2)
        if (lo_r, lo_c, hi_r, hi_c) == bounds:
            return head
    ref = cell_ref(lo_r, lo_c) + (":" + cell_ref(hi_r, hi_c) if (lo_r, lo_c) != (hi_r, hi_c) else "")
    tag = b"<" + pat.p + b"dimension" + _render_attrs(_set_attr(attrs, b"ref", ref)) + b"/>"
    return head[: m.start()] + tag + head[m.end() :]


# -- generated (engine-owned) sheets -------------------------------------------------


def _as_styled(cell: object) -> StyledCell | None:
    # Tolerate bare values in a grid: they are plain text/number cells. A cell of another kind
    # with a value and a style (the engine's SummaryCell) is taken as it is: a year's summary
    # need not be copied cell by cell.
    if cell is None or isinstance(cell, StyledCell):
        return cell
    if hasattr(cell, "value") and isinstance(getattr(cell, "style", None), str):
        return cell  # type: ignore[return-value]
    return StyledCell(cell)  # type: ignore[arg-type]


def _grid_rows_xml(grid: Sequence[Sequence[StyledCell]], styles: _StyleBook, p: bytes) -> tuple[bytes, int, int]:
    """The <row> elements of an engine tab. A year's summary has ~50,000 cells: column letters
    and style attributes are worked out once, text and numbers take a short path."""
    out, max_row, max_col = [], 0, 0
    pstr = p.decode()
    letters: list[str] = [""]
    style_attr: dict[str, str] = {}
    texts: dict[str, str] = {}  # names, headers and labels repeat month after month
    first = next((c for row in grid for c in row if c is not None), None)
    cell_type = type(first) if _as_styled(first) is first else StyledCell
    open_c, close_c = f"<{pstr}c", f"</{pstr}c>"
    open_v, close_v = f"<{pstr}v>", f"</{pstr}v>"
    open_is = f'<{pstr}is><{pstr}t xml:space="preserve">'
    close_is = f"</{pstr}t></{pstr}is>"
    for r, cells in enumerate(grid, start=1):
        row_cells = []
        for c, raw in enumerate(cells, start=1):
            cell = raw if type(raw) is cell_type else _as_styled(raw)
            if cell is None:
                continue
            value, style = cell.value, cell.style
            kind = type(value)
            if kind is str:
                inner = texts.get(value)
                if inner is None:
                    inner = texts[value] = open_is + _cell_text_xml(value) + close_is
                t = ' t="inlineStr"'
            elif kind is float and math.isfinite(value):
                t, inner = "", open_v + repr(value) + close_v
            elif kind is int:
                t, inner = "", open_v + str(value) + close_v
            elif value is None:
                t, inner = "", ""
            else:
                _check_value(value, f"sheet cell {cell_ref(r, c)}")
                t_attr, inner = _value_xml(value, pstr)
                t = f' t="{t_attr}"' if t_attr else ""
            if not inner and style == "text":
                continue  # nothing to show and no visible format: leave the cell out
            s_attr = style_attr.get(style)
            if s_attr is None:
                xf = styles.xf_id(style)
                s_attr = style_attr[style] = f' s="{xf}"' if xf else ""
            while len(letters) <= c:
                letters.append(col_letter(len(letters)))
            ref = f' r="{letters[c]}{r}"'
            row_cells.append(f"{open_c}{ref}{s_attr}{t}>{inner}{close_c}" if inner else f"{open_c}{ref}{s_attr}{t}/>")
            max_col = max(max_col, c)
        if row_cells:
            out.append(f'<{pstr}row r="{r}">' + "".join(row_cells) + f"</{pstr}row>")
            max_row = r
    return "".join(out).encode("utf-8"), max_row, max_col


def _default_widths(grid: Sequence[Sequence[StyledCell]]) -> list[float]:
    """Column widths from content: longest line, bounded so long messages wrap instead."""
    widths: list[float] = []
    for cells in grid:
        for c, raw in enumerate(cells):
            cell = _as_styled(raw)
            if cell is None or cell.value is None or cell.style == "title":
                continue
            text = cell.value if isinstance(cell.value, str) else (_number_text(cell.value) or "")
            longest = max((len(line) for line in text.split("\n")), default=0)
            while len(widths) <= c:
                widths.append(8.0)
            widths[c] = max(widths[c], min(60.0, longest * 1.1 + 2))
    return widths


def _cols_xml(widths: Sequence[float | None], p: bytes) -> bytes:
    items = []
    for i, w in enumerate(widths, start=1):
        if w is None:
            continue
        items.append(f'<{p.decode()}col min="{i}" max="{i}" width="{float(w):g}" customWidth="1"/>')
    if not items:
        return b""
    return f"<{p.decode()}cols>".encode() + "".join(items).encode() + f"</{p.decode()}cols>".encode()


def _dimension_ref(max_row: int, max_col: int) -> str:
    if max_row == 0 or max_col == 0:
        return "A1"
    return "A1" if (max_row, max_col) == (1, 1) else f"A1:{cell_ref(max_row, max_col)}"


def _new_sheet_xml(main_ns: str, rows: bytes, cols: bytes, dim: str) -> bytes:
    sheet_data = b"<sheetData>" + rows + b"</sheetData>" if rows else b"<sheetData/>"
    return (
        _XML_DECLARATION
        + f'<worksheet xmlns="{main_ns}"><dimension ref="{dim}"/>'.encode()
        + b'<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        + cols
        + sheet_data
        + b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    )


def _replace_sheet_content(old: bytes, part: str, rows: bytes, cols: bytes | None, dim: str) -> tuple[bytes, bool]:
    """Swap an existing engine tab's cells, keeping everything else of the part.

    Returns (new bytes, whether the old cells contained formulas). ``cols`` None
    keeps the existing <cols> (the user may have widened them).
    """
    loc = _locate_sheet_data(old, part)
    pat = loc.pat
    had_formulas = old.find(b"<" + pat.p + b"f", loc.content_start, loc.content_end) >= 0
    head, tail = old[: loc.start], old[loc.end :]
    if cols is not None:
        cm = pat.cols.search(head)
        head = head[: cm.start()] + cols + head[cm.end() :] if cm else head + cols
    dm = pat.dimension.search(head)
    if dm:
        tag = b"<" + pat.p + b"dimension" + _render_attrs(_set_attr(_attrs(dm.group(1)), b"ref", dim)) + b"/>"
        head = head[: dm.start()] + tag + head[dm.end() :]
    tail = pat.merge_cells.sub(b"", tail, count=1)
    p = pat.p
    new_sd = b"<" + p + b"sheetData>" + rows + b"</" + p + b"sheetData>" if rows else b"<" + p + b"sheetData/>"
    return head + new_sd + tail, had_formulas


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------


def scan_special_cells(path: PathLike, sheet_names: list[str]) -> dict[str, dict[tuple[int, int], CellError]]:
    """Error cells and never-calculated formulas, per sheet, keyed by 1-based (row, col).

    python-calamine returns '' both for these and for truly empty cells; the
    engine must not score a #REF! or an uncalculated formula as "empty".
    """
    return {name: found[0] for name, found in scan_sheets(path, sheet_names).items()}


def scan_sheets(path: PathLike, sheet_names: list[str]
                ) -> dict[str, tuple[dict[tuple[int, int], CellError], object, SheetLayout]]:
    """Per sheet, in one pass over each worksheet part: `scan_special_cells`, the used extent
    (`guard.sheet_extent`: how big the sheet really is, before reading it) and the layout (row
    heights, column widths)."""
    from sheetsync.backends.xlsx.guard import sheet_extent

    with _Package(Path(path)) as pkg:
        result = {}
        for name in sheet_names:
            part = pkg.worksheet_part(name)
            data = pkg.read(part)
            result[name] = (_scan_sheet(data, part), sheet_extent(data), _scan_layout(data, part))
        return result


def _validate_position(pos: object, where: str) -> tuple[int, int]:
    ok = isinstance(pos, tuple) and len(pos) == 2 and all(isinstance(x, numbers.Integral) for x in pos)
    if ok:
        row, col = int(pos[0]), int(pos[1])  # type: ignore[index]
        if 1 <= row <= MAX_ROWS and 1 <= col <= MAX_COLS:
            return row, col
    raise ValueError(f"{where}: cell position {pos!r} is not a valid 1-based (row, col) in a sheet")


def _collect_heights(patches: Sequence[SheetPatch]) -> dict[str, dict[int, float]]:
    """Row heights per sheet (named as in the first patch naming it)."""
    out: dict[str, dict[int, float]] = {}
    names: dict[str, str] = {}
    for patch in patches:
        if not patch.row_heights:
            continue
        key = _sheet_key(patch.sheet)
        names.setdefault(key, patch.sheet)
        target = out.setdefault(names[key], {})
        for row, height in patch.row_heights.items():
            if not (isinstance(row, numbers.Integral) and 1 <= int(row) <= MAX_ROWS):
                raise ValueError(f"sheet {patch.sheet!r}: row {row!r} is not a valid 1-based row")
            if not (isinstance(height, numbers.Real) and 0 <= float(height) <= 409):
                raise ValueError(f"sheet {patch.sheet!r}: row height {height!r} is not 0–409 points")
            target[int(row)] = float(height)
    return out


def _collect_writes(patches: Sequence[SheetPatch]) -> dict[str, dict[tuple[int, int], _Write]]:
    """Merge patches per sheet; the same cell written twice with different values is a bug."""
    merged: dict[str, dict[tuple[int, int], _Write]] = {}
    names: dict[str, str] = {}
    for patch in patches:
        if patch.new_cell_style not in _STYLES:
            raise ValueError(f"unknown new_cell_style {patch.new_cell_style!r}")
        key = _sheet_key(patch.sheet)
        names.setdefault(key, patch.sheet)
        target = merged.setdefault(names[key], {})
        items = [(pos, _Write(v, patch.new_cell_style)) for pos, v in patch.cells.items()]
        items += [(pos, _Write(v, "engine_header", use_row_col_style=False)) for pos, v in patch.headers.items()]
        for raw_pos, write in items:
            pos = _validate_position(raw_pos, where=f"sheet {patch.sheet!r}")
            _check_value(write.value, f"sheet {patch.sheet!r} cell {pos}")
            if pos in target and target[pos].value != write.value:
                raise ValueError(f"sheet {patch.sheet!r}: cell {pos} is given two different values")
            target[pos] = write
    return {name: writes for name, writes in merged.items() if writes}


def _stage_patches(pkg: _Package, writes_by_sheet: Mapping[str, Mapping[tuple[int, int], _Write]], styles: _StyleBook,
                   heights_by_sheet: Mapping[str, Mapping[int, float]] | None = None) -> bool:
    formulas_removed = False
    heights_by_sheet = heights_by_sheet or {}
    heights_by_key = {_sheet_key(n): h for n, h in heights_by_sheet.items()}
    names = list(writes_by_sheet) + [n for n in heights_by_sheet
                                     if _sheet_key(n) not in {_sheet_key(w) for w in writes_by_sheet}]
    for name in names:
        writes = writes_by_sheet.get(name, {})
        part = pkg.worksheet_part(name)
        original = pkg.read(part)
        patcher = _SheetPatcher(original, part, styles)
        new = patcher.apply(writes, heights_by_key.get(_sheet_key(name)))
        if new is not original:
            pkg.write(part, new)
            formulas_removed |= patcher.formulas_removed
    return formulas_removed


def _stage_replacements(
    pkg: _Package,
    replace_sheets: Mapping[str, Sequence[Sequence[StyledCell]]],
    column_widths: Mapping[str, Sequence[float | None]],
    styles: _StyleBook,
) -> bool:
    formulas_removed = False
    for name, grid in replace_sheets.items():
        widths = column_widths.get(name)
        sheet = pkg.find_sheet(name)
        if sheet is None:
            rows, max_row, max_col = _grid_rows_xml(grid, styles, b"")
            cols = _cols_xml(widths if widths is not None else _default_widths(grid), b"")
            pkg.add_worksheet(name, _new_sheet_xml(pkg.main_ns, rows, cols, _dimension_ref(max_row, max_col)))
            continue
        part = pkg.worksheet_part(name)
        old = pkg.read(part)
        loc = _locate_sheet_data(old, part)
        p = loc.pat.p
        rows, max_row, max_col = _grid_rows_xml(grid, styles, p)
        if widths is not None:
            cols: bytes | None = _cols_xml(widths, p)
        elif loc.pat.cols.search(old, 0, loc.start):
            cols = None  # keep the widths the user may have adjusted
        else:
            cols = _cols_xml(_default_widths(grid), p)
        new, had_formulas = _replace_sheet_content(old, part, rows, cols, _dimension_ref(max_row, max_col))
        if new != old:
            pkg.write(part, new)
            formulas_removed |= had_formulas
    return formulas_removed


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


def _read_only_error(path: Path) -> SourceLocked:
    return SourceLocked(
        f"Tệp “{_display(path)}” chỉ cho phép đọc (không có quyền ghi vào chính tệp), nên hệ thống không ghi gì. "
        "Nếu muốn đồng bộ, hãy bỏ thuộc tính chỉ đọc (Windows: chuột phải → Properties → bỏ Read-only; "
        "Linux: chmod u+w) rồi chạy lại.")


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


def patch_workbook(
    path: PathLike,
    patches: Sequence[SheetPatch] = (),
    replace_sheets: Mapping[str, Sequence[Sequence[StyledCell]]] | None = None,
    column_widths: Mapping[str, Sequence[float | None]] | None = None,
    expected_fingerprint: tuple[int, int] | None = None,
    recalc_on_open: bool = True,
) -> None:
    """Write engine cells and engine tabs into the workbook in one atomic save.

    Only the parts that change are rewritten; every other member keeps its
    exact compressed bytes. When the requested content is already there, the
    file is not touched at all (same bytes, same mtime). ``recalc_on_open``
    sets ``fullCalcOnLoad`` so that user formulas reading engine cells are
    recalculated by Excel instead of showing stale cached results.
    """
    replace_sheets = dict(replace_sheets or {})
    column_widths = dict(column_widths or {})
    writes_by_sheet = _collect_writes(list(patches))
    heights_by_sheet = _collect_heights(list(patches))
    if not writes_by_sheet and not replace_sheets and not heights_by_sheet:
        return
    patched_keys = {_sheet_key(n) for n in writes_by_sheet} | {_sheet_key(n) for n in heights_by_sheet}
    for name in replace_sheets:
        if _sheet_key(name) in patched_keys:
            raise ValueError(f"sheet {name!r} is both patched and replaced")

    # realpath: replace the file a symlink points to, not the link itself.
    target = Path(os.path.realpath(path))
    check_not_locked(target)
    before = fingerprint(target)
    if expected_fingerprint is not None and tuple(expected_fingerprint) != before:
        raise _changed_error(target)

    pkg = _Package(target)
    try:
        styles = _StyleBook(pkg)
        formulas_removed = _stage_patches(pkg, writes_by_sheet, styles, heights_by_sheet)
        formulas_removed |= _stage_replacements(pkg, replace_sheets, column_widths, styles)
        if not pkg.dirty:
            return  # everything already as requested
        styles.stage()
        if formulas_removed:
            pkg.drop_calc_chain()
        if recalc_on_open:
            pkg.request_full_recalc()
        pkg.stage_structure()
        _write_atomically(target, pkg, before)
    finally:
        pkg.close()
