"""How sheetsync treats Python's cyclic garbage collector: the one home of that policy.

A year's unit makes millions of short-lived containers (frames, findings, cells), and a command's
start is mostly imports (pandas and numpy alone create some 300,000 objects that live until
exit). At the default thresholds the collector runs hundreds of times in either and walks every
live object each time: about 0.2 s of CPU for `validate` of a small unit (more than its checks)
and 0.4 s in a year's sync after a small edit (more than writing the file). So:

- the `sheetsync` program collects rarely while it imports (`begin`), not at all while it loads
  the service with pandas and numpy (`loading`: a bounded import that makes hardly a cycle,
  where the collector would otherwise walk the young objects a few times and the survivors once
  more, some 0.03 s of CPU), moves what the imports made out of the collector's sight once they
  are in (`settle`, `gc.freeze`), and again at exit;
- a unit runs with a high young-generation threshold (`collect_rarely`), counted, so that units
  running at once in the ward service's threads restore it only when the last one ends.

Collection stays on outside `loading`, only rarer: a long command (a million-row file, `serve`)
still frees its reference cycles. A program that calls `sheetsync.cli.main` itself (a test
runner) keeps its own start-up collector; only units change it, and only while they run.
"""

from __future__ import annotations

import atexit
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STARTUP_THRESHOLD = 20_000  # allocations between two young-generation collections while importing
UNIT_THRESHOLD = 50_000  # the same while a unit runs
_default = gc.get_threshold()
_began = False
_lock = threading.Lock()
_users = 0
_saved: tuple[int, ...] = ()  # the threshold to restore once the last running unit ends


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


@contextmanager
def loading() -> Iterator[None]:
    """Import the command's libraries without collecting, then `settle` (which also starts the
    young generation's count afresh, so the collector does not run at once). After `begin`
    only; a program that calls `sheetsync.cli.main` itself keeps its collector as it was."""
    if not _began or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        settle()
        gc.enable()


@contextmanager
def collect_rarely() -> Iterator[None]:
    """Python's cyclic collector, less often while a unit runs (never more often than it was)."""
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(UNIT_THRESHOLD, _saved[0]), *_saved[1:])
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                gc.set_threshold(*_saved)
