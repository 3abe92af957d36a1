"""A real little deployment for the tests: PostgreSQL, Redis, the fake platform server, and
Celery workers and beats started as separate processes (`reelboard worker`, `reelboard beat`).

Every cluster has its own PostgreSQL schema and Redis key prefix, so tests never see each
other's work. Worker and beat processes run in their own process group, so a test can kill a
whole worker (parent and pool children) with SIGKILL, as a lost machine would die.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import and_, func, select

from fakeplatform.clock import FakeClock
from fakeplatform.server import ServerHandle, start
from fakeplatform.world import Post, World
from reelboard.settings import Settings
from services.app import App
from services.fakeworld import challenge_from_world
from store.migrate import upgrade
from store.models import Entry, MetricSnapshot
from tasks.celery_app import make_celery
from tests.conftest import _pg_conninfo, _pg_schema_url
from tests.tasks.conftest import REDIS_URL, delete_prefix

# The options .ci/run starts the shared Redis with; a test's own server differs only in its port,
# folder and log file.
REDIS_OPTIONS = ["--bind", "127.0.0.1", "-::1", "--save", "", "--appendonly", "no"]


def wait_for(what: str, check: Callable[[], Any], timeout: float, every: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    terminated: bool = False

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (the worker and its pool children)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def terminate(self) -> None:
        """Ask for a warm shutdown (SIGTERM to the group), once."""
        if self.alive() and not self.terminated:
            self.kill_group(signal.SIGTERM)
            self.terminated = True

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            self.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
        self.kill_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)


@dataclass
class Cluster:
    settings: Settings
    app: App
    world: World
    server: ServerHandle
    tmp: Path
    env: dict[str, str]
    redis_url: str
    own_redis: RedisServer | None = None
    procs: list[Proc] = field(default_factory=list)

    # ---- processes ------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str], extra_env: dict[str, str] | None) -> Proc:
        log = self.tmp / f"{name}.log"
        env = {**self.env, **(extra_env or {})}
        popen = subprocess.Popen(
            [sys.executable, "-m", "reelboard", *args],
            cwd=self.tmp,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def start_worker(
        self,
        name: str,
        *,
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> Proc:
        proc = self._spawn(
            name,
            [
                "worker",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{name}@%h",
                "--loglevel",
                "INFO",
            ],
            extra_env,
        )
        if wait:
            self.wait_ready(proc)
        return proc

    def wait_ready(self, proc: Proc, timeout: float = 60) -> None:
        def ready() -> bool:
            if not proc.alive():
                pytest.fail(f"{proc.name} exited early:\n{proc.text()[-3000:]}")
            return bool(re.search(r"\bready\.", proc.text()))

        wait_for(f"{proc.name} to be ready", ready, timeout)

    def start_beat(self, name: str, *, extra_env: dict[str, str] | None = None) -> Proc:
        return self._spawn(name, ["beat", "--loglevel", "INFO"], extra_env)

    def stop_all(self) -> None:
        """Stop every process: all are asked at once (warm shutdowns overlap), then each is
        waited for and killed if it has not gone."""
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.stop()

    # ---- in-process helpers ---------------------------------------------------------------
    def celery(self) -> Any:
        return make_celery(self.settings)

    def seed(self, posts: list[Post], slug: str = "fake-reels") -> int:
        with self.app.transaction() as s:
            return challenge_from_world(s, self.app.token_box, self.world, posts, slug=slug).id

    def snapshot_counts(self, collected_at: datetime | None = None) -> dict[int, int]:
        """Snapshots per entry (of one stamp, or all), for every entry."""
        with self.app.sessions() as s:
            cond = [] if collected_at is None else [MetricSnapshot.collected_at == collected_at]
            rows = s.execute(
                select(Entry.id, func.count(MetricSnapshot.id))
                .outerjoin(MetricSnapshot, and_(MetricSnapshot.entry_id == Entry.id, *cond))
                .group_by(Entry.id)
            ).all()
        return {eid: int(n) for eid, n in rows}

    def stamps(self) -> list[datetime]:
        with self.app.sessions() as s:
            return list(s.scalars(select(MetricSnapshot.collected_at).distinct()))

    def reset_calls(self) -> None:
        self.world.calls.reset()

    def redis(self) -> redis.Redis:
        """A client of the cluster's Redis (the shared server, or the test's own)."""
        return redis.Redis.from_url(self.redis_url)

    def restart_redis(self, down_for: float = 2.0) -> None:
        """Stop the cluster's Redis (without saving) and start it again after ``down_for``
        seconds. Only a test's own server (``@pytest.mark.own_redis``) may be restarted."""
        assert self.own_redis is not None, "mark the test own_redis to restart its Redis"
        self.own_redis.stop()
        time.sleep(down_for)
        self.own_redis.start()


def populate(world: World, per_platform: dict[str, int], posts_each: int = 5) -> list[Post]:
    """Connected accounts with ``posts_each`` young posts each (due hourly under the cadence)."""
    posts: list[Post] = []
    for platform, n in per_platform.items():
        for _ in range(n):
            acct = world.add_account(platform, connected=True)
            posts += [world.add_post(acct, age_hours=2 + i) for i in range(posts_each)]
    return posts


class RedisServer:
    """A redis-server of the test's own, for the tests that restart Redis: the shared server (and
    so every other test running in parallel) is never stopped. Started as CI starts the shared
    one, on a port outside the kernel's ephemeral range (no client socket takes it while the
    server is down)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = _unused_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                "--daemonize", "yes",
                "--port", str(self.port),
                *REDIS_OPTIONS,
                "--dir", str(self.folder),
                "--logfile", str(self.folder / "redis.log"),
                "--pidfile", str(self.folder / "redis.pid"),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        wait_for("Redis to start", self.up, 30, every=0.05)

    def stop(self) -> None:
        """Shut down without saving (the connection closes as it stops)."""
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(self.url, socket_connect_timeout=1).shutdown(nosave=True)
        wait_for("Redis to stop", lambda: not self.up(), 20, every=0.05)

    def up(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False


def _unused_port() -> int:
    """A free port below the ephemeral range (32768-60999 on Linux), picked at random."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for a test Redis server")


@contextlib.contextmanager
def make_cluster(
    request: pytest.FixtureRequest, tmp_path: Path, redis_client: redis.Redis
) -> Iterator[Cluster]:
    """PostgreSQL schema + Redis prefix + fake server (real-time clock); processes on demand.

    Tests tune the deployment with ``@pytest.mark.cluster_env({...})`` (REELBOARD_* values);
    ``@pytest.mark.own_redis`` gives it a redis-server of its own instead of the shared one.
    """
    base = request.getfixturevalue("pg_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_conninfo(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    db_url = _pg_schema_url(base, schema)
    prefix = f"rbtest-{uuid.uuid4().hex[:12]}"
    own_redis = (
        RedisServer(tmp_path / "redis") if request.node.get_closest_marker("own_redis") else None
    )
    redis_url = own_redis.url if own_redis is not None else REDIS_URL
    world = World(seed=7, clock=FakeClock(datetime.now(UTC), realtime=True))
    server = start(world)
    key = Fernet.generate_key().decode()
    env_values: dict[str, str] = {
        "REELBOARD_DATABASE_URL": db_url,
        "REELBOARD_REDIS_URL": redis_url,
        "REELBOARD_REDIS_PREFIX": prefix,
        "REELBOARD_SECRET_KEY": key,
        "REELBOARD_TASK_TIME_LIMIT": "30",
        "REELBOARD_BROKER_VISIBILITY_TIMEOUT": "60",
        "REELBOARD_BEAT_LOCK_TIMEOUT": "10",
        "REELBOARD_PLAN_INTERVAL": "3600",
        **server.settings_env(),
    }
    marker = request.node.get_closest_marker("cluster_env")
    if marker is not None:
        env_values.update(marker.args[0])
    settings = Settings(
        database_url=db_url,
        redis_url=redis_url,
        redis_prefix=prefix,
        secret_key=SecretStr(key),
        task_time_limit=int(env_values["REELBOARD_TASK_TIME_LIMIT"]),
        broker_visibility_timeout=int(env_values["REELBOARD_BROKER_VISIBILITY_TIMEOUT"]),
        beat_lock_timeout=int(env_values["REELBOARD_BEAT_LOCK_TIMEOUT"]),
        plan_interval=int(env_values["REELBOARD_PLAN_INTERVAL"]),
        graph_api_base=server.graph_api_base,
        youtube_api_base=server.youtube_api_base,
        tiktok_api_base=server.tiktok_api_base,
        shortlink_resolver_base=server.shortlink_base,
        youtube_api_key=SecretStr(world.youtube_api_key),
        instagram_user_id=world.committee.user_id,
        instagram_access_token=SecretStr(str(world.committee.token)),
    )
    upgrade(db_url)
    app = App(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELBOARD_")}
    env.update(env_values)
    env["PYTHONUNBUFFERED"] = "1"
    c = Cluster(
        settings=settings,
        app=app,
        world=world,
        server=server,
        tmp=tmp_path,
        env=env,
        redis_url=redis_url,
        own_redis=own_redis,
    )
    try:
        if own_redis is not None:
            own_redis.start()
        yield c
    finally:
        c.stop_all()
        server.stop()
        app.dispose()
        if own_redis is not None:
            own_redis.stop()
        else:
            delete_prefix(redis_client, prefix)
        with psycopg.connect(_pg_conninfo(base), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
