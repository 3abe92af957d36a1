"""Fake TikTok API v2 (Display API), served under ``/tiktok/v2/``.

``POST /video/query/`` (at most 20 ids; only the token owner's public videos come back),
``GET /user/info/`` and ``POST /video/list/`` (``cursor``/``has_more``). ``fields`` is a query
parameter; the token is ``Authorization: Bearer``. Every answer is the envelope
``{"data": ..., "error": {"code", "message", "log_id"}}``; 600 requests per minute per token and
endpoint, then 429 ``rate_limit_exceeded``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from fakeplatform.common import bearer, json_response, malformed_body, slow
from fakeplatform.faults import FaultRule
from fakeplatform.world import Account, Post, World

MAX_IDS = 20
VIDEO_FIELDS = {
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
}
USER_FIELDS = {
    "open_id",
    "union_id",
    "avatar_url",
    "avatar_url_100",
    "avatar_large_url",
    "display_name",
    "bio_description",
    "profile_deep_link",
    "is_verified",
    "username",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
}
_MESSAGES = {
    "access_token_invalid": "Access token is invalid, please refresh token and retry",
    "rate_limit_exceeded": "API rate limit exceeded, please retry later",
    "invalid_params": "Invalid parameters",
    "internal_error": "Internal server error",
    "scope_not_authorized": "The user did not authorize the scope required for this endpoint",
}


class TikTokHandler:
    api = "tiktok"

    def __init__(self, world: World) -> None:
        self.world = world

    def envelope(self, data: Any, code: str = "ok", message: str = "") -> dict[str, Any]:
        return {
            "data": data,
            "error": {"code": code, "message": message, "log_id": self.world.next_log_id()},
        }

    def error(
        self,
        status: int,
        code: str,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        return status, self.envelope({}, code, message or _MESSAGES.get(code, code)), headers or {}

    def serves(self, request: Request, path: str) -> bool:
        """Whether this module answers the request (else the publishing side may)."""
        route = path.split("/", 1)[1].strip("/") if "/" in path else ""
        if route not in ("video/query", "video/list", "user/info"):
            return False
        # A token this world does not know may belong to the publishing side's accounts.
        return route != "video/list" or self.world.account_by_token(bearer(request)) is not None

    def handle(self, request: Request, path: str) -> Response:
        w = self.world
        slow(w, w.faults.latency)
        route = path.split("/", 1)[1].strip("/") if "/" in path else ""
        endpoint = "tiktok." + route.replace("/", ".")
        token = bearer(request)
        acct = w.account_by_token(token)
        cred = acct.label if acct else ("unknown" if token else None)
        body = request.get_json(silent=True) if request.method == "POST" else None
        items = 0
        if route == "video/query" and isinstance(body, dict):
            ids = (body.get("filters") or {}).get("video_ids")
            items = len(ids) if isinstance(ids, list) else 0
        rule = w.faults.take(endpoint, cred)
        if rule is not None and rule.kind == "timeout":
            slow(w, rule.delay)
        if rule is not None and rule.kind == "malformed":
            w.calls.record(
                api="tiktok",
                endpoint=endpoint,
                credential=cred,
                status=200,
                world_time=w.clock.now(),
                items=items,
                fault=rule.kind,
            )
            return Response(malformed_body(request), status=200, content_type="text/html")
        status, payload, headers = self._answer(request, route, acct, token, body, rule)
        w.calls.record(
            api="tiktok",
            endpoint=endpoint,
            credential=cred,
            status=status,
            world_time=w.clock.now(),
            items=items,
            fault=rule.kind if rule else None,
        )
        return json_response(payload, status, headers)

    def _answer(
        self,
        request: Request,
        route: str,
        acct: Account | None,
        token: str | None,
        body: Any,
        rule: FaultRule | None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        w = self.world
        if rule is not None:
            if rule.kind == "server_error":
                return self.error(rule.status or 500, "internal_error")
            if rule.kind == "rate_limit":
                hdr = {"Retry-After": str(rule.retry_after)} if rule.retry_after else {}
                return self.error(rule.status or 429, "rate_limit_exceeded", headers=hdr)
            if rule.kind == "tiktok_error":
                code = str(rule.code or "invalid_params")
                return self.error(rule.status or 400, code, rule.message)
        expected = {"video/query": "POST", "video/list": "POST", "user/info": "GET"}
        if route not in expected:
            return self.error(404, "invalid_params", f"unknown endpoint /v2/{route}/")
        if request.method != expected[route]:
            return self.error(405, "invalid_params", f"/v2/{route}/ expects {expected[route]}")
        if acct is None or acct.token_state != "ok" or acct.platform != "tiktok":
            return self.error(401, "access_token_invalid")
        n, left = w.bump(("tiktok", acct.user_id, route), 60)
        if n > w.faults.tiktok_calls_per_minute:
            return self.error(429, "rate_limit_exceeded", headers={"Retry-After": str(left)})
        fields = [f for f in request.args.get("fields", "").split(",") if f]
        if not fields:
            return self.error(400, "invalid_params", "fields is required")
        allowed = USER_FIELDS if route == "user/info" else VIDEO_FIELDS
        unknown = [f for f in fields if f not in allowed]
        if unknown:
            return self.error(400, "invalid_params", f"invalid fields: {','.join(unknown)}")
        if route == "user/info":
            return 200, self.envelope({"user": self._user(acct, fields)}), {}
        if not isinstance(body, dict):
            return self.error(400, "invalid_params", "the request body must be a JSON object")
        if route == "video/query":
            ids = (
                (body.get("filters") or {}).get("video_ids")
                if isinstance(body.get("filters"), dict)
                else None
            )
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
                return self.error(
                    400, "invalid_params", "filters.video_ids must be a non-empty list of strings"
                )
            if len(ids) > MAX_IDS:
                return self.error(
                    400, "invalid_params", f"filters.video_ids holds at most {MAX_IDS} ids"
                )
            videos = []
            for vid in ids:
                post = w.post("tiktok", vid)
                if (
                    post is None
                    or post.account is not acct
                    or not post.visible
                    or post.created_at > w.clock.now()
                ):
                    continue
                videos.append(self._video(post, fields))
            return 200, self.envelope({"videos": videos}), {}
        max_count = body.get("max_count", 10)
        if not isinstance(max_count, int) or not 1 <= max_count <= 20:
            return self.error(400, "invalid_params", "max_count must be between 1 and 20")
        cursor = body.get("cursor")
        if cursor is not None and not isinstance(cursor, int):
            return self.error(400, "invalid_params", "cursor must be a UTC timestamp in ms")
        posts = w.posts_of(acct)
        if cursor is not None:
            posts = [p for p in posts if int(p.created_at.timestamp() * 1000) < cursor]
        page = posts[:max_count]
        more = len(posts) > len(page)
        nxt = int(page[-1].created_at.timestamp() * 1000) if page else (cursor or 0)
        return (
            200,
            self.envelope(
                {"videos": [self._video(p, fields) for p in page], "cursor": nxt, "has_more": more}
            ),
            {},
        )

    def _user(self, acct: Account, fields: list[str]) -> dict[str, Any]:
        now = self.world.clock.now()
        posts = self.world.posts_of(acct)
        vals: dict[str, Any] = {
            "open_id": acct.user_id,
            "union_id": "u-" + acct.user_id[:18],
            "avatar_url": f"https://p16-sign.tiktokcdn.com/{acct.handle}.jpeg",
            "display_name": acct.name,
            "username": acct.handle,
            "bio_description": "Perpustakaan umum",
            "is_verified": False,
            "profile_deep_link": f"https://vm.tiktok.com/{acct.handle}",
            "follower_count": acct.followers(now),
            "following_count": 120,
            "likes_count": sum(p.counts(now)["likes"] for p in posts),
            "video_count": len(posts),
        }
        return {f: vals[f] for f in fields if f in vals}

    def _video(self, post: Post, fields: list[str]) -> dict[str, Any]:
        c = post.counts(self.world.clock.now())
        vals: dict[str, Any] = {
            "id": post.post_id,
            "create_time": int(post.created_at.timestamp()),
            "share_url": post.url,
            "title": post.caption[:150],
            "video_description": post.caption,
            "duration": 42,
            "height": 1920,
            "width": 1080,
            "like_count": c["likes"],
            "comment_count": c["comments"],
            "share_count": c["shares"],
            "view_count": c["views"],
            "cover_image_url": f"https://p16-sign.tiktokcdn.com/{post.post_id}.jpeg",
            "embed_link": f"https://www.tiktok.com/player/v1/{post.post_id}",
        }
        if post.malformed:
            vals["view_count"] = "n/a"
        out = {f: vals[f] for f in fields if f in vals}
        out.setdefault("id", post.post_id)
        return out


__all__ = ["TikTokHandler"]
