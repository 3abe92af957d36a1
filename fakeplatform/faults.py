"""Switches for everything the real APIs do wrong, and the limits they enforce.

A :class:`FaultRule` injects one kind of failure into matching calls, ``times`` times (or for
ever with ``times=None``). ``failure_rate`` fails that fraction of all HTTP calls at random with a
seeded generator (``failure_kinds`` chooses among 5xx, timeouts and 429). ``latency`` is added to
every call (benchmarks). Limits answer with each platform's documented rate-limit errors.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any

FAULT_KINDS = (
    "server_error",  # HTTP 5xx (Graph: code 2 body; YouTube: backendError; TikTok: internal_error)
    "timeout",  # answer only after ``delay`` seconds
    "rate_limit",  # HTTP 429 with Retry-After (TikTok rate_limit_exceeded), or Graph ``code``
    "malformed",  # HTTP 200 with a body that is not JSON
    "quota",  # YouTube 403 quotaExceeded
    "graph_error",  # a Graph error envelope with ``code``/``subcode`` (HTTP ``status``)
    "tiktok_error",  # a TikTok envelope with error.code = ``code`` (HTTP ``status``)
    "batch_null",  # a Graph batch operation that "did not complete": null in the answer
)


@dataclass
class FaultRule:
    kind: str
    endpoint: str = ""  # prefix of the endpoint name ("" = every call), e.g. "youtube.videos"
    credential: str | None = None  # the call's credential label, None = any
    times: int | None = 1  # how many calls it hits; None = every matching call
    status: int | None = None  # HTTP status override
    retry_after: int | None = 30  # seconds, for rate_limit
    delay: float = 5.0  # seconds, for timeout
    code: int | str | None = None  # Graph error code or TikTok error code
    subcode: int | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")

    def matches(self, endpoint: str, credential: str | None) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.endpoint and not (endpoint == self.endpoint or endpoint.startswith(self.endpoint)):
            return False
        return self.credential is None or self.credential == credential


@dataclass
class Faults:
    latency: float = 0.0  # seconds added to every API call
    rules: list[FaultRule] = field(default_factory=list)
    failure_rate: float = 0.0
    failure_kinds: tuple[str, ...] = ("server_error", "timeout", "rate_limit")
    failure_seed: int = 0
    timeout_delay: float = 2.0  # how long a random "timeout" waits before answering
    # Limits (per window of the world clock).
    graph_app_calls_per_hour: int = 200_000
    graph_account_calls_per_hour: int = 4_800
    tiktok_calls_per_minute: int = 600  # per token and endpoint
    youtube_quota_per_day: int = 10_000  # units; the day ends at midnight Pacific Time
    youtube_calls_per_100s: int | None = None
    usage_headers: bool = True
    usage_headers_after: int = 3  # the usage headers appear once this many calls were made
    # Extra Instagram insights metrics to refuse with error 100 (on top of the retired ones).
    ig_refused_metrics: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.failure_seed)

    def take(
        self, endpoint: str, credential: str | None, *, random_ok: bool = True
    ) -> FaultRule | None:
        """The fault to inject into this call, consuming one use of its rule.

        ``random_ok`` False leaves out the random failures (Graph batch operations: the random
        failure rate applies to HTTP calls).
        """
        with self._lock:
            for rule in self.rules:
                if rule.matches(endpoint, credential):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
            if random_ok and self.failure_rate > 0 and self._rng.random() < self.failure_rate:
                kind = self._rng.choice(self.failure_kinds)
                return FaultRule(kind=kind, times=None, delay=self.timeout_delay, retry_after=5)
        return None

    def add(self, kind: str, **kwargs: Any) -> FaultRule:
        rule = FaultRule(kind=kind, **kwargs)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.failure_rate = 0.0
            self.latency = 0.0

    def reseed(self, seed: int) -> None:
        with self._lock:
            self.failure_seed = seed
            self._rng = random.Random(seed)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "rules":
                out["rules"] = [asdict(r) for r in v]
            elif isinstance(v, set):
                out[f.name] = sorted(v)
            elif isinstance(v, tuple):
                out[f.name] = list(v)
            else:
                out[f.name] = v
        return out

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a JSON patch of settings (the admin endpoint); unknown keys are refused."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        for name, value in changes.items():
            if name == "rules":
                rules = [FaultRule(**r) for r in value]
                with self._lock:
                    self.rules = rules
            elif name == "failure_seed":
                self.reseed(int(value))
            elif name == "ig_refused_metrics":
                self.ig_refused_metrics = set(value)
            elif name == "failure_kinds":
                kinds = tuple(value)
                for k in kinds:
                    FaultRule(kind=k)
                self.failure_kinds = kinds
            else:
                setattr(self, name, value)


__all__ = ["FAULT_KINDS", "FaultRule", "Faults"]
