"""Remembering who may not be called until when.

When an API says "slow down" (an error code, a 429, a usage header near its limit) the adapter
blocks the named scope in a :class:`RateGate`; every later call to that scope is refused locally,
without touching the network, until the time has passed. Scopes are strings:

- ``graph:app`` the whole Meta app; ``graph:<credential key>`` one Instagram account / Page;
- ``youtube:app`` the project's API key (its daily quota);
- ``tiktok:<credential key>`` one user token.

The in-memory gate serves one process (the inline round and tests). The distributed Celery
deployment supplies its own implementation of the same protocol backed by Redis.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


def utcnow() -> datetime:
    return datetime.now(UTC)


@runtime_checkable
class RateGate(Protocol):
    def blocked(self, scope: str) -> tuple[datetime, str] | None:
        """(the time ``scope`` may be called again, why) or None when it may be called now."""
        ...

    def blocked_until(self, scope: str) -> datetime | None:
        """The time ``scope`` may be called again, or None when it may be called now."""
        ...

    def block(self, scope: str, until: datetime, reason: str) -> None:
        """Refuse calls to ``scope`` until ``until`` (a later block wins, never an earlier)."""
        ...


class MemoryRateGate:
    """A thread-safe :class:`RateGate` for one process."""

    def __init__(self, now: Callable[[], datetime] = utcnow) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._until: dict[str, tuple[datetime, str]] = {}

    def blocked(self, scope: str) -> tuple[datetime, str] | None:
        with self._lock:
            entry = self._until.get(scope)
            if entry is None:
                return None
            if entry[0] <= self._now():
                del self._until[scope]
                return None
            return entry

    def blocked_until(self, scope: str) -> datetime | None:
        entry = self.blocked(scope)
        return entry[0] if entry else None

    def block(self, scope: str, until: datetime, reason: str) -> None:
        with self._lock:
            current = self._until.get(scope)
            if current is None or current[0] < until:
                self._until[scope] = (until, reason)

    def blocks(self) -> dict[str, tuple[datetime, str]]:
        """Every scope still blocked, with its time and reason (for reports and tests)."""
        now = self._now()
        with self._lock:
            return {k: v for k, v in self._until.items() if v[0] > now}

    def clear(self) -> None:
        with self._lock:
            self._until.clear()


__all__ = ["MemoryRateGate", "RateGate", "utcnow"]
