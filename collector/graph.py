"""Meta Graph API plumbing shared by the Instagram and Facebook adapters.

Targets Graph API **v25.0** (the version is part of the configured base URL,
``REELBOARD_GRAPH_API_BASE``, default ``https://graph.facebook.com/v25.0``).

- Tokens travel in the ``Authorization: Bearer`` header (documented alternative to the
  ``access_token`` parameter), so they never appear in URLs or in urllib3's debug log.
- Errors use the documented envelope ``{"error": {"message", "type", "code", "error_subcode",
  "is_transient", "fbtrace_id"}}`` and are classified here once for both adapters.
- ``X-App-Usage`` and ``X-Business-Use-Case-Usage`` are read after every reply; a value at or
  above the threshold (default 90 %) blocks the app or the credential in the rate gate, for
  ``estimated_time_to_regain_access`` minutes when the header gives it, else a cool-down.
- Batch requests: ``POST {base}/`` with ``batch=[{"method":"GET","relative_url":...}, ...]``
  (at most 50 operations), ``include_headers=false``. The answer is a list in request order of
  ``{"code": ..., "body": "<JSON text>"}``; an operation that did not complete in time comes back
  as ``null`` and is deferred. Every operation counts against the rate limits as one call; the
  batch saves round trips (latency), not quota.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from collector.base import Credential, ListedPost, PostList
from collector.errors import (
    ApiError,
    CollectorError,
    CredentialError,
    MalformedResponse,
    RateLimited,
    Reason,
    TransientError,
    Unavailable,
)
from collector.http import ApiClient, HttpConfig, Meter, Reply, log_malformed, retry_after
from collector.parse import BadValue, identifier, sequence, text, timestamp
from collector.ratelimit import RateGate, utcnow
from collector.redact import get_logger
from collector.results import halt_of

log = get_logger(__name__)

BATCH_MAX = 50
APP_SCOPE = "graph:app"
# App-wide throttles (the whole Meta app): 4 application limit, 341 application limit reached.
APP_RATE_CODES = frozenset({4, 341})
# Throttles of one user / Page / Instagram account: 17 user, 32 Page, 613 generic, and the
# business-use-case family 80000-80014 (80001 Pages, 80002 Instagram).
CREDENTIAL_RATE_CODES = frozenset({17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODE = 190
TOKEN_EXPIRED_SUBCODE = 463
OBJECT_MISSING_SUBCODE = 33
NOT_DISCOVERABLE_SUBCODE = 2207013


@dataclass(frozen=True)
class GraphError:
    code: int | None
    subcode: int | None
    message: str
    type: str | None
    transient: bool

    @classmethod
    def from_payload(cls, payload: Any) -> GraphError | None:
        if not isinstance(payload, Mapping):
            return None
        err = payload.get("error")
        if not isinstance(err, Mapping):
            return None
        code = err.get("code")
        sub = err.get("error_subcode")
        return cls(
            code=code if isinstance(code, int) and not isinstance(code, bool) else None,
            subcode=sub if isinstance(sub, int) and not isinstance(sub, bool) else None,
            message=str(err.get("message", "")),
            type=str(err["type"]) if isinstance(err.get("type"), str) else None,
            transient=err.get("is_transient") is True,
        )

    def describe(self) -> str:
        sub = f"/{self.subcode}" if self.subcode is not None else ""
        return f"Graph error {self.code}{sub}: {self.message}"


@dataclass(frozen=True)
class SubReply:
    """One operation of a batch. ``code`` None means Graph did not complete it (``null``)."""

    code: int | None
    body: Any
    error: GraphError | None
    problem: CollectorError | None  # the classified error, if the operation failed


class GraphApi:
    def __init__(
        self,
        base_url: str,
        *,
        http: HttpConfig | None = None,
        gate: RateGate | None = None,
        now: Callable[[], datetime] = utcnow,
        usage_threshold: int = 90,
        cooldown: timedelta = timedelta(minutes=10),
    ) -> None:
        self.base = base_url.rstrip("/")
        self.client = ApiClient("graph", config=http, gate=gate, now=now)
        self.now = now
        self.usage_threshold = usage_threshold
        self.cooldown = cooldown

    @staticmethod
    def cred_scope(cred: Credential) -> str:
        return f"graph:{cred.key}"

    def scopes(self, cred: Credential) -> tuple[str, str]:
        return (APP_SCOPE, self.cred_scope(cred))

    @staticmethod
    def auth(cred: Credential) -> dict[str, str]:
        if not cred.token:
            raise CredentialError(
                f"credential {cred.key} has no access token", reason=Reason.NO_CREDENTIAL
            )
        return {"Authorization": f"Bearer {cred.token}"}

    # ---- usage headers -------------------------------------------------------------------
    def note_usage(self, reply: Reply, cred: Credential) -> None:
        now = self.now()
        app = reply.header("X-App-Usage")
        if app:
            usage = _usage_percent(app, reply.endpoint)
            if usage is not None and usage >= self.usage_threshold:
                self.client.block(APP_SCOPE, now + self.cooldown, f"X-App-Usage {usage}%")
        buc = reply.header("X-Business-Use-Case-Usage")
        if buc:
            worst, eta = _buc_usage(buc, reply.endpoint)
            if eta > 0 or (worst is not None and worst >= self.usage_threshold):
                wait = timedelta(minutes=eta) if eta > 0 else self.cooldown
                self.client.block(
                    self.cred_scope(cred),
                    now + wait,
                    f"X-Business-Use-Case-Usage {worst}% eta {eta} min",
                )

    def _eta(self, reply_headers: Reply | None) -> datetime:
        now = self.now()
        if reply_headers is not None:
            buc = reply_headers.header("X-Business-Use-Case-Usage")
            if buc:
                _, eta = _buc_usage(buc, reply_headers.endpoint)
                if eta > 0:
                    return now + timedelta(minutes=eta)
            after = retry_after(reply_headers, now)
            if after is not None:
                return after
        return now + self.cooldown

    # ---- classification ------------------------------------------------------------------
    def classify(self, err: GraphError, cred: Credential, reply: Reply | None) -> CollectorError:
        """Turn a Graph error into a typed error; rate limits are recorded in the gate."""
        code = err.code
        text = err.describe()
        if code == TOKEN_CODE:
            reason = (
                Reason.TOKEN_EXPIRED
                if err.subcode == TOKEN_EXPIRED_SUBCODE
                else Reason.TOKEN_INVALID
            )
            return CredentialError(text, reason=reason)
        if code is not None and 200 <= code <= 299:
            return CredentialError(text, reason=Reason.PERMISSION_DENIED)
        if code in APP_RATE_CODES or code in CREDENTIAL_RATE_CODES:
            scope = APP_SCOPE if code in APP_RATE_CODES else self.cred_scope(cred)
            until = self._eta(reply)
            self.client.block(scope, until, text)
            until = self.client.gate.blocked_until(scope) or until  # the latest block wins
            return RateLimited(text, retry_at=until, scope=scope)
        if code in TRANSIENT_CODES or err.transient:
            return TransientError(text, reason=Reason.SERVER_ERROR)
        if code == 100 and err.subcode == OBJECT_MISSING_SUBCODE:
            return Unavailable(text)
        if code == 110 and err.subcode == NOT_DISCOVERABLE_SUBCODE:
            return ApiError(text, code=code)  # caller names it not_discoverable
        return ApiError(text, code=code)

    def _raise_for(self, reply: Reply, payload: Any, cred: Credential) -> None:
        err = GraphError.from_payload(payload)
        if err is not None:
            raise self.classify(err, cred, reply)
        if reply.status == 429:
            until = retry_after(reply, self.now()) or self.now() + self.cooldown
            scope = self.cred_scope(cred)
            self.client.block(scope, until, "HTTP 429")
            raise RateLimited(f"{reply.endpoint} answered HTTP 429", retry_at=until, scope=scope)
        if reply.status != 200:
            log_malformed(reply.endpoint, f"HTTP {reply.status} without a Graph error", payload)
            raise MalformedResponse(
                f"{reply.endpoint} answered HTTP {reply.status} without a Graph error body"
            )

    # ---- calls ---------------------------------------------------------------------------
    def get(
        self,
        cred: Credential,
        path: str,
        params: Mapping[str, str],
        *,
        endpoint: str,
        meter: Meter,
    ) -> Mapping[str, Any]:
        reply = self.client.send(
            "GET",
            f"{self.base}/{path.lstrip('/')}",
            params=params,
            headers=self.auth(cred),
            endpoint=endpoint,
            meter=meter,
            scopes=self.scopes(cred),
        )
        self.note_usage(reply, cred)
        payload = reply.json()
        if reply.status != 200 or (isinstance(payload, Mapping) and "error" in payload):
            self._raise_for(reply, payload, cred)
        if not isinstance(payload, Mapping):
            log_malformed(endpoint, "expected a JSON object", payload)
            raise MalformedResponse(f"{endpoint} answered something other than a JSON object")
        return payload

    def get_page(
        self,
        cred: Credential,
        path: str,
        *,
        fields: str,
        limit: int,
        after: str | None,
        endpoint: str,
        meter: Meter,
    ) -> Mapping[str, Any]:
        """One page of an edge's list (``fields``, ``limit``, and ``after`` past the first)."""
        params = {"fields": fields, "limit": str(limit)}
        if after:
            params["after"] = after
        return self.get(cred, path, params, endpoint=endpoint, meter=meter)

    def batch(
        self,
        cred: Credential,
        relative_urls: Sequence[str],
        *,
        meter: Meter,
        endpoint: str = "graph.batch",
    ) -> list[SubReply]:
        """Run up to 50 GET operations in one HTTP call; one :class:`SubReply` each, in order.

        Raises when the batch as a whole failed (its token, a rate limit, a broken body).
        """
        if not relative_urls:
            return []
        if len(relative_urls) > BATCH_MAX:
            raise ValueError(f"a Graph batch holds at most {BATCH_MAX} operations")
        ops = [{"method": "GET", "relative_url": u} for u in relative_urls]
        reply = self.client.send(
            "POST",
            f"{self.base}/",
            data={"batch": json.dumps(ops, separators=(",", ":")), "include_headers": "false"},
            headers=self.auth(cred),
            endpoint=endpoint,
            meter=meter,
            scopes=self.scopes(cred),
            cost=len(ops),  # every operation of a batch counts against the rate limits
        )
        self.note_usage(reply, cred)
        payload = reply.json()
        if reply.status != 200 or isinstance(payload, Mapping):
            self._raise_for(reply, payload, cred)
        if not isinstance(payload, list) or len(payload) != len(ops):
            log_malformed(endpoint, f"expected a list of {len(ops)} results", payload)
            raise MalformedResponse(f"{endpoint} answered a batch of the wrong shape")
        return [self._sub_reply(item, cred, reply) for item in payload]

    def _sub_reply(self, item: Any, cred: Credential, reply: Reply) -> SubReply:
        if item is None:
            return SubReply(
                code=None,
                body=None,
                error=None,
                problem=TransientError("batch operation did not complete", reason=Reason.TIMEOUT),
            )
        if not isinstance(item, Mapping) or not isinstance(item.get("code"), int):
            log_malformed(reply.endpoint, "batch item without a code", item)
            return SubReply(
                code=None,
                body=None,
                error=None,
                problem=MalformedResponse("batch item without a status code"),
            )
        code = int(item["code"])
        raw_body = item.get("body")
        body: Any = None
        if isinstance(raw_body, str):
            try:
                body = json.loads(raw_body)
            except ValueError:
                log_malformed(
                    reply.endpoint, f"batch item body is not JSON (code {code})", raw_body
                )
                return SubReply(
                    code=code,
                    body=None,
                    error=None,
                    problem=MalformedResponse("batch item body is not JSON"),
                )
        elif raw_body is not None:
            body = raw_body
        err = GraphError.from_payload(body)
        if err is not None:
            return SubReply(
                code=code, body=body, error=err, problem=self.classify(err, cred, reply)
            )
        if code >= 500:
            return SubReply(
                code=code,
                body=body,
                error=None,
                problem=TransientError(f"batch operation answered {code}"),
            )
        if code != 200 or not isinstance(body, Mapping):
            log_malformed(reply.endpoint, f"batch item code {code} without a usable body", item)
            return SubReply(
                code=code,
                body=body,
                error=None,
                problem=MalformedResponse(f"batch operation answered {code} without a usable body"),
            )
        return SubReply(code=code, body=body, error=None, problem=None)

    def close(self) -> None:
        self.client.close()


def chunked(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def next_cursor(paging: Any) -> str | None:
    """The ``after`` cursor when a Graph page says more follows.

    Only the presence of ``paging.next`` means another page exists (a short page does not mean
    the end: Graph filters items after paginating).
    """
    if not isinstance(paging, Mapping) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    if isinstance(cursors, Mapping) and isinstance(cursors.get("after"), str):
        return str(cursors["after"])
    return None


def _usage_percent(header: str, endpoint: str) -> int | None:
    try:
        data = json.loads(header)
    except ValueError:
        log_malformed(endpoint, "X-App-Usage is not JSON", header)
        return None
    if not isinstance(data, Mapping):
        return None
    values = [
        v
        for k, v in data.items()
        if k in ("call_count", "total_cputime", "total_time") and isinstance(v, int | float)
    ]
    return int(max(values)) if values else None


def _buc_usage(header: str, endpoint: str) -> tuple[int | None, int]:
    """(worst percentage, longest estimated_time_to_regain_access in minutes)."""
    try:
        data = json.loads(header)
    except ValueError:
        log_malformed(endpoint, "X-Business-Use-Case-Usage is not JSON", header)
        return None, 0
    worst: int | None = None
    eta = 0
    if not isinstance(data, Mapping):
        return None, 0
    for entries in data.values():
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            for k in ("call_count", "total_cputime", "total_time"):
                v = entry.get(k)
                if isinstance(v, int | float):
                    worst = int(v) if worst is None else max(worst, int(v))
            e = entry.get("estimated_time_to_regain_access")
            if isinstance(e, int | float):
                eta = max(eta, int(e))
    return worst, eta


__all__ = [
    "APP_SCOPE",
    "BATCH_MAX",
    "GraphApi",
    "GraphError",
    "SubReply",
    "chunked",
    "next_cursor",
]


@dataclass(frozen=True)
class ListingFields:
    """Which fields of a Graph media item hold a listed post's link, time and caption."""

    permalink: str
    posted_at: str
    title: str


def list_cursor_pages(
    fetch: Callable[[str | None, Meter], Mapping[str, Any]],
    fields: ListingFields,
    endpoint: str,
    limit: int,
) -> PostList:
    """Up to ``limit`` posts from a cursor-paginated Graph listing.

    ``fetch(after, meter)`` returns one page (``{"data": [...], "paging": {...}}``) given the
    ``after`` cursor (None for the first page). A failed call ends the listing with what was
    read so far and the reason; a malformed page or item is logged and skipped.
    """
    meter = Meter()
    out: list[ListedPost] = []
    after: str | None = None
    while len(out) < limit:
        try:
            page = fetch(after, meter)
            items = sequence(page.get("data"), "data")
        except CollectorError as exc:
            return PostList(posts=out, calls=meter.calls, halt=halt_of(exc), complete=False)
        except BadValue as exc:
            log_malformed(endpoint, str(exc), None)
            return PostList(posts=out, calls=meter.calls, complete=False)
        for item in items:
            if isinstance(item, Mapping) and len(out) < limit:
                try:
                    out.append(
                        ListedPost(
                            media_id=identifier(item),
                            permalink=text(item, fields.permalink),
                            posted_at=timestamp(item.get(fields.posted_at)),
                            title=text(item, fields.title),
                        )
                    )
                except BadValue as exc:
                    log_malformed(endpoint, str(exc), item)
        after = next_cursor(page.get("paging"))
        if after is None:
            break
    return PostList(posts=out, calls=meter.calls, complete=after is None)
