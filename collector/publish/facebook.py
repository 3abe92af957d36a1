"""Facebook Page reels through the Reels Publishing API.

Steps (``state["step"]``):

1. ``start``  POST /{page-id}/video_reels?upload_phase=start -> video_id and upload_url. An
              abandoned session publishes nothing, so a repeat after a crash is harmless.
2. ``upload`` POST the upload_url (rupload) with ``Authorization: OAuth``: the bytes of the
              stored file, or a ``file_url`` header when the video is only at a URL.
3. ``finish`` POST /{page-id}/video_reels?upload_phase=finish&video_state=PUBLISHED. Guarded:
              a resumed run reads the video's status first; a publishing phase that started
              means the earlier call went through.
4. ``status`` GET /{video-id}?fields=status,permalink_url until publishing is complete.
"""

from __future__ import annotations

from typing import Any, ClassVar

from collector.publish.base import (
    Http,
    Outcome,
    PublishError,
    PublishJob,
    json_body,
    read_chunk,
    sending,
    sent,
)
from collector.publish.meta import graph_error, graph_json
from store.enums import Platform

POLL_SECONDS = 30.0


class FacebookPublisher:
    platform: ClassVar[Platform] = Platform.FACEBOOK

    def __init__(
        self, graph_base: str, http: Http | None = None, *, poll_seconds: float = POLL_SECONDS
    ) -> None:
        self.base = graph_base.rstrip("/")
        self.http = http or Http()
        self.poll_seconds = poll_seconds

    def step(self, job: PublishJob, state: dict[str, Any], *, resumed: bool) -> Outcome:
        step = state.get("step", "start")
        if step == "start":
            return self._start(job, state)
        if step == "upload":
            return self._upload(job, state)
        if step == "finish":
            return self._finish(job, state, resumed=resumed)
        if step == "status":
            return self._status(job, state)
        raise PublishError(f"unknown Facebook step {step!r}", retriable=False)

    def _start(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        resp = self.http.request(
            "POST",
            f"{self.base}/{job.account_id}/video_reels",
            data={"upload_phase": "start", "access_token": job.token},
        )
        body = graph_json(resp, "reel upload start")
        video_id, upload_url = body.get("video_id"), body.get("upload_url")
        if not video_id or not upload_url:
            raise PublishError("reel upload start: no video_id/upload_url", retriable=True)
        return Outcome.go(
            {**state, "step": "upload", "video_id": str(video_id), "upload_url": upload_url}
        )

    def _upload(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        headers = {"Authorization": f"OAuth {job.token}"}
        if job.media_file is not None and job.size_bytes:
            headers.update({"offset": "0", "file_size": str(job.size_bytes)})
            data = read_chunk(job.media_file, 0, job.size_bytes)
            resp = self.http.request("POST", state["upload_url"], headers=headers, data=data)
        elif job.media_url:
            headers["file_url"] = job.media_url
            resp = self.http.request("POST", state["upload_url"], headers=headers)
        else:
            return Outcome.fail(state, "no video to upload")
        if resp.status_code >= 400:
            raise graph_error(resp, "reel upload")
        body = json_body(resp, "reel upload")
        if body.get("success") is not True:
            info = body.get("debug_info") or body
            raise PublishError(f"reel upload refused: {info}", retriable=False)
        return Outcome.go({**state, "step": "finish"})

    def _video_status(self, job: PublishJob, video_id: str) -> dict[str, Any]:
        resp = self.http.request(
            "GET",
            f"{self.base}/{video_id}",
            params={"fields": "status,permalink_url", "access_token": job.token},
        )
        return graph_json(resp, "reel status")

    def _finish(self, job: PublishJob, state: dict[str, Any], *, resumed: bool) -> Outcome:
        if state.get("sending") != "finish":
            return Outcome.go(sending(state, "finish"))
        if resumed:
            status = self._video_status(job, state["video_id"]).get("status") or {}
            phase = (status.get("publishing_phase") or {}).get("status")
            if phase in ("in_progress", "complete"):
                return Outcome.go(sent(state, step="status"))
            if (status.get("uploading_phase") or {}).get("status") != "complete":
                return Outcome.go(sent(state, step="upload"))
        resp = self.http.request(
            "POST",
            f"{self.base}/{job.account_id}/video_reels",
            data={
                "upload_phase": "finish",
                "video_id": state["video_id"],
                "video_state": "PUBLISHED",
                "description": job.caption,
                "access_token": job.token,
            },
        )
        body = graph_json(resp, "reel publish")
        if body.get("success") is not True:
            raise PublishError(f"reel publish: unexpected answer {body}", retriable=False)
        return Outcome.go(sent(state, step="status", post_id=body.get("post_id")))

    def _status(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        video_id = state["video_id"]
        body = self._video_status(job, video_id)
        status = body.get("status") or {}
        video_status = status.get("video_status")
        phases = {
            name: (status.get(f"{name}_phase") or {}).get("status")
            for name in ("uploading", "processing", "publishing")
        }
        if video_status == "error" or "error" in phases.values():
            detail = (status.get("processing_phase") or {}).get("errors") or video_status
            return Outcome.fail(state, f"Facebook could not publish the reel: {detail}")
        if phases["publishing"] == "complete":
            permalink = body.get("permalink_url") or f"https://www.facebook.com/reel/{video_id}"
            if permalink.startswith("/"):
                permalink = f"https://www.facebook.com{permalink}"
            return Outcome.done({**state, "step": "done"}, video_id, permalink)
        return Outcome.wait(state, self.poll_seconds)
