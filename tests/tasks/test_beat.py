"""Only one beat schedules, even when two are started; the standby takes over when it dies."""

from __future__ import annotations

import re
import signal
import time
from typing import Any

import pytest
import redis

from tasks.coordination import Heartbeat
from tests.tasks.cluster import Cluster, wait_for
from tests.tasks.conftest import REDIS_URL

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

SENT = re.compile(r"Sending due task plan-collection")


def _heartbeat(cluster: Cluster) -> Heartbeat | None:
    raw: Any = redis.Redis.from_url(REDIS_URL).get(
        f"{cluster.settings.redis_prefix}:beat:heartbeat"
    )
    return Heartbeat.from_json(raw) if raw is not None else None


def _queued(cluster: Cluster) -> int:
    # kombu keeps the queue as a Redis list under the deployment's prefix.
    n: Any = redis.Redis.from_url(REDIS_URL).llen(f"{cluster.settings.redis_prefix}:default")
    return int(n)


@pytest.mark.cluster_env({"REELBOARD_PLAN_INTERVAL": "1", "REELBOARD_BEAT_LOCK_TIMEOUT": "4"})
def test_two_beats_only_one_schedules_and_the_standby_takes_over(cluster: Cluster) -> None:
    first = cluster.start_beat("beat1")
    wait_for("the first beat to tick", lambda: _heartbeat(cluster), 30)
    second = cluster.start_beat("beat2")
    wait_for("the second beat to start", lambda: "beat: Starting" in second.text(), 30)
    before = _queued(cluster)
    time.sleep(6)
    sent_first = len(SENT.findall(first.text()))
    sent_second = len(SENT.findall(second.text()))
    queued = _queued(cluster) - before
    assert sent_first >= 4
    assert sent_second == 0, second.text()[-2000:]
    # One planning task per second was queued, not two.
    assert 4 <= queued <= 8
    hb = _heartbeat(cluster)
    assert hb is not None and hb.pid == first.popen.pid

    # The scheduling beat dies without releasing its lock: the standby takes over once the
    # lock expires, and only it schedules from then on.
    first.kill_group(signal.SIGKILL)
    first.popen.wait(10)
    wait_for(
        "the standby to schedule",
        lambda: SENT.search(second.text()) is not None,
        cluster.settings.beat_lock_timeout + 15,
    )
    hb = wait_for(
        "the standby's heartbeat",
        lambda: (h := _heartbeat(cluster)) is not None and h.pid == second.popen.pid and h,
        10,
    )
    assert hb.mode == "beat"
    assert "acquired the scheduling lock" in second.text()
