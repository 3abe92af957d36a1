"""Queries of the collection round: what to collect, and idempotent snapshot writes.

Snapshot inserts use ``INSERT ... ON CONFLICT DO NOTHING ... RETURNING`` on both SQLite and
PostgreSQL: a retried batch of the same round hits the unique keys and writes nothing, and the
returned ids say exactly how many rows were new.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from store.enums import AccountStatus, ChallengeStatus, EntryStatus, MetricSource, Platform
from store.models import (
    AccountSnapshot,
    Challenge,
    CollectionEvent,
    Entry,
    MetricSnapshot,
    SocialAccount,
)


@dataclass(frozen=True)
class EntryRow:
    """What planning needs to know of an active entry and its account."""

    entry_id: int
    platform: Platform
    post_id: str
    media_id: str | None
    account_id: int | None
    handle: str | None
    external_id: str | None
    has_token: bool
    account_status: AccountStatus | None


def active_entry_rows(
    session: Session, challenge_id: int, platforms: Collection[Platform] | None = None
) -> list[EntryRow]:
    """The challenge's active entries (ordered by id) with their accounts."""
    stmt = (
        select(
            Entry.id,
            Entry.platform,
            Entry.post_id,
            Entry.media_id,
            Entry.account_id,
            SocialAccount.handle,
            SocialAccount.external_id,
            SocialAccount.token_encrypted.is_not(None),
            SocialAccount.status,
        )
        .outerjoin(SocialAccount, SocialAccount.id == Entry.account_id)
        .where(Entry.challenge_id == challenge_id, Entry.status == EntryStatus.ACTIVE)
        .order_by(Entry.id)
    )
    if platforms:
        stmt = stmt.where(Entry.platform.in_(list(platforms)))
    return [
        EntryRow(
            entry_id=eid,
            platform=Platform(plat),
            post_id=pid,
            media_id=mid,
            account_id=aid,
            handle=handle,
            external_id=ext,
            has_token=bool(has_token),
            account_status=AccountStatus(status) if status is not None else None,
        )
        for eid, plat, pid, mid, aid, handle, ext, has_token, status in session.execute(stmt)
    ]


@dataclass(frozen=True)
class BatchEntry:
    """An entry as a collection batch needs it (plain values, no ORM object)."""

    entry_id: int
    status: EntryStatus
    post_id: str
    media_id: str | None
    posted_at: datetime | None
    title: str | None
    account_id: int | None
    handle: str | None
    external_id: str | None
    done: bool  # has an API snapshot taken at the round's time already


def batch_entries(
    session: Session, entry_ids: Iterable[int], collected_at: datetime
) -> list[BatchEntry]:
    """The entries of a batch with their accounts, and whether this round already has them."""
    ids = list(entry_ids)
    if not ids:
        return []
    done = (
        select(MetricSnapshot.id)
        .where(
            MetricSnapshot.entry_id == Entry.id,
            MetricSnapshot.collected_at == collected_at,
            MetricSnapshot.source == MetricSource.API,
        )
        .exists()
    )
    stmt = (
        select(
            Entry.id,
            Entry.status,
            Entry.post_id,
            Entry.media_id,
            Entry.posted_at,
            Entry.title,
            Entry.account_id,
            SocialAccount.handle,
            SocialAccount.external_id,
            done,
        )
        .outerjoin(SocialAccount, SocialAccount.id == Entry.account_id)
        .where(Entry.id.in_(ids))
        .order_by(Entry.id)
    )
    out: list[BatchEntry] = []
    for row in session.execute(stmt).all():
        eid, status, pid, mid, posted, title, aid, handle, ext, is_done = tuple(row)
        out.append(
            BatchEntry(
                entry_id=eid,
                status=EntryStatus(status),
                post_id=pid,
                media_id=mid,
                posted_at=posted,
                title=title,
                account_id=aid,
                handle=handle,
                external_id=ext,
                done=bool(is_done),
            )
        )
    return out


@dataclass(frozen=True)
class AccountRow:
    account_id: int
    platform: Platform
    handle: str
    external_id: str | None
    status: AccountStatus
    token_encrypted: bytes | None


def account_rows(session: Session, account_ids: Iterable[int]) -> list[AccountRow]:
    ids = list(account_ids)
    if not ids:
        return []
    stmt = (
        select(
            SocialAccount.id,
            SocialAccount.platform,
            SocialAccount.handle,
            SocialAccount.external_id,
            SocialAccount.status,
            SocialAccount.token_encrypted,
        )
        .where(SocialAccount.id.in_(ids))
        .order_by(SocialAccount.id)
    )
    return [
        AccountRow(
            account_id=aid,
            platform=Platform(plat),
            handle=handle,
            external_id=ext,
            status=AccountStatus(status),
            token_encrypted=token,
        )
        for aid, plat, handle, ext, status, token in session.execute(stmt)
    ]


_ENTRY = cast(Table, Entry.__table__)
_ACCOUNT = cast(Table, SocialAccount.__table__)


def update_entry_details(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Set ``media_id``, ``posted_at`` and ``title`` of entries (keys ``entry_id`` and those)."""
    if not rows:
        return
    stmt = (
        update(_ENTRY)
        .where(_ENTRY.c.id == bindparam("b_id"))
        .values(
            media_id=bindparam("b_media_id", type_=_ENTRY.c.media_id.type),
            posted_at=bindparam("b_posted_at", type_=_ENTRY.c.posted_at.type),
            title=bindparam("b_title", type_=_ENTRY.c.title.type),
        )
    )
    session.execute(
        stmt,
        [
            {
                "b_id": r["entry_id"],
                "b_media_id": r["media_id"],
                "b_posted_at": r["posted_at"],
                "b_title": r["title"],
            }
            for r in rows
        ],
    )


def mark_entries_unavailable(session: Session, reasons: Mapping[int, str]) -> None:
    """Entries whose post is gone: status ``unavailable`` (their snapshots stay)."""
    if not reasons:
        return
    stmt = (
        update(_ENTRY)
        .where(_ENTRY.c.id == bindparam("b_id"), _ENTRY.c.status == EntryStatus.ACTIVE.value)
        .values(status=EntryStatus.UNAVAILABLE.value, status_reason=bindparam("b_reason"))
    )
    session.execute(stmt, [{"b_id": k, "b_reason": v} for k, v in reasons.items()])


def set_account_external_ids(session: Session, ids: Mapping[int, str]) -> None:
    """Fill in the platform ids of accounts that had none."""
    if not ids:
        return
    stmt = (
        update(_ACCOUNT)
        .where(_ACCOUNT.c.id == bindparam("b_id"), _ACCOUNT.c.external_id.is_(None))
        .values(external_id=bindparam("b_ext"))
    )
    session.execute(stmt, [{"b_id": k, "b_ext": v} for k, v in ids.items()])


def mark_account_needs_reauth(session: Session, account_id: int, reason: str) -> str | None:
    """Set an account ``needs_reauth``; returns its handle (None if it does not exist)."""
    account = session.get(SocialAccount, account_id)
    if account is None:
        return None
    account.status = AccountStatus.NEEDS_REAUTH
    account.status_reason = reason[:1000]
    return account.handle


def entries_by_ids(
    session: Session, entry_ids: Iterable[int], *, with_accounts: bool = True
) -> list[Entry]:
    ids = list(entry_ids)
    if not ids:
        return []
    stmt = select(Entry).where(Entry.id.in_(ids)).order_by(Entry.id)
    if with_accounts:
        stmt = stmt.options(selectinload(Entry.account))
    return list(session.scalars(stmt))


def accounts_by_ids(session: Session, account_ids: Iterable[int]) -> list[SocialAccount]:
    ids = list(account_ids)
    if not ids:
        return []
    stmt = select(SocialAccount).where(SocialAccount.id.in_(ids)).order_by(SocialAccount.id)
    return list(session.scalars(stmt))


def metric_snapshot_entries(
    session: Session,
    entry_ids: Iterable[int],
    collected_at: datetime,
    source: MetricSource = MetricSource.API,
) -> set[int]:
    """Which of these entries already have a snapshot taken at ``collected_at``."""
    ids = list(entry_ids)
    if not ids:
        return set()
    stmt = select(MetricSnapshot.entry_id).where(
        MetricSnapshot.entry_id.in_(ids),
        MetricSnapshot.collected_at == collected_at,
        MetricSnapshot.source == source,
    )
    return set(session.scalars(stmt))


def account_snapshot_accounts(
    session: Session, account_ids: Iterable[int], collected_at: datetime
) -> set[int]:
    ids = list(account_ids)
    if not ids:
        return set()
    stmt = select(AccountSnapshot.account_id).where(
        AccountSnapshot.account_id.in_(ids), AccountSnapshot.collected_at == collected_at
    )
    return set(session.scalars(stmt))


def _insert_ignoring_duplicates(
    session: Session, table: Any, rows: Sequence[Mapping[str, Any]], keys: list[str]
) -> int:
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    stmt: Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
    else:  # pragma: no cover - the project supports SQLite and PostgreSQL
        raise RuntimeError(f"unsupported database {dialect}")
    # One statement compiled once (cached) and run for every row ("insertmanyvalues"); RETURNING
    # gives the ids of the rows that were new.
    result = session.execute(stmt.returning(table.c.id), [dict(r) for r in rows])
    return len(result.fetchall())


def insert_metric_snapshots(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert snapshots (dicts of MetricSnapshot columns); duplicates of (entry, collected_at,
    source) are skipped. Returns how many rows were new."""
    return _insert_ignoring_duplicates(
        session, MetricSnapshot.__table__, rows, ["entry_id", "collected_at", "source"]
    )


def insert_account_snapshots(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    return _insert_ignoring_duplicates(
        session, AccountSnapshot.__table__, rows, ["account_id", "collected_at"]
    )


def challenges_to_collect(session: Session) -> list[Challenge]:
    """Challenges whose metrics are still being collected (open, or closed but not frozen)."""
    stmt = (
        select(Challenge)
        .where(Challenge.status.in_([ChallengeStatus.OPEN, ChallengeStatus.CLOSED]))
        .order_by(Challenge.id)
    )
    return list(session.scalars(stmt))


def collection_events(
    session: Session, *, since: datetime | None = None, platform: Platform | None = None
) -> list[CollectionEvent]:
    stmt = select(CollectionEvent).order_by(CollectionEvent.id)
    if since is not None:
        stmt = stmt.where(CollectionEvent.at >= since)
    if platform is not None:
        stmt = stmt.where(CollectionEvent.platform == platform)
    return list(session.scalars(stmt))


def metric_snapshots(session: Session, entry_ids: Iterable[int]) -> list[MetricSnapshot]:
    """Every snapshot of these entries, oldest first (history, tests)."""
    ids = list(entry_ids)
    if not ids:
        return []
    stmt = (
        select(MetricSnapshot)
        .where(MetricSnapshot.entry_id.in_(ids))
        .order_by(MetricSnapshot.entry_id, MetricSnapshot.collected_at)
    )
    return list(session.scalars(stmt))


def account_snapshots(session: Session, account_ids: Iterable[int]) -> list[AccountSnapshot]:
    ids = list(account_ids)
    if not ids:
        return []
    stmt = (
        select(AccountSnapshot)
        .where(AccountSnapshot.account_id.in_(ids))
        .order_by(AccountSnapshot.account_id, AccountSnapshot.collected_at)
    )
    return list(session.scalars(stmt))


__all__ = [
    "AccountRow",
    "BatchEntry",
    "EntryRow",
    "account_rows",
    "account_snapshot_accounts",
    "account_snapshots",
    "accounts_by_ids",
    "active_entry_rows",
    "batch_entries",
    "challenges_to_collect",
    "collection_events",
    "entries_by_ids",
    "insert_account_snapshots",
    "insert_metric_snapshots",
    "mark_account_needs_reauth",
    "mark_entries_unavailable",
    "metric_snapshot_entries",
    "metric_snapshots",
    "set_account_external_ids",
    "update_entry_details",
]
