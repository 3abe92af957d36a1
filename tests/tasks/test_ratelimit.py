"""Shared gate, pacer and daily budget against the real Redis (and their in-memory twins)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis
from limits.storage import MemoryStorage, RedisStorage

from collector.errors import RateLimited, Reason
from tasks.ratelimit import (
    Budget,
    DailyBudget,
    Limits,
    Pacer,
    SharedGate,
    day_of,
    rules_from,
)
from tests.tasks.conftest import REDIS_URL


def test_gate_block_is_seen_by_every_worker_and_a_later_block_wins(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    worker_a = SharedGate(redis.Redis.from_url(REDIS_URL), redis_prefix)
    worker_b = SharedGate(redis.Redis.from_url(REDIS_URL), redis_prefix)
    now = datetime.now(UTC)
    assert worker_b.blocked_until("graph:app") is None
    worker_a.block("graph:app", now + timedelta(minutes=10), "X-App-Usage 95%")
    until = worker_b.blocked_until("graph:app")
    assert until is not None and abs((until - (now + timedelta(minutes=10))).total_seconds()) < 0.01
    worker_b.block("graph:app", now + timedelta(minutes=1), "code 4")  # earlier: ignored
    assert worker_a.blocked_until("graph:app") == until
    assert worker_a.blocks()["graph:app"][1] == "X-App-Usage 95%"
    worker_a.block("tiktok:lib-1", now + timedelta(milliseconds=300), "429")
    assert worker_b.blocked_until("tiktok:lib-1") is not None
    time.sleep(0.4)
    assert worker_b.blocked_until("tiktok:lib-1") is None
    # The key expires by itself: nothing is left behind.
    assert redis_client.exists(f"{redis_prefix}:gate:tiktok:lib-1") == 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["redis", "memory"])
def test_pacer_never_lets_more_calls_than_the_limit_into_a_window(
    backend: str, redis_prefix: str
) -> None:
    # 5 calls per 1 s as configured, enforced over 2 s (one second of margin).
    rules = rules_from({"tiktok:*": "5/second"})
    calls: list[float] = []
    lock = threading.Lock()
    memory = MemoryStorage()

    def worker() -> None:
        storage = (
            RedisStorage(REDIS_URL, key_prefix=f"{redis_prefix}:limits")
            if backend == "redis"
            else memory
        )
        pacer = Pacer(storage, rules, max_wait=30)
        for _ in range(5):
            pacer.acquire(["tiktok:lib-7"])
            with lock:
                calls.append(time.time())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 15
    calls.sort()
    # In any window of the configured length, at most 5 calls (the one-second margin absorbs
    # the jitter between taking room in the window and the moment the call is made).
    for i, t0 in enumerate(calls):
        assert sum(1 for t in calls[i:] if t < t0 + 1.0) <= 5
    # The margin is real: 15 calls at 5 per 2 s need at least two full 2-second windows.
    assert time.time() - started >= 4.0


def test_pacer_defers_instead_of_waiting_long(redis_prefix: str) -> None:
    storage = RedisStorage(REDIS_URL, key_prefix=f"{redis_prefix}:limits")
    pacer = Pacer(storage, rules_from({"graph:*": "2/minute"}), max_wait=0.5)
    pacer.acquire(["graph:app", "graph:lib-1"])  # graph:app has no rule here
    pacer.acquire(["graph:lib-1"])
    with pytest.raises(RateLimited) as caught:
        pacer.acquire(["graph:lib-1"])
    assert caught.value.scope == "graph:lib-1"
    assert caught.value.retry_at > datetime.now(UTC) + timedelta(seconds=50)
    # Another credential has its own window.
    pacer.acquire(["graph:lib-2"])


def test_day_of_uses_pacific_midnight_across_daylight_saving() -> None:
    # 2026-03-08 is the spring-forward day in California (PST -> PDT).
    day, next_day = day_of(datetime(2026, 3, 8, 9, 0, tzinfo=UTC), Budget("y", 1).tz)
    assert day == "2026-03-08"
    assert next_day == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)  # midnight PDT
    day, next_day = day_of(datetime(2026, 3, 8, 7, 59, tzinfo=UTC), Budget("y", 1).tz)
    assert day == "2026-03-07"
    assert next_day == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)  # midnight PST


@pytest.mark.parametrize("backend", ["redis", "memory"])
def test_youtube_budget_is_shared_and_resets_at_pacific_midnight(
    backend: str, redis_prefix: str
) -> None:
    clock = [datetime(2026, 11, 20, 7, 30, tzinfo=UTC)]  # 23:30 PST on the 19th
    client = redis.Redis.from_url(REDIS_URL) if backend == "redis" else None
    budgets = [Budget("youtube:app", 10)]
    one = DailyBudget(budgets, client=client, prefix=redis_prefix, now=lambda: clock[0])
    two = DailyBudget(budgets, client=client, prefix=redis_prefix, now=lambda: clock[0])
    if client is None:
        two = one  # memory: one process
    one.spend("youtube:app", 6)
    two.spend("youtube:app", 4)
    assert one.used_today("youtube:app") == 10
    with pytest.raises(RateLimited) as caught:
        two.spend("youtube:app", 1)
    assert caught.value.reason is Reason.QUOTA_EXCEEDED
    assert caught.value.retry_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert one.used_today("youtube:app") == 10  # a refused spend takes nothing
    one.spend("tiktok:x", 1000)  # no budget for that scope
    clock[0] = datetime(2026, 11, 20, 8, 0, 1, tzinfo=UTC)  # just after midnight Pacific
    assert one.used_today("youtube:app") == 0
    two.spend("youtube:app", 10)


def test_quota_exhaustion_blocks_the_shared_gate(redis_prefix: str) -> None:
    limits = Limits.build(
        redis_url=REDIS_URL,
        prefix=redis_prefix,
        rate_limits={"youtube:app": "100/second"},
        youtube_daily_quota=3,
    )
    for _ in range(3):
        limits.pacer.acquire(["youtube:app"], quota_units=1)
    with pytest.raises(RateLimited):
        limits.pacer.acquire(["youtube:app"], quota_units=1)
    other = Limits.build(
        redis_url=REDIS_URL, prefix=redis_prefix, rate_limits={}, youtube_daily_quota=3
    )
    assert other.gate.blocked_until("youtube:app") is not None
    assert other.budget.used_today("youtube:app") == 3
