"""The Instagram adapter against the fake Graph API: both reading paths and every failure."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

import pytest

from collector.base import CredentialKind
from collector.errors import Outcome, Reason
from collector.instagram import InstagramAdapter, refused_metric, shortcode_of
from fakeplatform import World
from fakeplatform.world import Post
from tests.collector.collector_helpers import FAST, TIMEOUT_DELAY, cred, post_ref, ref


def _counts(world: World, post: Post) -> dict[str, int]:
    return post.counts(world.clock.now())


def test_connected_reels_get_every_insight_and_match_the_world(world, server, instagram):
    acct = world.add_account("instagram")
    posts = [world.add_post(acct, age_hours=10 + i) for i in range(3)]
    batch = instagram.fetch_metrics(cred(acct), [post_ref(p) for p in posts])
    assert batch.halt is None
    for post, res in zip(posts, batch.posts, strict=True):
        assert res.outcome is Outcome.OK, res
        m = res.metrics
        c = _counts(world, post)
        assert res.media_id == post.media_id  # shortcode resolved to the media id
        assert (m.views, m.likes, m.comments, m.shares, m.saves, m.reach) == (
            c["views"],
            c["likes"],
            c["comments"],
            c["shares"],
            c["saves"],
            c["reach"],
        )
        assert m.posted_at == post.created_at.replace(microsecond=0)
        assert m.title == post.caption
        assert m.raw["insights"]["data"]
    # one media-list page to resolve, one batch for nodes + insights
    assert world.calls.count(endpoint="graph.user_media") == 1
    assert world.calls.count(endpoint="graph.batch") == 1
    assert world.calls.count(endpoint="graph.insights", operations=True) == 3


def test_counts_grow_with_the_world_clock(world, server, instagram):
    acct = world.add_account("instagram")
    post = world.add_post(acct, age_hours=5)
    first = instagram.fetch_metrics(cred(acct), [post_ref(post, with_media_id=True)])
    world.clock.advance(hours=6)
    second = instagram.fetch_metrics(cred(acct), [post_ref(post, with_media_id=True)])
    assert second.posts[0].metrics.views > first.posts[0].metrics.views


def test_batches_hold_25_reels_per_call(world, server, instagram):
    acct = world.add_account("instagram")
    posts = [world.add_post(acct) for _ in range(60)]
    batch = instagram.fetch_metrics(cred(acct), [post_ref(p, with_media_id=True) for p in posts])
    assert all(r.outcome is Outcome.OK for r in batch.posts)
    assert world.calls.count(endpoint="graph.batch") == math.ceil(60 / 25)
    assert world.calls.count(endpoint="graph.batch") == batch.calls
    assert world.calls.count(operations=True) == 120
    assert max(c.items for c in world.calls.calls(endpoint="graph.batch")) == 50


def test_shortcodes_resolve_through_cursor_pages(world, server):
    acct = world.add_account("instagram")
    posts = [world.add_post(acct, age_hours=h) for h in range(1, 13)]
    oldest = posts[-1]  # newest first: the 12-hour-old post is on the last page
    adapter = InstagramAdapter(server.graph_api_base, http=FAST, resolve_page_size=5)
    try:
        out = adapter.resolve_media_ids(cred(acct), [oldest.post_id, "Cnotthere01"])
    finally:
        adapter.close()
    assert out[oldest.post_id].media_id == oldest.media_id
    assert out["Cnotthere01"].outcome is Outcome.UNAVAILABLE
    # 12 media at 5 a page: 3 pages, the last without paging.next
    assert world.calls.count(endpoint="graph.user_media") == 3


def test_a_refused_metric_is_dropped_and_asked_again(world, server, instagram):
    world.faults.ig_refused_metrics = {"shares"}
    acct = world.add_account("instagram")
    posts = [world.add_post(acct, age_hours=20) for _ in range(2)]
    batch = instagram.fetch_metrics(cred(acct), [post_ref(p, with_media_id=True) for p in posts])
    for post, res in zip(posts, batch.posts, strict=True):
        assert res.outcome is Outcome.OK
        assert res.metrics.shares is None
        assert res.metrics.views == _counts(world, post)["views"]
    # first batch (nodes + insights), then one retry of the two insights without "shares"
    assert world.calls.count(endpoint="graph.batch") == 2
    retried = world.calls.calls(endpoint="graph.insights", operations=True)
    assert [c.status for c in retried] == [400, 400, 200, 200]


def test_refused_metric_names_are_read_from_both_documented_messages():
    asked = ["views", "reach", "plays"]
    assert (
        refused_metric(
            "(#100) Starting from version v22.0 and above, the plays metric is no "
            "longer supported... Please use views metric instead.",
            asked,
        )
        == "plays"
    )
    assert (
        refused_metric("(#100) metric[1] must be one of the following values: a, b", asked)
        == "reach"
    )
    assert refused_metric("(#100) An unknown error", asked) is None


def test_empty_insights_give_none_and_public_counts_remain(world, server, instagram):
    acct = world.add_account("instagram")
    post = world.add_post(acct, age_hours=1, insights_empty=True)
    res = instagram.fetch_metrics(cred(acct), [post_ref(post, with_media_id=True)]).posts[0]
    assert res.outcome is Outcome.OK
    m = res.metrics
    assert (m.views, m.reach, m.shares, m.saves) == (None, None, None, None)
    c = _counts(world, post)
    assert (m.likes, m.comments) == (c["likes"], c["comments"])


@pytest.mark.parametrize("state", ["deleted", "private"])
def test_deleted_or_private_reels_are_unavailable_and_the_rest_collected(
    world, server, instagram, state
):
    acct = world.add_account("instagram")
    gone, kept = world.add_post(acct), world.add_post(acct)
    gone.state = state
    batch = instagram.fetch_metrics(
        cred(acct),
        [post_ref(gone, with_media_id=True), post_ref(kept, with_media_id=True), post_ref(gone)],
    )
    assert [r.outcome for r in batch.posts] == [
        Outcome.UNAVAILABLE,
        Outcome.OK,
        Outcome.UNAVAILABLE,
    ]
    assert batch.posts[0].reason is Reason.UNAVAILABLE


@pytest.mark.parametrize(
    ("state", "reason"), [("expired", Reason.TOKEN_EXPIRED), ("revoked", Reason.TOKEN_INVALID)]
)
def test_an_expired_or_revoked_token_halts_only_that_credential(
    world, server, instagram, state, reason
):
    bad, good = world.add_account("instagram"), world.add_account("instagram")
    bad_post, good_post = world.add_post(bad), world.add_post(good)
    bad.token_state = state
    failed = instagram.fetch_metrics(cred(bad), [post_ref(bad_post, with_media_id=True)])
    assert failed.halt is not None and failed.halt.reason is reason
    assert failed.halt.reason.needs_reauth
    assert failed.posts[0].outcome is Outcome.FAILED and failed.posts[0].reason is reason
    ok = instagram.fetch_metrics(cred(good), [post_ref(good_post, with_media_id=True)])
    assert ok.halt is None and ok.posts[0].outcome is Outcome.OK


def test_a_throttled_account_is_deferred_and_not_called_again(world, server, instagram, gate):
    acct = world.add_account("instagram")
    posts = [world.add_post(acct) for _ in range(30)]
    world.faults.add(
        "graph_error",
        endpoint="graph.batch",
        code=80002,
        subcode=2446079,
        message="(#80002) There have been too many calls to this Instagram "
        "account. Wait a bit and try again.",
    )
    batch = instagram.fetch_metrics(cred(acct), [post_ref(p, with_media_id=True) for p in posts])
    assert batch.halt is not None and batch.halt.reason is Reason.RATE_LIMITED
    assert batch.halt.retry_at is not None
    assert all(r.outcome is Outcome.DEFERRED for r in batch.posts)
    assert world.calls.count(endpoint="graph.batch") == 1  # stopped after the throttle
    before = world.calls.count()
    again = instagram.fetch_metrics(cred(acct), [post_ref(posts[0], with_media_id=True)])
    assert again.posts[0].outcome is Outcome.DEFERRED
    assert world.calls.count() == before  # gated locally: no call reached the server
    assert f"graph:account:{acct.handle}" in gate.blocks()


def test_an_app_throttle_blocks_every_graph_credential(world, server, instagram, gate):
    a, b = world.add_account("instagram"), world.add_account("instagram")
    pa, pb = world.add_post(a), world.add_post(b)
    world.faults.add(
        "graph_error",
        endpoint="graph.batch",
        code=4,
        message="(#4) Application request limit reached",
    )
    first = instagram.fetch_metrics(cred(a), [post_ref(pa, with_media_id=True)])
    assert first.halt is not None and first.halt.scope == "graph:app"
    second = instagram.fetch_metrics(cred(b), [post_ref(pb, with_media_id=True)])
    assert second.posts[0].outcome is Outcome.DEFERRED
    assert world.calls.count(endpoint="graph.batch") == 1


def test_usage_headers_near_the_limit_stop_further_calls(world, server, instagram, gate):
    world.faults.graph_account_calls_per_hour = 10
    world.faults.usage_headers_after = 1
    acct = world.add_account("instagram")
    posts = [world.add_post(acct) for _ in range(10)]
    refs = [post_ref(p, with_media_id=True) for p in posts]
    first = instagram.fetch_metrics(cred(acct), refs[:5])  # 10 operations: 100 % of the hour
    assert all(r.outcome is Outcome.OK for r in first.posts)
    blocked = gate.blocked_until(f"graph:account:{acct.handle}")
    assert blocked is not None
    calls = world.calls.count()
    second = instagram.fetch_metrics(cred(acct), refs[5:])
    assert all(r.outcome is Outcome.DEFERRED for r in second.posts)
    assert second.posts[0].retry_at == blocked
    assert world.calls.count() == calls


def test_usage_headers_are_absent_until_enough_calls(world, server):
    import requests

    world.faults.usage_headers_after = 3
    acct = world.add_account("instagram")
    url = f"{server.graph_api_base}/{acct.user_id}"
    seen = []
    for _ in range(4):
        r = requests.get(
            url,
            params={"fields": "id"},
            headers={"Authorization": f"Bearer {acct.token}"},
            timeout=5,
        )
        seen.append("X-Business-Use-Case-Usage" in r.headers)
    assert seen == [False, False, True, True]


def test_an_unfinished_batch_operation_is_deferred(world, server, instagram):
    acct = world.add_account("instagram")
    posts = [world.add_post(acct) for _ in range(3)]
    world.faults.add("batch_null", endpoint="graph.insights", times=1)
    batch = instagram.fetch_metrics(cred(acct), [post_ref(p, with_media_id=True) for p in posts])
    outcomes = [r.outcome for r in batch.posts]
    assert outcomes == [Outcome.DEFERRED, Outcome.OK, Outcome.OK]
    assert batch.posts[0].reason is Reason.TIMEOUT


def test_a_malformed_operation_body_skips_that_reel_and_is_logged(world, server, instagram, caplog):
    acct = world.add_account("instagram")
    posts = [world.add_post(acct) for _ in range(3)]
    world.faults.add("malformed", endpoint="graph.media", times=1)
    with caplog.at_level(logging.WARNING, logger="collector"):
        batch = instagram.fetch_metrics(
            cred(acct), [post_ref(p, with_media_id=True) for p in posts]
        )
    assert [r.outcome for r in batch.posts] == [Outcome.FAILED, Outcome.OK, Outcome.OK]
    assert batch.posts[0].reason is Reason.MALFORMED
    assert '"like_count": ' in caplog.text  # the raw payload is in the log


def test_a_value_of_the_wrong_type_skips_only_that_reel(world, server, instagram):
    acct = world.add_account("instagram")
    bad, good = world.add_post(acct, malformed=True), world.add_post(acct)
    batch = instagram.fetch_metrics(
        cred(acct), [post_ref(bad, with_media_id=True), post_ref(good, with_media_id=True)]
    )
    assert [r.outcome for r in batch.posts] == [Outcome.FAILED, Outcome.OK]


def test_a_5xx_is_retried_then_succeeds(world, server, instagram):
    acct = world.add_account("instagram")
    post = world.add_post(acct)
    world.faults.add("server_error", endpoint="graph.batch", times=1)
    batch = instagram.fetch_metrics(cred(acct), [post_ref(post, with_media_id=True)])
    assert batch.posts[0].outcome is Outcome.OK
    assert world.calls.count(endpoint="graph.batch") == 2
    assert batch.calls == 2


def test_persistent_5xx_and_timeouts_are_deferred(world, server, instagram):
    acct = world.add_account("instagram")
    post = world.add_post(acct)
    world.faults.add("server_error", endpoint="graph.batch", times=None)
    batch = instagram.fetch_metrics(cred(acct), [post_ref(post, with_media_id=True)])
    assert batch.posts[0].outcome is Outcome.DEFERRED
    assert batch.posts[0].reason is Reason.SERVER_ERROR
    assert world.calls.count(endpoint="graph.batch") == FAST.retries + 1
    world.faults.clear()
    world.faults.add("timeout", endpoint="graph.batch", times=None, delay=TIMEOUT_DELAY)
    batch = instagram.fetch_metrics(cred(acct), [post_ref(post, with_media_id=True)])
    assert batch.posts[0].outcome is Outcome.DEFERRED
    assert batch.posts[0].reason is Reason.TIMEOUT


def test_business_discovery_reads_public_counts_and_followers(world, server, instagram):
    lib = world.add_account("instagram", connected=False)
    posts = [world.add_post(lib, age_hours=30 + i) for i in range(3)]
    posts[1].likes_hidden = True
    committee = instagram.app_credential()
    assert committee is not None and committee.kind is CredentialKind.APP
    batch = instagram.fetch_metrics(committee, [post_ref(p) for p in posts])
    assert [r.outcome for r in batch.posts] == [Outcome.OK] * 3
    c0 = _counts(world, posts[0])
    m0 = batch.posts[0].metrics
    assert (m0.likes, m0.comments, m0.views) == (c0["likes"], c0["comments"], c0["views"])
    assert (m0.shares, m0.saves, m0.reach) == (None, None, None)
    assert batch.posts[1].metrics.likes is None  # hidden: None, never 0
    assert batch.posts[0].media_id == posts[0].media_id
    [acc] = batch.accounts
    assert acc.key == lib.handle and acc.stats.followers == lib.followers(world.clock.now())
    assert world.calls.count(endpoint="graph.batch") == 1
    assert world.calls.count(credential="committee") == 1


def test_business_discovery_pages_to_older_posts_and_batches_accounts(world, server):
    libs = [world.add_account("instagram", connected=False) for _ in range(3)]
    targets = []
    for lib in libs:
        posts = [world.add_post(lib, age_hours=h) for h in range(1, 8)]
        targets.append(posts[-1])  # the oldest: on the second page of 5
    adapter = InstagramAdapter(
        server.graph_api_base,
        committee_user_id=world.committee.user_id,
        committee_token=world.committee.token,
        http=FAST,
        discovery_page_size=5,
    )
    try:
        app = adapter.app_credential()
        assert app is not None
        batch = adapter.fetch_metrics(app, [post_ref(p) for p in targets])
    finally:
        adapter.close()
    assert all(r.outcome is Outcome.OK for r in batch.posts)
    # first pages of the three accounts in one batch call, second pages in another
    assert world.calls.count(endpoint="graph.batch") == 2
    assert world.calls.count(endpoint="graph.business_discovery", operations=True) == 6


def test_business_discovery_of_a_personal_account_is_not_discoverable(world, server, instagram):
    personal = world.add_account("instagram", connected=False, professional=False)
    post = world.add_post(personal)
    batch = instagram.fetch_metrics(instagram.app_credential(), [post_ref(post)])
    assert batch.posts[0].outcome is Outcome.FAILED
    assert batch.posts[0].reason is Reason.NOT_DISCOVERABLE
    assert batch.halt is None
    assert batch.accounts[0].reason is Reason.NOT_DISCOVERABLE


def test_business_discovery_of_a_deleted_post_is_unavailable(world, server, instagram):
    lib = world.add_account("instagram", connected=False)
    gone, kept = world.add_post(lib), world.add_post(lib)
    gone.state = "deleted"
    batch = instagram.fetch_metrics(instagram.app_credential(), [post_ref(gone), post_ref(kept)])
    assert [r.outcome for r in batch.posts] == [Outcome.UNAVAILABLE, Outcome.OK]


def test_account_stats_connected_and_discovered(world, server, instagram):
    own = world.add_account("instagram")
    public = world.add_account("instagram", connected=False)
    for a in (own, public):
        world.add_post(a)
    now = world.clock.now()
    mine = instagram.fetch_accounts(cred(own), [ref(own)]).accounts[0]
    assert mine.stats.followers == own.followers(now) and mine.stats.media_count == 1
    theirs = instagram.fetch_accounts(instagram.app_credential(), [ref(public)]).accounts[0]
    assert theirs.stats.followers == public.followers(now)


def test_list_posts_follows_cursors_newest_first(world, server):
    acct = world.add_account("instagram")
    posts = [world.add_post(acct, age_hours=h) for h in range(1, 8)]
    adapter = InstagramAdapter(server.graph_api_base, http=FAST, resolve_page_size=3)
    try:
        listed = adapter.list_posts(cred(acct), ref(acct), limit=50)
    finally:
        adapter.close()
    assert [p.media_id for p in listed.posts] == [p.media_id for p in posts]
    assert listed.complete and listed.calls == 3


def test_no_token_is_no_credential_not_a_crash(world, server, instagram):
    acct = world.add_account("instagram", connected=False)
    post = world.add_post(acct)
    batch = instagram.fetch_metrics(cred(acct), [post_ref(post)])
    assert batch.posts[0].outcome is Outcome.FAILED
    assert batch.posts[0].reason is Reason.NO_CREDENTIAL
    assert world.calls.count() == 0


def test_shortcode_of_permalink_forms():
    assert shortcode_of("https://www.instagram.com/reel/C9xYzAbCdEf/") == "C9xYzAbCdEf"
    assert shortcode_of("https://www.instagram.com/p/C9aB-c_d/?igsh=1") == "C9aB-c_d"
    assert shortcode_of("https://www.instagram.com/explore/") is None


def test_retry_at_comes_from_the_buc_header_when_given(world, server, instagram):
    world.faults.graph_account_calls_per_hour = 2
    world.faults.usage_headers_after = 1000  # no early warning: the limit itself is hit
    acct = world.add_account("instagram")
    post = world.add_post(acct)
    first = instagram.fetch_metrics(cred(acct), [post_ref(post, with_media_id=True)])
    assert first.posts[0].outcome is Outcome.OK  # operations 1 and 2 of the hour
    batch = instagram.fetch_metrics(cred(acct), [post_ref(post, with_media_id=True)])
    assert batch.halt is not None and batch.halt.reason is Reason.RATE_LIMITED
    retry_at = batch.posts[0].retry_at
    assert retry_at is not None
    # The fake's hour window began at the world's 00:00, so estimated_time_to_regain_access
    # is about 60 minutes: longer than the 10-minute default cool-down.
    assert retry_at - datetime.now(UTC) > timedelta(minutes=30)
