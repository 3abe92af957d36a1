"""TikTok adapter: TikTok API v2 (Display API) with each library's user access token.

- ``POST /video/query/?fields=id,title,...,view_count,like_count,comment_count,share_count``
  with the JSON body ``{"filters": {"video_ids": [...]}}``: up to 20 ids per call. Only videos
  owned by the token's user come back; a missing id is deleted, private or not theirs:
  ``unavailable``.
- ``GET /user/info/?fields=open_id,...,follower_count,video_count`` for followers.
- ``POST /video/list/`` with ``{"max_count": 20, "cursor": ...}`` lists recent videos
  (``cursor``/``has_more`` pagination).

Every answer is the envelope ``{"data": {...}, "error": {"code": "ok", "message", "log_id"}}``;
anything but ``"ok"`` is an error even on HTTP 200. ``access_token_invalid`` is
``token_invalid``; ``scope_not_authorized``/``scope_permission_missed`` ``permission_denied``;
``rate_limit_exceeded`` (HTTP 429; 600 requests per minute per endpoint by default) blocks the
token for ``Retry-After`` or one minute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from collector.base import (
    AccountRef,
    AccountResult,
    AccountsBatch,
    AccountStats,
    Credential,
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
    TransientError,
    Unavailable,
)
from collector.http import ApiClient, HttpConfig, Meter, log_malformed, retry_after
from collector.parse import BadValue, count, identifier, mapping, sequence, text, timestamp
from collector.ratelimit import RateGate, utcnow
from collector.results import AccountBook, PostBook, halt_of, post_failure
from store.enums import Platform

if TYPE_CHECKING:
    from reelboard.settings import Settings

VIDEO_FIELDS = (
    "id,title,video_description,create_time,share_url,view_count,like_count,comment_count,"
    "share_count"
)
USER_FIELDS = (
    "open_id,union_id,display_name,username,follower_count,following_count,likes_count,video_count"
)
_TOKEN_CODES = frozenset({"access_token_invalid"})
_SCOPE_CODES = frozenset({"scope_not_authorized", "scope_permission_missed"})


class TikTokAdapter:
    platform: ClassVar[Platform] = Platform.TIKTOK
    metrics_batch_size: ClassVar[int] = 20
    accounts_batch_size: ClassVar[int] = 1  # user/info answers for the token's own user
    list_page_size: ClassVar[int] = 20

    def __init__(
        self,
        tiktok_api_base: str,
        *,
        http: HttpConfig | None = None,
        gate: RateGate | None = None,
        now: Callable[[], datetime] = utcnow,
        rate_cooldown: timedelta = timedelta(minutes=1),
    ) -> None:
        self.base = tiktok_api_base.rstrip("/")
        self.client = ApiClient("tiktok", config=http, gate=gate, now=now)
        self.now = now
        self.rate_cooldown = rate_cooldown

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> TikTokAdapter:
        return cls(settings.tiktok_api_base, **kwargs)

    def app_credential(self) -> Credential | None:
        return None  # the Display API reads only a user's own videos, with their token

    def close(self) -> None:
        self.client.close()

    @staticmethod
    def scope(cred: Credential) -> str:
        return f"tiktok:{cred.key}"

    def _call(
        self,
        cred: Credential,
        method: str,
        path: str,
        fields: str,
        meter: Meter,
        body: Any = None,
    ) -> Mapping[str, Any]:
        if not cred.token:
            raise CredentialError(f"{cred.key} has no TikTok token", reason=Reason.NO_CREDENTIAL)
        endpoint = "tiktok." + path.strip("/").replace("/", ".")
        reply = self.client.send(
            method,
            f"{self.base}/{path.lstrip('/')}?{urlencode({'fields': fields})}",
            json_body=body,
            headers={"Authorization": f"Bearer {cred.token}"},
            endpoint=endpoint,
            meter=meter,
            scopes=(self.scope(cred),),
        )
        payload = reply.json()
        err = payload.get("error") if isinstance(payload, Mapping) else None
        code = err.get("code") if isinstance(err, Mapping) else None
        if code == "ok" and reply.status == 200:
            assert isinstance(payload, Mapping)
            return payload
        now = self.now()
        message = str(err.get("message", "")) if isinstance(err, Mapping) else ""
        detail = f"TikTok {reply.status} {code}: {message}"
        if code == "rate_limit_exceeded" or reply.status == 429:
            until = retry_after(reply, now) or now + self.rate_cooldown
            self.client.block(self.scope(cred), until, Reason.RATE_LIMITED)
            raise RateLimited(detail, retry_at=until, scope=self.scope(cred))
        if code in _TOKEN_CODES or (code is None and reply.status == 401):
            raise CredentialError(detail, reason=Reason.TOKEN_INVALID)
        if code in _SCOPE_CODES:
            raise CredentialError(detail, reason=Reason.PERMISSION_DENIED)
        if code == "internal_error":
            raise TransientError(detail, reason=Reason.SERVER_ERROR)
        if not isinstance(code, str):
            log_malformed(endpoint, "no error.code in the envelope", payload)
            raise MalformedResponse(f"{endpoint} answered without the documented envelope")
        raise ApiError(detail, code=code)

    # ---- metrics ---------------------------------------------------------------------------
    def fetch_metrics(self, credential: Credential, posts: Sequence[PostRef]) -> MetricsBatch:
        meter = Meter()
        book = PostBook(posts)
        if not credential.token:
            err = CredentialError(
                f"{credential.key} has no TikTok token", reason=Reason.NO_CREDENTIAL
            )
            for i, p in enumerate(posts):
                book.results[i] = post_failure(p.post_id, err)
            return book.finish(meter)
        by_id: dict[str, list[int]] = {}
        for i, p in enumerate(posts):
            by_id.setdefault(p.media_id or p.post_id, []).append(i)
        ids = list(by_id)
        size = self.metrics_batch_size
        for group in [ids[k : k + size] for k in range(0, len(ids), size)]:
            if book.halted:
                break
            indexes = [i for vid in group for i in by_id[vid]]
            try:
                payload = self._call(
                    credential,
                    "POST",
                    "video/query/",
                    VIDEO_FIELDS,
                    meter,
                    body={"filters": {"video_ids": group}},
                )
                data = mapping(payload.get("data"), "data")
                videos = sequence(data.get("videos", []), "data.videos")
            except CollectorError as exc:
                book.call_failed(indexes, exc)
                continue
            except BadValue as exc:
                log_malformed("tiktok.video.query", str(exc), None)
                book.call_failed(indexes, MalformedResponse(str(exc)))
                continue
            book.call_succeeded()
            seen: set[str] = set()
            for item in videos:
                vid = item.get("id") if isinstance(item, Mapping) else None
                vid = str(vid) if isinstance(vid, str | int) else None
                if vid is None or vid not in by_id:
                    log_malformed("tiktok.video.query", "video with an unknown id", item)
                    continue
                seen.add(vid)
                try:
                    assert isinstance(item, Mapping)
                    for i in by_id[vid]:
                        book.ok(i, _video_metrics(posts[i].post_id, vid, item))
                except BadValue as exc:
                    log_malformed("tiktok.video.query", str(exc), item)
                    for i in by_id[vid]:
                        book.fail(i, MalformedResponse(f"video {vid}: {exc}"))
            for vid in group:
                if vid not in seen:
                    for i in by_id[vid]:
                        book.fail(
                            i,
                            Unavailable(
                                f"video {vid} is deleted, private or not the account's own"
                            ),
                        )
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
        for i, acc in enumerate(accounts):
            if book.halt is not None:
                break
            try:
                payload = self._call(credential, "GET", "user/info/", USER_FIELDS, meter)
                user = mapping(mapping(payload.get("data"), "data").get("user"), "data.user")
                book.set(
                    i,
                    AccountResult(
                        key=acc.key,
                        outcome=Outcome.OK,
                        stats=AccountStats(
                            key=acc.key,
                            followers=count(user, "follower_count"),
                            media_count=count(user, "video_count"),
                            user_id=text(user, "open_id"),
                            handle=text(user, "username") or acc.handle,
                            raw=dict(user),
                        ),
                    ),
                )
            except CollectorError as exc:
                book.fail(i, exc)
            except BadValue as exc:
                log_malformed("tiktok.user.info", str(exc), None)
                book.fail(i, MalformedResponse(str(exc)))
        return book.finish(meter)

    # ---- listing -----------------------------------------------------------------------------
    def list_posts(self, credential: Credential, account: AccountRef, limit: int = 50) -> PostList:
        meter = Meter()
        out: list[ListedPost] = []
        cursor: int | None = None
        more = True
        while more and len(out) < limit:
            body: dict[str, Any] = {"max_count": min(self.list_page_size, limit - len(out))}
            if cursor is not None:
                body["cursor"] = cursor
            try:
                payload = self._call(
                    credential, "POST", "video/list/", VIDEO_FIELDS, meter, body=body
                )
                data = mapping(payload.get("data"), "data")
                for item in sequence(data.get("videos", []), "data.videos"):
                    item = mapping(item, "video")
                    out.append(
                        ListedPost(
                            media_id=identifier(item),
                            permalink=text(item, "share_url"),
                            posted_at=timestamp(item.get("create_time")),
                            title=text(item, "title") or text(item, "video_description"),
                        )
                    )
                more = data.get("has_more") is True
                nxt = data.get("cursor")
                cursor = nxt if isinstance(nxt, int) and not isinstance(nxt, bool) else None
                if cursor is None:
                    more = False
            except CollectorError as exc:
                return PostList(posts=out, calls=meter.calls, halt=halt_of(exc), complete=False)
            except BadValue as exc:
                log_malformed("tiktok.video.list", str(exc), None)
                return PostList(posts=out, calls=meter.calls, complete=False)
        return PostList(posts=out[:limit], calls=meter.calls, complete=not more)


def _video_metrics(post_id: str, vid: str, item: Mapping[str, Any]) -> PostMetrics:
    return PostMetrics(
        post_id=post_id,
        media_id=vid,
        views=count(item, "view_count"),
        likes=count(item, "like_count"),
        comments=count(item, "comment_count"),
        shares=count(item, "share_count"),
        saves=None,
        reach=None,
        posted_at=timestamp(item.get("create_time")),
        title=text(item, "title") or text(item, "video_description"),
        permalink=text(item, "share_url"),
        raw=dict(item),
    )


__all__ = ["USER_FIELDS", "VIDEO_FIELDS", "TikTokAdapter"]
