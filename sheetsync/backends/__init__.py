"""Where unit workbooks live. Every backend hands the engine `SheetGrid`s and applies a
`WritePlan`; the engine itself never knows which one it talks to."""

from __future__ import annotations

from pathlib import Path

from .xlsx import XlsxBackend


class SourceError(Exception):
    """A source that cannot be opened or written: a clear sentence for the user."""


def open_source(spec: str) -> "XlsxBackend":
    """A backend for one source: an .xlsx path (Google sources come with the Google backend)."""
    path = Path(spec)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return XlsxBackend(path)
    raise SourceError(f"Không nhận ra nguồn '{spec}': cần một tệp .xlsx, một thư mục chứa tệp .xlsx hoặc một tệp ward.yaml.")
