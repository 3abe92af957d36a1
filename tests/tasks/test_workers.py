"""Collection on real Celery workers (separate processes) against real Redis and PostgreSQL."""

from __future__ import annotations

import re
import signal
import time
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from collector.round import plan_round
from tasks.distributed import collect_on_workers
from tasks.planning import plan_and_dispatch
from tasks.runtime import COLLECT_TASK, CeleryDispatcher, Runtime
from tests.tasks.cluster import Cluster, populate, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


def test_a_round_on_two_workers_collects_every_entry_once(cluster: Cluster) -> None:
    posts = populate(cluster.world, {"youtube": 2, "tiktok": 2, "instagram": 2, "facebook": 1})
    challenge = cluster.seed(posts)
    cluster.start_worker("w1", concurrency=2)
    cluster.start_worker("w2", concurrency=2)
    done: list[object] = []
    summary = collect_on_workers(
        cluster.app, cluster.celery(), [challenge], progress=done.append, timeout=120
    )
    total = summary.total()
    assert total.items == len(posts) == total.collected == total.written
    assert total.deferred == total.failed == 0
    assert len(done) == summary.batches
    counts = cluster.snapshot_counts(summary.collected_at)
    assert set(counts.values()) == {1}
    # Both workers took part (batches were spread, not run by one).
    both = [p for p in cluster.procs if "collect_batch" in p.text() and "succeeded" in p.text()]
    assert len(both) == 2


def _runtime(cluster: Cluster) -> Runtime:
    """The planning side (what the beat's task does), sending batches to the workers."""
    return Runtime(cluster.settings, app=cluster.app, dispatcher=CeleryDispatcher(cluster.celery()))


@pytest.mark.cluster_env(
    {"REELBOARD_TASK_TIME_LIMIT": "10", "REELBOARD_BROKER_VISIBILITY_TIMEOUT": "15"}
)
def test_worker_killed_mid_batch_every_entry_collected_exactly_once(cluster: Cluster) -> None:
    posts = populate(cluster.world, {"tiktok": 3, "youtube": 1}, posts_each=5)
    cluster.seed(posts)
    cluster.world.faults.latency = 1.5  # every call takes 1.5 s: time to kill mid-batch
    w1 = cluster.start_worker("w1", concurrency=1)
    planned = plan_and_dispatch(_runtime(cluster))
    [round_] = planned["rounds"]
    assert round_["entries"] == len(posts) and round_["batches"] == 4

    # Kill the whole worker (parent and pool child) while its first batch waits for the API.
    wait_for("w1 to start a batch", lambda: cluster.world.calls.count() >= 1, 30)
    time.sleep(0.3)
    w1.kill_group(signal.SIGKILL)
    w1.popen.wait(10)
    started = re.findall(r"collect_batch\[([^\]]+)\] received", w1.text())
    finished = re.findall(r"collect_batch\[([^\]]+)\] succeeded", w1.text())
    interrupted = set(started) - set(finished)
    assert len(interrupted) == 1, w1.text()[-2000:]
    stamp = cluster.stamps()
    assert len(stamp) <= 1
    with_snapshot = sum(cluster.snapshot_counts().values())
    assert with_snapshot < len(posts)  # the round was not over

    # A worker comes back: the interrupted batch is delivered again once the broker's
    # visibility timeout has passed, and the round completes.
    w2 = cluster.start_worker("w2", concurrency=2)
    wait_for(
        "every entry to be collected",
        lambda: set(cluster.snapshot_counts().values()) == {1},
        120,
        every=1,
    )
    [the_interrupted] = interrupted
    wait_for(
        "w2 to finish the interrupted batch",
        lambda: f"collect_batch[{the_interrupted}] succeeded" in w2.text(),
        30,
    )
    counts = cluster.snapshot_counts()
    assert sum(counts.values()) == len(posts)  # no lost snapshot, no duplicate
    [stamp_at] = cluster.stamps()
    assert stamp_at.strftime("%Y%m%dT%H%M%SZ") == round_["round"].split("@")[1]


def test_same_task_delivered_twice_writes_one_snapshot(cluster: Cluster) -> None:
    posts = populate(cluster.world, {"youtube": 1}, posts_each=10)
    challenge = cluster.seed(posts)
    cluster.world.faults.latency = 0.5
    cluster.start_worker("w1", concurrency=2)
    celery = cluster.celery()
    with cluster.app.sessions() as s:
        [batch] = plan_round(s, challenge, include_accounts=False)
    # Two deliveries at once (as after a redelivery race), then a third one later.
    first = celery.send_task(COLLECT_TASK, args=[batch.to_json()], task_id="dup-1")
    second = celery.send_task(COLLECT_TASK, args=[batch.to_json()], task_id="dup-2")
    one, two = first.get(timeout=60)["posts"], second.get(timeout=60)["posts"]
    assert one["written"] + two["written"] == batch.size
    assert one["collected"] + one["already"] == batch.size
    assert two["collected"] + two["already"] == batch.size
    third = celery.send_task(COLLECT_TASK, args=[batch.to_json()], task_id="dup-3").get(timeout=60)
    assert third["calls"] == 0
    assert third["posts"]["already"] == batch.size and third["posts"]["written"] == 0
    counts = cluster.snapshot_counts(batch.collected_at)
    assert len(counts) == batch.size and set(counts.values()) == {1}


def _table_rows(output: str) -> list[str]:
    """The summary's table lines (without the first line, which has the time and duration)."""
    return [line for line in output.splitlines()[1:] if "│" in line or "|" in line]


def test_collect_command_runs_on_the_workers_and_prints_the_inline_summary(
    cluster: Cluster,
) -> None:
    from reelboard.cli.common import set_app
    from tests.conftest import Cli

    posts = populate(cluster.world, {"youtube": 1, "tiktok": 2}, posts_each=6)
    cluster.seed(posts, slug="on-workers")
    worker = cluster.start_worker("w1", concurrency=2)
    set_app(cluster.app)
    try:
        cli = Cli(CliRunner())
        distributed = cli("collect", "on-workers", "--timeout", "120")
        assert distributed.exit_code == 0, distributed.output
        # A round's stamp is whole seconds, and a second round with the same stamp is (rightly)
        # a no-op; the inline round must start in a later second to be a new round.
        [first_stamp] = cluster.stamps()
        wait_for(
            "the next second",
            lambda: datetime.now(UTC).replace(microsecond=0) > first_stamp,
            5,
            every=0.05,
        )
        # The same round inline (a new stamp): the same table, batch for batch.
        inline = cli("collect", "on-workers", "--inline")
        assert inline.exit_code == 0, inline.output
    finally:
        set_app(None)
    assert "collect_batch" in worker.text()  # the first round really ran on the worker
    assert "Round of" in distributed.output and "for on-workers" in distributed.output
    rows = _table_rows(distributed.output)
    assert rows and rows == _table_rows(inline.output)
    assert any(str(len(posts)) in row and "total" in row for row in rows)
    assert len(cluster.stamps()) == 2
    assert set(cluster.snapshot_counts().values()) == {2}
