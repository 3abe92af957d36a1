"""Collection health: how collection is going, per platform and per account.

For the dashboard and ``reelboard status``: the last success, failures and deferrals by reason in
the last 24 hours, accounts that need re-authorisation, and the calls and quota units spent
today. Everything is read from ``collection_event`` (one row per batch or account refresh and
outcome) and ``social_account``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.enums import AccountStatus, Platform
from store.models import CollectionEvent, Library, SocialAccount

OK = "ok"
DEFERRED = "deferred"
FAILED = "failed"
OUTCOMES = (OK, DEFERRED, FAILED)

# The YouTube Data API's daily quota resets at midnight Pacific time; the other platforms'
# "today" is the UTC day.
QUOTA_DAY_ZONE: dict[Platform, ZoneInfo] = {Platform.YOUTUBE: ZoneInfo("America/Los_Angeles")}


def day_start(platform: Platform, now: datetime) -> datetime:
    """Midnight of ``now``'s day in the zone ``platform`` counts its quota in, as UTC."""
    zone = QUOTA_DAY_ZONE.get(platform, ZoneInfo("UTC"))
    local = now.astimezone(zone)
    midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
    return midnight.astimezone(UTC)


@dataclass
class AccountHealth:
    platform: Platform
    account_id: int | None  # None for the programme's own credential (YouTube API key...)
    credential: str | None
    handle: str | None
    library: str | None
    status: AccountStatus | None
    status_reason: str | None
    last_success: datetime | None
    last_attempt: datetime | None
    failures_24h: dict[str, int] = field(default_factory=dict)
    deferred_24h: dict[str, int] = field(default_factory=dict)

    @property
    def needs_reauth(self) -> bool:
        return self.status is AccountStatus.NEEDS_REAUTH


@dataclass
class PlatformHealth:
    platform: Platform
    last_success: datetime | None
    calls_today: int
    quota_units_today: int
    items_24h: int
    failures_24h: dict[str, int] = field(default_factory=dict)
    deferred_24h: dict[str, int] = field(default_factory=dict)


@dataclass
class HealthReport:
    at: datetime
    platforms: list[PlatformHealth]
    accounts: list[AccountHealth]

    @property
    def needs_reauth(self) -> list[AccountHealth]:
        return [a for a in self.accounts if a.needs_reauth]


def record_event(
    session: Session,
    *,
    platform: Platform,
    outcome: str,
    at: datetime,
    account_id: int | None = None,
    credential: str | None = None,
    reason: str | None = None,
    items: int = 0,
    calls: int = 0,
    quota_units: int = 0,
    detail: str | None = None,
) -> CollectionEvent:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    event = CollectionEvent(
        at=at,
        platform=platform,
        account_id=account_id,
        credential=credential,
        outcome=outcome,
        reason=reason,
        items=items,
        calls=calls,
        quota_units=quota_units,
        detail=detail,
    )
    session.add(event)
    return event


def collection_health(
    session: Session,
    now: datetime,
    *,
    day_start_of: Callable[[Platform, datetime], datetime] = day_start,
) -> HealthReport:
    since = now - timedelta(hours=24)
    earliest_day = min(day_start_of(p, now) for p in Platform)
    window_start = min(since, earliest_day)

    # One pass over the recent events (the (platform, at) index serves the range).
    rows = session.execute(
        select(
            CollectionEvent.platform,
            CollectionEvent.account_id,
            CollectionEvent.credential,
            CollectionEvent.outcome,
            CollectionEvent.reason,
            CollectionEvent.at,
            CollectionEvent.items,
            CollectionEvent.calls,
            CollectionEvent.quota_units,
        ).where(CollectionEvent.at >= window_start, CollectionEvent.at <= now)
    ).all()

    # The last success ever, per platform and per account (older than the window too).
    last_ok_rows = session.execute(
        select(
            CollectionEvent.platform,
            CollectionEvent.account_id,
            CollectionEvent.credential,
            func.max(CollectionEvent.at),
        )
        .where(CollectionEvent.outcome == OK, CollectionEvent.at <= now)
        .group_by(CollectionEvent.platform, CollectionEvent.account_id, CollectionEvent.credential)
    ).all()

    Key = tuple[Platform, int | None, str | None]
    accounts: dict[Key, AccountHealth] = {}
    platforms = {p: PlatformHealth(p, None, 0, 0, 0) for p in Platform}

    def account(key: Key) -> AccountHealth:
        if key not in accounts:
            accounts[key] = AccountHealth(
                platform=key[0],
                account_id=key[1],
                credential=key[2] if key[1] is None else None,
                handle=None,
                library=None,
                status=None,
                status_reason=None,
                last_success=None,
                last_attempt=None,
            )
        return accounts[key]

    def key_of(platform: Platform, account_id: int | None, credential: str | None) -> Key:
        # Account rows are keyed by account; app-credential rows by credential.
        return (Platform(platform), account_id, None if account_id is not None else credential)

    for platform, account_id, credential, at in last_ok_rows:
        acc = account(key_of(platform, account_id, credential))
        acc.last_success = _latest(acc.last_success, at)
        ph = platforms[Platform(platform)]
        ph.last_success = _latest(ph.last_success, at)

    for platform, account_id, credential, outcome, reason, at, items, calls, units in rows:
        p = Platform(platform)
        ph = platforms[p]
        if at >= day_start_of(p, now):
            ph.calls_today += calls or 0
            ph.quota_units_today += units or 0
        if at < since:
            continue
        acc = account(key_of(p, account_id, credential))
        acc.last_attempt = _latest(acc.last_attempt, at)
        why = reason or "unknown"
        if outcome == OK:
            ph.items_24h += items or 0
        elif outcome == FAILED:
            ph.failures_24h[why] = ph.failures_24h.get(why, 0) + 1
            acc.failures_24h[why] = acc.failures_24h.get(why, 0) + 1
        elif outcome == DEFERRED:
            ph.deferred_24h[why] = ph.deferred_24h.get(why, 0) + 1
            acc.deferred_24h[why] = acc.deferred_24h.get(why, 0) + 1

    # Accounts that need re-authorisation are listed even when nothing was tried lately.
    for sa in session.scalars(
        select(SocialAccount).where(SocialAccount.status == AccountStatus.NEEDS_REAUTH)
    ):
        account((Platform(sa.platform), sa.id, None))

    ids = [k[1] for k in accounts if k[1] is not None]
    if ids:
        for sa, lib_name in session.execute(
            select(SocialAccount, Library.name)
            .join(Library, Library.id == SocialAccount.library_id)
            .where(SocialAccount.id.in_(ids))
        ):
            acc = accounts[(Platform(sa.platform), sa.id, None)]
            acc.handle = sa.handle
            acc.library = lib_name
            acc.status = AccountStatus(sa.status)
            acc.status_reason = sa.status_reason

    ordered = sorted(
        accounts.values(),
        key=lambda a: (
            a.platform.value,
            not a.needs_reauth,
            a.library or "",
            a.handle or a.credential or "",
        ),
    )
    return HealthReport(at=now, platforms=list(platforms.values()), accounts=ordered)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


__all__ = [
    "DEFERRED",
    "FAILED",
    "OK",
    "AccountHealth",
    "HealthReport",
    "PlatformHealth",
    "collection_health",
    "day_start",
    "record_event",
]
