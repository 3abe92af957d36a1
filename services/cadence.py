"""Adaptive collection cadence: how often an entry's metrics are read, as a pure function.

A new post gains most of its views in its first days, so it is read often while young and rarely
when old, like the analytics tools libraries already know. The default policy:

- hourly for the first 48 hours after the post (or, when the post time is unknown, after the
  entry was registered);
- every 6 hours until the post is 14 days old;
- daily after that, until the challenge closes;
- one **deadline** collection at the challenge's close, stamped with the close time itself so the
  final board (computed "as of" the close) uses it;
- nothing once the challenge is frozen or published.

Collections happen on *slots*: multiples of the policy's base step (the greatest common divisor
of its intervals, one hour by default) counted from the Unix epoch, so every worker and every
planning pass computes the same stamp for the same collection. A round's ``collected_at`` is its
slot, which makes a re-planned or re-delivered collection hit the snapshot's unique key instead
of writing a second row.

The policy is a challenge setting kept in ``Challenge.cadence`` (JSON); an empty object means the
default. Nothing here touches the database or the clock: callers pass ``now``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.errors import BadInput
from store.enums import ChallengeStatus

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# After these statuses nothing is collected any more (the board is final).
FINAL_STATUSES = frozenset({ChallengeStatus.FROZEN, ChallengeStatus.PUBLISHED})


@dataclass(frozen=True)
class Step:
    """Collect every ``every`` while the post is younger than ``until`` (None: no bound)."""

    every: timedelta
    until: timedelta | None = None


@dataclass(frozen=True)
class Cadence:
    steps: tuple[Step, ...] = (
        Step(every=timedelta(hours=1), until=timedelta(hours=48)),
        Step(every=timedelta(hours=6), until=timedelta(days=14)),
        Step(every=timedelta(days=1)),
    )
    # One collection at the close, stamped with the close time.
    deadline: bool = True
    # How long after the close the deadline collection may still be made and stamped with the
    # close time; past this the counts would no longer describe the close, so it is skipped.
    deadline_grace: timedelta = timedelta(hours=6)
    base: timedelta = field(init=False)

    def __post_init__(self) -> None:
        _validate(self.steps, self.deadline_grace)
        seconds = 0
        for step in self.steps:
            seconds = math.gcd(seconds, int(step.every.total_seconds()))
        object.__setattr__(self, "base", timedelta(seconds=seconds))

    # ---- the policy ---------------------------------------------------------------------------
    def interval_at(self, age: timedelta) -> timedelta:
        """The interval that applies to a post of this age."""
        for step in self.steps:
            if step.until is None or age < step.until:
                return step.every
        return self.steps[-1].every  # not reached: the last step has no bound

    def slot(self, now: datetime) -> datetime:
        """The start of the slot ``now`` falls in."""
        base = int(self.base.total_seconds())
        seconds = int((now - EPOCH).total_seconds())
        return EPOCH + timedelta(seconds=seconds - seconds % base)

    # ---- JSON (Challenge.cadence) -------------------------------------------------------------
    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Cadence:
        """The policy a challenge stores; an empty or missing object is the default."""
        if not data:
            return cls()
        if not isinstance(data, Mapping):
            raise BadInput("cadence must be a JSON object")
        unknown = set(data) - {"steps", "deadline", "deadline_grace_hours"}
        if unknown:
            raise BadInput(f"cadence: unknown key(s) {sorted(unknown)}")
        default = cls()
        steps = default.steps
        if "steps" in data:
            raw_steps = data["steps"]
            if not isinstance(raw_steps, list) or not raw_steps:
                raise BadInput("cadence.steps must be a non-empty list")
            parsed = []
            for i, raw in enumerate(raw_steps, 1):
                if not isinstance(raw, Mapping) or "every_hours" not in raw:
                    raise BadInput(
                        f"cadence step {i}: expected {{'every_hours': H[, 'until_hours': H]}}"
                    )
                every = _hours(raw["every_hours"], f"cadence step {i} every_hours")
                bound = raw.get("until_hours")
                until = None if bound is None else _hours(bound, f"cadence step {i} until_hours")
                parsed.append(Step(every=every, until=until))
            steps = tuple(parsed)
        deadline = data.get("deadline", default.deadline)
        if not isinstance(deadline, bool):
            raise BadInput("cadence.deadline must be true or false")
        grace = default.deadline_grace
        if "deadline_grace_hours" in data:
            grace = _hours(data["deadline_grace_hours"], "cadence.deadline_grace_hours")
        return cls(steps=steps, deadline=deadline, deadline_grace=grace)

    def to_json(self) -> dict[str, Any]:
        return {
            "steps": [
                {
                    "every_hours": _as_hours(s.every),
                    **({} if s.until is None else {"until_hours": _as_hours(s.until)}),
                }
                for s in self.steps
            ],
            "deadline": self.deadline,
            "deadline_grace_hours": _as_hours(self.deadline_grace),
        }

    # ---- the command line's short form --------------------------------------------------------
    @classmethod
    def parse(cls, spec: str, *, deadline: bool = True, grace: str | None = None) -> Cadence:
        """``"48h:1h,14d:6h,*:1d"``: until-age:interval pairs, the last one ``*`` (no bound)."""
        steps = []
        for part in [p.strip() for p in spec.split(",") if p.strip()]:
            if ":" not in part:
                raise BadInput(f"cadence {spec!r}: {part!r} should be AGE:INTERVAL, e.g. 48h:1h")
            until_s, every_s = (x.strip() for x in part.split(":", 1))
            until = None if until_s == "*" else parse_duration(until_s)
            steps.append(Step(every=parse_duration(every_s), until=until))
        if not steps:
            raise BadInput(f"cadence {spec!r} has no steps")
        kwargs: dict[str, Any] = {"steps": tuple(steps), "deadline": deadline}
        if grace is not None:
            kwargs["deadline_grace"] = parse_duration(grace)
        return cls(**kwargs)

    def describe(self) -> str:
        parts = []
        for s in self.steps:
            bound = "*" if s.until is None else format_duration(s.until)
            parts.append(f"{bound}:{format_duration(s.every)}")
        return ",".join(parts)


def _validate(steps: tuple[Step, ...], grace: timedelta) -> None:
    if not steps:
        raise BadInput("a cadence needs at least one step")
    previous = timedelta(0)
    for i, step in enumerate(steps, 1):
        if step.every < timedelta(minutes=1) or step.every.total_seconds() % 60:
            raise BadInput(f"cadence step {i}: the interval must be whole minutes, at least 1")
        last = i == len(steps)
        if last and step.until is not None:
            raise BadInput("the last cadence step must have no age bound (it runs until the close)")
        if not last:
            if step.until is None:
                raise BadInput(f"cadence step {i}: only the last step may have no age bound")
            if step.until <= previous:
                raise BadInput(f"cadence step {i}: age bounds must increase")
            previous = step.until
    if grace < timedelta(0):
        raise BadInput("the deadline grace must not be negative")


def _hours(value: Any, what: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise BadInput(f"{what} must be a positive number of hours, not {value!r}")
    return timedelta(hours=value)


def _as_hours(d: timedelta) -> float | int:
    hours = d.total_seconds() / 3600
    return int(hours) if hours.is_integer() else hours


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$")


def parse_duration(text: str) -> timedelta:
    """``30m``, ``6h``, ``14d``."""
    m = _DURATION.match(text.strip().lower())
    if m is None:
        raise BadInput(f"{text!r} is not a duration such as 30m, 6h or 14d")
    n = float(m.group(1))
    unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
    return timedelta(**{unit: n})


def format_duration(d: timedelta) -> str:
    seconds = int(d.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# ---- the decision -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """What the decision needs to know about a challenge."""

    opens_at: datetime
    closes_at: datetime
    status: ChallengeStatus


def due_stamp(
    cadence: Cadence,
    window: Window,
    *,
    born_at: datetime,
    last_collected: datetime | None,
    now: datetime,
) -> datetime | None:
    """The ``collected_at`` an entry should be collected with now, or None if it is not due.

    ``born_at`` is when the post was published (or registered, if that is unknown);
    ``last_collected`` is the stamp of its newest API snapshot.
    """
    if window.status in FINAL_STATUSES:
        return None
    if now >= window.closes_at:
        if not cadence.deadline or now > window.closes_at + cadence.deadline_grace:
            return None
        if last_collected is not None and last_collected >= window.closes_at:
            return None
        return window.closes_at
    slot = cadence.slot(now)
    if slot < window.opens_at:
        return None
    age = max(slot - born_at, timedelta(0))
    interval = cadence.interval_at(age)
    if last_collected is None or last_collected <= slot - interval:
        return slot
    return None


def planned_stamps(
    cadence: Cadence, window: Window, *, born_at: datetime, until: datetime | None = None
) -> Iterator[datetime]:
    """Every stamp :func:`due_stamp` would give one entry collected on time at every slot, from
    the opening to ``until`` (default: the end of the deadline grace). For reports and tests."""
    end = until or (window.closes_at + cadence.deadline_grace)
    last: datetime | None = None
    now = cadence.slot(window.opens_at)
    if now < window.opens_at:
        now += cadence.base
    while now <= end:
        stamp = due_stamp(cadence, window, born_at=born_at, last_collected=last, now=now)
        if stamp is not None:
            yield stamp
            last = stamp
        if now < window.closes_at <= now + cadence.base:
            now = window.closes_at  # the deadline is checked at the close itself
        else:
            now += cadence.base


__all__ = [
    "FINAL_STATUSES",
    "Cadence",
    "Step",
    "Window",
    "due_stamp",
    "format_duration",
    "parse_duration",
    "planned_stamps",
]
