"""Fake TikTok Content Posting API (Direct Post): creator info, init, chunk upload, status.

Every answer carries the envelope ``{"data": ..., "error": {"code": "ok", ...}}``. FILE_UPLOAD
posts appear once the last chunk arrives; PULL_FROM_URL posts as soon as init is accepted.
status/fetch answers PROCESSING_UPLOAD / PROCESSING_DOWNLOAD for ``processing_polls`` reads,
then PUBLISH_COMPLETE with ``publicaly_available_post_id`` (TikTok's spelling), or FAILED with
a fail_reason for refused media. The creator's daily cap answers spam_risk_too_many_posts.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fakeplatform.publish_common import Handler, as_json, bearer, root
from fakeplatform.publish_world import Job, PubAccount, PublishWorld

KIND = "tt_publish"
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def envelope(data: Any = None, code: str = "ok", message: str = "", status: int = 200) -> Response:
    return as_json(
        {
            "data": data if data is not None else {},
            "error": {"code": code, "message": message, "log_id": "20261123000000FAKE0001"},
        },
        status,
    )


def _account(world: PublishWorld, request: Request) -> PubAccount | None:
    return world.account_for(bearer(request), "tiktok")


def unauthorized() -> Response:
    return envelope(
        code="access_token_invalid",
        message="The access token is invalid or not found in the request.",
        status=401,
    )


def creator_info(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    world.count("tiktok.creator_info")
    acct = _account(world, request)
    if acct is None:
        return unauthorized()
    return envelope(
        {
            "creator_avatar_url": "https://p16.example/avatar.jpeg",
            "creator_username": acct.handle,
            "creator_nickname": acct.handle,
            "privacy_level_options": list(acct.privacy_options),
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": False,
            "max_video_post_duration_sec": acct.max_duration_s,
        }
    )


def _publish(world: PublishWorld, job: Job) -> None:
    if world.rejected("tiktok", job.media_url, job.caption):
        job.state = "FAILED"
        job.extra["fail_reason"] = "file_format_check_failed"
        return
    post_id = world.digits(19)
    world.publish(job, post_id, f"https://www.tiktok.com/@{job.account.handle}/video/{post_id}")
    job.polls = 0


def video_init(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    world.count("tiktok.video.init")
    acct = _account(world, request)
    if acct is None:
        return unauthorized()
    body = request.get_json(silent=True) or {}
    post_info = body.get("post_info") or {}
    source = body.get("source_info") or {}
    title = str(post_info.get("title", ""))
    if len(title.encode("utf-16-le")) // 2 > 2200:
        return envelope(code="invalid_params", message="title is too long", status=400)
    if post_info.get("privacy_level") not in acct.privacy_options:
        return envelope(
            code="privacy_level_option_mismatch",
            message="privacy_level is not one of the creator's options",
            status=400,
        )
    if world.limit_reached(acct):
        return envelope(
            code="spam_risk_too_many_posts",
            message="The daily post cap from the API is reached for the current user.",
            status=403,
        )
    kind = source.get("source")
    seq = world.digits(12)
    if kind == "FILE_UPLOAD":
        size = int(source.get("video_size") or 0)
        chunk = int(source.get("chunk_size") or 0)
        count = int(source.get("total_chunk_count") or 0)
        if size <= 0 or chunk <= 0 or count < 1 or count != max(1, size // chunk):
            return envelope(code="invalid_params", message="bad chunk parameters", status=400)
        publish_id = f"v_pub_file~v2.{seq}"
        world.new_job(
            KIND,
            publish_id,
            acct,
            caption=title,
            size=size,
            state="PROCESSING_UPLOAD",
            extra={"source": kind},
        )
        return envelope(
            {"publish_id": publish_id, "upload_url": f"{root(request)}/tiktok-upload/{publish_id}"}
        )
    if kind == "PULL_FROM_URL":
        url = str(source.get("video_url") or "")
        if not url.startswith(("http://", "https://")):
            return envelope(code="invalid_params", message="video_url is not a URL", status=400)
        publish_id = f"v_pub_url~v2.{seq}"
        job = world.new_job(
            KIND,
            publish_id,
            acct,
            caption=title,
            media_url=url,
            state="PROCESSING_DOWNLOAD",
            extra={"source": kind},
        )
        with world.lock:
            _publish(world, job)
        return envelope({"publish_id": publish_id})
    return envelope(code="invalid_params", message="unknown source", status=400)


def upload_chunk(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    world.count("tiktok.upload")
    job = world.jobs.get(values["publish_id"])
    if job is None or job.kind != KIND:
        return Response("no such upload", status=404)
    m = _RANGE.match(request.headers.get("Content-Range", ""))
    data = request.get_data()
    if m is None:
        return Response("Content-Range required", status=400)
    first, last, total = (int(g) for g in m.groups())
    with world.lock:
        if total != job.size or len(data) != last - first + 1 or first > job.received:
            return Response("chunk does not fit", status=400)
        job.received = max(job.received, last + 1)
        if job.received >= job.size and job.result is None and job.state == "PROCESSING_UPLOAD":
            _publish(world, job)
        complete = job.received >= job.size
    return Response(status=201 if complete else 206)


def status_fetch(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    world.count("tiktok.status.fetch")
    acct = _account(world, request)
    if acct is None:
        return unauthorized()
    body = request.get_json(silent=True) or {}
    job = world.jobs.get(str(body.get("publish_id", "")))
    if job is None or job.kind != KIND or job.account is not acct:
        return envelope(code="invalid_params", message="publish_id not found", status=400)
    with world.lock:
        data: dict[str, Any] = {"publicaly_available_post_id": []}
        if job.extra.get("source") == "FILE_UPLOAD":
            data["uploaded_bytes"] = job.received
        if job.state == "FAILED":
            data.update(status="FAILED", fail_reason=job.extra.get("fail_reason"))
        elif job.result is None:
            data["status"] = job.state
        else:
            job.polls += 1
            if job.polls <= world.switches.processing_polls:
                data["status"] = job.state
            else:
                data["status"] = "PUBLISH_COMPLETE"
                data["publicaly_available_post_id"] = [int(job.result.media_id)]
    return envelope(data)


def video_list(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    world.count("tiktok.video.list")
    acct = _account(world, request)
    if acct is None:
        return unauthorized()
    posts = sorted(world.posts_of(acct.account_id), key=lambda p: p.created_at, reverse=True)
    videos = [
        {
            "id": p.media_id,
            "title": p.caption,
            "create_time": int(p.created_at.timestamp()),
            "share_url": p.permalink,
        }
        for p in posts[:20]
    ]
    return envelope({"videos": videos, "cursor": 0, "has_more": False})


RULES = [
    Rule("/v2/post/publish/creator_info/query/", methods=["POST"], endpoint="tt.creator"),
    Rule("/v2/post/publish/video/init/", methods=["POST"], endpoint="tt.init"),
    Rule("/v2/post/publish/status/fetch/", methods=["POST"], endpoint="tt.status"),
    Rule("/v2/video/list/", methods=["POST"], endpoint="tt.list"),
    Rule("/tiktok-upload/<publish_id>", methods=["PUT"], endpoint="tt.upload"),
]
HANDLERS: dict[str, Handler] = {
    "tt.creator": creator_info,
    "tt.init": video_init,
    "tt.status": status_fetch,
    "tt.list": video_list,
    "tt.upload": upload_chunk,
}
