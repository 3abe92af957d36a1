"""Embedded mode: the schedule of :mod:`tasks.schedule` run in one process, no Redis needed.

The same job functions as the Celery tasks run here; collection batches go to a thread pool
instead of the workers, rate limits and quotas are kept in memory, and the heartbeat is a file
beside the database (so `reelboard status --check-beat` works the same way).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from services.app import App
from tasks.coordination import Heartbeat
from tasks.runtime import InlineDispatcher, Runtime
from tasks.schedule import SCHEDULE, Job

log = logging.getLogger(__name__)

# The heartbeat is written at least this often (seconds).
HEARTBEAT_EVERY = 5.0


class EmbeddedRunner:
    def __init__(
        self,
        app: App,
        *,
        concurrency: int = 4,
        jobs: list[Job] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dispatcher = InlineDispatcher(concurrency)
        self.runtime = Runtime(app.settings, app=app, dispatcher=self.dispatcher, distributed=False)
        self.jobs = list(SCHEDULE if jobs is None else jobs)
        self.clock = clock
        self._stop = threading.Event()

    def job_names(self) -> list[str]:
        return [j.name for j in self.jobs]

    def stop(self) -> None:
        self._stop.set()

    def run(self, *, once: bool = False) -> Iterator[str]:
        """Run the jobs when due until :meth:`stop`; yields one line per job run.

        A heartbeat thread keeps `reelboard status --check-beat` informed while a long round
        runs."""
        beating = threading.Event()
        beater = threading.Thread(target=self._beat, args=(beating,), daemon=True)
        beater.start()
        try:
            yield from self._loop(once)
        finally:
            beating.set()
            beater.join(timeout=HEARTBEAT_EVERY * 2)

    def _beat(self, done: threading.Event) -> None:
        while True:
            try:
                self.runtime.coordination.beat(Heartbeat.now("embedded"), ttl=HEARTBEAT_EVERY * 10)
            except OSError:
                log.warning("cannot write the heartbeat", exc_info=True)
            if done.wait(HEARTBEAT_EVERY):
                return

    def _loop(self, once: bool) -> Iterator[str]:
        next_at = {job.name: 0.0 for job in self.jobs}
        while not self._stop.is_set():
            for job in self.jobs:
                if self._stop.is_set():
                    break
                if self.clock() < next_at[job.name]:
                    continue
                yield self._run_job(job)
                next_at[job.name] = self.clock() + float(job.every(self.runtime.settings))
            if once:
                return
            wait = min(next_at.values()) - self.clock()
            self._stop.wait(max(0.05, min(wait, HEARTBEAT_EVERY)))

    def _run_job(self, job: Job) -> str:
        started = time.monotonic()
        try:
            result = job.run(self.runtime)
        except Exception as exc:
            log.exception("job %s failed", job.name)
            return f"{job.name}: failed: {type(exc).__name__}: {exc}"
        elapsed = time.monotonic() - started
        return f"{job.name}: {describe(result, self.dispatcher.drain())} ({elapsed:.1f}s)"


def describe(result: Any, reports: list[dict[str, Any]]) -> str:
    if isinstance(result, dict) and "summary" in result:
        return str(result["summary"])
    rounds = result.get("rounds", []) if isinstance(result, dict) else []
    if not rounds and not reports:
        return "nothing due"
    totals: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for r in reports:
        for part in ("posts", "accounts"):
            counts = r.get(part) or {}
            for name in ("collected", "already", "deferred", "failed", "unavailable"):
                totals[name] += int(counts.get(name, 0))
        totals["calls"] += int(r.get("calls", 0))
        reasons.update({str(k): int(v) for k, v in (r.get("reasons") or {}).items()})
    parts = [
        f"{len(rounds)} round(s), {len(reports)} batch(es)",
        f"collected {totals['collected'] + totals['already']}",
        f"deferred {totals['deferred']}",
        f"failed {totals['failed']}",
    ]
    if totals["unavailable"]:
        parts.append(f"unavailable {totals['unavailable']}")
    parts.append(f"calls {totals['calls']}")
    text = ", ".join(parts)
    if reasons:
        text += " [" + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) + "]"
    return text


__all__ = ["EmbeddedRunner", "describe"]
