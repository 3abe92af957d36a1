"""A publishing worker for the kill tests: one pass, SIGKILLed at a chosen API call.

Usage: python -m tests.publish_worker CONFIG_JSON. Kill point 2k means "just before the
(k+1)-th API call", 2k+1 "just after it returned" (before its result is committed).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from pydantic import SecretStr

from collector.publish.base import Http, Publisher
from collector.publish.facebook import FacebookPublisher
from collector.publish.instagram import InstagramPublisher
from collector.publish.tiktok import TikTokPublisher
from collector.publish.youtube import YouTubePublisher
from reelboard.settings import Settings
from services import publishing
from services.app import App
from store.enums import Platform


class KillingSession(requests.Session):
    def __init__(self, kill_at: int | None) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.point = 0

    def _maybe_die(self) -> None:
        if self.kill_at is not None and self.point == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        self.point += 1

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        self._maybe_die()
        response = super().request(method, url, *args, **kwargs)
        self._maybe_die()
        return response


def main() -> None:
    cfg = json.loads(sys.argv[1])
    settings = Settings(
        database_url=cfg["db"],
        secret_key=SecretStr(cfg["key"]),
        media_dir=cfg["media_dir"],
        graph_api_base=cfg["graph"],
        tiktok_api_base=cfg["tiktok"],
        youtube_api_base=cfg["youtube"],
        public_media_base_url=cfg["media_base"],
    )
    app = App(settings)
    http = Http(KillingSession(cfg.get("kill_at")), timeout=10)
    pubs: dict[Platform, Publisher] = {
        Platform.INSTAGRAM: InstagramPublisher(settings.graph_api_base, http, poll_seconds=60),
        Platform.FACEBOOK: FacebookPublisher(settings.graph_api_base, http, poll_seconds=60),
        Platform.TIKTOK: TikTokPublisher(
            settings.tiktok_api_base, http, poll_seconds=60, reconcile_seconds=0
        ),
        Platform.YOUTUBE: YouTubePublisher(settings.youtube_api_base, http, poll_seconds=60),
    }
    offset = timedelta(seconds=float(cfg.get("clock_offset", 0)))
    result = publishing.publish_due(
        app,
        publishers=pubs,
        owner=cfg.get("owner", "kill-test"),
        clock=lambda: datetime.now(UTC) + offset,
    )
    print(json.dumps({"published": result.published, "failed": result.failed}))
    app.dispose()


if __name__ == "__main__":
    main()
