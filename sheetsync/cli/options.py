"""Options shared by the `sheetsync` commands: months, dates and periods as people type them
(`11/2026` or `2026-11`, `26/11/2026` or `2026-11-26`, `Q2/2026`), each parsed by the one
definition in `sheetsync.domain.calendar`."""

from __future__ import annotations

import click

from sheetsync.domain.calendar import parse_date, parse_month, parse_months, parse_quarter, parse_week, parse_year
from sheetsync.errors import PeriodError

MONTH_HELP = "dạng mm/yyyy (11/2026) hoặc yyyy-mm (2026-11)"
DATE_HELP = "dạng dd/mm/yyyy (26/11/2026) hoặc yyyy-mm-dd"


def _parsed(parse):
    def callback(ctx, param, value):
        if value is None:
            return None
        try:
            return parse(value)
        except PeriodError as exc:
            raise click.BadParameter(str(exc)) from None
    return callback


month_option = _parsed(parse_month)
months_option = _parsed(parse_months)
date_option = _parsed(parse_date)
quarter_option = _parsed(parse_quarter)
year_option = _parsed(parse_year)
week_option = _parsed(parse_week)


def formats_list(value: str) -> tuple[str, ...]:
    return tuple(f.strip().lower() for f in value.split(",") if f.strip())


def apply(options):
    """A decorator adding `options` (a list of click decorators) in order."""
    def wrap(f):
        for opt in reversed(options):
            f = opt(f)
        return f
    return wrap


store_option = click.option("--store", help="Kho lịch sử: tệp SQLite hoặc URL PostgreSQL (postgresql+psycopg://...). "
                                            "Mặc định: sheetsync.db cạnh ward.yaml hoặc tệp .xlsx; 'none' để không lưu.")
json_option = click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON cho script, bộ lập lịch.")
profile_option = click.option("--profile", help="Bộ tiêu chí chấm điểm: tên (nd335, hanoi-3814) hoặc đường dẫn YAML.")
as_of_option = click.option("--as-of", "as_of", callback=date_option,
                            help=f"Ngày dùng để xét hạn, {DATE_HELP}. Mặc định: hôm nay.")


def out_option(default: str, help: str):
    """`--out`: the folder a command writes its files into."""
    return click.option("--out", "out", default=default, show_default=True, type=click.Path(file_okay=False), help=help)


def formats_option(default: str, help: str):
    """`--format`: output formats separated by commas (read with `formats_list`)."""
    return click.option("--format", "formats", default=default, show_default=True, help=help)


def templates_option(help: str):
    """`--templates`: a folder of edited templates that override the bundled ones."""
    return click.option("--templates", type=click.Path(exists=True, file_okay=False), help=help)
