"""The Facebook Pages adapter against the fake Graph API."""

from __future__ import annotations

import math

from collector.errors import Outcome, Reason
from tests.collector.collector_helpers import cred, post_ref, ref


def test_reels_read_reel_metrics(world, server, facebook):
    page = world.add_account("facebook")
    posts = [world.add_post(page, kind="reel", age_hours=40) for _ in range(2)]
    batch = facebook.fetch_metrics(cred(page), [post_ref(p) for p in posts])
    now = world.clock.now()
    for post, res in zip(posts, batch.posts, strict=True):
        assert res.outcome is Outcome.OK
        c = post.counts(now)
        m = res.metrics
        assert (m.views, m.likes, m.comments, m.shares, m.reach) == (
            c["views"],
            c["likes"],
            c["comments"],
            c["shares"],
            c["reach"],
        )
        assert m.saves is None  # Facebook does not give saves
        assert m.permalink == post.url
    assert world.calls.count(endpoint="graph.batch") == 1
    assert world.calls.count(endpoint="graph.video_insights", operations=True) == 2


def test_ordinary_videos_fall_back_to_video_metrics(world, server, facebook):
    page = world.add_account("facebook")
    reel = world.add_post(page, kind="reel", age_hours=30)
    video = world.add_post(page, kind="video", age_hours=30)
    batch = facebook.fetch_metrics(cred(page), [post_ref(reel), post_ref(video)])
    assert [r.outcome for r in batch.posts] == [Outcome.OK, Outcome.OK]
    c = video.counts(world.clock.now())
    m = batch.posts[1].metrics
    assert (m.views, m.likes, m.comments, m.shares, m.reach) == (
        c["views"],
        c["likes"],
        c["comments"],
        c["shares"],
        c["reach"],
    )
    # the video's reels metrics were refused once, then asked with the video metrics
    statuses = [
        c.status for c in world.calls.calls(endpoint="graph.video_insights", operations=True)
    ]
    assert sorted(statuses) == [200, 200, 400]
    assert world.calls.count(endpoint="graph.batch") == 2


def test_batches_hold_25_videos(world, server, facebook):
    page = world.add_account("facebook")
    posts = [world.add_post(page) for _ in range(51)]
    batch = facebook.fetch_metrics(cred(page), [post_ref(p) for p in posts])
    assert all(r.outcome is Outcome.OK for r in batch.posts)
    assert world.calls.count(endpoint="graph.batch") == math.ceil(51 / 25)


def test_deleted_video_is_unavailable(world, server, facebook):
    page = world.add_account("facebook")
    gone, kept = world.add_post(page), world.add_post(page)
    gone.state = "deleted"
    batch = facebook.fetch_metrics(cred(page), [post_ref(gone), post_ref(kept)])
    assert [r.outcome for r in batch.posts] == [Outcome.UNAVAILABLE, Outcome.OK]


def test_empty_insights_give_none(world, server, facebook):
    page = world.add_account("facebook")
    post = world.add_post(page, insights_empty=True)
    m = facebook.fetch_metrics(cred(page), [post_ref(post)]).posts[0].metrics
    assert (m.views, m.likes, m.comments, m.shares, m.reach) == (None, None, None, None, None)


def test_expired_page_token(world, server, facebook):
    page = world.add_account("facebook", token_state="expired")
    post = world.add_post(page)
    batch = facebook.fetch_metrics(cred(page), [post_ref(post)])
    assert batch.halt is not None and batch.halt.reason is Reason.TOKEN_EXPIRED
    accounts = facebook.fetch_accounts(cred(page), [ref(page)])
    assert accounts.halt is not None and accounts.halt.reason is Reason.TOKEN_EXPIRED


def test_page_throttle_80001_defers(world, server, facebook):
    world.faults.graph_account_calls_per_hour = 1
    world.faults.usage_headers_after = 1000
    page = world.add_account("facebook")
    post = world.add_post(page)
    batch = facebook.fetch_metrics(cred(page), [post_ref(post)])
    assert batch.posts[0].outcome is Outcome.DEFERRED
    assert batch.halt is not None and batch.halt.reason is Reason.RATE_LIMITED


def test_page_followers_and_reels_listing(world, server, facebook):
    page = world.add_account("facebook")
    reels = [world.add_post(page, kind="reel", age_hours=h) for h in range(1, 5)]
    world.add_post(page, kind="video")
    stats = facebook.fetch_accounts(cred(page), [ref(page)]).accounts[0].stats
    assert stats.followers == page.followers(world.clock.now())
    assert stats.media_count is None
    listed = facebook.list_posts(cred(page), ref(page))
    assert [p.media_id for p in listed.posts] == [p.media_id for p in reels]


def test_list_posts_follows_cursors_and_stops_at_the_limit(world, server, facebook):
    page = world.add_account("facebook")
    reels = [world.add_post(page, kind="reel", age_hours=h) for h in range(1, 8)]
    facebook.list_page_size = 3  # an instance attribute: three pages of 3, 3 and 1 reels
    listed = facebook.list_posts(cred(page), ref(page))
    assert [p.media_id for p in listed.posts] == [p.media_id for p in reels]
    assert listed.complete and listed.calls == 3 and listed.halt is None
    assert all(p.permalink and p.posted_at for p in listed.posts)
    first_five = facebook.list_posts(cred(page), ref(page), limit=5)
    assert [p.media_id for p in first_five.posts] == [p.media_id for p in reels[:5]]
    assert not first_five.complete and first_five.calls == 2


def test_list_posts_with_an_expired_token_stops_with_the_reason(world, server, facebook):
    page = world.add_account("facebook", token_state="expired")
    world.add_post(page, kind="reel")
    listed = facebook.list_posts(cred(page), ref(page))
    assert listed.posts == [] and not listed.complete
    assert listed.halt is not None and listed.halt.reason is Reason.TOKEN_EXPIRED
