"""YouTube adapter: YouTube Data API v3 with the programme's API key.

- ``GET /videos?part=snippet,statistics&id=ID1,...,ID50&key=KEY``: up to 50 ids per call, one
  quota unit per call whatever the number of ids. Counts arrive as decimal strings. ``likeCount``
  is missing when the owner hides likes (and ``commentCount`` when comments are off): None, never
  0. A deleted or private video is simply absent from ``items``: ``unavailable``.
- ``GET /channels?part=snippet,statistics&id=UC...`` (50 per call) for subscribers;
  ``hiddenSubscriberCount`` or a missing ``subscriberCount`` gives None. Channels known only by
  handle are looked up with ``forHandle=@handle`` (one call each).
- ``GET /playlistItems`` over the channel's uploads playlist lists recent videos
  (``nextPageToken`` pagination).

Quota: the default project budget is 10,000 units a day, reset at midnight Pacific Time. Every
call's units are counted (``quota_units`` on each result, :attr:`YouTubeAdapter.quota_units_spent`
for the adapter's lifetime). ``quotaExceeded`` blocks the key until the next Pacific midnight;
``rateLimitExceeded``/``userRateLimitExceeded``/429 block it for ``Retry-After`` or a minute.
An invalid key (400 "API key not valid", 401, 403 missing key) is ``token_invalid``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from collector.base import (
    AccountRef,
    AccountResult,
    AccountsBatch,
    AccountStats,
    Credential,
    CredentialKind,
    ListedPost,
    MetricsBatch,
    PostList,
    PostMetrics,
    PostRef,
    PostResult,
    identity_resolution,
)
from collector.errors import (
    ApiError,
    CollectorError,
    CredentialError,
    MalformedResponse,
    Outcome,
    RateLimited,
    Reason,
    Unavailable,
)
from collector.http import ApiClient, HttpConfig, Meter, log_malformed, retry_after
from collector.parse import BadValue, count, identifier, mapping, sequence, text, timestamp
from collector.ratelimit import RateGate, utcnow
from collector.results import AccountBook, PostBook, halt_of
from store.enums import Platform

if TYPE_CHECKING:
    from reelboard.settings import Settings

SCOPE = "youtube:app"
QUOTA_COST: dict[str, int] = {"videos.list": 1, "channels.list": 1, "playlistItems.list": 1}
PACIFIC = ZoneInfo("America/Los_Angeles")
_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "authError", "badRequest"})


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in Pacific Time (when the daily quota resets), as UTC."""
    local = now.astimezone(PACIFIC)
    nxt = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return nxt.astimezone(UTC)


class YouTubeAdapter:
    platform: ClassVar[Platform] = Platform.YOUTUBE
    metrics_batch_size: ClassVar[int] = 50
    accounts_batch_size: ClassVar[int] = 50

    def __init__(
        self,
        youtube_api_base: str,
        *,
        api_key: str | None,
        http: HttpConfig | None = None,
        gate: RateGate | None = None,
        now: Callable[[], datetime] = utcnow,
        rate_cooldown: timedelta = timedelta(minutes=1),
    ) -> None:
        self.base = youtube_api_base.rstrip("/")
        self.client = ApiClient("youtube", config=http, gate=gate, now=now)
        self.now = now
        self.rate_cooldown = rate_cooldown
        self._key = api_key
        self._spent = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> YouTubeAdapter:
        key = settings.youtube_api_key
        return cls(
            settings.youtube_api_base,
            api_key=key.get_secret_value() if key is not None else None,
            **kwargs,
        )

    def app_credential(self) -> Credential | None:
        if not self._key:
            return None
        return Credential(key=SCOPE, kind=CredentialKind.APP, token=self._key)

    @property
    def quota_units_spent(self) -> int:
        with self._lock:
            return self._spent

    def close(self) -> None:
        self.client.close()

    def _get(self, cred: Credential, method: str, params: dict[str, str], meter: Meter) -> Any:
        key = cred.token or self._key
        if not key:
            raise CredentialError("no YouTube API key configured", reason=Reason.NO_CREDENTIAL)
        path = method.split(".")[0]
        before = meter.quota_units
        try:
            reply = self.client.send(
                "GET",
                f"{self.base}/{path}",
                params={**params, "key": key},
                endpoint=f"youtube.{method}",
                meter=meter,
                scopes=(SCOPE,),
                quota_units=QUOTA_COST[method],
            )
        finally:
            with self._lock:
                self._spent += meter.quota_units - before
        payload = reply.json()
        err = payload.get("error") if isinstance(payload, Mapping) else None
        if reply.status == 200 and err is None:
            if not isinstance(payload, Mapping):
                log_malformed(reply.endpoint, "expected a JSON object", payload)
                raise MalformedResponse(f"{reply.endpoint} answered a non-object")
            return payload
        now = self.now()
        reasons: set[str] = set()
        message = ""
        status_text = ""
        if isinstance(err, Mapping):
            message = str(err.get("message", ""))
            status_text = str(err.get("status", ""))
            for e in err.get("errors") or []:
                if isinstance(e, Mapping) and isinstance(e.get("reason"), str):
                    reasons.add(str(e["reason"]))
        detail = f"YouTube {reply.status} {','.join(sorted(reasons)) or status_text}: {message}"
        if reasons & _QUOTA_REASONS:
            until = next_quota_reset(now)
            self.client.block(SCOPE, until, Reason.QUOTA_EXCEEDED)
            raise RateLimited(detail, retry_at=until, scope=SCOPE, reason=Reason.QUOTA_EXCEEDED)
        if reasons & _RATE_REASONS or reply.status == 429:
            until = retry_after(reply, now) or now + self.rate_cooldown
            self.client.block(SCOPE, until, Reason.RATE_LIMITED)
            raise RateLimited(detail, retry_at=until, scope=SCOPE)
        if (
            reply.status == 401
            or status_text == "UNAUTHENTICATED"
            or (bool(reasons & _KEY_REASONS) and "key" in message.lower())
            or (reply.status == 403 and "api key" in message.lower())
        ):
            raise CredentialError(detail, reason=Reason.TOKEN_INVALID)
        if err is None:
            log_malformed(reply.endpoint, f"HTTP {reply.status} without an error body", payload)
            raise MalformedResponse(f"{reply.endpoint} answered HTTP {reply.status}")
        raise ApiError(detail, code=reply.status)

    # ---- metrics ---------------------------------------------------------------------------
    def fetch_metrics(self, credential: Credential, posts: Sequence[PostRef]) -> MetricsBatch:
        meter = Meter()
        book = PostBook(posts)
        by_id: dict[str, list[int]] = {}
        for i, p in enumerate(posts):
            by_id.setdefault(p.media_id or p.post_id, []).append(i)
        ids = list(by_id)
        for group in [ids[i : i + self.metrics_batch_size] for i in range(0, len(ids), 50)]:
            if book.halted:
                break
            indexes = [i for vid in group for i in by_id[vid]]
            try:
                payload = self._get(
                    credential,
                    "videos.list",
                    {"part": "snippet,statistics", "id": ",".join(group)},
                    meter,
                )
                items = sequence(payload.get("items", []), "items")
            except CollectorError as exc:
                book.call_failed(indexes, exc)
                continue
            except BadValue as exc:
                log_malformed("youtube.videos.list", str(exc), None)
                book.call_failed(indexes, MalformedResponse(str(exc)))
                continue
            book.call_succeeded()
            seen: set[str] = set()
            for item in items:
                vid = item.get("id") if isinstance(item, Mapping) else None
                if not isinstance(vid, str) or vid not in by_id:
                    log_malformed("youtube.videos.list", "item with an unknown id", item)
                    continue
                seen.add(vid)
                try:
                    metrics = _video_metrics(vid, item)
                except BadValue as exc:
                    log_malformed("youtube.videos.list", str(exc), item)
                    for i in by_id[vid]:
                        book.fail(i, MalformedResponse(f"video {vid}: {exc}"))
                    continue
                for i in by_id[vid]:
                    book.ok(i, _for_post(metrics, posts[i].post_id))
            for vid in group:
                if vid not in seen:
                    for i in by_id[vid]:
                        book.fail(i, Unavailable(f"video {vid} is deleted or private"))
        return book.finish(meter)

    def resolve_media_ids(
        self, credential: Credential, post_ids: Sequence[str], owner: AccountRef | None = None
    ) -> dict[str, PostResult]:
        return identity_resolution(post_ids)

    # ---- accounts ----------------------------------------------------------------------------
    def fetch_accounts(
        self, credential: Credential, accounts: Sequence[AccountRef]
    ) -> AccountsBatch:
        meter = Meter()
        book = AccountBook(accounts)
        by_channel: dict[str, list[int]] = {}
        by_handle: list[int] = []
        for i, a in enumerate(accounts):
            if a.user_id:
                by_channel.setdefault(a.user_id, []).append(i)
            elif a.handle:
                by_handle.append(i)
            else:
                book.fail(i, ApiError("account has neither a channel id nor a handle"))
        ids = list(by_channel)
        for group in [ids[i : i + self.accounts_batch_size] for i in range(0, len(ids), 50)]:
            if book.halt is not None:
                break
            self._channels(credential, {"id": ",".join(group)}, by_channel, group, book, meter)
        for i in by_handle:
            if book.halt is not None:
                break
            handle = "@" + str(accounts[i].handle).lstrip("@")
            self._channels(
                credential,
                {"forHandle": handle},
                {handle: [i]},
                [handle],
                book,
                meter,
                match_any=True,
            )
        return book.finish(meter)

    def _channels(
        self,
        cred: Credential,
        query: dict[str, str],
        index: Mapping[str, list[int]],
        group: Sequence[str],
        book: AccountBook,
        meter: Meter,
        *,
        match_any: bool = False,
    ) -> None:
        try:
            payload = self._get(
                cred, "channels.list", {"part": "snippet,statistics", **query}, meter
            )
            items = sequence(payload.get("items", []), "items")
        except CollectorError as exc:
            for key in group:
                for i in index[key]:
                    book.fail(i, exc)
            return
        except BadValue as exc:
            for key in group:
                for i in index[key]:
                    book.fail(i, MalformedResponse(str(exc)))
            return
        seen: set[str] = set()
        for item in items:
            if not isinstance(item, Mapping):
                continue
            cid = item.get("id")
            found = group[0] if match_any else cid
            if not isinstance(found, str) or found not in index:
                continue
            seen.add(found)
            for i in index[found]:
                ref = book.accounts[i]
                try:
                    stats = mapping(item.get("statistics"), "statistics")
                    hidden = stats.get("hiddenSubscriberCount") is True
                    snippet = (
                        item.get("snippet") if isinstance(item.get("snippet"), Mapping) else {}
                    )
                    assert isinstance(snippet, Mapping)
                    book.set(
                        i,
                        AccountResult(
                            key=ref.key,
                            outcome=Outcome.OK,
                            stats=AccountStats(
                                key=ref.key,
                                followers=None if hidden else count(stats, "subscriberCount"),
                                media_count=count(stats, "videoCount"),
                                user_id=str(cid),
                                handle=text(snippet, "customUrl") or ref.handle,
                                raw=dict(item),
                            ),
                        ),
                    )
                except BadValue as exc:
                    log_malformed("youtube.channels.list", str(exc), item)
                    book.fail(i, MalformedResponse(f"channel {cid}: {exc}"))
        for key in group:
            if key not in seen:
                for i in index[key]:
                    book.fail(i, Unavailable(f"channel {key} not found"))

    # ---- listing -----------------------------------------------------------------------------
    def list_posts(self, credential: Credential, account: AccountRef, limit: int = 50) -> PostList:
        meter = Meter()
        out: list[ListedPost] = []
        query = (
            {"id": account.user_id}
            if account.user_id
            else {"forHandle": "@" + str(account.handle or "").lstrip("@")}
        )
        try:
            payload = self._get(
                credential, "channels.list", {"part": "contentDetails", **query}, meter
            )
            items = sequence(payload.get("items", []), "items")
            if not items:
                return PostList(posts=[], calls=meter.calls, quota_units=meter.quota_units)
            details = mapping(mapping(items[0], "channel").get("contentDetails"), "contentDetails")
            uploads = text(mapping(details.get("relatedPlaylists"), "relatedPlaylists"), "uploads")
        except CollectorError as exc:
            return PostList(
                posts=[],
                calls=meter.calls,
                quota_units=meter.quota_units,
                halt=halt_of(exc),
                complete=False,
            )
        except BadValue as exc:
            log_malformed("youtube.channels.list", str(exc), None)
            return PostList(
                posts=[], calls=meter.calls, quota_units=meter.quota_units, complete=False
            )
        token: str | None = None
        while uploads and len(out) < limit:
            params = {
                "part": "snippet,contentDetails",
                "playlistId": uploads,
                "maxResults": str(min(50, limit)),
            }
            if token:
                params["pageToken"] = token
            try:
                page = self._get(credential, "playlistItems.list", params, meter)
                for item in sequence(page.get("items", []), "items"):
                    if len(out) >= limit:
                        break
                    cd = mapping(mapping(item, "item").get("contentDetails"), "contentDetails")
                    sn = item.get("snippet") if isinstance(item.get("snippet"), Mapping) else {}
                    vid = identifier(cd, "videoId")
                    out.append(
                        ListedPost(
                            media_id=vid,
                            permalink=f"https://www.youtube.com/watch?v={vid}",
                            posted_at=timestamp(cd.get("videoPublishedAt")),
                            title=text(sn, "title") if isinstance(sn, Mapping) else None,
                        )
                    )
                nxt = page.get("nextPageToken")
                token = nxt if isinstance(nxt, str) and nxt else None
            except CollectorError as exc:
                return PostList(
                    posts=out,
                    calls=meter.calls,
                    quota_units=meter.quota_units,
                    halt=halt_of(exc),
                    complete=False,
                )
            except BadValue as exc:
                log_malformed("youtube.playlistItems.list", str(exc), None)
                return PostList(
                    posts=out, calls=meter.calls, quota_units=meter.quota_units, complete=False
                )
            if token is None:
                break
        return PostList(
            posts=out, calls=meter.calls, quota_units=meter.quota_units, complete=token is None
        )


def _video_metrics(vid: str, item: Mapping[str, Any]) -> PostMetrics:
    stats = mapping(item.get("statistics"), "statistics")
    snippet_raw = item.get("snippet", {})
    snippet = mapping(snippet_raw, "snippet")
    return PostMetrics(
        post_id=vid,
        media_id=vid,
        views=count(stats, "viewCount"),
        likes=count(stats, "likeCount"),
        comments=count(stats, "commentCount"),
        shares=None,
        saves=None,
        reach=None,
        posted_at=timestamp(snippet.get("publishedAt")),
        title=text(snippet, "title"),
        permalink=f"https://www.youtube.com/watch?v={vid}",
        raw={
            "id": vid,
            "statistics": dict(stats),
            "snippet": {
                k: snippet[k] for k in ("publishedAt", "channelId", "title") if k in snippet
            },
        },
    )


def _for_post(m: PostMetrics, post_id: str) -> PostMetrics:
    return m if m.post_id == post_id else replace(m, post_id=post_id)


__all__ = ["QUOTA_COST", "SCOPE", "YouTubeAdapter", "next_quota_reset"]
