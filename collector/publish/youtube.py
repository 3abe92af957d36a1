"""YouTube Shorts through ``videos.insert`` with the resumable upload protocol.

Steps (``state["step"]``):

1. ``init``   POST {upload base}/videos?uploadType=resumable&part=snippet,status with the
              metadata -> the session URI (``Location``). No video exists yet, so a repeat after
              a crash only abandons a session.
2. ``upload`` PUT the file to the session URI. Completing the upload creates the video, so it is
              guarded: a resumed run first asks the session (``Content-Range: bytes */SIZE``):
              200/201 gives the video that the earlier run created, 308 says how many bytes
              arrived and the upload continues from there, 404 means the session is gone and a
              new one is started (nothing was created).
3. ``status`` GET videos?part=status until ``uploadStatus`` is ``processed`` (``rejected`` or
              ``failed``: the reason YouTube gives).

A video is a Short when it is square or vertical and at most three minutes long; the Data API has
no separate Shorts call. The first line of the caption is the title, the whole caption the
description.
"""

from __future__ import annotations

from typing import Any, ClassVar

import requests

from collector.publish.base import (
    Http,
    Outcome,
    PublishError,
    PublishJob,
    json_body,
    read_chunk,
    retry_after,
    sending,
    sent,
)
from store.enums import Platform

POLL_SECONDS = 30.0
RETRIABLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError", "internalError"}


def upload_base(api_base: str) -> str:
    """https://www.googleapis.com/youtube/v3 -> https://www.googleapis.com/upload/youtube/v3."""
    base = api_base.rstrip("/")
    marker = "/youtube/v3"
    if base.endswith(marker):
        return base[: -len(marker)] + "/upload" + marker
    return base + "/upload"


def title_of(caption: str) -> str:
    for line in caption.splitlines():
        if line.strip():
            return line.strip()[:100]
    return "Short"


def youtube_error(resp: requests.Response, what: str) -> PublishError:
    try:
        body = resp.json()
    except ValueError:
        body = None
    err = body.get("error") if isinstance(body, dict) else None
    reasons: list[str] = []
    message = f"HTTP {resp.status_code}"
    if isinstance(err, dict):
        message = str(err.get("message") or message)
        reasons = [str(e.get("reason")) for e in err.get("errors") or [] if isinstance(e, dict)]
    retriable = resp.status_code >= 500 or any(r in RETRIABLE_REASONS for r in reasons)
    label = ",".join(reasons) or str(resp.status_code)
    return PublishError(
        f"{what}: {message} ({label})",
        retriable=retriable,
        retry_after=retry_after(resp),
        token_invalid=resp.status_code == 401,
    )


class YouTubePublisher:
    platform: ClassVar[Platform] = Platform.YOUTUBE

    def __init__(
        self, api_base: str, http: Http | None = None, *, poll_seconds: float = POLL_SECONDS
    ) -> None:
        self.base = api_base.rstrip("/")
        self.upload_base = upload_base(api_base)
        self.http = http or Http()
        self.poll_seconds = poll_seconds

    def _auth(self, job: PublishJob) -> dict[str, str]:
        return {"Authorization": f"Bearer {job.token}"}

    def step(self, job: PublishJob, state: dict[str, Any], *, resumed: bool) -> Outcome:
        if job.media_file is None or not job.size_bytes:
            return Outcome.fail(state, "YouTube takes a direct upload: the post needs a video file")
        step = state.get("step", "init")
        if step == "init":
            return self._init(job, state)
        if step == "upload":
            return self._upload(job, state, resumed=resumed)
        if step == "status":
            return self._status(job, state)
        raise PublishError(f"unknown YouTube step {step!r}", retriable=False)

    def _init(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        metadata = {
            "snippet": {
                "title": title_of(job.caption),
                "description": job.caption,
                "categoryId": "22",
            },
            "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False},
        }
        resp = self.http.request(
            "POST",
            f"{self.upload_base}/videos",
            params={"uploadType": "resumable", "part": "snippet,status"},
            json=metadata,
            headers={
                **self._auth(job),
                "X-Upload-Content-Length": str(job.size_bytes),
                "X-Upload-Content-Type": "video/*",
            },
        )
        if resp.status_code >= 400:
            raise youtube_error(resp, "upload session")
        location = resp.headers.get("Location")
        if not location:
            raise PublishError("upload session: no Location header", retriable=True)
        return Outcome.go({**state, "step": "upload", "session_url": location})

    def _put(self, job: PublishJob, state: dict[str, Any], offset: int) -> requests.Response:
        assert job.media_file is not None and job.size_bytes is not None
        data = read_chunk(job.media_file, offset, job.size_bytes - offset)
        return self.http.request(
            "PUT",
            state["session_url"],
            data=data,
            headers={
                **self._auth(job),
                "Content-Type": "video/*",
                "Content-Range": f"bytes {offset}-{job.size_bytes - 1}/{job.size_bytes}",
            },
        )

    def _created(self, state: dict[str, Any], resp: requests.Response) -> Outcome:
        body = json_body(resp, "upload")
        video_id = body.get("id")
        if not video_id:
            raise PublishError("upload: the answer has no video id", retriable=False)
        return Outcome.go(sent(state, step="status", video_id=str(video_id)))

    def _upload(self, job: PublishJob, state: dict[str, Any], *, resumed: bool) -> Outcome:
        if state.get("sending") != "upload":
            return Outcome.go(sending(state, "upload"))
        offset = 0
        if resumed:
            probe = self.http.request(
                "PUT",
                state["session_url"],
                headers={**self._auth(job), "Content-Range": f"bytes */{job.size_bytes}"},
            )
            if probe.status_code in (200, 201):
                return self._created(state, probe)
            if probe.status_code == 404:
                return Outcome.go(sent(state, step="init", session_url=None))
            if probe.status_code == 308:
                got = probe.headers.get("Range", "")
                if got.startswith("bytes=0-"):
                    offset = int(got.split("-", 1)[1]) + 1
            elif probe.status_code >= 400:
                raise youtube_error(probe, "upload status")
        resp = self._put(job, state, offset)
        if resp.status_code in (200, 201):
            return self._created(state, resp)
        if resp.status_code == 308:
            raise PublishError("upload: YouTube kept only part of the file", retriable=True)
        if resp.status_code == 404:
            return Outcome.go(sent(state, step="init", session_url=None))
        raise youtube_error(resp, "upload")

    def _status(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        video_id = state["video_id"]
        resp = self.http.request(
            "GET",
            f"{self.base}/videos",
            params={"part": "status", "id": video_id},
            headers=self._auth(job),
        )
        if resp.status_code >= 400:
            raise youtube_error(resp, "video status")
        items = json_body(resp, "video status").get("items") or []
        if not items:
            return Outcome.fail(state, f"YouTube no longer lists video {video_id}")
        status = items[0].get("status") or {}
        upload = status.get("uploadStatus")
        if upload == "processed":
            return Outcome.done(
                {**state, "step": "done"}, video_id, f"https://www.youtube.com/shorts/{video_id}"
            )
        if upload in ("rejected", "failed", "deleted"):
            why = status.get("rejectionReason") or status.get("failureReason") or upload
            return Outcome.fail(state, f"YouTube {upload} the video: {why}")
        return Outcome.wait(state, self.poll_seconds)
