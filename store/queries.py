"""Queries shared by the services. All SQL of the project lives in this package."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from store.enums import MetricSource, Platform
from store.models import (
    AuditLog,
    Challenge,
    Entry,
    Library,
    MetricSnapshot,
    RubricVersion,
    SocialAccount,
    User,
)


def library_by_name(session: Session, name: str) -> Library | None:
    """The library whose name matches ``name`` ignoring case and surrounding spaces."""
    key = name.strip().lower()
    return session.scalars(select(Library).where(func.lower(Library.name) == key)).first()


def challenge_by_slug(session: Session, slug: str) -> Challenge | None:
    return session.scalars(select(Challenge).where(Challenge.slug == slug)).first()


def challenges(session: Session) -> Sequence[Challenge]:
    return session.scalars(select(Challenge).order_by(Challenge.opens_at.desc())).all()


def entry_counts(session: Session) -> dict[int, int]:
    """Number of entries per challenge id."""
    rows = session.execute(select(Entry.challenge_id, func.count()).group_by(Entry.challenge_id))
    return {cid: n for cid, n in rows}


def account_by_handle(session: Session, platform: Platform, handle: str) -> SocialAccount | None:
    key = handle.strip().lstrip("@").lower()
    return session.scalars(
        select(SocialAccount).where(
            SocialAccount.platform == platform, func.lower(SocialAccount.handle) == key
        )
    ).first()


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def entry_by_post(
    session: Session, challenge_id: int, platform: Platform, post_id: str
) -> Entry | None:
    return session.scalars(
        select(Entry).where(
            Entry.challenge_id == challenge_id,
            Entry.platform == platform,
            Entry.post_id == post_id,
        )
    ).first()


def entry_keys(session: Session, challenge_id: int) -> dict[tuple[str, str], int]:
    """(platform, post_id) -> entry id for every entry of a challenge."""
    rows = session.execute(
        select(Entry.platform, Entry.post_id, Entry.id).where(Entry.challenge_id == challenge_id)
    )
    return {(str(p), pid): eid for p, pid, eid in rows}


def latest_rubric(session: Session, challenge_id: int) -> RubricVersion | None:
    return session.scalars(
        select(RubricVersion)
        .where(RubricVersion.challenge_id == challenge_id)
        .order_by(RubricVersion.version.desc())
        .limit(1)
    ).first()


def latest_snapshot_ids(challenge_id: int, as_of: datetime | None = None) -> Select[Any]:
    """Ids of the newest snapshot of each entry of a challenge, at or before ``as_of``.

    Served by the (entry_id, collected_at) index on both databases: per entry the maximum
    ``collected_at`` is an index lookup, then the row is joined back.
    """
    conditions = [Entry.challenge_id == challenge_id]
    if as_of is not None:
        conditions.append(MetricSnapshot.collected_at <= as_of)
    newest = (
        select(
            MetricSnapshot.entry_id.label("entry_id"),
            func.max(MetricSnapshot.collected_at).label("at"),
        )
        .join(Entry, Entry.id == MetricSnapshot.entry_id)
        .where(*conditions)
        .group_by(MetricSnapshot.entry_id)
        .subquery()
    )
    snap = aliased(MetricSnapshot)
    return (
        select(func.max(snap.id))
        .join(newest, and_(snap.entry_id == newest.c.entry_id, snap.collected_at == newest.c.at))
        .group_by(snap.entry_id)
    )


def entries_with_latest_metrics(
    session: Session, challenge_id: int, as_of: datetime | None = None
) -> Sequence[tuple[Entry, Library, MetricSnapshot | None]]:
    """Every entry of a challenge with its library and newest snapshot (or None)."""
    ids = latest_snapshot_ids(challenge_id, as_of).subquery()
    latest = select(MetricSnapshot).where(MetricSnapshot.id.in_(select(ids.c[0]))).subquery()
    snap = aliased(MetricSnapshot, latest)
    stmt = (
        select(Entry, Library, snap)
        .join(Library, Library.id == Entry.library_id)
        .outerjoin(snap, snap.entry_id == Entry.id)
        .where(Entry.challenge_id == challenge_id)
        .order_by(Library.name, Entry.platform, Entry.id)
    )
    return [(e, lib, s) for e, lib, s in session.execute(stmt)]


def snapshot_keys(
    session: Session, entry_ids: set[int], source: MetricSource
) -> set[tuple[int, datetime]]:
    """(entry id, collected_at) of the existing snapshots of these entries from ``source``."""
    if not entry_ids:
        return set()
    rows = session.execute(
        select(MetricSnapshot.entry_id, MetricSnapshot.collected_at).where(
            MetricSnapshot.entry_id.in_(entry_ids), MetricSnapshot.source == source
        )
    )
    return {(eid, at) for eid, at in rows}


def audit_rows(
    session: Session, target_type: str | None = None, target_id: str | None = None
) -> Sequence[AuditLog]:
    stmt = select(AuditLog).order_by(AuditLog.id)
    if target_type is not None:
        stmt = stmt.where(AuditLog.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditLog.target_id == target_id)
    return session.scalars(stmt).all()
