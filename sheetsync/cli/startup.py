"""How the `sheetsync` program starts: `begin` sets the process up before the command table is
imported (`run`), and the service with pandas is loaded without collecting, then the collector
settles (`load_service`). The collector policy itself lives in `sheetsync.collector`.

numpy's OpenBLAS starts one thread per core when numpy is imported, and they spin for a while
after it: on two cores, some 0.05 s of CPU taken from the command's own start (`validate` of a
small unit spends 0.5 s in all). sheetsync does no linear algebra, only elementwise work, so
the program asks OpenBLAS for one thread unless the environment already says how many."""

from __future__ import annotations

import os
from types import ModuleType

from sheetsync import collector

NUMERIC_THREADS = {"OPENBLAS_NUM_THREADS": "1"}  # read by OpenBLAS once, when numpy is imported


def begin() -> None:
    """The program's process policy, before anything imports numpy: numeric library threads
    (`NUMERIC_THREADS`, an explicit setting in the environment wins) and the collector."""
    for name, value in NUMERIC_THREADS.items():
        os.environ.setdefault(name, value)
    collector.begin()


def load_service() -> ModuleType:
    """`sheetsync.service` (and with it pandas), loaded as `collector.loading` says."""
    with collector.loading():
        from sheetsync import service as loaded
    return loaded
