"""Every call the fake server receives, counted per endpoint and credential, with times."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Call:
    """One HTTP request (``operation`` False) or one operation inside a Graph batch (True)."""

    seq: int
    api: str  # graph | youtube | tiktok | short
    endpoint: str  # e.g. youtube.videos.list, graph.batch, graph.insights, tiktok.video.query
    credential: str | None  # a label of whose token/key it was, never the secret itself
    status: int
    wall_time: float  # time.time() when received
    world_time: datetime
    items: int = 0  # ids asked for (videos.list ids, video/query ids, batch operations)
    operation: bool = False
    fault: str | None = None  # the injected fault, if any

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["world_time"] = self.world_time.isoformat()
        return d


class CallLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._seq = 0

    def record(
        self,
        *,
        api: str,
        endpoint: str,
        credential: str | None,
        status: int,
        world_time: datetime,
        items: int = 0,
        operation: bool = False,
        fault: str | None = None,
    ) -> Call:
        with self._lock:
            self._seq += 1
            call = Call(
                seq=self._seq,
                api=api,
                endpoint=endpoint,
                credential=credential,
                status=status,
                wall_time=time.time(),
                world_time=world_time,
                items=items,
                operation=operation,
                fault=fault,
            )
            self._calls.append(call)
            return call

    def calls(
        self,
        *,
        api: str | None = None,
        endpoint: str | None = None,
        credential: str | None = None,
        operations: bool = False,
        status: int | None = None,
    ) -> list[Call]:
        """Matching calls; ``endpoint`` matches as a prefix (``"graph"`` matches all Graph).

        ``operations=False`` gives HTTP requests only; True gives Graph batch operations only.
        """
        with self._lock:
            snapshot = list(self._calls)
        return [
            c
            for c in snapshot
            if c.operation == operations
            and (api is None or c.api == api)
            and (
                endpoint is None or c.endpoint == endpoint or c.endpoint.startswith(endpoint + ".")
            )
            and (credential is None or c.credential == credential)
            and (status is None or c.status == status)
        ]

    def count(self, **kwargs: Any) -> int:
        return len(self.calls(**kwargs))

    def by_endpoint(self, *, operations: bool = False) -> dict[str, int]:
        return dict(Counter(c.endpoint for c in self.calls(operations=operations)))

    def by_credential(self) -> dict[str, int]:
        return dict(Counter(c.credential or "-" for c in self.calls()))

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()

    def summary(self) -> dict[str, Any]:
        return {
            "total": self.count(),
            "operations": self.count(operations=True),
            "by_endpoint": self.by_endpoint(),
            "operations_by_endpoint": self.by_endpoint(operations=True),
            "by_credential": self.by_credential(),
        }


__all__ = ["Call", "CallLog"]
