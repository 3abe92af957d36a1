"""The YouTube adapter against the fake Data API v3."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime

import pytest

from collector.errors import Outcome, Reason
from collector.youtube import YouTubeAdapter, next_quota_reset
from tests.collector.collector_helpers import FAST, TIMEOUT_DELAY, post_ref, ref


def test_videos_list_batches_50_ids_and_counts_quota(world, server, youtube):
    channel = world.add_account("youtube")
    posts = [world.add_post(channel) for _ in range(120)]
    batch = youtube.fetch_metrics(youtube.app_credential(), [post_ref(p) for p in posts])
    assert all(r.outcome is Outcome.OK for r in batch.posts)
    assert world.calls.count(endpoint="youtube.videos.list") == math.ceil(120 / 50) == 3
    assert [c.items for c in world.calls.calls(endpoint="youtube.videos.list")] == [50, 50, 20]
    assert batch.quota_units == 3 and youtube.quota_units_spent == 3
    now = world.clock.now()
    post, m = posts[7], batch.posts[7].metrics
    c = post.counts(now)
    assert (m.views, m.likes, m.comments) == (c["views"], c["likes"], c["comments"])
    assert (m.shares, m.saves, m.reach) == (None, None, None)
    assert isinstance(m.raw["statistics"]["viewCount"], str)  # strings on the wire


def test_hidden_likes_are_none_and_missing_videos_unavailable(world, server, youtube):
    channel = world.add_account("youtube")
    hidden, deleted, private, fine = (world.add_post(channel) for _ in range(4))
    hidden.likes_hidden = True
    deleted.state = "deleted"
    private.state = "private"
    batch = youtube.fetch_metrics(
        youtube.app_credential(), [post_ref(p) for p in (hidden, deleted, private, fine)]
    )
    assert [r.outcome for r in batch.posts] == [
        Outcome.OK,
        Outcome.UNAVAILABLE,
        Outcome.UNAVAILABLE,
        Outcome.OK,
    ]
    assert batch.posts[0].metrics.likes is None
    assert batch.posts[0].metrics.views is not None
    assert world.calls.count() == 1


def test_quota_exhausted_defers_until_pacific_midnight(world, server, youtube, gate):
    world.faults.youtube_quota_per_day = 2
    channel = world.add_account("youtube")
    posts = [world.add_post(channel) for _ in range(150)]
    batch = youtube.fetch_metrics(youtube.app_credential(), [post_ref(p) for p in posts])
    outcomes = [r.outcome for r in batch.posts]
    assert outcomes[:100] == [Outcome.OK] * 100
    assert outcomes[100:] == [Outcome.DEFERRED] * 50
    assert batch.halt is not None and batch.halt.reason is Reason.QUOTA_EXCEEDED
    reset = batch.halt.retry_at
    assert reset is not None and reset == next_quota_reset(datetime.now(UTC))
    calls = world.calls.count()
    again = youtube.fetch_metrics(youtube.app_credential(), [post_ref(posts[0])])
    assert again.posts[0].outcome is Outcome.DEFERRED
    assert world.calls.count() == calls  # no call until the quota resets


def test_next_quota_reset_is_midnight_in_los_angeles():
    # 2026-07-01 10:00 UTC is 03:00 PDT: the reset is 2026-07-02 00:00 PDT = 07:00 UTC
    assert next_quota_reset(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)) == datetime(
        2026, 7, 2, 7, 0, tzinfo=UTC
    )
    # in winter (PST) midnight is 08:00 UTC
    assert next_quota_reset(datetime(2026, 12, 1, 10, 0, tzinfo=UTC)) == datetime(
        2026, 12, 2, 8, 0, tzinfo=UTC
    )


def test_fake_quota_resets_on_the_next_pacific_day(world, server, youtube, gate):
    world.faults.youtube_quota_per_day = 1
    channel = world.add_account("youtube")
    post = world.add_post(channel)
    assert youtube.fetch_metrics(youtube.app_credential(), [post_ref(post)]).halt is None
    assert youtube.fetch_metrics(youtube.app_credential(), [post_ref(post)]).halt is not None
    world.clock.advance(hours=24)
    gate.clear()
    ok = youtube.fetch_metrics(youtube.app_credential(), [post_ref(post)])
    assert ok.posts[0].outcome is Outcome.OK


def test_an_invalid_key_is_token_invalid(world, server):
    channel = world.add_account("youtube")
    post = world.add_post(channel)
    adapter = YouTubeAdapter(server.youtube_api_base, api_key="wrong-key", http=FAST)
    try:
        app = adapter.app_credential()
        assert app is not None
        batch = adapter.fetch_metrics(app, [post_ref(post)])
    finally:
        adapter.close()
    assert batch.halt is not None and batch.halt.reason is Reason.TOKEN_INVALID
    assert batch.posts[0].outcome is Outcome.FAILED


def test_429_with_retry_after_blocks_for_that_long(world, server, youtube, gate):
    channel = world.add_account("youtube")
    post = world.add_post(channel)
    world.faults.add("rate_limit", endpoint="youtube.videos", retry_after=120)
    before = datetime.now(UTC)
    batch = youtube.fetch_metrics(youtube.app_credential(), [post_ref(post)])
    assert batch.posts[0].outcome is Outcome.DEFERRED
    wait = (batch.posts[0].retry_at - before).total_seconds()
    assert 115 <= wait <= 125
    assert gate.blocked_until("youtube:app") == batch.posts[0].retry_at


def test_rate_limit_exceeded_403(world, server, youtube):
    world.faults.youtube_calls_per_100s = 1
    channel = world.add_account("youtube")
    posts = [world.add_post(channel) for _ in range(60)]
    batch = youtube.fetch_metrics(youtube.app_credential(), [post_ref(p) for p in posts])
    assert [r.outcome for r in batch.posts].count(Outcome.OK) == 50
    assert batch.posts[-1].reason is Reason.RATE_LIMITED


def test_malformed_item_and_malformed_body(world, server, youtube, caplog):
    channel = world.add_account("youtube")
    bad, good = world.add_post(channel, malformed=True), world.add_post(channel)
    with caplog.at_level(logging.WARNING, logger="collector"):
        batch = youtube.fetch_metrics(youtube.app_credential(), [post_ref(bad), post_ref(good)])
    assert [r.outcome for r in batch.posts] == [Outcome.FAILED, Outcome.OK]
    assert batch.posts[0].reason is Reason.MALFORMED
    assert "lots" in caplog.text  # the raw item is kept in the log
    world.faults.add("malformed", endpoint="youtube.videos")
    batch = youtube.fetch_metrics(youtube.app_credential(), [post_ref(good)])
    assert batch.posts[0].reason is Reason.MALFORMED
    assert batch.halt is None


def test_5xx_retried_and_persistent_5xx_deferred(world, server, youtube):
    channel = world.add_account("youtube")
    post = world.add_post(channel)
    world.faults.add("server_error", endpoint="youtube.videos", times=2)
    ok = youtube.fetch_metrics(youtube.app_credential(), [post_ref(post)])
    assert ok.posts[0].outcome is Outcome.OK
    assert world.calls.count(endpoint="youtube.videos.list") == 3
    assert ok.calls == 3 and ok.quota_units == 3
    world.faults.add("server_error", endpoint="youtube.videos", times=None)
    deferred = youtube.fetch_metrics(youtube.app_credential(), [post_ref(post)])
    assert deferred.posts[0].outcome is Outcome.DEFERRED
    assert deferred.posts[0].reason is Reason.SERVER_ERROR


def test_channels_subscribers_hidden_and_by_handle(world, server, youtube):
    shown = world.add_account("youtube")
    hidden = world.add_account("youtube", followers_hidden=True)
    by_handle = world.add_account("youtube")
    res = youtube.fetch_accounts(
        youtube.app_credential(),
        [ref(shown), ref(hidden), type(ref(by_handle))(key="h", handle="@" + by_handle.handle)],
    )
    a, b, c = res.accounts
    assert a.outcome is Outcome.OK and a.stats.followers is not None
    assert a.stats.followers <= shown.followers(world.clock.now())  # rounded down
    assert b.outcome is Outcome.OK and b.stats.followers is None
    assert c.outcome is Outcome.OK and c.stats.user_id == by_handle.user_id
    # two channels by id in one call, the handle in its own call
    assert world.calls.count(endpoint="youtube.channels.list") == 2


def test_list_posts_follows_next_page_tokens(world, server, youtube):
    channel = world.add_account("youtube")
    posts = [world.add_post(channel, age_hours=h) for h in range(1, 61)]
    listed = youtube.list_posts(youtube.app_credential(), ref(channel), limit=60)
    assert [p.media_id for p in listed.posts] == [p.post_id for p in posts]
    # channels.list for the uploads playlist, then two pages of 50 and 10
    assert world.calls.count(endpoint="youtube.playlistItems.list") == 2
    assert listed.complete


@pytest.mark.parametrize("seed", [3, 11])
def test_twenty_percent_random_failures_never_crash(world, server, youtube, seed):
    world.faults.failure_rate = 0.2
    world.faults.reseed(seed)
    world.faults.timeout_delay = TIMEOUT_DELAY
    channel = world.add_account("youtube")
    posts = [world.add_post(channel) for _ in range(500)]
    batch = youtube.fetch_metrics(youtube.app_credential(), [post_ref(p) for p in posts])
    outcomes = {r.outcome for r in batch.posts}
    assert outcomes <= {Outcome.OK, Outcome.DEFERRED}
    assert Outcome.OK in outcomes
    assert len(batch.posts) == 500
    assert any(c.fault for c in world.calls.calls())  # failures were injected
