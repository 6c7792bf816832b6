"""The generic validator: every rule comes from the tab schemas, every check runs over whole
columns. Nothing here knows what a task or a roster is.

`validate_tab` checks one tab on its own (types, enums, bounds, patterns, uniqueness, row rules);
`check_references` and `check_tree` then look across tabs. Each produces findings and marks,
per row and field, which cells hold errors (scoring needs to know which rows it can trust).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sheetsync.config.schema import Bound, Field, TabSchema
from sheetsync.domain.a1 import col_letter
from sheetsync.engine.findings import ERROR, Findings
from sheetsync.engine.messages import TYPE_EXPECTED, message
from sheetsync.engine.values import Parsed, display_text, map_distinct, map_distinct_array, parse_field, parse_fields
from sheetsync.text import normalize_key, normalize_keys, shorten


@dataclass
class TabData:
    """A validated tab: typed values, what was blank, and where the errors are."""

    schema: TabSchema
    title: str
    values: pd.DataFrame  # typed, one column per schema field present (index = sheet row)
    empty: pd.DataFrame  # bool per field
    errors: pd.DataFrame  # bool per field: the cell has an error finding
    headers: dict[str, str]
    letters: dict[str, str]
    blank: pd.Series  # rows with no input at all (kept only to clear stale engine cells)
    raw_engine: pd.DataFrame  # current engine cell values, for write-back diffs
    present: set[str] = field(default_factory=set)

    def header(self, key: str) -> str:
        return self.headers.get(key) or self.schema.field(key).header

    def mark(self, key: str, mask: pd.Series) -> None:
        if key not in self.errors:
            self.errors[key] = False
        self.errors[key] = self.errors[key] | mask.reindex(self.errors.index, fill_value=False)

    @functools.cached_property
    def rows(self) -> pd.Index:
        """The data rows (asked for by every check and score of the tab, once worked out)."""
        if not self.blank.to_numpy(dtype=bool).any():
            return self.values.index  # no blank row: every row (the usual case)
        return self.values.index[~self.blank.reindex(self.values.index, fill_value=False)]

    def on_rows(self, data):
        """`data.loc[self.rows]`, without the lookup when the rows are its index already (they
        usually are: the lookup would copy every column to the same place)."""
        rows = self.rows
        return data if data.index.equals(rows) else data.loc[rows]


class TabChecker:
    """Runs one tab's column and row checks, adding findings as it goes."""

    def __init__(self, schema: TabSchema, raw: pd.DataFrame, headers: dict[str, str],
                 columns: dict[str, int], findings: Findings, title: str | None = None,
                 blank: pd.Series | None = None):
        self.schema = schema
        self.title = title or schema.title
        self.findings = findings
        self.headers = {f.key: headers.get(f.key, f.header) for f in schema.fields}
        self.letters = {k: col_letter(c) for k, c in columns.items()}
        self.blank = blank if blank is not None else pd.Series(False, index=raw.index)
        blank_at = (self.blank if self.blank.index.equals(raw.index)
                    else self.blank.reindex(raw.index, fill_value=False)).to_numpy(dtype=bool)
        inputs = [f for f in schema.input_fields if f.key in raw.columns]
        if blank_at.any():
            self.data_rows = raw.index[~blank_at]
            self.raw = raw.loc[self.data_rows, [f.key for f in inputs]]
        else:  # the usual case: every row holds input; the frame as it is (columns are taken by key)
            self.data_rows = raw.index
            self.raw = raw
        self.raw_engine = _object_columns(raw, [f.key for f in schema.engine_fields if f.key in raw.columns])
        self.parsed: dict[str, Parsed] = {}
        self.index = self.raw.index
        self.values: pd.DataFrame | None = None  # made once every column is parsed (see `run`)
        self.empty: pd.DataFrame | None = None
        self.errors: dict[str, np.ndarray] = {}  # by field, only where some cell has an error (bool per row)
        self.fields = inputs

    # -- helpers -------------------------------------------------------------------------

    def shown(self, key: str, mask: pd.Series) -> pd.Series:
        """The cells under `mask` as quoted in messages (only failing cells are ever rendered)."""
        return display_text(self.raw[key][mask]).map(shorten)

    def report(self, f: Field | str, mask: pd.Series | np.ndarray, code: str, messages,
               severity: str = "error") -> None:
        """Findings on the rows under `mask` (a Series, or a bool array in the tab's row order)."""
        key = f if isinstance(f, str) else f.key
        if not mask.any():
            return
        if isinstance(mask, np.ndarray):
            rows, hit = self.index[mask], mask
        else:
            rows = mask.index[mask.to_numpy(dtype=bool)]
            hit = None
        if isinstance(messages, pd.Series):
            messages = messages.loc[rows]
        self.findings.add_many(self.title, rows, self.headers[key], severity, code, messages,
                               col_letter=self.letters.get(key))
        if severity in ("error", ERROR):
            if hit is None:
                hit = mask.reindex(self.index, fill_value=False).to_numpy(dtype=bool)
            self.errors[key] = self.errors[key] | hit if key in self.errors else hit.copy()

    # -- the checks --------------------------------------------------------------------------

    def run(self) -> TabData:
        self.parsed = parse_fields(self.fields, self.raw)
        for f in self.fields:
            self.check_column(f)
        # Each frame made once from its columns (adding ninety columns one by one costs more than
        # checking them on a small tab), without copying them into one block (a large tab's columns
        # would be copied for nothing).
        self.values = frame_of({f.key: self.parsed[f.key].value_array for f in self.fields}, self.index)
        self.empty = _bool_frame(self.index, [f.key for f in self.fields],
                                 {f.key: self.parsed[f.key].empty_array for f in self.fields})
        for f in self.fields:
            self.check_row_bounds(f)
        for c in self.schema.checks:
            mask = self.condition(c.when)
            self.report(c.column, mask, c.code, c.message, c.severity)
        for s in self.schema.sums:
            self.check_sum(s)
        if len(self.schema.key) > 1:
            self.check_composite_key()
        keys = [f.key for f in self.fields] + [k for k in self.errors if k not in self.values]
        errors = _bool_frame(self.index, keys, self.errors)
        return TabData(self.schema, self.title, self.values, self.empty, errors, self.headers,
                       self.letters, self.blank, self.raw_engine, present=set(self.values.columns))

    def check_column(self, f: Field) -> None:
        p = self.parsed.get(f.key)
        if p is None:
            p = self.parsed[f.key] = parse_field(f, self.raw[f.key])
        if p.issue_array.any():
            raw = self.raw[f.key]
            issues = raw[p.issue]
            codes = issues.map(lambda c: c.code)
            for code in codes.unique():
                rows = codes.index[codes == code]
                m = pd.Series(False, index=raw.index)
                m[rows] = True
                rule = {"merged": "cell.merged", "formula-without-value": "cell.formula-without-value"}.get(code, "cell.error")
                details = issues[rows].map(lambda c: c.detail if c.code == "merged" else c.code)
                self.report(f, m, rule, details.map(lambda d: message(rule, value=d)))
        if p.bad_array.any():
            if f.type == "enum":
                choices = ", ".join(f.enum.canonical)
                msgs = self.shown(f.key, p.bad).map(
                    lambda v: message("field.enum", value=v, header=self.headers[f.key], choices=choices))
                self.report(f, p.bad, "field.enum", msgs)
            else:
                expected = TYPE_EXPECTED.get(f.type, f.type)
                msgs = self.shown(f.key, p.bad).map(
                    lambda v: message("field.type", value=v, header=self.headers[f.key], expected=expected))
                self.report(f, p.bad, "field.type", msgs)
        if f.required:
            missing = p.empty_array & ~p.issue_array
            self.report(f, missing, "field.required", message("field.required", header=self.headers[f.key]))
        if f.min is not None and f.min.field is None:
            self._bound(f, p, f.min, lower=True)
        if f.max is not None and f.max.field is None:
            self._bound(f, p, f.max, lower=False)
        if f.pattern and f.type == "text":
            self._pattern(f, p)
        if f.max_length:
            lengths = p.per_distinct_array(lambda v: len(v) if isinstance(v, str) else 0)
            too_long = np.asarray(lengths > f.max_length, dtype=bool)
            if too_long.any():
                msgs = [message("field.too-long", length=int(n), limit=f.max_length, header=self.headers[f.key])
                        for n in lengths[too_long]]
                self.report(f, too_long, "field.too-long", msgs, "warning")
        if f.unique:
            self._unique(f, p)

    def _bound(self, f: Field, p: Parsed, b: Bound, lower: bool) -> None:
        # Numbers compared as their array (NaN, a blank or bad cell, fails no bound); anything
        # else as pandas compares it.
        v = p.value_array if p.value_array.dtype == np.float64 else p.value
        if lower:
            fail = (v <= b.value) if b.exclusive else (v < b.value)
            code = "field.min-exclusive" if b.exclusive else "field.min"
        else:
            fail = (v >= b.value) if b.exclusive else (v > b.value)
            code = "field.max"
        if isinstance(fail, pd.Series):
            fail = fail.to_numpy(dtype=bool, na_value=False)
        if fail.any():
            bound = _num(b.value)
            msgs = self.shown(f.key, fail).map(lambda s: message(code, value=s, header=self.headers[f.key], bound=bound))
            self.report(f, fail, b.code or code, msgs, b.severity)

    def _pattern(self, f: Field, p: Parsed) -> None:
        pattern = re.compile(f.pattern)

        def fails(text) -> bool:  # a blank cell has nothing to match
            if not isinstance(text, str):
                return False
            if f.normalize == "phone":
                text = _PHONE_PUNCTUATION.sub("", text)
            return pattern.match(text) is None

        fail = np.asarray(p.per_distinct_array(fails), dtype=bool)
        if not fail.any():
            return
        msgs = self.shown(f.key, fail).map(
            lambda v: message("field.pattern", value=v, header=self.headers[f.key], expected=f.expected or f.pattern))
        self.report(f, fail, "field.pattern", msgs, "warning" if not f.required else "error")

    def _unique(self, f: Field, p: Parsed) -> None:
        keys = p.per_distinct_array(normalize_keys, vectorized=True)
        codes = pd.factorize(keys, use_na_sentinel=True)[0] + 1  # 0: no key
        dup = (codes > 0) & (np.bincount(codes)[codes] > 1)  # a key on more than one row
        if not dup.any():
            return
        keys, dup = pd.Series(keys, index=self.index, dtype=object), pd.Series(dup, index=self.index)
        groups = pd.Series(keys[dup].index, index=keys[dup].index).groupby(keys[dup].values).agg(list)
        msgs = {}
        for rows in groups:
            for r in rows:
                msgs[r] = message("field.unique", value=shorten(str(p.value[r])),
                                  others=", ".join(str(x) for x in rows if x != r), header=self.headers[f.key])
        self.report(f, dup, "field.unique", pd.Series(msgs))

    def check_composite_key(self) -> None:
        key = self.schema.key
        if not all(k in self.values for k in key):
            return
        parts = [_key_texts(self.values[k]) for k in key]
        # The parts joined row by row (a row with a part missing has no key), and rows whose keys
        # are alike (rows without a key alike too) among rows with every part filled.
        combined = np.empty(len(self.index), dtype=object)
        combined[:] = [None if any(not isinstance(x, str) for x in row) else "\x1f".join(row) for row in zip(*parts)]
        codes = pd.factorize(combined, use_na_sentinel=False)[0]
        complete = np.logical_and.reduce([pd.notna(self.values[k].to_numpy()) for k in key])
        dup = (np.bincount(codes, minlength=1)[codes] > 1) & complete
        if not dup.any():
            return
        combined, dup = pd.Series(combined, index=self.index, dtype=object), pd.Series(dup, index=self.index)
        groups = pd.Series(combined[dup].index, index=combined[dup].index).groupby(combined[dup].values).agg(list)
        header = " + ".join(self.headers[k] for k in key)
        msgs = {}
        for rows in groups:
            for r in rows:
                others = ", ".join(str(x) for x in rows if x != r)
                msgs[r] = (self.schema.key_message.format(header=header, others=others) if self.schema.key_message
                           else message("row.key-duplicate", header=header, others=others))
        self.report(key[0], dup, "row.key-duplicate", pd.Series(msgs))

    def check_row_bounds(self, f: Field) -> None:
        """Rules that compare a field to another field of the same row."""
        row_bound = any(b is not None and b.field is not None for b in (f.min, f.max))
        if not (row_bound or f.not_before or f.required_when):
            return
        v = self.values.get(f.key)
        if v is None:
            return
        for b, lower in ((f.min, True), (f.max, False)):
            if b is None or b.field is None or b.field not in self.values:
                continue
            other = self.values[b.field]
            fail = _less(v, other) if lower else _less(other, v)
            if fail.any():
                mine, theirs = self.shown(f.key, fail), self.shown(b.field, fail)
                msgs = pd.Series({r: message("field.max-field", header=self.headers[f.key], value=mine[r],
                                             other=self.headers[b.field], bound=theirs[r])
                                  for r in fail.index[fail]}, dtype=object)
                self.report(f, fail, b.code or "field.max-field", msgs, b.severity)
        if f.not_before and f.not_before in self.values:
            other = self.values[f.not_before]
            fail = _less(v, other)
            if fail.any():
                msgs = pd.Series({r: message("field.not-before", header=self.headers[f.key], value=v[r].strftime("%d/%m/%Y"),
                                             other=self.headers[f.not_before], bound=other[r].strftime("%d/%m/%Y"))
                                  for r in fail.index[fail]}, dtype=object)
                self.report(f, fail, "field.not-before", msgs)
        if f.required_when:
            cond = self.condition(f.required_when)
            missing = cond & self.parsed[f.key].empty_array & ~self.parsed[f.key].issue_array
            self.report(f, missing, "field.required-when",
                        message("field.required-when", header=self.headers[f.key],
                                condition=self.describe(f.required_when)))

    def check_sum(self, rule) -> None:
        cols = [*rule.group_by, rule.field]
        if not all(c in self.values for c in cols):
            return
        grouped = pd.notna(self.values[rule.group_by[0]].to_numpy())  # rows with a group (`dropna`)
        if not grouped.any():
            return
        df = frame_of({c: self.values[c].to_numpy()[grouped] for c in dict.fromkeys(cols)}, self.index[grouped])
        keys = [df[c].fillna("") for c in rule.group_by]
        totals = df[rule.field].groupby(keys).transform("sum")
        fail = (totals - rule.equals).abs() > 1e-6
        if fail.any():
            group_text = df[rule.group_by[0]].astype(str)
            msgs = pd.Series({r: rule.message.format(group=group_text[r], total=_num(totals[r]))
                              for r in fail.index[fail]}, dtype=object)
            full = pd.Series(False, index=self.values.index)
            full[fail.index[fail]] = True
            self.report(rule.field, full, rule.code, msgs, rule.severity)

    # -- conditions ------------------------------------------------------------------------

    def condition(self, cond: dict) -> np.ndarray:
        """Evaluate a declarative row condition to a boolean mask in the tab's row order (missing
        columns: False). Parts are combined as arrays: a condition has a few parts over a few rows."""
        n = len(self.values.index)
        if "all" in cond:
            out = np.ones(n, dtype=bool)
            for c in cond["all"]:
                out &= self.condition(c)
            return out
        if "any" in cond:
            out = np.zeros(n, dtype=bool)
            for c in cond["any"]:
                out |= self.condition(c)
            return out
        if "not" in cond:
            return ~self.condition(cond["not"])
        key, op = cond["field"], cond.get("op", "eq")
        if key not in self.values:
            return np.full(n, op == "empty")
        if op == "empty":
            return self.parsed[key].empty_array.copy()
        if op == "filled":
            return ~self.parsed[key].empty_array
        col = self.values[key]
        target = cond.get("value")
        if isinstance(target, dict) and "field" in target:
            target = self.values.get(target["field"])
        elif isinstance(target, str):
            f = self.schema.field(key)
            if f.enum is not None:
                target = f.enum.lookup().get(normalize_key(target), target)
        # Numbers against a number, and text against a text for (in)equality, as numpy compares
        # them (as pandas does: a blank is never equal, always unequal, never ordered).
        values = col.to_numpy()
        if op in _COMPARE and isinstance(target, (int, float)) and not isinstance(target, bool) \
                and values.dtype == np.float64:
            return _COMPARE[op](values, target)
        if op in ("eq", "ne") and isinstance(target, str) and values.dtype == object:
            return np.asarray(_COMPARE[op](values, target), dtype=bool)
        ops = {"eq": col.__eq__, "ne": col.__ne__, "gt": col.__gt__, "ge": col.__ge__,
               "lt": col.__lt__, "le": col.__le__}
        if op == "in":
            return col.isin(target).to_numpy(dtype=bool)
        return ops[op](target).to_numpy(dtype=bool, na_value=False)

    def describe(self, cond: dict) -> str:
        names = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤", "eq": "=", "ne": "≠"}
        key, op = cond.get("field"), cond.get("op", "eq")
        if key is None:
            return "điều kiện của hàng thỏa mãn"
        if op in ("empty", "filled"):
            return f"{self.headers[key]} {'để trống' if op == 'empty' else 'đã có'}"
        return f"{self.headers[key]} {names.get(op, op)} {_num(cond.get('value'))}"


_COMPARE = {"eq": np.equal, "ne": np.not_equal, "gt": np.greater, "ge": np.greater_equal,
            "lt": np.less, "le": np.less_equal}


def _less(a: pd.Series, b: pd.Series) -> pd.Series:
    """`(a < b).fillna(False)` row by row: numbers or dates as numpy compares them (a blank is
    never less), anything else as pandas does."""
    x, y = a.to_numpy(), b.to_numpy()
    if (x.dtype == np.float64 and y.dtype == np.float64) or (x.dtype.kind == "M" and y.dtype.kind == "M"):
        return pd.Series(x < y, index=a.index)
    return (a < b).fillna(False).astype(bool)


def frame_of(columns: dict[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
    """A frame of these columns as they are: each array its own column, of its own dtype (text stays
    `object`, where a frame made from a dict would read it as `str`), nothing copied or inferred.
    pandas' constructor costs several times as much on a small tab's few rows. `_from_arrays` is
    pandas' own (not public) way to do this; without it, the same frame is made from Series."""
    if _FROM_ARRAYS is None:
        return pd.concat([pd.Series(a, index=index, dtype=a.dtype, name=k, copy=False) for k, a in columns.items()],
                         axis=1) if columns else pd.DataFrame(index=index, columns=pd.Index([]))
    return _FROM_ARRAYS(list(columns.values()), columns=pd.Index(list(columns)), index=index, verify_integrity=False)


_FROM_ARRAYS = getattr(pd.DataFrame, "_from_arrays", None)


def _object_columns(raw: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """`raw[keys]` of a frame of raw cells (every column `object`), made from its array: pandas'
    own column selection costs four times as much on a small tab."""
    if not all(t == object for t in raw.dtypes):
        return raw[keys]
    names = list(raw.columns)
    at = [names.index(k) for k in keys]
    return pd.DataFrame(raw.to_numpy(dtype=object)[:, at], index=raw.index, columns=raw.columns[at], dtype=object)


def _key_texts(col: pd.Series) -> list:
    """Each cell of a key column as its normalised text (None where blank): what
    `normalize_keys` makes of `col.astype(str)`, or text alike exactly where that is alike.
    Text and blanks are taken as they are, dates by their ISO text (what `astype(str)` writes of
    them, in full); anything else through `astype(str)`."""
    values = col.to_numpy()
    if values.dtype.kind == "M":
        return [None if np.isnat(v) else str(v) for v in values]
    if col.dtype != object or not all(isinstance(v, str) or v is None or (isinstance(v, float) and v != v)
                                      for v in values.tolist()):
        col = col.astype(str)
    return map_distinct_array(col, normalize_keys, vectorized=True).tolist()


_PHONE_PUNCTUATION = re.compile(r"[\s.\-()]")


def _bool_frame(index: pd.Index, keys: list[str], columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A frame of bool columns `keys` (False where `columns` has none) as one block: one
    construction per tab rather than one Series per column."""
    grid = np.zeros((len(index), len(keys)), dtype=bool)
    for j, k in enumerate(keys):
        if k in columns:
            grid[:, j] = columns[k]
    return pd.DataFrame(grid, index=index, columns=keys)


def _num(v) -> str:
    """A number as Vietnamese readers write it: 1,5 rather than 1.5; 12 rather than 12.0."""
    if isinstance(v, (int, np.integer)):
        return str(v)
    if isinstance(v, (float, np.floating)):
        if float(v).is_integer():
            return str(int(v))
        return f"{v:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(v)


def validate_frame(schema: TabSchema, raw: pd.DataFrame, findings: Findings,
                   headers: dict[str, str] | None = None, columns: dict[str, int] | None = None,
                   title: str | None = None, blank: pd.Series | None = None) -> TabData:
    """Validate one tab given as a DataFrame of raw cells (columns = field keys,
    index = sheet row numbers). This is the whole single-tab validation, backend-free."""
    if columns is None:
        columns = {k: i + 1 for i, k in enumerate(raw.columns)}
    return TabChecker(schema, raw, headers or {}, columns, findings, title, blank).run()


def check_references(tab: TabData, targets: dict[str, tuple[TabData | None, str]], findings: Findings) -> None:
    """Every `ref` field must name a key that exists in its target tab."""
    for f in tab.schema.input_fields:
        if not f.ref or f.key not in tab.values:
            continue
        target, target_field = targets.get(f.ref["tab"], (None, f.ref["field"]))
        if target is None or target_field not in target.values:
            continue
        known = set(map_distinct_array(target.values[target_field].dropna(), normalize_keys, vectorized=True).tolist())
        col = tab.values[f.key]
        if f.type == "list":
            exploded = col[col.map(len, na_action="ignore") > 0].explode().dropna()
            bad_items = exploded[~map_distinct(exploded, normalize_keys, vectorized=True).isin(known)]
            if bad_items.empty:
                continue
            bad_rows = bad_items.groupby(level=0).agg(lambda s: ", ".join(s))
            mask = pd.Series(False, index=col.index)
            mask[bad_rows.index] = True
            msgs = bad_rows.map(lambda v: message("field.ref", value=v, target_header=target.header(target_field),
                                                  target_tab=target.title))
        else:
            keys = map_distinct_array(col, normalize_keys, vectorized=True).tolist()
            hit = pd.notna(col.to_numpy()) & np.array([k not in known for k in keys], dtype=bool)
            if not hit.any():
                continue
            mask = pd.Series(hit, index=col.index)
            msgs = col[mask].map(lambda v: message("field.ref", value=shorten(str(v)),
                                                   target_header=target.header(target_field), target_tab=target.title))
        if mask.any():
            rows = mask.index[mask.to_numpy(dtype=bool)]
            findings.add_many(tab.title, rows, tab.header(f.key), "error", "field.ref", msgs.loc[rows],
                              col_letter=tab.letters.get(f.key))
            tab.mark(f.key, mask)


def check_tree(tab: TabData, findings: Findings) -> dict[str, str | None]:
    """Parent links within one tab (the management tree): no self-links and no cycles.
    Returns the usable parent map, with links that are part of a cycle dropped."""
    spec = tab.schema.tree
    key = tab.schema.key[0]
    if not spec or key not in tab.values or spec["parent"] not in tab.values:
        return {}
    ids = tab.values[key].map(normalize_key, na_action="ignore")
    parents = tab.values[spec["parent"]].map(normalize_key, na_action="ignore")
    row_of = {i: r for r, i in ids.dropna().items()}
    parent = {i: parents[r] if isinstance(parents[r], str) and parents[r] in row_of else None
              for i, r in row_of.items()}
    header = tab.header(spec["parent"])
    letter = tab.letters.get(spec["parent"])
    for i, p in list(parent.items()):
        if p == i:
            r = row_of[i]
            findings.add(tab.title, int(r), header, "error", "tree.self", message("tree.self"),
                         cell=f"{letter}{r}" if letter else None)
            tab.mark(spec["parent"], pd.Series(True, index=[r]))
            parent[i] = None
    # Cycle detection: follow parents; a walk that returns to a node on its own path is a cycle.
    state: dict[str, int] = {}
    display = dict(zip(ids.dropna(), tab.values[key].dropna()))
    for start in parent:
        path, node = [], start
        while node is not None and state.get(node, 0) == 0:
            state[node] = 1
            path.append(node)
            node = parent.get(node)
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node):]
            text = " → ".join(str(display.get(n, n)) for n in cycle + [node])
            for n in cycle:
                r = row_of[n]
                findings.add(tab.title, int(r), header, "error", spec.get("code", "tree.cycle"),
                             message("tree.cycle", path=text), cell=f"{letter}{r}" if letter else None)
                tab.mark(spec["parent"], pd.Series(True, index=[r]))
            for n in cycle:
                parent[n] = None
        for n in path:
            state[n] = 2
    return parent
