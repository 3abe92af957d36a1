"""Queries of the content calendar and the publishing leases.

A worker publishes a post only while it holds the post's lease: ``lease_owner`` names it and
``lease_expires_at`` says until when. Taking, renewing and giving back the lease are single
conditional UPDATEs, so of two workers racing for one post exactly one sees its row change.
Every later write of a worker is conditional on still holding the lease (a fencing check): a
worker that was paused past its lease and lost the post to another cannot overwrite its state.

While a post waits for the platform (a container still processing), nobody holds it and
``lease_expires_at`` is the earliest time a worker may look at it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from store.enums import Platform, PostState
from store.models import Challenge, Entry, Library, MetricSnapshot, ScheduledPost

# States a worker may take a due post from.
CLAIMABLE = (PostState.SCHEDULED, PostState.PUBLISHING)
# States whose posts count against a platform's daily publishing limit.
COUNTED = (PostState.SCHEDULED, PostState.PUBLISHING, PostState.PUBLISHED)


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def _free(now: datetime) -> Any:
    return or_(ScheduledPost.lease_expires_at.is_(None), ScheduledPost.lease_expires_at <= now)


def due_post_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Posts whose time has come and that no live lease holds, oldest first."""
    stmt = (
        select(ScheduledPost.id)
        .where(
            ScheduledPost.state.in_(CLAIMABLE),
            ScheduledPost.scheduled_at <= now,
            _free(now),
        )
        .order_by(ScheduledPost.scheduled_at, ScheduledPost.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def claim(session: Session, post_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
    """Take the post's lease if it is due and free; True for the one worker that got it."""
    result = session.execute(
        update(ScheduledPost)
        .where(
            ScheduledPost.id == post_id,
            ScheduledPost.state.in_(CLAIMABLE),
            ScheduledPost.scheduled_at <= now,
            _free(now),
        )
        .values(
            lease_owner=owner,
            lease_expires_at=now + lease,
            state=PostState.PUBLISHING,
            attempts=ScheduledPost.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def save_progress(
    session: Session,
    post_id: int,
    owner: str,
    platform_state: dict[str, Any],
    now: datetime,
    lease: timedelta,
) -> bool:
    """Store the platform state and renew the lease; False if ``owner`` lost the lease."""
    result = session.execute(
        update(ScheduledPost)
        .where(ScheduledPost.id == post_id, ScheduledPost.lease_owner == owner)
        .values(platform_state=platform_state, lease_expires_at=now + lease, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def release(
    session: Session,
    post_id: int,
    owner: str,
    not_before: datetime,
    platform_state: dict[str, Any],
    now: datetime,
) -> bool:
    """Give the lease back until ``not_before`` (the platform is still processing)."""
    result = session.execute(
        update(ScheduledPost)
        .where(ScheduledPost.id == post_id, ScheduledPost.lease_owner == owner)
        .values(
            lease_owner=None,
            lease_expires_at=not_before,
            platform_state=platform_state,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def finish(
    session: Session,
    post_id: int,
    owner: str,
    state: PostState,
    now: datetime,
    **values: Any,
) -> bool:
    """Move the post to its final state and drop the lease, if ``owner`` still holds it."""
    result = session.execute(
        update(ScheduledPost)
        .where(ScheduledPost.id == post_id, ScheduledPost.lease_owner == owner)
        .values(state=state, lease_owner=None, lease_expires_at=None, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def count_in_window(
    session: Session,
    *,
    platform: Platform,
    account_id: int | None,
    around: datetime,
    exclude_id: int | None = None,
) -> int:
    """Posts of the account (or, with None, of the platform) publishing within 24 h of ``around``.

    A platform's limit is a moving 24-hour window; a new post at ``around`` breaks it if the
    posts in any 24-hour window containing it reach the limit. Counting the ±24 h span is the
    conservative approximation: it may refuse a time that would just fit, never the reverse.
    """
    at = func.coalesce(ScheduledPost.published_at, ScheduledPost.scheduled_at)
    conditions = [
        ScheduledPost.platform == platform,
        ScheduledPost.state.in_(COUNTED),
        at > around - timedelta(hours=24),
        at < around + timedelta(hours=24),
    ]
    if account_id is not None:
        conditions.append(ScheduledPost.account_id == account_id)
    if exclude_id is not None:
        conditions.append(ScheduledPost.id != exclude_id)
    return int(session.scalar(select(func.count()).where(*conditions)) or 0)


def calendar(
    session: Session,
    *,
    library_id: int | None = None,
    states: Sequence[PostState] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    challenge_id: int | None = None,
) -> Sequence[ScheduledPost]:
    stmt = select(ScheduledPost).order_by(ScheduledPost.scheduled_at, ScheduledPost.id)
    if library_id is not None:
        stmt = stmt.where(ScheduledPost.library_id == library_id)
    if states:
        stmt = stmt.where(ScheduledPost.state.in_(list(states)))
    if start is not None:
        stmt = stmt.where(ScheduledPost.scheduled_at >= start)
    if end is not None:
        stmt = stmt.where(ScheduledPost.scheduled_at < end)
    if challenge_id is not None:
        stmt = stmt.where(ScheduledPost.challenge_id == challenge_id)
    return session.scalars(stmt).all()


def post_history(
    session: Session, library_id: int, posted_before: datetime
) -> list[tuple[str, str, datetime, MetricSnapshot]]:
    """(platform, post id, posted_at, latest snapshot) of the library's posts, once each.

    A post registered in several challenges counts once (its newest snapshot). Only posts
    published before ``posted_before`` are returned, so young posts whose counts still grow
    can be left out.
    """
    newest = (
        select(
            MetricSnapshot.entry_id.label("entry_id"),
            func.max(MetricSnapshot.collected_at).label("at"),
        )
        .join(Entry, Entry.id == MetricSnapshot.entry_id)
        .where(Entry.library_id == library_id)
        .group_by(MetricSnapshot.entry_id)
        .subquery()
    )
    snap = aliased(MetricSnapshot)
    stmt = (
        select(Entry.platform, Entry.post_id, Entry.posted_at, snap)
        .join(newest, newest.c.entry_id == Entry.id)
        .join(snap, and_(snap.entry_id == newest.c.entry_id, snap.collected_at == newest.c.at))
        .where(
            Entry.library_id == library_id,
            Entry.posted_at.is_not(None),
            Entry.posted_at < posted_before,
        )
        .order_by(Entry.posted_at, snap.collected_at.desc(), snap.id.desc())
    )
    seen: dict[tuple[str, str], tuple[str, str, datetime, MetricSnapshot]] = {}
    for platform, post_id, posted_at, s in session.execute(stmt):
        key = (str(platform), post_id)
        assert posted_at is not None
        current = seen.get(key)
        if current is None or s.collected_at > current[3].collected_at:
            seen[key] = (str(platform), post_id, posted_at, s)
    return sorted(seen.values(), key=lambda r: r[2])


def challenges_open_at(session: Session, at: datetime) -> Sequence[Challenge]:
    """Challenges whose period contains ``at``."""
    stmt = select(Challenge).where(Challenge.opens_at <= at, Challenge.closes_at >= at)
    return session.scalars(stmt.order_by(Challenge.id)).all()


def library_of(session: Session, library_id: int) -> Library | None:
    return session.get(Library, library_id)


__all__ = [
    "CLAIMABLE",
    "COUNTED",
    "calendar",
    "challenges_open_at",
    "claim",
    "count_in_window",
    "due_post_ids",
    "finish",
    "post_history",
    "release",
    "save_progress",
]
