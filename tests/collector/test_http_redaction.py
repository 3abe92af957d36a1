"""Secrets never reach the log; the HTTP layer's pieces behave as documented."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest

from collector.errors import Outcome
from collector.http import Reply, retry_after
from collector.ratelimit import MemoryRateGate
from collector.redact import _SECRET_PARAM, MASK, redact, redact_headers, scrub
from tests.collector.collector_helpers import cred, post_ref


def test_redact_masks_tokens_keys_and_bearer_headers():
    text = (
        "GET https://g.example/v25.0/1?fields=id&access_token=EAAB123secret&limit=5 "
        "https://yt.example/videos?part=x&key=AIzaSECRET "
        "Authorization: Bearer act.SECRETTOKEN OAuth IGQVJsecret "
        '{"access_token": "zzz-secret", "monkey=1": 2}'
    )
    out = redact(text)
    for secret in ("EAAB123secret", "AIzaSECRET", "act.SECRETTOKEN", "IGQVJsecret", "zzz-secret"):
        assert secret not in out
    assert "fields=id" in out and "limit=5" in out and "monkey=1" in out
    assert out.count(MASK) == 5


SECRET_NAMES = [
    "access_token",
    "api_key",
    "key",
    "client_secret",
    "refresh_token",
    "appsecret_proof",
    "input_token",
    "fb_exchange_token",
    "code",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
@pytest.mark.parametrize("sep", ["=", "%3D", "%3d"])
def test_every_secret_parameter_is_masked_alone(name: str, sep: str) -> None:
    # The cheap first look must not let any secret parameter through, even as the only one.
    for text in (f"https://x.example/cb?{name}{sep}S3CR3T", f"{name.upper()}{sep}S3CR3T"):
        assert "S3CR3T" not in redact(text)
        assert "S3CR3T" not in repr(scrub({"next": text}))


def test_links_without_secrets_are_kept_as_they_are() -> None:
    payload = {"share_url": "https://www.tiktok.com/@perpus/video/1?is_from_webapp=1&lang=id"}
    assert scrub(payload) is payload
    # the list above is every name the redaction pattern knows
    names = re.search(r"\(([a-z_|]+)\)", _SECRET_PARAM.pattern)
    assert names is not None and names.group(1).split("|") == SECRET_NAMES


def test_redact_headers_and_scrub_payloads():
    assert redact_headers({"Authorization": "Bearer x", "Accept": "json"}) == {
        "Authorization": MASK,
        "Accept": "json",
    }
    payload = {
        "paging": {"next": "https://g/x?after=abc&access_token=SECRET"},
        "access_token": "SECRET",
        "n": 3,
    }
    clean = scrub(payload)
    assert "SECRET" not in repr(clean) and clean["n"] == 3


def test_no_token_or_key_reaches_the_log(world, server, youtube, instagram, tiktok, caplog):
    """Malformed bodies that echo the request (URL with the key, Authorization header) are
    logged raw, but redacted; urllib3's own debug lines are redacted too."""
    ig, tt, yt = (
        world.add_account("instagram"),
        world.add_account("tiktok"),
        world.add_account("youtube"),
    )
    ig_post, tt_post, yt_post = world.add_post(ig), world.add_post(tt), world.add_post(yt)
    world.faults.add("malformed", endpoint="graph.batch")
    world.faults.add("malformed", endpoint="tiktok.video.query")
    world.faults.add("malformed", endpoint="youtube.videos")
    world.faults.add("server_error", endpoint="youtube.videos", times=1)
    caplog.set_level(logging.DEBUG)
    results = [
        instagram.fetch_metrics(cred(ig), [post_ref(ig_post, with_media_id=True)]),
        tiktok.fetch_metrics(cred(tt), [post_ref(tt_post)]),
        youtube.fetch_metrics(youtube.app_credential(), [post_ref(yt_post)]),
    ]
    assert all(r.posts[0].outcome is Outcome.FAILED for r in results)
    text = caplog.text
    assert "502 Bad Gateway" in text  # the raw bodies are logged...
    assert "urllib3" in text  # ...and so are urllib3's request lines
    for secret in (ig.token, tt.token, world.youtube_api_key):
        assert secret and secret not in text  # ...but never a secret
    assert f"key={MASK}" in text and f"Bearer {MASK}" in text


def test_credentials_do_not_show_their_token_in_repr(world):
    acct = world.add_account("tiktok")
    assert acct.token and acct.token not in repr(cred(acct))


def test_retry_after_seconds_and_http_date():
    now = datetime(2026, 9, 15, 12, 0, tzinfo=UTC)

    def reply(value: str) -> Reply:
        return Reply(status=429, headers={"Retry-After": value}, body=b"", url="", endpoint="x")

    assert retry_after(reply("30"), now) == now + timedelta(seconds=30)
    assert retry_after(reply("Tue, 15 Sep 2026 12:05:00 GMT"), now) == now + timedelta(minutes=5)
    assert retry_after(reply("soon"), now) is None


def test_memory_gate_keeps_the_latest_block_and_forgets_expired_ones():
    t = [datetime(2026, 1, 1, tzinfo=UTC)]
    gate = MemoryRateGate(lambda: t[0])
    gate.block("a", t[0] + timedelta(minutes=5), "x")
    gate.block("a", t[0] + timedelta(minutes=1), "y")  # an earlier block does not shorten it
    assert gate.blocked_until("a") == t[0] + timedelta(minutes=5)
    t[0] += timedelta(minutes=6)
    assert gate.blocked_until("a") is None
    assert gate.blocks() == {}
