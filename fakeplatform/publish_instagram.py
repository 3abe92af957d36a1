"""Fake Instagram content publishing: containers, their processing, media_publish, the quota.

POST /{ver}/{ig-user-id}/media -> container; GET /{ver}/{container-id}?fields=status_code
answers IN_PROGRESS for ``processing_polls`` reads, then FINISHED (ERROR for refused media,
EXPIRED when switched, PUBLISHED once published); POST /{ver}/{ig-user-id}/media_publish
publishes a FINISHED container once (a second call for the same container is refused, never a
second post); GET /{ver}/{ig-user-id}/content_publishing_limit; GET /{ver}/{ig-user-id}/media
lists what was published; GET /{ver}/{media-id}?fields=permalink,timestamp.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fakeplatform.publish_common import (
    Handler,
    as_json,
    bad_token,
    graph_error,
    params,
    token_of,
)
from fakeplatform.publish_world import Job, PublishWorld

KIND = "ig_container"


def _ts(post_time: datetime) -> str:
    return post_time.strftime("%Y-%m-%dT%H:%M:%S+0000")


def create_container(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    world.count("instagram.media.create")
    acct = world.account_for(token_of(request), "instagram")
    if acct is None or acct.account_id != values["ig_id"]:
        return bad_token()
    p = params(request)
    if p.get("media_type") != "REELS" or not p.get("video_url"):
        return graph_error("The parameter video_url is required for REELS", 100)
    caption = p.get("caption", "")
    if len(caption) > 2200:
        return graph_error("The caption is too long", 100, 2207010)
    container = world.new_job(
        KIND, world.digits(17), acct, caption=caption, media_url=p["video_url"]
    )
    container.state = "IN_PROGRESS"
    return as_json({"id": container.id})


def container_status(world: PublishWorld, job: Job) -> dict[str, Any]:
    with world.lock:
        job.polls += 1
        if job.result is not None:
            job.state = "PUBLISHED"
        elif job.id in world.switches.expire:
            job.state = "EXPIRED"
        elif job.polls > world.switches.processing_polls:
            if world.rejected("instagram", job.media_url, job.caption):
                job.state = "ERROR"
            else:
                job.state = "FINISHED"
        body: dict[str, Any] = {"status_code": job.state, "id": job.id}
        if job.state == "ERROR":
            body["status"] = "Error: The video format is not supported. (2207026)"
        return body


def read_object(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response | None:
    """GET /{ver}/{id} for a container or a published media; None: not an Instagram object."""
    oid = values["object_id"]
    job = world.jobs.get(oid)
    if job is not None and job.kind == KIND:
        world.count("instagram.container.status")
        if world.account_for(token_of(request), "instagram") is not job.account:
            return bad_token()
        return as_json(container_status(world, job))
    for post in world.published:
        if post.platform == "instagram" and post.media_id == oid:
            world.count("instagram.media.read")
            if world.account_for(token_of(request), "instagram") is None:
                return bad_token()
            return as_json(
                {"id": oid, "permalink": post.permalink, "timestamp": _ts(post.created_at)}
            )
    return None


def media_publish(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    world.count("instagram.media_publish")
    acct = world.account_for(token_of(request), "instagram")
    if acct is None or acct.account_id != values["ig_id"]:
        return bad_token()
    job = world.jobs.get(params(request).get("creation_id", ""))
    if job is None or job.kind != KIND or job.account is not acct:
        return graph_error("Media builder does not exist", 24, 2207008)
    with world.lock:
        if job.result is not None:
            return graph_error("The media has already been published", 100)
        if job.state == "EXPIRED" or job.id in world.switches.expire:
            return graph_error("The media you are trying to access has expired", -2, 2207020)
        if job.state != "FINISHED":
            return graph_error(
                "The media is not ready for publishing, please wait for a moment",
                9007,
                2207027,
                error_user_title="Media Not Ready",
            )
        if world.limit_reached(acct):
            return graph_error(
                "You reached maximum number of posts that is allowed to be published", 9, 2207042
            )
        shortcode = world.code(11)
        post = world.publish(job, world.digits(18), f"https://www.instagram.com/reel/{shortcode}/")
    return as_json({"id": post.media_id})


def publishing_limit(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    world.count("instagram.content_publishing_limit")
    acct = world.account_for(token_of(request), "instagram")
    if acct is None or acct.account_id != values["ig_id"]:
        return bad_token()
    total = world.switches.daily_limit.get("instagram", 50)
    return as_json(
        {
            "data": [
                {
                    "quota_usage": world.used_today(acct),
                    "config": {"quota_total": total, "quota_duration": 86400},
                }
            ]
        }
    )


def media_list(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    world.count("instagram.media.list")
    acct = world.account_for(token_of(request), "instagram")
    if acct is None or acct.account_id != values["ig_id"]:
        return bad_token()
    posts = sorted(world.posts_of(acct.account_id), key=lambda p: p.created_at, reverse=True)
    limit = int(request.args.get("limit", 25))
    data = [
        {
            "id": p.media_id,
            "caption": p.caption,
            "timestamp": _ts(p.created_at),
            "permalink": p.permalink,
            "media_type": "VIDEO",
            "media_product_type": "REELS",
        }
        for p in posts[:limit]
    ]
    return as_json({"data": data})


RULES = [
    Rule("/<ver>/<ig_id>/media", methods=["POST"], endpoint="ig.create"),
    Rule("/<ver>/<ig_id>/media", methods=["GET"], endpoint="ig.list"),
    Rule("/<ver>/<ig_id>/media_publish", methods=["POST"], endpoint="ig.publish"),
    Rule("/<ver>/<ig_id>/content_publishing_limit", methods=["GET"], endpoint="ig.limit"),
]
HANDLERS: dict[str, Handler] = {
    "ig.create": create_container,
    "ig.list": media_list,
    "ig.publish": media_publish,
    "ig.limit": publishing_limit,
}
