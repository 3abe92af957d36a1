"""The fake platforms' publishing side: upload sessions, processing, and the record of posts.

``PublishWorld.published`` is the fake server's own record of every post that went public, one
row each, whoever asked for it and however many times: the exactly-once tests count on it.

Processing is asynchronous like the real thing: a container, reel or upload answers "in
progress" for ``processing_polls`` status reads before it is finished (or errored, or expired).
Switches make the platform refuse media (``reject``), run out of its daily allowance
(``daily_limit``), or let a container expire (``expire``).
"""

from __future__ import annotations

import itertools
import random
import string
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

_B64 = string.ascii_letters + string.digits + "-_"


@dataclass
class PubAccount:
    platform: str  # instagram | facebook | tiktok | youtube
    account_id: str  # IG user id, FB Page id, TikTok open_id, YouTube channel id
    handle: str
    token: str
    privacy_options: tuple[str, ...] = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")
    max_duration_s: int = 600


@dataclass
class PublishedPost:
    platform: str
    account_id: str
    media_id: str  # the API id (IG media id, FB video id, TikTok video id, YouTube video id)
    caption: str
    created_at: datetime
    permalink: str
    source: str  # the container / video / publish id it came from


@dataclass
class Job:
    """One thing being processed: an IG container, FB reel, TikTok publish or YouTube upload."""

    kind: str
    id: str
    account: PubAccount
    caption: str = ""
    media_url: str | None = None
    polls: int = 0
    state: str = "new"  # platform-specific progress word
    size: int = 0
    received: int = 0
    result: PublishedPost | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Switches:
    processing_polls: int = 1  # status reads answered "in progress" before "finished"
    reject: set[str] = field(default_factory=set)  # substrings of media URLs / captions refused
    reject_all: set[str] = field(default_factory=set)  # platforms refusing every video
    expire: set[str] = field(default_factory=set)  # container ids that expire
    daily_limit: dict[str, int] = field(
        default_factory=lambda: {"instagram": 50, "facebook": 30, "tiktok": 15, "youtube": 100}
    )


class PublishWorld:
    def __init__(
        self,
        *,
        seed: int = 7,
        clock: Callable[[], datetime] | None = None,
        on_published: Callable[[PublishedPost], None] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.now = clock or (lambda: datetime.now(UTC))
        self.switches = Switches()
        self.accounts: dict[str, PubAccount] = {}  # by token
        self.by_id: dict[str, PubAccount] = {}
        self.jobs: dict[str, Job] = {}
        self.published: list[PublishedPost] = []
        self.calls: Counter[str] = Counter()
        self.on_published = on_published
        self._seq = itertools.count(1)

    # --- set-up ---------------------------------------------------------------------------

    def add_account(
        self, platform: str, account_id: str, handle: str, token: str, **kwargs: Any
    ) -> PubAccount:
        acct = PubAccount(platform, account_id, handle, token, **kwargs)
        with self.lock:
            self.accounts[token] = acct
            self.by_id[account_id] = acct
        return acct

    def account_for(self, token: str | None, platform: str) -> PubAccount | None:
        acct = self.accounts.get(token or "")
        return acct if acct is not None and acct.platform == platform else None

    # --- ids --------------------------------------------------------------------------------

    def digits(self, n: int) -> str:
        first = str(self.rng.randint(1, 9))
        return first + "".join(str(self.rng.randint(0, 9)) for _ in range(n - 1))

    def code(self, n: int) -> str:
        return "".join(self.rng.choice(_B64) for _ in range(n))

    def new_job(self, kind: str, job_id: str, account: PubAccount, **kwargs: Any) -> Job:
        job = Job(kind, job_id, account, **kwargs)
        with self.lock:
            self.jobs[job_id] = job
        return job

    def count(self, endpoint: str) -> None:
        with self.lock:
            self.calls[endpoint] += 1

    # --- rules ------------------------------------------------------------------------------

    def rejected(self, platform: str, *texts: str | None) -> bool:
        if platform in self.switches.reject_all:
            return True
        return any(t and any(r in t for r in self.switches.reject) for t in texts)

    def used_today(self, account: PubAccount) -> int:
        since = self.now() - timedelta(hours=24)
        return sum(
            1 for p in self.published if p.account_id == account.account_id and p.created_at > since
        )

    def limit_reached(self, account: PubAccount) -> bool:
        limit = self.switches.daily_limit.get(account.platform)
        return limit is not None and self.used_today(account) >= limit

    def publish(self, job: Job, media_id: str, permalink: str) -> PublishedPost:
        """Make the job's post public: once per job, whatever asks again."""
        with self.lock:
            if job.result is not None:
                return job.result
            post = PublishedPost(
                platform=job.account.platform,
                account_id=job.account.account_id,
                media_id=media_id,
                caption=job.caption,
                created_at=self.now(),
                permalink=permalink,
                source=job.id,
            )
            job.result = post
            self.published.append(post)
        if self.on_published is not None:
            self.on_published(post)
        return post

    def posts_of(self, account_id: str) -> list[PublishedPost]:
        with self.lock:
            return [p for p in self.published if p.account_id == account_id]


__all__ = ["Job", "PubAccount", "PublishWorld", "PublishedPost", "Switches"]
