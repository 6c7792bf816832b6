"""The README's layout section names every package and top-level module of the tree."""

from __future__ import annotations

from pathlib import Path

import sheetsync

ROOT = Path(sheetsync.__file__).parent.parent


def layout_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Phát triển")
    return text[start:text.index("```", text.index("```", start) + 3)]


def test_every_package_and_module_of_the_tree_is_in_the_readme_layout():
    block = layout_block()
    package = ROOT / "sheetsync"
    names = [f"{p.name}/" for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    names += [p.name for p in package.glob("*.py") if p.name != "__init__.py"]
    for sub in ("backends/xlsx", "backends/google", "history/store"):
        names.append(f"{Path(sub).name}/")
    missing = [n for n in names if n not in block]
    assert missing == []
