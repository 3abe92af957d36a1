"""The fake platform server itself: formats, switches, limits, counting, admin, short links."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from fakeplatform import FaultRule, Faults, ServerHandle, World, start
from fakeplatform.graph import parse_fields


@pytest.fixture
def world() -> World:
    return World(seed=7)


@pytest.fixture
def server(world: World) -> Iterator[ServerHandle]:
    handle = start(world)
    try:
        yield handle
    finally:
        handle.stop()


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_handle_exposes_base_urls_and_settings(server):
    assert server.base_urls["graph"] == f"{server.url}/v25.0"
    assert server.base_urls["youtube"] == f"{server.url}/youtube/v3"
    assert server.base_urls["tiktok"] == f"{server.url}/v2"
    env = server.settings_env()
    assert env["REELBOARD_SHORTLINK_RESOLVER_BASE"] == f"{server.url}/_short"
    assert env["REELBOARD_INSTAGRAM_USER_ID"] == server.world.committee.user_id
    assert server.port > 0 and server.host == "127.0.0.1"


def test_world_is_deterministic_for_a_seed():
    a, b = World(seed=5), World(seed=5)
    pa, pb = a.populate(posts_per_account=2), b.populate(posts_per_account=2)
    assert [(p.post_id, p.media_id, p.views_per_hour) for p in pa] == [
        (p.post_id, p.media_id, p.views_per_hour) for p in pb
    ]
    assert [p.post_id for p in pa] != [p.post_id for p in World(seed=6).populate()]


def test_counts_grow_with_the_clock(world):
    acct = world.add_account("tiktok")
    post = world.add_post(acct, age_hours=2)
    before = post.counts(world.clock.now())
    world.clock.advance(hours=3)
    after = post.counts(world.clock.now())
    assert after["views"] > before["views"] and after["likes"] >= before["likes"]


def test_field_expansion_parser():
    fields = parse_fields(
        "id,business_discovery.username(x){followers_count,"
        "media.limit(5).after(abc){id,like_count}},media_count"
    )
    assert [f.name for f in fields] == ["id", "business_discovery", "media_count"]
    bd = fields[1]
    assert bd.mods == {"username": "x"}
    assert bd.children is not None
    media = bd.children[1]
    assert media.mods == {"limit": "5", "after": "abc"}
    assert [c.name for c in media.children or []] == ["id", "like_count"]
    with pytest.raises(ValueError):
        parse_fields("a{b")


def test_graph_token_errors(world, server):
    acct = world.add_account("instagram")
    url = f"{server.graph_api_base}/{acct.user_id}"
    r = requests.get(url, params={"fields": "id"}, timeout=5)
    assert r.status_code == 400 and r.json()["error"]["code"] == 104
    r = requests.get(url, params={"fields": "id"}, headers=bearer("nope"), timeout=5)
    assert r.json()["error"]["code"] == 190
    acct.token_state = "expired"
    r = requests.get(url, params={"fields": "id", "access_token": acct.token}, timeout=5)
    err = r.json()["error"]
    assert (err["code"], err["error_subcode"], err["type"]) == (190, 463, "OAuthException")
    assert "Session has expired" in err["message"]


def test_graph_media_pages_with_and_without_next(world, server):
    acct = world.add_account("instagram")
    for h in range(1, 6):
        world.add_post(acct, age_hours=h)
    url = f"{server.graph_api_base}/{acct.user_id}/media"
    first = requests.get(
        url, params={"fields": "id,permalink", "limit": "3"}, headers=bearer(acct.token), timeout=5
    ).json()
    assert len(first["data"]) == 3 and "next" in first["paging"]
    after = first["paging"]["cursors"]["after"]
    last = requests.get(
        url,
        params={"fields": "id", "limit": "3", "after": after},
        headers=bearer(acct.token),
        timeout=5,
    ).json()
    assert len(last["data"]) == 2
    assert "next" not in last["paging"] and "previous" in last["paging"]


def test_graph_batch_format_and_limit(world, server):
    acct = world.add_account("instagram")
    post = world.add_post(acct)
    ops = [
        {"method": "GET", "relative_url": f"{post.media_id}?fields=id,like_count"},
        {"method": "GET", "relative_url": "999?fields=id"},
    ]
    r = requests.post(
        f"{server.graph_api_base}/",
        headers=bearer(acct.token),
        data={"batch": json.dumps(ops), "include_headers": "false"},
        timeout=5,
    )
    out = r.json()
    assert r.status_code == 200 and [o["code"] for o in out] == [200, 400]
    assert json.loads(out[0]["body"])["id"] == post.media_id  # body is JSON text
    assert json.loads(out[1]["body"])["error"]["error_subcode"] == 33
    assert "headers" not in out[0]
    too_many = [{"method": "GET", "relative_url": post.media_id}] * 51
    r = requests.post(
        f"{server.graph_api_base}/",
        headers=bearer(acct.token),
        data={"batch": json.dumps(too_many)},
        timeout=5,
    )
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "GraphBatchException"
    assert world.calls.count(endpoint="graph.batch") == 2
    assert world.calls.count(operations=True) == 2  # the refused batch ran nothing


def test_instagram_retired_metric_is_refused(world, server):
    acct = world.add_account("instagram")
    post = world.add_post(acct)
    r = requests.get(
        f"{server.graph_api_base}/{post.media_id}/insights",
        params={"metric": "views,plays"},
        headers=bearer(acct.token),
        timeout=5,
    )
    err = r.json()["error"]
    assert err["code"] == 100 and "plays metric is no longer supported" in err["message"]


def test_youtube_key_quota_and_id_cap(world, server):
    world.faults.youtube_quota_per_day = 2
    ch = world.add_account("youtube")
    post = world.add_post(ch)
    url = f"{server.youtube_api_base}/videos"
    r = requests.get(
        url, params={"part": "statistics", "id": post.post_id, "key": "bad"}, timeout=5
    )
    assert r.status_code == 400 and r.json()["error"]["errors"][0]["reason"] == "badRequest"
    r = requests.get(url, params={"part": "statistics", "id": post.post_id}, timeout=5)
    assert r.status_code == 403
    key = world.youtube_api_key
    ok = requests.get(
        url, params={"part": "statistics", "id": post.post_id, "key": key}, timeout=5
    ).json()
    assert ok["items"][0]["statistics"]["viewCount"].isdigit()
    ids = ",".join([post.post_id] * 51)
    assert (
        requests.get(
            url, params={"part": "statistics", "id": ids, "key": key}, timeout=5
        ).status_code
        == 400
    )
    r = requests.get(url, params={"part": "statistics", "id": post.post_id, "key": key}, timeout=5)
    assert r.status_code == 403
    assert r.json()["error"]["errors"][0] == {
        "message": r.json()["error"]["message"],
        "domain": "youtube.quota",
        "reason": "quotaExceeded",
    }


def test_tiktok_envelope_limits_and_cursor(world, server):
    world.faults.tiktok_calls_per_minute = 3
    acct = world.add_account("tiktok")
    posts = [world.add_post(acct, age_hours=h) for h in range(1, 4)]
    url = f"{server.tiktok_api_base}/video/query/"
    fields = {"fields": "id,view_count"}
    r = requests.post(
        url,
        params=fields,
        json={"filters": {"video_ids": ["1"] * 21}},
        headers=bearer(acct.token),
        timeout=5,
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_params"
    r = requests.post(
        url,
        params=fields,
        json={"filters": {"video_ids": [p.post_id for p in posts]}},
        headers=bearer(acct.token),
        timeout=5,
    ).json()
    assert r["error"]["code"] == "ok" and r["error"]["log_id"]
    assert {v["id"] for v in r["data"]["videos"]} == {p.post_id for p in posts}
    lst = requests.post(
        f"{server.tiktok_api_base}/video/list/",
        params=fields,
        json={"max_count": 2},
        headers=bearer(acct.token),
        timeout=5,
    ).json()
    assert lst["data"]["has_more"] is True and len(lst["data"]["videos"]) == 2
    for _ in range(2):  # the limit is per token and endpoint: video/query's 3rd and 4th call
        r = requests.post(
            url,
            params=fields,
            json={"filters": {"video_ids": ["1"]}},
            headers=bearer(acct.token),
            timeout=5,
        )
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limit_exceeded"
    assert int(r.headers["Retry-After"]) > 0
    r = requests.get(
        f"{server.tiktok_api_base}/user/info/",
        params={"fields": "open_id"},
        headers=bearer("bad"),
        timeout=5,
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "access_token_invalid"


def test_short_links_redirect_to_canonical_urls(world, server):
    tt = world.add_post(world.add_account("tiktok"))
    fb = world.add_post(world.add_account("facebook"), kind="reel")
    for post, host in ((tt, "vm.tiktok.com"), (tt, "vt.tiktok.com"), (fb, "fb.watch")):
        r = requests.get(
            f"{server.shortlink_base}/{host}/{post.short_path}/", allow_redirects=False, timeout=5
        )
        assert r.status_code == 301
        assert r.headers["Location"].split("?")[0] == post.url
    assert tt.short_url.startswith("https://vm.tiktok.com/")
    r = requests.get(
        f"{server.shortlink_base}/vm.tiktok.com/unknown/", allow_redirects=False, timeout=5
    )
    assert r.status_code == 404


def test_admin_calls_config_clock_and_world(world, server):
    acct = world.add_account("youtube")
    world.add_post(acct)
    requests.get(
        f"{server.youtube_api_base}/channels",
        params={"part": "statistics", "id": acct.user_id, "key": world.youtube_api_key},
        timeout=5,
    )
    calls = requests.get(f"{server.url}/_admin/calls", timeout=5).json()
    assert calls["by_endpoint"] == {"youtube.channels.list": 1}
    assert calls["calls"][0]["credential"] == "key"
    assert requests.delete(f"{server.url}/_admin/calls", timeout=5).json() == {"reset": True}
    assert world.calls.count() == 0
    cfg = requests.post(
        f"{server.url}/_admin/config",
        json={"latency": 0.01, "rules": [{"kind": "quota"}]},
        timeout=5,
    ).json()
    assert cfg["latency"] == 0.01 and cfg["rules"][0]["kind"] == "quota"
    assert (
        requests.post(f"{server.url}/_admin/config", json={"nonsense": 1}, timeout=5).status_code
        == 400
    )
    before = world.clock.now()
    clock = requests.post(f"{server.url}/_admin/clock", json={"advance_hours": 2}, timeout=5).json()
    assert clock["now"] == (before + __import__("datetime").timedelta(hours=2)).isoformat()
    summary = requests.get(f"{server.url}/_admin/world", timeout=5).json()
    assert any(a["handle"] == acct.handle for a in summary["accounts"])


def test_latency_is_added_to_every_call(world, server):
    world.faults.latency = 0.2
    t0 = time.monotonic()
    requests.get(f"{server.youtube_api_base}/videos", timeout=5)
    assert time.monotonic() - t0 >= 0.2


def test_random_failures_are_seeded_and_near_the_rate():
    def pattern(seed: int) -> list[str | None]:
        f = Faults(failure_rate=0.2, failure_seed=seed)
        return [r.kind if (r := f.take("youtube.videos.list", None)) else None for _ in range(1000)]

    a = pattern(4)
    assert a == pattern(4)
    assert 150 < sum(1 for k in a if k) < 250
    assert {k for k in a if k} == {"server_error", "timeout", "rate_limit"}


def test_fault_rules_count_down_and_validate():
    f = Faults()
    f.add("server_error", endpoint="tiktok", times=2)
    assert f.take("tiktok.video.query", "x") is not None
    assert f.take("youtube.videos.list", "x") is None
    assert f.take("tiktok.user.info", "x") is not None
    assert f.take("tiktok.user.info", "x") is None
    with pytest.raises(ValueError):
        FaultRule(kind="gremlins")


def test_runs_as_a_command():
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakeplatform", "--port", "0", "--accounts", "1", "--posts", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("fake platform server on http://127.0.0.1:")
        url = line.split(" on ")[1].strip()
        summary = requests.get(f"{url}/_admin/world", timeout=5).json()
        assert len(summary["posts"]) == 4
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_prefixed_paths_are_served_too(world, server):
    acct = world.add_account("tiktok")
    world.add_post(acct)
    for base in (f"{server.url}/tiktok/v2", server.tiktok_api_base):
        r = requests.get(
            f"{base}/user/info/",
            params={"fields": "open_id"},
            headers=bearer(acct.token),
            timeout=5,
        )
        assert r.json()["data"]["user"]["open_id"] == acct.user_id
    ig = world.add_account("instagram")
    for base in (f"{server.url}/graph/v25.0", server.graph_api_base, f"{server.url}/v26.0"):
        r = requests.get(
            f"{base}/{ig.user_id}", params={"fields": "id"}, headers=bearer(ig.token), timeout=5
        )
        assert r.json()["id"] == ig.user_id
    r = requests.get(f"{server.graph_api_base}/123456", headers=bearer(ig.token), timeout=5)
    assert r.json()["error"]["error_subcode"] == 33  # unknown object, no publishing side


def test_published_reels_become_readable_and_collectable():
    from collector.base import Credential, PostRef
    from collector.instagram import InstagramAdapter

    world = World(seed=3)
    acct = world.add_account("instagram", handle="perpus.publish")
    with start(world, publish=True) as handle:
        pub = handle.publish_world
        assert pub is not None
        pub.add_account("instagram", acct.user_id, acct.handle, str(acct.token))
        base, auth = handle.graph_api_base, bearer(acct.token)
        container = requests.post(
            f"{base}/{acct.user_id}/media",
            headers=auth,
            timeout=5,
            data={
                "media_type": "REELS",
                "video_url": "https://media.example/r.mp4",
                "caption": "Literasi #ReelsPerpustakaan",
            },
        ).json()["id"]
        for _ in range(5):
            state = requests.get(
                f"{base}/{container}", params={"fields": "status_code"}, headers=auth, timeout=5
            ).json()["status_code"]
            if state == "FINISHED":
                break
        assert state == "FINISHED"
        media_id = requests.post(
            f"{base}/{acct.user_id}/media_publish",
            headers=auth,
            data={"creation_id": container},
            timeout=5,
        ).json()["id"]
        post = world.post_by_media("instagram", media_id)
        assert post is not None and post.caption == "Literasi #ReelsPerpustakaan"
        world.clock.advance(hours=3)
        adapter = InstagramAdapter(handle.graph_api_base)
        try:
            cred = Credential(key="a", token=acct.token, user_id=acct.user_id)
            res = adapter.fetch_metrics(cred, [PostRef(post_id=post.post_id)]).posts[0]
        finally:
            adapter.close()
        assert res.media_id == media_id
        assert (
            res.metrics is not None and res.metrics.views == post.counts(world.clock.now())["views"]
        )
        assert res.metrics.views > 0
        assert world.calls.count(api="publish") >= 3


def test_connections_are_kept_alive_and_closed_when_the_server_stops(world):
    handle = start(world)
    try:
        with requests.Session() as http:
            for _ in range(5):
                reply = http.get(f"{handle.url}/_admin/clock", timeout=5)
                assert reply.status_code == 200 and reply.headers.get("Connection") != "close"
            # a POST whose body the answer does not need leaves nothing behind on the connection
            posted = http.post(f"{handle.url}/_admin/clock", json={"advance_hours": 1}, timeout=5)
            assert posted.status_code == 200
            assert http.get(f"{handle.url}/_admin/clock", timeout=5).status_code == 200
            assert handle.connections_accepted == 1
            handle.stop()
            with pytest.raises(requests.ConnectionError):
                http.get(f"{handle.url}/_admin/clock", timeout=5)
    finally:
        handle.stop()
