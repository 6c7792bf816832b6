"""Builders of hostile and unlucky inputs, made at test time from a real unit workbook
(no opaque blobs in the repository): a far-away cell, a zip bomb, a lying zip header, a
DOCTYPE with an internal entity, YAML alias bombs, ward.yaml in other encodings."""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

from unitbook import UnitBook


def good_unit(path: Path, unit: str = "Phòng thử nghiệm") -> Path:
    """A small, valid unit workbook: one person, one task, one evaluation."""
    book = UnitBook(path, unit=unit)
    book.person("CB001", "Nguyễn Văn A")
    book.product("SP1", 1)
    book.task("NV001", "CB001", done=1, review="Đạt")
    book.evaluation("CB001")
    book.save()
    return path


def sheet_part(path: Path, title: str) -> str:
    """The zip member holding the worksheet called `title`."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet [^>]*name="' + re.escape(title) + r'"[^>]*r:id="(rId\d+)"', wb).group(1)
    target = re.search(r'Id="' + rid + r'"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="' + rid + '"', rels)
    t = target.group(1) or target.group(2)
    return t.lstrip("/") if t.startswith("/") else "xl/" + t


def rewrite_zip(path: Path, edit: dict[str, bytes | None], *, level: int = 6) -> Path:
    """Rewrite the package with some members replaced (None removes one); others keep
    their content."""
    tmp = path.with_suffix(".tmp-build")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst:
        for info in src.infolist():
            if info.filename in edit:
                data = edit.pop(info.filename)
                if data is None:
                    continue
            else:
                data = src.read(info)
            dst.writestr(info.filename, data)
        for name, data in edit.items():
            if data is not None:
                dst.writestr(name, data)
    tmp.replace(path)
    return path


def read_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def add_cell(path: Path, title: str, ref: str, value: str = "lạc") -> Path:
    """Put one inline-string cell at `ref` (e.g. XFD1048576) in a tab, as its last row or
    in row 1, keeping the XML valid (rows and cells in order)."""
    part = sheet_part(path, title)
    xml = read_member(path, part).decode()
    col, row = re.fullmatch(r"([A-Z]+)(\d+)", ref).groups()
    cell = f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    rows = list(re.finditer(r'<row [^>]*r="(\d+)"[^>]*?(/>|>.*?</row>)', xml, re.S))
    same = next((m for m in rows if m.group(1) == row), None)
    if same is not None:
        chunk = same.group(0)
        if chunk.endswith("/>"):
            new = chunk[:-2] + ">" + cell + "</row>"
        else:
            # Keep cells in column order: drop a cell already at `ref`, insert before the first
            # cell further right.
            head_end = chunk.index(">") + 1
            body = chunk[head_end: -len("</row>")]
            cells = re.findall(r'<c r="([A-Z]+)\d+"[^>]*?(?:/>|>.*?</c>)', body, re.S)
            parts = re.findall(r'<c r="[A-Z]+\d+"[^>]*?(?:/>|>.*?</c>)', body, re.S)
            def width(letters: str) -> int:
                return int("".join(f"{ord(ch) - 64:02d}" for ch in letters.rjust(3, "@")))

            kept = [(c, p) for c, p in zip(cells, parts) if c != col]
            kept.append((col, cell))
            kept.sort(key=lambda cp: width(cp[0]))
            new = chunk[:head_end] + "".join(p for _, p in kept) + "</row>"
        xml = xml[: same.start()] + new + xml[same.end():]
    else:
        new = f'<row r="{row}">{cell}</row>'
        later = next((m for m in rows if int(m.group(1)) > int(row)), None)
        if "<sheetData/>" in xml:
            xml = xml.replace("<sheetData/>", f"<sheetData>{new}</sheetData>")
        elif later is not None:  # rows stay in order, as Excel writes them
            xml = xml[: later.start()] + new + xml[later.start():]
        else:
            xml = xml.replace("</sheetData>", new + "</sheetData>")
    xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{ref}"/>', xml)
    return rewrite_zip(path, {part: xml.encode()})


def inflate_member(path: Path, name: str, size: int, filler: bytes = b" ") -> Path:
    """Make a member inflate to about `size` bytes: whitespace padding inside its XML (a
    zip bomb: a megabyte compressed, hundreds of megabytes inflated)."""
    data = read_member(path, name)
    close = data.rindex(b"</")
    pad = filler * max(0, size - len(data))
    return rewrite_zip(path, {name: data[:close] + pad + data[close:]}, level=9)


def lie_about_size(path: Path, name: str, declared: int) -> Path:
    """Patch the central directory and local header so a member claims to inflate to
    `declared` bytes (headers can lie; the real stream is unchanged)."""
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    # Local header: uncompressed size at offset 22.
    struct.pack_into("<I", raw, info.header_offset + 22, declared)
    # Central directory entry: find it by its file name after the signature.
    sig = b"PK\x01\x02"
    pos = 0
    while True:
        pos = raw.find(sig, pos)
        if pos < 0:
            raise AssertionError("central entry not found")
        name_len = struct.unpack_from("<H", raw, pos + 28)[0]
        if bytes(raw[pos + 46: pos + 46 + name_len]) == name.encode():
            struct.pack_into("<I", raw, pos + 24, declared)
            break
        pos += 4
    path.write_bytes(bytes(raw))
    return path


def add_doctype(path: Path, name: str, entity: str = "Thực thể nội bộ") -> Path:
    """A DOCTYPE with an internal entity used in a cell (Excel never writes one)."""
    data = read_member(path, name).decode()
    root = re.search(r"<(\w+)[\s>]", re.sub(r"^<\?xml[^>]*\?>\s*", "", data)).group(1)
    decl = f'<!DOCTYPE {root} [<!ENTITY e "{entity}">]>'
    if data.startswith("<?xml"):
        data = re.sub(r"(<\?xml[^>]*\?>\s*)", lambda m: m.group(1) + decl, data, count=1)
    else:
        data = decl + data
    # Use the entity where a reader will meet it: a cell's inline text.
    data = data.replace("</sheetData>", '<row r="40"><c r="A40" t="inlineStr"><is><t>&e;</t></is></c></row></sheetData>', 1)
    return rewrite_zip(path, {name: data.encode()})


def alias_bomb(depth: int = 9, width: int = 9) -> str:
    """The billion-laughs YAML: each anchor repeats the previous one `width` times."""
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, depth + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join(f"*a{i - 1}" for _ in range(width)) + "]")
    return "\n".join(lines) + "\n"
