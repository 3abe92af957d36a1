"""The runtime commands: run (embedded), status, cadence, and worker/beat refusing without Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr
from sqlalchemy import func, select

from fakeplatform.clock import FakeClock
from fakeplatform.server import ServerHandle, start
from fakeplatform.world import World
from reelboard.cli.common import set_app
from reelboard.settings import Settings
from services.app import App
from services.fakeworld import challenge_from_world
from store.enums import AccountStatus, Platform
from store.health import record_event
from store.models import AuditLog, Challenge, MetricSnapshot, SocialAccount
from tasks.coordination import Heartbeat, RedisCoordination
from tests.conftest import Cli
from tests.tasks.cluster import populate
from tests.tasks.conftest import REDIS_URL


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without SQLite the embedded heartbeat file lives in the working folder.
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def world() -> Iterator[tuple[World, ServerHandle]]:
    w = World(seed=3, clock=FakeClock(datetime.now(UTC), realtime=True))
    server = start(w)
    yield w, server
    server.stop()


@pytest.fixture
def fake_app(app: App, world: tuple[World, ServerHandle]) -> Iterator[App]:
    """The test's app, pointed at the fake platform server."""
    w, server = world
    s = app.settings.model_copy(
        update={
            "graph_api_base": server.graph_api_base,
            "youtube_api_base": server.youtube_api_base,
            "tiktok_api_base": server.tiktok_api_base,
            "youtube_api_key": SecretStr(w.youtube_api_key),
            "instagram_user_id": w.committee.user_id,
            "instagram_access_token": SecretStr(str(w.committee.token)),
            "http_timeout": 2.0,
        }
    )
    a = App(s)
    set_app(a)
    yield a
    set_app(app)
    a.dispose()


def _seed(app: App, world: World, posts_each: int = 4) -> int:
    posts = populate(world, {"youtube": 1, "tiktok": 2, "instagram": 1}, posts_each=posts_each)
    with app.transaction() as s:
        return challenge_from_world(s, app.token_box, world, posts).id


def test_run_once_collects_the_due_entries_in_one_process(
    cli: Cli, fake_app: App, world: tuple[World, ServerHandle]
) -> None:
    _seed(fake_app, world[0])
    result = cli("run", "--once")
    assert result.exit_code == 0, result.output
    assert "plan-collection: 1 round(s)" in result.output
    assert "collected 16" in result.output and "deferred 0" in result.output
    assert "publish-due: published 0, failed 0" in result.output  # the publishing pass ran too
    with fake_app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(MetricSnapshot)) == 16
        stamps = set(s.scalars(select(MetricSnapshot.collected_at)))
    # Stamped with the current hourly slot: planning again in the same slot finds nothing due.
    [stamp] = stamps
    assert stamp.minute == 0 and stamp.second == 0
    again = cli("run", "--once")
    assert again.exit_code == 0
    assert "plan-collection: nothing due" in again.output
    # The embedded heartbeat lets `status --check-beat` see the runner.
    assert cli("status", "--check-beat").exit_code == 0


def test_status_check_beat_fails_without_a_runner(cli: Cli) -> None:
    result = cli("status", "--check-beat")
    assert result.exit_code == 1
    assert "never ticked" in result.stderr


@pytest.mark.redis
def test_status_check_beat_reads_the_beat_heartbeat_in_redis(
    cli: Cli, app: App, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = app.settings.model_copy(
        update={"redis_url": REDIS_URL, "redis_prefix": redis_prefix, "beat_lock_timeout": 10}
    )
    set_app(App(settings))
    coordination = RedisCoordination(redis.Redis.from_url(REDIS_URL), redis_prefix)
    assert cli("status", "--check-beat").exit_code == 1
    coordination.beat(Heartbeat.now("beat"), ttl=60)
    ok = cli("status", "--check-beat")
    assert ok.exit_code == 0 and "ticked" in ok.output
    old = Heartbeat(datetime.now(UTC) - timedelta(minutes=5), "elsewhere", 42, "beat")
    coordination.beat(old, ttl=60)
    stale = cli("status", "--check-beat")
    assert stale.exit_code == 1 and "not running" in stale.stderr


def test_status_shows_health_and_accounts_needing_reauthorisation(
    cli: Cli, fake_app: App, world: tuple[World, ServerHandle]
) -> None:
    _seed(fake_app, world[0])
    now = datetime.now(UTC)
    with fake_app.transaction() as s:
        acct = s.scalars(select(SocialAccount).where(SocialAccount.platform == "tiktok")).first()
        assert acct is not None
        acct.status = AccountStatus.NEEDS_REAUTH
        acct.status_reason = "access_token_invalid"
        record_event(
            s,
            platform=acct.platform,
            account_id=acct.id,
            credential="account:1",
            outcome="failed",
            reason="token_invalid",
            at=now - timedelta(hours=1),
        )
        record_event(
            s,
            platform=Platform.YOUTUBE,
            credential="youtube:app",
            outcome="ok",
            at=now - timedelta(minutes=10),
            items=4,
            calls=1,
            quota_units=1,
        )
        handle = acct.handle
    table = cli("status")
    assert table.exit_code == 0, table.output
    assert f"1 account(s) need re-authorisation: tiktok:{handle}" in table.output
    assert "Collection by platform" in table.output
    data = json.loads(cli("status", "--format", "json").output)
    assert data["mode"] == "embedded"
    yt = next(p for p in data["platforms"] if p["platform"] == "youtube")
    assert yt["quota_units_today"] == 1 and yt["last_success"] is not None
    [reauth] = [a for a in data["accounts"] if a["needs_reauth"]]
    assert reauth["handle"] == handle and reauth["failures_24h"] == {"token_invalid": 1}
    assert data["beat"]["healthy"] is False
    assert any("16 entries due now" in line for line in data["challenges"])


def test_cadence_show_set_reset_and_bad_input(
    cli: Cli, fake_app: App, world: tuple[World, ServerHandle]
) -> None:
    _seed(fake_app, world[0])
    shown = cli("cadence", "fake-reels")
    assert shown.exit_code == 0 and "2d:1h,14d:6h,*:1d" in shown.output
    changed = cli("cadence", "fake-reels", "24h:30m,*:12h", "--grace", "2h")
    assert changed.exit_code == 0, changed.output
    with fake_app.sessions() as s:
        challenge = s.scalars(select(Challenge)).one()
        assert challenge.cadence["steps"][0] == {"every_hours": 0.5, "until_hours": 24}
        assert challenge.cadence["deadline_grace_hours"] == 2
        assert s.scalars(select(AuditLog.action)).all().count("challenge.cadence") == 1
    bad = cli("cadence", "fake-reels", "24h-1h")
    assert bad.exit_code == 2 and "AGE:INTERVAL" in bad.stderr
    missing = cli("cadence", "no-such")
    assert missing.exit_code == 2 and "no challenge" in missing.stderr
    assert cli("cadence", "fake-reels", "--reset").exit_code == 0
    with fake_app.sessions() as s:
        assert s.scalars(select(Challenge)).one().cadence == {}


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_worker_and_beat_need_redis(cli: Cli, command: str) -> None:
    result = cli(command)
    assert result.exit_code == 2
    assert "REELBOARD_REDIS_URL" in result.stderr and "reelboard run" in result.stderr


def test_run_refuses_when_redis_is_configured(cli: Cli, app: App) -> None:
    set_app(App(app.settings.model_copy(update={"redis_url": REDIS_URL})))
    result = cli("run", "--once")
    assert result.exit_code == 2 and "reelboard worker" in result.stderr


def test_worker_rejects_unknown_queue(cli: Cli, app: App) -> None:
    set_app(App(app.settings.model_copy(update={"redis_url": REDIS_URL})))
    result = cli("worker", "--queues", "default,urgent")
    assert result.exit_code == 2 and "urgent" in result.stderr


def test_bad_settings_are_named() -> None:
    with pytest.raises(ValueError, match="REELBOARD_BROKER_VISIBILITY_TIMEOUT"):
        Settings(task_time_limit=600, broker_visibility_timeout=300)
    with pytest.raises(ValueError, match="REELBOARD_RATE_LIMITS"):
        Settings(rate_limits={"tiktok:*": "lots"})


def test_beat_schedule_lists_every_job_with_its_interval(app: App) -> None:
    from tasks.config import celery_config
    from tasks.schedule import SCHEDULE, beat_schedule

    settings = app.settings.model_copy(
        update={"redis_url": REDIS_URL, "plan_interval": 120, "publish_interval": 30}
    )
    schedule = beat_schedule(settings)
    assert {name: entry["task"] for name, entry in schedule.items()} == {
        "plan-collection": "reelboard.plan_collection",
        "refresh-accounts": "reelboard.refresh_accounts",
        "publish-due": "reelboard.publish_due",
    }
    assert schedule["plan-collection"]["schedule"] == 120.0
    assert schedule["publish-due"]["schedule"] == 30.0
    assert [job.name for job in SCHEDULE] == list(schedule)
    conf = celery_config(settings)
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert conf["worker_prefetch_multiplier"] == 1
    assert conf["task_serializer"] == "json" and conf["accept_content"] == ["json"]
    assert conf["broker_transport_options"]["visibility_timeout"] > conf["task_time_limit"]
    assert conf["task_soft_time_limit"] < conf["task_time_limit"]
    prefix = settings.redis_prefix + ":"
    assert conf["broker_transport_options"]["global_keyprefix"] == prefix
    assert conf["result_backend_transport_options"]["global_keyprefix"] == prefix
    assert conf["redbeat_key_prefix"].startswith(prefix)


@pytest.mark.slow
def test_run_keeps_going_beats_and_stops_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith("REELBOARD_")}
    env.update(
        {
            "REELBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "REELBOARD_SECRET_KEY": Fernet.generate_key().decode(),
            "REELBOARD_PLAN_INTERVAL": "1",
        }
    )
    subprocess.run([sys.executable, "-m", "reelboard", "init"], env=env, check=True,
                   capture_output=True, cwd=tmp_path)  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelboard", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        heartbeat = tmp_path / "reelboard-run.heartbeat"
        deadline = time.monotonic() + 30
        while not heartbeat.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert heartbeat.exists()
        time.sleep(2.5)  # several planning passes (every second)
        check = subprocess.run(
            [sys.executable, "-m", "reelboard", "status", "--check-beat"],
            env=env, cwd=tmp_path, capture_output=True, text=True,
        )  # fmt: skip
        assert check.returncode == 0, check.stderr
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    text = out.decode()
    assert text.count("plan-collection: nothing due") >= 2
    assert "publish-due:" in text and "refresh-accounts:" in text
