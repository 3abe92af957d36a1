"""Fixtures for the distributed-collection tests: a Redis key space of their own per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis

if TYPE_CHECKING:
    from tests.tasks.cluster import Cluster

REDIS_URL = os.environ.get("REELBOARD_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc} (start it: .ci/run)")
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix no other test or run uses; its keys are deleted afterwards."""
    prefix = f"rbtest-{uuid.uuid4().hex[:12]}"
    yield prefix
    delete_prefix(redis_client, prefix)


def delete_prefix(client: redis.Redis, prefix: str) -> None:
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])
    except redis.ConnectionError:
        pass


@pytest.fixture
def cluster(
    request: pytest.FixtureRequest, tmp_path: Path, redis_client: redis.Redis
) -> Iterator[Cluster]:
    """A PostgreSQL schema, a Redis prefix and the fake server; worker processes on demand
    (see tests/tasks/cluster.py). Tune it with ``@pytest.mark.cluster_env({...})``."""
    from tests.tasks.cluster import make_cluster

    with make_cluster(request, tmp_path, redis_client) as c:
        yield c
