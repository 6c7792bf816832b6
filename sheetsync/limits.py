"""Every bound that protects the process from a hostile or unlucky input, in one place.

A ward service syncs every unit unattended, so one unit's file must never exhaust memory or
time: past a bound the unit is refused with a clear message (`SourceTooLarge` for a workbook,
`ConfigError` for configuration) and the other units go on. The bounds are generous for real
workbooks (a year-long unit of 20,000 task rows is a 1.5 MB file that inflates to about 20 MB)
and can be raised here, or per run through the environment (`SHEETSYNC_LIMIT_<NAME>`, e.g.
`SHEETSYNC_LIMIT_MAX_PART_BYTES=1000000000`). The README's "An toàn dữ liệu" lists them.
"""

from __future__ import annotations

import os

MB = 1 << 20

# -- .xlsx packages (a zip of XML parts) --------------------------------------------------------
MAX_PART_BYTES = 256 * MB  # the largest one part (a sheet, the shared strings) may inflate to
MAX_TOTAL_BYTES = 512 * MB  # every part of one workbook together, inflated
MAX_ZIP_MEMBERS = 10_000  # parts in one package (a real workbook has tens)
# -- sheets ---------------------------------------------------------------------------------------
MAX_DENSE_CELLS = 8_000_000  # rows x columns read as one rectangle (fast reader); past it, sparse
MAX_USED_CELLS = 8_000_000  # cells holding a value in one sheet (sparse reader), else too large
# -- configuration files (ward.yaml, profiles, schemas, form templates, config.yaml) -----------
MAX_CONFIG_BYTES = 2 * MB  # one YAML file on disk
MAX_YAML_NODES = 200_000  # scalars, lists and maps after aliases are expanded
MAX_TEMPLATE_BYTES = 2 * MB  # one HTML template (--templates)
# -- housekeeping ---------------------------------------------------------------------------------
STALE_TEMP_SECONDS = 15 * 60  # a `.sheetsync-*.tmp` older than this, and unlocked, is removed


def limit(name: str) -> int:
    """The bound called `name`, or its override from `SHEETSYNC_LIMIT_<NAME>`."""
    default = globals()[name]
    raw = os.environ.get(f"SHEETSYNC_LIMIT_{name}", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return default


def human_bytes(n: int) -> str:
    """A size as a person reads it, in Vietnamese number style (1,5 MB)."""
    for unit, size in (("GB", 1 << 30), ("MB", MB), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".replace(".", ",").replace(",0", "") + f" {unit}"
    return f"{n} byte"
