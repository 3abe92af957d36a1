"""``python -m fakeplatform --port N``: run the fake platform server in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from datetime import UTC, datetime

from fakeplatform.clock import FakeClock
from fakeplatform.faults import Faults
from fakeplatform.server import start
from fakeplatform.world import World


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fakeplatform",
        description="Fake Instagram/Facebook Graph, YouTube and TikTok APIs for reelboard.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=3, help="accounts per platform")
    parser.add_argument("--posts", type=int, default=4, help="posts per account")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument(
        "--publish",
        action="store_true",
        help="also serve the publishing endpoints (fakeplatform.publish_server)",
    )
    parser.add_argument(
        "--manual-clock",
        action="store_true",
        help="freeze the world clock (advance it with POST /_admin/clock)",
    )
    args = parser.parse_args(argv)

    clock = FakeClock(datetime.now(UTC), realtime=not args.manual_clock)
    world = World(
        args.seed,
        clock=clock,
        faults=Faults(latency=args.latency, failure_rate=args.failure_rate, failure_seed=args.seed),
    )
    world.populate(
        accounts={p: args.accounts for p in ("instagram", "facebook", "youtube", "tiktok")},
        posts_per_account=args.posts,
    )
    handle = start(world, host=args.host, port=args.port, publish=args.publish)
    print(f"fake platform server on {handle.url}")
    for name, value in handle.settings_env().items():
        print(f"  {name}={value}")
    print(
        f"  admin: {handle.url}/_admin/world  {handle.url}/_admin/calls  {handle.url}/_admin/config"
    )
    sys.stdout.flush()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
    handle.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
