"""Rate limits and quotas shared by every worker, through Redis (or memory in embedded mode).

Three mechanisms, each keyed by the collector's *scope* names (``graph:app`` for the whole Meta
app, ``graph:<credential>`` for one Instagram account or Page token, ``youtube:app`` for the API
key, ``tiktok:<credential>`` for one user token):

- :class:`SharedGate` remembers "do not call this scope before T" (a 429, a rate-limit error code,
  usage headers near their limit, an exhausted quota). It implements the collector's ``RateGate``
  protocol, so when one worker is told to back off, every worker backs off.
- :class:`Pacer` keeps each scope under its configured rate *before* calling: a moving window per
  scope (the ``limits`` library; Redis storage across workers, memory storage in one process).
  A call waits for room when the wait is short and is deferred (``RateLimited``) when it is long.
  Each window is enforced one second longer than configured, so that the time requests spend in
  transit can never make the platform count more than the limit in its own window.
- :class:`DailyBudget` counts quota units per day in the API's own time zone: the YouTube Data
  API gives an API key 10,000 units a day, reset at midnight Pacific time.

Redis keys all start with the deployment's prefix (``REELBOARD_REDIS_PREFIX``).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

import redis
from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from collector.errors import RateLimited, Reason

log = logging.getLogger(__name__)
T = TypeVar("T")

PACIFIC = ZoneInfo("America/Los_Angeles")
# How long a caller may be kept waiting for room in a window before the work is deferred.
DEFAULT_MAX_WAIT = 20.0
# Extra seconds added to every window (see the module's docstring).
WINDOW_MARGIN = 1
# How long to wait for Redis to come back before giving up on a call.
REDIS_PATIENCE = 30.0


def utcnow() -> datetime:
    return datetime.now(UTC)


class Limiter(Protocol):
    """What the collector's HTTP layer calls before every request."""

    def acquire(self, scopes: Sequence[str], quota_units: int = 0, cost: int = 1) -> None:
        """Return when every scope may take ``cost`` more calls spending ``quota_units``, after
        waiting if needed; raise ``RateLimited`` when that would take too long."""
        ...


# ---- the shared gate -----------------------------------------------------------------------------
_BLOCK_SCRIPT = """
local until_ms = tonumber(ARGV[1])
local current = redis.call('hget', KEYS[1], 'until')
if current and tonumber(current) >= until_ms then
  return 0
end
redis.call('hset', KEYS[1], 'until', ARGV[1], 'reason', ARGV[2])
redis.call('pexpireat', KEYS[1], until_ms)
return 1
"""


class SharedGate:
    """The collector's ``RateGate`` in Redis: a hash per blocked scope that expires by itself."""

    def __init__(self, client: redis.Redis, prefix: str, now: Callable[[], datetime] = utcnow):
        self.client = client
        self.prefix = f"{prefix}:gate:"
        self.now = now
        self._block = client.register_script(_BLOCK_SCRIPT)

    def blocked(self, scope: str) -> tuple[datetime, str] | None:
        values: Any = _patiently(lambda: self.client.hgetall(self.prefix + scope))
        if not values:
            return None
        got = {_text(k): _text(v) for k, v in values.items()}
        if "until" not in got:
            return None
        until = datetime.fromtimestamp(int(got["until"]) / 1000, UTC)
        if until <= self.now():
            return None
        return until, got.get("reason", "")

    def blocked_until(self, scope: str) -> datetime | None:
        entry = self.blocked(scope)
        return entry[0] if entry else None

    def block(self, scope: str, until: datetime, reason: str) -> None:
        if until <= self.now():
            return
        ms = int(until.timestamp() * 1000)
        _patiently(lambda: self._block(keys=[self.prefix + scope], args=[ms, reason]))

    def blocks(self) -> dict[str, tuple[datetime, str]]:
        """Every scope still blocked, with its time and reason (for `reelboard status`)."""
        out: dict[str, tuple[datetime, str]] = {}
        for key in self.client.scan_iter(match=self.prefix + "*", count=500):
            name = key.decode() if isinstance(key, bytes) else str(key)
            values: Any = self.client.hgetall(name)
            if not values:
                continue
            got = {_text(k): _text(v) for k, v in values.items()}
            until = datetime.fromtimestamp(int(got["until"]) / 1000, UTC)
            if until > self.now():
                out[name[len(self.prefix) :]] = (until, got.get("reason", ""))
        return out


# ---- the daily budget ----------------------------------------------------------------------------
_SPEND_SCRIPT = """
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local used = tonumber(redis.call('get', KEYS[1]) or '0')
if used + cost > limit then
  return -1
end
local n = redis.call('incrby', KEYS[1], cost)
redis.call('expire', KEYS[1], tonumber(ARGV[3]))
return n
"""


@dataclass(frozen=True)
class Budget:
    scope: str
    units: int
    tz: ZoneInfo = PACIFIC


def day_of(at: datetime, tz: ZoneInfo) -> tuple[str, datetime]:
    """The budget day ``at`` falls in (``YYYY-MM-DD`` in ``tz``) and when the next day starts."""
    local = at.astimezone(tz)
    start_next = datetime(local.year, local.month, local.day, tzinfo=tz) + timedelta(days=1)
    # Normalise across a daylight-saving change (the next local midnight, as an aware time).
    start_next = start_next.replace(tzinfo=None).replace(tzinfo=tz)
    return local.date().isoformat(), start_next.astimezone(UTC)


class DailyBudget:
    """Quota units per scope and day; Redis when a client is given, else this process's memory."""

    def __init__(
        self,
        budgets: Sequence[Budget],
        *,
        client: redis.Redis | None = None,
        prefix: str = "reelboard",
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.budgets = {b.scope: b for b in budgets}
        self.client = client
        self.prefix = f"{prefix}:quota:"
        self.now = now
        self._spend = client.register_script(_SPEND_SCRIPT) if client is not None else None
        self._memory: dict[str, int] = {}
        self._lock = threading.Lock()

    def _key(self, budget: Budget, at: datetime) -> tuple[str, datetime]:
        day, next_day = day_of(at, budget.tz)
        return f"{self.prefix}{budget.scope}:{day}", next_day

    def spend(self, scope: str, units: int) -> None:
        """Take ``units`` from today's budget of ``scope``, or raise ``RateLimited`` (quota
        exceeded, retry at the next day) without taking anything."""
        budget = self.budgets.get(scope)
        if budget is None or units <= 0:
            return
        now = self.now()
        key, next_day = self._key(budget, now)
        if self._spend is not None:
            spend = self._spend
            ttl = int((next_day - now).total_seconds()) + 86400
            result = int(_patiently(lambda: spend(keys=[key], args=[units, budget.units, ttl])))
        else:
            with self._lock:
                used = self._memory.get(key, 0)
                if used + units > budget.units:
                    result = -1
                else:
                    self._memory[key] = result = used + units
        if result < 0:
            raise RateLimited(
                f"{scope} has spent its {budget.units} quota units for today; "
                f"the budget resets at {next_day.isoformat()}",
                retry_at=next_day,
                scope=scope,
                reason=Reason.QUOTA_EXCEEDED,
            )

    def used_today(self, scope: str) -> int:
        budget = self.budgets.get(scope)
        if budget is None:
            return 0
        key, _ = self._key(budget, self.now())
        if self.client is not None:
            raw: Any = self.client.get(key)
            return int(raw) if raw is not None else 0
        with self._lock:
            return self._memory.get(key, 0)


# ---- the pacer -----------------------------------------------------------------------------------
def widen(item: RateLimitItem, margin: int = WINDOW_MARGIN) -> RateLimitItem:
    """The same amount over a window ``margin`` seconds longer."""
    return RateLimitItemPerSecond(item.amount, item.get_expiry() + margin)


def rules_from(specs: Mapping[str, str]) -> dict[str, list[RateLimitItem]]:
    return {scope: [widen(i) for i in parse_many(spec)] for scope, spec in specs.items()}


class Pacer:
    """Keeps every scope under its rate across all workers, and spends quota units.

    ``rules`` maps a scope (``tiktok:<key>``), or a wildcard for every credential of an API
    (``tiktok:*``, which does not match ``tiktok:app``), to its rate items.
    """

    def __init__(
        self,
        storage: Storage,
        rules: Mapping[str, Sequence[RateLimitItem]],
        *,
        budget: DailyBudget | None = None,
        gate: Any = None,
        max_wait: float = DEFAULT_MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.rules = {k: list(v) for k, v in rules.items()}
        self.budget = budget
        self.gate = gate
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.waited = 0.0  # seconds spent waiting for room, for reports

    def items_for(self, scope: str) -> list[RateLimitItem]:
        if scope in self.rules:
            return self.rules[scope]
        api, _, who = scope.partition(":")
        if who != "app":
            return self.rules.get(f"{api}:*", [])
        return []

    def acquire(self, scopes: Sequence[str], quota_units: int = 0, cost: int = 1) -> None:
        deadline = self.clock() + self.max_wait
        for scope in scopes:
            for item in self.items_for(scope):
                self._take(scope, item, deadline, max(1, cost))
        if self.budget is not None and quota_units > 0:
            for scope in scopes:
                try:
                    self.budget.spend(scope, quota_units)
                except RateLimited as exc:
                    if self.gate is not None:
                        self.gate.block(scope, exc.retry_at, str(Reason.QUOTA_EXCEEDED))
                    raise

    def _take(self, scope: str, item: RateLimitItem, deadline: float, cost: int) -> None:
        if cost > item.amount:
            raise ValueError(
                f"one request costing {cost} can never fit {scope}'s limit of {item.amount}"
            )
        while True:
            if _patiently(lambda: self.limiter.hit(item, scope, cost=cost)):
                return
            stats = _patiently(lambda: self.limiter.get_window_stats(item, scope))
            now = self.clock()
            reset = max(stats.reset_time, now + 0.01)
            if reset > deadline:
                raise RateLimited(
                    f"{scope} is at its limit of {item.amount} calls per "
                    f"{item.get_expiry() - WINDOW_MARGIN}s; room again at "
                    f"{datetime.fromtimestamp(reset, UTC).isoformat()}",
                    retry_at=datetime.fromtimestamp(reset, UTC),
                    scope=scope,
                )
            pause = reset - now + random.uniform(0, 0.05)
            self.waited += pause
            self.sleep(pause)


# ---- building them from the settings -------------------------------------------------------------
@dataclass
class Limits:
    """The gate, pacer and budget one process uses; shared through Redis when it has a URL."""

    gate: Any  # collector.ratelimit.RateGate
    pacer: Pacer
    budget: DailyBudget
    client: redis.Redis | None = None

    @classmethod
    def build(
        cls,
        *,
        redis_url: str | None,
        prefix: str,
        rate_limits: Mapping[str, str],
        youtube_daily_quota: int,
        max_wait: float = DEFAULT_MAX_WAIT,
    ) -> Limits:
        from collector.ratelimit import MemoryRateGate

        budgets = [Budget("youtube:app", youtube_daily_quota)]
        rules = rules_from(rate_limits)
        if redis_url:
            client = redis.Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=5)
            gate: Any = SharedGate(client, prefix)
            budget = DailyBudget(budgets, client=client, prefix=prefix)
            storage: Storage = RedisStorage(
                redis_url, key_prefix=f"{prefix}:limits", socket_timeout=10
            )
        else:
            client = None
            gate = MemoryRateGate()
            budget = DailyBudget(budgets)
            storage = MemoryStorage()
        pacer = Pacer(storage, rules, budget=budget, gate=gate, max_wait=max_wait)
        return cls(gate=gate, pacer=pacer, budget=budget, client=client)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _patiently(call: Callable[[], T]) -> T:
    """Run a Redis call, retrying while Redis is unreachable (a restart) for a while."""
    give_up = time.monotonic() + REDIS_PATIENCE
    pause = 0.2
    while True:
        try:
            return call()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if time.monotonic() > give_up:
                raise
            log.warning("Redis unreachable (%s); retrying in %.1fs", exc, pause)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


__all__ = [
    "PACIFIC",
    "Budget",
    "DailyBudget",
    "Limiter",
    "Limits",
    "Pacer",
    "SharedGate",
    "day_of",
    "rules_from",
    "widen",
]
