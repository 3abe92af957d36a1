"""Bookkeeping shared by the adapters: one result per requested item, in request order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from collector.base import (
    AccountRef,
    AccountResult,
    AccountsBatch,
    Halt,
    MetricsBatch,
    PostMetrics,
    PostRef,
    PostResult,
)
from collector.errors import (
    CollectorError,
    CredentialError,
    Outcome,
    RateLimited,
    Reason,
    TransientError,
)
from collector.http import Meter

# Stop a batch after this many consecutive calls failed transiently: the API is struggling, so
# the rest is deferred instead of spending every remaining call's retries.
MAX_CONSECUTIVE_TRANSIENT = 2


def halt_of(error: CollectorError) -> Halt | None:
    if isinstance(error, RateLimited):
        return Halt(
            reason=error.reason, detail=error.detail, scope=error.scope, retry_at=error.retry_at
        )
    if isinstance(error, CredentialError):
        return Halt(reason=error.reason, detail=error.detail, scope="credential")
    return None


def post_failure(post_id: str, error: CollectorError, media_id: str | None = None) -> PostResult:
    return PostResult(
        post_id=post_id,
        outcome=error.outcome,
        media_id=media_id,
        reason=error.reason,
        detail=error.detail,
        retry_at=error.retry_at if isinstance(error, RateLimited) else None,
    )


def account_failure(key: str, error: CollectorError) -> AccountResult:
    return AccountResult(
        key=key,
        outcome=error.outcome,
        reason=error.reason,
        detail=error.detail,
        retry_at=error.retry_at if isinstance(error, RateLimited) else None,
    )


def _from_halt(halt: Halt) -> tuple[Outcome, Reason, str, datetime | None]:
    if halt.reason in (Reason.RATE_LIMITED, Reason.QUOTA_EXCEEDED):
        return Outcome.DEFERRED, halt.reason, halt.detail, halt.retry_at
    return Outcome.FAILED, halt.reason, halt.detail, None


class PostBook:
    """Collects the outcome of each requested post; what is left when a halt stops the work is
    deferred (rate limit) or failed (credential) with the halt's reason."""

    def __init__(self, posts: Sequence[PostRef]) -> None:
        self.posts = list(posts)
        self.results: dict[int, PostResult] = {}
        self.halt: Halt | None = None
        self.accounts: list[AccountResult] = []
        self.transient_streak = 0

    def pending(self) -> list[int]:
        return [i for i in range(len(self.posts)) if i not in self.results]

    def ok(self, index: int, metrics: PostMetrics) -> None:
        self.results[index] = PostResult(
            post_id=self.posts[index].post_id,
            outcome=Outcome.OK,
            metrics=metrics,
            media_id=metrics.media_id,
        )

    def fail(self, index: int, error: CollectorError, media_id: str | None = None) -> None:
        """Record an item-level failure, or a halt when the error concerns the credential."""
        halt = halt_of(error)
        if halt is not None:
            self.stop(halt)
            return
        self.results[index] = post_failure(
            self.posts[index].post_id, error, media_id or self.posts[index].media_id
        )

    def stop(self, halt: Halt) -> None:
        if self.halt is None:
            self.halt = halt

    @property
    def halted(self) -> bool:
        return self.halt is not None

    def call_failed(self, indexes: Sequence[int], error: CollectorError) -> None:
        """A whole HTTP call failed: its items get the error (or the credential halts)."""
        halt = halt_of(error)
        if halt is not None:
            self.stop(halt)
            return
        for i in indexes:
            if i not in self.results:
                self.fail(i, error)
        if isinstance(error, TransientError):
            self.transient_streak += 1
            if self.transient_streak >= MAX_CONSECUTIVE_TRANSIENT:
                self.stop(
                    Halt(
                        reason=error.reason,
                        detail=f"stopped after repeated failures: {error.detail}",
                        scope="api",
                    )
                )

    def call_succeeded(self) -> None:
        self.transient_streak = 0

    def finish(self, meter: Meter) -> MetricsBatch:
        out: list[PostResult] = []
        for i, ref in enumerate(self.posts):
            r = self.results.get(i)
            if r is None:
                if self.halt is not None:
                    outcome, reason, detail, retry_at = _from_halt(self.halt)
                    if self.halt.scope == "api":
                        outcome = Outcome.DEFERRED
                else:  # not reached: should not happen, but never report it as collected
                    outcome, reason, detail, retry_at = (
                        Outcome.DEFERRED,
                        Reason.SERVER_ERROR,
                        "not reached",
                        None,
                    )
                r = PostResult(
                    post_id=ref.post_id,
                    outcome=outcome,
                    media_id=ref.media_id,
                    reason=reason,
                    detail=detail,
                    retry_at=retry_at,
                )
            out.append(r)
        halt = self.halt if self.halt is not None and self.halt.scope != "api" else None
        return MetricsBatch(
            posts=out,
            calls=meter.calls,
            quota_units=meter.quota_units,
            halt=halt,
            accounts=self.accounts,
        )


class AccountBook:
    def __init__(self, accounts: Sequence[AccountRef]) -> None:
        self.accounts = list(accounts)
        self.results: dict[int, AccountResult] = {}
        self.halt: Halt | None = None

    def set(self, index: int, result: AccountResult) -> None:
        self.results[index] = result

    def fail(self, index: int, error: CollectorError) -> None:
        halt = halt_of(error)
        if halt is not None:
            if self.halt is None:
                self.halt = halt
            return
        self.results[index] = account_failure(self.accounts[index].key, error)

    def finish(self, meter: Meter) -> AccountsBatch:
        out: list[AccountResult] = []
        for i, ref in enumerate(self.accounts):
            r = self.results.get(i)
            if r is None:
                if self.halt is not None:
                    outcome, reason, detail, retry_at = _from_halt(self.halt)
                else:
                    outcome, reason, detail, retry_at = (
                        Outcome.DEFERRED,
                        Reason.SERVER_ERROR,
                        "not reached",
                        None,
                    )
                r = AccountResult(
                    key=ref.key, outcome=outcome, reason=reason, detail=detail, retry_at=retry_at
                )
            out.append(r)
        return AccountsBatch(
            accounts=out, calls=meter.calls, quota_units=meter.quota_units, halt=self.halt
        )


def chunks(items: Sequence[int], size: int) -> list[list[int]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


__all__ = [
    "MAX_CONSECUTIVE_TRANSIENT",
    "AccountBook",
    "PostBook",
    "account_failure",
    "chunks",
    "halt_of",
    "post_failure",
]
