"""A small spreadsheet formula engine.

Enough of Google Sheets' formula language for the recordings (``=4/2``) and for
the kind of scoring sheets offices fill in: arithmetic, comparison,
concatenation, cell and range references (also to other sheets), and a set of
common functions (SUM, AVERAGE, IF, ROUND, COUNTIF, VLOOKUP, DATE, ...).
Unknown functions evaluate to ``#NAME?`` just as in Sheets.

The same tokenizer is used to rewrite references when rows/columns are
inserted or deleted and when a sheet is renamed, because Google keeps formulas
pointing at the same cells through such edits.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from . import a1, numfmt

# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Err:
    """A spreadsheet error value such as ``#DIV/0!``."""

    code: str
    message: str = ""

    @property
    def type(self) -> str:
        return ERROR_TYPES.get(self.code, "ERROR")


ERROR_TYPES = {
    "#NULL!": "NULL_VALUE",
    "#DIV/0!": "DIVIDE_BY_ZERO",
    "#VALUE!": "VALUE",
    "#REF!": "REF",
    "#NAME?": "NAME",
    "#NUM!": "NUM",
    "#N/A": "N_A",
    "#ERROR!": "ERROR",
}
ERROR_CODES_BY_TYPE = {v: k for k, v in ERROR_TYPES.items()}

DIV0 = Err("#DIV/0!", "Function DIVIDE parameter 2 cannot be zero.")
CIRCULAR = Err("#REF!", "Circular dependency detected. To resolve with iterative calculation, see File > Settings.")
PARSE_ERROR = Err("#ERROR!", "Formula parse error.")

Scalar = float | str | bool | None | Err


@dataclass
class RangeValue:
    """A rectangular block of values (rows of columns)."""

    rows: list[list[Scalar]]

    def flat(self) -> list[Scalar]:
        return [v for row in self.rows for v in row]


Value = Scalar | RangeValue


class Context(Protocol):
    def cell(self, sheet: str | None, row: int, col: int) -> Scalar: ...

    def block(self, sheet: str | None, bounds: a1.Bounds) -> RangeValue | Err: ...

    def cell_format(self, sheet: str | None, row: int, col: int) -> dict[str, Any] | None: ...


class FormulaSyntaxError(ValueError):
    pass


# --------------------------------------------------------------------------- tokens

_SHEET = r"(?:'(?:[^']|'')+'|[^\W\d][\w.]*)!"
_CELL = r"\$?[A-Za-z]{1,3}\$?\d+"
_COL = r"\$?[A-Za-z]{1,3}"
_ROW = r"\$?\d+"
_REF_BODY = rf"(?:{_CELL}:{_CELL}|{_CELL}:{_COL}(?![\d])|{_COL}:{_COL}|{_ROW}:{_ROW}|{_CELL})"
_REF = re.compile(rf"({_SHEET})?({_REF_BODY})(?![\w.!(])(?!\s*\()")
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_STRING = re.compile(r'"(?:[^"]|"")*"')
_ERROR_LIT = re.compile(r"#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|ERROR!)", re.IGNORECASE)
_IDENT = re.compile(r"[^\W\d][\w.]*")
_OPS = ("<=", ">=", "<>", "+", "-", "*", "/", "^", "&", "=", "<", ">", "%")


@dataclass
class Token:
    kind: str  # NUM STR ERR REF FUNC NAME BOOL OP LP RP SEP WS
    text: str
    start: int
    end: int
    sheet: str | None = None  # REF: unquoted sheet title, if any
    body: str = ""  # REF: the cell part


def tokenize(src: str) -> list[Token]:
    """Tokenize a formula body (without the leading ``=``)."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(src):
        ch = src[pos]
        if ch.isspace():
            end = pos
            while end < len(src) and src[end].isspace():
                end += 1
            tokens.append(Token("WS", src[pos:end], pos, end))
            pos = end
            continue
        if ch == '"':
            m = _STRING.match(src, pos)
            if not m:
                raise FormulaSyntaxError("unterminated string")
            tokens.append(Token("STR", m.group(0), pos, m.end()))
            pos = m.end()
            continue
        m = _REF.match(src, pos)
        if m:
            sheet = m.group(1)
            title = None
            if sheet:
                raw = sheet[:-1]
                title = raw[1:-1].replace("''", "'") if raw.startswith("'") else raw
            tokens.append(Token("REF", m.group(0), pos, m.end(), title, m.group(2)))
            pos = m.end()
            continue
        m = _NUMBER.match(src, pos)
        if m:
            tokens.append(Token("NUM", m.group(0), pos, m.end()))
            pos = m.end()
            continue
        m = _ERROR_LIT.match(src, pos)
        if m:
            tokens.append(Token("ERR", m.group(0).upper(), pos, m.end()))
            pos = m.end()
            continue
        m = _IDENT.match(src, pos)
        if m:
            word = m.group(0)
            rest = src[m.end() :].lstrip()
            if rest.startswith("("):
                tokens.append(Token("FUNC", word, pos, m.end()))
            elif word.upper() in ("TRUE", "FALSE"):
                tokens.append(Token("BOOL", word, pos, m.end()))
            else:
                tokens.append(Token("NAME", word, pos, m.end()))
            pos = m.end()
            continue
        for op in _OPS:
            if src.startswith(op, pos):
                tokens.append(Token("OP", op, pos, pos + len(op)))
                pos += len(op)
                break
        else:
            if ch == "(":
                tokens.append(Token("LP", ch, pos, pos + 1))
            elif ch == ")":
                tokens.append(Token("RP", ch, pos, pos + 1))
            elif ch in ",;":
                tokens.append(Token("SEP", ch, pos, pos + 1))
            else:
                raise FormulaSyntaxError(f"unexpected character {ch!r}")
            pos += 1
    return tokens


# --------------------------------------------------------------------------- AST


@dataclass
class Node:
    pass


@dataclass
class Num(Node):
    value: float


@dataclass
class Str(Node):
    value: str


@dataclass
class Bool(Node):
    value: bool


@dataclass
class ErrLit(Node):
    err: Err


@dataclass
class Ref(Node):
    sheet: str | None
    bounds: a1.Bounds
    single: bool


@dataclass
class Name(Node):
    name: str


@dataclass
class Blank(Node):
    pass


@dataclass
class Unary(Node):
    op: str
    operand: Node


@dataclass
class Percent(Node):
    operand: Node


@dataclass
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass
class Call(Node):
    name: str
    args: list[Node] = field(default_factory=list)


_PRECEDENCE = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = [t for t in tokens if t.kind != "WS"]
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise FormulaSyntaxError("unexpected end of formula")
        self.pos += 1
        return tok

    def parse(self) -> Node:
        node = self.expr(0)
        if self.peek() is not None:
            raise FormulaSyntaxError(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return node

    def expr(self, min_prec: int) -> Node:
        left = self.prefix()
        while True:
            tok = self.peek()
            if tok is None or tok.kind != "OP":
                return left
            if tok.text == "%":
                self.take()
                left = Percent(left)
                continue
            prec = _PRECEDENCE.get(tok.text)
            if prec is None or prec < min_prec:
                return left
            self.take()
            right = self.expr(prec + 1)
            left = Binary(tok.text, left, right)

    def prefix(self) -> Node:
        tok = self.take()
        if tok.kind == "NUM":
            return Num(float(tok.text))
        if tok.kind == "STR":
            return Str(tok.text[1:-1].replace('""', '"'))
        if tok.kind == "BOOL":
            return Bool(tok.text.upper() == "TRUE")
        if tok.kind == "ERR":
            return ErrLit(Err(tok.text))
        if tok.kind == "REF":
            bounds = a1.parse_bounds(tok.body)
            single = ":" not in tok.body
            return Ref(tok.sheet, bounds, single)
        if tok.kind == "NAME":
            return Name(tok.text)
        if tok.kind == "OP" and tok.text in "+-":
            return Unary(tok.text, self.expr(6))
        if tok.kind == "LP":
            inner = self.expr(0)
            if self.take().kind != "RP":
                raise FormulaSyntaxError("expected )")
            return inner
        if tok.kind == "FUNC":
            name = tok.text.upper()
            if self.take().kind != "LP":
                raise FormulaSyntaxError("expected (")
            args: list[Node] = []
            if self.peek() is not None and self.peek().kind == "RP":  # type: ignore[union-attr]
                self.take()
                return Call(name, args)
            while True:
                nxt = self.peek()
                if nxt is not None and nxt.kind in ("SEP", "RP"):
                    args.append(Blank())
                else:
                    args.append(self.expr(0))
                closing = self.take()
                if closing.kind == "RP":
                    return Call(name, args)
                if closing.kind != "SEP":
                    raise FormulaSyntaxError("expected , or )")
        raise FormulaSyntaxError(f"unexpected {tok.text!r}")


def parse(formula: str) -> Node:
    """Parse ``=...`` (the ``=`` is optional)."""
    body = formula[1:] if formula.startswith("=") else formula
    return _Parser(tokenize(body)).parse()


def normalize(formula: str) -> str:
    """Upper-case function names and references the way Sheets stores formulas."""
    body = formula[1:]
    try:
        tokens = tokenize(body)
    except FormulaSyntaxError:
        return formula
    out, last = [], 0
    for tok in tokens:
        out.append(body[last : tok.start])
        if tok.kind == "FUNC" or tok.kind == "BOOL":
            out.append(tok.text.upper())
        elif tok.kind == "REF":
            prefix = tok.text[: len(tok.text) - len(tok.body)]
            out.append(prefix + tok.body.upper())
        else:
            out.append(tok.text)
        last = tok.end
    out.append(body[last:])
    return "=" + "".join(out)


# --------------------------------------------------------------------------- reference rewriting

RefRewriter = Callable[[str | None, str], str | None]


def rewrite_refs(formula: str, rewrite: RefRewriter) -> str:
    """Rebuild a formula, replacing each reference by ``rewrite(sheet, token_text)`` when not None."""
    body = formula[1:]
    try:
        tokens = tokenize(body)
    except FormulaSyntaxError:
        return formula
    out, last, changed = [], 0, False
    for tok in tokens:
        if tok.kind != "REF":
            continue
        new = rewrite(tok.sheet, tok.text)
        if new is None or new == tok.text:
            continue
        out.append(body[last : tok.start])
        out.append(new)
        last = tok.end
        changed = True
    if not changed:
        return formula
    out.append(body[last:])
    return "=" + "".join(out)


_ENDPOINT_RE = re.compile(r"^(\$?)([A-Za-z]{1,3})?(\$?)(\d+)?$")


def shift_reference(text: str, dimension: str, index: int, count: int) -> str:
    """Shift one reference token for an insert (count > 0) or delete (count < 0) at ``index``.

    Returns the new token text; a reference whose cells were all deleted becomes ``#REF!``.
    """
    prefix, body = "", text
    if "!" in text:
        head, _, body = text.rpartition("!")
        prefix = head + "!"
    parsed = [_ENDPOINT_RE.match(e) for e in body.split(":")]
    if not all(parsed):
        return text
    values: list[int | None] = []
    for m in parsed:
        raw = m.group(4) if dimension == "ROWS" else m.group(2)  # type: ignore[union-attr]
        if raw is None:
            values.append(None)
        else:
            values.append(int(raw) - 1 if dimension == "ROWS" else a1.column_index(raw))
    if all(v is None for v in values):
        return text  # a whole-column ref is unaffected by row edits and vice versa
    if count > 0:
        new_values = [v if v is None or v < index else v + count for v in values]
    else:
        n = -count
        lo, hi = index, index + n
        if len(values) == 1:
            v = values[0]
            if v is not None and lo <= v < hi:
                return "#REF!"
            new_values = [v if v is None or v < lo else v - n]
        else:
            start, end = values
            if start is not None and end is not None and lo <= start and end < hi:
                return "#REF!"
            new_start = start if start is None or start < lo else (lo if start < hi else start - n)
            new_end = end if end is None or end < lo else (lo - 1 if end < hi else end - n)
            new_values = [new_start, new_end]
    rebuilt = []
    for m, v in zip(parsed, new_values):
        col_abs, col, row_abs, row = m.group(1), m.group(2), m.group(3), m.group(4)  # type: ignore[union-attr]
        if dimension == "ROWS" and v is not None:
            row = str(v + 1)
        elif dimension == "COLUMNS" and v is not None:
            col = a1.column_letters(v)
        rebuilt.append(f"{col_abs}{col or ''}{row_abs}{row or ''}")
    return prefix + ":".join(rebuilt)


def offset_references(formula: str, rows: int, cols: int) -> str:
    """Move the relative parts of every reference by (rows, cols), as pasting a copied formula
    does; ``$``-anchored parts stay, and a reference pushed off the grid becomes ``#REF!``."""

    def rewrite(_sheet: str | None, text: str) -> str | None:
        prefix, body = "", text
        if "!" in text:
            head, _, body = text.rpartition("!")
            prefix = head + "!"
        parsed = [_ENDPOINT_RE.match(e) for e in body.split(":")]
        if not all(parsed):
            return None
        rebuilt = []
        for m in parsed:
            col_abs, col, row_abs, row = m.group(1), m.group(2), m.group(3), m.group(4)  # type: ignore[union-attr]
            if col and not col_abs:
                index = a1.column_index(col) + cols
                if index < 0:
                    return "#REF!"
                col = a1.column_letters(index)
            if row and not row_abs:
                number = int(row) + rows
                if number < 1:
                    return "#REF!"
                row = str(number)
            rebuilt.append(f"{col_abs}{col or ''}{row_abs}{row or ''}")
        return prefix + ":".join(rebuilt)

    return rewrite_refs(formula, rewrite)


# --------------------------------------------------------------------------- coercion


def to_number(v: Scalar) -> float | Err:
    if isinstance(v, Err):
        return v
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if v is None:
        return 0.0
    if isinstance(v, (int, float)):
        return float(v)
    text = v.strip()
    if text == "":
        return 0.0
    try:
        return float(text.replace(",", ""))
    except ValueError:
        value, fmt = numfmt.parse_user_entered(text)
        if "numberValue" in value:
            return float(value["numberValue"])
        return Err("#VALUE!", f"Function expects number values. But '{v}' is a text and cannot be coerced to a number.")


def to_text(v: Scalar) -> str | Err:
    if isinstance(v, Err):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if v is None:
        return ""
    if isinstance(v, (int, float)):
        return numfmt.format_general(float(v))
    return v


def to_bool(v: Scalar) -> bool | Err:
    if isinstance(v, Err):
        return v
    if isinstance(v, bool):
        return v
    if v is None:
        return False
    if isinstance(v, (int, float)):
        return v != 0
    if v.upper() in ("TRUE", "FALSE"):
        return v.upper() == "TRUE"
    return Err("#VALUE!", f"Function expects boolean values. But '{v}' is a text and cannot be coerced to a boolean.")


def _scalar(v: Value) -> Scalar:
    if isinstance(v, RangeValue):
        if len(v.rows) == 1 and len(v.rows[0]) == 1:
            return v.rows[0][0]
        if v.rows and v.rows[0]:
            return v.rows[0][0]
        return None
    return v


def _type_rank(v: Scalar) -> int:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return 0
    if isinstance(v, str):
        return 1
    return 2


def compare(a: Scalar, b: Scalar) -> int:
    """Sheets ordering: numbers < text < booleans; text compares case-insensitively."""
    if a is None:
        a = "" if isinstance(b, str) else (False if isinstance(b, bool) else 0.0)
    if b is None:
        b = "" if isinstance(a, str) else (False if isinstance(a, bool) else 0.0)
    ra, rb = _type_rank(a), _type_rank(b)  # type: ignore[arg-type]
    if ra != rb:
        return -1 if ra < rb else 1
    if isinstance(a, str):
        x, y = a.casefold(), b.casefold()  # type: ignore[union-attr]
    else:
        x, y = a, b  # type: ignore[assignment]
    return (x > y) - (x < y)  # type: ignore[operator]


# --------------------------------------------------------------------------- evaluation


class Evaluator:
    """Evaluates parsed formulas against a :class:`Context`."""

    def __init__(self, ctx: Context, today: date | None = None) -> None:
        self.ctx = ctx
        self.today = today

    def evaluate(self, formula: str) -> Scalar:
        try:
            node = parse(formula)
        except (FormulaSyntaxError, ValueError):
            return PARSE_ERROR
        result = self.eval(node)
        value = _scalar(result)
        if value is None:
            return 0.0  # "=A1" on an empty cell shows 0
        return value

    def infer_format(self, formula: str) -> dict[str, Any] | None:
        """The number format Sheets would give a formula's result (dates stay dates)."""
        try:
            node = parse(formula)
        except (FormulaSyntaxError, ValueError):
            return None
        return self._infer(node)

    def _infer(self, node: Node) -> dict[str, Any] | None:
        if isinstance(node, Call):
            if node.name in ("DATE", "TODAY"):
                return {"type": "DATE", "pattern": "M/d/yyyy"}
            if node.name == "NOW":
                return {"type": "DATE_TIME", "pattern": "M/d/yyyy H:mm:ss"}
            if node.name in ("SUM", "MIN", "MAX", "AVERAGE", "ROUND", "IF") and node.args:
                return self._infer(node.args[0] if node.name != "IF" else node.args[min(1, len(node.args) - 1)])
            return None
        if isinstance(node, Ref):
            r0, _, c0, _ = node.bounds.resolve(0, 0)
            return self.ctx.cell_format(node.sheet, r0, c0)
        if isinstance(node, Binary) and node.op in "+-":
            return self._infer(node.left) or (self._infer(node.right) if node.op == "+" else None)
        return None

    def eval(self, node: Node) -> Value:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Str):
            return node.value
        if isinstance(node, Bool):
            return node.value
        if isinstance(node, ErrLit):
            return node.err
        if isinstance(node, Blank):
            return None
        if isinstance(node, Name):
            return Err("#NAME?", f"Unknown range name: '{node.name}'.")
        if isinstance(node, Ref):
            if node.single:
                return self.ctx.cell(node.sheet, node.bounds.start_row or 0, node.bounds.start_col or 0)
            return self.ctx.block(node.sheet, node.bounds)
        if isinstance(node, Unary):
            value = to_number(_scalar(self.eval(node.operand)))
            if isinstance(value, Err):
                return value
            return -value if node.op == "-" else value
        if isinstance(node, Percent):
            value = to_number(_scalar(self.eval(node.operand)))
            return value if isinstance(value, Err) else value / 100
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Call):
            return self._call(node)
        return Err("#ERROR!", "Unsupported expression.")

    def _binary(self, node: Binary) -> Value:
        left = _scalar(self.eval(node.left))
        right = _scalar(self.eval(node.right))
        op = node.op
        if op == "&":
            lt, rt = to_text(left), to_text(right)
            if isinstance(lt, Err):
                return lt
            if isinstance(rt, Err):
                return rt
            return lt + rt
        if op in ("=", "<>", "<", ">", "<=", ">="):
            if isinstance(left, Err):
                return left
            if isinstance(right, Err):
                return right
            c = compare(left, right)
            return {"=": c == 0, "<>": c != 0, "<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]
        a, b = to_number(left), to_number(right)
        if isinstance(a, Err):
            return a
        if isinstance(b, Err):
            return b
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return DIV0 if b == 0 else a / b
        if op == "^":
            try:
                result = a**b
            except (OverflowError, ZeroDivisionError):
                return Err("#NUM!", "Result out of range.")
            if isinstance(result, complex):
                return Err("#NUM!", "Result is not a real number.")
            return result
        return Err("#ERROR!", f"Unknown operator {op}")

    # ----------------------------------------------------------------- functions

    def _call(self, node: Call) -> Value:
        name = node.name
        lazy = _LAZY.get(name)
        if lazy is not None:
            return lazy(self, node.args)
        impl = _FUNCTIONS.get(name)
        if impl is None:
            return Err("#NAME?", f"Unknown function: '{name}'.")
        args = [self.eval(arg) for arg in node.args]
        try:
            return impl(self, args)
        except _ArgCount:
            return Err("#N/A", f"Wrong number of arguments to {name}.")


class _ArgCount(Exception):
    pass


def _need(args: list[Value], lo: int, hi: int | None = None) -> None:
    if len(args) < lo or (hi is not None and len(args) > hi):
        raise _ArgCount


def _numbers(args: list[Value]) -> list[float] | Err:
    """Aggregate-style numbers: ranges skip text/booleans/blanks, direct args coerce."""
    out: list[float] = []
    for arg in args:
        if isinstance(arg, RangeValue):
            for v in arg.flat():
                if isinstance(v, Err):
                    return v
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    out.append(float(v))
        elif arg is None:
            continue
        else:
            n = to_number(arg)
            if isinstance(n, Err):
                return n
            out.append(n)
    return out


def _agg(fn: Callable[[list[float]], Value], empty: Value = 0.0) -> Callable[[Evaluator, list[Value]], Value]:
    def impl(ev: Evaluator, args: list[Value]) -> Value:
        nums = _numbers(args)
        if isinstance(nums, Err):
            return nums
        if not nums:
            return empty
        return fn(nums)

    return impl


def _num_arg(v: Value) -> float | Err:
    return to_number(_scalar(v))


def _round_fn(mode: str) -> Callable[[Evaluator, list[Value]], Value]:
    def impl(ev: Evaluator, args: list[Value]) -> Value:
        _need(args, 1, 2)
        x = _num_arg(args[0])
        places = _num_arg(args[1]) if len(args) > 1 else 0.0
        if isinstance(x, Err):
            return x
        if isinstance(places, Err):
            return places
        factor = 10 ** int(places)
        scaled = abs(x) * factor
        if mode == "half":
            r = math.floor(scaled + 0.5 + 1e-9)
        elif mode == "up":
            r = math.ceil(scaled - 1e-9)
        else:
            r = math.floor(scaled + 1e-9)
        return math.copysign(r / factor, x) if r else 0.0

    return impl


def _criterion(crit: Scalar) -> Callable[[Scalar], bool]:
    """COUNTIF-style criteria: ``">=5"``, ``"<>x"``, ``"ab*"``, or a plain value."""
    if isinstance(crit, (int, float)) and not isinstance(crit, bool):
        return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and float(v) == float(crit)
    if isinstance(crit, bool):
        return lambda v: v is crit
    text = "" if crit is None else str(crit)
    m = re.match(r"^(<=|>=|<>|=|<|>)?(.*)$", text, re.S)
    op, operand = (m.group(1) or "="), m.group(2)  # type: ignore[union-attr]
    target: Scalar
    try:
        target = float(operand)
    except ValueError:
        target = operand
    if op == "=" and isinstance(target, str):
        if target == "":
            return lambda v: v is None or v == ""
        pattern = re.compile(
            "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in target) + "$",
            re.IGNORECASE | re.S,
        )
        return lambda v: isinstance(v, str) and bool(pattern.match(v))
    if op == "<>" and isinstance(target, str) and target == "":
        return lambda v: v is not None and v != ""

    def check(v: Scalar) -> bool:
        if v is None or isinstance(v, Err):
            return op == "<>"
        if isinstance(target, float) and not (isinstance(v, (int, float)) and not isinstance(v, bool)):
            return op == "<>"
        if isinstance(target, str) and not isinstance(v, str):
            return op == "<>"
        c = compare(v, target)
        return {"=": c == 0, "<>": c != 0, "<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]

    return check


def _as_range(v: Value) -> RangeValue:
    return v if isinstance(v, RangeValue) else RangeValue([[v]])  # type: ignore[list-item]


def _countif(ev: Evaluator, args: list[Value]) -> Value:
    _need(args, 2, 2)
    test = _criterion(_scalar(args[1]))
    return float(sum(1 for v in _as_range(args[0]).flat() if test(v)))


def _sumif(ev: Evaluator, args: list[Value], average: bool = False) -> Value:
    _need(args, 2, 3)
    test = _criterion(_scalar(args[1]))
    keys = _as_range(args[0]).flat()
    values = _as_range(args[2]).flat() if len(args) > 2 else keys
    picked = [
        float(v)
        for k, v in zip(keys, values)
        if test(k) and isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    if average:
        return sum(picked) / len(picked) if picked else DIV0
    return float(sum(picked))


def _if(ev: Evaluator, args: list[Node]) -> Value:
    if not 1 <= len(args) <= 3:
        return Err("#N/A", "Wrong number of arguments to IF.")
    cond = to_bool(_scalar(ev.eval(args[0])))
    if isinstance(cond, Err):
        return cond
    if cond:
        return ev.eval(args[1]) if len(args) > 1 else True
    return ev.eval(args[2]) if len(args) > 2 else False


def _iferror(ev: Evaluator, args: list[Node]) -> Value:
    if not 1 <= len(args) <= 2:
        return Err("#N/A", "Wrong number of arguments to IFERROR.")
    value = ev.eval(args[0])
    if isinstance(_scalar(value), Err):
        return ev.eval(args[1]) if len(args) > 1 else None
    return value


def _ifna(ev: Evaluator, args: list[Node]) -> Value:
    if len(args) != 2:
        return Err("#N/A", "Wrong number of arguments to IFNA.")
    value = ev.eval(args[0])
    s = _scalar(value)
    if isinstance(s, Err) and s.code == "#N/A":
        return ev.eval(args[1])
    return value


def _ifs(ev: Evaluator, args: list[Node]) -> Value:
    if len(args) < 2 or len(args) % 2:
        return Err("#N/A", "Wrong number of arguments to IFS.")
    for cond_node, value_node in zip(args[::2], args[1::2]):
        cond = to_bool(_scalar(ev.eval(cond_node)))
        if isinstance(cond, Err):
            return cond
        if cond:
            return ev.eval(value_node)
    return Err("#N/A", "No match.")


def _logical(kind: str) -> Callable[[Evaluator, list[Value]], Value]:
    def impl(ev: Evaluator, args: list[Value]) -> Value:
        _need(args, 1)
        flags: list[bool] = []
        for arg in args:
            items = arg.flat() if isinstance(arg, RangeValue) else [arg]
            for v in items:
                if v is None or (isinstance(arg, RangeValue) and isinstance(v, str)):
                    continue
                b = to_bool(v)
                if isinstance(b, Err):
                    return b
                flags.append(b)
        return all(flags) if kind == "AND" else any(flags)

    return impl


def _text_fn(fn: Callable[..., Value], lo: int, hi: int | None) -> Callable[[Evaluator, list[Value]], Value]:
    def impl(ev: Evaluator, args: list[Value]) -> Value:
        _need(args, lo, hi)
        scalars = [_scalar(a) for a in args]
        for s in scalars:
            if isinstance(s, Err):
                return s
        return fn(*scalars)

    return impl


def _text_map(fn: Callable[[str], Value]) -> Callable[[Evaluator, list[Value]], Value]:
    """A one-argument text function: coerce to text, propagate errors, apply ``fn``."""

    def apply(value: Scalar) -> Value:
        text = to_text(value)
        return text if isinstance(text, Err) else fn(text)

    return _text_fn(apply, 1, 1)


def _substr(kind: str) -> Callable[..., Value]:
    def impl(text: Scalar, a: Scalar = None, b: Scalar = None) -> Value:
        t = to_text(text)
        if isinstance(t, Err):
            return t
        if kind == "MID":
            start, length = to_number(a), to_number(b)
            if isinstance(start, Err):
                return start
            if isinstance(length, Err):
                return length
            return t[int(start) - 1 : int(start) - 1 + int(length)]
        n = 1.0 if a is None else to_number(a)
        if isinstance(n, Err):
            return n
        return t[: int(n)] if kind == "LEFT" else (t[-int(n) :] if int(n) else "")

    return impl


def _concat(ev: Evaluator, args: list[Value]) -> Value:
    parts: list[str] = []
    for arg in args:
        for v in arg.flat() if isinstance(arg, RangeValue) else [arg]:
            t = to_text(v)
            if isinstance(t, Err):
                return t
            parts.append(t)
    return "".join(parts)


def _counta(ev: Evaluator, args: list[Value], blanks: bool = False) -> Value:
    count = 0
    for arg in args:
        for v in arg.flat() if isinstance(arg, RangeValue) else [arg]:
            empty = v is None or v == ""
            count += empty if blanks else v is not None
    return float(count)


def _count(ev: Evaluator, args: list[Value]) -> Value:
    count = 0
    for arg in args:
        for v in arg.flat() if isinstance(arg, RangeValue) else [arg]:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                count += 1
            elif not isinstance(arg, RangeValue) and isinstance(v, str) and not isinstance(to_number(v), Err):
                count += 1
    return float(count)


def _date(ev: Evaluator, args: list[Value]) -> Value:
    _need(args, 3, 3)
    y, m, d = (_num_arg(a) for a in args)
    for part in (y, m, d):
        if isinstance(part, Err):
            return part
    year, month, day = int(y), int(m), int(d)  # type: ignore[arg-type]
    if year < 1900:
        year += 1900
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    try:
        base = numfmt.to_serial(date(year, month, 1))
    except ValueError:
        return Err("#NUM!", "DATE evaluates to an out of bounds range.")
    return float(base + day - 1)


def _date_part(part: str) -> Callable[[Evaluator, list[Value]], Value]:
    def impl(ev: Evaluator, args: list[Value]) -> Value:
        _need(args, 1, 1)
        n = _num_arg(args[0])
        if isinstance(n, Err):
            return n
        moment = numfmt.from_serial(n)
        return float(getattr(moment, part))

    return impl


def _today(ev: Evaluator, args: list[Value]) -> Value:
    _need(args, 0, 0)
    return float(numfmt.to_serial(ev.today or date.today()))


def _now(ev: Evaluator, args: list[Value]) -> Value:
    _need(args, 0, 0)
    return float(numfmt.to_serial(datetime.now()))


def _lookup_match(needle: Scalar, haystack: list[Scalar], mode: int) -> int | None:
    if mode == 0:
        test = _criterion(needle) if isinstance(needle, str) else (lambda v: v is not None and compare(v, needle) == 0)
        for i, v in enumerate(haystack):
            if test(v):
                return i
        return None
    best = None
    for i, v in enumerate(haystack):
        if v is None or _type_rank(v) != _type_rank(needle):  # type: ignore[arg-type]
            continue
        c = compare(v, needle)
        if (mode > 0 and c <= 0) or (mode < 0 and c >= 0):
            best = i
        else:
            break
    return best


def _vlookup(ev: Evaluator, args: list[Value], horizontal: bool = False) -> Value:
    _need(args, 3, 4)
    needle = _scalar(args[0])
    if isinstance(needle, Err):
        return needle
    table = _as_range(args[1]).rows
    if horizontal:
        table = [list(col) for col in zip(*table)] if table else []
    index = _num_arg(args[2])
    if isinstance(index, Err):
        return index
    sorted_flag = to_bool(_scalar(args[3])) if len(args) > 3 else True
    if isinstance(sorted_flag, Err):
        return sorted_flag
    keys = [row[0] if row else None for row in table]
    pos = _lookup_match(needle, keys, 1 if sorted_flag else 0)
    if pos is None:
        fname = "HLOOKUP" if horizontal else "VLOOKUP"
        return Err("#N/A", f"Did not find value '{to_text(needle)}' in {fname} evaluation.")
    col = int(index) - 1
    row = table[pos]
    if not 0 <= col < len(row):
        return Err("#REF!", "Index out of range.")
    return row[col]


def _match(ev: Evaluator, args: list[Value]) -> Value:
    _need(args, 2, 3)
    needle = _scalar(args[0])
    mode = _num_arg(args[2]) if len(args) > 2 else 1.0
    if isinstance(mode, Err):
        return mode
    pos = _lookup_match(needle, _as_range(args[1]).flat(), int(mode))
    if pos is None:
        return Err("#N/A", f"Did not find value '{to_text(needle)}' in MATCH evaluation.")
    return float(pos + 1)


def _index(ev: Evaluator, args: list[Value]) -> Value:
    _need(args, 1, 3)
    rows = _as_range(args[0]).rows
    r = _num_arg(args[1]) if len(args) > 1 else 0.0
    c = _num_arg(args[2]) if len(args) > 2 else 0.0
    if isinstance(r, Err):
        return r
    if isinstance(c, Err):
        return c
    r_i, c_i = int(r), int(c)
    if len(rows) == 1 and len(args) == 2:
        r_i, c_i = 1, r_i
    if r_i == 0 and c_i == 0:
        return RangeValue(rows)
    try:
        if c_i == 0:
            return RangeValue([rows[r_i - 1]])
        if r_i == 0:
            return RangeValue([[row[c_i - 1]] for row in rows])
        return rows[r_i - 1][c_i - 1]
    except IndexError:
        return Err("#REF!", "Index out of range.")


def _text(ev: Evaluator, args: list[Value]) -> Value:
    _need(args, 2, 2)
    value, pattern = _scalar(args[0]), to_text(_scalar(args[1]))
    if isinstance(pattern, Err):
        return pattern
    n = to_number(value)
    if isinstance(n, Err):
        return to_text(value)
    return numfmt.format_pattern(n, pattern)


def _value(ev: Evaluator, args: list[Value]) -> Value:
    _need(args, 1, 1)
    return to_number(_scalar(args[0]))


def _is(kind: str) -> Callable[[Evaluator, list[Value]], Value]:
    def impl(ev: Evaluator, args: list[Value]) -> Value:
        _need(args, 1, 1)
        v = _scalar(args[0])
        if kind == "BLANK":
            return v is None
        if kind == "NUMBER":
            return isinstance(v, (int, float)) and not isinstance(v, bool)
        if kind == "TEXT":
            return isinstance(v, str)
        if kind == "ERROR":
            return isinstance(v, Err)
        if kind == "NA":
            return isinstance(v, Err) and v.code == "#N/A"
        return False

    return impl


def _math1(fn: Callable[[float], float]) -> Callable[[Evaluator, list[Value]], Value]:
    def impl(ev: Evaluator, args: list[Value]) -> Value:
        _need(args, 1, 1)
        x = _num_arg(args[0])
        if isinstance(x, Err):
            return x
        try:
            return fn(x)
        except (ValueError, OverflowError):
            return Err("#NUM!", "Invalid argument.")

    return impl


def _mod(ev: Evaluator, args: list[Value]) -> Value:
    _need(args, 2, 2)
    a, b = _num_arg(args[0]), _num_arg(args[1])
    if isinstance(a, Err):
        return a
    if isinstance(b, Err):
        return b
    if b == 0:
        return Err("#DIV/0!", "Function MOD parameter 2 cannot be zero.")
    return a - b * math.floor(a / b)


def _power(ev: Evaluator, args: list[Value]) -> Value:
    _need(args, 2, 2)
    return _pow(_num_arg(args[0]), _num_arg(args[1]))


def _pow(a: float | Err, b: float | Err) -> Value:
    if isinstance(a, Err):
        return a
    if isinstance(b, Err):
        return b
    try:
        result = a**b
    except (OverflowError, ZeroDivisionError):
        return Err("#NUM!", "Result out of range.")
    return Err("#NUM!", "Result is not a real number.") if isinstance(result, complex) else result


def _not(ev: Evaluator, args: list[Value]) -> Value:
    _need(args, 1, 1)
    b = to_bool(_scalar(args[0]))
    return b if isinstance(b, Err) else not b


def _na(ev: Evaluator, args: list[Value]) -> Value:
    return Err("#N/A", "Value not available.")


_LAZY: dict[str, Callable[[Evaluator, list[Node]], Value]] = {
    "IF": _if,
    "IFERROR": _iferror,
    "IFNA": _ifna,
    "IFS": _ifs,
}

_FUNCTIONS: dict[str, Callable[[Evaluator, list[Value]], Value]] = {
    "SUM": _agg(lambda xs: float(math.fsum(xs))),
    "AVERAGE": _agg(lambda xs: math.fsum(xs) / len(xs), empty=DIV0),
    "MIN": _agg(min),
    "MAX": _agg(max),
    "PRODUCT": _agg(lambda xs: math.prod(xs)),
    "MEDIAN": _agg(lambda xs: float(statistics.median(xs)), empty=Err("#NUM!", "MEDIAN has no valid input data.")),
    "COUNT": _count,
    "COUNTA": _counta,
    "COUNTBLANK": lambda ev, args: _counta(ev, args, blanks=True),
    "COUNTIF": _countif,
    "SUMIF": _sumif,
    "AVERAGEIF": lambda ev, args: _sumif(ev, args, average=True),
    "AND": _logical("AND"),
    "OR": _logical("OR"),
    "NOT": _not,
    "TRUE": lambda ev, args: True,
    "FALSE": lambda ev, args: False,
    "ROUND": _round_fn("half"),
    "ROUNDUP": _round_fn("up"),
    "ROUNDDOWN": _round_fn("down"),
    "INT": _math1(lambda x: float(math.floor(x))),
    "ABS": _math1(abs),
    "SQRT": _math1(math.sqrt),
    "MOD": _mod,
    "POWER": _power,
    "CONCATENATE": _concat,
    "CONCAT": _concat,
    "LEN": _text_map(lambda s: float(len(s))),
    "UPPER": _text_map(str.upper),
    "LOWER": _text_map(str.lower),
    "TRIM": _text_map(lambda s: " ".join(s.split())),
    "LEFT": _text_fn(_substr("LEFT"), 1, 2),
    "RIGHT": _text_fn(_substr("RIGHT"), 1, 2),
    "MID": _text_fn(_substr("MID"), 3, 3),
    "TEXT": _text,
    "VALUE": _value,
    "ISBLANK": _is("BLANK"),
    "ISNUMBER": _is("NUMBER"),
    "ISTEXT": _is("TEXT"),
    "ISERROR": _is("ERROR"),
    "ISNA": _is("NA"),
    "NA": _na,
    "DATE": _date,
    "YEAR": _date_part("year"),
    "MONTH": _date_part("month"),
    "DAY": _date_part("day"),
    "TODAY": _today,
    "NOW": _now,
    "VLOOKUP": _vlookup,
    "HLOOKUP": lambda ev, args: _vlookup(ev, args, horizontal=True),
    "MATCH": _match,
    "INDEX": _index,
}

SUPPORTED_FUNCTIONS = frozenset(_FUNCTIONS) | frozenset(_LAZY)
