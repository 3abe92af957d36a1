"""TikTok through the Content Posting API (Direct Post).

Steps (``state["step"]``):

1. ``creator`` POST /v2/post/publish/creator_info/query/: the privacy levels the creator may use
               (an unaudited app gets only SELF_ONLY) and the longest video allowed.
2. ``init``    POST /v2/post/publish/video/init/ -> publish_id.
               FILE_UPLOAD (the post has a stored file): nothing is posted until the upload
               completes, so a repeated init only abandons an empty session.
               PULL_FROM_URL (only a URL): init itself starts the post, so it is guarded; a
               resumed run that cannot know the publish_id looks for the video among the
               creator's videos (same title, created after the call) before it posts again.
3. ``upload``  PUT the upload_url chunk by chunk (Content-Range); the last chunk starts the post
               and is guarded: a resumed run asks status/fetch how many bytes TikTok has.
4. ``status``  POST /v2/post/publish/status/fetch/ until PUBLISH_COMPLETE (FAILED: its
               fail_reason) and the public post id arrives (``publicaly_available_post_id``,
               TikTok's spelling).
"""

from __future__ import annotations

from datetime import UTC, datetime
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

POLL_SECONDS = 15.0
SINGLE_CHUNK_MAX = 64 * 1024 * 1024
CHUNK = 32 * 1024 * 1024
# How long a pulled post may take to show among the creator's videos before reelboard decides
# the lost init call never reached TikTok and sends it again.
PULL_RECONCILE_SECONDS = 15 * 60
# How long to wait for the public post id after PUBLISH_COMPLETE before giving up on it.
POST_ID_WAIT_SECONDS = 2 * 3600
RETRIABLE = {"rate_limit_exceeded", "internal_error"}
PRIVACY_PREFERENCE = ("PUBLIC_TO_EVERYONE", "FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS")


def chunking(size: int) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) as the media transfer guide asks."""
    if size <= SINGLE_CHUNK_MAX:
        return size, 1
    return CHUNK, size // CHUNK


class TikTokPublisher:
    platform: ClassVar[Platform] = Platform.TIKTOK

    def __init__(
        self,
        api_base: str,
        http: Http | None = None,
        *,
        poll_seconds: float = POLL_SECONDS,
        reconcile_seconds: float = PULL_RECONCILE_SECONDS,
        clock: Any = None,
    ) -> None:
        self.base = api_base.rstrip("/")
        self.http = http or Http()
        self.poll_seconds = poll_seconds
        self.reconcile_seconds = reconcile_seconds
        self.now = clock or (lambda: datetime.now(UTC))

    def _call(self, job: PublishJob, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        resp = self.http.request(
            "POST",
            f"{self.base}{path}",
            json=body,
            headers={
                "Authorization": f"Bearer {job.token}",
                "Content-Type": "application/json; charset=UTF-8",
            },
        )
        return self._envelope(resp, what)

    def _envelope(self, resp: requests.Response, what: str) -> dict[str, Any]:
        body = json_body(resp, what)
        err = body.get("error") or {}
        code = err.get("code", "ok") if isinstance(err, dict) else "ok"
        if code != "ok" or resp.status_code >= 400:
            message = err.get("message") if isinstance(err, dict) else None
            raise PublishError(
                f"{what}: {code or resp.status_code}: {message or 'no message'}",
                retriable=code in RETRIABLE or resp.status_code >= 500 or resp.status_code == 429,
                retry_after=retry_after(resp),
                token_invalid=code == "access_token_invalid",
            )
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def step(self, job: PublishJob, state: dict[str, Any], *, resumed: bool) -> Outcome:
        step = state.get("step", "creator")
        if step == "creator":
            return self._creator(job, state)
        if step == "init":
            return self._init(job, state, resumed=resumed)
        if step == "find":
            return self._find(job, state)
        if step == "upload":
            return self._upload(job, state, resumed=resumed)
        if step == "status":
            return self._status(job, state)
        raise PublishError(f"unknown TikTok step {step!r}", retriable=False)

    def _creator(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        data = self._call(job, "/post/publish/creator_info/query/", {}, "creator_info")
        options = [str(o) for o in data.get("privacy_level_options") or []]
        if not options:
            return Outcome.fail(state, "TikTok offers this creator no privacy level to post with")
        privacy = next((p for p in PRIVACY_PREFERENCE if p in options), options[0])
        longest = data.get("max_video_post_duration_sec")
        if isinstance(longest, int) and job.duration_s is not None and job.duration_s > longest:
            return Outcome.fail(
                state, f"the video is {job.duration_s:g} s; this creator may post {longest} s"
            )
        mode = "FILE_UPLOAD" if job.media_file is not None and job.size_bytes else "PULL_FROM_URL"
        return Outcome.go({**state, "step": "init", "privacy": privacy, "mode": mode})

    def _post_info(self, job: PublishJob, state: dict[str, Any]) -> dict[str, Any]:
        return {
            "title": job.caption,
            "privacy_level": state["privacy"],
            "disable_duet": False,
            "disable_comment": False,
            "disable_stitch": False,
        }

    def _init(self, job: PublishJob, state: dict[str, Any], *, resumed: bool) -> Outcome:
        if state["mode"] == "FILE_UPLOAD":
            assert job.size_bytes is not None
            chunk, count = chunking(job.size_bytes)
            data = self._call(
                job,
                "/post/publish/video/init/",
                {
                    "post_info": self._post_info(job, state),
                    "source_info": {
                        "source": "FILE_UPLOAD",
                        "video_size": job.size_bytes,
                        "chunk_size": chunk,
                        "total_chunk_count": count,
                    },
                },
                "video init",
            )
            if not data.get("publish_id") or not data.get("upload_url"):
                raise PublishError("video init: no publish_id/upload_url", retriable=True)
            return Outcome.go(
                {
                    **state,
                    "step": "upload",
                    "publish_id": data["publish_id"],
                    "upload_url": data["upload_url"],
                    "chunk_size": chunk,
                    "chunks": count,
                    "next_chunk": 0,
                }
            )
        # PULL_FROM_URL: this call starts the post.
        if state.get("sending") != "init":
            return Outcome.go({**sending(state, "init"), "init_sent_at": self.now().isoformat()})
        if resumed:
            return Outcome.go({**state, "step": "find"})
        if not job.media_url:
            return Outcome.fail(state, "TikTok pulls the video from a URL; none is set")
        data = self._call(
            job,
            "/post/publish/video/init/",
            {
                "post_info": self._post_info(job, state),
                "source_info": {"source": "PULL_FROM_URL", "video_url": job.media_url},
            },
            "video init",
        )
        if not data.get("publish_id"):
            raise PublishError("video init: no publish_id", retriable=True)
        return Outcome.go(sent(state, step="status", publish_id=data["publish_id"]))

    def _find(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        """After a lost pull init: is the video among the creator's recent videos?"""
        since = datetime.fromisoformat(state["init_sent_at"])
        data = self._call(
            job,
            "/video/list/?fields=id,title,create_time,share_url",
            {"max_count": 20},
            "video list",
        )
        for video in data.get("videos") or []:
            created = video.get("create_time")
            if (
                video.get("title") == job.caption
                and isinstance(created, int)
                and created >= since.timestamp() - 60
            ):
                vid = str(video["id"])
                return Outcome.done(
                    sent(state, step="done", post_id=vid),
                    vid,
                    video.get("share_url") or f"https://www.tiktok.com/@{job.handle}/video/{vid}",
                    datetime.fromtimestamp(created, UTC),
                )
        if (self.now() - since).total_seconds() < self.reconcile_seconds:
            return Outcome.wait(state, self.poll_seconds)
        # Long enough: the lost call never reached TikTok. Announce and send it again.
        return Outcome.go(
            {
                **sending(state, "init"),
                "step": "init",
                "init_sent_at": self.now().isoformat(),
                "lost_inits": int(state.get("lost_inits", 0)) + 1,
            }
        )

    def _fetch(self, job: PublishJob, publish_id: str) -> dict[str, Any]:
        return self._call(
            job, "/post/publish/status/fetch/", {"publish_id": publish_id}, "status fetch"
        )

    def _upload(self, job: PublishJob, state: dict[str, Any], *, resumed: bool) -> Outcome:
        assert job.media_file is not None and job.size_bytes is not None
        index = int(state["next_chunk"])
        count = int(state["chunks"])
        chunk = int(state["chunk_size"])
        last = index == count - 1
        if last and state.get("sending") != "last_chunk":
            return Outcome.go(sending(state, "last_chunk"))
        if last and resumed:
            status = self._fetch(job, state["publish_id"])
            if int(status.get("uploaded_bytes") or 0) >= job.size_bytes or status.get(
                "status"
            ) not in (None, "PROCESSING_UPLOAD"):
                return Outcome.go(sent(state, step="status"))
        first = index * chunk
        end = job.size_bytes if last else first + chunk
        body = read_chunk(job.media_file, first, end - first)
        resp = self.http.request(
            "PUT",
            state["upload_url"],
            data=body,
            headers={
                "Content-Type": "video/mp4",
                "Content-Range": f"bytes {first}-{end - 1}/{job.size_bytes}",
            },
        )
        if resp.status_code not in (200, 201, 206):
            raise PublishError(
                f"chunk upload: HTTP {resp.status_code}",
                retriable=resp.status_code >= 500 or resp.status_code == 429,
                retry_after=retry_after(resp),
            )
        if last:
            return Outcome.go(sent(state, step="status", next_chunk=count))
        return Outcome.go({**state, "next_chunk": index + 1})

    def _status(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        data = self._fetch(job, state["publish_id"])
        status = data.get("status")
        if status == "FAILED":
            return Outcome.fail(state, f"TikTok refused the video: {data.get('fail_reason')}")
        if status == "PUBLISH_COMPLETE":
            ids = data.get("publicaly_available_post_id") or []
            if ids:
                vid = str(ids[0])
                link = f"https://www.tiktok.com/@{job.handle}/video/{vid}"
                return Outcome.done({**state, "step": "done", "post_id": vid}, vid, link)
            first_seen = state.get("complete_at") or self.now().isoformat()
            waited = (self.now() - datetime.fromisoformat(first_seen)).total_seconds()
            if waited > POST_ID_WAIT_SECONDS:
                return Outcome.done({**state, "step": "done"}, None, None)
            return Outcome.wait({**state, "complete_at": first_seen}, self.poll_seconds)
        return Outcome.wait(state, self.poll_seconds)
