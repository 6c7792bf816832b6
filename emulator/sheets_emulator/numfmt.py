"""Number formats: rendering FORMATTED_VALUE and parsing USER_ENTERED input.

Sheets stores dates as serial numbers (days since 1899-12-30) plus a number
format; what a client reads back depends on both.  USER_ENTERED input is parsed
"as if typed into the UI": ``"53"`` becomes a number, ``"2020-01-01"`` becomes
the serial 43831 with a ``yyyy-mm-dd`` DATE format (so it is shown back the way
it was typed), ``"50%"`` becomes 0.5 with a PERCENT format.  Only the common
formats are implemented; the rest of Google's pattern language degrades to the
general format.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

EPOCH = datetime(1899, 12, 30)
DATE_TYPES = frozenset({"DATE", "TIME", "DATE_TIME"})

DEFAULT_PATTERNS = {
    "NUMBER": "#,##0.00",
    "PERCENT": "0.00%",
    "CURRENCY": "$#,##0.00",
    "SCIENTIFIC": "0.00E+00",
    "DATE": "M/d/yyyy",
    "TIME": "h:mm:ss am/pm",
    "DATE_TIME": "M/d/yyyy H:mm:ss",
}

# Locales that type "1,5" for one and a half and put the day first in dates.
_DECIMAL_COMMA_LOCALES = frozenset(
    {"vi_VN", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "pt_PT", "ru_RU", "id_ID", "nl_NL", "tr_TR", "pl_PL"}
)
_MONTH_FIRST_LOCALES = frozenset({"en_US", "en_PH", "fil_PH"})

MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# --------------------------------------------------------------------------- serials

def to_serial(value: datetime | date) -> float:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    delta = value - EPOCH
    serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    return int(serial) if serial == int(serial) else serial


def from_serial(serial: float) -> datetime:
    # Round to the millisecond so that 0.1-style fractions do not show 59.999 seconds.
    ms = round(serial * 86400000)
    return EPOCH + timedelta(milliseconds=ms)


def is_date_format(number_format: dict[str, Any] | None) -> bool:
    return bool(number_format) and number_format.get("type") in DATE_TYPES  # type: ignore[union-attr]


# --------------------------------------------------------------------------- rendering

def format_general(x: float) -> str:
    """Sheets' automatic format: integers plainly, up to 10 decimals, 15 significant digits."""
    if isinstance(x, bool):
        return "TRUE" if x else "FALSE"
    if x == 0:
        return "0"
    if math.isinf(x) or math.isnan(x):
        return "#NUM!"
    ax = abs(x)
    if ax >= 1e15 or ax < 1e-10:
        mantissa, exp = f"{x:.14E}".split("E")
        mantissa = mantissa.rstrip("0").rstrip(".")
        sign = "-" if exp.startswith("-") else "+"
        return f"{mantissa}E{sign}{abs(int(exp)):02d}"
    digits_before = int(math.floor(math.log10(ax))) + 1 if ax >= 1 else 1
    decimals = max(0, min(10, 15 - digits_before))
    text = _round_half_up(x, decimals)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _round_half_up(x: float, decimals: int) -> str:
    q = Decimal(1).scaleb(-decimals) if decimals else Decimal(1)
    return str(Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP))


def format_number(x: float, number_format: dict[str, Any] | None) -> str:
    """FORMATTED_VALUE of a number under a cell's ``numberFormat``."""
    if not number_format:
        return format_general(x)
    kind = number_format.get("type", "NUMBER")
    if kind == "TEXT":
        return format_general(x)
    pattern = number_format.get("pattern") or DEFAULT_PATTERNS.get(kind)
    if not pattern:
        return format_general(x)
    try:
        return format_pattern(x, pattern)
    except (ValueError, OverflowError):
        return format_general(x)


def _split_sections(pattern: str) -> list[str]:
    sections, current, i = [], "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == '"':
            j = pattern.find('"', i + 1)
            j = len(pattern) - 1 if j < 0 else j
            current += pattern[i : j + 1]
            i = j + 1
            continue
        if ch == "\\" and i + 1 < len(pattern):
            current += pattern[i : i + 2]
            i += 2
            continue
        if ch == ";":
            sections.append(current)
            current = ""
        else:
            current += ch
        i += 1
    sections.append(current)
    return sections


def _tokens(section: str) -> list[tuple[str, str]]:
    """Split a format section into ("lit", text) and ("code", char) pieces."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            j = section.find('"', i + 1)
            j = len(section) if j < 0 else j
            out.append(("lit", section[i + 1 : j]))
            i = j + 1
        elif ch == "\\" and i + 1 < len(section):
            out.append(("lit", section[i + 1]))
            i += 2
        elif ch == "[":
            j = section.find("]", i)
            j = len(section) if j < 0 else j
            inner = section[i + 1 : j]
            if inner.startswith("$"):
                out.append(("lit", inner[1:].split("-")[0]))
            elif inner.lower() in ("h", "hh", "m", "mm", "s", "ss"):
                out.append(("elapsed", inner.lower()))
            i = j + 1
        elif ch == "_" and i + 1 < len(section):
            out.append(("lit", " "))
            i += 2
        elif ch == "*" and i + 1 < len(section):
            i += 2
        else:
            out.append(("code", ch))
            i += 1
    return out


def _is_date_section(tokens: list[tuple[str, str]]) -> bool:
    codes = "".join(c for kind, c in tokens if kind == "code").lower()
    if any(kind == "elapsed" for kind, _ in tokens):
        return True
    if re.search(r"[0#?]", codes):
        return False
    return bool(re.search(r"[dmyhs]", codes))


def format_pattern(x: float, pattern: str) -> str:
    sections = _split_sections(pattern)
    section = sections[0]
    negative_handled = False
    if x < 0 and len(sections) >= 2 and sections[1]:
        section, x, negative_handled = sections[1], -x, True
    elif x == 0 and len(sections) >= 3 and sections[2]:
        section = sections[2]
    tokens = _tokens(section)
    if _is_date_section(tokens):
        return _format_date(x, tokens)
    return _format_numeric(x, tokens, negative_handled)


def _format_numeric(x: float, tokens: list[tuple[str, str]], negative_handled: bool) -> str:
    is_code = [kind == "code" and ch in "0#?.,Ee+-%" for kind, ch in tokens]
    placeholder = [kind == "code" and ch in "0#?" for kind, ch in tokens]
    if not any(placeholder):
        text = "".join(ch for _, ch in tokens)
        return ("-" if x < 0 and not negative_handled else "") + text
    first = placeholder.index(True)
    last = len(placeholder) - 1 - placeholder[::-1].index(True)
    # Extend the numeric span over adjacent separators/exponent markers.
    while first > 0 and is_code[first - 1] and tokens[first - 1][1] in ".,":
        first -= 1
    span = "".join(ch for _, ch in tokens[first : last + 1])
    prefix = "".join(ch for kind, ch in tokens[:first] if kind != "elapsed")
    suffix = "".join(ch for kind, ch in tokens[last + 1 :] if kind != "elapsed")
    if "%" in prefix + suffix:
        x *= 100
    negative = x < 0 and not negative_handled
    x = abs(x)
    exp_match = re.search(r"[Ee][+-]", span)
    exponent_text = ""
    if exp_match:
        mant_spec, exp_spec = span[: exp_match.start()], span[exp_match.end() :]
        exp = 0 if x == 0 else int(math.floor(math.log10(x)))
        int_digits = max(1, len(re.sub(r"[^0#?]", "", mant_spec.split(".")[0])))
        exp -= int_digits - 1
        x = x / (10**exp) if x else 0.0
        sign = "-" if exp < 0 else "+"
        exponent_text = f"E{sign}{abs(exp):0{max(1, exp_spec.count('0'))}d}"
        span = mant_spec
    int_spec, _, frac_spec = span.partition(".")
    grouping = "," in int_spec.strip(",")
    max_frac = len(re.findall(r"[0#?]", frac_spec))
    min_frac = frac_spec.count("0")
    min_int = int_spec.count("0")
    rounded = _round_half_up(x, max_frac)
    int_part, _, frac_part = rounded.partition(".")
    frac_part = frac_part.rstrip("0")
    frac_part = frac_part + "0" * (min_frac - len(frac_part))
    if int_part == "0" and min_int == 0:
        int_part = ""
    int_part = int_part.rjust(min_int, "0")
    if grouping and int_part:
        int_part = f"{int(int_part):,}"
    body = int_part + ("." + frac_part if frac_part else ("." if max_frac and not frac_part and min_frac else ""))
    if not body.strip("."):
        body = "0" if not frac_part else body
    if negative and float(rounded) == 0:
        negative = False
    return ("-" if negative else "") + prefix + body + exponent_text + suffix


_DATE_TOKEN = re.compile(r"am/pm|a/p|yyyy|yy|y|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|\.0+", re.IGNORECASE)


def _format_date(x: float, tokens: list[tuple[str, str]]) -> str:
    moment = from_serial(x)
    # Re-join code characters so that multi-letter tokens can be matched, keeping literals apart.
    pieces: list[tuple[str, str]] = []
    buf = ""
    for kind, ch in tokens:
        if kind == "code":
            buf += ch
        else:
            if buf:
                pieces.append(("code", buf))
                buf = ""
            pieces.append((kind, ch))
    if buf:
        pieces.append(("code", buf))
    parts: list[tuple[str, str]] = []
    for kind, text in pieces:
        if kind != "code":
            parts.append((kind, text))
            continue
        pos = 0
        while pos < len(text):
            m = _DATE_TOKEN.match(text, pos)
            if m:
                parts.append(("tok", m.group(0)))
                pos = m.end()
            else:
                parts.append(("lit", text[pos]))
                pos += 1
    twelve_hour = any(kind == "tok" and t.lower() in ("am/pm", "a/p") for kind, t in parts)
    toks = [i for i, (kind, _) in enumerate(parts) if kind in ("tok", "elapsed")]
    out: list[str] = []
    for idx, (kind, text) in enumerate(parts):
        if kind == "lit":
            out.append(text)
            continue
        if kind == "elapsed":
            total_seconds = round(x * 86400)
            if text.startswith("h"):
                out.append(str(total_seconds // 3600).rjust(len(text), "0"))
            elif text.startswith("m"):
                out.append(str(total_seconds // 60).rjust(len(text), "0"))
            else:
                out.append(str(total_seconds).rjust(len(text), "0"))
            continue
        t = text.lower()
        pos = toks.index(idx)
        prev_tok = parts[toks[pos - 1]][1].lower() if pos > 0 else ""
        next_tok = parts[toks[pos + 1]][1].lower() if pos + 1 < len(toks) else ""
        if t in ("yyyy",):
            out.append(f"{moment.year:04d}")
        elif t in ("yy", "y"):
            out.append(f"{moment.year % 100:02d}")
        elif t in ("m", "mm") and (prev_tok.startswith("h") or next_tok.startswith("s") or prev_tok == "[h]"):
            out.append(f"{moment.minute:02d}" if t == "mm" else str(moment.minute))
        elif t == "m":
            out.append(str(moment.month))
        elif t == "mm":
            out.append(f"{moment.month:02d}")
        elif t == "mmm":
            out.append(MONTHS[moment.month - 1][:3])
        elif t == "mmmm":
            out.append(MONTHS[moment.month - 1])
        elif t == "mmmmm":
            out.append(MONTHS[moment.month - 1][0])
        elif t == "d":
            out.append(str(moment.day))
        elif t == "dd":
            out.append(f"{moment.day:02d}")
        elif t == "ddd":
            out.append(WEEKDAYS[moment.weekday()][:3])
        elif t == "dddd":
            out.append(WEEKDAYS[moment.weekday()])
        elif t in ("h", "hh"):
            hour = moment.hour
            if twelve_hour:
                hour = hour % 12 or 12
            out.append(f"{hour:02d}" if t == "hh" else str(hour))
        elif t in ("s", "ss"):
            out.append(f"{moment.second:02d}" if t == "ss" else str(moment.second))
        elif t.startswith("."):
            frac = moment.microsecond / 1e6
            out.append("." + f"{frac:.{len(t) - 1}f}".split(".")[1])
        elif t == "am/pm":
            am = moment.hour < 12
            out.append("AM" if am else "PM")  # Sheets shows upper case whatever the pattern says
        elif t == "a/p":
            am = moment.hour < 12
            out.append("A" if am else "P")
    return "".join(out)


# --------------------------------------------------------------------------- parsing input

_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)"


def parse_user_entered(text: str, locale: str = "en_US") -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Interpret a typed string: returns (ExtendedValue, numberFormat to apply or None)."""
    if text.startswith("="):
        return {"formulaValue": text}, None
    if text.startswith("'"):
        return {"stringValue": text[1:]}, None
    s = text.strip()
    if s.upper() in ("TRUE", "FALSE"):
        return {"boolValue": s.upper() == "TRUE"}, None
    decimal_comma = locale in _DECIMAL_COMMA_LOCALES
    parsed = _parse_number(s, decimal_comma)
    if parsed is not None:
        return parsed
    parsed = _parse_datetime(s, month_first=locale in _MONTH_FIRST_LOCALES or locale.startswith("en_US"))
    if parsed is not None:
        return parsed
    return {"stringValue": text}, None


def _to_plain(s: str, decimal_comma: bool) -> str:
    """Normalise a locale number to Python syntax (thousands removed, '.' decimal)."""
    if decimal_comma:
        return s.replace(".", "").replace(",", ".")
    return s.replace(",", "")


def _number_value(value: float) -> dict[str, Any]:
    if value == int(value) and abs(value) < 2**53:
        return {"numberValue": int(value)}
    return {"numberValue": value}


def _parse_number(s: str, decimal_comma: bool) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    dec, thou = (",", ".") if decimal_comma else (".", ",")
    d, t = re.escape(dec), re.escape(thou)
    plain = rf"[+-]?(?:\d+(?:{d}\d*)?|{d}\d+)"
    grouped = rf"[+-]?\d{{1,3}}(?:{t}\d{{3}})+(?:{d}\d+)?"
    if re.fullmatch(plain, s):
        return _number_value(float(_to_plain(s, decimal_comma))), None
    m = re.fullmatch(rf"({plain})[eE]([+-]?\d+)", s)
    if m:
        return _number_value(float(_to_plain(m.group(1), decimal_comma) + "e" + m.group(2))), {
            "type": "SCIENTIFIC",
            "pattern": "0.00E+00",
        }
    if re.fullmatch(grouped, s):
        decimals = len(s.split(dec)[1]) if dec in s else 0
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return _number_value(float(_to_plain(s, decimal_comma))), {"type": "NUMBER", "pattern": pattern}
    m = re.fullmatch(rf"({plain}|{grouped})\s?%", s)
    if m:
        number = m.group(1)
        decimals = len(number.split(dec)[1]) if dec in number else 0
        value = float(Decimal(_to_plain(number, decimal_comma)) / 100)
        pattern = "0" + ("." + "0" * decimals if decimals else "") + "%"
        return _number_value(value), {"type": "PERCENT", "pattern": pattern}
    m = re.fullmatch(rf"([+-]?)\$\s?(\d+(?:{d}\d*)?|\d{{1,3}}(?:{t}\d{{3}})+(?:{d}\d+)?)", s)
    if m:
        value = float(_to_plain(m.group(2), decimal_comma))
        if m.group(1) == "-":
            value = -value
        return _number_value(value), {"type": "CURRENCY", "pattern": '"$"#,##0.00'}
    return None


_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*([AaPp][Mm])?"


def _time_fraction(h: str, mi: str, sec: str | None, frac: str | None, ampm: str | None) -> float | None:
    hour, minute = int(h), int(mi)
    second = float((sec or "0") + (frac or ""))
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    if minute > 59 or second >= 60 or hour > 23:
        return None
    return (hour * 3600 + minute * 60 + second) / 86400


def _time_pattern(sec: str | None, ampm: str | None) -> str:
    pattern = "h:mm" + (":ss" if sec is not None else "")
    return pattern + (" am/pm" if ampm else "")


def _parse_datetime(s: str, month_first: bool) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    m = re.fullmatch(_TIME, s)
    if m:
        frac = _time_fraction(*m.groups())
        if frac is None:
            return None
        return _number_value(frac), {"type": "TIME", "pattern": _time_pattern(m.group(3), m.group(5))}
    date_part, time_part = s, None
    if " " in s:
        date_part, _, time_part = s.partition(" ")
        time_part = time_part.strip()
    day = _parse_date(date_part, month_first)
    if day is None:
        return None
    serial_date, pattern = day
    if time_part is None:
        return _number_value(serial_date), {"type": "DATE", "pattern": pattern}
    m = re.fullmatch(_TIME, time_part)
    if not m:
        return None
    frac = _time_fraction(*m.groups())
    if frac is None:
        return None
    return _number_value(serial_date + frac), {
        "type": "DATE_TIME",
        "pattern": pattern + " " + _time_pattern(m.group(3), m.group(5)),
    }


def _parse_date(s: str, month_first: bool) -> tuple[int, str] | None:
    m = re.fullmatch(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})", s)
    if m:
        year, sep, month, dd = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
        pattern = f"yyyy{sep}mm{sep}dd"
    else:
        m = re.fullmatch(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})", s)
        if not m:
            return None
        a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        year = int(y) if len(y) == 4 else (2000 + int(y) if int(y) < 30 else 1900 + int(y))
        month, dd = (a, b) if month_first else (b, a)
        pattern = f"M{sep}d{sep}yyyy" if month_first else f"d{sep}M{sep}yyyy"
    try:
        value = date(year, month, dd)
    except ValueError:
        return None
    return int(to_serial(value)), pattern
