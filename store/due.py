"""Queries behind the collection schedule: which challenges run, and where each entry stands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from store.enums import ChallengeStatus, EntryStatus, MetricSource
from store.models import Challenge, Entry, MetricSnapshot

FINAL = (ChallengeStatus.FROZEN, ChallengeStatus.PUBLISHED)


def running_challenges(session: Session, now: datetime, lookback: timedelta) -> Sequence[Challenge]:
    """Challenges not frozen or published that have opened, and closed at most ``lookback`` ago
    (so a deadline collection can still be made)."""
    return session.scalars(
        select(Challenge)
        .where(
            Challenge.status.not_in(FINAL),
            Challenge.opens_at <= now,
            Challenge.closes_at >= now - lookback,
        )
        .order_by(Challenge.id)
    ).all()


def entry_collection_state(
    session: Session, challenge_id: int
) -> list[tuple[int, datetime, datetime | None]]:
    """(entry id, born at, newest API snapshot stamp or None) for every active entry.

    ``born at`` is the post's publication time when known, else the entry's registration time.
    """
    last = func.max(MetricSnapshot.collected_at)
    rows = session.execute(
        select(Entry.id, Entry.posted_at, Entry.created_at, last)
        .outerjoin(
            MetricSnapshot,
            and_(MetricSnapshot.entry_id == Entry.id, MetricSnapshot.source == MetricSource.API),
        )
        .where(Entry.challenge_id == challenge_id, Entry.status == EntryStatus.ACTIVE)
        .group_by(Entry.id, Entry.posted_at, Entry.created_at)
        .order_by(Entry.id)
    ).all()
    return [(eid, posted or created, latest) for eid, posted, created, latest in rows]


def entries_collected_at(
    session: Session, entry_ids: Sequence[int], collected_at: datetime
) -> set[int]:
    """Which of these entries already have an API snapshot stamped ``collected_at``."""
    if not entry_ids:
        return set()
    return set(
        session.scalars(
            select(MetricSnapshot.entry_id).where(
                MetricSnapshot.entry_id.in_(list(entry_ids)),
                MetricSnapshot.collected_at == collected_at,
                MetricSnapshot.source == MetricSource.API,
            )
        )
    )


__all__ = ["entries_collected_at", "entry_collection_state", "running_challenges"]
