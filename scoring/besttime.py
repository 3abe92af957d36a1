"""Best time to post: engagement by weekday and hour in the library's own time zone.

Pure maths: no database, no network, no clock. Each past post gives its publishing time and
its engagement. Engagement is compared on a log scale (``log1p``), so one viral post does not
decide a slot, and each weekday-hour slot's mean is shrunk towards the library's overall mean
with the weight of ``prior_weight`` average posts (empirical-Bayes style): a slot with one good
post is not advice. A slot's ``lift`` is how much more engagement a post there gets than the
library's typical post (1.25 = 25% more). No advice at all below ``min_posts`` posts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

WEEKDAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class PostSample:
    posted_at: datetime  # aware
    engagement: float  # interactions (likes + comments + shares + saves), >= 0


@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    hour: int  # 0-23, local time
    posts: int
    mean_engagement: float | None  # plain mean of the slot's posts
    lift: float | None  # shrunk, relative to the library's typical post


@dataclass(frozen=True)
class BestTime:
    timezone: str
    posts: int
    enough: bool
    reason: str | None
    slots: list[Slot]  # all 168, Monday 00:00 first
    best: list[Slot]  # the recommended slots, best first (empty when not enough data)

    def grid(self) -> list[list[float | None]]:
        """7 x 24 lifts (rows Monday..Sunday, columns hours) for a heatmap."""
        rows: list[list[float | None]] = [[None] * 24 for _ in range(7)]
        for s in self.slots:
            rows[s.weekday][s.hour] = s.lift
        return rows


def best_times(
    samples: Iterable[PostSample],
    timezone: str,
    *,
    min_posts: int = 20,
    min_slot_posts: int = 2,
    prior_weight: float = 3.0,
    top: int = 5,
) -> BestTime:
    if min_posts < 1 or min_slot_posts < 1 or prior_weight < 0:
        raise ValueError("min_posts and min_slot_posts must be >= 1, prior_weight >= 0")
    zone = ZoneInfo(timezone)
    cells: dict[tuple[int, int], list[float]] = {}
    raw: dict[tuple[int, int], list[float]] = {}
    count = 0
    for sample in samples:
        if sample.posted_at.tzinfo is None:
            raise ValueError("posted_at must be an aware datetime")
        if sample.engagement < 0 or math.isnan(sample.engagement):
            raise ValueError(f"engagement must be >= 0, got {sample.engagement}")
        local = sample.posted_at.astimezone(zone)
        key = (local.weekday(), local.hour)
        cells.setdefault(key, []).append(math.log1p(sample.engagement))
        raw.setdefault(key, []).append(sample.engagement)
        count += 1
    overall = sum(sum(v) for v in cells.values()) / count if count else 0.0
    slots = []
    for weekday in range(7):
        for hour in range(24):
            values = cells.get((weekday, hour), [])
            n = len(values)
            if n == 0:
                slots.append(Slot(weekday, hour, 0, None, None))
                continue
            shrunk = (sum(values) + prior_weight * overall) / (n + prior_weight)
            mean = sum(raw[(weekday, hour)]) / n
            slots.append(Slot(weekday, hour, n, mean, math.exp(shrunk - overall)))
    if count < min_posts:
        reason = f"only {count} post(s) with metrics; advice needs at least {min_posts}"
        return BestTime(timezone, count, False, reason, slots, [])
    eligible = [s for s in slots if s.posts >= min_slot_posts and s.lift is not None]
    if not eligible:
        reason = f"no weekday-hour has {min_slot_posts} or more posts yet"
        return BestTime(timezone, count, False, reason, slots, [])
    eligible.sort(key=lambda s: (-(s.lift or 0.0), -s.posts, s.weekday, s.hour))
    return BestTime(timezone, count, True, None, slots, eligible[:top])


__all__ = ["WEEKDAYS_EN", "WEEKDAYS_ID", "BestTime", "PostSample", "Slot", "best_times"]
