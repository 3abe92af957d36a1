"""The one interface every platform adapter speaks, and the typed results it returns.

Adapters never raise for what a platform does wrong: each requested post or account comes back
with an :class:`~collector.errors.Outcome`, and a problem that concerns the whole credential
(token invalid, rate limited) is reported once in ``halt`` so the caller can stop using that
credential and mark its account. Exceptions are for programming errors only.

Publishing is a separate capability added later (its own methods and protocol); nothing here
assumes read-only use beyond the names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from collector.errors import Outcome, Reason
from store.enums import Platform


class CredentialKind(StrEnum):
    """Whose authority a call uses."""

    ACCOUNT = "account"  # a library's own connected account (user or page token)
    APP = "app"  # the programme's own credential (YouTube API key, committee IG account)


@dataclass(frozen=True)
class Credential:
    """Who is calling. ``key`` names the credential for rate limits and logs; it is never secret.

    ``token`` is the secret (user/page access token); it is excluded from ``repr`` so it cannot
    leak into logs or tracebacks by accident.
    """

    key: str
    kind: CredentialKind = CredentialKind.ACCOUNT
    token: str | None = field(default=None, repr=False)
    user_id: str | None = None  # IG user id, Facebook page id, TikTok open_id, YouTube channel id
    handle: str | None = None


@dataclass(frozen=True)
class AccountRef:
    """An account whose stats are wanted. ``key`` is the caller's own id for it."""

    key: str
    handle: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class PostRef:
    """A post whose metrics are wanted.

    ``post_id`` is the id its public URL carries (Instagram shortcode, YouTube/TikTok/Facebook
    video id); ``media_id`` the API id when already known (Instagram media ids differ from
    shortcodes); ``owner`` the account that posted it (needed for Instagram business discovery).
    """

    post_id: str
    media_id: str | None = None
    owner: AccountRef | None = None


@dataclass(frozen=True)
class PostMetrics:
    """Engagement counts of one post. ``None`` means the platform did not give it, never zero."""

    post_id: str
    media_id: str
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    reach: int | None
    posted_at: datetime | None
    title: str | None
    permalink: str | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class AccountStats:
    key: str
    followers: int | None
    media_count: int | None
    user_id: str | None
    handle: str | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class PostResult:
    """What happened to one requested post."""

    post_id: str
    outcome: Outcome
    metrics: PostMetrics | None = None
    media_id: str | None = None
    reason: Reason | None = None
    detail: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class AccountResult:
    key: str
    outcome: Outcome
    stats: AccountStats | None = None
    reason: Reason | None = None
    detail: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class Halt:
    """A problem of the whole credential or API: stop calling it.

    ``reason.needs_reauth`` tells that the credential's account must be re-authorised;
    otherwise ``retry_at`` is the earliest time the ``scope`` may be called again.
    """

    reason: Reason
    detail: str
    scope: str
    retry_at: datetime | None = None


@dataclass
class MetricsBatch:
    """Result of :meth:`PlatformAdapter.fetch_metrics`: one :class:`PostResult` per requested
    post, in request order. ``accounts`` carries account stats that came along for free
    (Instagram business discovery returns followers with the media)."""

    posts: list[PostResult]
    calls: int = 0
    quota_units: int = 0
    halt: Halt | None = None
    accounts: list[AccountResult] = field(default_factory=list)

    def by_post_id(self) -> dict[str, PostResult]:
        return {r.post_id: r for r in self.posts}


@dataclass
class AccountsBatch:
    accounts: list[AccountResult]
    calls: int = 0
    quota_units: int = 0
    halt: Halt | None = None


@dataclass(frozen=True)
class ListedPost:
    """One post of an account's own list (newest first)."""

    media_id: str
    permalink: str | None
    posted_at: datetime | None
    title: str | None


@dataclass
class PostList:
    posts: list[ListedPost]
    calls: int = 0
    quota_units: int = 0
    halt: Halt | None = None
    complete: bool = True  # False when the listing stopped early (limit reached or halted)


@runtime_checkable
class PlatformAdapter(Protocol):
    """Reads one platform's metrics. Thread-safe: one instance serves many worker threads."""

    platform: ClassVar[Platform]
    # The most posts one metrics HTTP call carries (the API's documented maximum per call,
    # divided by the sub-requests each post needs).
    metrics_batch_size: ClassVar[int]
    # The most accounts one account-stats HTTP call carries.
    accounts_batch_size: ClassVar[int]

    def app_credential(self) -> Credential | None:
        """The programme's own credential for this platform (or None when it has none).

        YouTube: the API key; Instagram: the committee's account for business discovery.
        """
        ...

    def fetch_metrics(self, credential: Credential, posts: Sequence[PostRef]) -> MetricsBatch:
        """Current counts of ``posts`` (any number; chunked to ``metrics_batch_size``)."""
        ...

    def fetch_accounts(
        self, credential: Credential, accounts: Sequence[AccountRef]
    ) -> AccountsBatch:
        """Followers and media count of ``accounts``."""
        ...

    def resolve_media_ids(
        self, credential: Credential, post_ids: Sequence[str], owner: AccountRef | None = None
    ) -> dict[str, PostResult]:
        """Map URL post ids to API media ids (identity except on Instagram).

        Each value has ``media_id`` set when resolved, else an outcome saying why not.
        """
        ...

    def list_posts(self, credential: Credential, account: AccountRef, limit: int = 50) -> PostList:
        """The account's most recent posts, newest first, following the API's pagination."""
        ...


def identity_resolution(post_ids: Sequence[str]) -> dict[str, PostResult]:
    """For platforms whose URL id is the API id."""
    return {p: PostResult(post_id=p, outcome=Outcome.OK, media_id=p) for p in post_ids}


__all__ = [
    "AccountRef",
    "AccountResult",
    "AccountStats",
    "AccountsBatch",
    "Credential",
    "CredentialKind",
    "Halt",
    "ListedPost",
    "MetricsBatch",
    "PlatformAdapter",
    "PostList",
    "PostMetrics",
    "PostRef",
    "PostResult",
    "identity_resolution",
]
