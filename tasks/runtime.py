"""What a scheduled job needs in one process, for either mode.

:class:`Runtime` bundles the application context (database), the rate limits and quotas (shared
through Redis in the distributed mode, in memory in the embedded mode), the coordination facts
(round claims, beat heartbeat) and the *dispatcher* that carries collection batches: Celery tasks
in the distributed mode, a thread pool in the embedded mode. The planning and collection code is
the same in both; only the dispatcher differs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from reelboard.settings import Settings
from services.app import App
from tasks.coordination import (
    Coordination,
    LocalCoordination,
    RedisCoordination,
    heartbeat_file,
)
from tasks.ratelimit import Limits

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger(__name__)

COLLECT_TASK = "reelboard.collect_batch"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Dispatcher(Protocol):
    def submit(self, runtime: Runtime, round_key: str, batches: Sequence[dict[str, Any]]) -> int:
        """Hand the round's batches (JSON) to whatever runs them; the number handed over."""
        ...


class CeleryDispatcher:
    """Sends one ``reelboard.collect_batch`` task per batch, with a task id derived from the
    round, so a re-planned round reuses the ids."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def submit(self, runtime: Runtime, round_key: str, batches: Sequence[dict[str, Any]]) -> int:
        for i, batch in enumerate(batches):
            self.celery.send_task(COLLECT_TASK, args=[batch], task_id=batch_task_id(round_key, i))
        return len(batches)


class InlineDispatcher:
    """Runs the batches in this process, ``concurrency`` at a time."""

    def __init__(self, concurrency: int = 4) -> None:
        self.concurrency = concurrency
        self.reports: list[dict[str, Any]] = []

    def submit(self, runtime: Runtime, round_key: str, batches: Sequence[dict[str, Any]]) -> int:
        from tasks.planning import collect_with_retries

        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            for report in pool.map(lambda b: collect_with_retries(runtime, b), batches):
                self.reports.append(report)
        return len(batches)

    def drain(self) -> list[dict[str, Any]]:
        """The reports of the batches run since the last call."""
        out, self.reports = self.reports, []
        return out


def http_config(settings: Settings, limits: Limits) -> Any:
    """The collector's HTTP configuration: the settings' timeout, every request paced by
    ``limits`` (shared through Redis, or this process's memory)."""
    from collector.http import HttpConfig

    return HttpConfig(read_timeout=settings.http_timeout, limiter=limits.pacer)


def inline_http(settings: Settings) -> Any:
    """For a round run in this process (`reelboard collect --inline`, the embedded mode): the
    same limits as the workers (Redis when configured, else memory)."""
    limits = Limits.build(
        redis_url=settings.redis_url,
        prefix=settings.redis_prefix,
        rate_limits=settings.rate_limits,
        youtube_daily_quota=settings.youtube_daily_quota,
    )
    return http_config(settings, limits)


def batch_task_id(round_key: str, index: int) -> str:
    return f"{round_key}#{index}"


class Runtime:
    """One process's view of the world (a worker child process, the beat, ``reelboard run``)."""

    def __init__(
        self,
        settings: Settings,
        *,
        app: App | None = None,
        dispatcher: Dispatcher | None = None,
        distributed: bool | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.app = app or App(settings)
        self.distributed = bool(settings.redis_url) if distributed is None else distributed
        self.now = now
        self._dispatcher = dispatcher

    @cached_property
    def limits(self) -> Limits:
        s = self.settings
        return Limits.build(
            redis_url=s.redis_url if self.distributed else None,
            prefix=s.redis_prefix,
            rate_limits=s.rate_limits,
            youtube_daily_quota=s.youtube_daily_quota,
        )

    @cached_property
    def coordination(self) -> Coordination:
        if self.distributed:
            import redis

            assert self.settings.redis_url
            client = redis.Redis.from_url(self.settings.redis_url, socket_timeout=10)
            return RedisCoordination(client, self.settings.redis_prefix)
        db = self.settings.sqlite_path()
        folder = db.parent if db is not None else self.settings.key_file().parent
        return LocalCoordination(heartbeat_file(folder))

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            if self.distributed:
                from tasks.celery_app import app as celery

                self._dispatcher = CeleryDispatcher(celery)
            else:
                self._dispatcher = InlineDispatcher()
        return self._dispatcher

    @cached_property
    def adapters(self) -> Any:
        """The platform adapters, calling through this process's shared gate and pacer."""
        from collector.adapters import build_adapters

        http = http_config(self.settings, self.limits)
        return build_adapters(self.settings, http=http, gate=self.limits.gate)

    @cached_property
    def round_context(self) -> Any:
        """The collector's context for this process: one per runtime, so its SQLite write lock
        is shared by every thread collecting batches here."""
        from collector.round import RoundContext

        app = self.app
        return RoundContext(
            sessions=app.sessions,
            adapters=self.adapters,
            token_box=lambda: app.token_box,
            now=self.now,
        )

    def close(self) -> None:
        if "adapters" in self.__dict__:
            self.adapters.close()
        self.app.dispose()


__all__ = [
    "COLLECT_TASK",
    "CeleryDispatcher",
    "Dispatcher",
    "InlineDispatcher",
    "Runtime",
    "batch_task_id",
    "http_config",
    "inline_http",
]
