"""Google field masks: ``fields=sheets.data.rowData.values.note``.

Google accepts several spellings for the same mask and clients use all of them:
dotted (``a.b``), slashed (``a/b``), grouped (``a(b,c)``), snake_case or
camelCase, and ``*``.  A mask is parsed into a tree ``{name: subtree | None}``
where ``None`` means "the whole value".  The same tree drives both response
filtering (``fields`` query parameter) and partial updates (the ``fields``
member of ``repeatCell``/``updateSheetProperties``/... requests).
"""

from __future__ import annotations

import re
from typing import Any

MaskTree = dict[str, "MaskTree | None"]

_TOKEN = re.compile(r"\s*([A-Za-z0-9_*@]+|[.,/()])")


class FieldMaskError(ValueError):
    pass


def camel(name: str) -> str:
    """snake_case → camelCase (Google accepts both in masks)."""
    if "_" not in name:
        return name
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def parse(mask: str) -> MaskTree:
    tokens = _tokenize(mask)
    tree: MaskTree = {}
    pos = _parse_list(tokens, 0, tree)
    if pos != len(tokens):
        raise FieldMaskError(f"Invalid field selection {mask}")
    return tree


def _tokenize(mask: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    mask = mask.strip()
    while pos < len(mask):
        m = _TOKEN.match(mask, pos)
        if not m:
            raise FieldMaskError(f"Invalid field selection {mask}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


def _parse_list(tokens: list[str], pos: int, into: MaskTree) -> int:
    while True:
        pos = _parse_item(tokens, pos, into)
        if pos < len(tokens) and tokens[pos] == ",":
            pos += 1
            continue
        return pos


def _parse_item(tokens: list[str], pos: int, into: MaskTree) -> int:
    path: list[str] = []
    while True:
        if pos >= len(tokens) or not re.fullmatch(r"[A-Za-z0-9_*@]+", tokens[pos]):
            raise FieldMaskError("Invalid field selection")
        path.append(camel(tokens[pos]))
        pos += 1
        if pos < len(tokens) and tokens[pos] in "./":
            pos += 1
            continue
        break
    sub: MaskTree | None = None
    if pos < len(tokens) and tokens[pos] == "(":
        sub = {}
        pos = _parse_list(tokens, pos + 1, sub)
        if pos >= len(tokens) or tokens[pos] != ")":
            raise FieldMaskError("Invalid field selection: unbalanced parentheses")
        pos += 1
    _insert(into, path, sub)
    return pos


def _insert(tree: MaskTree, path: list[str], leaf: MaskTree | None) -> None:
    node = tree
    for name in path[:-1]:
        if name in node and node[name] is None:
            return  # an ancestor is already selected whole
        node = node.setdefault(name, {})  # type: ignore[assignment]
    last = path[-1]
    if leaf is None:
        node[last] = None
    elif last in node and node[last] is None:
        return
    else:
        existing = node.setdefault(last, {})
        assert existing is not None
        for key, value in leaf.items():
            _insert(existing, [key], value)


def apply(value: Any, tree: MaskTree | None) -> Any:
    """Keep only the masked parts of a JSON value (lists are filtered element-wise)."""
    if tree is None:
        return value
    if isinstance(value, list):
        return [apply(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    star = tree.get("*", False)
    for key, item in value.items():
        if key in tree:
            out[key] = apply(item, tree[key])
        elif star is not False:
            out[key] = apply(item, star)  # type: ignore[arg-type]
    return out


def leaf_paths(tree: MaskTree) -> list[tuple[str, ...]]:
    """Flatten a mask into the paths it selects (``("userEnteredFormat", "textFormat")``)."""
    paths: list[tuple[str, ...]] = []
    for key, sub in tree.items():
        if sub is None:
            paths.append((key,))
        else:
            paths.extend((key, *rest) for rest in leaf_paths(sub))
    return paths


def selects(tree: MaskTree | None, *path: str) -> bool:
    """Whether a mask selects anything at or below ``path``."""
    if tree is None:
        return True
    node: MaskTree | None = tree
    for name in path:
        if node is None:
            return True
        if name in node:
            node = node[name]
        elif "*" in node:
            node = node["*"]
        else:
            return False
    return True
