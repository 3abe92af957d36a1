"""The library reach report: what a library's posts gained over a period, for the library itself.

For each post, a count's gain over ``[start, end]`` is its value at ``end`` (latest snapshot at or
before ``end`` that has the count) minus its value at ``start``:

* a post published at or after ``start`` starts from 0;
* a post published before ``start`` with no snapshot at or before ``start`` starts from its first
  snapshot inside the period; the post is counted as *partial* (its gain is a lower bound);
* a count the platform hides (None) is left out, never read as 0; rows say how many posts had it.

Engagement is likes + comments + shares + saves (unweighted, the types known). Reach is the sum of
the posts' reach gains (people reached by two posts count twice; platforms give reach per post).
Follower growth is per account: followers at ``end`` minus followers at ``start`` (the same rules).
Gains can be negative when a platform removes views or followers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scoring.inputs import SnapshotInput

__all__ = [
    "AccountInput",
    "FollowerGrowth",
    "FollowerSnapshot",
    "PostInput",
    "ReachReport",
    "ReachRow",
    "reach_report",
]

COUNTS = ("views", "reach", "likes", "comments", "shares", "saves")
ENGAGEMENT = ("likes", "comments", "shares", "saves")


@dataclass(frozen=True)
class PostInput:
    """A library's post (a contest entry or any post it tracks); snapshots use ``post_id``."""

    post_id: int
    library: str
    platform: str
    pillar: str | None
    posted_at: datetime | None


@dataclass(frozen=True)
class AccountInput:
    account_id: int
    library: str
    platform: str


@dataclass(frozen=True)
class FollowerSnapshot:
    account_id: int
    collected_at: datetime
    followers: int | None


@dataclass(frozen=True)
class ReachRow:
    """Sums over the posts of one (library, platform, pillar) group; None = no post had it."""

    library: str
    platform: str | None
    pillar: str | None
    posts: int
    partial_posts: int
    views: int | None
    reach: int | None
    engagement: int | None
    posts_with_views: int
    posts_with_reach: int
    posts_with_engagement: int

    @property
    def engagement_rate(self) -> float | None:
        """Engagement per view over the period (None without views)."""
        if self.engagement is None or not self.views:
            return None
        return self.engagement / self.views


@dataclass(frozen=True)
class FollowerGrowth:
    library: str
    platform: str
    accounts: int
    followers_start: int | None
    followers_end: int | None
    growth: int | None
    partial: bool

    @property
    def growth_pct(self) -> float | None:
        if self.growth is None or not self.followers_start:
            return None
        return 100 * self.growth / self.followers_start


@dataclass(frozen=True)
class ReachReport:
    start: datetime
    end: datetime
    rows: tuple[ReachRow, ...]  # per library, platform and pillar
    followers: tuple[FollowerGrowth, ...]  # per library and platform

    def rollup(self, *dimensions: str) -> tuple[ReachRow, ...]:
        """Rows summed over the dimensions not named (of library, platform, pillar)."""
        for d in dimensions:
            if d not in ("library", "platform", "pillar"):
                raise ValueError(f"unknown dimension {d!r}")
        groups: dict[tuple[str | None, ...], list[ReachRow]] = {}
        for r in self.rows:
            key = (
                r.library,
                r.platform if "platform" in dimensions else None,
                r.pillar if "pillar" in dimensions else None,
            )
            groups.setdefault(key, []).append(r)
        out = []
        for (lib, plat, pil), rs in sorted(groups.items(), key=lambda kv: _sort_key(kv[0])):
            out.append(
                ReachRow(
                    library=str(lib),
                    platform=plat,
                    pillar=pil,
                    posts=sum(r.posts for r in rs),
                    partial_posts=sum(r.partial_posts for r in rs),
                    views=_sum(r.views for r in rs),
                    reach=_sum(r.reach for r in rs),
                    engagement=_sum(r.engagement for r in rs),
                    posts_with_views=sum(r.posts_with_views for r in rs),
                    posts_with_reach=sum(r.posts_with_reach for r in rs),
                    posts_with_engagement=sum(r.posts_with_engagement for r in rs),
                )
            )
        return tuple(out)


def _sort_key(key: tuple[str | None, ...]) -> tuple[tuple[int, str], ...]:
    return tuple((1, "") if k is None else (0, k) for k in key)


def _sum(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _value_at(
    rows: list[tuple[datetime, int, int | None]], t: datetime
) -> tuple[datetime, int] | None:
    """Latest (time, value) at or before t with a known value; rows sorted by time."""
    best = None
    for at, _sid, v in rows:
        if at > t:
            break
        if v is not None:
            best = (at, v)
    return best


def _first_after(
    rows: list[tuple[datetime, int, int | None]], t: datetime, end: datetime
) -> int | None:
    for at, _sid, v in rows:
        if t < at <= end and v is not None:
            return v
    return None


def _gain(
    rows: list[tuple[datetime, int, int | None]],
    start: datetime,
    end: datetime,
    from_zero: bool,
) -> tuple[int | None, bool]:
    """(gain, partial) of one count over the period."""
    at_end = _value_at(rows, end)
    if at_end is None:
        return None, False
    if from_zero:
        return at_end[1], False
    at_start = _value_at(rows, start)
    if at_start is not None:
        return at_end[1] - at_start[1], False
    first = _first_after(rows, start, end)
    if first is None:
        return None, False
    return at_end[1] - first, True


def reach_report(
    posts: Iterable[PostInput],
    snapshots: Iterable[SnapshotInput],
    accounts: Iterable[AccountInput],
    follower_snapshots: Iterable[FollowerSnapshot],
    start: datetime,
    end: datetime,
) -> ReachReport:
    """Views, reach, engagement and follower growth per library, platform and pillar."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware times")
    if end <= start:
        raise ValueError(f"the period is empty: end {end.isoformat()} <= start {start.isoformat()}")
    by_post: dict[int, list[SnapshotInput]] = {}
    for s in snapshots:
        by_post.setdefault(s.entry_id, []).append(s)
    acc: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for p in sorted(posts, key=lambda p: p.post_id):
        if p.posted_at is None or p.posted_at > end:
            continue
        snaps = sorted(by_post.get(p.post_id, []), key=lambda s: (s.collected_at, s.snapshot_id))
        from_zero = p.posted_at >= start
        g = acc.setdefault(
            (p.library, p.platform, p.pillar),
            {"posts": 0, "partial": 0, "views": [], "reach": [], "engagement": []},
        )
        g["posts"] += 1
        partial = False
        gains: dict[str, int | None] = {}
        for c in COUNTS:
            rows = [(s.collected_at, s.snapshot_id, s.count(c)) for s in snaps]
            gains[c], part = _gain(rows, start, end, from_zero)
            partial = partial or part
        g["partial"] += int(partial)
        for c in ("views", "reach"):
            g[c].append(gains[c])
        known = [gains[c] for c in ENGAGEMENT if gains[c] is not None]
        g["engagement"].append(sum(v for v in known if v is not None) if known else None)
    rows_out = []
    for (lib, plat, pil), g in sorted(acc.items(), key=lambda kv: _sort_key(kv[0])):
        rows_out.append(
            ReachRow(
                library=lib,
                platform=plat,
                pillar=pil,
                posts=g["posts"],
                partial_posts=g["partial"],
                views=_sum(g["views"]),
                reach=_sum(g["reach"]),
                engagement=_sum(g["engagement"]),
                posts_with_views=sum(1 for v in g["views"] if v is not None),
                posts_with_reach=sum(1 for v in g["reach"] if v is not None),
                posts_with_engagement=sum(1 for v in g["engagement"] if v is not None),
            )
        )

    by_acc: dict[int, list[FollowerSnapshot]] = {}
    for f in follower_snapshots:
        by_acc.setdefault(f.account_id, []).append(f)
    fgroups: dict[tuple[str, str], list[tuple[int | None, int | None, int | None, bool]]] = {}
    for a in sorted(accounts, key=lambda a: a.account_id):
        fs = sorted(by_acc.get(a.account_id, []), key=lambda f: f.collected_at)
        rows = [(f.collected_at, 0, f.followers) for f in fs]
        at_start = _value_at(rows, start)
        at_end = _value_at(rows, end)
        partial = False
        s_val = at_start[1] if at_start else None
        if s_val is None:
            s_val = _first_after(rows, start, end)
            partial = s_val is not None
        e_val = at_end[1] if at_end else None
        growth = e_val - s_val if e_val is not None and s_val is not None else None
        fgroups.setdefault((a.library, a.platform), []).append((s_val, e_val, growth, partial))
    followers_out = tuple(
        FollowerGrowth(
            library=lib,
            platform=plat,
            accounts=len(vals),
            followers_start=_sum(v[0] for v in vals),
            followers_end=_sum(v[1] for v in vals),
            growth=_sum(v[2] for v in vals),
            partial=any(v[3] for v in vals),
        )
        for (lib, plat), vals in sorted(fgroups.items())
    )
    return ReachReport(start=start, end=end, rows=tuple(rows_out), followers=followers_out)
