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
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import attrgetter, floordiv, sub
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.inputs import EntryInput, FollowerCount, SnapshotInput, SnapshotSeries
from scoring.numbers import MAD_FACTOR, MEANAD_FACTOR, modified_z
from scoring.records import record
from scoring.rubric import IntegrityRules

__all__ = ["IntegrityFlag", "ratio_flags", "series_flags", "spread_flags"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_views = attrgetter("views")
_entry = attrgetter("entry_id")
_snapshot = attrgetter("snapshot_id")
_collected = attrgetter("collected_at")


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
    """Flags from each entry's own snapshot series (any length; order does not matter).

    All entries are worked at once on arrays (a committee board reads close to a million
    snapshots); inputs outside what the arrays hold exactly (non-integer or huge counts or ids)
    go entry by entry. Both give the same flags, to the last bit.
    """
    if isinstance(series, SnapshotSeries):
        return _series_flags_of_series(series, rules)
    rows = series if isinstance(series, Sequence) else list(series)
    flags = _series_flags_arrays(rows, rules)
    return _series_flags_each(rows, rules) if flags is None else flags


def _series_flags_of_series(
    series: SnapshotSeries, rules: IntegrityRules
) -> dict[int, list[IntegrityFlag]]:
    """:func:`series_flags` of a :class:`SnapshotSeries`: its arrays as they are."""
    eid, sid = series.entry_ids, series.snapshot_ids
    times, views = series.collected_us, series.views
    keep = series.views_known
    if not keep.all():
        eid, sid, times, views = eid[keep], sid[keep], times[keep], views[keep]
    if eid.size == 0:
        return {}
    if np.abs(views).max() >= _BIG:
        return _series_flags_each(series, rules)

    def ends(a: int, b: int) -> tuple[int, datetime, datetime]:
        return (
            int(eid[a]),
            _EPOCH + _MICROSECOND * int(times[a]),
            _EPOCH + _MICROSECOND * int(times[b]),
        )

    return _flags_on_arrays(eid, sid, times, views, rules, ends)


_BIG = 2**62


def _int_column(values: list[Any]) -> npt.NDArray[np.int64] | None:
    """``values`` as int64 when they are all plain integers well inside its range, else None."""
    if set(map(type, values)) - {int}:
        return None
    column = np.array(values)
    if column.dtype != np.int64 or (column.size and np.abs(column).max() >= _BIG):
        return None
    return column


def _segment_medians(
    values: npt.NDArray[np.float64], seg: npt.NDArray[np.int64], starts: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """The median of each segment of ``values`` (segments numbered 0.. in ``seg``, which is
    sorted; ``starts`` their first positions), computed as :func:`statistics.median` does."""
    n = len(values)
    lengths = np.diff(np.append(starts, n))
    widest = int(lengths.max())
    if len(starts) * widest <= 4 * n:
        # One row per segment, padded with +inf, sorted row by row: far cheaper than sorting
        # all values by (segment, value) when the segments are of similar length.
        grid = np.full((len(starts), widest), np.inf)
        grid[seg, np.arange(n) - starts[seg]] = values
        grid.sort(axis=1)
        rows = np.arange(len(starts))
        lo = grid[rows, (lengths - 1) // 2]
        hi = grid[rows, lengths // 2]
    else:
        ordered = values[np.lexsort((values, seg))]
        lo = ordered[starts + (lengths - 1) // 2]
        hi = ordered[starts + lengths // 2]
    medians: npt.NDArray[np.float64] = (lo + hi) / 2
    return medians


def _series_flags_arrays(
    rows: Sequence[SnapshotInput], rules: IntegrityRules
) -> dict[int, list[IntegrityFlag]] | None:
    """:func:`_series_flags_each` on arrays, or None when the inputs need the one-by-one path."""
    views_list = list(map(_views, rows))
    if None in views_list:
        rows = [r for r, v in zip(rows, views_list, strict=True) if v is not None]
        views_list = [v for v in views_list if v is not None]
    if not rows:
        return {}
    views = _int_column(views_list)
    eid = _int_column(list(map(_entry, rows)))
    sid = _int_column(list(map(_snapshot, rows)))
    if views is None or eid is None or sid is None:
        return None
    times = np.fromiter(
        map(floordiv, map(sub, map(_collected, rows), repeat(_EPOCH)), repeat(_MICROSECOND)),
        dtype=np.int64,
        count=len(rows),
    )

    def ends(a: int, b: int) -> tuple[int, datetime, datetime]:
        start, end = rows[a], rows[b]
        return start.entry_id, start.collected_at, end.collected_at

    return _flags_on_arrays(eid, sid, times, views, rules, ends)


def _flags_on_arrays(
    eid: npt.NDArray[np.int64],
    sid: npt.NDArray[np.int64],
    times: npt.NDArray[np.int64],
    views: npt.NDArray[np.int64],
    rules: IntegrityRules,
    ends: Callable[[int, int], tuple[int, datetime, datetime]],
) -> dict[int, list[IntegrityFlag]]:
    """The series flags of rows given as arrays (times in microseconds); ``ends(a, b)`` gives
    the entry id and the two collection times of the rows at positions ``a`` and ``b``."""
    # Each entry's rows in time order (then snapshot id), entries in id order.
    order = np.lexsort((sid, times, eid))
    eid, times, views = eid[order], times[order], views[order]
    # Collection intervals: consecutive rows of one entry, a positive time apart.
    span = times[1:] - times[:-1]
    kept = np.flatnonzero((eid[1:] == eid[:-1]) & (span > 0))
    if kept.size == 0:
        return {}
    a, b = kept, kept + 1  # positions (sorted) of each interval's ends
    iv_entry = eid[a]
    delta = views[b] - views[a]
    # As timedelta.total_seconds() / 3600 and int / float do: exact values, one rounding each.
    hours = span[kept].astype(np.float64) / 1e6 / 3600
    rate = delta.astype(np.float64) / hours
    n_iv = len(kept)
    firsts = np.flatnonzero(np.r_[True, iv_entry[1:] != iv_entry[:-1]])
    counts = np.diff(np.append(firsts, n_iv))
    seg = np.repeat(np.arange(len(firsts)), counts)
    position = np.arange(n_iv)

    found: dict[int, list[IntegrityFlag]] = {}

    def interval(k: int) -> tuple[int, datetime, datetime]:
        return ends(int(order[a[k]]), int(order[b[k]]))

    # views_decreased: each entry's smallest increment (earliest end first among equals), when
    # it is a drop of at least ``least``.
    least = max(rules.min_views_increment, 1)
    smallest = np.minimum.reduceat(delta, firsts)
    lowest = np.flatnonzero((delta == smallest[seg]) & (smallest[seg] <= -least))
    low = lowest[np.lexsort((lowest, times[b][lowest], seg[lowest]))]
    for k in low[np.r_[True, seg[low][1:] != seg[low][:-1]]].tolist() if low.size else []:
        entry, start, end = interval(k)
        found[entry] = [
            IntegrityFlag(
                entry_id=entry,
                signal="views_decreased",
                value=float(delta[k]),
                modified_z=None,
                threshold=float(rules.min_views_increment),
                start=start,
                end=end,
            )
        ]

    # view_increment: modified z of d = log1p(rate) - log1p(previous rate), within each entry
    # with enough intervals; math.log1p, as the one-by-one path uses.
    logs = np.fromiter(map(math.log1p, np.maximum(rate, 0.0).tolist()), np.float64, n_iv)
    tested = counts >= rules.min_intervals
    # d of interval k (its change from interval k - 1) for the intervals after each first.
    later = np.flatnonzero(tested[seg] & (position != firsts[seg]))
    if later.size:
        d = logs[later] - logs[later - 1]
        dseg = seg[later]
        dstarts = np.flatnonzero(np.r_[True, dseg[1:] != dseg[:-1]])
        group = np.repeat(np.arange(len(dstarts)), np.diff(np.append(dstarts, len(later))))
        med = _segment_medians(d, group, dstarts)
        dev = d - med[group]
        mad = _segment_medians(np.abs(dev), group, dstarts)
        dlengths = np.diff(np.append(dstarts, len(later)))
        mean_ad = np.zeros(len(dstarts), dtype=np.float64)
        for g in np.flatnonzero(mad == 0).tolist():
            part = np.abs(dev[dstarts[g] : dstarts[g] + dlengths[g]])
            mean_ad[g] = math.fsum(part.tolist()) / part.size
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(
                (mad > 0)[group],
                MAD_FACTOR * dev / mad[group],
                np.where((mean_ad > 0)[group], dev / (MEANAD_FACTOR * mean_ad[group]), 0.0),
            )
        hit = (z > rules.modified_z_threshold) & (delta[later] >= rules.min_views_increment)
        if hit.any():
            cand = np.flatnonzero(hit)
            # The largest z of each entry; the earliest interval among equals.
            best = cand[np.lexsort((cand, -z[cand], group[cand]))]
            best = best[np.r_[True, group[best][1:] != group[best][:-1]]]
            for c in best.tolist():
                k = int(later[c])
                entry, start, end = interval(k)
                found.setdefault(entry, []).append(
                    IntegrityFlag(
                        entry_id=entry,
                        signal="view_increment",
                        value=float(delta[k]),
                        modified_z=float(z[c]),
                        threshold=rules.modified_z_threshold,
                        start=start,
                        end=end,
                    )
                )
    return {k: found[k] for k in sorted(found)}


def _series_flags_each(
    series: Iterable[SnapshotInput], rules: IntegrityRules
) -> dict[int, list[IntegrityFlag]]:
    """:func:`series_flags` entry by entry: the definition, and the path for unusual inputs."""
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
