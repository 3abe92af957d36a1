"""Integrity flags for committee review. A flag never changes a score or a rank.

Modified z-score (Iglewicz and Hoaglin): ``M = 0.6745 (x - median) / MAD``; when MAD is 0,
``(x - median) / (1.253314 MeanAD)``. Signals:

* ``view_increment``: within one entry's own snapshot series, the hourly view rate of each
  collection interval is compared with the interval before it: ``d = log(1 + rate) -
  log(1 + previous rate)``. A reel's views normally slow down, so ``d`` stays near its median;
  a burst of bought views makes one interval's ``d`` jump. Flagged when that interval's M is above
  the threshold and it added at least ``min_views_increment`` views. The flag gives the
  increment, its interval and M.
* ``views_decreased``: the view count fell by at least ``min_views_increment`` between two
  snapshots (platforms remove views they find fake). Not a z-score; the drop is the value.
* ``likes_per_view``: ``log((1 + likes) / (1 + views))`` among the platform's entries; flagged
  when |M| is above the threshold (few likes for the views, or many).
* ``views_per_follower``: ``log((1 + views) / (1 + followers))`` among the platform's entries;
  flagged when |M| is above the threshold.
* ``judge_spread``: the corrected scorecards of an entry spread more than
  ``judge_spread_ratio`` times the median spread (judges disagree; worth a third look).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np

from scoring.inputs import EntryInput, FollowerCount, SnapshotInput
from scoring.numbers import modified_z
from scoring.records import record
from scoring.rubric import IntegrityRules

__all__ = ["IntegrityFlag", "ratio_flags", "series_flags", "spread_flags"]


@record
class IntegrityFlag:
    entry_id: int
    signal: str
    value: float  # the signal's own value (views added, ratio, spread...)
    modified_z: float | None
    threshold: float
    start: datetime | None = None  # the collection interval, for series signals
    end: datetime | None = None


def series_flags(
    series: Iterable[SnapshotInput], rules: IntegrityRules
) -> dict[int, list[IntegrityFlag]]:
    """Flags from each entry's own snapshot series (any length; order does not matter)."""
    per_entry: dict[int, list[SnapshotInput]] = {}
    for s in series:
        if s.views is not None:
            per_entry.setdefault(s.entry_id, []).append(s)
    out: dict[int, list[IntegrityFlag]] = {}
    for eid in sorted(per_entry):
        rows = sorted(per_entry[eid], key=lambda s: (s.collected_at, s.snapshot_id))
        flags: list[IntegrityFlag] = []
        intervals: list[tuple[SnapshotInput, SnapshotInput, float, int]] = []
        for a, b in itertools.pairwise(rows):
            hours = (b.collected_at - a.collected_at).total_seconds() / 3600
            if hours <= 0:
                continue
            delta = int(b.views or 0) - int(a.views or 0)
            intervals.append((a, b, delta / hours, delta))
        drop = min(intervals, key=lambda iv: (iv[3], iv[1].collected_at), default=None)
        if drop is not None and drop[3] < 0 and -drop[3] >= max(rules.min_views_increment, 1):
            flags.append(
                IntegrityFlag(
                    entry_id=eid,
                    signal="views_decreased",
                    value=float(drop[3]),
                    modified_z=None,
                    threshold=float(rules.min_views_increment),
                    start=drop[0].collected_at,
                    end=drop[1].collected_at,
                )
            )
        if len(intervals) >= rules.min_intervals:
            logs = [math.log1p(max(iv[2], 0.0)) for iv in intervals]
            d = np.diff(np.array(logs, dtype=np.float64))
            m = modified_z(d)
            best: tuple[float, int] | None = None
            for k, mk in enumerate(m):
                iv = intervals[k + 1]
                if (
                    mk > rules.modified_z_threshold
                    and iv[3] >= rules.min_views_increment
                    and (best is None or mk > best[0])
                ):
                    best = (float(mk), k + 1)
            if best is not None:
                iv = intervals[best[1]]
                flags.append(
                    IntegrityFlag(
                        entry_id=eid,
                        signal="view_increment",
                        value=float(iv[3]),
                        modified_z=best[0],
                        threshold=rules.modified_z_threshold,
                        start=iv[0].collected_at,
                        end=iv[1].collected_at,
                    )
                )
        if flags:
            out[eid] = flags
    return out


def _cohort_flags(
    values: Mapping[int, float], signal: str, rules: IntegrityRules, shown: Mapping[int, float]
) -> dict[int, IntegrityFlag]:
    if len(values) < rules.min_cohort:
        return {}
    ids = sorted(values)
    m = modified_z([values[i] for i in ids])
    threshold = rules.modified_z_threshold
    out: dict[int, IntegrityFlag] = {}
    for eid, mk in zip(ids, m.tolist(), strict=True):
        if abs(mk) > threshold:
            out[eid] = IntegrityFlag(
                entry_id=eid,
                signal=signal,
                value=shown[eid],
                modified_z=mk,
                threshold=threshold,
            )
    return out


def ratio_flags(
    entries: Sequence[EntryInput],
    chosen: Mapping[int, SnapshotInput],
    followers: Mapping[int, FollowerCount],
    rules: IntegrityRules,
) -> dict[int, list[IntegrityFlag]]:
    """likes/views and views/followers outliers within each platform."""
    out: dict[int, list[IntegrityFlag]] = {}
    cohorts: dict[str, list[EntryInput]] = {}
    for e in entries:
        cohorts.setdefault(e.platform, []).append(e)
    for platform in sorted(cohorts):
        lv: dict[int, float] = {}
        lv_shown: dict[int, float] = {}
        vf: dict[int, float] = {}
        vf_shown: dict[int, float] = {}
        for e in cohorts[platform]:
            s = chosen.get(e.entry_id)
            if s is None or s.views is None:
                continue
            if s.likes is not None:
                lv[e.entry_id] = math.log((1 + s.likes) / (1 + s.views))
                lv_shown[e.entry_id] = s.likes / max(s.views, 1)
            fc = followers.get(e.entry_id)
            if fc is not None and fc.followers is not None:
                vf[e.entry_id] = math.log((1 + s.views) / (1 + fc.followers))
                vf_shown[e.entry_id] = s.views / max(fc.followers, 1)
        for flags in (
            _cohort_flags(lv, "likes_per_view", rules, lv_shown),
            _cohort_flags(vf, "views_per_follower", rules, vf_shown),
        ):
            for eid, f in flags.items():
                out.setdefault(eid, []).append(f)
    return out


def spread_flags(
    spreads: Mapping[int, float | None], median_spread: float | None, rules: IntegrityRules
) -> dict[int, list[IntegrityFlag]]:
    out: dict[int, list[IntegrityFlag]] = {}
    if median_spread is None or median_spread <= 0:
        return out
    limit = rules.judge_spread_ratio * median_spread
    for eid in sorted(spreads):
        s = spreads[eid]
        if s is not None and s > limit:
            out[eid] = [
                IntegrityFlag(
                    entry_id=eid,
                    signal="judge_spread",
                    value=s,
                    modified_z=None,
                    threshold=limit,
                )
            ]
    return out
