"""The ``@record`` data classes: plain slotted dataclasses, equal and hashed by their fields."""

from __future__ import annotations

import dataclasses

from scoring.board import BoardRow, CriterionResult, Note
from scoring.records import record


@record
class _Point:
    x: int
    label: str = "p"


def test_a_record_is_a_slotted_dataclass_equal_and_hashed_by_its_fields() -> None:
    a, b = _Point(1), _Point(1)
    assert a == b and hash(a) == hash(b) and a != _Point(2)
    assert not hasattr(a, "__dict__")
    assert dataclasses.replace(a, label="q") == _Point(1, "q")
    assert {a, b, _Point(1, "q")} == {_Point(1), _Point(1, "q")}


def test_the_board_result_types_are_records() -> None:
    for kind in (BoardRow, CriterionResult, Note):
        assert dataclasses.is_dataclass(kind) and "__slots__" in vars(kind)
    assert hash(Note("x", "y")) == hash(Note("x", "y"))
