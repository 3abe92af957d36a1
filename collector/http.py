"""The HTTP layer every adapter shares: one pooled ``requests`` session per adapter, retries with
exponential backoff and jitter (urllib3 ``Retry`` mounted on the session's ``HTTPAdapter``),
timeouts, call counting, the rate gate, and redacted logging of anything malformed.

Retries cover connection errors, read timeouts and HTTP 500/502/503/504. They do NOT cover 429
or the platforms' rate-limit errors: those mean "stop", and are classified by the adapter. The
``Retry-After`` header is deliberately not slept on by urllib3 (a 503 asking for an hour would
block a worker); the adapter turns it into a gate entry instead.

POST is retried too, because every POST the collector makes is a read (a Graph batch of GETs,
TikTok ``video/query``). A publishing client must build its :class:`HttpConfig` with
``retry_methods=frozenset({"GET"})`` so that nothing is posted twice.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from urllib3.util.retry import Retry

from collector.errors import MalformedResponse, RateLimited, Reason, TransientError
from collector.ratelimit import MemoryRateGate, RateGate, utcnow
from collector.redact import excerpt, get_logger, redact

log = get_logger(__name__)


@runtime_checkable
class Limiter(Protocol):
    """Paces calls before they are made (shared rate limits and quotas, see tasks.ratelimit).

    ``acquire`` returns when every scope may take ``cost`` more calls spending ``quota_units``
    (waiting a little if needed) and raises :class:`RateLimited` when the wait would be long.
    """

    def acquire(self, scopes: Sequence[str], quota_units: int = 0, cost: int = 1) -> None: ...


@dataclass(frozen=True)
class HttpConfig:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff_factor: float = 0.5  # seconds; doubled per consecutive failure
    backoff_max: float = 30.0
    backoff_jitter: float = 0.5  # up to this many seconds added at random to each backoff
    retry_statuses: frozenset[int] = frozenset({500, 502, 503, 504})
    retry_methods: frozenset[str] = frozenset({"GET", "POST"})
    pool_size: int = 32
    user_agent: str = "reelboard-collector/0.1 (+https://github.com/reelboard)"
    # Shared rate limits and quotas, asked before every request (None: only the gate applies).
    limiter: Limiter | None = field(default=None, compare=False)


@dataclass
class Meter:
    """Counts what one operation spent: HTTP requests (retries included) and quota units."""

    calls: int = 0
    quota_units: int = 0
    endpoints: dict[str, int] = field(default_factory=dict)

    def add(self, endpoint: str, calls: int, quota_units: int = 0) -> None:
        self.calls += calls
        self.quota_units += quota_units
        self.endpoints[endpoint] = self.endpoints.get(endpoint, 0) + calls


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str  # redacted
    endpoint: str

    def json(self) -> Any:
        """The parsed body; a body that is not JSON is logged (redacted) and raised as malformed."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning(
                "malformed body from %s (HTTP %s): %s",
                self.endpoint,
                self.status,
                excerpt(self.body),
            )
            raise MalformedResponse(
                f"{self.endpoint} answered HTTP {self.status} with a body that is not JSON"
            ) from exc

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


def log_malformed(endpoint: str, problem: str, payload: Any) -> None:
    """Log an unexpected (but parseable) payload in full, redacted, then the caller skips it."""
    if isinstance(payload, str | bytes):
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    else:
        try:
            text = json.dumps(payload, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(payload)
    log.warning("unexpected payload from %s (%s): %s", endpoint, problem, excerpt(text, 4000))


def retry_after(reply: Reply, now: datetime) -> datetime | None:
    """The time a ``Retry-After`` header (seconds or HTTP date) names, if any."""
    value = reply.header("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return now + timedelta(seconds=max(0.0, float(value)))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when, now)


class ApiClient:
    """Sends requests for one API, honouring the gate; thread-safe."""

    def __init__(
        self,
        api: str,
        *,
        config: HttpConfig | None = None,
        gate: RateGate | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.api = api
        self.config = config or HttpConfig()
        self.gate: RateGate = gate if gate is not None else MemoryRateGate(now)
        self.now = now
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._proxy_cache: dict[str, dict[str, str]] = {}

    # One session per thread: requests' Session is not documented as thread-safe.
    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._new_session()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _new_session(self) -> requests.Session:
        cfg = self.config
        retry = Retry(
            total=cfg.retries,
            connect=cfg.retries,
            read=cfg.retries,
            status=cfg.retries,
            other=0,
            redirect=0,
            allowed_methods=cfg.retry_methods,
            status_forcelist=cfg.retry_statuses,
            backoff_factor=cfg.backoff_factor,
            backoff_max=cfg.backoff_max,
            backoff_jitter=cfg.backoff_jitter,
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=cfg.pool_size)
        session = requests.Session()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = cfg.user_agent
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # stateless
        # requests would read ~/.netrc and scan the environment for proxies on every request;
        # the proxies are looked up once per host instead (see _proxies), and netrc is not used.
        session.trust_env = False
        return session

    def _proxies(self, url: str) -> dict[str, str]:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        found = self._proxy_cache.get(key)
        if found is None:
            found = dict(get_environ_proxies(key))
            self._proxy_cache[key] = found
        return found

    def close(self) -> None:
        with self._lock:
            for s in self._sessions:
                s.close()
            self._sessions.clear()

    def check_gate(self, scopes: Sequence[str]) -> None:
        """Raise :class:`RateLimited` if any scope is still blocked (no network call is made)."""
        for scope in scopes:
            entry = self.gate.blocked(scope)
            if entry is not None:
                until, why = entry
                reason = (
                    Reason.QUOTA_EXCEEDED if why == Reason.QUOTA_EXCEEDED else Reason.RATE_LIMITED
                )
                raise RateLimited(
                    f"{scope} may not be called before {until.isoformat()} ({why})",
                    retry_at=until,
                    scope=scope,
                    reason=reason,
                )

    def block(self, scope: str, until: datetime, reason: Reason | str) -> None:
        log.info("blocking %s until %s (%s)", scope, until.isoformat(), reason)
        self.gate.block(scope, until, str(reason))

    def send(
        self,
        method: str,
        url: str,
        *,
        endpoint: str,
        meter: Meter,
        scopes: Sequence[str] = (),
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        quota_units: int = 0,
        cost: int = 1,
    ) -> Reply:
        """One logical request (urllib3 may retry it). Raises :class:`RateLimited` when gated,
        :class:`TransientError` when timeouts/5xx outlive the retries; returns every other reply
        (4xx included) for the adapter to classify."""
        self.check_gate(scopes)
        cfg = self.config
        if cfg.limiter is not None:
            cfg.limiter.acquire(scopes, quota_units=quota_units, cost=cost)
        try:
            resp = self._session().request(
                method,
                url,
                params=params,
                data=data,
                json=json_body,
                headers=headers,
                timeout=(cfg.connect_timeout, cfg.read_timeout),
                allow_redirects=False,
                proxies=self._proxies(url),
            )
        except requests.Timeout as exc:
            meter.add(endpoint, cfg.retries + 1, quota_units * (cfg.retries + 1))
            log.info("%s timed out after %d attempts: %s", endpoint, cfg.retries + 1, redact(url))
            raise TransientError(
                f"{endpoint} timed out after {cfg.retries + 1} attempts", reason=Reason.TIMEOUT
            ) from exc
        except requests.ConnectionError as exc:
            meter.add(endpoint, cfg.retries + 1, quota_units * (cfg.retries + 1))
            timed_out = "timed out" in str(exc).lower() or "timeout" in type(exc).__name__.lower()
            reason = Reason.TIMEOUT if timed_out else Reason.CONNECTION_ERROR
            log.info("%s failed after %d attempts: %s", endpoint, cfg.retries + 1, redact(str(exc)))
            raise TransientError(
                f"{endpoint} failed after {cfg.retries + 1} attempts ({reason})", reason=reason
            ) from exc
        except requests.RequestException as exc:
            meter.add(endpoint, 1, quota_units)
            log.info("%s failed: %s", endpoint, redact(str(exc)))
            raise TransientError(
                f"{endpoint} failed: {type(exc).__name__}", reason=Reason.CONNECTION_ERROR
            ) from exc
        attempts = 1
        retries = getattr(resp.raw, "retries", None)
        if retries is not None and getattr(retries, "history", None):
            attempts += len(retries.history)
        meter.add(endpoint, attempts, quota_units * attempts)
        reply = Reply(
            status=resp.status_code,
            headers=dict(resp.headers),
            body=resp.content,
            url=redact(resp.url),
            endpoint=endpoint,
        )
        if reply.status in cfg.retry_statuses or reply.status >= 500:
            log.info(
                "%s answered HTTP %s after %d attempts: %s",
                endpoint,
                reply.status,
                attempts,
                excerpt(reply.body, 500),
            )
            raise TransientError(
                f"{endpoint} answered HTTP {reply.status} after {attempts} attempts",
                reason=Reason.SERVER_ERROR,
            )
        return reply


__all__ = ["ApiClient", "HttpConfig", "Limiter", "Meter", "Reply", "log_malformed", "retry_after"]
