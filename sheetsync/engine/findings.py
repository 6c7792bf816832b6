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
    """An append-only collection of findings. Each check adds its findings in bulk (one batch of
    columns per `add_many`); the frame of them all is made once, when asked for: a small unit's
    checks find a few things each, where a frame per check cost more than the check."""

    _frames: list = field(default_factory=list)  # batches and frames, in order (see `frames`)
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
        elif not isinstance(messages, str):
            messages = _objects(messages)
            if len(messages) != len(rows):
                raise ValueError(f"{len(messages)} messages for {len(rows)} rows")
        cells = None
        if col_letter:
            cells = _objects([f"{col_letter}{r}" for r in rows.tolist()])
        self._frames.append(_Batch(rows, {"tab": tab, "cell": cells, "column": column,
                                          "severity": _severity(severity), "code": code, "message": messages,
                                          "key": None}))

    def extend(self, other: Findings) -> None:
        self._frames.extend(other._frames)
        self._single.extend(other._single)

    def frames(self) -> list[pd.DataFrame]:
        """The findings added in bulk, as frames (one per `add_many`, in order)."""
        return [f.frame() if isinstance(f, _Batch) else f for f in self._frames]

    def frame(self) -> pd.DataFrame:
        parts = [f for f in self._frames if len(f)]
        if not parts and not self._single:
            return pd.DataFrame(columns=COLUMNS)
        fast = _joined(parts, self._single)
        if fast is not None:
            return fast
        parts = [f.frame() if isinstance(f, _Batch) else f for f in parts]
        if self._single:
            parts.append(pd.DataFrame(self._single, columns=COLUMNS))
        df = pd.concat(parts, ignore_index=True)[COLUMNS]
        df["row"] = df["row"].astype("Int64")
        return df

    def __len__(self) -> int:
        return sum(len(f) for f in self._frames) + len(self._single)


@dataclass
class _Batch:
    """The findings of one `add_many`: the rows, and each other column as one value or an array."""

    rows: np.ndarray
    columns: dict

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"row": self.rows, **self.columns}, columns=COLUMNS)


_TEXT_COLUMNS = [c for c in COLUMNS if c != "row"]


def _objects(values) -> np.ndarray:
    """Values as a 1-D object array (one per value, whatever each is)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values) if not isinstance(values, (list, np.ndarray)) else values
    return out


def _kind(values: np.ndarray) -> str | None:
    """"text" when every value is text, "none" when every one is None, else None."""
    if all(isinstance(v, str) for v in values):
        return "text"
    if all(v is None for v in values):
        return "none"
    return None


def _joined(parts: list, single: list[dict]) -> pd.DataFrame | None:
    """The parts and single findings as one frame, column by column, as concatenating the parts'
    own frames makes it: a column is `str` where every part's frame holds it as `str`, else
    `object` with each value as it is. A batch's or the singles' column counts as `str` when it
    holds only text, as `object` when only None; None when one holds anything else (text with
    gaps, say): the caller then makes the frames and concatenates them."""
    columns: dict[str, list] = {c: [] for c in COLUMNS}
    kinds: dict[str, set] = {c: set() for c in COLUMNS}
    for part in parts:
        if isinstance(part, _Batch):
            columns["row"].append(part.rows)
            for c, v in part.columns.items():
                kind = "none" if v is None else "text" if isinstance(v, str) else _kind(v)
                if kind is None:
                    return None
                kinds[c].add(kind)
                columns[c].append(v if isinstance(v, np.ndarray) else np.full(len(part), v, dtype=object))
            continue
        if list(part.columns) != COLUMNS or part["row"].dtype != "int64":
            return None
        columns["row"].append(part["row"].to_numpy())
        for c in _TEXT_COLUMNS:  # a frame's column counts as its dtype says (a year's parts are large)
            col = part[c]
            kind = "text" if col.dtype == "str" else "none" if col.dtype == object else None
            if kind is None:
                return None
            kinds[c].add(kind)
            columns[c].append(col.to_numpy(dtype=object))
    if single:
        for c in COLUMNS:
            v = _objects([d[c] for d in single])
            if c != "row":
                kind = _kind(v)
                if kind is None:
                    return None
                kinds[c].add(kind)
            columns[c].append(v)
    data = {}
    for c in COLUMNS:
        arr = np.concatenate(columns[c]) if len(columns[c]) > 1 else columns[c][0]
        if c == "row":
            data[c] = pd.array(arr, dtype="Int64")
        elif kinds[c] == {"text"}:
            if not any(isinstance(v, str) for v in arr):
                return None  # (`str` columns of gaps only: inference would not read them as text)
            data[c] = arr  # read as `str`, as each part's was
        else:
            data[c] = pd.Series(arr, dtype=object, copy=False)
    return pd.DataFrame(data, columns=COLUMNS)


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
