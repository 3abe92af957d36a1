"""Instagram adapter: Instagram API with Facebook Login, Graph API v25.0.

Two ways to read a library's reel:

(a) **Connected account** (the library's own token, :class:`CredentialKind.ACCOUNT`):
    ``GET /{ig-media-id}?fields=...`` for the media node (posted time, caption, permalink,
    ``like_count``/``comments_count``) and ``GET /{ig-media-id}/insights?metric=views,reach,likes,
    comments,shares,saved,total_interactions`` (the metrics current since the 2025 retirement of
    ``plays``/``impressions``). Both run as operations of Graph **batch** requests: two per
    reel, 50 per HTTP call, so 25 reels per call. The Graph API has no multi-media insights
    request, and each batch operation counts as one call against the rate limits either way, so
    batching cuts round trips (the round's wall time), not quota; it also keeps failures per reel
    (a deleted reel answers its own error while the rest of the batch succeeds), which a
    multi-id ``?ids=`` read would not.

    A metric the API refuses (error 100 naming it: retired, or not available for that media
    product type) is dropped and the insights of that reel asked again without it. Empty
    insights ``data`` (fresh media, too few viewers) give None counts; likes and comments then
    fall back to the media node's public counts.

(b) **Not connected** (:class:`CredentialKind.APP`, the committee's own professional account):
    business discovery ``GET /{committee-ig-id}?fields=business_discovery.username(h){id,
    username,followers_count,media_count,media.limit(50){...}}`` returns the public counts
    (likes unless hidden, comments, ``view_count``) and the account's followers in one
    operation; up to 50 accounts go in one batch call. Media are matched by permalink; further
    pages use ``media.after(cursor)``.

Instagram URLs carry a shortcode, not the media id: :meth:`resolve_media_ids` pages through
``/{ig-user-id}/media`` (cursor pagination; absence of ``paging.next`` ends it) matching
permalinks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from collector.base import (
    AccountRef,
    AccountResult,
    AccountsBatch,
    AccountStats,
    Credential,
    CredentialKind,
    MetricsBatch,
    PostList,
    PostMetrics,
    PostRef,
    PostResult,
)
from collector.errors import (
    ApiError,
    CollectorError,
    CredentialError,
    MalformedResponse,
    Outcome,
    Reason,
    Unavailable,
)
from collector.graph import (
    NOT_DISCOVERABLE_SUBCODE,
    GraphApi,
    ListingFields,
    SubReply,
    chunked,
    list_cursor_pages,
    next_cursor,
)
from collector.http import HttpConfig, Meter, log_malformed
from collector.parse import BadValue, count, identifier, mapping, sequence, text, timestamp
from collector.ratelimit import RateGate, utcnow
from collector.redact import get_logger
from collector.results import AccountBook, PostBook, account_failure, chunks, halt_of, post_failure
from store.enums import Platform

if TYPE_CHECKING:
    from reelboard.settings import Settings

MEDIA_LISTING = ListingFields(permalink="permalink", posted_at="timestamp", title="caption")

log = get_logger(__name__)

INSIGHT_METRICS: tuple[str, ...] = (
    "views",
    "reach",
    "likes",
    "comments",
    "shares",
    "saved",
    "total_interactions",
)
MEDIA_FIELDS = (
    "id,caption,comments_count,like_count,media_product_type,media_type,permalink,timestamp"
)
DISCOVERY_MEDIA_FIELDS = (
    "id,caption,comments_count,like_count,media_product_type,permalink,timestamp,view_count"
)
ACCOUNT_FIELDS = "id,username,followers_count,media_count"
LIST_FIELDS = "id,caption,permalink,shortcode,timestamp"
_SHORTCODE = re.compile(r"/(?:p|reel|reels|tv)/([A-Za-z0-9_-]+)")
_NAMED_METRIC = re.compile(r"\bthe ([a-z_]+) metric", re.IGNORECASE)
_INDEXED_METRIC = re.compile(r"\bmetric\[(\d+)\]")
_MAX_INSIGHT_ATTEMPTS = 4
_NOT_ENOUGH_VIEWERS = 10


def shortcode_of(permalink: str | None) -> str | None:
    if not permalink:
        return None
    m = _SHORTCODE.search(permalink)
    return m.group(1) if m else None


def refused_metric(message: str, requested: Sequence[str]) -> str | None:
    """The metric an error 100 names, if it is one we asked for."""
    m = _INDEXED_METRIC.search(message)
    if m and int(m.group(1)) < len(requested):
        return requested[int(m.group(1))]
    for m in _NAMED_METRIC.finditer(message):
        if m.group(1) in requested:
            return m.group(1)
    return None


@dataclass
class _Reel:
    index: int
    media_id: str
    node: Mapping[str, Any] | None = None
    insights: dict[str, int] | None = None
    insights_raw: Any = None
    metrics: list[str] = field(default_factory=lambda: list(INSIGHT_METRICS))
    attempts: int = 0
    done: bool = False


class InstagramAdapter:
    platform: ClassVar[Platform] = Platform.INSTAGRAM
    metrics_batch_size: ClassVar[int] = 25  # two batch operations per reel, 50 per call
    accounts_batch_size: ClassVar[int] = 50  # business discovery: one operation per account

    def __init__(
        self,
        graph_api_base: str,
        *,
        committee_user_id: str | None = None,
        committee_token: str | None = None,
        http: HttpConfig | None = None,
        gate: RateGate | None = None,
        now: Callable[[], datetime] = utcnow,
        resolve_page_size: int = 100,
        discovery_page_size: int = 50,
        max_discovery_pages: int = 20,
    ) -> None:
        self.graph = GraphApi(graph_api_base, http=http, gate=gate, now=now)
        self.resolve_page_size = resolve_page_size
        # 10,000 media: the documented depth of /media.
        self.max_resolve_pages = max(1, 10_000 // resolve_page_size)
        self.discovery_page_size = discovery_page_size
        self.max_discovery_pages = max_discovery_pages
        self._committee = (
            Credential(
                key="instagram:committee",
                kind=CredentialKind.APP,
                token=committee_token,
                user_id=committee_user_id,
            )
            if committee_user_id and committee_token
            else None
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> InstagramAdapter:
        token = settings.instagram_access_token
        return cls(
            settings.graph_api_base,
            committee_user_id=settings.instagram_user_id,
            committee_token=token.get_secret_value() if token is not None else None,
            **kwargs,
        )

    def app_credential(self) -> Credential | None:
        return self._committee

    def close(self) -> None:
        self.graph.close()

    # ---- metrics -------------------------------------------------------------------------
    def fetch_metrics(self, credential: Credential, posts: Sequence[PostRef]) -> MetricsBatch:
        meter = Meter()
        book = PostBook(posts)
        if not credential.token or not credential.user_id:
            err = CredentialError(
                f"{credential.key} has no Instagram token or user id", reason=Reason.NO_CREDENTIAL
            )
            for i in range(len(posts)):
                book.results[i] = post_failure(posts[i].post_id, err)
            return book.finish(meter)
        if credential.kind is CredentialKind.APP:
            self._discovery_metrics(credential, book, meter)
        else:
            self._connected_metrics(credential, book, meter)
        return book.finish(meter)

    def _connected_metrics(self, cred: Credential, book: PostBook, meter: Meter) -> None:
        media_ids: dict[int, str] = {i: p.media_id for i, p in enumerate(book.posts) if p.media_id}
        unresolved = [i for i in range(len(book.posts)) if i not in media_ids]
        if unresolved:
            wanted = {book.posts[i].post_id for i in unresolved}
            found, error = self._resolve(cred, wanted, meter)
            for i in unresolved:
                sc = book.posts[i].post_id
                if sc in found:
                    media_ids[i] = found[sc]
                elif error is not None:
                    book.fail(i, error)
                else:
                    book.fail(
                        i,
                        Unavailable(
                            f"shortcode {sc} is not among the account's media (deleted or private)"
                        ),
                    )
        reels = [
            _Reel(index=i, media_id=m)
            for i, m in sorted(media_ids.items())
            if i not in book.results
        ]
        # First pass: node + insights for each reel, 25 reels per call.
        for group in chunked(reels, self.metrics_batch_size):
            if book.halted:
                return
            ops: list[str] = []
            for r in group:
                ops.append(f"{r.media_id}?{urlencode({'fields': MEDIA_FIELDS})}")
                ops.append(self._insights_url(r))
            try:
                replies = self.graph.batch(cred, ops, meter=meter)
            except CollectorError as exc:
                book.call_failed([r.index for r in group], exc)
                continue
            book.call_succeeded()
            for k, r in enumerate(group):
                self._take_node(book, r, replies[2 * k])
                if r.index not in book.results:
                    self._take_insights(book, r, replies[2 * k + 1])
        # Retries of insights without the refused metric, 50 per call.
        for _ in range(_MAX_INSIGHT_ATTEMPTS):
            again = [r for r in reels if not r.done and r.index not in book.results]
            if not again or book.halted:
                break
            for group in chunked(again, 50):
                if book.halted:
                    return
                try:
                    replies = self.graph.batch(
                        cred, [self._insights_url(r) for r in group], meter=meter
                    )
                except CollectorError as exc:
                    book.call_failed([r.index for r in group], exc)
                    continue
                book.call_succeeded()
                for r, reply in zip(group, replies, strict=True):
                    self._take_insights(book, r, reply)
        for r in reels:
            if r.index in book.results or not r.done:
                continue
            self._finish_reel(book, r)

    @staticmethod
    def _insights_url(r: _Reel) -> str:
        r.attempts += 1
        return f"{r.media_id}/insights?{urlencode({'metric': ','.join(r.metrics)})}"

    def _take_node(self, book: PostBook, r: _Reel, reply: SubReply) -> None:
        if reply.problem is not None:
            book.fail(r.index, reply.problem, r.media_id)
            return
        r.node = reply.body

    def _take_insights(self, book: PostBook, r: _Reel, reply: SubReply) -> None:
        err = reply.error
        if reply.problem is None:
            try:
                r.insights = _insight_values(reply.body)
            except BadValue as exc:
                log_malformed("graph.insights", str(exc), reply.body)
                book.fail(
                    r.index, MalformedResponse(f"insights of {r.media_id}: {exc}"), r.media_id
                )
                return
            r.insights_raw = reply.body
            r.done = True
            return
        if err is not None and err.code == _NOT_ENOUGH_VIEWERS:
            r.insights, r.insights_raw, r.done = {}, reply.body, True
            return
        if err is not None and err.code == 100 and isinstance(reply.problem, ApiError):
            refused = refused_metric(err.message, r.metrics)
            if refused is not None and len(r.metrics) > 1 and r.attempts < _MAX_INSIGHT_ATTEMPTS:
                log.info(
                    "insights of %s: %s refused (%s); asking again without it",
                    r.media_id,
                    refused,
                    err.message,
                )
                r.metrics = [m for m in r.metrics if m != refused]
                return  # retried in the next pass
            log.warning(
                "insights of %s unavailable (%s); keeping public counts only",
                r.media_id,
                err.message,
            )
            r.insights, r.insights_raw, r.done = {}, reply.body, True
            return
        book.fail(r.index, reply.problem or MalformedResponse("insights failed"), r.media_id)

    def _finish_reel(self, book: PostBook, r: _Reel) -> None:
        node = r.node or {}
        ins = r.insights or {}
        ref = book.posts[r.index]
        try:
            media_id = identifier(node) if node else r.media_id
            likes = ins["likes"] if "likes" in ins else count(node, "like_count")
            comments = ins["comments"] if "comments" in ins else count(node, "comments_count")
            permalink = text(node, "permalink")
            metrics = PostMetrics(
                post_id=ref.post_id,
                media_id=media_id,
                views=ins.get("views"),
                likes=likes,
                comments=comments,
                shares=ins.get("shares"),
                saves=ins.get("saved"),
                reach=ins.get("reach"),
                posted_at=timestamp(node.get("timestamp")),
                title=text(node, "caption"),
                permalink=permalink,
                raw={"media": dict(node), "insights": r.insights_raw},
            )
        except BadValue as exc:
            log_malformed("graph.media", str(exc), node)
            book.fail(r.index, MalformedResponse(f"media {r.media_id}: {exc}"), r.media_id)
            return
        book.ok(r.index, metrics)

    # ---- business discovery --------------------------------------------------------------
    def _discovery_fields(self, handle: str, cursor: str | None, with_media: bool = True) -> str:
        fields = ACCOUNT_FIELDS
        if with_media:
            mods = f".limit({self.discovery_page_size})"
            if cursor:
                mods += f".after({cursor})"
            fields += f",media{mods}{{{DISCOVERY_MEDIA_FIELDS}}}"
        return f"business_discovery.username({handle}){{{fields}}}"

    def _discovery_url(
        self, cred: Credential, handle: str, cursor: str | None, with_media: bool = True
    ) -> str:
        fields = self._discovery_fields(handle, cursor, with_media)
        return f"{cred.user_id}?{urlencode({'fields': fields})}"

    def _discovery_metrics(self, cred: Credential, book: PostBook, meter: Meter) -> None:
        by_handle: dict[str, list[int]] = {}
        owners: dict[str, AccountRef] = {}
        for i, p in enumerate(book.posts):
            handle = p.owner.handle if p.owner else None
            if not handle:
                book.results[i] = post_failure(
                    p.post_id,
                    CredentialError(
                        f"post {p.post_id} has no account handle for business discovery",
                        reason=Reason.NO_CREDENTIAL,
                    ),
                )
                continue
            handle = handle.lstrip("@")
            by_handle.setdefault(handle, []).append(i)
            if p.owner is not None:
                owners.setdefault(handle, p.owner)
        cursors: dict[str, str | None] = dict.fromkeys(by_handle)
        pages: dict[str, int] = dict.fromkeys(by_handle, 0)
        todo = list(by_handle)
        while todo and not book.halted:
            nxt: list[str] = []
            for group in chunked(todo, self.accounts_batch_size):
                if book.halted:
                    break
                ops = [self._discovery_url(cred, h, cursors[h]) for h in group]
                try:
                    replies = self.graph.batch(cred, ops, meter=meter)
                except CollectorError as exc:
                    book.call_failed([i for h in group for i in by_handle[h]], exc)
                    continue
                book.call_succeeded()
                for h, reply in zip(group, replies, strict=True):
                    pages[h] += 1
                    more = self._take_discovery(
                        book, h, owners[h], by_handle[h], reply, cursors, first=pages[h] == 1
                    )
                    if more and pages[h] < self.max_discovery_pages:
                        nxt.append(h)
                    elif more or reply.problem is None:
                        for i in by_handle[h]:
                            if i not in book.results:
                                book.fail(
                                    i,
                                    Unavailable(
                                        f"{book.posts[i].post_id} is not among @{h}'s public media "
                                        "(deleted, private, or older than the pages read)"
                                    ),
                                )
            todo = nxt

    def _take_discovery(
        self,
        book: PostBook,
        handle: str,
        owner: AccountRef,
        indexes: list[int],
        reply: SubReply,
        cursors: dict[str, str | None],
        *,
        first: bool,
    ) -> bool:
        """Record what one business-discovery page gave; True when another page is needed."""
        if reply.problem is not None:
            problem = reply.problem
            if (
                isinstance(problem, ApiError | Unavailable)
                and reply.error is not None
                and (reply.error.subcode == NOT_DISCOVERABLE_SUBCODE or reply.error.code == 110)
            ):
                problem = ApiError(
                    f"@{handle} cannot be read by business discovery (not a "
                    f"professional account, or not found): {problem.detail}"
                )
                problem.reason = Reason.NOT_DISCOVERABLE
            for i in indexes:
                if i not in book.results:
                    book.fail(i, problem)
            if first and halt_of(problem) is None:
                book.accounts.append(account_failure(owner.key, problem))
            return False
        try:
            bd = mapping(
                mapping(reply.body, "body").get("business_discovery"), "business_discovery"
            )
            if first:
                book.accounts.append(
                    AccountResult(
                        key=owner.key,
                        outcome=Outcome.OK,
                        stats=_account_stats(owner.key, bd, handle),
                    )
                )
            media = mapping(bd.get("media", {"data": []}), "media")
            items = sequence(media.get("data", []), "media.data")
        except BadValue as exc:
            log_malformed("graph.business_discovery", str(exc), reply.body)
            err = MalformedResponse(f"business discovery of @{handle}: {exc}")
            for i in indexes:
                if i not in book.results:
                    book.fail(i, err)
            return False
        wanted = {book.posts[i].post_id: i for i in indexes if i not in book.results}
        for item in items:
            if not isinstance(item, Mapping):
                log_malformed("graph.business_discovery", "media item is not an object", item)
                continue
            sc = shortcode_of(
                item.get("permalink") if isinstance(item.get("permalink"), str) else None
            )
            if sc is None or sc not in wanted:
                continue
            i = wanted.pop(sc)
            try:
                book.ok(i, _discovery_metrics(sc, item))
            except BadValue as exc:
                log_malformed("graph.business_discovery", str(exc), item)
                book.fail(i, MalformedResponse(f"media {sc} of @{handle}: {exc}"))
        if not wanted:
            return False
        paging = media.get("paging")
        after = next_cursor(paging)
        cursors[handle] = after
        return after is not None

    # ---- shortcode -> media id -------------------------------------------------------------
    def _resolve(
        self, cred: Credential, wanted: set[str], meter: Meter
    ) -> tuple[dict[str, str], CollectorError | None]:
        found: dict[str, str] = {}
        after: str | None = None
        missing = set(wanted)
        for _ in range(self.max_resolve_pages):
            try:
                page = self.graph.get_page(
                    cred,
                    f"{cred.user_id}/media",
                    fields=LIST_FIELDS,
                    limit=self.resolve_page_size,
                    after=after,
                    endpoint="graph.user_media",
                    meter=meter,
                )
                data = sequence(page.get("data"), "data")
            except CollectorError as exc:
                return found, exc
            except BadValue as exc:
                log_malformed("graph.user_media", str(exc), page)
                return found, MalformedResponse(f"media list of {cred.key}: {exc}")
            for item in data:
                if not isinstance(item, Mapping):
                    continue
                sc = item.get("shortcode") if isinstance(item.get("shortcode"), str) else None
                sc = sc or shortcode_of(
                    item.get("permalink") if isinstance(item.get("permalink"), str) else None
                )
                mid = item.get("id")
                if sc in missing and isinstance(mid, str | int):
                    found[sc] = str(mid)
                    missing.discard(sc)
            after = next_cursor(page.get("paging"))
            if not missing or after is None:
                break
        return found, None

    def resolve_media_ids(
        self, credential: Credential, post_ids: Sequence[str], owner: AccountRef | None = None
    ) -> dict[str, PostResult]:
        if credential.kind is CredentialKind.APP:
            batch = self.fetch_metrics(
                credential, [PostRef(post_id=p, owner=owner) for p in post_ids]
            )
            return {r.post_id: r for r in batch.posts}
        meter = Meter()
        found, error = self._resolve(credential, set(post_ids), meter)
        out: dict[str, PostResult] = {}
        for p in post_ids:
            if p in found:
                out[p] = PostResult(post_id=p, outcome=Outcome.OK, media_id=found[p])
            elif error is not None:
                out[p] = post_failure(p, error)
            else:
                out[p] = PostResult(
                    post_id=p,
                    outcome=Outcome.UNAVAILABLE,
                    reason=Reason.UNAVAILABLE,
                    detail="not among the account's media",
                )
        return out

    # ---- accounts ----------------------------------------------------------------------------
    def fetch_accounts(
        self, credential: Credential, accounts: Sequence[AccountRef]
    ) -> AccountsBatch:
        meter = Meter()
        book = AccountBook(accounts)
        if not credential.token or not credential.user_id:
            err = CredentialError(
                f"{credential.key} has no Instagram token or user id", reason=Reason.NO_CREDENTIAL
            )
            for i in range(len(accounts)):
                book.fail(i, err)
            return book.finish(meter)
        if credential.kind is CredentialKind.ACCOUNT:
            for i, acc in enumerate(accounts):
                if book.halt is not None:
                    break
                try:
                    body = self.graph.get(
                        credential,
                        credential.user_id,
                        {"fields": ACCOUNT_FIELDS},
                        endpoint="graph.user",
                        meter=meter,
                    )
                    book.set(
                        i,
                        AccountResult(
                            key=acc.key,
                            outcome=Outcome.OK,
                            stats=_account_stats(acc.key, body, acc.handle),
                        ),
                    )
                except CollectorError as exc:
                    book.fail(i, exc)
                except BadValue as exc:
                    log_malformed("graph.user", str(exc), None)
                    book.fail(i, MalformedResponse(str(exc)))
            return book.finish(meter)
        indexes = list(range(len(accounts)))
        for group in chunks(indexes, self.accounts_batch_size):
            if book.halt is not None:
                break
            usable = [i for i in group if accounts[i].handle]
            for i in group:
                if not accounts[i].handle:
                    book.fail(i, ApiError("account has no handle for business discovery"))
            ops = [
                self._discovery_url(
                    credential, str(accounts[i].handle).lstrip("@"), None, with_media=False
                )
                for i in usable
            ]
            try:
                replies = self.graph.batch(credential, ops, meter=meter)
            except CollectorError as exc:
                for i in usable:
                    book.fail(i, exc)
                continue
            for i, reply in zip(usable, replies, strict=True):
                acc = accounts[i]
                if reply.problem is not None:
                    problem = reply.problem
                    if reply.error is not None and reply.error.code == 110:
                        problem = ApiError(
                            f"@{acc.handle} cannot be read by business discovery: {problem.detail}"
                        )
                        problem.reason = Reason.NOT_DISCOVERABLE
                    book.fail(i, problem)
                    continue
                try:
                    bd = mapping(
                        mapping(reply.body, "body").get("business_discovery"), "business_discovery"
                    )
                    book.set(
                        i,
                        AccountResult(
                            key=acc.key,
                            outcome=Outcome.OK,
                            stats=_account_stats(acc.key, bd, acc.handle),
                        ),
                    )
                except BadValue as exc:
                    log_malformed("graph.business_discovery", str(exc), reply.body)
                    book.fail(i, MalformedResponse(str(exc)))
        return book.finish(meter)

    # ---- listing -----------------------------------------------------------------------------
    def list_posts(self, credential: Credential, account: AccountRef, limit: int = 50) -> PostList:
        def fetch(after: str | None, meter: Meter) -> Mapping[str, Any]:
            if credential.kind is CredentialKind.APP:
                handle = str(account.handle or "").lstrip("@")
                body = self.graph.get(
                    credential,
                    str(credential.user_id),
                    {"fields": self._discovery_fields(handle, after)},
                    endpoint="graph.business_discovery",
                    meter=meter,
                )
                bd = mapping(body.get("business_discovery"), "business_discovery")
                return mapping(bd.get("media", {"data": []}), "media")
            return self.graph.get_page(
                credential,
                f"{credential.user_id}/media",
                fields=LIST_FIELDS,
                limit=min(self.resolve_page_size, limit),
                after=after,
                endpoint="graph.user_media",
                meter=meter,
            )

        return list_cursor_pages(fetch, MEDIA_LISTING, "graph.user_media", limit)


def _insight_values(body: Any) -> dict[str, int]:
    data = sequence(mapping(body, "insights").get("data"), "insights.data")
    out: dict[str, int] = {}
    for entry in data:
        entry = mapping(entry, "insight")
        name = text(entry, "name")
        if not name:
            raise BadValue("insight without a name")
        values = entry.get("values")
        value: Any = None
        if isinstance(values, list) and values:
            value = mapping(values[0], f"{name}.values[0]").get("value")
        elif isinstance(entry.get("total_value"), Mapping):
            value = entry["total_value"].get("value")
        n = count({name: value}, name) if value is not None else None
        if n is not None:
            out[name] = n
    return out


def _discovery_metrics(shortcode: str, item: Mapping[str, Any]) -> PostMetrics:
    return PostMetrics(
        post_id=shortcode,
        media_id=identifier(item),
        views=count(item, "view_count"),
        likes=count(item, "like_count"),
        comments=count(item, "comments_count"),
        shares=None,
        saves=None,
        reach=None,
        posted_at=timestamp(item.get("timestamp")),
        title=text(item, "caption"),
        permalink=text(item, "permalink"),
        raw={"business_discovery_media": dict(item)},
    )


def _account_stats(key: str, body: Mapping[str, Any], handle: str | None) -> AccountStats:
    return AccountStats(
        key=key,
        followers=count(body, "followers_count"),
        media_count=count(body, "media_count"),
        user_id=str(body["id"]) if isinstance(body.get("id"), str | int) else None,
        handle=text(body, "username") or handle,
        raw=dict(body),
    )


__all__ = ["INSIGHT_METRICS", "InstagramAdapter", "refused_metric", "shortcode_of"]
