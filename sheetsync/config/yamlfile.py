"""The one way sheetsync reads a YAML file (ward.yaml, profiles, schemas, form templates,
config.yaml). (Yes/no settings in them are read by `schema.yes_no`.)

Configuration is typed by people in whatever editor is at hand, and sometimes handed over by
someone else, so reading it must never hang, exhaust memory or end in a traceback:

* only a regular file is read (a FIFO or /dev/zero behind a symlink would hang or never end),
  and at most `MAX_CONFIG_BYTES` of it;
* UTF-8 (with or without BOM) and UTF-16/UTF-32 with a BOM (Notepad's "Unicode") are read;
  anything else gets a message naming the encoding to save in, never a UnicodeDecodeError;
* YAML aliases are allowed, but the document as expanded by them is bounded
  (`MAX_YAML_NODES`): a "billion laughs" chain of nested aliases is refused before anything
  walks it, and so is a recursive alias;
* only plain data is built (PyYAML's safe constructors);
* a syntax error is reported with its line and column.
"""

from __future__ import annotations

import codecs
import pickle
from pathlib import Path
from typing import Any

import yaml

from sheetsync.errors import ConfigError, require_regular_file
from sheetsync.limits import human_bytes, limit
from sheetsync.text import shorten

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),  # before UTF-16: same first bytes
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)

SAVE_AS_UTF8 = ("Hãy lưu lại tệp với mã hóa UTF-8 (Notepad: Tệp → Lưu thành → Mã hóa: UTF-8; "
                "Notepad++: Mã hóa → Chuyển sang UTF-8).")


def read_text(path: str | Path, error: type[Exception] = ConfigError, what: str = "tệp cấu hình",
              max_bytes: int | None = None) -> str:
    """A configuration file's text: a regular file, bounded in size, UTF-8 or a BOM'd Unicode."""
    path = Path(path)
    require_regular_file(path, error, what)
    bound = max_bytes or limit("MAX_CONFIG_BYTES")
    try:
        with open(path, "rb") as fh:
            data = fh.read(bound + 1)
    except OSError as exc:
        from sheetsync.errors import os_error_message

        raise error(f"Không đọc được {what}: {os_error_message(exc, path)}") from exc
    if len(data) > bound:
        raise error(f"{what.capitalize()} {path} lớn hơn {human_bytes(bound)}: quá lớn để là tệp cấu hình; "
                    "hãy kiểm tra lại đường dẫn.")
    return decode(data, path, error, what)


def decode(data: bytes, path: str | Path, error: type[Exception] = ConfigError, what: str = "tệp cấu hình") -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise error(f"{what.capitalize()} {path} có dấu BOM của {encoding.upper()} nhưng nội dung bị hỏng "
                            f"(byte {exc.start}). {SAVE_AS_UTF8}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what.capitalize()} {path} không phải văn bản UTF-8 ({_guess(data)}; byte lạ ở vị trí "
                    f"{exc.start}). {SAVE_AS_UTF8}") from None
    if "\x00" in text:
        raise error(f"{what.capitalize()} {path} có vẻ là UTF-16 nhưng thiếu dấu BOM. {SAVE_AS_UTF8}")
    return text


def _guess(data: bytes) -> str:
    """A hint at what the file is, for the message."""
    if data[1:2] == b"\x00" or data[:1] == b"\x00":
        return "có vẻ là UTF-16 không có BOM"
    return "có vẻ là một bảng mã cũ như Windows-1258, TCVN3 (ABC) hoặc VNI"


class _BoundedLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where installed
    """SafeLoader whose document is measured, aliases expanded, before it is constructed."""


def load_yaml(path: str | Path, error: type[Exception] = ConfigError, what: str = "tệp cấu hình") -> Any:
    """Parse one YAML file into plain data (see the module docstring for the bounds)."""
    text = read_text(path, error, what)
    return loads(text, path, error, what)


def loads(text: str, path: str | Path = "<văn bản>", error: type[Exception] = ConfigError,
          what: str = "tệp cấu hình") -> Any:
    """The document `text` holds, as new plain data each time. A text read before in this process
    (the schemas' enums.yaml is read by the schemas, their yes/no settings and the profile's
    ratings) is not parsed again: its document is kept pickled, keyed by the text itself."""
    key = (text, limit("MAX_YAML_NODES"))
    kept = _PARSED.get(key)
    if kept is not None:
        return pickle.loads(kept)
    document = _parse(text, path, error, what)
    if len(text) <= _KEEP_TEXT_CHARS:
        if len(_PARSED) >= _KEEP_DOCUMENTS:
            _PARSED.clear()
        _PARSED[key] = pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)
    return document


_PARSED: dict[tuple[str, int], bytes] = {}
_KEEP_TEXT_CHARS = 256 * 1024  # configuration files are a few KB; a larger text is parsed each time
_KEEP_DOCUMENTS = 64


def _parse(text: str, path: str | Path, error: type[Exception], what: str) -> Any:
    loader = None
    try:
        loader = _BoundedLoader(text)  # the reader refuses some characters at once
        node = loader.get_single_node()
        if node is None:
            return None
        if "*" in text or len(text) > limit("MAX_YAML_NODES") // _NODES_PER_CHARACTER:
            _check_expansion(node, path, error, what)
        return loader.construct_document(node)
    except error:  # ours (a bound crossed); LayoutError is also a ValueError
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (dòng {mark.line + 1}, cột {mark.column + 1})" if mark is not None else ""
        raise error(f"{what.capitalize()} {path} không đúng cú pháp YAML{where}: {exc.problem or exc.context}.") from None
    except yaml.reader.ReaderError as exc:
        raise error(f"{what.capitalize()} {path} có ký tự điều khiển không được phép trong YAML "
                    f"(mã {exc.character:#x}, vị trí {exc.position}); hãy xóa ký tự đó.") from None
    except yaml.YAMLError as exc:
        raise error(f"{what.capitalize()} {path} không đúng cú pháp YAML: {shorten(str(exc), 200)}.") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date such as 2026-13-45
        raise error(f"{what.capitalize()} {path} có giá trị không đọc được ({shorten(str(exc), 120)}); "
                    "hãy đặt giá trị đó trong dấu nháy.") from None
    except RecursionError:
        raise error(f"{what.capitalize()} {path} lồng quá sâu để là tệp cấu hình.") from None
    finally:
        if loader is not None:
            loader.dispose()


# Without an alias (`*name`) nothing expands, and a document holds at most about one node per
# character of its text (a line `?` is a null key and its null value): a document without `*`
# and shorter than MAX_YAML_NODES / 4 characters is within the bound without a walk over its nodes.
_NODES_PER_CHARACTER = 4


def _check_expansion(root: yaml.Node, path, error, what) -> None:
    """Count the nodes of the document as aliases would expand it, without expanding it."""
    bound = limit("MAX_YAML_NODES")
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise error(f"{what.capitalize()} {path} có bí danh YAML (alias) tự tham chiếu, không dùng được.")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child)
                if total > bound:
                    break
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
                if total > bound:
                    break
        active.discard(key)
        if total > bound:
            raise error(f"{what.capitalize()} {path} bung ra hơn {bound:,} phần tử khi mở các bí danh YAML ".replace(",", ".")
                    + "(alias, &tên/*tên): quá lớn để là tệp cấu hình (có thể là tệp độc hại).")
        sizes[key] = total
        return total

    size(root)
