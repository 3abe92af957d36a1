"""The publishing interface shared by the platform adapters.

A :class:`Publisher` moves one post forward by one *step*: it looks at the persisted platform
state, makes at most one API call, and returns an :class:`Outcome` holding the new state. The
caller commits that state before it asks for the next step, so every id a platform hands out
(container id, video id, publish id, upload session URL) is in the database before the next call.

Calls that make a post visible cannot be repeated safely. Before such a call an adapter first
returns a state with ``sending`` set to the call's name (committed, no API call); the next step
makes the call. A step that starts from a state written by an earlier worker (``resumed``) and
finds ``sending`` set does not know whether the call went out, so it first asks the platform
(container status, video status, upload status) and only repeats the call if nothing happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import requests

from store.enums import Platform

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class PublishJob:
    """Everything an adapter needs about one post; the token is never logged."""

    post_id: int
    platform: Platform
    account_id: str  # IG user id, FB Page id, TikTok open_id, YouTube channel id
    handle: str
    token: str = field(repr=False)
    caption: str
    media_file: Path | None  # the stored file, when the post has one
    media_url: str | None  # a URL the platform can fetch (public base URL or the given URL)
    size_bytes: int | None = None
    duration_s: float | None = None


@dataclass
class Outcome:
    kind: Literal["continue", "wait", "done", "failed"]
    state: dict[str, Any]
    wait_s: float = 0.0
    media_id: str | None = None
    permalink: str | None = None
    posted_at: datetime | None = None
    reason: str | None = None

    @classmethod
    def go(cls, state: dict[str, Any]) -> Outcome:
        return cls("continue", state)

    @classmethod
    def wait(cls, state: dict[str, Any], seconds: float) -> Outcome:
        return cls("wait", state, wait_s=seconds)

    @classmethod
    def fail(cls, state: dict[str, Any], reason: str) -> Outcome:
        return cls("failed", state, reason=reason)

    @classmethod
    def done(
        cls,
        state: dict[str, Any],
        media_id: str | None,
        permalink: str | None,
        posted_at: datetime | None = None,
    ) -> Outcome:
        return cls("done", state, media_id=media_id, permalink=permalink, posted_at=posted_at)


class PublishError(Exception):
    """A call failed. ``retriable``: try again later (5xx, timeouts, rate limits).

    ``token_invalid``: the platform rejected the account's access token (expired or revoked);
    the account must be re-authorised before anything else is published with it.
    """

    def __init__(
        self,
        message: str,
        *,
        retriable: bool,
        retry_after: float | None = None,
        token_invalid: bool = False,
    ) -> None:
        super().__init__(message)
        self.retriable = retriable and not token_invalid
        self.retry_after = retry_after
        self.token_invalid = token_invalid


class Publisher(Protocol):
    platform: ClassVar[Platform]

    def step(self, job: PublishJob, state: dict[str, Any], *, resumed: bool) -> Outcome:
        """One step from ``state``; at most one API call. ``resumed``: the state was written
        by an earlier run (a crash may have happened after its last call)."""
        ...


def sending(state: dict[str, Any], call: str) -> dict[str, Any]:
    """The state announcing that ``call`` is about to be made."""
    return {**state, "sending": call}


def sent(state: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = {k: v for k, v in state.items() if k != "sending"}
    out.update(changes)
    return out


class Http:
    """A thin requests wrapper: timeouts, and transport failures as retriable errors.

    No automatic retries: a POST that creates something must not be sent twice behind the
    state machine's back.
    """

    def __init__(
        self, session: requests.Session | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.session = session or requests.Session()
        self.timeout = timeout

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        try:
            return self.session.request(method, url, **kwargs)
        except requests.Timeout as exc:
            raise PublishError(f"{method} {_path(url)} timed out", retriable=True) from exc
        except requests.ConnectionError as exc:
            raise PublishError(f"{method} {_path(url)}: connection failed", retriable=True) from exc


def _path(url: str) -> str:
    """The URL without its query string (tokens travel there on some APIs)."""
    return url.split("?", 1)[0]


def retry_after(resp: requests.Response) -> float | None:
    raw = resp.headers.get("Retry-After")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def json_body(resp: requests.Response, what: str) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        raise PublishError(
            f"{what}: HTTP {resp.status_code} with a body that is not JSON",
            retriable=resp.status_code >= 500,
        ) from None
    if not isinstance(body, dict):
        raise PublishError(f"{what}: unexpected JSON {type(body).__name__}", retriable=False)
    return body


def read_chunk(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(size)


__all__ = [
    "Http",
    "Outcome",
    "PublishError",
    "PublishJob",
    "Publisher",
    "json_body",
    "read_chunk",
    "retry_after",
    "sending",
    "sent",
]
