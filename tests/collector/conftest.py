"""Fixtures: a fake platform server on loopback and the real adapters pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from collector.facebook import FacebookAdapter
from collector.instagram import InstagramAdapter
from collector.ratelimit import MemoryRateGate
from collector.tiktok import TikTokAdapter
from collector.youtube import YouTubeAdapter
from fakeplatform import ServerHandle, World, start
from tests.collector.collector_helpers import FAST


@pytest.fixture
def world() -> World:
    return World(seed=42)


@pytest.fixture
def server(world: World) -> Iterator[ServerHandle]:
    handle = start(world)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def gate(world: World) -> MemoryRateGate:
    return MemoryRateGate()


@pytest.fixture
def instagram(server: ServerHandle, gate: MemoryRateGate) -> Iterator[InstagramAdapter]:
    w = server.world
    adapter = InstagramAdapter(
        server.graph_api_base,
        committee_user_id=w.committee.user_id,
        committee_token=w.committee.token,
        http=FAST,
        gate=gate,
    )
    yield adapter
    adapter.close()


@pytest.fixture
def facebook(server: ServerHandle, gate: MemoryRateGate) -> Iterator[FacebookAdapter]:
    adapter = FacebookAdapter(server.graph_api_base, http=FAST, gate=gate)
    yield adapter
    adapter.close()


@pytest.fixture
def youtube(server: ServerHandle, gate: MemoryRateGate) -> Iterator[YouTubeAdapter]:
    adapter = YouTubeAdapter(
        server.youtube_api_base, api_key=server.world.youtube_api_key, http=FAST, gate=gate
    )
    yield adapter
    adapter.close()


@pytest.fixture
def tiktok(server: ServerHandle, gate: MemoryRateGate) -> Iterator[TikTokAdapter]:
    adapter = TikTokAdapter(server.tiktok_api_base, http=FAST, gate=gate)
    yield adapter
    adapter.close()
