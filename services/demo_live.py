"""The demo's live collection: a real round against the fake platform server, in-process.

Every entry of the demo challenge becomes a post in a fake world (under the account, id and
token the database holds), the fake server starts on a free loopback port, the base URLs point
at it, and one ordinary collection round runs: the same adapters, HTTP calls, batching and
writes as against the real APIs. The fake world's clock runs in real time, so a later
``reelboard demo`` sees the counts grown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import SecretStr

from collector.http import HttpConfig
from collector.round import Batch, BatchResult
from fakeplatform import FakeClock, World, start
from services import registry
from services.app import App
from services.collection import CollectReport, collect
from services.fakeworld import world_from_challenge

DEMO_WORLD_SEED = 2026


def collect_demo(
    app: App,
    slug: str,
    *,
    progress: Callable[[BatchResult], None] | None = None,
    planned: Callable[[list[Batch]], None] | None = None,
) -> CollectReport:
    """One collection round of challenge ``slug`` against a fake platform server."""
    world = World(DEMO_WORLD_SEED, clock=FakeClock(datetime.now(UTC), realtime=True))
    with app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        world_from_challenge(session, app.token_box, world, challenge)
    with start(world) as server:
        settings = app.settings.model_copy(
            update={
                "graph_api_base": server.graph_api_base,
                "youtube_api_base": server.youtube_api_base,
                "tiktok_api_base": server.tiktok_api_base,
                "shortlink_resolver_base": server.shortlink_base,
                "youtube_api_key": SecretStr(world.youtube_api_key),
                "instagram_user_id": world.committee.user_id,
                "instagram_access_token": SecretStr(str(world.committee.token)),
            }
        )
        live = App(settings)
        try:
            return collect(
                live,
                slug,
                progress=progress,
                planned=planned,
                http=HttpConfig(read_timeout=10, retries=2, backoff_factor=0.1),
            )
        finally:
            live.dispose()


__all__ = ["DEMO_WORLD_SEED", "collect_demo"]
