"""The engine's memory: every unit's months as synced, frozen approved months, history.

    from sheetsync.history.store import open_store
    store = open_store("ward/sheetsync.db")            # or "postgresql+psycopg://user@host/db"
    store.record_unit(unit, source, evaluation, run_kind="sync")
"""

from sheetsync.history.capture import MonthCapture, capture, row_keys
from sheetsync.history.location import DEFAULT_FILE, default_store_path, store_target
from sheetsync.history.store.db import StoreError
from sheetsync.history.store.store import (
    FreezeState,
    RecordedMonth,
    RecordResult,
    Store,
    open_store,
)

__all__ = [
    "DEFAULT_FILE", "FreezeState", "MonthCapture", "RecordResult", "RecordedMonth", "Store", "StoreError",
    "capture", "default_store_path", "open_store", "row_keys", "store_target",
]
