"""Small pieces shared by the Google backend and Google `init`: A1 text, serial dates, colours,
and the cell formats that mirror the .xlsx styles (so both backends look alike)."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from typing import Any

import pandas as pd

from sheetsync.domain.a1 import col_letter

EPOCH = dt.datetime(1899, 12, 30)
_MAX_SERIAL = 2958465  # 31/12/9999

ERROR_CODES = {  # Sheets ErrorValue.type → the text a spreadsheet shows
    "ERROR": "#ERROR!", "NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!",
    "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A", "LOADING": "#LOADING",
}


def quote_title(title: str) -> str:
    """A sheet title as A1 notation wants it: always quoted, inner quotes doubled."""
    return "'" + title.replace("'", "''") + "'"


def a1_range(title: str, r1: int, c1: int, r2: int | None = None, c2: int | None = None) -> str:
    """`'Tab'!B3:B9` (1-based, inclusive); with r2=None the range runs to the last row."""
    start = f"{col_letter(c1)}{r1}"
    end_col = col_letter(c2 if c2 is not None else c1)
    end = f"{end_col}{r2}" if r2 is not None else end_col
    return f"{quote_title(title)}!{start}:{end}"


def serial_to_python(serial: float, kind: str) -> Any:
    """A date serial number as the .xlsx reader gives it: a date, or a datetime with a time."""
    if not (1 <= serial <= _MAX_SERIAL) or math.isnan(serial):
        return serial
    value = EPOCH + dt.timedelta(days=serial)
    if kind == "DATE" and serial == int(serial):
        return value.date()
    return value


def python_to_serial(value: dt.date | dt.datetime) -> float:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return (value - EPOCH).total_seconds() / 86400.0


def norm_text(value: Any) -> str | None:
    """Header text compared the way the engine matches headers (NFC, case, spaces)."""
    if not isinstance(value, str):
        return None
    text = " ".join(unicodedata.normalize("NFC", value).split()).casefold()
    return text or None


def rgb(hex_color: str) -> dict[str, float]:
    """'F2F2F2' (or 'FFF2F2F2' ARGB) → a Sheets Color."""
    h = hex_color[-6:]
    return {k: round(int(h[i:i + 2], 16) / 255, 4) for k, i in (("red", 0), ("green", 2), ("blue", 4))}


FONT_FAMILY = "Arial"  # the .xlsx twins name the same font (ooxml.FONT_NAME)


def cell_format(*, bold: bool = False, italic: bool = False, size: int | None = None, color: str | None = None,
                fill: str | None = None, wrap: bool = False, vertical: str | None = None,
                horizontal: str | None = None, number: tuple[str, str] | None = None,
                border: bool = False) -> dict[str, Any]:
    """A CellFormat with only what is asked for, always with the font named."""
    fmt: dict[str, Any] = {}
    text: dict[str, Any] = {"fontFamily": FONT_FAMILY}
    if bold:
        text["bold"] = True
    if italic:
        text["italic"] = True
    if size:
        text["fontSize"] = size
    if color:
        text["foregroundColor"] = rgb(color)
    if text:
        fmt["textFormat"] = text
    if fill:
        fmt["backgroundColor"] = rgb(fill)
    if wrap:
        fmt["wrapStrategy"] = "WRAP"
    if vertical:
        fmt["verticalAlignment"] = vertical
    if horizontal:
        fmt["horizontalAlignment"] = horizontal
    if number:
        fmt["numberFormat"] = {"type": number[0], "pattern": number[1]}
    if border:
        side = {"style": "SOLID", "color": rgb("808080")}
        fmt["borders"] = {"top": side, "bottom": side, "left": side, "right": side}
    return fmt


# The engine-owned summary tab's styles (see ooxml.styles._STYLES for the .xlsx twins).
SUMMARY_STYLES: dict[str, dict[str, Any]] = {
    "title": cell_format(bold=True, size=14),
    "header": cell_format(bold=True, fill="D9D9D9", border=True, wrap=True, vertical="MIDDLE"),
    "text": cell_format(wrap=True, vertical="TOP"),
    "number": cell_format(number=("NUMBER", "0.00"), vertical="TOP"),
    "int": cell_format(number=("NUMBER", "0"), vertical="TOP"),
    "bold": cell_format(bold=True, vertical="TOP"),
    "warning": cell_format(fill="FCD5B4", wrap=True, vertical="TOP"),
    "error": cell_format(fill="FFC7CE", wrap=True, vertical="TOP"),
    "muted": cell_format(italic=True, color="808080", wrap=True, vertical="TOP"),
}
ENGINE_HEADER = cell_format(bold=True, fill="BFBFBF", wrap=True, vertical="MIDDLE", horizontal="CENTER", border=True)
INPUT_HEADER = cell_format(bold=True, fill="DDEBF7", wrap=True, vertical="MIDDLE", horizontal="CENTER", border=True)
ENGINE_CELL = cell_format(fill="F2F2F2", wrap=True, vertical="TOP")
ENGINE_CELL_FIELDS = "userEnteredFormat(backgroundColor,wrapStrategy,verticalAlignment,textFormat.fontFamily)"


def extended_value(value: Any) -> dict[str, Any]:
    """A Python value as a Sheets ExtendedValue; strings stay literal (no formula parsing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        f = float(value)
        return {} if math.isnan(f) else {"numberValue": f}
    if isinstance(value, (dt.date, dt.datetime)):
        return {"numberValue": python_to_serial(value)}
    if hasattr(value, "item"):  # numpy scalar
        return extended_value(value.item())
    return {"stringValue": str(value)}


def pixels(width_chars: float) -> int:
    """An Excel column width (characters) as Sheets pixels."""
    return round(width_chars * 7 + 5)
