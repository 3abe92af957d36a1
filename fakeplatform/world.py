"""A deterministic fake world: accounts, posts, tokens and counts that grow with the clock.

Everything is generated from one seed, so a test or a benchmark sees the same ids and counts
every run. Counts grow linearly with a post's age on the world clock (advance it to see them
move). Tokens here are fake strings; they are checked like real ones (unknown, expired and
revoked tokens get each platform's documented error).
"""

from __future__ import annotations

import random
import re
import string
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fakeplatform.calls import CallLog
from fakeplatform.clock import FakeClock
from fakeplatform.faults import Faults

PLATFORMS = ("instagram", "facebook", "youtube", "tiktok")
PACIFIC = ZoneInfo("America/Los_Angeles")
_B64 = string.ascii_letters + string.digits + "-_"


@dataclass
class Account:
    platform: str
    handle: str
    user_id: str  # IG user id, FB Page id, YouTube channel id, TikTok open_id
    name: str
    token: str | None  # None: not connected (only public reads reach it)
    token_state: str = "ok"  # ok | expired | revoked
    followers_base: int = 1000
    followers_per_day: float = 5.0
    followers_hidden: bool = False  # YouTube hiddenSubscriberCount
    professional: bool = True  # Instagram: readable by business discovery
    created_at: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=UTC))

    @property
    def label(self) -> str:
        return f"{self.platform}:{self.handle}"

    def followers(self, now: datetime) -> int:
        days = max(0.0, (now - self.created_at).total_seconds() / 86400)
        return self.followers_base + int(self.followers_per_day * days)


@dataclass
class Post:
    platform: str
    account: Account
    post_id: str  # the id in the public URL (Instagram shortcode)
    media_id: str  # the API id (== post_id except on Instagram)
    created_at: datetime
    caption: str
    kind: str  # instagram: REELS | FEED; facebook: reel | video; others: video
    views_per_hour: float
    like_ratio: float
    comment_ratio: float
    share_ratio: float
    save_ratio: float
    reach_ratio: float
    state: str = "live"  # live | deleted | private
    likes_hidden: bool = False
    insights_empty: bool = False  # Instagram/Facebook insights answer data: []
    malformed: bool = False  # this item's payload carries a value of the wrong type
    short_path: str | None = None  # vm.tiktok.com / fb.watch path when it has a short link

    @property
    def visible(self) -> bool:
        return self.state == "live"

    def counts(self, now: datetime) -> dict[str, int]:
        age_h = max(0.0, (now - self.created_at).total_seconds() / 3600)
        views = int(self.views_per_hour * age_h)
        return {
            "views": views,
            "likes": int(views * self.like_ratio),
            "comments": int(views * self.comment_ratio),
            "shares": int(views * self.share_ratio),
            "saves": int(views * self.save_ratio),
            "reach": int(views * self.reach_ratio),
        }

    @property
    def url(self) -> str:
        """The canonical public URL."""
        h = self.account.handle
        if self.platform == "instagram":
            kind = "reel" if self.kind == "REELS" else "p"
            return f"https://www.instagram.com/{kind}/{self.post_id}/"
        if self.platform == "facebook":
            if self.kind == "reel":
                return f"https://www.facebook.com/reel/{self.post_id}"
            return f"https://www.facebook.com/{h}/videos/{self.post_id}/"
        if self.platform == "youtube":
            return f"https://www.youtube.com/shorts/{self.post_id}"
        return f"https://www.tiktok.com/@{h}/video/{self.post_id}"

    @property
    def short_url(self) -> str | None:
        if self.short_path is None:
            return None
        host = "fb.watch" if self.platform == "facebook" else "vm.tiktok.com"
        return f"https://{host}/{self.short_path}/"


class World:
    """The fake platforms' state; thread-safe for the server's request threads."""

    def __init__(
        self,
        seed: int = 1,
        *,
        clock: FakeClock | None = None,
        faults: Faults | None = None,
        youtube_api_key: str = "fake-youtube-key",
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = clock or FakeClock()
        self.faults = faults or Faults()
        self.calls = CallLog()
        self.youtube_api_keys = {youtube_api_key}
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.accounts: list[Account] = []
        self.posts: list[Post] = []
        self._by_token: dict[str, Account] = {}
        self._by_user_id: dict[tuple[str, str], Account] = {}
        self._by_handle: dict[tuple[str, str], Account] = {}
        self._by_media: dict[tuple[str, str], Post] = {}
        self._by_post: dict[tuple[str, str], Post] = {}
        self._short: dict[tuple[str, str], Post] = {}
        self._of_account: dict[int, list[Post]] = {}
        self._counters: dict[tuple[str, ...], int] = {}
        self._ids: set[str] = set()
        self.committee = self.add_account(
            "instagram",
            handle="reelboard.committee",
            name="Committee",
            connected=True,
            token="fake-committee-token",
        )

    @property
    def youtube_api_key(self) -> str:
        return next(iter(self.youtube_api_keys))

    # ---- ids -------------------------------------------------------------------------------
    def _unique(self, make: Any) -> str:
        while True:
            value = str(make())
            if value not in self._ids:
                self._ids.add(value)
                return value

    def _digits(self, prefix: str, n: int) -> str:
        return self._unique(lambda: prefix + "".join(self.rng.choices(string.digits, k=n)))

    def _b64(self, n: int, first: str = "") -> str:
        return self._unique(lambda: first + "".join(self.rng.choices(_B64, k=n - len(first))))

    # ---- building --------------------------------------------------------------------------
    def add_account(
        self,
        platform: str,
        *,
        handle: str | None = None,
        name: str | None = None,
        connected: bool = True,
        token: str | None = None,
        followers: int | None = None,
        user_id: str | None = None,
        **extra: Any,
    ) -> Account:
        """A new account; ids and tokens are generated unless given (mirroring a database)."""
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        with self.lock:
            n = len(self.accounts) + 1
            handle = handle or f"perpus.{platform[:2]}{n:05d}"
            if user_id is not None:
                if (platform, user_id) in self._by_user_id:
                    raise ValueError(f"{platform} account id {user_id} already exists")
                self._ids.add(user_id)
            elif platform == "instagram":
                user_id = self._digits("178414", 11)
            elif platform == "facebook":
                user_id = self._digits("1000", 11)
            elif platform == "youtube":
                user_id = self._b64(24, "UC")
            else:
                user_id = self._unique(
                    lambda: "-".join(
                        "".join(self.rng.choices("0123456789abcdef", k=k)) for k in (8, 4, 4, 4, 12)
                    )
                )
            if connected and token is None and platform != "youtube":
                token = self._unique(
                    lambda: f"fake-{platform}-" + "".join(self.rng.choices(_B64, k=24))
                )
            acct = Account(
                platform=platform,
                handle=handle,
                user_id=user_id,
                name=name or handle,
                token=token if connected else None,
                followers_base=followers
                if followers is not None
                else self.rng.randint(200, 50_000),
                followers_per_day=round(self.rng.uniform(0.5, 40.0), 2),
                **extra,
            )
            self.accounts.append(acct)
            if acct.token:
                self._by_token[acct.token] = acct
            self._by_user_id[(platform, user_id)] = acct
            self._by_handle[(platform, handle.lower())] = acct
            return acct

    def add_post(
        self,
        account: Account,
        *,
        age_hours: float | None = None,
        created_at: datetime | None = None,
        kind: str | None = None,
        caption: str | None = None,
        short_link: bool | None = None,
        views_per_hour: float | None = None,
        post_id: str | None = None,
        media_id: str | None = None,
        **extra: Any,
    ) -> Post:
        """A new post of ``account``; ids are generated unless given (mirroring a database)."""
        p = account.platform
        with self.lock:
            if created_at is None:
                hours = age_hours if age_hours is not None else self.rng.uniform(1, 24 * 20)
                created_at = self.clock.now() - timedelta(hours=hours)
            if post_id is not None:
                if (p, post_id) in self._by_post:
                    raise ValueError(f"{p} post {post_id} already exists")
                self._ids.add(post_id)
                media_id = media_id or (self._digits("18", 15) if p == "instagram" else post_id)
                self._ids.add(media_id)
                kind = kind or {"instagram": "REELS", "facebook": "reel"}.get(p, "video")
            elif p == "instagram":
                post_id, media_id = self._b64(11, "C"), self._digits("18", 15)
                kind = kind or "REELS"
            elif p == "facebook":
                post_id = self._digits("10", 14)
                media_id, kind = post_id, kind or "reel"
            elif p == "youtube":
                post_id = self._b64(11)
                media_id, kind = post_id, kind or "video"
            else:
                post_id = self._digits("74", 17)
                media_id, kind = post_id, kind or "video"
            n = len(self.posts) + 1
            post = Post(
                platform=p,
                account=account,
                post_id=post_id,
                media_id=media_id,
                created_at=created_at,
                caption=caption or f"Reels literasi #{n} dari @{account.handle} #literasi",
                kind=kind,
                views_per_hour=views_per_hour
                if views_per_hour is not None
                else round(self.rng.uniform(5, 400), 2),
                like_ratio=round(self.rng.uniform(0.03, 0.12), 4),
                comment_ratio=round(self.rng.uniform(0.002, 0.01), 4),
                share_ratio=round(self.rng.uniform(0.001, 0.02), 4),
                save_ratio=round(self.rng.uniform(0.001, 0.01), 4),
                reach_ratio=round(self.rng.uniform(0.55, 0.9), 4),
                **extra,
            )
            wants_short = short_link if short_link is not None else p in ("tiktok", "facebook")
            if wants_short and p in ("tiktok", "facebook"):
                post.short_path = self._b64(9, "ZM" if p == "tiktok" else "")
                host = "vm.tiktok.com" if p == "tiktok" else "fb.watch"
                self._short[(host, post.short_path)] = post
                if p == "tiktok":
                    self._short[("vt.tiktok.com", post.short_path)] = post
            self.posts.append(post)
            self._of_account.setdefault(id(account), []).append(post)
            self._by_media[(p, media_id)] = post
            self._by_post[(p, post_id)] = post
            return post

    def adopt_published(
        self, published: Any, *, handle: str | None = None, token: str | None = None
    ) -> Post:
        """Make a post published through the fake publishing endpoints readable here.

        ``published`` is a :class:`fakeplatform.publish_world.PublishedPost`; the account is
        found by its id, or created with the publishing side's handle and token.
        """
        platform = str(published.platform)
        with self.lock:
            account = self.account(platform, str(published.account_id))
            if account is None:
                account = self.add_account(
                    platform,
                    handle=handle,
                    user_id=str(published.account_id),
                    token=token if platform != "youtube" else None,
                    connected=platform == "youtube" or token is not None,
                )
            media_id = str(published.media_id)
            post_id = media_id
            if platform == "instagram":
                m = re.search(r"/(?:reel|reels|p)/([A-Za-z0-9_-]+)", str(published.permalink))
                post_id = m.group(1) if m else self._b64(11, "C")
            existing = self.post_by_media(platform, media_id)
            if existing is not None:
                return existing
            return self.add_post(
                account,
                post_id=post_id,
                media_id=media_id,
                created_at=published.created_at,
                caption=published.caption or None,
                short_link=False,
            )

    def populate(
        self,
        *,
        accounts: dict[str, int] | None = None,
        posts_per_account: int = 3,
        connected_ratio: float = 1.0,
    ) -> list[Post]:
        """Add ``accounts[platform]`` accounts with ``posts_per_account`` posts each."""
        made: list[Post] = []
        for platform, n in (accounts or dict.fromkeys(PLATFORMS, 2)).items():
            for _ in range(n):
                connected = platform == "youtube" or self.rng.random() < connected_ratio
                acct = self.add_account(platform, connected=connected)
                for _ in range(posts_per_account):
                    made.append(self.add_post(acct))
        return made

    # ---- lookups ---------------------------------------------------------------------------
    def account_by_token(self, token: str | None) -> Account | None:
        return self._by_token.get(token) if token else None

    def account(self, platform: str, user_id: str) -> Account | None:
        return self._by_user_id.get((platform, user_id))

    def account_by_handle(self, platform: str, handle: str) -> Account | None:
        return self._by_handle.get((platform, handle.lstrip("@").lower()))

    def post_by_media(self, platform: str, media_id: str) -> Post | None:
        return self._by_media.get((platform, media_id))

    def post(self, platform: str, post_id: str) -> Post | None:
        return self._by_post.get((platform, post_id))

    def short_link(self, host: str, path: str) -> Post | None:
        return self._short.get((host.lower(), path.strip("/")))

    def posts_of(self, account: Account, *, visible_only: bool = True) -> list[Post]:
        """The account's posts, newest first."""
        now = self.clock.now()
        with self.lock:
            mine = list(self._of_account.get(id(account), []))
        return sorted(
            (p for p in mine if (p.visible or not visible_only) and p.created_at <= now),
            key=lambda p: (p.created_at, p.media_id),
            reverse=True,
        )

    def all_for(self, platform: str) -> Iterable[Post]:
        return (p for p in self.posts if p.platform == platform)

    # ---- windows and counters ----------------------------------------------------------------
    def bump(self, key: tuple[str, ...], window_seconds: int, amount: int = 1) -> tuple[int, int]:
        """Add ``amount`` to a fixed-window counter; (count in window, seconds left in window)."""
        now = self.clock.now().timestamp()
        start = int(now // window_seconds) * window_seconds
        full = (*key, str(start))
        with self.lock:
            self._counters[full] = self._counters.get(full, 0) + amount
            return self._counters[full], int(start + window_seconds - now) + 1

    def youtube_day(self) -> str:
        return self.clock.now().astimezone(PACIFIC).date().isoformat()

    def counter(self, key: tuple[str, ...]) -> int:
        with self.lock:
            return self._counters.get(key, 0)

    def add_to_counter(self, key: tuple[str, ...], amount: int) -> int:
        with self.lock:
            self._counters[key] = self._counters.get(key, 0) + amount
            return self._counters[key]

    def next_log_id(self) -> str:
        n = self.add_to_counter(("log_id",), 1)
        return self.clock.now().strftime("%Y%m%d%H%M%S") + f"{n:018X}"

    def summary(self) -> dict[str, Any]:
        """Accounts and posts as JSON (for the admin endpoint; the tokens are fake)."""
        now = self.clock.now()
        return {
            "now": now.isoformat(),
            "youtube_api_keys": sorted(self.youtube_api_keys),
            "committee": {"user_id": self.committee.user_id, "token": self.committee.token},
            "accounts": [
                {
                    "platform": a.platform,
                    "handle": a.handle,
                    "user_id": a.user_id,
                    "token": a.token,
                    "token_state": a.token_state,
                    "followers": a.followers(now),
                    "professional": a.professional,
                }
                for a in self.accounts
            ],
            "posts": [
                {
                    "platform": p.platform,
                    "handle": p.account.handle,
                    "post_id": p.post_id,
                    "media_id": p.media_id,
                    "url": p.url,
                    "short_url": p.short_url,
                    "state": p.state,
                    "kind": p.kind,
                    "counts": p.counts(now),
                }
                for p in self.posts
            ],
        }


__all__ = ["PLATFORMS", "Account", "Post", "World"]
