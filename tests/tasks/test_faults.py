"""Faults the distributed collection survives: Redis restarts, a flaky platform, and shared
rate limits that hold however many workers run. Real Redis, PostgreSQL and worker processes.

The Redis-restart tests restart a redis-server of their own (``own_redis``), never the shared
one that tests running in parallel use."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from collector.round import RoundSummary
from store.enums import Platform
from store.health import collection_health
from tasks.coordination import Heartbeat
from tasks.distributed import collect_on_workers
from tasks.status import status_report
from tests.tasks.cluster import Cluster, populate, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


def _heartbeat(cluster: Cluster) -> Heartbeat | None:
    raw: Any = cluster.redis().get(f"{cluster.settings.redis_prefix}:beat:heartbeat")
    return Heartbeat.from_json(raw) if raw is not None else None


@pytest.mark.own_redis
@pytest.mark.cluster_env({"REELBOARD_PLAN_INTERVAL": "2", "REELBOARD_BEAT_LOCK_TIMEOUT": "6"})
def test_redis_restart_during_a_scheduled_round(cluster: Cluster) -> None:
    posts = populate(cluster.world, {"tiktok": 4, "youtube": 2}, posts_each=5)
    cluster.seed(posts)
    cluster.world.faults.latency = 1.0
    workers = [cluster.start_worker(f"w{i}", concurrency=1) for i in (1, 2)]
    beat = cluster.start_beat("beat")
    # The beat plans the round; wait until it is under way but not finished.
    wait_for("the round to start", lambda: sum(cluster.snapshot_counts().values()) > 0, 60)
    assert sum(cluster.snapshot_counts().values()) < len(posts)
    restarted_at = datetime.now(UTC)
    cluster.restart_redis(down_for=2)
    # Workers and beat reconnect on their own; the beat plans what is missing again (its claim
    # vanished with Redis) and the round completes with one snapshot per entry.
    wait_for(
        "every entry to be collected once",
        lambda: set(cluster.snapshot_counts().values()) == {1},
        150,
        every=1,
    )
    beat_after = wait_for("the beat to tick again", lambda: _beat_after(cluster, restarted_at), 30)
    assert beat_after.pid == beat.popen.pid or beat_after.mode == "beat"
    assert beat.alive() and all(w.alive() for w in workers)
    assert len(cluster.stamps()) == 1
    assert sum(cluster.snapshot_counts().values()) == len(posts)
    assert "Connection to broker lost" in "".join(w.text() for w in workers)


def _beat_after(cluster: Cluster, when: datetime) -> Heartbeat | None:
    hb = _heartbeat(cluster)
    return hb if hb is not None and hb.at > when else None


@pytest.mark.own_redis
def test_redis_restart_while_collect_waits(cluster: Cluster) -> None:
    posts = populate(cluster.world, {"tiktok": 4, "youtube": 2}, posts_each=5)
    challenge = cluster.seed(posts)
    cluster.world.faults.latency = 1.0
    cluster.start_worker("w1", concurrency=2)
    out: dict[str, RoundSummary] = {}

    def wait() -> None:
        out["summary"] = collect_on_workers(
            cluster.app, cluster.celery(), [challenge], timeout=150, poll=0.3
        )

    waiter = threading.Thread(target=wait)
    waiter.start()
    wait_for("the round to start", lambda: sum(cluster.snapshot_counts().values()) > 0, 60)
    cluster.restart_redis(down_for=2)
    waiter.join(180)
    assert not waiter.is_alive()
    summary = out["summary"]
    total = summary.total()
    assert total.items == len(posts)
    assert total.collected + total.already == len(posts)
    assert total.deferred == total.failed == 0
    counts = cluster.snapshot_counts(summary.collected_at)
    assert set(counts.values()) == {1} and len(counts) == len(posts)


@pytest.mark.cluster_env({"REELBOARD_HTTP_TIMEOUT": "1"})
def test_flaky_platform_round_completes_and_shows_what_was_deferred(cluster: Cluster) -> None:
    posts = populate(cluster.world, {"tiktok": 4, "youtube": 3, "instagram": 2}, posts_each=8)
    challenge = cluster.seed(posts)
    faults = cluster.world.faults
    faults.failure_rate = 0.2  # 5xx, timeouts (answer after 2 s > the 1 s client timeout), 429
    faults.timeout_delay = 2.0
    faults.reseed(11)
    cluster.start_worker("w1", concurrency=3)
    cluster.start_worker("w2", concurrency=3)
    summary = collect_on_workers(cluster.app, cluster.celery(), [challenge], timeout=240)
    total = summary.total()
    assert total.items == len(posts)
    assert total.collected + total.deferred == len(posts)
    assert total.failed == 0
    injected = [c for c in cluster.world.calls.calls() if c.fault]
    assert injected, "the fake server injected no failures"
    # Every entry has its snapshot, or it is counted as deferred: nothing lost, nothing doubled.
    counts = cluster.snapshot_counts(summary.collected_at)
    assert sum(counts.values()) == total.collected
    assert set(counts.values()) <= {0, 1}
    # The deferrals are visible: in the summary by reason, and in the health report.
    with cluster.app.sessions() as s:
        health = collection_health(s, datetime.now(UTC))
    deferred_events = sum(sum(p.deferred_24h.values()) for p in health.platforms)
    assert deferred_events > 0  # attempts that were deferred (and retried) are on record
    if total.deferred:
        assert sum(v for k, v in summary.reasons.items() if k != "unavailable") >= total.deferred


@pytest.mark.cluster_env(
    {
        "REELBOARD_RATE_LIMITS": '{"tiktok:*": "3/second"}',
        "REELBOARD_YOUTUBE_DAILY_QUOTA": "3",
    }
)
def test_shared_limits_hold_across_six_worker_processes(cluster: Cluster) -> None:
    tiktok = cluster.world.add_account("tiktok", connected=True)
    posts = [cluster.world.add_post(tiktok, age_hours=3) for _ in range(200)]  # 10 batches
    channel = cluster.world.add_account("youtube")
    posts += [cluster.world.add_post(channel, age_hours=3) for _ in range(250)]  # 5 batches
    challenge = cluster.seed(posts)
    for i in (1, 2, 3):
        cluster.start_worker(f"w{i}", concurrency=2)
    started = time.monotonic()
    summary = collect_on_workers(cluster.app, cluster.celery(), [challenge], timeout=180)
    elapsed = time.monotonic() - started
    calls = sorted(c.wall_time for c in cluster.world.calls.calls(api="tiktok"))
    # 10 video/query calls and 1 user/info call, all with the one token.
    assert len(calls) == 11
    for i, t0 in enumerate(calls):
        in_window = [t for t in calls[i:] if t < t0 + 1.0]
        assert len(in_window) <= 3, f"{len(in_window)} TikTok calls within one second"
    assert elapsed >= 4.0  # the limiter really held the six processes back
    # YouTube: the daily budget of 3 units is shared; the rest waits for the next Pacific day.
    youtube_calls = cluster.world.calls.calls(api="youtube")
    assert len(youtube_calls) == 3
    yt = summary.posts["youtube"]
    assert yt.collected == 150 and yt.deferred == 100
    assert summary.reasons["quota_exceeded"] >= 100
    assert summary.retry_at is not None and summary.retry_at > datetime.now(UTC)
    # `reelboard status` shows the spent budget and the block until the next Pacific day.
    report = status_report(cluster.app, datetime.now(UTC))
    assert report.youtube_units_today == 3
    until = report.blocked_until(Platform.YOUTUBE)
    assert until is not None and until == summary.retry_at
    yt_health = next(p for p in report.health.platforms if p.platform is Platform.YOUTUBE)
    assert yt_health.quota_units_today == 3 and yt_health.deferred_24h["quota_exceeded"] >= 1


def test_graph_usage_headers_make_every_worker_back_off(cluster: Cluster) -> None:
    faults = cluster.world.faults
    faults.graph_app_calls_per_hour = 200  # X-App-Usage reaches 90% after 180 operations
    faults.usage_headers_after = 1
    pages = [cluster.world.add_account("facebook", connected=True) for _ in range(60)]
    posts = [cluster.world.add_post(page, age_hours=4) for page in pages for _ in range(3)]
    challenge = cluster.seed(posts)
    workers = [cluster.start_worker(f"w{i}", concurrency=1) for i in (1, 2)]
    results: list[Any] = []
    summary = collect_on_workers(
        cluster.app, cluster.celery(), [challenge], include_accounts=False,
        progress=results.append, timeout=120,
    )  # fmt: skip
    graph_calls = cluster.world.calls.calls(api="graph")
    operations = cluster.world.calls.calls(api="graph", operations=True)
    # Every worker stopped soon after the app's usage passed 90%: the app limit was never hit.
    assert 180 <= len(operations) < 200
    assert all(c.status == 200 for c in graph_calls)
    fb = summary.posts["facebook"]
    assert fb.collected > 0 and fb.deferred > 0 and fb.collected + fb.deferred == len(posts)
    assert summary.reasons["rate_limited"] == fb.deferred
    # The block lives in Redis, so every worker process honoured it without calling.
    gate: Any = cluster.redis().hgetall(f"{cluster.settings.redis_prefix}:gate:graph:app")
    assert gate and gate[b"reason"].startswith(b"X-App-Usage")
    refused = [r for r in results if r.posts.deferred and r.calls == 0]
    assert refused
    logs = [w.text() for w in workers]
    assert all("'calls': 0" in log and "'deferred': 3" in log for log in logs), "one worker idle?"
