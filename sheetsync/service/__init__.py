"""Every sheetsync command as a plain function returning a result object.

The CLI and the web pages only parse input and show these results; a script or a scheduler
calls them directly:

    from sheetsync import service
    result = service.sync(["ward.yaml"], as_of="2026-11-26")
    for unit in result.units:
        print(unit.unit, unit.error.code if unit.error else unit.evaluation.error_count)
"""

from sheetsync.service.history import (
    PeriodReport,
    PersonHistory,
    RenameResult,
    StatusResult,
    history,
    open_history,
    period,
    quarter,
    rename_unit,
    reopen,
    status,
    write_history_html,
    year,
)
from sheetsync.service.reports import FORMATS, ReportResult, report
from sheetsync.service.setup import init
from sheetsync.service.units import open_run_store, resolve_units, run, run_specs, run_unit, sync, validate

__all__ = [
    "FORMATS", "PeriodReport", "PersonHistory", "RenameResult", "ReportResult", "StatusResult", "history", "init",
    "open_history", "open_run_store", "period", "quarter", "rename_unit", "reopen", "report", "resolve_units", "run", "run_specs", "run_unit", "status",
    "sync", "validate", "write_history_html", "year",
]
