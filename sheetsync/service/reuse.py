"""Cost follows change: a unit that has not changed since its last sync is not evaluated again.

A sync that leaves a unit's workbook exactly as the engine wants it (nothing to write, or the
write just made) stores, beside the history, a compact form of the unit's result and the key
it was computed under. The next run reads the workbook, computes the key again and, when it
matches, shows the stored result instead of validating, scoring, planning and recording.

The key covers everything the result depends on:
- every cell of every tab as read (input cells *and* engine cells: a person typing into a grey
  column is a change the next sync must undo), merged ranges and cell issues; the engine's
  summary tab by its content apart from the sync time;
- the evaluation date (deadline warnings depend on it), the months asked for, the unit's name
  and whether it is exceptional;
- the effective content of the schemas and the profile, sheetsync's version and its code;
- the unit's frozen months in the store (freezing, reopening).
A key that does not match only costs a full evaluation, so a write whose read-back cannot be
predicted exactly simply leads to one more full sync.

A workbook whose backend can print its package cheaply (.xlsx: every zip member's CRC-32 and
size from the central directory) is not even read when the print is the one a matching read
saw: the print is saved with the result only after the cells read from exactly that package
matched the key (or were evaluated and needed no write), never for a package the engine just
wrote. Any other package, an Excel re-save included, is read and keyed as above.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.engine.findings import COLUMNS, Findings
from sheetsync.engine.grid import SheetGrid
from sheetsync.engine.scoring import MonthPart
from sheetsync.engine.writeplan import SummaryTab, WritePlan
from sheetsync.history.codes import MONTH_CODE
from sheetsync.results import Notice, RecordedEvaluation, UnitResult, plain
from sheetsync.text import normalize_key

FORMAT = 3  # of the stored compact result; part of the key
# Notices that belong to the evaluation (shown again when reused), not to one run's write or record.
EVALUATION_NOTICES = ("run.month-without-data", MONTH_CODE)
SUMMARY_VOLATILE_ROWS = SummaryTab.__dataclass_fields__["volatile_rows"].default


# -- the key ---------------------------------------------------------------------------------------

_code_print: str | None = None


def code_fingerprint() -> str:
    """sheetsync's version and its code as installed (size and time of every module), so that an
    upgrade, or a developer's edit, never shows a result computed by other code."""
    global _code_print
    if _code_print is None:
        import sheetsync

        root = Path(sheetsync.__file__).parent
        h = hashlib.sha256(sheetsync.__version__.encode())
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", "emulator"))
            for name in sorted(filenames):
                if name.endswith((".py", ".yaml", ".yml", ".json")):
                    st = os.stat(os.path.join(dirpath, name))
                    h.update(f"{os.path.relpath(dirpath, root)}/{name}:{st.st_size}:{st.st_mtime_ns};".encode())
        _code_print = h.hexdigest()
    return _code_print


_config_prints: dict[int, tuple[Any, Any, str]] = {}


def config_fingerprint(schemas, profile) -> str:
    """The effective content of the schemas and the profile (every field of their dataclasses;
    where they were loaded from is not part of it)."""
    cached = _config_prints.get(id(schemas) ^ id(profile))
    if cached and cached[0] is schemas and cached[1] is profile:
        return cached[2]
    digest = hashlib.sha256((_content(schemas) + "\n" + _content(profile)).encode()).hexdigest()
    _config_prints[id(schemas) ^ id(profile)] = (schemas, profile, digest)
    return digest


def _content(obj) -> str:
    """Every field of a dataclass but `source` (where it was loaded from), as text."""
    return repr({k: v for k, v in vars(obj).items() if k != "source"})


def _blank(v: Any) -> bool:
    return v is None or v == ""


def _trimmed(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows without their trailing empty cells and the grid without trailing empty rows: a
    sheet's used area grows and shrinks as engine cells are written and cleared."""
    out = []
    for row in rows:
        n = len(row)
        while n and _blank(row[n - 1]):
            n -= 1
        out.append(row if n == len(row) else row[:n])
    while out and not out[-1]:
        out.pop()
    return out


def _summary_rows(rows: list[list[Any]]) -> list[tuple]:
    """The engine's summary tab as `summary_differs` compares it: apart from the sync time,
    blank text as empty, whole numbers as floats."""
    kept = [[None if v == "" else (float(v) if type(v) is int else v) for v in r]
            for i, r in enumerate(rows) if i not in SUMMARY_VOLATILE_ROWS]
    return _trimmed(kept)


class GridText:
    """Each tab's cells as text, row by row (trailing blanks trimmed; the summary tab as
    `summary_differs` compares it): what `content_hash` digests. Kept so that the hash of the
    workbook as written and the month prints redo only the rows a write touched. Each row is
    kept encoded (UTF-8 bytes of its repr): the digest, the month prints and those of the
    workbook as written then join bytes, instead of encoding 10 MB of text in each pass."""

    def __init__(self, grids: dict[str, SheetGrid], summary_title: str):
        self.summary_key = normalize_key(summary_title)
        self.tabs: dict[str, tuple[str, int, list[bytes]]] = {t: self._tab(t, g) for t, g in grids.items()}

    def _is_summary(self, title: str) -> bool:
        return normalize_key(title) == self.summary_key

    def _tab(self, title: str, g: SheetGrid) -> tuple[str, int, list[bytes]]:
        summary = self._is_summary(title)
        rows = _summary_rows(g.rows) if summary else _trimmed(g.rows)
        meta = repr((title, summary, g.first_row, g.first_col, sorted(g.merged),
                     sorted((k, repr(v)) for k, v in g.issues.items())))
        return meta, g.first_row, [repr(r).encode() for r in rows]

    def digest(self) -> str:
        h = hashlib.sha256()
        for meta, _, rows in self.tabs.values():
            h.update(meta.encode())
            h.update(b"\n".join(rows))
            h.update(b"\x00")
        return h.hexdigest()

    def written(self, grids: dict[str, SheetGrid], plan: WritePlan) -> GridText:
        """The text of `written_grids(grids, plan)`, with only the rows `plan` writes redone."""
        out = object.__new__(GridText)
        out.summary_key = self.summary_key
        out.tabs = dict(self.tabs)
        for p in plan.patches:
            if not p or p.title not in grids or self._is_summary(p.title):
                continue
            g = grids[p.title]
            changed, height = _patched_rows(g, p)
            meta, first, rows = self.tabs[p.title]
            rows = rows + [b"[]"] * (height - len(rows))
            for i in set(changed) | {p.header_row - g.first_row}:
                if 0 <= i < height:
                    row = _trimmed([changed[i] if i in changed else g.rows[i] if i < len(g.rows) else []])
                    rows[i] = repr(row[0]).encode() if row else b"[]"
            while rows and rows[-1] == b"[]":
                rows.pop()
            out.tabs[p.title] = (meta, first, rows)
        if plan.summary is not None:
            out.tabs[plan.summary.title] = self._tab(plan.summary.title, written_summary(grids, plan.summary))
        return out

    def month_prints(self, ev, context: tuple, layout: MonthLayout | None = None) -> dict[str, str]:
        """A print of each month of the tabs that have months (`history.capture.MONTH_TABS`):
        the month's rows as text (with their positions) and everything else the month's record
        depends on, which is hashed into every month: `context` (configuration, date, frozen
        months), every other tab, the rows that belong to no month, and the key columns of
        every row (a row's key is numbered after earlier rows with the same key). Equal prints
        mean an equal capture of the month (see `history.capture.capture_month`). `layout` is
        `MonthLayout(ev)` when the caller already made it (it depends on `ev` alone)."""
        layout = layout or MonthLayout(ev)
        ctx = hashlib.sha256(repr(context).encode())
        for keys in layout.key_prints:
            ctx.update(keys)
        chunks: dict[str, list[bytes]] = {}
        for t, (title, (meta, first, rows)) in enumerate(self.tabs.items()):
            if self._is_summary(title):
                continue  # written by the engine from the months; no month's record reads it
            ctx.update(meta.encode())
            groups = layout.groups(title, first, len(rows))
            if groups is None:
                ctx.update(b"\n".join(rows))
                continue
            loose, by_month = groups
            ctx.update(_chunk(t, rows, loose))
            for m, positions in by_month.items():
                chunks.setdefault(m, []).append(_chunk(t, rows, positions))
        base = ctx.hexdigest().encode()
        return {m: hashlib.sha256(base + b"".join(parts)).hexdigest() for m, parts in chunks.items()}


def _chunk(t: int, rows: list[bytes], positions: np.ndarray) -> bytes:
    """Rows of tab number `t` at `positions` (0-based), with those positions, as bytes that tell
    apart any two sets of rows (the count and positions first, then the texts: a row's text is
    a repr, with no raw line break)."""
    return (b"%d:%d:" % (t, len(positions)) + positions.tobytes() + b"\n"
            + b"\n".join([rows[i] for i in positions.tolist()]))


class MonthLayout:
    """What the month prints take from an evaluation (`GridText.month_prints`): each month tab's
    rows by month, and a print of the key columns of its rows. Made once per evaluation: the
    prints of the workbook as read and as written share it."""

    def __init__(self, ev):
        from sheetsync.history.capture import MONTH_TABS

        self._rows: dict[str, tuple[np.ndarray, np.ndarray, list[str]]] = {}  # title → sheet rows, month codes, months
        self._groups: dict[tuple[str, int, int], tuple[np.ndarray, dict[str, np.ndarray]]] = {}
        self.key_prints: list[bytes] = []
        for name in MONTH_TABS:
            tab = ev.tabs.get(name)
            if tab is None or name not in ev.bound:
                continue
            mf = tab.schema.month_field
            col = tab.values[mf].reindex(tab.rows) if mf and mf in tab.values else pd.Series(dtype=object)
            col = col[[isinstance(m, str) for m in col.tolist()]]
            title = ev.bound[name].title
            codes, months = pd.factorize(col, sort=True)
            self._rows[title] = (col.index.to_numpy(dtype="int64"), codes, list(months))
            keys = [k for k in tab.schema.key if k in tab.values]
            if keys and len(tab.rows):
                self.key_prints.append(pd.util.hash_pandas_object(tab.values.loc[tab.rows, keys].astype(str),
                                                                  index=True).to_numpy().tobytes())

    def rows_in(self, title: str, months) -> np.ndarray:
        """The sheet rows of the tab titled `title` that belong to one of `months`."""
        if title not in self._rows:
            return np.empty(0, dtype="int64")
        rows, codes, names = self._rows[title]
        wanted = [i for i, m in enumerate(names) if m in months]
        return rows[np.isin(codes, wanted)]

    def groups(self, title: str, first: int, height: int) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """For a tab with months whose text starts at sheet row `first` and has `height` rows:
        the positions (0-based, ascending) of the rows that belong to no month, and of each
        month's rows. None for a tab without months."""
        if title not in self._rows:
            return None
        key = (title, first, height)
        if key not in self._groups:
            rows, codes, months = self._rows[title]
            pos = rows - first
            inside = (pos >= 0) & (pos < height)
            pos, codes = pos[inside], codes[inside]
            order = np.argsort(pos, kind="stable")
            pos, codes = pos[order], codes[order]
            loose = np.setdiff1d(np.arange(height, dtype="int64"), pos, assume_unique=True)
            self._groups[key] = (loose, {months[c]: pos[codes == c] for c in np.unique(codes).tolist()})
        return self._groups[key]


def content_hash(grids: dict[str, SheetGrid], summary_title: str) -> str:
    """The hash of a unit's cells as read (see the module's docstring)."""
    return GridText(grids, summary_title).digest()


def _as_read(value: Any, blank: Any) -> Any:
    """A written value as the reader gives it back: numbers as floats, empty as the grid's blank."""
    if value is None or value == "":
        return blank
    if type(value) is int:
        return float(value)
    return value


def _patched_rows(g: SheetGrid, p) -> tuple[dict[int, list], int]:
    """The rows of `g` (by index) that patch `p` changes, as the next read should give them,
    and the number of rows the tab will then have."""
    blank = "" if any(v == "" for r in g.rows[:200] for v in r) else None
    changed: dict[int, list] = {}
    height = len(g.rows)
    cells = {**{(p.header_row, c): t for c, t in p.new_headers.items()}, **p.cells}
    for (r, c), v in cells.items():
        i, j = r - g.first_row, c - g.first_col
        if i < 0 or j < 0:
            continue
        row = changed.get(i)
        if row is None:
            row = changed[i] = list(g.rows[i]) if i < len(g.rows) else []
        height = max(height, i + 1)
        if len(row) <= j:
            row.extend([blank] * (j + 1 - len(row)))
        row[j] = _as_read(v, blank)
    return changed, height


def written_summary(grids: dict[str, SheetGrid], s: SummaryTab) -> SheetGrid:
    """The summary tab as the next read should give it once `s` has been written."""
    old = grids.get(s.title)
    return SheetGrid(s.title, [[c.value for c in row] for row in s.grid], 1, 1, old.merged if old else [], {})


def written_grids(grids: dict[str, SheetGrid], plan: WritePlan) -> dict[str, SheetGrid]:
    """The unit's cells as the next read should give them once `plan` has been written (the
    tabs it touches copied). A wrong guess costs one full evaluation, never a wrong result."""
    out = dict(grids)
    for p in plan.patches:
        if not p or p.title not in grids:
            continue
        g = grids[p.title]
        changed, height = _patched_rows(g, p)
        rows = [changed.get(i, r) for i, r in enumerate(g.rows)]
        rows += [changed.get(i, []) for i in range(len(g.rows), height)]
        out[p.title] = SheetGrid(g.title, rows, g.first_row, g.first_col, g.merged, g.issues)
    if plan.summary is not None:
        out[plan.summary.title] = written_summary(grids, plan.summary)
    return out


def month_context(*, schemas, profile, as_of: pd.Timestamp, months: list[str] | None, unit: str,
                  exceptional: bool, frozen: list[tuple[str, int]]) -> tuple:
    """What a month's record depends on besides the workbook's cells (see `GridText.month_prints`)."""
    return (FORMAT, code_fingerprint(), config_fingerprint(schemas, profile),
            as_of.date().isoformat() if as_of is not None else date.today().isoformat(),
            sorted(months) if months else None, unit, bool(exceptional), sorted(frozen))


def run_key(content: str, *, schemas, profile, as_of: pd.Timestamp, months: list[str] | None, unit: str,
            exceptional: bool, frozen: list[tuple[str, int]]) -> str:
    parts = (FORMAT, code_fingerprint(), config_fingerprint(schemas, profile), content,
             as_of.date().isoformat() if as_of is not None else date.today().isoformat(),
             sorted(months) if months else None, unit, bool(exceptional), sorted(frozen))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


PACKAGE = "package:"  # a package print in place of the content hash (never a hex digest)


def package_key(package: str, **context) -> str:
    """The key of a result for a workbook package as `ooxml.package_print` tells it: the same
    as `run_key` with the package's print in place of the cells' hash. Saved only for a package
    whose cells were read and matched (`run_unit`), so equal keys mean the same cells, date,
    configuration, frozen months and unit without reading them."""
    return run_key(PACKAGE + package, **context)


# -- the compact result ----------------------------------------------------------------------------

class RecordedFreeze(dict):
    """A unit's freeze report as recorded (what `FreezeReport.to_dict` gave)."""

    def to_dict(self) -> dict:
        return dict(self)

    @property
    def edited_months(self) -> list[str]:
        return sorted({e["month"] for e in self.get("edits", [])})


def packed_column(values: pd.Series | list) -> dict:
    """A column as its distinct values (as JSON gives them back) and, per entry, the index of its
    value packed as little-endian integers in base64 (a missing value points past the end). A
    year has a hundred thousand findings drawn from a few thousand values: this is written and
    read back as a handful of strings instead of a list per column."""
    codes, uniques = pd.factorize(values if isinstance(values, pd.Series) else pd.Series(values, dtype=object),
                                   use_na_sentinel=True)
    n = len(uniques)
    size = "<u1" if n < 0xFF else "<u2" if n < 0xFFFF else "<u4"
    packed = np.where(codes < 0, n, codes).astype(size)
    return {"values": [u if type(u) is str else plain(u) for u in uniques.tolist()], "size": size,
            "codes": base64.b64encode(packed.tobytes()).decode("ascii")}


def unpacked_column(data: dict) -> list:
    """The column `packed_column` was given, as a list (a missing value as None)."""
    table = np.empty(len(data["values"]) + 1, dtype=object)
    table[:-1] = data["values"]
    return table[np.frombuffer(base64.b64decode(data["codes"]), dtype=data["size"])].tolist()


def compact(result: UnitResult) -> dict:
    """What a reused result needs, as JSON: findings (with their row's month), counts, scores,
    the freeze report and the evaluation's notices."""
    ev = result.evaluation
    f = ev.findings
    # Column by column, packed (`packed_column`): a year has a hundred thousand findings.
    findings = {k: packed_column(f[k] if k in f else [None] * len(f)) for k in COLUMNS}
    findings["month"] = packed_column(ev.month_of_findings(f))
    return {
        "unit": result.unit,
        "months": list(ev.months),
        "month_filter": ev.month_filter,
        "as_of": ev.as_of.date().isoformat(),
        "summaries": ev.month_summaries(),
        "staff": ev.staff_ids(),
        "findings": findings,
        "freeze": result.freeze.to_dict() if result.freeze is not None else None,
        "notices": [n.to_dict() for n in result.notices if n.code in EVALUATION_NOTICES],
    }


def restore(result: UnitResult, data: dict) -> None:
    """Fill `result` from a compact result."""
    columns = [*COLUMNS, "month"]
    f = pd.DataFrame({k: unpacked_column(data["findings"][k]) for k in columns}, columns=columns)
    f["row"] = f["row"].astype("Int64")
    result.unit = data["unit"]
    result.evaluation = RecordedEvaluation(data["unit"], f, list(data["months"]), data["summaries"],
                                           list(data["staff"]), pd.Timestamp(data["as_of"]), data["month_filter"])
    result.freeze = RecordedFreeze(data["freeze"]) if data.get("freeze") is not None else None
    result.notices.extend(Notice(n["code"], n["message"], n["level"]) for n in data.get("notices", []))
    result.reused = True


# -- a month's scoring, kept for the next evaluation ----------------------------------------------

PART_FORMAT = 1  # of a stored month part; a part of another format or code is not offered


def _missing_kind(v: Any) -> str | None:
    if v is None:
        return None
    if v is pd.NA:
        return "NA"
    if v is pd.NaT:
        return "NaT"
    if isinstance(v, float) and v != v:
        return "nan"
    return None


_MISSING = {"NA": pd.NA, "NaT": pd.NaT, "nan": float("nan")}


def _cell_data(v: Any) -> Any:
    """A value of an object column as JSON: text, numbers, booleans and None as they are; a date
    as {"ts": iso}; anything else is refused (the part is then not kept)."""
    if isinstance(v, pd.Timestamp):
        return {"ts": v.isoformat()}
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if v is None or isinstance(v, (str, bool, int, float)):
        return v
    raise TypeError(f"cannot keep a {type(v).__name__} in a month part")


def _cell_value(v: Any) -> Any:
    return pd.Timestamp(v["ts"]) if isinstance(v, dict) else v


def frame_data(df: pd.DataFrame) -> dict:
    """A frame as JSON that `frame_from` gives back exactly: index, column order, dtypes, values,
    and in object columns which missing value (None, NaN, NA, NaT) stood where."""
    out: dict = {"index": df.index.to_numpy(dtype="int64").tolist(), "columns": [], "dtypes": [], "values": [],
                 "missing": []}
    for c in df.columns:
        col = df[c]
        dtype = str(col.dtype)
        if dtype == "object":
            vals = col.tolist()
            missing = {i: k for i, k in ((i, _missing_kind(v)) for i, v in enumerate(vals)) if k}
            values = [None if i in missing else _cell_data(v) for i, v in enumerate(vals)]
        elif dtype in ("float64", "bool", "int64", "Int64", "boolean", "str", "string") or dtype.startswith("datetime64"):
            missing = {i: "na" for i, v in enumerate(col.isna().tolist()) if v}
            if dtype.startswith("datetime64"):
                values = [None if i in missing else v.isoformat() for i, v in enumerate(col.tolist())]
            else:
                values = [None if i in missing else plain(v) for i, v in enumerate(col.tolist())]
        else:
            raise TypeError(f"cannot keep a column of {dtype} in a month part")
        out["columns"].append(c)
        out["dtypes"].append(dtype)
        out["values"].append(values)
        out["missing"].append({str(i): k for i, k in missing.items()})
    return out


def frame_from(data: dict) -> pd.DataFrame:
    index = pd.Index(data["index"], dtype="int64")
    cols = {}
    for c, dtype, values, missing in zip(data["columns"], data["dtypes"], data["values"], data["missing"]):
        if dtype == "object":
            arr = pd.array([_cell_value(v) for v in values], dtype=object).to_numpy(dtype=object)
            for i, k in missing.items():
                arr[int(i)] = _MISSING[k]
            cols[c] = pd.Series(arr, index=index, dtype=object)
        elif dtype.startswith("datetime64"):
            cols[c] = pd.Series(pd.to_datetime(values), index=index).astype(dtype)
        elif dtype in ("float64",):
            cols[c] = pd.Series([float("nan") if v is None else v for v in values], index=index, dtype=dtype)
        else:
            cols[c] = pd.Series(values, index=index, dtype=dtype)
    return pd.DataFrame(cols, index=index, columns=data["columns"])


def part_data(part: MonthPart) -> dict:
    """A month part as JSON (see `sheetsync.engine.scoring.MonthPart`), under this code's print."""
    frames = part.findings.frames()
    return {
        "format": PART_FORMAT,
        "code": code_fingerprint(),
        "fingerprint": part.fingerprint,
        "people": frame_data(part.people),
        # As pairs: PostgreSQL's JSONB does not keep the order of an object's keys.
        "quota": [[[k, plain(v) if not isinstance(v, (list, dict)) else v] for k, v in q.items()] for q in part.quota],
        "counts": [[str(k), int(v)] for k, v in part.counts.items()],
        "frames": [frame_data(f.reset_index(drop=True)) for f in frames],
        "single": [{k: _cell_data(v) for k, v in d.items()} for d in part.findings._single],
    }


def part_from(data: dict) -> MonthPart | None:
    """The part kept by `part_data`, or None when it was kept by other code (never offered)."""
    if data.get("format") != PART_FORMAT or data.get("code") != code_fingerprint():
        return None
    findings = Findings([frame_from(f) for f in data["frames"]], [dict(d) for d in data["single"]])
    quota = [dict((k, v) for k, v in q) for q in data["quota"]]
    counts = dict((k, v) for k, v in data["counts"])
    return MonthPart(data["fingerprint"], frame_from(data["people"]), quota, counts, findings)
