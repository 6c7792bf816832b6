"""How the `sheetsync` program starts: its collector policy begins before the command table is
imported (`run`), and settles once a command has loaded the service and with it pandas
(`load_service`). The policy itself lives in `sheetsync.collector`."""

from __future__ import annotations

from types import ModuleType

from sheetsync import collector


def load_service() -> ModuleType:
    """`sheetsync.service` (and with it pandas), then `collector.settle`."""
    from sheetsync import service as loaded

    collector.settle()
    return loaded
