"""Findings: what validation and scoring found, each at a place a person can go to.

A finding has the tab, the sheet row as the user sees it (None for a whole tab or unit),
the column header, a severity (`error` or `warning`: data, shown as `Lỗi` or `Cảnh báo` only
where a person reads it, see `severity_label`), a stable rule code and a Vietnamese
message saying what was found and what is expected. Checks produce findings in bulk, one
small DataFrame per check, so a check over a million rows costs a mask, not a loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

ERROR = "error"
WARNING = "warning"
VALID = "valid"  # a row with no finding
COLUMNS = ["tab", "row", "cell", "column", "severity", "code", "message", "key"]


def _severity(sev: str) -> str:
    if sev not in (ERROR, WARNING):
        raise ValueError(f"unknown severity {sev!r}")
    return sev


@dataclass
class Findings:
    """An append-only collection of findings, kept as frames until asked for."""

    _frames: list[pd.DataFrame] = field(default_factory=list)
    _single: list[dict] = field(default_factory=list)

    def add(self, tab: str, row: int | None, column: str, severity: str, code: str, message: str,
            cell: str | None = None, key: str | None = None) -> None:
        self._single.append(dict(tab=tab, row=row, cell=cell, column=column,
                                 severity=_severity(severity), code=code, message=message, key=key))

    def add_many(self, tab: str, rows: Sequence[int] | np.ndarray | pd.Index, column: str, severity: str,
                 code: str, messages: str | Sequence[str] | pd.Series, col_letter: str | None = None) -> None:
        """One finding per row; `messages` is one text for all or one per row."""
        rows = np.asarray(rows, dtype="int64")
        if rows.size == 0:
            return
        if isinstance(messages, pd.Series):
            messages = messages.to_numpy(dtype=object)
        frame = pd.DataFrame({
            "tab": tab,
            "row": rows,
            "cell": (np.char.add(col_letter, rows.astype(str)) if col_letter else None),
            "column": column,
            "severity": _severity(severity),
            "code": code,
            "message": messages,
            "key": None,
        })
        self._frames.append(frame)

    def extend(self, other: Findings) -> None:
        self._frames.extend(other._frames)
        self._single.extend(other._single)

    def frame(self) -> pd.DataFrame:
        parts = [f for f in self._frames if len(f)]
        if self._single:
            parts.append(pd.DataFrame(self._single, columns=COLUMNS))
        if not parts:
            return pd.DataFrame(columns=COLUMNS)
        df = pd.concat(parts, ignore_index=True)[COLUMNS]
        df["row"] = df["row"].astype("Int64")
        return df

    def __len__(self) -> int:
        return sum(len(f) for f in self._frames) + len(self._single)


_RANK = {ERROR: 2, WARNING: 1}
_BY_RANK = {2: ERROR, 1: WARNING, 0: VALID}


def worst_by(findings: pd.DataFrame, by: str | list[str]) -> pd.Series:
    """`worst` of the severities of each group of findings (grouped by `by`), as one array
    operation: a year's workbook has a hundred thousand findings."""
    rank = findings["severity"].map(_RANK).fillna(0).astype("int8")
    keys = [findings[b] for b in ([by] if isinstance(by, str) else by)]
    return rank.groupby(keys).max().map(_BY_RANK)


def worst(severities: Iterable[str]) -> str:
    sev = set(severities)
    if ERROR in sev:
        return ERROR
    if WARNING in sev:
        return WARNING
    return VALID
