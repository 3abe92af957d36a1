"""Errors that mean the user's input is wrong (the command exits with code 2)."""

from __future__ import annotations

from dataclasses import dataclass, field


class BadInput(ValueError):
    """Input that cannot be used; the message says what is wrong and where."""


@dataclass
class RowProblem:
    line: int
    message: str


@dataclass
class RowErrors(BadInput):
    """A file with bad rows: nothing was written, every bad row is listed with its line."""

    source: str
    problems: list[RowProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"{self.source}: {len(self.problems)} bad row(s), nothing was written"
        lines = [f"  line {p.line}: {p.message}" for p in self.problems]
        return "\n".join([head, *lines])
