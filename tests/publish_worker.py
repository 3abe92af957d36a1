"""A publishing worker for the kill tests: one pass, SIGKILLed at a chosen API call.

Usage: python -m tests.publish_worker CONFIG_JSON. Kill point 2k means "just before the
(k+1)-th API call", 2k+1 "just after it returned" (before its result is committed).

``python -m tests.publish_worker --serve`` imports once and then forks one worker process per
config line read from stdin (the imports take most of a worker's CPU time); for each it answers
with a line ``{"returncode": N}`` (negative: killed by that signal), as subprocess.run would.
A forked worker is a process of its own, opens its own database connections and dies by
SIGKILL just as a started one does.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
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
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        run(json.loads(sys.argv[1]))


def serve() -> None:
    """Fork a worker for each config line on stdin; answer its exit status on stdout."""
    answers = sys.stdout
    sys.stdout = sys.stderr  # the workers' own output must not mix with the answers
    for line in sys.stdin:
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run(json.loads(line))
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        answers.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        answers.flush()


def run(cfg: dict[str, Any]) -> None:
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
