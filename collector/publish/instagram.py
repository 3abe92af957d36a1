"""Instagram Reels through the Instagram Graph API content-publishing flow.

Steps (``state["step"]``):

1. ``quota``   GET /{ig-user-id}/content_publishing_limit: stop before anything if the account
               has used its 24-hour allowance.
2. ``create``  POST /{ig-user-id}/media (media_type=REELS, video_url, caption) -> container id.
               Repeating it after a crash only leaves an unpublished container (they expire in
               24 hours), so it needs no guard.
3. ``poll``    GET /{container-id}?fields=status_code until FINISHED (ERROR: failed, EXPIRED:
               create a new one). Meta asks for about one poll a minute.
4. ``publish`` POST /{ig-user-id}/media_publish?creation_id=... -> the media id. Guarded: a
               resumed run asks the container first; PUBLISHED means the earlier call went
               through, so the media is looked up instead of published again.
5. ``find``    (only after such a crash) the account's recent media, matched by caption.
6. ``permalink`` GET /{media-id}?fields=permalink,timestamp.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from collector.publish.base import Http, Outcome, PublishError, PublishJob, sending, sent
from collector.publish.meta import graph_json
from store.enums import Platform

POLL_SECONDS = 60.0
FIND_TRIES = 5


def _parse_time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        return None


class InstagramPublisher:
    platform: ClassVar[Platform] = Platform.INSTAGRAM

    def __init__(
        self,
        graph_base: str,
        http: Http | None = None,
        *,
        poll_seconds: float = POLL_SECONDS,
        clock: Any = None,
    ) -> None:
        self.base = graph_base.rstrip("/")
        self.http = http or Http()
        self.poll_seconds = poll_seconds
        self.now = clock or (lambda: datetime.now(UTC))

    def _auth(self, job: PublishJob) -> dict[str, str]:
        return {"Authorization": f"Bearer {job.token}"}

    def publishing_limit(self, job: PublishJob) -> tuple[int, int]:
        """(posts used in the last 24 hours, allowed) as Instagram reports them."""
        resp = self.http.request(
            "GET",
            f"{self.base}/{job.account_id}/content_publishing_limit",
            params={"fields": "config,quota_usage"},
            headers=self._auth(job),
        )
        body = graph_json(resp, "content_publishing_limit")
        data = body.get("data") or [{}]
        first = data[0] if isinstance(data, list) and data else {}
        used = int(first.get("quota_usage") or 0)
        total = (first.get("config") or {}).get("quota_total")
        return used, int(total) if total is not None else 50

    def step(self, job: PublishJob, state: dict[str, Any], *, resumed: bool) -> Outcome:
        step = state.get("step", "quota")
        if step == "quota":
            used, total = self.publishing_limit(job)
            if used >= total:
                return Outcome.fail(
                    state, f"Instagram daily publishing limit reached ({used} of {total})"
                )
            return Outcome.go({**state, "step": "create", "quota": [used, total]})
        if step == "create":
            return self._create(job, state)
        if step == "poll":
            return self._poll(job, state)
        if step == "publish":
            return self._publish(job, state, resumed=resumed)
        if step == "find":
            return self._find(job, state)
        if step == "permalink":
            return self._permalink(job, state)
        raise PublishError(f"unknown Instagram step {step!r}", retriable=False)

    def _create(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        if not job.media_url:
            return Outcome.fail(state, "Instagram fetches the video from a URL; none is set")
        resp = self.http.request(
            "POST",
            f"{self.base}/{job.account_id}/media",
            data={
                "media_type": "REELS",
                "video_url": job.media_url,
                "caption": job.caption,
                "share_to_feed": "true",
            },
            headers=self._auth(job),
        )
        body = graph_json(resp, "create container")
        container = str(body.get("id") or "")
        if not container:
            raise PublishError("create container: no id in the answer", retriable=True)
        containers = [*state.get("containers", []), container]
        return Outcome.go(
            {**state, "step": "poll", "container_id": container, "containers": containers}
        )

    def _container_status(self, job: PublishJob, container: str) -> dict[str, Any]:
        resp = self.http.request(
            "GET",
            f"{self.base}/{container}",
            params={"fields": "status_code,status"},
            headers=self._auth(job),
        )
        return graph_json(resp, "container status")

    def _poll(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        body = self._container_status(job, state["container_id"])
        code = body.get("status_code")
        if code == "FINISHED":
            return Outcome.go({**state, "step": "publish"})
        if code == "IN_PROGRESS":
            return Outcome.wait(state, self.poll_seconds)
        if code == "PUBLISHED":
            return Outcome.go({**state, "step": "find"})
        if code == "EXPIRED":
            return Outcome.go({**state, "step": "create", "container_id": None})
        if code == "ERROR":
            return Outcome.fail(
                state, f"Instagram could not process the video: {body.get('status')}"
            )
        raise PublishError(f"container status: unexpected status_code {code!r}", retriable=True)

    def _publish(self, job: PublishJob, state: dict[str, Any], *, resumed: bool) -> Outcome:
        if state.get("sending") != "media_publish":
            announced = sending(state, "media_publish")
            announced["publish_sent_at"] = self.now().isoformat()
            return Outcome.go(announced)
        if resumed:
            # The earlier run may have published before it died: ask before repeating.
            code = self._container_status(job, state["container_id"]).get("status_code")
            if code == "PUBLISHED":
                return Outcome.go(sent(state, step="find"))
            if code != "FINISHED":
                return Outcome.go(sent(state, step="poll"))
        resp = self.http.request(
            "POST",
            f"{self.base}/{job.account_id}/media_publish",
            data={"creation_id": state["container_id"]},
            headers=self._auth(job),
        )
        body = graph_json(resp, "media_publish")
        media_id = str(body.get("id") or "")
        if not media_id:
            raise PublishError("media_publish: no media id in the answer", retriable=True)
        return Outcome.go(sent(state, step="permalink", media_id=media_id))

    def _find(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        """The media a publish call made before its worker died: newest media, same caption."""
        resp = self.http.request(
            "GET",
            f"{self.base}/{job.account_id}/media",
            params={"fields": "id,caption,timestamp,permalink", "limit": 25},
            headers=self._auth(job),
        )
        body = graph_json(resp, "media list")
        since = datetime.fromisoformat(state.get("publish_sent_at") or "1970-01-01T00:00:00+00:00")
        for item in body.get("data") or []:
            when = _parse_time(item.get("timestamp"))
            if item.get("caption") == job.caption and (
                when is None or when >= since - timedelta(minutes=5)
            ):
                return Outcome.done(
                    sent(state, step="done", media_id=str(item["id"])),
                    str(item["id"]),
                    item.get("permalink"),
                    when,
                )
        tries = int(state.get("find_tries", 0)) + 1
        if tries >= FIND_TRIES:
            return Outcome.fail(
                state,
                "Instagram says the reel was published but it is not among the account's recent "
                "media; check the account before retrying",
            )
        return Outcome.wait({**state, "find_tries": tries}, self.poll_seconds)

    def _permalink(self, job: PublishJob, state: dict[str, Any]) -> Outcome:
        media_id = state["media_id"]
        resp = self.http.request(
            "GET",
            f"{self.base}/{media_id}",
            params={"fields": "permalink,timestamp"},
            headers=self._auth(job),
        )
        body = graph_json(resp, "media permalink")
        return Outcome.done(
            {**state, "step": "done"},
            media_id,
            body.get("permalink"),
            _parse_time(body.get("timestamp")),
        )
