"""A board as plain JSON-ready data (for storing a frozen board, the CLI and the dashboard)."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scoring.board import Board, BoardRow

__all__ = ["STEADY_DIGITS", "board_to_dict", "plain", "steady"]

# Significant digits two computations of one board agree on, whatever CPU and numpy/BLAS build
# ran them: fitted values (judge offsets, Theil-Sen lines, priors) differ in their last bits.
STEADY_DIGITS = 10

# Fields only the committee sees: who scored what, judges' leniency, integrity flags.
COMMITTEE_ONLY = {"scorecards", "conflicted_judges", "excluded_incomplete", "spread"}


_Converter = Callable[[Any], Any]
_CONVERTERS: dict[type, _Converter] = {}


def _identity(value: Any) -> Any:
    return value


def _float(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None


def _fraction(value: Fraction) -> float:
    return float(value)


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _dict(value: dict[Any, Any]) -> dict[str, Any]:
    return {str(k): plain(v) for k, v in value.items()}


def _list(value: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [plain(v) for v in value]


def _converter(kind: type) -> _Converter:
    """How to make values of ``kind`` plain (built once per type: boards hold many rows)."""
    if kind is type(None) or issubclass(kind, bool | int | str):
        if issubclass(kind, str) and kind is not str:
            return str  # enums and other str subclasses
        return _identity
    if issubclass(kind, float):
        return _float
    if issubclass(kind, Fraction):
        return _fraction
    if issubclass(kind, datetime):
        return _time
    if is_dataclass(kind):
        names = tuple(f.name for f in fields(kind))

        def convert(value: Any) -> dict[str, Any]:
            return {name: plain(getattr(value, name)) for name in names}

        return convert
    if issubclass(kind, tuple) and hasattr(kind, "_fields"):  # a named tuple: like a dataclass
        names = tuple(kind._fields)

        def convert_named(value: Any) -> dict[str, Any]:
            return {name: plain(getattr(value, name)) for name in names}

        return convert_named
    if issubclass(kind, dict):
        return _dict
    if issubclass(kind, list | tuple):
        return _list
    if issubclass(kind, numbers.Integral):
        return int
    if issubclass(kind, numbers.Real):
        return lambda v: _float(float(v))
    return str


def plain(value: Any) -> Any:
    """Dataclasses, times, fractions and tuples as JSON-ready values."""
    kind = type(value)
    convert = _CONVERTERS.get(kind)
    if convert is None:
        convert = _CONVERTERS[kind] = _converter(kind)
    return convert(value)


def _row(row: BoardRow, committee: bool) -> dict[str, Any]:
    d: dict[str, Any] = plain(row)
    if not committee:
        d.pop("flags", None)
        for c in d["criteria"]:
            cr = c.get("creativity")
            if cr is not None:
                for k in COMMITTEE_ONLY:
                    cr.pop(k, None)
    return d


def board_to_dict(board: Board, *, committee: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = {
        "challenge": board.challenge,
        "as_of": plain(board.as_of),
        "opens_at": plain(board.opens_at),
        "closes_at": plain(board.closes_at),
        "final": board.final,
        "rubric_name": board.rubric_name,
        "rubric_sha256": board.rubric_sha256,
        "inputs_sha256": board.inputs_sha256,
        "decimals": board.decimals,
        "weights": plain(board.weights),
        "warnings": plain(board.warnings),
        "platforms": plain(board.platforms),
        "rows": [_row(r, committee) for r in board.rows],
    }
    if committee:
        d["judging"] = plain(board.judging)
        d["sensitivity"] = plain(board.sensitivity)
    return d


def steady(value: Any, digits: int = STEADY_DIGITS) -> Any:
    """A JSON-ready ``value`` with every float carried to ``digits`` significant digits, for
    comparing two computations of a board without the machine's floating-point noise."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: steady(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [steady(v, digits) for v in value]
    return value
