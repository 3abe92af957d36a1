"""A library's own picture: its accounts, their followers, its posts' performance.

A library user sees only their own library; the committee and administrators any library.
Tokens are never part of what this returns: only whether one is stored and when it expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from scoring.besttime import BestTime
from scoring.inputs import SnapshotInput
from scoring.reach import AccountInput, FollowerSnapshot, PostInput, ReachReport, reach_report
from services import besttime, calendar
from services.access import Denied, Viewer, require_library
from services.calendar import Actor
from store import webqueries
from store.enums import AccountStatus, Role
from store.models import Challenge, Entry, Library, MetricSnapshot

EXPIRY_WARNING = timedelta(days=7)


@dataclass(frozen=True)
class AccountInfo:
    account_id: int
    platform: str
    handle: str
    status: str
    status_reason: str | None
    has_token: bool
    token_expires_at: datetime | None
    attention: str | None  # None | needs_reauth | expired | expires_soon


@dataclass(frozen=True)
class LibraryOverview:
    library: Library
    accounts: list[AccountInfo]
    followers: Sequence[tuple[str, str, datetime, int | None]]
    posts: Sequence[tuple[Entry, Challenge, MetricSnapshot | None]]

    @property
    def needing_attention(self) -> list[AccountInfo]:
        return [a for a in self.accounts if a.attention is not None]


def visible_libraries(session: Session, viewer: Viewer) -> list[Library]:
    if viewer.is_staff:
        return list(webqueries.all_libraries(session))
    if viewer.has(Role.LIBRARY) and viewer.library_id is not None:
        own = session.get(Library, viewer.library_id)
        return [own] if own is not None else []
    raise Denied("libraries: not allowed")


def _attention(status: AccountStatus, expires: datetime | None, now: datetime) -> str | None:
    if status is AccountStatus.NEEDS_REAUTH:
        return "needs_reauth"
    if expires is not None and expires <= now:
        return "expired"
    if expires is not None and expires - now <= EXPIRY_WARNING:
        return "expires_soon"
    return None


def overview(
    session: Session, viewer: Viewer, library_id: int, now: datetime | None = None
) -> LibraryOverview:
    require_library(viewer, library_id)
    library = session.get(Library, library_id)
    if library is None:
        raise Denied(f"library #{library_id}: not found")
    at = now or datetime.now(UTC)
    accounts = [
        AccountInfo(
            account_id=a.id,
            platform=a.platform.value,
            handle=a.handle,
            status=a.status.value,
            status_reason=a.status_reason,
            has_token=a.token_encrypted is not None,
            token_expires_at=a.token_expires_at,
            attention=_attention(a.status, a.token_expires_at, at),
        )
        for a in webqueries.library_accounts(session, library_id)
    ]
    return LibraryOverview(
        library=library,
        accounts=accounts,
        followers=webqueries.follower_series(session, library_id),
        posts=webqueries.library_posts_latest(session, library_id),
    )


# --- the content calendar and the best time to post (the publication room's services) ---------


def calendar_actor(viewer: Viewer) -> Actor:
    """The viewer as the calendar services know them (they check the library again)."""
    if viewer.role is None or viewer.username is None:
        raise Denied("calendar: sign in first")
    return Actor(viewer.username, viewer.role, viewer.library_id)


def calendar_rows(session: Session, viewer: Viewer, library_id: int) -> list[dict[str, Any]]:
    require_library(viewer, library_id)
    library = session.get(Library, library_id)
    if library is None:
        raise Denied(f"library #{library_id}: not found")
    return calendar.list_posts(session, library=library.name)


def may_approve(session: Session, viewer: Viewer, post_id: int) -> bool:
    post = calendar.require_post(session, post_id)
    require_library(viewer, post.library_id)
    challenge = session.get(Challenge, post.challenge_id) if post.challenge_id else None
    return calendar.may_approve(calendar_actor(viewer), post, challenge)


def best_time(
    session: Session, viewer: Viewer, library_id: int, now: datetime | None = None
) -> BestTime:
    require_library(viewer, library_id)
    library = session.get(Library, library_id)
    if library is None:
        raise Denied(f"library #{library_id}: not found")
    return besttime.library_best_time(session, library.name, now=now or datetime.now(UTC))


def reach(
    session: Session, viewer: Viewer, library_id: int, start: datetime, end: datetime
) -> ReachReport:
    """The library's reach report over [start, end] (the scoring room's pure report on the
    library's own posts and accounts)."""
    require_library(viewer, library_id)
    library = session.get(Library, library_id)
    if library is None:
        raise Denied(f"library #{library_id}: not found")
    posts, snaps, accounts, followers = webqueries.library_reach_rows(session, library_id, end)
    return reach_report(
        [PostInput(i, library.name, p, pil, at) for i, p, pil, at in posts],
        [
            SnapshotInput(
                s.id,
                s.entry_id,
                s.collected_at,
                s.views,
                s.likes,
                s.comments,
                s.shares,
                s.saves,
                s.reach,
                s.source.value,
            )
            for s in snaps
        ],
        [AccountInput(i, library.name, p) for i, p in accounts],
        [FollowerSnapshot(a, at, f) for a, at, f in followers],
        start,
        end,
    )
