"""The beat's scheduler: RedBeat (schedule in Redis) with a lock that survives Redis restarts.

Only the beat holding the Redis lock ``<prefix>:redbeat:lock`` schedules; any other beat that is
started waits as a standby and takes over once the holder stops renewing the lock (it died, or
lost its connection for longer than ``REELBOARD_BEAT_LOCK_TIMEOUT``).

RedBeat itself takes the lock once, at start-up, with a blocking call, and renews it on every
tick; after a Redis restart (which forgets the lock and the schedule) its renewal fails and the
beat stops. This subclass instead tries to take or renew the lock on every tick without
blocking, re-installs the schedule when Redis lost it, keeps going through connection errors,
and writes a heartbeat that ``reelboard status --check-beat`` reads.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from celery.signals import beat_init
from redbeat.schedulers import (
    RedBeatScheduler,
    acquire_distributed_beat_lock,
    get_redis,
)
from redis.exceptions import LockError

from tasks.coordination import Heartbeat, RedisCoordination

log = logging.getLogger("reelboard.beat")

# RedBeat's own start-up lock (blocking, once) is replaced by the per-tick lock below.
beat_init.disconnect(acquire_distributed_beat_lock)

REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError)
# While Redis is unreachable, or while standing by, check again this often (seconds).
RETRY_INTERVAL = 1.0


class ReelboardScheduler(RedBeatScheduler):  # type: ignore[misc]
    def __init__(self, app: Any, **kwargs: Any) -> None:
        self._installed = False
        self._holding = False
        super().__init__(app, **kwargs)
        self.lock: Any = None

    # ---- start-up ---------------------------------------------------------------------------
    def setup_schedule(self) -> None:
        try:
            super().setup_schedule()
            self._installed = True
        except REDIS_ERRORS as exc:
            log.warning(
                "beat: Redis unreachable at start-up (%s); will install the schedule "
                "once it answers",
                exc,
            )

    # ---- every tick -------------------------------------------------------------------------
    def tick(self, min: Any = min, **kwargs: Any) -> float:
        try:
            if not self._hold_lock():
                return float(min(RETRY_INTERVAL * 2, self.max_interval))
            if not self._installed or not self._schedule_present():
                log.info("beat: installing the schedule in Redis")
                super().setup_schedule()
                self._installed = True
            interval = self._run_due(min)
            self._heartbeat()
            return interval
        except REDIS_ERRORS as exc:
            log.warning("beat: Redis unreachable (%s); retrying", exc)
            return RETRY_INTERVAL

    def _run_due(self, min: Any) -> float:
        remaining = []
        for entry in self.schedule.values():
            next_time = self.maybe_due(entry, **self._maybe_due_kwargs)
            if next_time:
                remaining.append(next_time)
        return float(min([*remaining, self.max_interval]))

    def _hold_lock(self) -> bool:
        """Take or renew the scheduling lock; False while another beat holds it."""
        client = get_redis(self.app)
        if self.lock is None:
            self.lock = client.lock(
                self.lock_key, timeout=self.lock_timeout, sleep=RETRY_INTERVAL, thread_local=False
            )
        lock = self.lock
        if self._holding:
            try:
                lock.reacquire()
                return True
            except LockError:
                log.warning(
                    "beat: lost the scheduling lock (Redis restarted, or this beat was "
                    "away longer than %ss)",
                    self.lock_timeout,
                )
                self._holding = False
        if lock.acquire(blocking=False):
            log.info("beat: acquired the scheduling lock %s", self.lock_key)
            self._holding = True
            return True
        return False

    def _schedule_present(self) -> bool:
        return bool(get_redis(self.app).exists(self.app.redbeat_conf.statics_key))

    def _heartbeat(self) -> None:
        prefix = str(self.app.conf.reelboard_redis_prefix)
        coordination = RedisCoordination(get_redis(self.app), prefix)
        coordination.beat(Heartbeat.now("beat"), ttl=max(300, 10 * self.lock_timeout))

    def close(self) -> None:
        if self.lock is not None and self._holding:
            try:
                self.lock.release()
                log.info("beat: released the scheduling lock")
            except (LockError, *REDIS_ERRORS):
                pass
        self.lock = None
        self._holding = False
        super(RedBeatScheduler, self).close()


__all__ = ["ReelboardScheduler"]
