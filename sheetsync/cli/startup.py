"""How a `sheetsync` process treats Python's cyclic garbage collector.

A command is a short process whose start is mostly imports (pandas and numpy alone create some
300,000 objects that live until exit). With the collector's default thresholds those imports
trigger a few hundred collections, each walking the objects made so far, and the interpreter
walks the whole heap again at exit: together about 0.2 s of CPU for `validate` of a small unit,
more than its checks. So the process collects rarely while it imports, moves what the imports
made out of the collector's sight once they are in (`gc.freeze`), and does so again at exit.
Collection itself stays on: a long command (a million-row file, `serve`) still frees its
reference cycles.

Only the `sheetsync` program does this (`run`, its entry point): a program that calls
`sheetsync.cli.main` itself, a test runner for one, keeps its own collector as it is.
"""

from __future__ import annotations

import atexit
import gc
from types import ModuleType

STARTUP_THRESHOLD = 20_000  # allocations between two young-generation collections while importing
_default = gc.get_threshold()
_began = False


def begin() -> None:
    """Collect rarely until `settle`, and spare the exit its walk over the heap (what is alive
    at exit is freed with the process)."""
    global _began
    _began = True
    gc.set_threshold(STARTUP_THRESHOLD, *_default[1:])
    atexit.register(gc.freeze)


def settle() -> None:
    """The command's libraries are loaded: what exists now lives until exit, so the collector
    stops walking it and collects new objects at its usual pace. Nothing without `begin`."""
    if _began:
        gc.freeze()
        gc.set_threshold(*_default)


def load_service() -> ModuleType:
    """`sheetsync.service` (and with it pandas), then `settle`."""
    from sheetsync import service as loaded

    settle()
    return loaded
