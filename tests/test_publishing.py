"""Publishing through the real adapters against the fake platform server, in process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select

from collector.publish.base import Publisher
from collector.publish.facebook import FacebookPublisher
from collector.publish.instagram import InstagramPublisher
from collector.publish.tiktok import TikTokPublisher
from collector.publish.youtube import YouTubePublisher
from fakeplatform.publish_server import RunningPublishServer, start
from reelboard.settings import Settings
from services import calendar, publishing
from services.app import App
from store.enums import Platform, PostState
from store.models import AuditLog, Entry, ScheduledPost, SocialAccount
from tests.pubkit import EXTERNAL_IDS, OPERATOR, add_challenge, make_video, setup_calendar

MEDIA_BASE = "https://media.perpusnas.example/reels"


@pytest.fixture
def fake() -> Iterator[RunningPublishServer]:
    server = start()
    for platform, ext in EXTERNAL_IDS.items():
        server.world.add_account(
            platform.value, ext, f"perpus_{platform.value}", f"token-{platform.value}"
        )
    yield server
    server.stop()


@pytest.fixture
def settings(db_url: str, tmp_path: Path, fake: RunningPublishServer) -> Settings:
    return Settings(
        database_url=db_url,
        secret_key=SecretStr(Fernet.generate_key().decode()),
        media_dir=tmp_path / "media",
        graph_api_base=fake.graph_base,
        tiktok_api_base=fake.tiktok_base,
        youtube_api_base=fake.youtube_base,
        public_media_base_url=MEDIA_BASE,
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def publishers(app: App) -> dict[Platform, Publisher]:
    s = app.settings
    return {
        Platform.INSTAGRAM: InstagramPublisher(s.graph_api_base, poll_seconds=60),
        Platform.FACEBOOK: FacebookPublisher(s.graph_api_base, poll_seconds=30),
        Platform.TIKTOK: TikTokPublisher(s.tiktok_api_base, poll_seconds=15),
        Platform.YOUTUBE: YouTubePublisher(s.youtube_api_base, poll_seconds=30),
    }


def drive(app: App, clock: Clock, passes: int = 12) -> publishing.PassResult:
    """Publishing passes a minute apart until nothing is due; the results merged."""
    total = publishing.PassResult()
    pubs = publishers(app)
    for _ in range(passes):
        r = publishing.publish_due(app, publishers=pubs, owner="w1", clock=clock)
        total.published += r.published
        total.failed.update(r.failed)
        total.entries += r.entries
        clock.advance(61)
    return total


def schedule(
    app: App,
    tmp_path: Path,
    clock: Clock,
    platform: Platform,
    caption: str,
    *,
    url: str | None = None,
    challenge: str | None = None,
    video: Path | None = None,
) -> int:
    video = video or make_video(tmp_path / f"{platform.value}.mp4")
    with app.transaction() as s:
        post, _ = calendar.create_post(
            s,
            app.settings,
            library="Perpustakaan Kota Makassar",
            platform=platform.value,
            account=f"perpus_{platform.value}",
            caption=caption,
            at=clock.now + timedelta(minutes=5),
            actor=OPERATOR,
            now=clock.now,
            media_file=None if url else video,
            media_url=url,
            challenge=challenge,
        )
        calendar.approve_post(s, post.id, actor=OPERATOR, now=clock.now)
        assert post.state is PostState.SCHEDULED, post.state_reason
        return post.id


@pytest.mark.parametrize("platform", list(Platform))
def test_each_platform_publishes_once_and_becomes_an_entry(
    app: App, fake: RunningPublishServer, tmp_path: Path, platform: Platform
) -> None:
    setup_calendar(app, with_users=False)
    add_challenge(app)
    clock = Clock()
    post_id = schedule(
        app, tmp_path, clock, platform, f"Bedah buku {platform.value}", challenge="reels-2026"
    )
    early = publishing.publish_due(app, publishers=publishers(app), owner="w1", clock=clock)
    assert early.published == [] and fake.world.published == []  # not due yet
    clock.advance(5 * 60)
    result = drive(app, clock)
    assert result.published == [post_id]
    [record] = fake.world.published
    assert record.platform == platform.value
    assert "#LiterasiBerdaya" in record.caption
    with app.transaction() as s:
        post = s.get(ScheduledPost, post_id)
        assert post is not None
        assert post.state is PostState.PUBLISHED
        assert post.platform_media_id == record.media_id
        assert post.permalink is not None
        assert post.lease_owner is None
        entry = s.get(Entry, post.entry_id)
        assert entry is not None and entry.platform is platform
        assert entry.media_id == record.media_id
        actions = [a.action for a in s.scalars(select(AuditLog))]
        assert "post.published" in actions and "entry.add" in actions
    # The platform processed asynchronously: the state machine waited at least once.
    assert fake.world.calls.total() > 3


def test_instagram_pulls_a_url_and_waits_for_processing(
    app: App, fake: RunningPublishServer, tmp_path: Path
) -> None:
    setup_calendar(app, with_users=False)
    fake.world.switches.processing_polls = 3
    clock = Clock()
    post_id = schedule(
        app, tmp_path, clock, Platform.INSTAGRAM, "Dongeng", url="https://cdn.example/a.mp4"
    )
    clock.advance(6 * 60)
    pubs = publishers(app)
    first = publishing.publish_due(app, publishers=pubs, owner="w1", clock=clock)
    assert first.waiting == [post_id]
    with app.transaction() as s:
        post = s.get(ScheduledPost, post_id)
        assert post is not None and post.state is PostState.PUBLISHING
        assert post.platform_state["container_id"]  # stored before the next call
        assert post.lease_owner is None and post.lease_expires_at is not None
    # Looking again before the poll interval does nothing.
    again = publishing.publish_due(app, publishers=pubs, owner="w1", clock=clock)
    assert again.waiting == [] and again.published == []
    result = drive(app, clock)
    assert result.published == [post_id]
    assert fake.world.calls["instagram.media.create"] == 1
    assert fake.world.calls["instagram.container.status"] == 4
    assert len(fake.world.published) == 1


def test_refused_media_fails_with_the_platform_reason(
    app: App, fake: RunningPublishServer, tmp_path: Path
) -> None:
    setup_calendar(app, with_users=False)
    fake.world.switches.reject_all = {"instagram", "tiktok", "facebook", "youtube"}
    clock = Clock()
    ids = {p: schedule(app, tmp_path, clock, p, f"Kelas menulis {p.value}") for p in Platform}
    clock.advance(6 * 60)
    result = drive(app, clock)
    assert result.published == []
    assert set(result.failed) == set(ids.values())
    assert fake.world.published == []
    assert "not supported" in result.failed[ids[Platform.INSTAGRAM]]
    assert "file_format_check_failed" in result.failed[ids[Platform.TIKTOK]]
    assert "rejected" in result.failed[ids[Platform.YOUTUBE]]
    assert "reels specifications" in result.failed[ids[Platform.FACEBOOK]]


def test_daily_quota_reached_fails_clearly_and_retry_succeeds(
    app: App, fake: RunningPublishServer, tmp_path: Path
) -> None:
    setup_calendar(app, with_users=False)
    fake.world.switches.daily_limit["instagram"] = 0
    fake.world.switches.daily_limit["tiktok"] = 0
    clock = Clock()
    ig = schedule(app, tmp_path, clock, Platform.INSTAGRAM, "Pojok baca")
    tt = schedule(app, tmp_path, clock, Platform.TIKTOK, "Pojok baca tiktok")
    clock.advance(6 * 60)
    result = drive(app, clock, passes=3)
    assert "daily publishing limit" in result.failed[ig]
    assert "spam_risk_too_many_posts" in result.failed[tt]
    fake.world.switches.daily_limit["instagram"] = 50
    with app.transaction() as s:
        post, _ = calendar.retry_post(s, ig, actor=OPERATOR, now=clock.now)
        assert post.state is PostState.SCHEDULED
        assert "container_id" not in post.platform_state  # refused before any container
    result = drive(app, clock)
    assert result.published == [ig]


def test_transient_errors_back_off_and_recover(
    app: App, fake: RunningPublishServer, tmp_path: Path
) -> None:
    setup_calendar(app, with_users=False)
    clock = Clock()
    post_id = schedule(app, tmp_path, clock, Platform.FACEBOOK, "Lomba mewarnai")
    fake.stop()  # the platform is unreachable
    clock.advance(6 * 60)
    r = publishing.publish_due(app, publishers=publishers(app), owner="w1", clock=clock)
    assert post_id in r.retrying
    with app.transaction() as s:
        post = s.get(ScheduledPost, post_id)
        assert post is not None and post.state is PostState.PUBLISHING
        assert post.platform_state["errors"] == 1
        assert "retrying" in (post.state_reason or "")


def test_no_entry_outside_the_challenge_period_or_without_its_hashtag(
    app: App, fake: RunningPublishServer, tmp_path: Path
) -> None:
    setup_calendar(app, with_users=False)
    now = datetime.now(UTC)
    add_challenge(app, slug="old", hashtag="LombaLama", closes=now - timedelta(days=1))
    add_challenge(app, slug="now", hashtag="LiterasiBerdaya")
    clock = Clock()
    a = schedule(app, tmp_path, clock, Platform.YOUTUBE, "Judul\n#LombaLama")
    b = schedule(app, tmp_path, clock, Platform.TIKTOK, "Tanpa tagar")
    c = schedule(app, tmp_path, clock, Platform.INSTAGRAM, "Ikut #literasiberdaya")
    clock.advance(6 * 60)
    result = drive(app, clock)
    assert sorted(result.published) == sorted([a, b, c])
    with app.transaction() as s:
        entries = s.scalars(select(Entry)).all()
        assert len(entries) == 1
        post_c = s.get(ScheduledPost, c)
        assert post_c is not None and post_c.entry_id == entries[0].id


@pytest.mark.parametrize("platform", list(Platform))
def test_a_revoked_token_fails_the_post_and_marks_the_account(
    app: App, fake: RunningPublishServer, tmp_path: Path, platform: Platform
) -> None:
    """The platform rejects the token: no retry storm, the account shows needs_reauth."""
    setup_calendar(app, with_users=False)
    clock = Clock()
    post_id = schedule(app, tmp_path, clock, platform, f"Dongeng anak {platform.value}")
    with fake.world.lock:  # the library revoked the app's access on the platform
        fake.world.accounts.pop(f"token-{platform.value}")
    clock.advance(6 * 60)
    result = drive(app, clock, passes=2)
    assert result.published == []
    assert post_id in result.failed
    assert "token" in result.failed[post_id].lower() or "auth" in result.failed[post_id].lower()
    assert fake.world.published == []
    with app.transaction() as s:
        post = s.get(ScheduledPost, post_id)
        assert post is not None and post.state is PostState.FAILED
        account = s.get(SocialAccount, post.account_id)
        assert account is not None and account.status == "needs_reauth"
        actions = [a.action for a in s.scalars(select(AuditLog))]
        assert "account.needs_reauth" in actions
    # A second post for the same account fails at once, naming the reason, without a call.
    second = schedule(app, tmp_path, clock, platform, f"Dongeng kedua {platform.value}")
    clock.advance(6 * 60)
    calls_before = sum(fake.world.calls.values())
    again = drive(app, clock, passes=1)
    assert "needs re-authorisation" in again.failed[second]
    assert sum(fake.world.calls.values()) == calls_before
