"""Fake YouTube ``videos.insert`` with the resumable upload protocol, and the video's status.

POST /upload/youtube/v3/videos?uploadType=resumable -> 200 and a session URI in ``Location``;
PUT {session} with ``Content-Range: bytes a-b/N`` and the bytes -> 308 with ``Range`` while
incomplete, 200 and the video resource when complete (the video exists from then on); PUT with
``Content-Range: bytes */N`` and no body asks how far the upload got. GET /youtube/v3/videos?
part=status&id=... answers uploadStatus "uploaded" for ``processing_polls`` reads, then
"processed" ("rejected" for refused media). The project's daily uploads: uploadLimitExceeded.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fakeplatform.publish_common import Handler, as_json, bearer, root
from fakeplatform.publish_world import Job, PublishWorld

KIND = "yt_upload"
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_QUERY = re.compile(r"^bytes \*/(\d+)$")


def yt_error(status: int, reason: str, message: str, domain: str = "youtube.video") -> Response:
    return as_json(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
            }
        },
        status,
    )


def unauthorized() -> Response:
    return yt_error(
        401, "authError", "Request had invalid authentication credentials.", domain="global"
    )


def _resource(job: Job) -> dict[str, Any]:
    assert job.result is not None or job.state == "rejected"
    vid = job.extra["video_id"]
    return {
        "kind": "youtube#video",
        "id": vid,
        "snippet": {"title": job.extra.get("title", ""), "description": job.caption},
        "status": {"uploadStatus": "uploaded", "privacyStatus": "public"},
    }


def start(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    world.count("youtube.videos.insert")
    acct = world.account_for(bearer(request), "youtube")
    if acct is None:
        return unauthorized()
    if request.args.get("uploadType") != "resumable":
        return yt_error(400, "badRequest", "only resumable uploads are served here")
    size = int(request.headers.get("X-Upload-Content-Length") or 0)
    meta = request.get_json(silent=True) or {}
    snippet = meta.get("snippet") or {}
    title = str(snippet.get("title") or "")
    if not title or len(title) > 100 or "<" in title or ">" in title:
        return yt_error(400, "invalidTitle", "The request metadata specifies an invalid title.")
    if world.limit_reached(acct):
        return yt_error(
            400,
            "uploadLimitExceeded",
            "The user has exceeded the number of videos they may upload.",
        )
    session = world.code(24)
    world.new_job(
        KIND,
        session,
        acct,
        caption=str(snippet.get("description") or ""),
        size=size,
        state="uploading",
        extra={"title": title},
    )
    location = f"{root(request)}/upload/youtube/v3/videos?uploadType=resumable&upload_id={session}"
    return Response(status=200, headers={"Location": location})


def upload(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    job = world.jobs.get(request.args.get("upload_id", ""))
    if job is None or job.kind != KIND:
        return yt_error(404, "notFound", "The upload session was not found.")
    if world.account_for(bearer(request), "youtube") is not job.account:
        return unauthorized()
    header = request.headers.get("Content-Range", "")
    with world.lock:
        if _QUERY.match(header):
            world.count("youtube.upload.query")
        else:
            world.count("youtube.upload.put")
            m = _RANGE.match(header)
            data = request.get_data()
            if m is None:
                return yt_error(400, "badContent", "Content-Range required")
            first, last, total = (int(g) for g in m.groups())
            if total != job.size or first > job.received or len(data) != last - first + 1:
                return yt_error(400, "badContent", "The bytes do not continue the upload.")
            job.received = max(job.received, last + 1)
        if job.received < job.size:
            headers = {"Range": f"bytes=0-{job.received - 1}"} if job.received else {}
            return Response(status=308, headers=headers)
        if "video_id" not in job.extra:
            job.extra["video_id"] = world.code(11)
            if world.rejected("youtube", job.caption):
                job.state = "rejected"
            else:
                vid = job.extra["video_id"]
                world.publish(job, vid, f"https://www.youtube.com/shorts/{vid}")
                job.state = "uploaded"
        return as_json(_resource(job), 200)


def videos_list(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response | None:
    """GET /youtube/v3/videos?part=status for uploads made here; None for other ids."""
    ids = [i for i in request.args.get("id", "").split(",") if i]
    jobs = [
        j for j in list(world.jobs.values()) if j.kind == KIND and j.extra.get("video_id") in ids
    ]
    if not jobs:
        return None
    world.count("youtube.videos.list")
    items = []
    with world.lock:
        for job in jobs:
            job.polls += 1
            if job.state == "rejected":
                status = {"uploadStatus": "rejected", "rejectionReason": "inappropriate"}
            elif job.polls <= world.switches.processing_polls:
                status = {"uploadStatus": "uploaded"}
            else:
                status = {"uploadStatus": "processed"}
            items.append(
                {
                    "kind": "youtube#video",
                    "id": job.extra["video_id"],
                    "status": {**status, "privacyStatus": "public"},
                }
            )
    return as_json(
        {
            "kind": "youtube#videoListResponse",
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }
    )


RULES = [
    Rule("/upload/youtube/v3/videos", methods=["POST"], endpoint="yt.start"),
    Rule("/upload/youtube/v3/videos", methods=["PUT"], endpoint="yt.upload"),
]
HANDLERS: dict[str, Handler] = {"yt.start": start, "yt.upload": upload}
