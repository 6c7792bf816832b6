"""Click's own texts in Vietnamese (usage lines, option help, error messages).

Click marks its user-facing strings with gettext (`from gettext import gettext as _` in each of
its modules). Rather than shipping a compiled catalogue for the process-wide gettext domain,
`install` rebinds those module-level `_`/`ngettext` names to a lookup in `TEXTS`; a string
missing here stays English, so a newer click degrades gracefully.
"""

from __future__ import annotations

import functools
import importlib
import re

TEXTS = {
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Positional arguments": "Tham số",
    "Show this message and exit.": "In hướng dẫn này rồi thoát.",
    "Show the version and exit.": "In phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem hướng dẫn: '{command} {option}'.",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ ở {param_hint}: {message}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing command.": "Thiếu lệnh.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "Did you mean {possibility}?": "Có phải ý bạn là {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Có phải ý bạn là một trong: {possibilities}?)",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần một giá trị.",
    "Option {name!r} requires {nargs} arguments.": "Tùy chọn {name!r} cần {nargs} giá trị.",
    "Got unexpected extra argument ({args})": "Thừa tham số không mong đợi ({args})",
    "Got unexpected extra arguments ({args})": "Thừa các tham số không mong đợi ({args})",
    "Argument {name!r} takes {nargs} values.": "Tham số {name!r} cần {nargs} giá trị.",
    "Takes {nargs} values but 1 was given.": "Cần {nargs} giá trị nhưng chỉ có 1.",
    "Takes {nargs} values but {len} were given.": "Cần {nargs} giá trị nhưng có {len}.",
    "Aborted!": "Đã dừng.",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "env var: {var}": "biến môi trường: {var}",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải {number_type} hợp lệ.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not one of {choices}.": "{value!r} không thuộc {choices}.",
    "{value!r} is not {choice}.": "{value!r} không phải {choice}.",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} không tồn tại.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} là một thư mục.",
    "{name} {filename!r} is a file.": "{name} {filename!r} là một tệp.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} không đọc được.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} không ghi được.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} không chạy được.",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    "unknown error": "lỗi không xác định",
    "Do you want to continue?": "Tiếp tục?",
    "Error: invalid input": "Lỗi: giá trị không hợp lệ",
}
# Placeholders click makes from a parameter's type or name (`--by TEXT`, `SOURCES...`, `COMMAND`).
METAVARS = {
    "TEXT": "CHỮ", "INTEGER": "SỐ", "FLOAT": "SỐ", "BOOLEAN": "CÓ|KHÔNG", "PATH": "ĐƯỜNG-DẪN", "FILENAME": "TỆP",
    "DIRECTORY": "THƯ-MỤC", "FILE": "TỆP", "SOURCES": "NGUỒN", "SOURCE": "NGUỒN", "WARD_FILE": "TỆP-PHƯỜNG",
    "COMMAND": "LỆNH", "ARGS": "THAM SỐ", "RANGE": "TRONG-KHOẢNG", "EMAIL": "THƯ-ĐIỆN-TỬ", "OPTIONS": "TÙY CHỌN",
}
_WORD = re.compile(r"\b[A-Z][A-Z_]+\b")
MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils", "shell_completion")


def _gettext(message: str) -> str:
    return TEXTS.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


def metavar(text: str | None) -> str | None:
    """A placeholder in Vietnamese: its English words replaced, the rest (`[xlsx|pdf]`) kept."""
    return _WORD.sub(lambda m: METAVARS.get(m.group(0), m.group(0)), text) if text else text


def _translated(method):
    if getattr(method, "_vietnamese", False):
        return method

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        out = method(*args, **kwargs)
        return [metavar(piece) for piece in out] if isinstance(out, list) else metavar(out)

    wrapper._vietnamese = True
    return wrapper


def install() -> None:
    """Make click speak Vietnamese in this process."""
    import click

    # Option rows (`make_metavar`) and usage lines (`collect_usage_pieces`: a group's `COMMAND [ARGS]...`).
    click.Parameter.make_metavar = _translated(click.Parameter.make_metavar)
    for cls in (click.Command, click.Group):
        if "collect_usage_pieces" in vars(cls):
            cls.collect_usage_pieces = _translated(cls.collect_usage_pieces)
    for name in MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - a click without that module
            continue
        if hasattr(module, "_"):
            module._ = _gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext
