"""Benchmark: one collection round of 10,000 entries on 1, 2 and 4 Celery worker processes.

Real parts: PostgreSQL (a database made for the run), Redis (a key prefix of its own), the fake
platform server with 100 ms added to every call, and `reelboard worker` processes. Prints, per
worker count, the calls the fake server received against the minimum (one call per planned
batch), the round's wall time and the speed-up over one worker.

    .venv/bin/python -m bench.bench_workers [--entries 10000] [--latency 0.1] [--workers 1,2,4]

Needs PostgreSQL (REELBOARD_BENCH_PG, default the local server) and Redis (REELBOARD_BENCH_REDIS,
default redis://127.0.0.1:6379/0). Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from fakeplatform.clock import FakeClock
from fakeplatform.server import ServerHandle, start
from fakeplatform.world import Post, World
from reelboard.settings import Settings
from services.app import App
from services.fakeworld import challenge_from_world
from store.migrate import upgrade
from tasks.celery_app import make_celery
from tasks.distributed import collect_on_workers

PG = os.environ.get("REELBOARD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("REELBOARD_BENCH_REDIS", "redis://127.0.0.1:6379/0")


def _conninfo(url: str) -> str:
    u = make_url(url)
    user = u.username or "postgres"
    return f"host={u.host} port={u.port or 5432} user={user} dbname={u.database}"


@contextmanager
def database() -> Iterator[str]:
    name = f"reelboard_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_conninfo(PG), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_conninfo(PG), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_world(entries: int) -> tuple[World, list[Post]]:
    """Half YouTube (50 videos per channel), half TikTok (20 videos per account): every batch
    is one full API call, so the minimum is entries/50/2 + entries/20/2 calls."""
    world = World(seed=5, clock=FakeClock(datetime.now(UTC), realtime=True))
    posts: list[Post] = []
    half = entries // 2
    for platform, per_account, count in (("youtube", 50, half), ("tiktok", 20, entries - half)):
        made = 0
        while made < count:
            account = world.add_account(platform, connected=True)
            n = min(per_account, count - made)
            posts += [world.add_post(account, age_hours=5) for _ in range(n)]
            made += n
    return world, posts


class Workers:
    def __init__(self, n: int, env: dict[str, str], folder: Path) -> None:
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []
        for i in range(n):
            log = folder / f"worker{n}-{i}.log"
            proc = subprocess.Popen(
                [sys.executable, "-m", "reelboard", "worker", "--concurrency", "1",
                 "--hostname", f"bench{n}-{i}@%h", "--loglevel", "WARNING"],
                env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            self.procs.append((proc, log))

    def wait_ready(self, celery: object, n: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = celery.control.ping(timeout=1.0) or []  # type: ignore[attr-defined]
            if len(replies) >= n:
                return
            for proc, log in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"a worker exited: {log.read_text()[-2000:]}")
        raise RuntimeError(f"{n} workers did not become ready in {timeout}s")

    def stop(self) -> None:
        for proc, _ in self.procs:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, _ in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args(argv)
    counts = [int(x) for x in args.workers.split(",") if x.strip()]

    world, posts = build_world(args.entries)
    world.faults.latency = args.latency
    server: ServerHandle = start(world)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    key = Fernet.generate_key().decode()
    rows: list[tuple[int, int, int, float, int, int]] = []
    try:
        with database() as db_url, tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                database_url=db_url,
                redis_url=REDIS,
                redis_prefix=prefix,
                secret_key=SecretStr(key),
                youtube_api_key=SecretStr(world.youtube_api_key),
                youtube_api_base=server.youtube_api_base,
                tiktok_api_base=server.tiktok_api_base,
                graph_api_base=server.graph_api_base,
            )
            env = {k: v for k, v in os.environ.items() if not k.startswith("REELBOARD_")}
            env.update(
                {
                    "REELBOARD_DATABASE_URL": db_url,
                    "REELBOARD_REDIS_URL": REDIS,
                    "REELBOARD_REDIS_PREFIX": prefix,
                    "REELBOARD_SECRET_KEY": key,
                    **server.settings_env(),
                }
            )
            upgrade(db_url)
            app = App(settings)
            t0 = time.monotonic()
            with app.transaction() as s:
                challenge = challenge_from_world(s, app.token_box, world, posts).id
            print(
                f"seeded {len(posts)} entries in {time.monotonic() - t0:.1f}s; "
                f"fake server latency {args.latency * 1000:.0f} ms per call"
            )
            celery = make_celery(settings)
            for n in counts:
                workers = Workers(n, env, Path(tmp))
                try:
                    workers.wait_ready(celery, n)
                    world.calls.reset()
                    summary = collect_on_workers(
                        app, celery, [challenge], include_accounts=False, poll=0.1
                    )
                finally:
                    workers.stop()
                total = summary.total()
                calls = world.calls.count()
                rows.append((n, summary.batches, calls, summary.elapsed, total.written,
                             total.deferred + total.failed))  # fmt: skip
                time.sleep(1.1)  # the next round gets its own collected_at second
            app.dispose()
    finally:
        server.stop()
        client = redis.Redis.from_url(REDIS)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])

    base = rows[0][3] if rows else 0.0
    print()
    print(f"{'workers':>7} {'batches':>7} {'calls':>6} {'minimum':>7} {'wall s':>7} "
          f"{'bound s':>7} {'speed-up':>8} {'written':>7} {'not done':>8}")  # fmt: skip
    for n, batches, calls, wall, written, missing in rows:
        bound = batches * args.latency / n
        print(
            f"{n:>7} {batches:>7} {calls:>6} {batches:>7} {wall:>7.1f} {bound:>7.1f} "
            f"{base / wall:>7.2f}x {written:>7} {missing:>8}"
        )
    ok = all(calls <= batches for _, batches, calls, *_ in rows)
    two = next((base / r[3] for r in rows if r[0] == 2), None)
    print()
    print(f"calls never above the minimum: {'yes' if ok else 'NO'}")
    if two is not None:
        print(f"2 workers vs 1: {two:.2f}x (target >= 1.8x): {'met' if two >= 1.8 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
