"""The package's layers point one way: no module reaches back into one that imports it.

Every import counts, those inside functions too (an import moved into a function to dodge a
cycle is still a cycle); only `if TYPE_CHECKING:` blocks, which never run, are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sheetsync

PACKAGE = Path(sheetsync.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(tree: ast.AST, here: str, is_package: bool) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = here.split(".") if is_package else here.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py") if "emulator" not in p.parts}  # a package apart
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = runtime_imports(tree, name, path.name == "__init__.py")
        edges[name] = {t for t in targets if t in modules and t != name}
    # importing a.b.c runs a/__init__ and a/b/__init__ first
    for name in list(edges):
        edges[name] |= {p for t in list(edges[name]) for p in parents(t) if p in modules and p != name
                        and not name.startswith(p + ".")}
    return edges


def parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = dfs(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state:
            found = dfs(n)
            if found:
                return found
    return None


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, " → ".join(cycle)


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_engine_imports_no_backend_store_service_or_front_end():
    edges = graph()
    engine = [m for m in edges if m.startswith("sheetsync.engine")]
    outward = {m: sorted(t for t in edges[m] if t.startswith(("sheetsync.backends", "sheetsync.history",
                                                                "sheetsync.service", "sheetsync.cli",
                                                                "sheetsync.forms")))
               for m in engine}
    assert {m: t for m, t in outward.items() if t} == {}


def test_results_and_errors_import_only_leaf_modules():
    edges = graph()
    assert edges["sheetsync.errors"] == set()
    assert edges["sheetsync.results"] <= {"sheetsync.errors", "sheetsync.engine", "sheetsync.engine.findings"}


def test_production_code_never_imports_the_emulator():
    edges = graph()
    users = sorted(m for m, targets in edges.items() if any("emulator" in t for t in targets)
                   and "emulator" not in m and m != "sheetsync.cli")
    assert users == []
