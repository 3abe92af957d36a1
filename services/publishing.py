"""The publishing pass: every due post goes out once, through a persistent state machine.

For each due post a worker:

1. takes the post's lease with one conditional UPDATE (store/publishing.claim); of two workers
   racing for a post one wins, the other moves on;
2. asks the platform adapter for one step at a time (collector/publish); each step makes at most
   one API call and returns the new platform state (container id, video id, publish id, upload
   session URL...), which is COMMITTED, with the lease renewed, before the next step;
3. when the platform is still processing, gives the lease back with the earliest time to look
   again; when a call fails in a way worth retrying (timeouts, 5xx, rate limits), does the same
   with exponential backoff; anything else fails the post with the platform's reason;
4. on success stores the media id and permalink, marks the post published and, if its caption
   carries the hashtag of a challenge open at that moment, registers it as an entry.

A worker killed at any point leaves the last committed state. The next worker that takes the
post (after the lease runs out) starts from it with ``resumed=True``, and the adapters check with
the platform before repeating any call that makes a post visible. See docs/publishing.md.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from collector.publish.base import Http, Outcome, Publisher, PublishError, PublishJob
from collector.publish.facebook import FacebookPublisher
from collector.publish.instagram import InstagramPublisher
from collector.publish.tiktok import TikTokPublisher
from collector.publish.youtube import YouTubePublisher
from collector.urls import PostRef, PostUrlError, parse_post_url
from services import audit, media
from services.app import App
from services.errors import BadInput
from services.postrules import hashtags
from store import publishing as q
from store import queries
from store.collection import mark_account_needs_reauth
from store.enums import AccountStatus, ChallengeStatus, EntryStatus, Platform, PostState
from store.models import Entry, ScheduledPost, SocialAccount

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_STEPS = 50  # per claim; a healthy flow needs fewer than ten
MAX_TRANSIENT_ERRORS = 8
BACKOFF_BASE = 30.0
BACKOFF_MAX = 3600.0

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def default_publishers(app: App, http: Http | None = None) -> dict[Platform, Publisher]:
    s = app.settings
    return {
        Platform.INSTAGRAM: InstagramPublisher(s.graph_api_base, http),
        Platform.FACEBOOK: FacebookPublisher(s.graph_api_base, http),
        Platform.TIKTOK: TikTokPublisher(s.tiktok_api_base, http),
        Platform.YOUTUBE: YouTubePublisher(s.youtube_api_base, http),
    }


@dataclass
class PassResult:
    """What one publishing pass did, by post id."""

    published: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    waiting: list[int] = field(default_factory=list)
    retrying: dict[int, str] = field(default_factory=dict)
    lost: list[int] = field(default_factory=list)  # another worker had it
    entries: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"published {len(self.published)}, failed {len(self.failed)}, "
            f"waiting for the platform {len(self.waiting)}, retrying later {len(self.retrying)}"
        )


def build_job(app: App, session: Session, post: ScheduledPost) -> PublishJob:
    account = session.get(SocialAccount, post.account_id)
    if account is None:
        raise BadInput(f"post #{post.id}: its account is gone")
    if account.token_encrypted is None:
        raise BadInput(f"@{account.handle} has no access token: connect the account")
    if account.status is AccountStatus.NEEDS_REAUTH:
        why = account.status_reason or "token rejected"
        raise BadInput(
            f"@{account.handle} needs re-authorisation ({why}): reconnect the account, "
            "then retry the post"
        )
    if not account.external_id:
        raise BadInput(f"@{account.handle} has no platform id (--external-id)")
    token = app.token_box.open(account.token_encrypted)
    media_file = None
    size = duration = None
    url = post.media_url
    if post.media_path:
        media_file = media.media_file(app.settings.media_dir, post.media_path)
        if not media_file.is_file():
            raise BadInput(f"the stored video {post.media_path} is missing from the media folder")
        size = media_file.stat().st_size
        info = post.media_info or {}
        duration = info.get("duration_s")
        if app.settings.public_media_base_url:
            url = media.public_url(app.settings.public_media_base_url, post.media_path)
    return PublishJob(
        post_id=post.id,
        platform=post.platform,
        account_id=account.external_id,
        handle=account.handle,
        token=token,
        caption=post.caption,
        media_file=media_file,
        media_url=url,
        size_bytes=size,
        duration_s=duration,
    )


def _backoff(errors: int, hint: float | None) -> float:
    delay = min(BACKOFF_MAX, BACKOFF_BASE * 2.0 ** max(0, errors - 1))
    return max(delay, hint or 0.0)


def publish_one(
    app: App,
    post_id: int,
    *,
    publishers: Mapping[Platform, Publisher],
    owner: str,
    clock: Clock = utcnow,
    lease: timedelta = LEASE,
    result: PassResult | None = None,
) -> str:
    """Take one post and drive it as far as it goes now; returns what happened to it."""
    result = result if result is not None else PassResult()
    with app.transaction() as session:
        if not q.claim(session, post_id, owner, clock(), lease):
            result.lost.append(post_id)
            return "lost"
    with app.transaction() as session:
        post = session.get(ScheduledPost, post_id)
        assert post is not None
        state = dict(post.platform_state or {})
        platform = post.platform
        try:
            job = build_job(app, session, post)
        except BadInput as exc:
            job = None
            reason = str(exc)
    if job is None:
        _finish_failed(app, post_id, owner, clock, reason, state, result)
        return "failed"
    publisher = publishers[platform]
    resumed = True
    for _ in range(MAX_STEPS):
        try:
            outcome = publisher.step(job, state, resumed=resumed)
        except PublishError as exc:
            return _on_error(app, post_id, owner, clock, state, exc, result)
        resumed = False
        if outcome.kind == "continue":
            state = outcome.state
            with app.transaction() as session:
                if not q.save_progress(session, post_id, owner, state, clock(), lease):
                    result.lost.append(post_id)
                    return "lost"
            continue
        if outcome.kind == "wait":
            with app.transaction() as session:
                q.release(
                    session,
                    post_id,
                    owner,
                    clock() + timedelta(seconds=outcome.wait_s),
                    outcome.state,
                    clock(),
                )
            result.waiting.append(post_id)
            return "waiting"
        if outcome.kind == "done":
            return _finish_published(app, post_id, owner, clock, outcome, result)
        _finish_failed(
            app, post_id, owner, clock, outcome.reason or "failed", outcome.state, result
        )
        return "failed"
    with app.transaction() as session:
        q.release(session, post_id, owner, clock(), state, clock())
    result.retrying[post_id] = "too many steps in one go"
    return "retrying"


def _on_error(
    app: App,
    post_id: int,
    owner: str,
    clock: Clock,
    state: dict[str, Any],
    exc: PublishError,
    result: PassResult,
) -> str:
    errors = int(state.get("errors", 0)) + 1
    state = {**state, "errors": errors, "last_error": str(exc)}
    if exc.token_invalid:
        _needs_reauth(app, post_id, owner, str(exc))
    if exc.retriable and errors < MAX_TRANSIENT_ERRORS:
        wait = _backoff(errors, exc.retry_after)
        with app.transaction() as session:
            q.release(session, post_id, owner, clock() + timedelta(seconds=wait), state, clock())
            post = session.get(ScheduledPost, post_id)
            if post is not None:
                post.state_reason = f"retrying in {wait:.0f} s: {exc}"
        result.retrying[post_id] = str(exc)
        return "retrying"
    _finish_failed(app, post_id, owner, clock, str(exc), state, result)
    return "failed"


def _needs_reauth(app: App, post_id: int, owner: str, reason: str) -> None:
    """The platform rejected the token: the account is shown as needing re-authorisation."""
    with app.transaction() as session:
        post = session.get(ScheduledPost, post_id)
        if post is None:
            return
        handle = mark_account_needs_reauth(session, post.account_id, reason)
        audit.record(
            session,
            f"worker:{owner}",
            "account.needs_reauth",
            "social_account",
            post.account_id,
            handle=handle,
            reason=reason,
        )


def _finish_failed(
    app: App,
    post_id: int,
    owner: str,
    clock: Clock,
    reason: str,
    state: dict[str, Any],
    result: PassResult,
) -> None:
    with app.transaction() as session:
        if q.finish(
            session,
            post_id,
            owner,
            PostState.FAILED,
            clock(),
            state_reason=reason,
            platform_state=state,
        ):
            audit.record(
                session, f"worker:{owner}", "post.failed", "scheduled_post", post_id, reason=reason
            )
            result.failed[post_id] = reason
        else:
            result.lost.append(post_id)


def _finish_published(
    app: App,
    post_id: int,
    owner: str,
    clock: Clock,
    outcome: Outcome,
    result: PassResult,
) -> str:
    now = clock()
    with app.transaction() as session:
        won = q.finish(
            session,
            post_id,
            owner,
            PostState.PUBLISHED,
            now,
            state_reason=None,
            platform_state=outcome.state,
            platform_media_id=outcome.media_id,
            permalink=outcome.permalink,
            published_at=outcome.posted_at or now,
        )
        if not won:
            result.lost.append(post_id)
            return "lost"
        audit.record(
            session,
            f"worker:{owner}",
            "post.published",
            "scheduled_post",
            post_id,
            media_id=outcome.media_id,
            permalink=outcome.permalink,
        )
        post = session.get(ScheduledPost, post_id)
        assert post is not None
        session.refresh(post)
        entry = register_entry(session, post)
        if entry is not None:
            result.entries.append(entry.id)
    result.published.append(post_id)
    return "published"


# --- after publishing: the post becomes a challenge entry -------------------------------------


def _post_ref(post: ScheduledPost) -> PostRef | None:
    if post.permalink:
        try:
            ref = parse_post_url(post.permalink)
        except PostUrlError:
            ref = None
        if isinstance(ref, PostRef) and ref.platform is post.platform:
            return ref
    return None


def register_entry(session: Session, post: ScheduledPost) -> Entry | None:
    """Make a published post an entry of the challenge whose hashtag its caption carries.

    The challenge must take the post's platform, be open for entries (not frozen or published)
    and its period must contain the publishing time. The post's own challenge wins when several
    match. Returns the entry (existing or new), or None.
    """
    if post.published_at is None or post.platform_media_id is None:
        return None
    ref = _post_ref(post)
    if ref is None:
        return None
    tags = {t.lower() for t in hashtags(post.caption)}
    if not tags:
        return None
    candidates = [
        c
        for c in q.challenges_open_at(session, post.published_at)
        if c.status not in (ChallengeStatus.FROZEN, ChallengeStatus.PUBLISHED)
        and post.platform.value in c.platforms
        and any(h.lower() in tags for h in c.hashtags)
    ]
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c.id != post.challenge_id, c.id))
    challenge = candidates[0]
    existing = queries.entry_by_post(session, challenge.id, post.platform, ref.post_id)
    if existing is None:
        first_line = next((ln.strip() for ln in post.caption.splitlines() if ln.strip()), None)
        existing = Entry(
            challenge_id=challenge.id,
            library_id=post.library_id,
            account_id=post.account_id,
            platform=post.platform,
            canonical_url=ref.canonical_url,
            post_id=ref.post_id,
            media_id=post.platform_media_id,
            pillar=post.pillar,
            posted_at=post.published_at,
            title=first_line[:500] if first_line else None,
            status=EntryStatus.ACTIVE,
        )
        session.add(existing)
        session.flush()
        audit.record(
            session,
            "worker",
            "entry.add",
            "entry",
            existing.id,
            url=ref.canonical_url,
            from_post=post.id,
            challenge=challenge.slug,
        )
    post.entry_id = existing.id
    return existing


# --- the pass ---------------------------------------------------------------------------------


def publish_due(
    app: App,
    *,
    publishers: Mapping[Platform, Publisher] | None = None,
    owner: str | None = None,
    clock: Clock = utcnow,
    lease: timedelta = LEASE,
    limit: int = 100,
    progress: Callable[[int], None] | None = None,
) -> PassResult:
    """One pass over the due posts (``reelboard publish-due`` and the beat task)."""
    owner = owner or worker_name()
    pubs = publishers if publishers is not None else default_publishers(app)
    with app.transaction() as session:
        due = q.due_post_ids(session, clock(), limit)
    result = PassResult()
    for post_id in due:
        try:
            publish_one(
                app, post_id, publishers=pubs, owner=owner, clock=clock, lease=lease, result=result
            )
        except Exception:
            # A bug or a database error: the lease runs out and another pass resumes the post.
            log.exception("publishing post #%s stopped", post_id)
            result.retrying[post_id] = "internal error (see the log)"
        if progress is not None:
            progress(1)
    return result


__all__ = [
    "LEASE",
    "PassResult",
    "build_job",
    "default_publishers",
    "publish_due",
    "publish_one",
    "register_entry",
    "worker_name",
]


def live_quota_reader(app: App) -> Callable[[SocialAccount], tuple[int, int] | None]:
    """Reads an Instagram account's content_publishing_limit; None when it cannot be asked."""

    def read(account: SocialAccount) -> tuple[int, int] | None:
        if account.platform is not Platform.INSTAGRAM:
            return None
        if account.token_encrypted is None or not account.external_id:
            return None
        job = PublishJob(
            post_id=0,
            platform=account.platform,
            account_id=account.external_id,
            handle=account.handle,
            token=app.token_box.open(account.token_encrypted),
            caption="",
            media_file=None,
            media_url=None,
        )
        try:
            return InstagramPublisher(
                app.settings.graph_api_base, Http(timeout=15)
            ).publishing_limit(job)
        except PublishError as exc:
            log.warning("could not read @%s's publishing limit: %s", account.handle, exc)
            return None

    return read
