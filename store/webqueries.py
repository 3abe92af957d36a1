"""Queries behind the dashboard: sign-in, sessions, judging, entry and library pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from store.models import (
    AccountSnapshot,
    Challenge,
    Entry,
    JudgeAssignment,
    JudgeScore,
    Library,
    LoginAttempt,
    MetricSnapshot,
    SocialAccount,
    User,
    WebSession,
)

# --- sign-in ----------------------------------------------------------------------------------


def failed_logins_since(
    session: Session, since: datetime, *, username: str | None = None, client: str | None = None
) -> int:
    """Failed attempts at or after ``since`` for one username or one client address."""
    stmt = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.at >= since, LoginAttempt.success.is_(False)
    )
    if username is not None:
        stmt = stmt.where(LoginAttempt.username == username)
    if client is not None:
        stmt = stmt.where(LoginAttempt.client == client)
    return int(session.scalar(stmt) or 0)


def web_session_by_hash(session: Session, token_sha256: str) -> WebSession | None:
    return session.scalars(
        select(WebSession).where(WebSession.token_sha256 == token_sha256)
    ).first()


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


# --- listings ---------------------------------------------------------------------------------


def all_challenges(session: Session) -> Sequence[Challenge]:
    return session.scalars(select(Challenge).order_by(Challenge.opens_at.desc())).all()


def all_libraries(session: Session) -> Sequence[Library]:
    return session.scalars(select(Library).order_by(Library.name)).all()


def all_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


def users_named_like(session: Session, prefix: str) -> Sequence[User]:
    """Active users whose name starts with ``prefix`` (the demo's users)."""
    return session.scalars(
        select(User)
        .where(User.username.startswith(prefix, autoescape=True), User.active.is_(True))
        .order_by(User.role, User.username)
    ).all()


def users_with_role(session: Session, role: str) -> Sequence[User]:
    return session.scalars(
        select(User).where(User.role == role, User.active.is_(True)).order_by(User.username)
    ).all()


def entries_of_challenge(session: Session, challenge_id: int) -> Sequence[tuple[Entry, Library]]:
    stmt = (
        select(Entry, Library)
        .join(Library, Library.id == Entry.library_id)
        .where(Entry.challenge_id == challenge_id)
        .order_by(Library.name, Entry.id)
    )
    return [(e, lib) for e, lib in session.execute(stmt)]


# --- judging ----------------------------------------------------------------------------------


def assignments_of_judge(
    session: Session, judge_id: int, challenge_id: int
) -> Sequence[tuple[Entry, Library]]:
    stmt = (
        select(Entry, Library)
        .join(JudgeAssignment, JudgeAssignment.entry_id == Entry.id)
        .join(Library, Library.id == Entry.library_id)
        .where(JudgeAssignment.judge_id == judge_id, JudgeAssignment.challenge_id == challenge_id)
        .order_by(Entry.id)
    )
    return [(e, lib) for e, lib in session.execute(stmt)]


def challenges_of_judge(session: Session, judge_id: int) -> Sequence[Challenge]:
    ids = select(JudgeAssignment.challenge_id).where(JudgeAssignment.judge_id == judge_id)
    return session.scalars(
        select(Challenge).where(Challenge.id.in_(ids)).order_by(Challenge.opens_at.desc())
    ).all()


def is_assigned(session: Session, judge_id: int, entry_id: int) -> bool:
    return (
        session.scalar(
            select(func.count(JudgeAssignment.id)).where(
                JudgeAssignment.judge_id == judge_id, JudgeAssignment.entry_id == entry_id
            )
        )
        or 0
    ) > 0


def assigned_pairs(session: Session, challenge_id: int) -> set[tuple[int, int]]:
    """(entry id, judge id) of every assignment of a challenge."""
    rows = session.execute(
        select(JudgeAssignment.entry_id, JudgeAssignment.judge_id).where(
            JudgeAssignment.challenge_id == challenge_id
        )
    )
    return {(e, j) for e, j in rows}


def judge_rows(
    session: Session, judge_id: int, challenge_id: int, entry_id: int | None = None
) -> Sequence[JudgeScore]:
    """Every judge_score row one judge wrote in a challenge (optionally for one entry), oldest
    first. Only that judge's rows: other judges' scores are never read here."""
    stmt = select(JudgeScore).where(
        JudgeScore.judge_id == judge_id, JudgeScore.challenge_id == challenge_id
    )
    if entry_id is not None:
        stmt = stmt.where(JudgeScore.entry_id == entry_id)
    return session.scalars(stmt.order_by(JudgeScore.id)).all()


# --- entries ----------------------------------------------------------------------------------


def entry_with_library(session: Session, entry_id: int) -> tuple[Entry, Library] | None:
    row = session.execute(
        select(Entry, Library)
        .join(Library, Library.id == Entry.library_id)
        .where(Entry.id == entry_id)
    ).first()
    return None if row is None else (row[0], row[1])


def entry_snapshots(
    session: Session, entry_id: int, as_of: datetime | None = None
) -> Sequence[MetricSnapshot]:
    stmt = select(MetricSnapshot).where(MetricSnapshot.entry_id == entry_id)
    if as_of is not None:
        stmt = stmt.where(MetricSnapshot.collected_at <= as_of)
    return session.scalars(stmt.order_by(MetricSnapshot.collected_at, MetricSnapshot.id)).all()


# --- libraries --------------------------------------------------------------------------------


def library_accounts(session: Session, library_id: int) -> Sequence[SocialAccount]:
    return session.scalars(
        select(SocialAccount)
        .where(SocialAccount.library_id == library_id)
        .order_by(SocialAccount.platform, SocialAccount.handle)
    ).all()


def follower_series(
    session: Session, library_id: int, since: datetime | None = None
) -> Sequence[tuple[str, str, datetime, int | None]]:
    """(platform, handle, collected_at, followers) for every account snapshot of a library."""
    stmt = (
        select(
            SocialAccount.platform,
            SocialAccount.handle,
            AccountSnapshot.collected_at,
            AccountSnapshot.followers,
        )
        .join(SocialAccount, SocialAccount.id == AccountSnapshot.account_id)
        .where(SocialAccount.library_id == library_id)
        .order_by(SocialAccount.platform, SocialAccount.handle, AccountSnapshot.collected_at)
    )
    if since is not None:
        stmt = stmt.where(AccountSnapshot.collected_at >= since)
    return [(str(p), h, at, f) for p, h, at, f in session.execute(stmt)]


def library_posts_latest(
    session: Session, library_id: int
) -> Sequence[tuple[Entry, Challenge, MetricSnapshot | None]]:
    """Every entry of a library (all challenges) with its newest snapshot, newest post first."""
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
    ids = (
        select(func.max(snap.id).label("id"))
        .join(newest, and_(snap.entry_id == newest.c.entry_id, snap.collected_at == newest.c.at))
        .group_by(snap.entry_id)
        .subquery()
    )
    latest = aliased(MetricSnapshot)
    stmt: Any = (
        select(Entry, Challenge, latest)
        .join(Challenge, Challenge.id == Entry.challenge_id)
        .outerjoin(latest, and_(latest.entry_id == Entry.id, latest.id.in_(select(ids.c.id))))
        .where(Entry.library_id == library_id)
        .order_by(Entry.posted_at.desc().nulls_last(), Entry.id.desc())
    )
    return [(row[0], row[1], row[2]) for row in session.execute(stmt)]


def has_published_board(session: Session, challenge_id: int) -> bool:
    from store.models import FrozenBoard

    return (
        session.scalar(
            select(func.count(FrozenBoard.id)).where(
                FrozenBoard.challenge_id == challenge_id, FrozenBoard.published_at.is_not(None)
            )
        )
        or 0
    ) > 0


def library_reach_rows(
    session: Session, library_id: int, end: datetime
) -> tuple[
    Sequence[tuple[int, str, str | None, datetime | None]],
    Sequence[MetricSnapshot],
    Sequence[tuple[int, str]],
    Sequence[tuple[int, datetime, int | None]],
]:
    """What a library's reach report reads, up to ``end``: its posts (entry id, platform,
    pillar, posted_at), their snapshots, its accounts (id, platform) and their follower counts."""
    posts = [
        (int(i), str(p), None if pil is None else str(pil), at)
        for i, p, pil, at in session.execute(
            select(Entry.id, Entry.platform, Entry.pillar, Entry.posted_at).where(
                Entry.library_id == library_id
            )
        )
    ]
    snaps = session.scalars(
        select(MetricSnapshot)
        .join(Entry, Entry.id == MetricSnapshot.entry_id)
        .where(Entry.library_id == library_id, MetricSnapshot.collected_at <= end)
    ).all()
    accounts = [
        (int(i), str(p))
        for i, p in session.execute(
            select(SocialAccount.id, SocialAccount.platform).where(
                SocialAccount.library_id == library_id
            )
        )
    ]
    followers = [
        (int(a), at, f)
        for a, at, f in session.execute(
            select(
                AccountSnapshot.account_id, AccountSnapshot.collected_at, AccountSnapshot.followers
            )
            .join(SocialAccount, SocialAccount.id == AccountSnapshot.account_id)
            .where(SocialAccount.library_id == library_id, AccountSnapshot.collected_at <= end)
        )
    ]
    return posts, snaps, accounts, followers
