"""Bounds checked before any reader touches an .xlsx package.

A workbook is a zip of XML parts, and both readers (python-calamine in Rust, lxml/openpyxl in
Python) inflate whatever the package holds: a 1 MB file whose sheet or shared strings inflate
to 1 GB would take gigabytes of memory, and a single cell at XFD1048576 makes calamine allocate
the whole rectangle up to it (the process aborts). So, before reading:

* the zip central directory is checked (number of parts, declared inflated size of each part
  and of all together, `sheetsync.limits`);
* every part is then inflated once as a stream into nothing, counting bytes, because the
  sizes in the headers can lie; a part that inflates past its bound or to another size than
  it declares is refused;
* XML parts are refused when they carry a DOCTYPE or an entity declaration (Excel never
  writes one; an internal entity would not survive re-serialisation, and an external one is
  a way to read local files);
* `sheet_extent` measures the used cells of a sheet from its XML, so the reader can choose
  between reading a rectangle (fast) and reading cells sparsely.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from sheetsync.domain.a1 import col_number, parse_ref
from sheetsync.errors import SourceTooLarge, SourceUnreadable
from sheetsync.limits import human_bytes, limit

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # signature .. extra length (30 bytes)
_CHUNK = 1 << 20
MAX_COLS = 16_384  # Excel's last column, XFD
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


def _too_large(path: Path, what: str, size: int, bound: int) -> SourceTooLarge:
    return SourceTooLarge(
        f"Tệp {path.name} quá lớn để là một bảng tính thật: {what} bung ra {human_bytes(size)}, "
        f"vượt giới hạn {human_bytes(bound)}. Đơn vị này không được xử lý (các đơn vị khác vẫn chạy). "
        "Hãy mở tệp bằng Excel, xóa các trang/ô thừa rồi lưu lại; nếu tệp thật sự lớn như vậy, "
        "hãy báo bộ phận kỹ thuật nâng giới hạn.", size=size, limit=bound)


def _damaged(path: Path, detail: str) -> SourceUnreadable:
    return SourceUnreadable(f"Tệp {path.name} bị hỏng hoặc không phải tệp Excel bình thường: {detail}. "
                            "Hãy mở tệp bằng Excel và lưu lại (Lưu thành… → Sổ làm việc Excel .xlsx).")


def check_package(path: str | Path) -> None:
    """Refuse the package before anything inflates it for real (see the module docstring)."""
    path = Path(path)
    max_part, max_total = limit("MAX_PART_BYTES"), limit("MAX_TOTAL_BYTES")
    try:
        fh = open(path, "rb")
    except OSError:
        return  # the reader reports it with its own message
    with fh:
        try:
            infos = zipfile.ZipFile(fh).infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise _damaged(path, "không phải tệp .xlsx (zip) hợp lệ, có thể là .xls hoặc tệp có mật khẩu") from exc
        if len(infos) > limit("MAX_ZIP_MEMBERS"):
            raise SourceTooLarge(f"Tệp {path.name} có {len(infos)} thành phần, vượt giới hạn "
                                 f"{limit('MAX_ZIP_MEMBERS')}: không phải một bảng tính thật.")
        declared = 0
        for info in infos:
            if info.file_size > max_part:
                raise _too_large(path, f"thành phần {info.filename}", info.file_size, max_part)
            declared += info.file_size
            if declared > max_total:
                raise _too_large(path, "toàn bộ tệp", declared, max_total)
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            size = _inflate_counting(fh, info, path, min(max_part, max_total - total))
            if size != info.file_size:
                raise _damaged(path, f"thành phần {info.filename} khai báo {info.file_size} byte "
                                     f"nhưng thật ra bung ra {size} byte")
            total += size


def _inflate_counting(fh, info: zipfile.ZipInfo, path: Path, cap: int) -> int:
    """Inflate one member into nothing and return its real size; stop past `cap`."""
    if info.flag_bits & 0x1:
        raise _damaged(path, "tệp zip bị mã hóa")
    fh.seek(info.header_offset)
    head = fh.read(_LOCAL_HEADER.size)
    if len(head) < _LOCAL_HEADER.size or head[:4] != b"PK\x03\x04":
        raise _damaged(path, f"thành phần {info.filename} không có phần đầu hợp lệ")
    name_len, extra_len = struct.unpack_from("<2H", head, 26)
    fh.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
    xml = info.filename.lower().endswith(_XML_SUFFIXES)
    if info.compress_type == zipfile.ZIP_STORED:
        inflater = None
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
    else:
        raise _damaged(path, f"thành phần {info.filename} nén theo kiểu {info.compress_type} mà Excel không dùng")
    remaining, total, tail = info.compress_size, 0, b""
    what = f"thành phần {info.filename}"
    try:
        while remaining > 0:
            chunk = fh.read(min(_CHUNK, remaining))
            if not chunk:
                raise _damaged(path, f"thành phần {info.filename} bị cắt cụt")
            remaining -= len(chunk)
            pending = chunk
            while pending:
                if inflater is None:
                    out, pending = pending, b""
                else:
                    out = inflater.decompress(pending, _CHUNK)
                    pending = inflater.unconsumed_tail
                total += len(out)
                if total > cap:
                    raise _too_large(path, what, total, cap)
                if xml:
                    window = tail + out
                    if any(marker in window for marker in _DTD_MARKERS):
                        raise _damaged(path, f"thành phần {info.filename} có khai báo DOCTYPE/ENTITY "
                                             "(Excel không bao giờ ghi như vậy)")
                    tail = window[-16:]
            if inflater is not None and inflater.eof:
                break
        if inflater is not None:
            total += len(inflater.flush())
    except zlib.error as exc:
        raise _damaged(path, f"thành phần {info.filename} không giải nén được ({exc})") from exc
    if total > cap:
        raise _too_large(path, what, total, cap)
    return total


@dataclass(frozen=True)
class Extent:
    """The used part of a sheet as its XML declares it: last row, last column, cell count,
    and its merged ranges (1-based r1, c1, r2, c2) for the sparse reader."""

    rows: int
    cols: int
    cells: int
    merged: tuple[tuple[int, int, int, int], ...] = ()

    @property
    def rectangle(self) -> int:
        return self.rows * self.cols


_CELL_COLUMN = re.compile(rb"r=[\"']([A-Za-z]{1,3})\d")  # a literal start keeps it fast
_MERGE_REF = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']([^\"']+)[\"']")
_PREFIX = re.compile(rb"<([A-Za-z_][\w.\-]*:)?sheetData[\s/>]")
_ROW_REF = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?row\s[^>]*?\br\s*=\s*[\"'](\d{1,7})[\"']")


def sheet_extent(data: bytes) -> Extent:
    """Bounds of the cells a sheet's XML holds, whatever its <dimension> says (calamine
    ignores it too). Cells without an address (allowed, rare) make the width unknown: it is
    then taken as the widest a sheet can be, which sends the sheet to the sparse reader."""
    pm = _PREFIX.search(data)
    if pm is None:
        return Extent(0, 0, 0)
    start = pm.start()
    end = data.rfind(b"sheetData>")
    end = len(data) if end < start else end
    columns = _CELL_COLUMN.findall(data, start, end)  # cell addresses (row r= are digits only)
    max_col = max((col_number(c.upper().decode()) for c in set(columns)), default=0)
    p = pm.group(1) or b""
    # Cells with attributes ("<c r=... s=...") and bare ones ("<c>"); "<c/>" holds nothing.
    opens = data.count(b"<" + p + b"c ", start, end) + data.count(b"<" + p + b"c>", start, end)
    if opens > len(columns):  # cells placed by order, not by address
        max_col = MAX_COLS
    rows = _last_row_number(data) or data.count(b"<" + p + b"row", start, end)
    merged = tuple(filter(None, (_range_bounds(m.decode("ascii", "replace"))
                                 for m in _MERGE_REF.findall(data, end))))
    return Extent(rows, max_col, max(opens, len(columns)), merged)


def _range_bounds(ref: str) -> tuple[int, int, int, int] | None:
    """`A1:B3` → (1, 1, 3, 2), 1-based (r1, c1, r2, c2); None when it is no range."""
    parts = [parse_ref(x) for x in ref.split(":")]
    if not parts or len(parts) > 2 or any(p is None for p in parts):
        return None
    (r1, c1), (r2, c2) = parts[0], parts[-1]
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _last_row_number(data: bytes) -> int:
    """The number of the last addressed <row> (rows come in order, so it is near the end)."""
    pos = len(data)
    while True:
        pos = data.rfind(b"row", 0, pos)
        if pos < 0:
            return 0
        lt = data.rfind(b"<", 0, pos)
        m = _ROW_REF.match(data, lt) if lt >= 0 else None
        if m is not None and m.start() == lt:
            return int(m.group(1))
