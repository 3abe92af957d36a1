"""Fake Meta Graph API (Instagram with Facebook Login + Facebook Pages), served under
``/graph/<version>/``.

Endpoints: ``GET /{id}`` (IG user with ``business_discovery`` field expansion, IG media, Page,
Page video), ``GET /{ig-user-id}/media``, ``GET /{ig-media-id}/insights``,
``GET /{video-id}/video_insights``, ``GET /{page-id}/video_reels`` and ``POST /`` batch requests.
Tokens are read from ``Authorization: Bearer``/``OAuth`` or the ``access_token`` parameter.
Errors use the documented envelope; throttles count every batch operation and answer codes
4 (app), 80002 (Instagram account) or 80001 (Page), with ``X-App-Usage`` and
``X-Business-Use-Case-Usage`` headers once enough calls were made.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from fakeplatform.common import (
    bearer,
    decode_cursor,
    encode_cursor,
    json_response,
    malformed_body,
    slow,
)
from fakeplatform.faults import FaultRule
from fakeplatform.world import Account, Post, World

BATCH_MAX = 50
RETIRED_IG_METRICS = frozenset(
    {
        "plays",
        "impressions",
        "clips_replays_count",
        "ig_reels_aggregated_all_plays_count",
        "video_views",
        "engagement",
    }
)
IG_METRICS = {
    "REELS": (
        "views",
        "reach",
        "likes",
        "comments",
        "shares",
        "saved",
        "total_interactions",
        "reposts",
        "ig_reels_avg_watch_time",
        "ig_reels_video_view_total_time",
    ),
    "FEED": (
        "views",
        "reach",
        "likes",
        "comments",
        "shares",
        "saved",
        "total_interactions",
        "reposts",
        "follows",
        "profile_visits",
        "profile_activity",
    ),
}
ALL_IG_METRICS = sorted({m for ms in IG_METRICS.values() for m in ms})
FB_REEL_METRICS = (
    "blue_reels_play_count",
    "fb_reels_total_plays",
    "fb_reels_replay_count",
    "post_impressions_unique",
    "post_total_media_view_unique",
    "post_video_avg_time_watched",
    "post_video_view_time",
    "post_video_social_actions",
    "post_video_likes_by_reaction_type",
    "post_video_followers",
)
FB_VIDEO_METRICS = (
    "total_video_views",
    "total_video_views_unique",
    "total_video_impressions_unique",
    "total_video_reactions_by_type_total",
    "total_video_stories_by_action_type",
    "total_video_avg_time_watched",
)


def graph_error(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    transient: bool | None = None,
    user_title: str | None = None,
    user_msg: str | None = None,
) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    if transient is not None:
        err["is_transient"] = transient
    if user_title:
        err["error_user_title"] = user_title
    if user_msg:
        err["error_user_msg"] = user_msg
    err["fbtrace_id"] = "A" + secrets.token_urlsafe(9)
    return {"error": err}


def missing_object(obj_id: str) -> tuple[int, dict[str, Any]]:
    return 400, graph_error(
        100,
        f"Unsupported get request. Object with ID '{obj_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        subcode=33,
    )


# ---- field expansion ---------------------------------------------------------------------
@dataclass
class Field:
    name: str
    mods: dict[str, str]
    children: list[Field] | None


def parse_fields(text: str) -> list[Field]:
    """Parse Graph field expansion: ``a,b.limit(5).after(x){c,d{e}},f``."""
    pos = 0

    def parse_list(end: str | None) -> list[Field]:
        nonlocal pos
        out: list[Field] = []
        while pos < len(text):
            if end is not None and text[pos] == end:
                pos += 1
                return out
            if text[pos] == ",":
                pos += 1
                continue
            out.append(parse_one())
        if end is not None:
            raise ValueError("unbalanced braces in fields")
        return out

    def parse_one() -> Field:
        nonlocal pos
        start = pos
        while pos < len(text) and (text[pos].isalnum() or text[pos] == "_"):
            pos += 1
        name = text[start:pos]
        if not name:
            raise ValueError(f"bad fields syntax near {text[start : start + 10]!r}")
        mods: dict[str, str] = {}
        while pos < len(text) and text[pos] == ".":
            pos += 1
            s = pos
            while pos < len(text) and text[pos] != "(":
                pos += 1
            mod = text[s:pos]
            close = text.find(")", pos)
            if close < 0:
                raise ValueError("unbalanced parentheses in fields")
            mods[mod] = text[pos + 1 : close]
            pos = close + 1
        children = None
        if pos < len(text) and text[pos] == "{":
            pos += 1
            children = parse_list("}")
        return Field(name, mods, children)

    return parse_list(None)


def _ts(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    endpoint: str
    headers: dict[str, str]


class GraphHandler:
    api = "graph"

    def __init__(self, world: World, base_url: Callable[[], str]) -> None:
        self.world = world
        self.base_url = base_url

    # ---- credentials -------------------------------------------------------------------------
    def _token(self, request: Request, form: MultiDict[str, str] | None = None) -> str | None:
        return (
            bearer(request)
            or request.args.get("access_token")
            or (form.get("access_token") if form is not None else None)
        )

    def _label(self, token: str | None) -> str | None:
        acct = self.world.account_by_token(token)
        if acct is None:
            return "unknown" if token else None
        return "committee" if acct is self.world.committee else acct.label

    def _auth(self, token: str | None) -> tuple[Account | None, tuple[int, dict[str, Any]] | None]:
        if not token:
            return None, (
                400,
                graph_error(104, "An access token is required to request this resource."),
            )
        acct = self.world.account_by_token(token)
        if acct is None:
            return None, (
                400,
                graph_error(190, "Invalid OAuth access token - Cannot parse access token"),
            )
        if acct.token_state == "expired":
            now = self.world.clock.now()
            return None, (
                400,
                graph_error(
                    190,
                    "Error validating access token: Session has expired on "
                    f"{now:%A, %d-%b-%y %H:%M:%S} PDT. The current time is "
                    f"{now:%A, %d-%b-%y %H:%M:%S} PDT.",
                    subcode=463,
                ),
            )
        if acct.token_state == "revoked":
            return None, (
                400,
                graph_error(
                    190,
                    "Error validating access token: The user has not authorized application "
                    "1234567890.",
                    subcode=458,
                ),
            )
        return acct, None

    # ---- throttling --------------------------------------------------------------------------
    def _throttle(self, acct: Account) -> tuple[tuple[int, dict[str, Any]] | None, dict[str, str]]:
        f = self.world.faults
        app_n, _ = self.world.bump(("graph", "app"), 3600)
        acc_n, left = self.world.bump(("graph", acct.user_id), 3600)
        headers: dict[str, str] = {}
        over_app = app_n > f.graph_app_calls_per_hour
        over_acc = acc_n > f.graph_account_calls_per_hour
        if f.usage_headers and (app_n >= f.usage_headers_after or over_app):
            app_pct = min(100, app_n * 100 // max(1, f.graph_app_calls_per_hour))
            headers["X-App-Usage"] = json.dumps(
                {"call_count": app_pct, "total_cputime": app_pct // 2, "total_time": app_pct // 2}
            )
        if f.usage_headers and (acc_n >= f.usage_headers_after or over_acc or over_app):
            pct = min(100, acc_n * 100 // max(1, f.graph_account_calls_per_hour))
            kind = "instagram" if acct.platform == "instagram" else "pages"
            eta = (left + 59) // 60 if over_acc else 0
            headers["X-Business-Use-Case-Usage"] = json.dumps(
                {
                    acct.user_id: [
                        {
                            "type": kind,
                            "call_count": pct,
                            "total_cputime": pct // 3,
                            "total_time": pct // 3,
                            "estimated_time_to_regain_access": eta,
                        }
                    ]
                }
            )
        if over_app:
            return (
                400,
                graph_error(4, "(#4) Application request limit reached", transient=True),
            ), headers
        if over_acc:
            if acct.platform == "instagram":
                return (
                    400,
                    graph_error(
                        80002,
                        "(#80002) There have been too many calls to this Instagram account. "
                        "Wait a bit and try again.",
                        subcode=2446079,
                        transient=True,
                    ),
                ), headers
            return (
                400,
                graph_error(
                    80001,
                    "(#80001) There have been too many calls to this Page account. Wait a "
                    "bit and try again.",
                    transient=True,
                ),
            ), headers
        return None, headers

    # ---- faults ------------------------------------------------------------------------------
    def _fault_answer(self, rule: FaultRule) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        if rule.kind == "server_error":
            return (
                rule.status or 500,
                graph_error(
                    2,
                    "An unexpected error has occurred. Please retry your request later.",
                    transient=True,
                ),
                {},
            )
        if rule.kind == "rate_limit":
            if rule.code is None:
                hdr = {"Retry-After": str(rule.retry_after)} if rule.retry_after else {}
                return (
                    rule.status or 429,
                    graph_error(4, "(#4) Application request limit reached", transient=True),
                    hdr,
                )
            return (
                rule.status or 400,
                graph_error(
                    int(rule.code),
                    rule.message or f"({rule.code}) rate limit reached",
                    subcode=rule.subcode,
                    transient=True,
                ),
                {},
            )
        if rule.kind == "graph_error":
            return (
                rule.status or 400,
                graph_error(
                    int(rule.code or 100), rule.message or "Injected error", subcode=rule.subcode
                ),
                {},
            )
        if rule.kind == "quota":
            return 400, graph_error(4, "(#4) Application request limit reached"), {}
        return None

    # ---- entry point -------------------------------------------------------------------------
    def serves(self, request: Request, path: str) -> bool:
        """Whether this module answers the request (else the publishing side may)."""
        rest = path.partition("/")[2].strip("/")
        if request.method == "POST":
            return rest in ("", "me")
        if request.method != "GET":
            return False
        endpoint = self._endpoint(rest, request.args)
        if endpoint == "graph.other":
            return False
        if endpoint == "graph.user_media":
            return self.world.account("instagram", rest.split("/")[0]) is not None
        return True

    def handle(self, request: Request, path: str) -> Response:
        """Answer a Graph request (``path`` starts with the version)."""
        w = self.world
        _version, _, rest = path.partition("/")
        rest = rest.strip("/")
        slow(w, w.faults.latency)
        if request.method == "POST" and rest in ("", "me"):
            return self._batch(request)
        token = self._token(request)
        if request.method != "GET":
            body = graph_error(100, f"Unsupported {request.method.lower()} request.")
            w.calls.record(
                api="graph",
                endpoint="graph.other",
                credential=self._label(token),
                status=400,
                world_time=w.clock.now(),
            )
            return json_response(body, 400)
        endpoint = self._endpoint(rest, request.args)
        cred = self._label(token)
        rule = w.faults.take(endpoint, cred)
        fault = rule.kind if rule else None
        if rule is not None and rule.kind == "timeout":
            slow(w, rule.delay)
        if rule is not None and rule.kind == "malformed":
            resp = Response(
                malformed_body(request), status=rule.status or 200, content_type="text/html"
            )
            w.calls.record(
                api="graph",
                endpoint=endpoint,
                credential=cred,
                status=resp.status_code,
                world_time=w.clock.now(),
                fault=fault,
            )
            return resp
        fa = self._fault_answer(rule) if rule is not None else None
        if fa is not None:
            status, body, hdr = fa
            w.calls.record(
                api="graph",
                endpoint=endpoint,
                credential=cred,
                status=status,
                world_time=w.clock.now(),
                fault=fault,
            )
            return json_response(body, status, hdr)
        ans = self.get(rest, request.args, token)
        w.calls.record(
            api="graph",
            endpoint=ans.endpoint,
            credential=cred,
            status=ans.status,
            world_time=w.clock.now(),
            fault=fault,
        )
        return json_response(ans.body, ans.status, ans.headers)

    def _endpoint(self, rest: str, args: MultiDict[str, str]) -> str:
        parts = rest.split("/")
        if len(parts) == 2:
            return {
                "media": "graph.user_media",
                "insights": "graph.insights",
                "video_insights": "graph.video_insights",
                "video_reels": "graph.video_reels",
            }.get(parts[1], "graph.other")
        if len(parts) == 1 and parts[0]:
            w = self.world
            oid = parts[0]
            if w.account("instagram", oid):
                return (
                    "graph.business_discovery"
                    if "business_discovery" in args.get("fields", "")
                    else "graph.user"
                )
            if w.account("facebook", oid):
                return "graph.page"
            if w.post_by_media("instagram", oid):
                return "graph.media"
            if w.post_by_media("facebook", oid):
                return "graph.video"
        return "graph.other"

    # ---- reads (top level and batch operations) ----------------------------------------------
    def get(self, rest: str, args: MultiDict[str, str], token: str | None) -> Answer:
        endpoint = self._endpoint(rest, args)
        acct, err = self._auth(token)
        if err is not None or acct is None:
            status, body = err or (400, graph_error(190, "Invalid OAuth access token"))
            return Answer(status, body, endpoint, {})
        throttled, headers = self._throttle(acct)
        if throttled is not None:
            return Answer(throttled[0], throttled[1], endpoint, headers)
        try:
            status, body = self._read(rest, args, acct, endpoint)
        except ValueError as exc:
            status, body = 400, graph_error(100, f"(#100) {exc}")
        return Answer(status, body, endpoint, headers)

    def _read(
        self, rest: str, args: MultiDict[str, str], acct: Account, endpoint: str
    ) -> tuple[int, dict[str, Any]]:
        w = self.world
        parts = rest.split("/")
        oid = parts[0]
        if not oid:
            return 400, graph_error(100, "(#100) Missing object id")
        fields = parse_fields(args.get("fields", "")) if args.get("fields") else []
        now = w.clock.now()
        if endpoint == "graph.user" or endpoint == "graph.business_discovery":
            user = w.account("instagram", oid)
            if user is None or user is not acct:
                return missing_object(oid)
            if endpoint == "graph.business_discovery":
                return self._discovery(acct, fields)
            return 200, self._user_fields(user, fields or [Field("id", {}, None)], now)
        if endpoint == "graph.page":
            page = w.account("facebook", oid)
            if page is None or page is not acct:
                return missing_object(oid)
            vals = {
                "id": page.user_id,
                "name": page.name,
                "followers_count": page.followers(now),
                "fan_count": int(page.followers(now) * 0.9),
            }
            return 200, _pick(vals, fields)
        if endpoint in ("graph.media", "graph.video"):
            post = w.post_by_media("instagram" if endpoint == "graph.media" else "facebook", oid)
            if post is None or post.account is not acct or not post.visible:
                return missing_object(oid)
            return 200, _pick(self._media_values(post, now, direct=True), fields)
        if endpoint == "graph.user_media":
            user = w.account("instagram", oid)
            if user is None or user is not acct:
                return missing_object(oid)
            return self._listing(user, args, fields, now, f"{oid}/media", cap=100)
        if endpoint == "graph.video_reels":
            page = w.account("facebook", oid)
            if page is None or page is not acct:
                return missing_object(oid)
            reels = [p for p in w.posts_of(page) if p.kind == "reel"]
            return self._listing(
                page, args, fields, now, f"{oid}/video_reels", cap=100, posts=reels
            )
        if endpoint == "graph.insights":
            post = w.post_by_media("instagram", oid)
            if post is None or post.account is not acct or not post.visible:
                return missing_object(oid)
            return self._ig_insights(post, args, now)
        if endpoint == "graph.video_insights":
            post = w.post_by_media("facebook", oid)
            if post is None or post.account is not acct or not post.visible:
                return missing_object(oid)
            return self._fb_insights(post, args, now)
        return missing_object(oid)

    def _user_fields(self, user: Account, fields: list[Field], now: datetime) -> dict[str, Any]:
        vals = {
            "id": user.user_id,
            "username": user.handle,
            "name": user.name,
            "followers_count": user.followers(now),
            "follows_count": 150,
            "media_count": len(self.world.posts_of(user)),
            "biography": "Perpustakaan umum",
        }
        return _pick(vals, fields)

    def _media_values(
        self, post: Post, now: datetime, *, direct: bool, discovery: bool = False
    ) -> dict[str, Any]:
        c = post.counts(now)
        if post.platform == "facebook":
            return {
                "id": post.media_id,
                "title": post.caption[:60],
                "description": post.caption,
                "created_time": _ts(post.created_at),
                "permalink_url": post.url,
                "length": 42.5,
            }
        vals: dict[str, Any] = {
            "id": post.media_id,
            "caption": post.caption,
            "comments_count": c["comments"],
            "like_count": c["likes"],
            "media_type": "VIDEO" if post.kind == "REELS" else "IMAGE",
            "media_product_type": post.kind,
            "permalink": post.url,
            "shortcode": post.post_id,
            "timestamp": _ts(post.created_at),
            "username": post.account.handle,
            "is_shared_to_feed": True,
        }
        if discovery:
            vals["view_count"] = c["views"]
            vals.pop("shortcode")
        if post.likes_hidden and not direct:
            vals.pop("like_count")
        if post.malformed:
            vals["like_count"] = "many"
        return vals

    def _listing(
        self,
        owner: Account,
        args: MultiDict[str, str],
        fields: list[Field],
        now: datetime,
        path: str,
        *,
        cap: int,
        posts: list[Post] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        items = posts if posts is not None else self.world.posts_of(owner)
        try:
            limit = min(cap, max(1, int(args.get("limit", "25"))))
        except ValueError:
            return 400, graph_error(100, "(#100) Param limit must be a number")
        offset = decode_cursor(args.get("after"))
        if offset is None:
            return 400, graph_error(100, "(#100) Invalid cursor", subcode=1349174)
        page = items[offset : offset + limit]
        data = [_pick(self._media_values(p, now, direct=False), fields) for p in page]
        body: dict[str, Any] = {"data": data}
        if page:
            body["paging"] = self._paging(path, args, offset, len(page), len(items), limit)
        return 200, body

    def _paging(
        self, path: str, args: MultiDict[str, str], offset: int, n: int, total: int, limit: int
    ) -> dict[str, Any]:
        base = f"{self.base_url()}/{path}?fields={args.get('fields', '')}&limit={limit}"
        paging: dict[str, Any] = {
            "cursors": {"before": encode_cursor(offset), "after": encode_cursor(offset + n)}
        }
        if offset + n < total:
            # Real Graph next links carry the access token; so does ours.
            paging["next"] = f"{base}&after={encode_cursor(offset + n)}&access_token=TOKEN"
        if offset > 0:
            paging["previous"] = f"{base}&before={encode_cursor(offset)}"
        return paging

    def _discovery(self, acct: Account, fields: list[Field]) -> tuple[int, dict[str, Any]]:
        w = self.world
        bd_field = next(f for f in fields if f.name == "business_discovery")
        username = bd_field.mods.get("username", "")
        target = w.account_by_handle("instagram", username)
        if target is None or not target.professional:
            return 400, graph_error(
                110,
                "Invalid user id",
                subcode=2207013,
                user_title="Cannot find User",
                user_msg=f"The user with username: {username} cannot be found.",
            )
        now = w.clock.now()
        out: dict[str, Any] = {}
        for f in bd_field.children or [Field("id", {}, None)]:
            if f.name == "media":
                try:
                    limit = min(50, max(1, int(f.mods.get("limit", "25"))))
                except ValueError:
                    return 400, graph_error(100, "(#100) Param limit must be a number")
                offset = decode_cursor(f.mods.get("after"))
                if offset is None:
                    return 400, graph_error(100, "(#100) Invalid cursor")
                posts = w.posts_of(target)
                page = posts[offset : offset + limit]
                media: dict[str, Any] = {
                    "data": [
                        _pick(
                            self._media_values(p, now, direct=False, discovery=True),
                            f.children or [],
                        )
                        for p in page
                    ]
                }
                if page:
                    paging: dict[str, Any] = {
                        "cursors": {
                            "before": encode_cursor(offset),
                            "after": encode_cursor(offset + len(page)),
                        }
                    }
                    if offset + len(page) < len(posts):
                        paging["next"] = (
                            f"{self.base_url()}/{acct.user_id}?fields=business_"
                            f"discovery&after={encode_cursor(offset + len(page))}"
                        )
                    media["paging"] = paging
                out["media"] = media
            else:
                out.update(self._user_fields(target, [f], now))
        out.setdefault("id", target.user_id)
        return 200, {"business_discovery": out, "id": acct.user_id}

    def _ig_insights(
        self, post: Post, args: MultiDict[str, str], now: datetime
    ) -> tuple[int, dict[str, Any]]:
        raw = args.get("metric", "")
        if not raw:
            return 400, graph_error(100, "(#100) The parameter metric is required")
        metrics = [m.strip() for m in raw.split(",") if m.strip()]
        supported = IG_METRICS["REELS" if post.kind == "REELS" else "FEED"]
        refused = self.world.faults.ig_refused_metrics
        for i, m in enumerate(metrics):
            if m in RETIRED_IG_METRICS:
                return 400, graph_error(
                    100,
                    f"(#100) Starting from version v22.0 and above, the {m} metric is no "
                    "longer supported for Instagram Media objects. Please use views metric "
                    "instead.",
                )
            if m not in ALL_IG_METRICS:
                return 400, graph_error(
                    100,
                    f"(#100) metric[{i}] must be one of the following values: "
                    + ", ".join(ALL_IG_METRICS),
                )
            if m not in supported or m in refused:
                return 400, graph_error(
                    100,
                    f"(#100) The Media Insights API does not support the {m} metric for "
                    "this media product type",
                )
        if post.insights_empty:
            return 200, {"data": []}
        c = post.counts(now)
        values = {
            "views": c["views"],
            "reach": c["reach"],
            "likes": c["likes"],
            "comments": c["comments"],
            "shares": c["shares"],
            "saved": c["saves"],
            "total_interactions": c["likes"] + c["comments"] + c["shares"] + c["saves"],
            "reposts": c["shares"] // 4,
            "ig_reels_avg_watch_time": 6200,
            "ig_reels_video_view_total_time": c["views"] * 6200,
            "follows": 0,
            "profile_visits": c["reach"] // 50,
            "profile_activity": c["reach"] // 60,
        }
        data = []
        for m in metrics:
            value: Any = values[m]
            if post.malformed and m == "views":
                value = "NaN"
            data.append(
                {
                    "name": m,
                    "period": "lifetime",
                    "values": [{"value": value}],
                    "title": m.replace("_", " ").capitalize(),
                    "description": f"Lifetime {m.replace('_', ' ')} of the media",
                    "id": f"{post.media_id}/insights/{m}/lifetime",
                }
            )
        return 200, {"data": data}

    def _fb_insights(
        self, post: Post, args: MultiDict[str, str], now: datetime
    ) -> tuple[int, dict[str, Any]]:
        raw = args.get("metric", "")
        if not raw:
            return 400, graph_error(
                3001,
                "No metric was specified to be fetched. Please specify one or more metrics",
                subcode=1504028,
            )
        period = args.get("period", "lifetime")
        if period not in ("lifetime", "day", "week", "days_28", "month", "total_over_range"):
            return 400, graph_error(
                100,
                "(#100) period must be one of the following values: "
                "day, week, days_28, month, lifetime, total_over_range",
            )
        metrics = [m.strip() for m in raw.split(",") if m.strip()]
        supported = FB_REEL_METRICS if post.kind == "reel" else FB_VIDEO_METRICS
        if any(m not in supported for m in metrics):
            return 400, graph_error(100, "(#100) The value must be a valid insights metric")
        if post.insights_empty:
            return 200, {"data": []}
        c = post.counts(now)
        love = c["likes"] // 5
        values: dict[str, Any] = {
            "blue_reels_play_count": c["views"],
            "fb_reels_total_plays": int(c["views"] * 1.15),
            "fb_reels_replay_count": int(c["views"] * 0.15),
            "post_impressions_unique": c["reach"],
            "post_total_media_view_unique": c["reach"],
            "post_video_avg_time_watched": 7100,
            "post_video_view_time": c["views"] * 7100,
            "post_video_social_actions": {
                k: v for k, v in (("COMMENT", c["comments"]), ("SHARE", c["shares"])) if v
            },
            "post_video_likes_by_reaction_type": {
                k: v
                for k, v in (("REACTION_LIKE", c["likes"] - love), ("REACTION_LOVE", love))
                if v
            },
            "post_video_followers": c["reach"] // 100,
            "total_video_views": c["views"],
            "total_video_views_unique": c["reach"],
            "total_video_impressions_unique": c["reach"],
            "total_video_reactions_by_type_total": {
                k: v for k, v in (("like", c["likes"] - love), ("love", love)) if v
            },
            "total_video_stories_by_action_type": {
                k: v
                for k, v in (
                    ("share", c["shares"]),
                    ("like", c["likes"]),
                    ("comment", c["comments"]),
                )
                if v
            },
            "total_video_avg_time_watched": 7100,
        }
        data = []
        for m in metrics:
            value = values[m]
            if post.malformed and m in ("blue_reels_play_count", "total_video_views"):
                value = "NaN"
            data.append(
                {
                    "name": m,
                    "period": "lifetime",
                    "values": [{"value": value}],
                    "title": f"Lifetime {m.replace('_', ' ')}",
                    "description": f"Lifetime: {m.replace('_', ' ')} of the video",
                    "id": f"{post.media_id}/video_insights/{m}/lifetime",
                }
            )
        return 200, {"data": data, "paging": {"previous": "", "next": ""}}

    # ---- batch -------------------------------------------------------------------------------
    def _batch(self, request: Request) -> Response:
        w = self.world
        form = request.form
        token = self._token(request, form)
        cred = self._label(token)
        raw = form.get("batch") or request.args.get("batch")
        endpoint = "graph.batch"
        rule = w.faults.take(endpoint, cred)
        fault = rule.kind if rule else None
        if rule is not None and rule.kind == "timeout":
            slow(w, rule.delay)
        if rule is not None and rule.kind == "malformed":
            w.calls.record(
                api="graph",
                endpoint=endpoint,
                credential=cred,
                status=200,
                world_time=w.clock.now(),
                fault=fault,
            )
            return Response(malformed_body(request), status=200, content_type="text/html")
        fa = self._fault_answer(rule) if rule is not None else None
        if fa is not None:
            w.calls.record(
                api="graph",
                endpoint=endpoint,
                credential=cred,
                status=fa[0],
                world_time=w.clock.now(),
                fault=fault,
            )
            return json_response(fa[1], fa[0], fa[2])
        try:
            ops = json.loads(raw) if raw else None
        except ValueError:
            ops = None
        if not isinstance(ops, list) or not ops:
            w.calls.record(
                api="graph",
                endpoint=endpoint,
                credential=cred,
                status=400,
                world_time=w.clock.now(),
            )
            return json_response(
                graph_error(100, "(#100) The parameter batch is required and must be a JSON array"),
                400,
            )
        if len(ops) > BATCH_MAX:
            w.calls.record(
                api="graph",
                endpoint=endpoint,
                credential=cred,
                status=400,
                world_time=w.clock.now(),
                items=len(ops),
            )
            body = {
                "error": {
                    "message": "Too many requests in batch message. Maximum batch size is 50",
                    "type": "GraphBatchException",
                    "code": 100,
                    "fbtrace_id": "A" + secrets.token_urlsafe(9),
                }
            }
            return json_response(body, 400)
        _, token_err = self._auth(token)
        if token_err is not None:
            w.calls.record(
                api="graph",
                endpoint=endpoint,
                credential=cred,
                status=token_err[0],
                world_time=w.clock.now(),
                items=len(ops),
            )
            return json_response(token_err[1], token_err[0])
        include_headers = form.get("include_headers", "true") != "false"
        results: list[Any] = []
        last_headers: dict[str, str] = {}
        for op in ops:
            results.append(self._operation(op, token, cred, include_headers, last_headers))
        w.calls.record(
            api="graph",
            endpoint=endpoint,
            credential=cred,
            status=200,
            world_time=w.clock.now(),
            items=len(ops),
            fault=fault,
        )
        return json_response(results, 200, last_headers)

    def _operation(
        self,
        op: Any,
        token: str | None,
        cred: str | None,
        include_headers: bool,
        last_headers: dict[str, str],
    ) -> Any:
        w = self.world
        if not isinstance(op, dict) or not isinstance(op.get("relative_url"), str):
            return {
                "code": 400,
                "body": json.dumps(graph_error(100, "(#100) relative_url is required")),
            }
        method = str(op.get("method", "GET")).upper()
        url = urlsplit(op["relative_url"])
        args: MultiDict[str, str] = MultiDict(
            [(k, v) for k, vs in parse_qs(url.query).items() for v in vs]
        )
        rest = url.path.strip("/")
        # A relative URL may start with a version ("v25.0/123"): drop it.
        if rest.startswith("v") and "/" in rest and rest.split("/", 1)[0][1:2].isdigit():
            rest = rest.split("/", 1)[1]
        op_token = args.get("access_token") or token
        endpoint = self._endpoint(rest, args)
        rule = w.faults.take(endpoint, cred, random_ok=False)
        if rule is not None and rule.kind == "batch_null":
            w.calls.record(
                api="graph",
                endpoint=endpoint,
                credential=cred,
                status=0,
                world_time=w.clock.now(),
                operation=True,
                fault=rule.kind,
            )
            return None
        if rule is not None and rule.kind == "malformed":
            w.calls.record(
                api="graph",
                endpoint=endpoint,
                credential=cred,
                status=200,
                world_time=w.clock.now(),
                operation=True,
                fault=rule.kind,
            )
            return {"code": 200, "body": '{"id": "1", "like_count": '}
        fa = self._fault_answer(rule) if rule is not None else None
        headers: dict[str, str] = {}
        if method != "GET":
            status, body = 400, graph_error(100, "Unsupported request")
        elif fa is not None:
            status, body, headers = fa
        else:
            ans = self.get(rest, args, op_token)
            status, body, headers, endpoint = ans.status, ans.body, ans.headers, ans.endpoint
        last_headers.update(headers)
        w.calls.record(
            api="graph",
            endpoint=endpoint,
            credential=cred,
            status=status,
            world_time=w.clock.now(),
            operation=True,
            fault=rule.kind if rule else None,
        )
        item: dict[str, Any] = {"code": status, "body": json.dumps(body)}
        if include_headers:
            item["headers"] = [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}]
            item["headers"] += [{"name": k, "value": v} for k, v in headers.items()]
        return item


def _pick(values: dict[str, Any], fields: list[Field]) -> dict[str, Any]:
    """The requested fields that exist (Graph omits unknown or unavailable ones)."""
    if not fields:
        return {"id": values["id"]} if "id" in values else {}
    out = {f.name: values[f.name] for f in fields if f.name in values}
    if "id" in values:
        out.setdefault("id", values["id"])
    return out


__all__ = ["GraphHandler", "parse_fields"]
