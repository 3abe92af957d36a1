"""One collection round on SQLite and PostgreSQL against the fake platform server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner

from collector.base import Credential as Cred
from collector.base import MetricsBatch, PostRef
from collector.round import (
    COMMITTEE,
    YOUTUBE_APP,
    Batch,
    BatchKind,
    GroupWriter,
    RoundContext,
    collect_batch,
    plan_accounts,
    plan_round,
    run_batches,
    run_round,
)
from collector.tiktok import TikTokAdapter
from fakeplatform import ServerHandle, World
from fakeplatform.world import Post
from reelboard.cli import app as cli_app
from reelboard.cli.common import set_app
from reelboard.settings import Settings
from services.app import App
from services.collection import round_context
from services.fakeworld import challenge_from_world
from services.registry import UrlResolver
from store import collection as q
from store.enums import AccountStatus, EntryStatus, Platform
from store.models import AccountSnapshot, CollectionEvent, Entry, MetricSnapshot, SocialAccount
from tests.collector.collector_helpers import FAST, TIMEOUT_DELAY
from tests.conftest import migrate


@dataclass
class Env:
    app: App
    ctx: RoundContext
    world: World
    server: ServerHandle

    def seed(self, posts: list[Post], slug: str = "fake-reels") -> int:
        with self.app.transaction() as s:
            return challenge_from_world(s, self.app.token_box, self.world, posts, slug=slug).id

    def plan(self, challenge_id: int, **kw: object) -> list[Batch]:
        with self.app.sessions() as s:
            return plan_round(s, challenge_id, **kw)  # type: ignore[arg-type]

    def entry(self, post: Post) -> Entry:
        with self.app.sessions() as s:
            e = s.scalars(select(Entry).where(Entry.post_id == post.post_id)).one()
            return e

    def snapshots(self, post: Post) -> list[MetricSnapshot]:
        with self.app.sessions() as s:
            return list(
                s.scalars(
                    select(MetricSnapshot)
                    .join(Entry)
                    .where(Entry.post_id == post.post_id)
                    .order_by(MetricSnapshot.collected_at)
                )
            )

    def count(self, model: type) -> int:
        with self.app.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def env(settings: Settings, world: World, server: ServerHandle) -> Iterator[Env]:
    s = settings.model_copy(
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
    migrate(s.database_url)
    app = App(s)
    # Everything runs on the world's clock: rounds, retry times and the rate gate.
    ctx, adapters = round_context(app, http=FAST, now=world.clock.now)
    try:
        yield Env(app, ctx, world, server)
    finally:
        adapters.close()
        app.dispose()


def mixed_world(world: World) -> dict[str, list[Post]]:
    out: dict[str, list[Post]] = {}
    for name, platform, connected, n_accounts in (
        ("ig", "instagram", True, 2),
        ("ig_public", "instagram", False, 2),
        ("fb", "facebook", True, 1),
        ("yt", "youtube", True, 2),
        ("tt", "tiktok", True, 2),
    ):
        posts = []
        for _ in range(n_accounts):
            acct = world.add_account(platform, connected=connected)
            posts += [world.add_post(acct, age_hours=20 + i) for i in range(3)]
        out[name] = posts
    return out


def test_a_round_collects_every_platform(env: Env) -> None:
    posts = mixed_world(env.world)
    every = [p for ps in posts.values() for p in ps]
    cid = env.seed(every)
    summary = run_round(env.ctx, [cid])
    total = summary.total()
    assert total.items == len(every) == total.collected == total.written
    assert total.deferred == total.failed == total.unavailable == 0
    now = env.world.clock.now()
    for post in every:
        [snap] = env.snapshots(post)
        c = post.counts(now)
        assert snap.views == c["views"]
        assert snap.comments == c["comments"]
        assert snap.collected_at == summary.collected_at
        assert snap.raw
    # Facebook gives no saves, YouTube and business discovery give no shares: None, never 0
    assert env.snapshots(posts["fb"][0])[0].saves is None
    assert env.snapshots(posts["yt"][0])[0].shares is None
    assert env.snapshots(posts["ig_public"][0])[0].reach is None
    # Instagram shortcodes were resolved to media ids and kept
    assert env.entry(posts["ig"][0]).media_id == posts["ig"][0].media_id
    assert env.entry(posts["ig_public"][0]).media_id == posts["ig_public"][0].media_id
    # followers of every account: 2 IG (own), 2 IG (discovery, free), 1 FB, 2 YT, 2 TikTok
    assert env.count(AccountSnapshot) == 9
    # every call the adapters counted reached the server, and no more
    assert summary.calls == env.world.calls.count()
    # YouTube: one videos.list for 6 videos, one channels.list for 2 channels
    assert env.world.calls.count(endpoint="youtube.videos.list") == 1
    assert env.world.calls.count(endpoint="youtube.channels.list") == 1
    events = env.count(CollectionEvent)
    assert events == summary.batches


def test_plan_is_pure_batched_to_the_maximum_and_json_safe(env: Env) -> None:
    w = env.world
    yt = w.add_account("youtube")
    tt = w.add_account("tiktok")
    publics = [w.add_account("instagram", connected=False) for _ in range(60)]
    posts = (
        [w.add_post(yt) for _ in range(120)]
        + [w.add_post(tt) for _ in range(45)]
        + [w.add_post(a) for a in publics]
    )
    cid = env.seed(posts)
    with env.app.sessions() as s:
        yt_id = s.scalars(select(SocialAccount.id).where(SocialAccount.handle == yt.handle)).one()
    batches = env.plan(cid)
    assert env.world.calls.count() == 0  # planning makes no call
    metrics = [b for b in batches if b.kind is BatchKind.METRICS]
    sizes = sorted((b.credential, b.size) for b in metrics)
    assert [s for c, s in sizes if c == YOUTUBE_APP] == [20, 50, 50]
    assert sorted(s for c, s in sizes if c.startswith("account:")) == [5, 20, 20]
    assert sorted(s for c, s in sizes if c == COMMITTEE) == [10, 50]  # 50 accounts per batch
    at = {b.collected_at for b in batches}
    assert len(at) == 1
    for b in batches:
        assert Batch.from_json(json.loads(json.dumps(b.to_json()))) == b
    # YouTube channels: an accounts batch; the TikTok account's followers ride on the first
    # batch of its own token; business-discovery accounts get followers with their metrics.
    accounts = [b for b in batches if b.kind is BatchKind.ACCOUNTS]
    assert [(b.platform, b.account_ids) for b in accounts] == [(Platform.YOUTUBE, (yt_id,))]
    riders = [b for b in metrics if b.account_ids]
    assert len(riders) == 1 and riders[0].platform is Platform.TIKTOK
    with env.app.sessions() as s:
        alone = plan_accounts(s, cid, collected_at=batches[0].collected_at)
    assert sorted(b.platform.value for b in alone) == ["tiktok", "youtube"]
    with pytest.raises(ValueError, match="not a collection batch"):
        Batch.from_json({"kind": "metrics"})


def test_collect_batch_is_idempotent(env: Env) -> None:
    posts = mixed_world(env.world)
    every = [p for ps in posts.values() for p in ps]
    cid = env.seed(every)
    batches = env.plan(cid)
    first = [collect_batch(env.ctx, b) for b in batches]
    calls = env.world.calls.count()
    snaps, accs = env.count(MetricSnapshot), env.count(AccountSnapshot)
    assert snaps == len(every)
    # the same batches again (a redelivered task), even decoded from JSON
    again = [collect_batch(env.ctx, Batch.from_json(b.to_json())) for b in batches]
    assert env.count(MetricSnapshot) == snaps and env.count(AccountSnapshot) == accs
    assert env.world.calls.count() == calls  # nothing asked twice
    assert sum(r.posts.already for r in again) == len(every)
    assert sum(r.accounts.already for r in again) == sum(r.accounts.collected for r in first)
    assert all(r.posts.written == 0 and r.accounts.written == 0 for r in again)
    # a later round is a new collected_at: new snapshots
    env.world.clock.advance(hours=1)
    later = env.plan(cid, collected_at=batches[0].collected_at + timedelta(hours=1))
    run_batches(env.ctx, later, collected_at=later[0].collected_at)
    assert env.count(MetricSnapshot) == 2 * len(every)
    history = env.snapshots(posts["tt"][0])
    assert len(history) == 2
    assert history[0].views is not None and history[1].views is not None
    assert history[1].views >= history[0].views


def test_an_expired_token_marks_only_its_account(env: Env) -> None:
    w = env.world
    bad_tt, good_tt = w.add_account("tiktok"), w.add_account("tiktok")
    bad_ig = w.add_account("instagram")
    posts = (
        [w.add_post(bad_tt) for _ in range(2)]
        + [w.add_post(good_tt) for _ in range(2)]
        + [w.add_post(bad_ig) for _ in range(2)]
    )
    cid = env.seed(posts)
    bad_tt.token_state = "expired"
    bad_ig.token_state = "revoked"
    summary = run_round(env.ctx, [cid])
    with env.app.sessions() as s:
        status = {a.handle: a.status for a in s.scalars(select(SocialAccount))}
    assert status[bad_tt.handle] is AccountStatus.NEEDS_REAUTH
    assert status[bad_ig.handle] is AccountStatus.NEEDS_REAUTH
    assert status[good_tt.handle] is AccountStatus.OK
    assert summary.posts["tiktok"].collected == 2 and summary.posts["tiktok"].failed == 2
    assert summary.reasons["token_invalid"] >= 4
    assert len(set(summary.needs_reauth)) == 2
    # Next round: the TikTok account is not called at all; the Instagram one is read through
    # the committee's business discovery (public counts) instead of its dead token.
    env.world.calls.reset()
    env.world.clock.advance(hours=1)
    again = run_round(env.ctx, [cid])
    assert env.world.calls.count(credential=f"tiktok:{bad_tt.handle}") == 0
    assert again.posts["tiktok"].failed == 2
    assert again.posts["instagram"].collected == 2
    assert env.world.calls.count(credential="committee") == 1


def test_deleted_posts_become_unavailable_and_keep_their_history(env: Env) -> None:
    w = env.world
    yt, ig = w.add_account("youtube"), w.add_account("instagram")
    gone_yt, kept = w.add_post(yt), w.add_post(yt)
    gone_ig = w.add_post(ig)
    cid = env.seed([gone_yt, kept, gone_ig])
    run_round(env.ctx, [cid])
    gone_yt.state, gone_ig.state = "deleted", "private"
    w.clock.advance(hours=2)
    summary = run_round(env.ctx, [cid], include_accounts=False)
    assert summary.total().unavailable == 2 and summary.total().collected == 1
    for post in (gone_yt, gone_ig):
        entry = env.entry(post)
        assert entry.status is EntryStatus.UNAVAILABLE and entry.status_reason
        assert len(env.snapshots(post)) == 1  # the history is kept
    assert len(env.snapshots(kept)) == 2
    # unavailable entries are not planned again
    assert sum(b.size for b in env.plan(cid, include_accounts=False)) == 1


def test_rate_limited_work_is_deferred_and_recorded(env: Env) -> None:
    env.world.faults.youtube_quota_per_day = 2  # one videos.list, one channels.list
    yt = env.world.add_account("youtube")
    cid = env.seed([env.world.add_post(yt) for _ in range(120)])
    summary = run_round(env.ctx, [cid], concurrency=1)
    t = summary.posts["youtube"]
    assert t.collected + t.deferred == 120 and t.deferred >= 20
    assert summary.reasons["quota_exceeded"] == t.deferred + summary.total(accounts=True).deferred
    assert summary.retry_at is not None
    with env.app.sessions() as s:
        events = q.collection_events(s, platform=Platform.YOUTUBE)
    deferred = [e for e in events if e.outcome == "deferred"]
    assert deferred and all(e.reason == "quota_exceeded" for e in deferred)
    assert all(e.quota_units >= 0 for e in events)
    # two calls answered, the third refused (it still costs a unit); the gate stopped the rest
    assert sum(e.quota_units for e in events) == 3
    # the deferred entries are collected by a later round
    env.world.clock.advance(hours=24)
    env.world.faults.youtube_quota_per_day = 10_000
    later = run_round(env.ctx, [cid])
    assert later.posts["youtube"].collected == 120


def test_malformed_bodies_are_skipped_and_the_round_finishes(env: Env, caplog) -> None:
    w = env.world
    tt = w.add_account("tiktok")
    posts = [w.add_post(tt) for _ in range(25)]
    posts[22].malformed = True  # a bad value in the second batch (entries 21-25)
    w.faults.add("malformed", endpoint="tiktok.video.query", times=1)  # the first batch's body
    cid = env.seed(posts)
    summary = run_round(env.ctx, [cid], concurrency=1)
    t = summary.posts["tiktok"]
    assert t.failed == 21  # the 20 of the broken body, and the one bad item
    assert t.collected == 4
    assert summary.reasons["malformed"] == t.failed
    assert "502 Bad Gateway" in caplog.text  # the raw body is in the log


class _CrashingTikTok(TikTokAdapter):
    """A TikTok adapter with a bug: it talks to the server, then crashes."""

    def fetch_metrics(self, credential: Cred, posts: Sequence[PostRef]) -> MetricsBatch:
        super().fetch_metrics(credential, posts)
        raise RuntimeError("bug after the call")


def test_nothing_collected_before_a_failure_is_lost(env: Env) -> None:
    posts = mixed_world(env.world)
    cid = env.seed([p for ps in posts.values() for p in ps])
    crashing = _CrashingTikTok(env.server.tiktok_api_base, http=FAST)
    ctx = RoundContext(
        sessions=env.ctx.sessions,
        adapters={**env.ctx.adapters, Platform.TIKTOK: crashing},
        token_box=env.ctx.token_box,
    )
    summary = run_round(ctx, [cid])
    crashing.close()
    assert summary.errors and "bug after the call" in summary.errors[0]
    assert summary.posts["tiktok"].failed == 6
    others = sum(len(v) for k, v in posts.items() if k != "tt")
    assert env.count(MetricSnapshot) == others  # every other batch was committed


def test_random_failures_leave_every_entry_accounted_for(env: Env) -> None:
    w = env.world
    accounts = [w.add_account("tiktok") for _ in range(3)]
    posts = [w.add_post(a) for a in accounts for _ in range(30)]
    cid = env.seed(posts)
    w.faults.failure_rate = 0.2
    w.faults.timeout_delay = TIMEOUT_DELAY
    w.faults.reseed(5)
    summary = run_round(env.ctx, [cid])
    t = summary.total()
    assert t.collected + t.deferred + t.failed == 90
    assert t.written == t.collected
    assert env.count(MetricSnapshot) == t.collected


def test_short_links_resolve_through_the_fake_server(env: Env) -> None:
    tt = env.world.add_post(env.world.add_account("tiktok"))
    fb = env.world.add_post(env.world.add_account("facebook"), kind="reel")
    resolve = UrlResolver(env.server.shortlink_base)
    assert resolve(tt.short_url or "").post_id == tt.post_id
    assert resolve(fb.short_url or "").post_id == fb.post_id


def test_reelboard_collect_command(env: Env) -> None:
    posts = mixed_world(env.world)
    cid = env.seed([p for ps in posts.values() for p in ps], slug="cli-reels")
    assert cid
    set_app(env.app)
    try:
        runner = CliRunner()
        only = runner.invoke(cli_app, ["collect", "cli-reels", "--platform", "youtube"])
        assert only.exit_code == 0, only.output
        assert {c.api for c in env.world.calls.calls()} == {"youtube"}
        time.sleep(1.05)  # the command's rounds run on the wall clock: a new round time
        result = runner.invoke(cli_app, ["collect", "cli-reels"])
        assert result.exit_code == 0, result.output
        for word in ("Posts", "instagram", "tiktok", "total", "API calls"):
            assert word in result.output
        bad = runner.invoke(cli_app, ["collect", "cli-reels", "--platform", "myspace"])
        assert bad.exit_code == 2 and "unknown platform" in bad.output
        missing = runner.invoke(cli_app, ["collect", "no-such-challenge"])
        assert missing.exit_code == 2
    finally:
        set_app(None)
    assert env.count(MetricSnapshot) == len(posts["yt"]) + sum(len(v) for v in posts.values())


def test_group_writer_commits_queued_writes_together_and_isolates_a_failure(
    tmp_path: Path,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text

    from store.db import make_engine, session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
    writer = GroupWriter(session_factory(engine))
    gate = threading.Event()

    def job(n: int) -> int:
        def fn(session: Any) -> int:
            if n == 0:
                gate.wait(2)  # hold the first transaction so the others queue up
            if n == 7:
                raise RuntimeError("bad write")
            session.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})
            return n

        return writer.run(fn)

    with ThreadPoolExecutor(12) as pool:
        futures = [pool.submit(job, n) for n in range(12)]
        time.sleep(0.3)
        gate.set()
        outcomes: list[int | str] = []
        for f in futures:
            try:
                outcomes.append(f.result())
            except RuntimeError as exc:
                outcomes.append(str(exc))
    assert outcomes == [*range(7), "bad write", *range(8, 12)]
    with engine.connect() as conn:
        stored = sorted(int(str(n)) for (n,) in conn.execute(text("SELECT n FROM t")))
    assert stored == [n for n in range(12) if n != 7]  # the failure lost nothing else
    assert writer.commits < 12  # queued writes shared commits
    engine.dispose()
