"""The fake world's clock: manual by default (deterministic tests), or running in real time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class FakeClock:
    """``now()`` is ``start`` plus every :meth:`advance`, plus wall time when ``realtime``."""

    def __init__(self, start: datetime | None = None, *, realtime: bool = False) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("the fake clock needs an aware start time")
        self._start = (start or datetime(2026, 9, 15, 0, 0, tzinfo=UTC)).astimezone(UTC)
        self._offset = timedelta(0)
        self._realtime = realtime
        self._t0 = time.monotonic()
        self._lock = threading.Lock()

    @property
    def realtime(self) -> bool:
        return self._realtime

    def now(self) -> datetime:
        with self._lock:
            t = self._start + self._offset
            if self._realtime:
                t += timedelta(seconds=time.monotonic() - self._t0)
            return t

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move time forward by ``delta`` or ``timedelta(**kwargs)``; returns the new now."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError("the fake clock only moves forward")
        with self._lock:
            self._offset += step
        return self.now()

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("the fake clock needs an aware time")
        now = self.now()
        if when < now:
            raise ValueError("the fake clock only moves forward")
        with self._lock:
            self._offset += when - now


__all__ = ["FakeClock"]
