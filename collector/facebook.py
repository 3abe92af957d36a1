"""Facebook Pages adapter: reels and videos of a connected Page, Graph API v25.0.

Needs the Page access token (``pages_read_engagement`` and the ANALYZE task). For each video two
Graph batch operations, 25 videos per HTTP call (see :mod:`collector.graph`):

- ``GET /{video-id}?fields=id,title,description,created_time,permalink_url`` (the node; a
  deleted video answers error 100/33 and becomes ``unavailable``);
- ``GET /{video-id}/video_insights?metric=...&period=lifetime``.

Metric names: reels report ``blue_reels_play_count`` (plays), ``post_impressions_unique``
(reach), ``post_video_likes_by_reaction_type`` (reactions by type) and
``post_video_social_actions`` (``{"COMMENT": n, "SHARE": n}``); ordinary Page videos report
``total_video_views``, ``total_video_impressions_unique``, ``total_video_reactions_by_type_total``
and ``total_video_stories_by_action_type`` (``{"comment": n, "share": n, "like": n}``). Reels
metrics are asked first; when Graph refuses them (error 100) the video's insights are asked again
with the ordinary video metrics. A metric that is absent from the answer gives None; inside a
breakdown object that is present, a missing key is a zero (Graph omits zero-valued keys).

Page followers: ``GET /{page-id}?fields=id,name,followers_count,fan_count``. A Page has no media
count field, so it is None. Reels listing: ``GET /{page-id}/video_reels`` (cursor pagination).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from collector.base import (
    AccountRef,
    AccountResult,
    AccountsBatch,
    AccountStats,
    Credential,
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
    Reason,
)
from collector.graph import GraphApi, ListingFields, SubReply, chunked, list_cursor_pages
from collector.http import HttpConfig, Meter, log_malformed
from collector.instagram import refused_metric
from collector.parse import BadValue, count, identifier, mapping, sequence, text, timestamp
from collector.ratelimit import RateGate, utcnow
from collector.redact import get_logger
from collector.results import AccountBook, PostBook, post_failure
from store.enums import Platform

if TYPE_CHECKING:
    from reelboard.settings import Settings

REEL_LISTING = ListingFields(
    permalink="permalink_url", posted_at="created_time", title="description"
)

log = get_logger(__name__)

VIDEO_FIELDS = "id,title,description,created_time,permalink_url"
PAGE_FIELDS = "id,name,followers_count,fan_count"
REEL_METRICS: tuple[str, ...] = (
    "blue_reels_play_count",
    "post_impressions_unique",
    "post_video_likes_by_reaction_type",
    "post_video_social_actions",
)
VIDEO_METRICS: tuple[str, ...] = (
    "total_video_views",
    "total_video_impressions_unique",
    "total_video_reactions_by_type_total",
    "total_video_stories_by_action_type",
)
PROFILES: tuple[tuple[str, ...], ...] = (REEL_METRICS, VIDEO_METRICS)
_MAX_ATTEMPTS = 5


@dataclass
class _Video:
    index: int
    video_id: str
    node: Mapping[str, Any] | None = None
    insights: dict[str, Any] | None = None
    insights_raw: Any = None
    profile: int = 0
    metrics: tuple[str, ...] = REEL_METRICS
    attempts: int = 0
    done: bool = False


class FacebookAdapter:
    platform: ClassVar[Platform] = Platform.FACEBOOK
    metrics_batch_size: ClassVar[int] = 25  # two batch operations per video, 50 per call
    accounts_batch_size: ClassVar[int] = 1  # one Page per token
    list_page_size: ClassVar[int] = 50

    def __init__(
        self,
        graph_api_base: str,
        *,
        http: HttpConfig | None = None,
        gate: RateGate | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.graph = GraphApi(graph_api_base, http=http, gate=gate, now=now)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> FacebookAdapter:
        return cls(settings.graph_api_base, **kwargs)

    def app_credential(self) -> Credential | None:
        return None  # public Page content needs a permission reelboard does not have

    def close(self) -> None:
        self.graph.close()

    def resolve_media_ids(
        self, credential: Credential, post_ids: Sequence[str], owner: AccountRef | None = None
    ) -> dict[str, PostResult]:
        return identity_resolution(post_ids)

    def fetch_metrics(self, credential: Credential, posts: Sequence[PostRef]) -> MetricsBatch:
        meter = Meter()
        book = PostBook(posts)
        if not credential.token:
            err = CredentialError(
                f"{credential.key} has no Page access token", reason=Reason.NO_CREDENTIAL
            )
            for i, p in enumerate(posts):
                book.results[i] = post_failure(p.post_id, err)
            return book.finish(meter)
        videos = [_Video(index=i, video_id=p.media_id or p.post_id) for i, p in enumerate(posts)]
        for group in chunked(videos, self.metrics_batch_size):
            if book.halted:
                break
            ops: list[str] = []
            for v in group:
                ops.append(f"{v.video_id}?{urlencode({'fields': VIDEO_FIELDS})}")
                ops.append(self._insights_url(v))
            try:
                replies = self.graph.batch(credential, ops, meter=meter)
            except CollectorError as exc:
                book.call_failed([v.index for v in group], exc)
                continue
            book.call_succeeded()
            for k, v in enumerate(group):
                node_reply = replies[2 * k]
                if node_reply.problem is not None:
                    book.fail(v.index, node_reply.problem, v.video_id)
                    continue
                v.node = node_reply.body
                self._take_insights(book, v, replies[2 * k + 1])
        for _ in range(_MAX_ATTEMPTS):
            again = [v for v in videos if not v.done and v.index not in book.results]
            if not again or book.halted:
                break
            for group in chunked(again, 50):
                if book.halted:
                    break
                try:
                    replies = self.graph.batch(
                        credential, [self._insights_url(v) for v in group], meter=meter
                    )
                except CollectorError as exc:
                    book.call_failed([v.index for v in group], exc)
                    continue
                book.call_succeeded()
                for v, reply in zip(group, replies, strict=True):
                    self._take_insights(book, v, reply)
        for v in videos:
            if v.index not in book.results and v.done:
                self._finish(book, v)
        return book.finish(meter)

    @staticmethod
    def _insights_url(v: _Video) -> str:
        v.attempts += 1
        query = urlencode({"metric": ",".join(v.metrics), "period": "lifetime"})
        return f"{v.video_id}/video_insights?{query}"

    def _take_insights(self, book: PostBook, v: _Video, reply: SubReply) -> None:
        if reply.problem is None:
            try:
                v.insights = _values(reply.body)
            except BadValue as exc:
                log_malformed("graph.video_insights", str(exc), reply.body)
                book.fail(
                    v.index, MalformedResponse(f"insights of {v.video_id}: {exc}"), v.video_id
                )
                return
            v.insights_raw, v.done = reply.body, True
            return
        err = reply.error
        if err is not None and err.code == 100 and isinstance(reply.problem, ApiError):
            refused = refused_metric(err.message, v.metrics)
            if v.attempts < _MAX_ATTEMPTS and refused is not None and len(v.metrics) > 1:
                v.metrics = tuple(m for m in v.metrics if m != refused)
                return
            if v.attempts < _MAX_ATTEMPTS and v.profile + 1 < len(PROFILES):
                v.profile += 1
                v.metrics = PROFILES[v.profile]
                return
            log.warning("insights of video %s unavailable: %s", v.video_id, err.message)
            v.insights, v.insights_raw, v.done = {}, reply.body, True
            return
        book.fail(v.index, reply.problem or MalformedResponse("insights failed"), v.video_id)

    def _finish(self, book: PostBook, v: _Video) -> None:
        node = v.node or {}
        ins = v.insights or {}
        try:
            social = _breakdown(ins, "post_video_social_actions")
            stories = _breakdown(ins, "total_video_stories_by_action_type")
            metrics = PostMetrics(
                post_id=book.posts[v.index].post_id,
                media_id=identifier(node) if node else v.video_id,
                views=_first(ins, "blue_reels_play_count", "total_video_views"),
                likes=_sum(ins, "post_video_likes_by_reaction_type")
                if "post_video_likes_by_reaction_type" in ins
                else _sum(ins, "total_video_reactions_by_type_total"),
                comments=_key(social, "COMMENT")
                if social is not None
                else _key(stories, "comment"),
                shares=_key(social, "SHARE") if social is not None else _key(stories, "share"),
                saves=None,
                reach=_first(
                    ins,
                    "post_impressions_unique",
                    "post_total_media_view_unique",
                    "total_video_impressions_unique",
                ),
                posted_at=timestamp(node.get("created_time")),
                title=text(node, "title") or text(node, "description"),
                permalink=text(node, "permalink_url"),
                raw={"video": dict(node), "insights": v.insights_raw},
            )
        except BadValue as exc:
            log_malformed("graph.video", str(exc), {"video": node, "insights": v.insights_raw})
            book.fail(v.index, MalformedResponse(f"video {v.video_id}: {exc}"), v.video_id)
            return
        book.ok(v.index, metrics)

    def fetch_accounts(
        self, credential: Credential, accounts: Sequence[AccountRef]
    ) -> AccountsBatch:
        meter = Meter()
        book = AccountBook(accounts)
        for i, acc in enumerate(accounts):
            if book.halt is not None:
                break
            page_id = acc.user_id or credential.user_id
            if not credential.token or not page_id:
                book.fail(
                    i,
                    CredentialError(
                        f"{credential.key} has no Page token or Page id",
                        reason=Reason.NO_CREDENTIAL,
                    ),
                )
                continue
            try:
                body = self.graph.get(
                    credential,
                    page_id,
                    {"fields": PAGE_FIELDS},
                    endpoint="graph.page",
                    meter=meter,
                )
                followers = count(body, "followers_count")
                if followers is None:
                    followers = count(body, "fan_count")
                book.set(
                    i,
                    AccountResult(
                        key=acc.key,
                        outcome=Outcome.OK,
                        stats=AccountStats(
                            key=acc.key,
                            followers=followers,
                            media_count=None,
                            user_id=str(body.get("id", page_id)),
                            handle=text(body, "name") or acc.handle,
                            raw=dict(body),
                        ),
                    ),
                )
            except CollectorError as exc:
                book.fail(i, exc)
            except BadValue as exc:
                log_malformed("graph.page", str(exc), None)
                book.fail(i, MalformedResponse(str(exc)))
        return book.finish(meter)

    def list_posts(self, credential: Credential, account: AccountRef, limit: int = 50) -> PostList:
        page_id = account.user_id or credential.user_id

        def fetch(after: str | None, meter: Meter) -> Mapping[str, Any]:
            return self.graph.get_page(
                credential,
                f"{page_id}/video_reels",
                fields="id,description,created_time,permalink_url",
                limit=min(limit, self.list_page_size),
                after=after,
                endpoint="graph.video_reels",
                meter=meter,
            )

        return list_cursor_pages(fetch, REEL_LISTING, "graph.video_reels", limit)


def _values(body: Any) -> dict[str, Any]:
    """``{name: value}`` of an insights answer; a value is a count or a breakdown object."""
    data = sequence(mapping(body, "video_insights").get("data"), "video_insights.data")
    out: dict[str, Any] = {}
    for entry in data:
        entry = mapping(entry, "insight")
        name = text(entry, "name")
        if not name:
            raise BadValue("insight without a name")
        values = entry.get("values")
        if not isinstance(values, list) or not values:
            continue
        value = mapping(values[0], f"{name}.values[0]").get("value")
        if isinstance(value, Mapping):
            out[name] = {str(k): count(value, str(k)) for k in value}
        elif value is not None:
            out[name] = count({name: value}, name)
    return out


def _first(ins: Mapping[str, Any], *names: str) -> int | None:
    for n in names:
        v = ins.get(n)
        if isinstance(v, int):
            return v
        if v is not None:
            raise BadValue(f"{n} is not a count")
    return None


def _breakdown(ins: Mapping[str, Any], name: str) -> Mapping[str, int | None] | None:
    v = ins.get(name)
    if v is None:
        return None
    if not isinstance(v, Mapping):
        raise BadValue(f"{name} is not a breakdown object")
    return v


def _sum(ins: Mapping[str, Any], name: str) -> int | None:
    b = _breakdown(ins, name)
    if b is None:
        return None
    return sum(x or 0 for x in b.values())


def _key(b: Mapping[str, int | None] | None, key: str) -> int | None:
    if b is None:
        return None
    return b.get(key) or 0


__all__ = ["PROFILES", "REEL_METRICS", "VIDEO_METRICS", "FacebookAdapter"]
