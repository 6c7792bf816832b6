"""Low-level .xlsx layer: the few facts calamine cannot give us, and surgical write-back.

Why this package exists
-----------------------
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

Modules, from the bottom up: ``model`` (the types callers exchange), ``messages``
(Vietnamese errors), ``identity`` (fingerprints), ``xmltext`` / ``xmltree`` (XML text
and parts), ``deflate`` / ``zipwriter`` (the zip layer), ``package`` (the OPC
package), ``styles``, ``tags`` / ``rowindex`` / ``rows`` / ``formulas`` (worksheet
bytes), ``scan``, ``patcher`` (user tabs), ``generated`` (engine tabs), ``atomic``
(the save) and ``patch`` (:func:`patch_workbook`). This module only re-exports
the public names, each loaded when first asked for: reading a workbook (a `validate`) needs
``identity`` and ``scan``, not the writing modules.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the module defining it (relative to this package, or absolute)
_HOMES = {
    "SourceLocked": "sheetsync.errors",
    "SourceChanged": "sheetsync.errors",
    **dict.fromkeys(("CellError", "CellValue", "PathLike", "FORMULA_WITHOUT_VALUE", "MAX_ROWS", "MAX_COLS",
                     "StyledCell", "SheetPatch", "SheetLayout"), ".model"),
    **dict.fromkeys(("STYLE_NAMES", "FONT_NAME", "FONT_SIZE"), ".styles"),
    **dict.fromkeys(("TEMP_PREFIX", "TEMP_SUFFIX", "check_not_locked", "clean_stale_temps"), ".atomic"),
    **dict.fromkeys(("fingerprint", "package_print"), ".identity"),
    **dict.fromkeys(("scan_special_cells", "scan_sheets"), ".scan"),
    "patch_workbook": ".patch",
}
__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

