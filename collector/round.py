"""One collection round: plan the batches, collect each one, summarise.

Made to be wrapped by a task queue:

- :func:`plan_round` is pure planning (database reads only, no network): it groups a challenge's
  active entries by platform and credential, cuts them into batches of each API's maximum and
  fixes the round's ``collected_at`` in every :class:`Batch`. A batch is plain data and
  round-trips through JSON (:meth:`Batch.to_json` / :meth:`Batch.from_json`).
- :func:`collect_batch` runs one batch and commits its results in one transaction. It is
  idempotent: entries that already have a snapshot at the batch's ``collected_at`` are not asked
  for again, and the unique key makes a duplicate write a no-op, so the same batch run twice (a
  redelivered task) writes one snapshot per entry.
- :func:`run_round` runs a round inline with bounded concurrency (a thread pool), committing
  batch by batch, so nothing collected before a failure is lost.

Credentials: a library's connected account (``account:<id>``, its token decrypted only for the
call), the committee's Instagram account for business discovery of libraries that did not
connect (``instagram:committee``), the YouTube API key (``youtube:app``), or none
(``none:<platform>``: no API can read the post; it is reported as ``no_credential``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from collector.base import (
    AccountRef,
    AccountResult,
    Credential,
    CredentialKind,
    Halt,
    PlatformAdapter,
    PostRef,
    PostResult,
)
from collector.errors import Outcome, Reason
from collector.ratelimit import utcnow
from collector.redact import get_logger, scrub
from store import collection as q
from store.crypto import SecretKeyError, TokenBox
from store.db import transaction
from store.enums import AccountStatus, EntryStatus, MetricSource, Platform
from store.models import CollectionEvent

log = get_logger(__name__)
T = TypeVar("T")

COMMITTEE = "instagram:committee"
YOUTUBE_APP = "youtube:app"
# Entries per metrics batch: what one API call of each platform carries (Instagram and Facebook:
# 50 Graph batch operations at two per post). Business discovery batches count accounts.
METRICS_BATCH_SIZE: dict[Platform, int] = {
    Platform.INSTAGRAM: 25,
    Platform.FACEBOOK: 25,
    Platform.YOUTUBE: 50,
    Platform.TIKTOK: 20,
}
DISCOVERY_ACCOUNTS_PER_BATCH = 50
YOUTUBE_CHANNELS_PER_BATCH = 50
DEFAULT_CONCURRENCY = 8


class BatchKind(StrEnum):
    METRICS = "metrics"
    ACCOUNTS = "accounts"


def round_time(now: datetime | None = None) -> datetime:
    """A round's ``collected_at``: aware UTC, whole seconds (equal on every database)."""
    t = (now or datetime.now(UTC)).astimezone(UTC)
    return t.replace(microsecond=0)


@dataclass(frozen=True)
class Batch:
    """One unit of collection work: one credential, at most one API call's worth of items."""

    kind: BatchKind
    platform: Platform
    credential: str
    challenge_id: int
    collected_at: datetime
    account_id: int | None = None  # the account whose token the batch uses
    entry_ids: tuple[int, ...] = ()  # metrics batches
    account_ids: tuple[int, ...] = ()  # accounts batches: whose followers to refresh

    @property
    def size(self) -> int:
        return len(self.entry_ids) if self.kind is BatchKind.METRICS else len(self.account_ids)

    @property
    def key(self) -> str:
        """A stable name (the same batch planned twice has the same key)."""
        ids = self.entry_ids or self.account_ids
        span = f"{ids[0]}-{ids[-1]}x{len(ids)}" if ids else "empty"
        return (
            f"{self.kind}:{self.platform}:{self.credential}:"
            f"{self.collected_at.strftime('%Y%m%dT%H%M%SZ')}:{span}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "platform": self.platform.value,
            "credential": self.credential,
            "challenge_id": self.challenge_id,
            "collected_at": self.collected_at.isoformat(),
            "account_id": self.account_id,
            "entry_ids": list(self.entry_ids),
            "account_ids": list(self.account_ids),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Batch:
        try:
            at = datetime.fromisoformat(str(data["collected_at"]))
            if at.tzinfo is None:
                raise ValueError("collected_at has no time zone")
            return cls(
                kind=BatchKind(data["kind"]),
                platform=Platform(data["platform"]),
                credential=str(data["credential"]),
                challenge_id=int(data["challenge_id"]),
                collected_at=at.astimezone(UTC),
                account_id=int(data["account_id"]) if data.get("account_id") is not None else None,
                entry_ids=tuple(int(i) for i in data.get("entry_ids", ())),
                account_ids=tuple(int(i) for i in data.get("account_ids", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a collection batch: {exc}") from exc


# ---- planning ----------------------------------------------------------------------------------
def _credential_for(row: q.EntryRow) -> tuple[str, int | None]:
    usable = row.has_token and row.account_status is not AccountStatus.NEEDS_REAUTH
    if row.platform is Platform.YOUTUBE:
        return YOUTUBE_APP, None
    if row.platform is Platform.INSTAGRAM:
        if row.account_id is not None and usable:
            return f"account:{row.account_id}", row.account_id
        if row.handle:
            return COMMITTEE, None  # public counts through business discovery
        return "none:instagram", None
    if row.account_id is not None and row.has_token:
        # A needs_reauth account is still planned: the batch reports it without calling.
        return f"account:{row.account_id}", row.account_id
    return f"none:{row.platform.value}", None


def _refreshable(row: q.EntryRow, credential: str) -> bool:
    """Whether the account's followers can be read with its own token."""
    return credential.startswith("account:") and row.account_status is not (
        AccountStatus.NEEDS_REAUTH
    )


def plan_round(
    session: Session,
    challenge_id: int,
    *,
    platforms: Collection[Platform] | None = None,
    collected_at: datetime | None = None,
    include_accounts: bool = True,
    entry_ids: Collection[int] | None = None,
) -> list[Batch]:
    """Every batch of one round of a challenge.

    With ``include_accounts`` the accounts' followers are refreshed in the same round: a
    connected account's refresh rides on the first metrics batch of its credential
    (``account_ids`` of that batch: same token, no extra batch), YouTube channels get
    ``accounts`` batches of 50, and business-discovery accounts get their followers with their
    metrics for free. :func:`plan_accounts` plans a refresh of followers alone.
    """
    at = round_time(collected_at)
    rows = q.active_entry_rows(session, challenge_id, platforms)
    if entry_ids is not None:  # only these entries (the scheduler's due ones), still full batches
        wanted = set(entry_ids)
        rows = [r for r in rows if r.entry_id in wanted]
    groups: dict[tuple[Platform, str, int | None], list[q.EntryRow]] = {}
    for row in rows:
        cred, account_id = _credential_for(row)
        groups.setdefault((row.platform, cred, account_id), []).append(row)
    batches: list[Batch] = []
    for (platform, cred, account_id), members in groups.items():
        if cred == COMMITTEE:
            chunks = _by_owner(members, DISCOVERY_ACCOUNTS_PER_BATCH)
        else:
            size = METRICS_BATCH_SIZE[platform]
            chunks = [members[i : i + size] for i in range(0, len(members), size)]
        refresh = (
            (account_id,)
            if include_accounts and account_id is not None and _refreshable(members[0], cred)
            else ()
        )
        for n, chunk in enumerate(chunks):
            batches.append(
                Batch(
                    kind=BatchKind.METRICS,
                    platform=platform,
                    credential=cred,
                    challenge_id=challenge_id,
                    collected_at=at,
                    account_id=account_id,
                    entry_ids=tuple(r.entry_id for r in chunk),
                    account_ids=refresh if n == 0 else (),
                )
            )
    if include_accounts:
        batches.extend(_youtube_channels(rows, challenge_id, at))
    return batches


def plan_accounts(
    session: Session,
    challenge_id: int,
    *,
    platforms: Collection[Platform] | None = None,
    collected_at: datetime | None = None,
) -> list[Batch]:
    """Batches that refresh only the followers of the challenge's accounts (``accounts`` kind).

    Accounts read by business discovery, and accounts without a usable token, are left out.
    """
    at = round_time(collected_at)
    rows = q.active_entry_rows(session, challenge_id, platforms)
    out: list[Batch] = []
    seen: set[int] = set()
    for r in rows:
        if r.account_id is None or r.account_id in seen or r.platform is Platform.YOUTUBE:
            continue
        seen.add(r.account_id)
        cred, _ = _credential_for(r)
        if _refreshable(r, cred):
            out.append(
                Batch(
                    kind=BatchKind.ACCOUNTS,
                    platform=r.platform,
                    credential=cred,
                    challenge_id=challenge_id,
                    collected_at=at,
                    account_id=r.account_id,
                    account_ids=(r.account_id,),
                )
            )
    return out + _youtube_channels(rows, challenge_id, at)


def _by_owner(members: Sequence[q.EntryRow], owners_per_batch: int) -> list[list[q.EntryRow]]:
    """Chunks holding every entry of at most ``owners_per_batch`` accounts."""
    by_owner: dict[str, list[q.EntryRow]] = {}
    for r in members:
        by_owner.setdefault((r.handle or "").lower(), []).append(r)
    owners = list(by_owner.values())
    return [
        [r for group in owners[i : i + owners_per_batch] for r in group]
        for i in range(0, len(owners), owners_per_batch)
    ]


def _youtube_channels(rows: Sequence[q.EntryRow], challenge_id: int, at: datetime) -> list[Batch]:
    channels: list[int] = []
    for r in rows:
        if (
            r.platform is Platform.YOUTUBE
            and r.account_id is not None
            and r.account_id not in channels
            and (r.external_id or r.handle)
        ):
            channels.append(r.account_id)
    return [
        Batch(
            kind=BatchKind.ACCOUNTS,
            platform=Platform.YOUTUBE,
            credential=YOUTUBE_APP,
            challenge_id=challenge_id,
            collected_at=at,
            account_ids=tuple(channels[i : i + YOUTUBE_CHANNELS_PER_BATCH]),
        )
        for i in range(0, len(channels), YOUTUBE_CHANNELS_PER_BATCH)
    ]


# ---- collecting one batch ----------------------------------------------------------------------
class GroupWriter:
    """Write transactions for SQLite, one at a time, committed in groups.

    SQLite has one writer at a time. Left to itself, a waiting writer sleeps in growing steps
    (SQLite's busy handler, up to 100 ms), and every transaction pays its own commit (an fsync).
    Here writers take turns on a lock, and the writes that queued up while one transaction ran
    go into the next one together (group commit): one commit for many batches. A caller returns
    only after its own write is committed. If a group fails, each of its writes is retried
    alone, so one bad write cannot lose the others.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._turn = threading.Lock()
        self._mutex = threading.Lock()
        self._pending: list[_Write[Any]] = []
        self.commits = 0  # for tests and benchmarks

    def run(self, fn: Callable[[Session], T]) -> T:
        job = _Write(fn)
        with self._mutex:
            self._pending.append(job)
        with self._turn:
            if not job.done:
                with self._mutex:
                    jobs, self._pending = self._pending, []
                self._commit(jobs)
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def _commit(self, jobs: list[_Write[Any]]) -> None:
        try:
            with transaction(self.sessions) as session:
                results = [j.fn(session) for j in jobs]
            self.commits += 1
        except Exception:
            if len(jobs) == 1:
                jobs[0].error = sys.exc_info()[1]
                jobs[0].done = True
                return
            for j in jobs:
                try:
                    with transaction(self.sessions) as session:
                        j.result = j.fn(session)
                    self.commits += 1
                except Exception as exc:
                    j.error = exc
                j.done = True
            return
        for j, r in zip(jobs, results, strict=True):
            j.result, j.done = r, True


class _Write(Generic[T]):
    __slots__ = ("done", "error", "fn", "result")

    def __init__(self, fn: Callable[[Session], T]) -> None:
        self.fn = fn
        self.result: T | None = None
        self.error: BaseException | None = None
        self.done = False


@dataclass
class RoundContext:
    """What collecting needs: sessions, adapters, the token key. Shared by worker threads.

    On SQLite, writes go through a :class:`GroupWriter` (created here); PostgreSQL takes
    concurrent transactions as they come.
    """

    sessions: sessionmaker[Session]
    adapters: Mapping[Platform, PlatformAdapter]
    token_box: Callable[[], TokenBox]
    now: Callable[[], datetime] = utcnow
    writer: GroupWriter | None = None

    def __post_init__(self) -> None:
        bind = self.sessions.kw.get("bind")
        if self.writer is None and bind is not None and bind.dialect.name == "sqlite":
            self.writer = GroupWriter(self.sessions)

    def write(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in a write transaction and return its result once committed."""
        if self.writer is not None:
            return self.writer.run(fn)
        with transaction(self.sessions) as session:
            return fn(session)


@dataclass
class Counts:
    """Outcomes of the posts (or accounts) of a batch, a platform or a round."""

    items: int = 0  # asked for in the plan
    collected: int = 0  # read successfully this time
    written: int = 0  # new snapshot rows
    already: int = 0  # had this round's snapshot before the batch ran: not asked again
    deferred: int = 0
    failed: int = 0
    unavailable: int = 0
    skipped: int = 0  # no longer active, or gone, when the batch ran

    def merge(self, other: Counts) -> None:
        """Add ``other``'s numbers (the fields both have) to these."""
        for name, value in vars(other).items():
            if name in vars(self):
                setattr(self, name, getattr(self, name) + value)


@dataclass
class BatchResult:
    """What one batch did, for its posts and for the accounts it refreshed."""

    batch: Batch
    posts: Counts = field(default_factory=Counts)
    accounts: Counts = field(default_factory=Counts)
    reasons: dict[str, int] = field(default_factory=dict)
    calls: int = 0
    quota_units: int = 0
    retry_at: datetime | None = None
    needs_reauth: list[int] = field(default_factory=list)
    error: str | None = None  # an unexpected failure of the batch itself

    @property
    def outcome(self) -> Outcome:
        if self.posts.failed or self.accounts.failed:
            return Outcome.FAILED
        if self.posts.deferred or self.accounts.deferred:
            return Outcome.DEFERRED
        return Outcome.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "batch": self.batch.to_json(),
            "outcome": self.outcome.value,
            "posts": vars(self.posts).copy(),
            "accounts": vars(self.accounts).copy(),
            "reasons": dict(self.reasons),
            "calls": self.calls,
            "quota_units": self.quota_units,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
            "needs_reauth": list(self.needs_reauth),
            "error": self.error,
        }

    def count(
        self, counts: Counts, outcome: Outcome, reason: Reason | None, retry_at: datetime | None
    ) -> None:
        if outcome is Outcome.OK:
            counts.collected += 1
            return
        if outcome is Outcome.DEFERRED:
            counts.deferred += 1
        elif outcome is Outcome.UNAVAILABLE:
            counts.unavailable += 1
        else:
            counts.failed += 1
        key = (reason or Reason.API_ERROR).value
        self.reasons[key] = self.reasons.get(key, 0) + 1
        if retry_at is not None and (self.retry_at is None or retry_at < self.retry_at):
            self.retry_at = retry_at


class _NoCredential(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _credential(ctx: RoundContext, batch: Batch, account: q.AccountRow | None) -> Credential:
    adapter = ctx.adapters[batch.platform]
    if batch.credential in (COMMITTEE, YOUTUBE_APP):
        app = adapter.app_credential()
        if app is None:
            what = (
                "REELBOARD_INSTAGRAM_USER_ID and REELBOARD_INSTAGRAM_ACCESS_TOKEN"
                if batch.credential == COMMITTEE
                else "REELBOARD_YOUTUBE_API_KEY"
            )
            raise _NoCredential(Reason.NO_CREDENTIAL, f"{what} not configured")
        return app
    if batch.credential.startswith("none:") or account is None:
        raise _NoCredential(
            Reason.NO_CREDENTIAL,
            "no connected account: no API reads this post (enter its metrics "
            "with `reelboard import-metrics`)",
        )
    if account.status is AccountStatus.NEEDS_REAUTH:
        raise _NoCredential(
            Reason.TOKEN_INVALID, f"account @{account.handle} needs re-authorisation"
        )
    if account.token_encrypted is None:
        raise _NoCredential(Reason.NO_CREDENTIAL, f"account @{account.handle} has no token")
    try:
        token = ctx.token_box().open(account.token_encrypted)
    except SecretKeyError as exc:
        raise _NoCredential(Reason.NO_CREDENTIAL, str(exc)) from exc
    return Credential(
        key=batch.credential,
        kind=CredentialKind.ACCOUNT,
        token=token,
        user_id=account.external_id,
        handle=account.handle,
    )


def collect_batch(ctx: RoundContext, batch: Batch) -> BatchResult:
    """Run one batch and commit what it collected, in one transaction.

    Idempotent: posts and accounts that already have a snapshot at the batch's
    ``collected_at`` are not asked for again, and a duplicate write is a no-op.
    """
    result = BatchResult(batch=batch)
    result.posts.items = len(batch.entry_ids)
    result.accounts.items = len(batch.account_ids)
    with ctx.sessions() as session:
        entries = q.batch_entries(session, batch.entry_ids, batch.collected_at)
        accounts = q.account_rows(session, batch.account_ids)
        account_done = q.account_snapshot_accounts(session, batch.account_ids, batch.collected_at)
        result.posts.skipped = len(batch.entry_ids) - len(entries)
        result.accounts.skipped = len(batch.account_ids) - len(accounts)
        posts_todo: list[q.BatchEntry] = []
        for e in entries:
            if e.done:
                result.posts.already += 1
            elif e.status is not EntryStatus.ACTIVE:
                result.posts.skipped += 1
            else:
                posts_todo.append(e)
        accounts_todo = [a for a in accounts if a.account_id not in account_done]
        result.accounts.already = len(accounts) - len(accounts_todo)
        if not posts_todo and not accounts_todo:
            return result
        owner = next((a for a in accounts if a.account_id == batch.account_id), None)
        if owner is None and batch.account_id is not None:
            found = q.account_rows(session, [batch.account_id])
            owner = found[0] if found else None
        try:
            cred = _credential(ctx, batch, owner)
        except _NoCredential as problem:
            for _ in posts_todo:
                result.count(result.posts, Outcome.FAILED, problem.reason, None)
            for _ in accounts_todo:
                result.count(result.accounts, Outcome.FAILED, problem.reason, None)
            cred = None
            detail: str | None = problem.detail
    if cred is None:
        _record_event(ctx, batch, result, halt=None, detail=detail)
        return result

    adapter = ctx.adapters[batch.platform]
    halt: Halt | None = None
    rows: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []
    gone: dict[int, str] = {}
    account_results: list[AccountResult] = []
    if posts_todo:  # no database session is held during the calls
        fetched = adapter.fetch_metrics(cred, [_post_ref(e) for e in posts_todo])
        result.calls += fetched.calls
        result.quota_units += fetched.quota_units
        halt = fetched.halt
        account_results.extend(fetched.accounts)
        for entry, res in zip(posts_todo, fetched.posts, strict=True):
            result.count(result.posts, res.outcome, res.reason, res.retry_at)
            if res.outcome is Outcome.OK and res.metrics is not None:
                rows.append(_snapshot_row(entry.entry_id, batch.collected_at, res))
                learned = _learned(entry, res)
                if learned is not None:
                    details.append(learned)
            elif res.outcome is Outcome.UNAVAILABLE:
                gone[entry.entry_id] = (
                    f"{res.detail or 'deleted or private'} "
                    f"(collection of {batch.collected_at.isoformat()})"
                )
    if accounts_todo:
        refs = [
            AccountRef(key=str(a.account_id), handle=a.handle, user_id=a.external_id)
            for a in accounts_todo
        ]
        if halt is None:
            stats = adapter.fetch_accounts(cred, refs)
            result.calls += stats.calls
            result.quota_units += stats.quota_units
            halt = stats.halt
            account_results.extend(stats.accounts)
            for acc in stats.accounts:
                result.count(result.accounts, acc.outcome, acc.reason, acc.retry_at)
        else:  # the credential just stopped: the refresh waits like the posts
            deferred = halt.reason in (Reason.RATE_LIMITED, Reason.QUOTA_EXCEEDED)
            for _ in refs:
                result.count(
                    result.accounts,
                    Outcome.DEFERRED if deferred else Outcome.FAILED,
                    halt.reason,
                    halt.retry_at,
                )
    if (
        halt is not None
        and halt.retry_at is not None
        and (result.retry_at is None or halt.retry_at < result.retry_at)
    ):
        result.retry_at = halt.retry_at
    reauth = halt is not None and halt.reason.needs_reauth and batch.account_id is not None
    event = _event(batch, result, halt, None)

    def store(session: Session) -> tuple[int, int, bool]:
        written = q.insert_metric_snapshots(session, rows)
        q.update_entry_details(session, details)
        q.mark_entries_unavailable(session, gone)
        accounts_written = _write_account_results(session, batch, account_results)
        marked = reauth and _mark_reauth(session, batch, halt)
        session.add(_copy_event(event))
        return written, accounts_written, marked

    result.posts.written, result.accounts.written, marked = ctx.write(store)
    if marked and batch.account_id is not None:
        result.needs_reauth.append(batch.account_id)
    return result


def _post_ref(e: q.BatchEntry) -> PostRef:
    owner = (
        AccountRef(key=str(e.account_id), handle=e.handle, user_id=e.external_id)
        if e.account_id is not None
        else None
    )
    return PostRef(post_id=e.post_id, media_id=e.media_id, owner=owner)


def _snapshot_row(entry_id: int, at: datetime, res: PostResult) -> dict[str, Any]:
    m = res.metrics
    assert m is not None
    return {
        "entry_id": entry_id,
        "collected_at": at,
        "source": MetricSource.API,
        "views": m.views,
        "likes": m.likes,
        "comments": m.comments,
        "shares": m.shares,
        "saves": m.saves,
        "reach": m.reach,
        "raw": scrub(m.raw),
    }


def _learned(entry: q.BatchEntry, res: PostResult) -> dict[str, Any] | None:
    """What the API told about the post that the entry did not know yet (None: nothing)."""
    m = res.metrics
    media_id = res.media_id or entry.media_id
    posted_at = entry.posted_at or (m.posted_at if m else None)
    title = entry.title or (m.title[:500] if m and m.title else None)
    if (media_id, posted_at, title) == (entry.media_id, entry.posted_at, entry.title):
        return None
    return {
        "entry_id": entry.entry_id,
        "media_id": media_id,
        "posted_at": posted_at,
        "title": title,
    }


def _write_account_results(session: Session, batch: Batch, results: Sequence[AccountResult]) -> int:
    rows: list[dict[str, Any]] = []
    learned: dict[int, str] = {}
    for res in results:
        if res.outcome is not Outcome.OK or res.stats is None or not res.key.isdigit():
            continue
        account_id = int(res.key)
        rows.append(
            {
                "account_id": account_id,
                "collected_at": batch.collected_at,
                "followers": res.stats.followers,
                "media_count": res.stats.media_count,
                "raw": scrub(res.stats.raw),
            }
        )
        if res.stats.user_id:
            learned[account_id] = res.stats.user_id
    q.set_account_external_ids(session, learned)
    return q.insert_account_snapshots(session, rows)


def _mark_reauth(session: Session, batch: Batch, halt: Halt | None) -> bool:
    """Mark the batch's account ``needs_reauth``; True when it exists."""
    if halt is None or batch.account_id is None:
        return False
    handle = q.mark_account_needs_reauth(session, batch.account_id, f"{halt.reason}: {halt.detail}")
    if handle is None:
        return False
    log.warning(
        "account @%s (#%s) needs re-authorisation: %s", handle, batch.account_id, halt.reason
    )
    return True


def _copy_event(event: CollectionEvent) -> CollectionEvent:
    """A fresh row with the same values (a retried group commit must not re-add one object)."""
    return CollectionEvent(
        platform=event.platform,
        account_id=event.account_id,
        credential=event.credential,
        outcome=event.outcome,
        reason=event.reason,
        items=event.items,
        calls=event.calls,
        quota_units=event.quota_units,
        detail=event.detail,
    )


def _event(
    batch: Batch, result: BatchResult, halt: Halt | None, detail: str | None
) -> CollectionEvent:
    reason: str | None = None
    if halt is not None:
        reason = halt.reason.value
    elif result.reasons:
        reason = max(result.reasons.items(), key=lambda kv: kv[1])[0]
    text = detail or (halt.detail if halt else None)
    if result.retry_at is not None:
        text = f"{text or ''} retry at {result.retry_at.isoformat()}".strip()
    return CollectionEvent(
        platform=batch.platform,
        account_id=batch.account_id,
        credential=batch.credential,
        outcome=result.outcome.value,
        reason=reason,
        items=batch.size + (len(batch.account_ids) if batch.kind is BatchKind.METRICS else 0),
        calls=result.calls,
        quota_units=result.quota_units,
        detail=text[:2000] if text else None,
    )


def _record_event(
    ctx: RoundContext, batch: Batch, result: BatchResult, *, halt: Halt | None, detail: str | None
) -> None:
    event = _event(batch, result, halt, detail)
    ctx.write(lambda session: session.add(_copy_event(event)))


# ---- the round ---------------------------------------------------------------------------------
@dataclass
class Tally(Counts):
    """Counts of one platform in a round, with the calls and quota its batches spent."""

    calls: int = 0
    quota_units: int = 0


@dataclass
class RoundSummary:
    collected_at: datetime
    batches: int = 0
    posts: dict[str, Tally] = field(default_factory=dict)  # by platform
    accounts: dict[str, Tally] = field(default_factory=dict)  # by platform
    reasons: Counter[str] = field(default_factory=Counter)
    needs_reauth: list[int] = field(default_factory=list)
    retry_at: datetime | None = None
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def add(self, r: BatchResult) -> None:
        self.batches += 1
        platform = r.batch.platform.value
        posts = self.posts.setdefault(platform, Tally())
        accounts = self.accounts.setdefault(platform, Tally())
        posts.merge(r.posts)
        accounts.merge(r.accounts)
        # Calls are booked where the batch's main work is (a metrics batch that refreshed its
        # account's followers books both calls under posts).
        book = posts if r.batch.kind is BatchKind.METRICS else accounts
        book.calls += r.calls
        book.quota_units += r.quota_units
        self.reasons.update(r.reasons)
        self.needs_reauth.extend(r.needs_reauth)
        if r.retry_at is not None and (self.retry_at is None or r.retry_at < self.retry_at):
            self.retry_at = r.retry_at
        if r.error:
            self.errors.append(r.error)

    def total(self, *, accounts: bool = False) -> Tally:
        out = Tally()
        for t in (self.accounts if accounts else self.posts).values():
            out.merge(t)
        return out

    @property
    def calls(self) -> int:
        return self.total().calls + self.total(accounts=True).calls

    def to_json(self) -> dict[str, Any]:
        return {
            "collected_at": self.collected_at.isoformat(),
            "batches": self.batches,
            "posts": {k: vars(v).copy() for k, v in self.posts.items() if v.items},
            "accounts": {k: vars(v).copy() for k, v in self.accounts.items() if v.items},
            "reasons": dict(self.reasons),
            "needs_reauth": self.needs_reauth,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
            "errors": self.errors,
            "elapsed": self.elapsed,
        }


def _failed_batch(batch: Batch, exc: BaseException) -> BatchResult:
    r = BatchResult(batch=batch, error=f"{batch.key}: {exc!r}")
    r.posts.items = r.posts.failed = len(batch.entry_ids)
    r.accounts.items = r.accounts.failed = len(batch.account_ids)
    r.reasons["internal_error"] = len(batch.entry_ids) + len(batch.account_ids)
    return r


def run_batches(
    ctx: RoundContext,
    batches: Sequence[Batch],
    *,
    collected_at: datetime,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[BatchResult], None] | None = None,
) -> RoundSummary:
    """Run planned batches with at most ``concurrency`` at once; each commits on its own."""
    summary = RoundSummary(collected_at=collected_at)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="collect") as pool:
        futures = {pool.submit(collect_batch, ctx, b): b for b in batches}
        for future in as_completed(futures):
            batch = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a bug or the database: the other batches go on
                log.exception("batch %s failed", batch.key)
                result = _failed_batch(batch, exc)
            summary.add(result)
            if progress is not None:
                progress(result)
    summary.elapsed = time.monotonic() - started
    return summary


def run_round(
    ctx: RoundContext,
    challenge_ids: Sequence[int],
    *,
    platforms: Collection[Platform] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[BatchResult], None] | None = None,
    planned: Callable[[list[Batch]], None] | None = None,
    include_accounts: bool = True,
) -> RoundSummary:
    """Plan and run one round of these challenges inline."""
    at = round_time(ctx.now())
    with ctx.sessions() as session:
        batches = [
            b
            for cid in challenge_ids
            for b in plan_round(
                session,
                cid,
                platforms=platforms,
                collected_at=at,
                include_accounts=include_accounts,
            )
        ]
    if planned is not None:
        planned(batches)
    return run_batches(ctx, batches, collected_at=at, concurrency=concurrency, progress=progress)


__all__ = [
    "COMMITTEE",
    "DEFAULT_CONCURRENCY",
    "METRICS_BATCH_SIZE",
    "YOUTUBE_APP",
    "Batch",
    "BatchKind",
    "BatchResult",
    "Counts",
    "GroupWriter",
    "RoundContext",
    "RoundSummary",
    "Tally",
    "collect_batch",
    "plan_accounts",
    "plan_round",
    "round_time",
    "run_batches",
    "run_round",
]
