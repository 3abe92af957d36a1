"""Fake YouTube Data API v3, served under ``/youtube/v3/``.

``videos.list``, ``channels.list`` and ``playlistItems.list`` with the ``key`` parameter; counts
are strings; deleted/private videos are absent from ``items``; hidden likes and subscribers are
omitted; every call costs one unit of a daily quota that resets at midnight Pacific Time and
answers 403 ``quotaExceeded`` when spent; ``nextPageToken`` pagination on playlist items.
"""

from __future__ import annotations

import hashlib
from typing import Any

from werkzeug.wrappers import Request, Response

from fakeplatform.common import decode_cursor, encode_cursor, json_response, malformed_body, slow
from fakeplatform.faults import FaultRule
from fakeplatform.world import Account, Post, World

MAX_IDS = 50


def yt_error(
    status: int,
    reason: str,
    message: str,
    *,
    domain: str = "global",
    status_text: str | None = None,
) -> dict[str, Any]:
    err: dict[str, Any] = {
        "code": status,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    if status_text:
        err["status"] = status_text
    return {"error": err}


QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)


def _etag(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:27]


class YouTubeHandler:
    api = "youtube"

    def __init__(self, world: World) -> None:
        self.world = world

    def serves(self, request: Request, path: str) -> bool:
        """Whether this module answers the request (else the publishing side may)."""
        resource = path.split("/", 1)[1].strip("/") if "/" in path else ""
        if resource not in ("videos", "channels", "playlistItems"):
            return False
        # Reads with an OAuth token and no key are the publishing side's (its own uploads).
        return bool(request.args.get("key")) or not request.headers.get("Authorization")

    def handle(self, request: Request, path: str) -> Response:
        w = self.world
        slow(w, w.faults.latency)
        resource = path.split("/", 1)[1] if "/" in path else ""
        resource = resource.strip("/")
        endpoint = f"youtube.{resource}.list"
        key = request.args.get("key")
        cred = ("key" if key in w.youtube_api_keys else "invalid-key") if key else None
        ids = [i for i in request.args.get("id", "").split(",") if i]
        rule = w.faults.take(endpoint, cred)
        if rule is not None and rule.kind == "timeout":
            slow(w, rule.delay)
        if rule is not None and rule.kind == "malformed":
            w.calls.record(
                api="youtube",
                endpoint=endpoint,
                credential=cred,
                status=200,
                world_time=w.clock.now(),
                items=len(ids),
                fault=rule.kind,
            )
            return Response(malformed_body(request), status=200, content_type="text/html")
        status, body, headers = self._answer(request, resource, key, ids, rule)
        w.calls.record(
            api="youtube",
            endpoint=endpoint,
            credential=cred,
            status=status,
            world_time=w.clock.now(),
            items=len(ids),
            fault=rule.kind if rule else None,
        )
        return json_response(body, status, headers)

    def _answer(
        self,
        request: Request,
        resource: str,
        key: str | None,
        ids: list[str],
        rule: FaultRule | None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        w = self.world
        if rule is not None:
            if rule.kind == "server_error":
                return (
                    rule.status or 503,
                    yt_error(
                        rule.status or 503,
                        "backendError",
                        "Backend Error",
                        status_text="UNAVAILABLE",
                    ),
                    {},
                )
            if rule.kind == "quota":
                return (
                    403,
                    yt_error(
                        403,
                        "quotaExceeded",
                        QUOTA_MESSAGE,
                        domain="youtube.quota",
                        status_text="PERMISSION_DENIED",
                    ),
                    {},
                )
            if rule.kind == "rate_limit":
                status = rule.status or 429
                hdr = {"Retry-After": str(rule.retry_after)} if rule.retry_after else {}
                return (
                    status,
                    yt_error(
                        status,
                        "rateLimitExceeded",
                        "The request cannot be completed because you have exceeded the rate limit.",
                        domain="usageLimits",
                        status_text="RESOURCE_EXHAUSTED",
                    ),
                    hdr,
                )
        if not key:
            if request.headers.get("Authorization"):
                return (
                    401,
                    yt_error(
                        401,
                        "authError",
                        "Request had invalid authentication credentials.",
                        status_text="UNAUTHENTICATED",
                    ),
                    {},
                )
            return (
                403,
                yt_error(
                    403,
                    "forbidden",
                    "The request is missing a valid API key.",
                    status_text="PERMISSION_DENIED",
                ),
                {},
            )
        if key not in w.youtube_api_keys:
            return (
                400,
                yt_error(
                    400,
                    "badRequest",
                    "API key not valid. Please pass a valid API key.",
                    status_text="INVALID_ARGUMENT",
                ),
                {},
            )
        day = w.youtube_day()
        if w.counter(("youtube-quota", day)) >= w.faults.youtube_quota_per_day:
            return (
                403,
                yt_error(
                    403,
                    "quotaExceeded",
                    QUOTA_MESSAGE,
                    domain="youtube.quota",
                    status_text="PERMISSION_DENIED",
                ),
                {},
            )
        w.add_to_counter(("youtube-quota", day), 1)
        limit = w.faults.youtube_calls_per_100s
        if limit is not None:
            n, left = w.bump(("youtube", "100s"), 100)
            if n > limit:
                return (
                    403,
                    yt_error(
                        403,
                        "rateLimitExceeded",
                        "The request cannot be completed because you have exceeded the rate limit.",
                        domain="usageLimits",
                    ),
                    {"Retry-After": str(left)},
                )
        part = request.args.get("part", "")
        if not part:
            return (
                400,
                yt_error(
                    400, "required", "Required parameter: part", status_text="INVALID_ARGUMENT"
                ),
                {},
            )
        parts = set(part.split(","))
        if resource == "videos":
            return self._videos(ids, parts)
        if resource == "channels":
            return self._channels(request, ids, parts)
        if resource == "playlistItems":
            return self._playlist_items(request, parts)
        return 404, yt_error(404, "notFound", "Not Found"), {}

    def _videos(
        self, ids: list[str], parts: set[str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if not ids:
            return (
                400,
                yt_error(
                    400,
                    "missingRequiredParameter",
                    "No filter selected. Expected one of: chart, id, myRating",
                    status_text="INVALID_ARGUMENT",
                ),
                {},
            )
        if len(ids) > MAX_IDS:
            return (
                400,
                yt_error(
                    400,
                    "invalidFilters",
                    "The request specifies an invalid filter parameter.",
                    status_text="INVALID_ARGUMENT",
                ),
                {},
            )
        w = self.world
        now = w.clock.now()
        items = []
        for vid in ids:
            post = w.post("youtube", vid)
            if post is None or not post.visible or post.created_at > now:
                continue
            items.append(self._video(post, parts))
        return (
            200,
            {
                "kind": "youtube#videoListResponse",
                "etag": _etag("videos", *ids, now),
                "items": items,
                "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
            },
            {},
        )

    def _video(self, post: Post, parts: set[str]) -> dict[str, Any]:
        now = self.world.clock.now()
        c = post.counts(now)
        item: dict[str, Any] = {
            "kind": "youtube#video",
            "etag": _etag(post.post_id, now),
            "id": post.post_id,
        }
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": post.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "channelId": post.account.user_id,
                "title": post.caption[:100],
                "description": post.caption,
                "channelTitle": post.account.name,
                "categoryId": "27",
                "liveBroadcastContent": "none",
                "thumbnails": {
                    "default": {
                        "url": f"https://i.ytimg.com/vi/{post.post_id}/default.jpg",
                        "width": 120,
                        "height": 90,
                    }
                },
            }
        if "statistics" in parts:
            stats: dict[str, str] = {
                "viewCount": str(c["views"]),
                "likeCount": str(c["likes"]),
                "favoriteCount": "0",
                "commentCount": str(c["comments"]),
            }
            if post.likes_hidden:
                stats.pop("likeCount")
            if post.malformed:
                stats["viewCount"] = "lots"
            item["statistics"] = stats
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "duration": "PT45S",
                "dimension": "2d",
                "definition": "hd",
                "caption": "false",
            }
        return item

    def _channel(self, acct: Account, parts: set[str]) -> dict[str, Any]:
        now = self.world.clock.now()
        item: dict[str, Any] = {
            "kind": "youtube#channel",
            "etag": _etag(acct.user_id, now),
            "id": acct.user_id,
        }
        if "snippet" in parts:
            item["snippet"] = {
                "title": acct.name,
                "description": "Perpustakaan umum",
                "customUrl": "@" + acct.handle,
                "publishedAt": acct.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        if "statistics" in parts:
            posts = self.world.posts_of(acct)
            stats: dict[str, Any] = {
                "viewCount": str(sum(p.counts(now)["views"] for p in posts)),
                "hiddenSubscriberCount": acct.followers_hidden,
                "videoCount": str(len(posts)),
            }
            if not acct.followers_hidden:
                stats["subscriberCount"] = str(_three_figures(acct.followers(now)))
            item["statistics"] = stats
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "relatedPlaylists": {"likes": "", "uploads": "UU" + acct.user_id[2:]}
            }
        return item

    def _channels(
        self, request: Request, ids: list[str], parts: set[str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        w = self.world
        handle = request.args.get("forHandle")
        found: list[Account] = []
        if handle:
            acct = w.account_by_handle("youtube", handle)
            if acct is not None:
                found.append(acct)
        elif ids:
            if len(ids) > MAX_IDS:
                return (
                    400,
                    yt_error(
                        400, "invalidFilters", "The request specifies an invalid filter parameter."
                    ),
                    {},
                )
            for cid in ids:
                acct = w.account("youtube", cid)
                if acct is not None:
                    found.append(acct)
        else:
            return (
                400,
                yt_error(
                    400,
                    "missingRequiredParameter",
                    "No filter selected. Expected "
                    "one of: forHandle, forUsername, id, managedByMe, mine",
                ),
                {},
            )
        items = [self._channel(a, parts) for a in found]
        return (
            200,
            {
                "kind": "youtube#channelListResponse",
                "etag": _etag("channels", *ids),
                "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
                "items": items,
            },
            {},
        )

    def _playlist_items(
        self, request: Request, parts: set[str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        w = self.world
        playlist = request.args.get("playlistId", "")
        owner = w.account("youtube", "UC" + playlist[2:]) if playlist.startswith("UU") else None
        if owner is None:
            return (
                404,
                yt_error(
                    404,
                    "playlistNotFound",
                    "The playlist identified with the "
                    "request's playlistId parameter cannot be found.",
                    domain="youtube.playlistItem",
                ),
                {},
            )
        try:
            per_page = min(50, max(0, int(request.args.get("maxResults", "5"))))
        except ValueError:
            return 400, yt_error(400, "invalidParameter", "Invalid value for maxResults"), {}
        offset = decode_cursor(request.args.get("pageToken"))
        if offset is None:
            return (
                400,
                yt_error(400, "invalidPageToken", "The request specifies an invalid page token."),
                {},
            )
        posts = w.posts_of(owner)
        page = posts[offset : offset + per_page]
        items: list[dict[str, Any]] = []
        for p in page:
            item: dict[str, Any] = {
                "kind": "youtube#playlistItem",
                "etag": _etag("pli", p.post_id),
                "id": "PLI" + p.post_id,
            }
            if "snippet" in parts:
                item["snippet"] = {
                    "publishedAt": p.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "channelId": owner.user_id,
                    "title": p.caption[:100],
                    "playlistId": playlist,
                    "position": offset + len(items),
                    "resourceId": {"kind": "youtube#video", "videoId": p.post_id},
                }
            if "contentDetails" in parts:
                item["contentDetails"] = {
                    "videoId": p.post_id,
                    "videoPublishedAt": p.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            items.append(item)
        body: dict[str, Any] = {
            "kind": "youtube#playlistItemListResponse",
            "etag": _etag("pl", playlist, offset),
            "items": items,
            "pageInfo": {"totalResults": len(posts), "resultsPerPage": per_page},
        }
        if offset + len(page) < len(posts):
            body["nextPageToken"] = encode_cursor(offset + len(page))
        if offset > 0:
            body["prevPageToken"] = encode_cursor(max(0, offset - per_page))
        return 200, body, {}


def _three_figures(n: int) -> int:
    """Public subscriber counts are rounded down to three significant figures above 1,000."""
    if n < 1000:
        return n
    digits = len(str(n))
    unit: int = 10 ** (digits - 3)
    return (n // unit) * unit


__all__ = ["YouTubeHandler"]
