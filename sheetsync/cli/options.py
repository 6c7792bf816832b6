"""Option parsers shared by the `sheetsync` commands: months and dates as people type them."""

from __future__ import annotations

import re
from datetime import date

import click

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def month_option(ctx, param, value):
    if value is None:
        return None
    m = MONTH_RE.match(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        # Accept the Vietnamese way of writing it too.
        m2 = re.match(r"^(\d{1,2})/(\d{4})$", value.strip())
        if m2 and 1 <= int(m2.group(1)) <= 12:
            return f"{m2.group(2)}-{int(m2.group(1)):02d}"
        raise click.BadParameter(f"'{value}' không phải tháng; cần dạng yyyy-mm, ví dụ 2026-11.")
    return value.strip()


def as_of_option(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"'{value}' không phải ngày; cần dạng yyyy-mm-dd, ví dụ 2026-11-26.") from None
