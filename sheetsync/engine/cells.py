"""Markers for cells whose content is not a value: formula errors, uncomputed formulas,
the hidden parts of merged ranges. Backends put these into the raw grid so that validation
reports them at the right cell instead of mistaking them for blanks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CellIssue:
    """A cell that holds no usable value. `code` is an Excel error text such as "#REF!",
    "formula-without-value", or "merged" (with `detail` naming the merged range)."""

    code: str
    detail: str | None = None

    def __str__(self) -> str:  # how it is quoted in messages
        return self.code if self.code.startswith("#") else f"<{self.code}>"
