"""Pause Python's cyclic garbage collector while a board is built.

A board of 10,000 entries allocates a few hundred thousand small objects (rows, inputs, results)
that all stay alive until the board is done and contain no reference cycles: reference counting
frees them. The cyclic collector still runs full passes over the whole heap while they pile up,
which took about a third of the time of a 10k board. Pausing it changes no result.

The pause is process-wide and nests: it ends when the outermost pause ends (from any thread), and
the collector is only turned back on if it was on when the first pause began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


class _Pauses:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.resume = False

    def enter(self) -> None:
        with self.lock:
            if self.depth == 0:
                self.resume = gc.isenabled()
                gc.disable()
            self.depth += 1

    def leave(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0 and self.resume:
                gc.enable()


_PAUSES = _Pauses()


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting still frees memory)."""
    _PAUSES.enter()
    try:
        yield
    finally:
        _PAUSES.leave()
