"""Small shared facts between processes: round claims and the beat's heartbeat.

Distributed mode keeps them in Redis under the deployment's prefix; embedded mode keeps claims in
memory and the heartbeat in a file beside the database, so `reelboard status --check-beat` (a
separate process) can read it.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import redis


@dataclass(frozen=True)
class Heartbeat:
    at: datetime
    host: str
    pid: int
    mode: str  # "beat" or "embedded"

    def to_json(self) -> str:
        return json.dumps(
            {"at": self.at.isoformat(), "host": self.host, "pid": self.pid, "mode": self.mode}
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Heartbeat:
        data: dict[str, Any] = json.loads(raw)
        return cls(
            at=datetime.fromisoformat(data["at"]),
            host=str(data["host"]),
            pid=int(data["pid"]),
            mode=str(data["mode"]),
        )

    @classmethod
    def now(cls, mode: str) -> Heartbeat:
        return cls(at=datetime.now(UTC), host=socket.gethostname(), pid=os.getpid(), mode=mode)


class Coordination(Protocol):
    def claim(self, key: str, ttl: float) -> bool:
        """True for the first caller in ``ttl`` seconds, False for every other."""
        ...

    def release(self, key: str) -> None: ...

    def beat(self, heartbeat: Heartbeat, ttl: float) -> None: ...

    def last_beat(self) -> Heartbeat | None: ...


class RedisCoordination:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def claim(self, key: str, ttl: float) -> bool:
        return bool(self.client.set(f"{self.prefix}:claim:{key}", "1", nx=True, px=int(ttl * 1000)))

    def release(self, key: str) -> None:
        self.client.delete(f"{self.prefix}:claim:{key}")

    def beat(self, heartbeat: Heartbeat, ttl: float) -> None:
        self.client.set(f"{self.prefix}:beat:heartbeat", heartbeat.to_json(), ex=int(ttl))

    def last_beat(self) -> Heartbeat | None:
        raw: Any = self.client.get(f"{self.prefix}:beat:heartbeat")
        return Heartbeat.from_json(raw) if raw is not None else None


class LocalCoordination:
    """One process: claims in memory, the heartbeat in a file."""

    def __init__(self, heartbeat_file: Path) -> None:
        self.heartbeat_file = heartbeat_file
        self._claims: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, ttl: float) -> bool:
        now = time.monotonic()
        with self._lock:
            until = self._claims.get(key)
            if until is not None and until > now:
                return False
            self._claims[key] = now + ttl
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._claims.pop(key, None)

    def beat(self, heartbeat: Heartbeat, ttl: float) -> None:
        tmp = self.heartbeat_file.with_suffix(".tmp")
        tmp.write_text(heartbeat.to_json(), encoding="utf-8")
        tmp.replace(self.heartbeat_file)

    def last_beat(self) -> Heartbeat | None:
        try:
            return Heartbeat.from_json(self.heartbeat_file.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError):
            return None


def heartbeat_file(database_folder: Path) -> Path:
    return database_folder / "reelboard-run.heartbeat"


__all__ = [
    "Coordination",
    "Heartbeat",
    "LocalCoordination",
    "RedisCoordination",
    "heartbeat_file",
]
