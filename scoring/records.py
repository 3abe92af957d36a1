"""``@record``: the read-only data classes a board is made of, cheap to build.

A board of 10,000 entries builds a few hundred thousand small result objects. A frozen
dataclass sets each field through ``object.__setattr__`` in its ``__init__``: with 18 fields that
is about 5 us an object, eight times a plain slotted dataclass (0.7 us here). ``record`` makes a
plain slotted dataclass with a field-based hash and tells the type checker, through
:func:`typing.dataclass_transform`, that it is frozen: mypy rejects any assignment to a field,
so the records stay read-only where it matters (in the code that is checked) without paying for
it at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, dataclass_transform

__all__ = ["record"]

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def record(cls: type[T]) -> type[T]:
    """A slotted dataclass, equal and hashed by its fields, read-only for the type checker."""
    return dataclass(slots=True, unsafe_hash=True)(cls)
