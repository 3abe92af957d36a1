"""The TikTok adapter against the fake API v2."""

from __future__ import annotations

import math

from collector.errors import Outcome, Reason
from tests.collector.collector_helpers import cred, post_ref, ref


def test_video_query_batches_20_ids(world, server, tiktok):
    acct = world.add_account("tiktok")
    posts = [world.add_post(acct) for _ in range(45)]
    batch = tiktok.fetch_metrics(cred(acct), [post_ref(p) for p in posts])
    assert all(r.outcome is Outcome.OK for r in batch.posts)
    assert world.calls.count(endpoint="tiktok.video.query") == math.ceil(45 / 20) == 3
    assert [c.items for c in world.calls.calls(endpoint="tiktok.video.query")] == [20, 20, 5]
    c = posts[3].counts(world.clock.now())
    m = batch.posts[3].metrics
    assert (m.views, m.likes, m.comments, m.shares) == (
        c["views"],
        c["likes"],
        c["comments"],
        c["shares"],
    )
    assert (m.saves, m.reach) == (None, None)
    assert m.posted_at == posts[3].created_at.replace(microsecond=0)


def test_videos_of_another_user_or_deleted_are_unavailable(world, server, tiktok):
    mine, other = world.add_account("tiktok"), world.add_account("tiktok")
    own, gone, theirs = world.add_post(mine), world.add_post(mine), world.add_post(other)
    gone.state = "deleted"
    batch = tiktok.fetch_metrics(cred(mine), [post_ref(p) for p in (own, gone, theirs)])
    assert [r.outcome for r in batch.posts] == [
        Outcome.OK,
        Outcome.UNAVAILABLE,
        Outcome.UNAVAILABLE,
    ]


def test_invalid_token_halts_that_credential(world, server, tiktok):
    bad, good = world.add_account("tiktok", token_state="revoked"), world.add_account("tiktok")
    bp, gp = world.add_post(bad), world.add_post(good)
    failed = tiktok.fetch_metrics(cred(bad), [post_ref(bp)])
    assert failed.halt is not None and failed.halt.reason is Reason.TOKEN_INVALID
    assert failed.posts[0].outcome is Outcome.FAILED
    assert tiktok.fetch_metrics(cred(good), [post_ref(gp)]).posts[0].outcome is Outcome.OK


def test_per_minute_limit_answers_429_and_defers(world, server, tiktok, gate):
    world.faults.tiktok_calls_per_minute = 2
    acct = world.add_account("tiktok")
    posts = [world.add_post(acct) for _ in range(60)]
    batch = tiktok.fetch_metrics(cred(acct), [post_ref(p) for p in posts])
    outcomes = [r.outcome for r in batch.posts]
    assert outcomes[:40] == [Outcome.OK] * 40 and outcomes[40:] == [Outcome.DEFERRED] * 20
    assert batch.halt is not None and batch.halt.reason is Reason.RATE_LIMITED
    assert world.calls.count(endpoint="tiktok.video.query", status=429) == 1
    assert gate.blocked_until(f"tiktok:account:{acct.handle}") == batch.halt.retry_at


def test_error_envelope_on_http_200_is_an_error(world, server, tiktok):
    acct = world.add_account("tiktok")
    post = world.add_post(acct)
    world.faults.add(
        "tiktok_error", endpoint="tiktok.video.query", code="invalid_params", status=200
    )
    batch = tiktok.fetch_metrics(cred(acct), [post_ref(post)])
    assert batch.posts[0].outcome is Outcome.FAILED
    assert batch.posts[0].reason is Reason.API_ERROR


def test_internal_error_is_retried(world, server, tiktok):
    acct = world.add_account("tiktok")
    post = world.add_post(acct)
    world.faults.add("server_error", endpoint="tiktok.video.query", times=1)
    batch = tiktok.fetch_metrics(cred(acct), [post_ref(post)])
    assert batch.posts[0].outcome is Outcome.OK
    assert world.calls.count(endpoint="tiktok.video.query") == 2


def test_malformed_view_count_skips_the_video(world, server, tiktok):
    acct = world.add_account("tiktok")
    bad, good = world.add_post(acct, malformed=True), world.add_post(acct)
    batch = tiktok.fetch_metrics(cred(acct), [post_ref(bad), post_ref(good)])
    assert [r.outcome for r in batch.posts] == [Outcome.FAILED, Outcome.OK]


def test_user_info_followers(world, server, tiktok):
    acct = world.add_account("tiktok")
    world.add_post(acct)
    stats = tiktok.fetch_accounts(cred(acct), [ref(acct)]).accounts[0].stats
    assert stats.followers == acct.followers(world.clock.now())
    assert stats.media_count == 1
    assert stats.user_id == acct.user_id


def test_video_list_follows_cursor_and_has_more(world, server, tiktok):
    acct = world.add_account("tiktok")
    posts = [world.add_post(acct, age_hours=h) for h in range(1, 46)]
    listed = tiktok.list_posts(cred(acct), ref(acct), limit=100)
    assert [p.media_id for p in listed.posts] == [p.post_id for p in posts]
    assert world.calls.count(endpoint="tiktok.video.list") == 3
    assert listed.complete
