"""Fake Facebook Page reels: start an upload session, upload (rupload), finish, status.

POST /{ver}/{page-id}/video_reels?upload_phase=start -> video_id, upload_url; POST
{upload_url} with ``Authorization: OAuth`` and the bytes (offset, file_size) or a file_url
header; POST /{ver}/{page-id}/video_reels?upload_phase=finish&video_state=PUBLISHED publishes
the reel once (refused media: the status turns to error and nothing is posted; the Page's 30
reels per 24 hours: error); GET /{ver}/{video-id}?fields=status shows the upload, processing and
publishing phases, "in progress" for ``processing_polls`` reads after finishing.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fakeplatform.publish_common import (
    Handler,
    as_json,
    bad_token,
    bearer,
    graph_error,
    params,
    root,
    token_of,
)
from fakeplatform.publish_world import Job, PublishWorld

KIND = "fb_reel"


def video_reels(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    p = params(request)
    phase = p.get("upload_phase")
    acct = world.account_for(token_of(request), "facebook")
    world.count(f"facebook.video_reels.{phase}")
    if acct is None or acct.account_id != values["page_id"]:
        return bad_token()
    if phase == "start":
        video_id = world.digits(15)
        world.new_job(KIND, video_id, acct, state="not_uploaded")
        return as_json(
            {
                "video_id": video_id,
                "upload_url": f"{root(request)}/video-upload/{values['ver']}/{video_id}",
            }
        )
    if phase != "finish":
        return graph_error("upload_phase must be start or finish", 100)
    job = world.jobs.get(p.get("video_id", ""))
    if job is None or job.kind != KIND or job.account is not acct:
        return graph_error("Unsupported post request. Object does not exist", 100, 33)
    with world.lock:
        if job.state == "not_uploaded":
            return graph_error("The video has not been uploaded", 100)
        if job.extra.get("finished"):
            return as_json({"success": True})
        if world.limit_reached(acct):
            return graph_error(
                "Reels API is limited to 30 API-published posts within a 24-hour moving period",
                368,
            )
        job.caption = p.get("description", "")
        job.extra["finished"] = True
        job.polls = 0
        if world.rejected("facebook", job.media_url, job.caption):
            job.state = "error"
            return as_json({"success": True})
        job.state = "publishing"
        post = world.publish(job, job.id, f"https://www.facebook.com/reel/{job.id}")
    return as_json({"success": True, "post_id": f"{acct.account_id}_{post.media_id}"})


def rupload(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    world.count("facebook.rupload")
    job = world.jobs.get(values["video_id"])
    acct = world.account_for(bearer(request), "facebook")
    if job is None or job.kind != KIND or acct is not job.account:
        return as_json(
            {
                "debug_info": {
                    "retriable": False,
                    "type": "ProcessingFailedError",
                    "message": '{"success":false,"error":{"message":"unauthorized user request"}}',
                }
            },
            401,
        )
    file_url = request.headers.get("file_url")
    if file_url:
        job.media_url = file_url
    else:
        size = int(request.headers.get("file_size") or 0)
        body = request.get_data()
        if size <= 0 or len(body) != size:
            return as_json(
                {
                    "debug_info": {
                        "retriable": True,
                        "type": "PartialRequestError",
                        "message": "file_size does not match the bytes sent",
                    }
                },
                400,
            )
        job.size = job.received = size
    job.state = "uploaded"
    return as_json({"success": True})


def status_of(world: PublishWorld, job: Job) -> dict[str, Any]:
    with world.lock:
        if job.extra.get("finished"):
            job.polls += 1
        uploaded = "complete" if job.state != "not_uploaded" else "not_started"
        if job.state == "error":
            processing, publishing, video = "error", "not_started", "error"
        elif not job.extra.get("finished"):
            processing, publishing, video = "not_started", "not_started", "upload_complete"
        elif job.polls <= world.switches.processing_polls:
            processing, publishing, video = "complete", "in_progress", "processing"
        else:
            processing, publishing, video = "complete", "complete", "ready"
        status: dict[str, Any] = {
            "video_status": video,
            "uploading_phase": {"status": uploaded},
            "processing_phase": {"status": processing},
            "publishing_phase": {"status": publishing},
        }
        if job.state == "error":
            status["processing_phase"]["errors"] = [
                {"code": 1363008, "message": "The video does not meet the reels specifications"}
            ]
        return status


def read_object(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response | None:
    job = world.jobs.get(values["object_id"])
    if job is None or job.kind != KIND:
        return None
    world.count("facebook.video.status")
    if world.account_for(token_of(request), "facebook") is not job.account:
        return bad_token()
    body: dict[str, Any] = {"id": job.id, "status": status_of(world, job)}
    if job.result is not None:
        body["permalink_url"] = f"/reel/{job.id}"
    return as_json(body)


RULES = [
    Rule("/<ver>/<page_id>/video_reels", methods=["POST"], endpoint="fb.reels"),
    Rule("/video-upload/<ver>/<video_id>", methods=["POST"], endpoint="fb.rupload"),
]
HANDLERS: dict[str, Handler] = {"fb.reels": video_reels, "fb.rupload": rupload}
