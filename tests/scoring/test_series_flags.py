"""The array path of the series flags gives exactly what the entry-by-entry definition gives."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import DEFAULT_RUBRIC_TOML, SnapshotInput, SnapshotSeries, load_rubric
from scoring.integrity import _series_flags_arrays, _series_flags_each, series_flags

RULES = load_rubric(DEFAULT_RUBRIC_TOML).integrity
START = datetime(2026, 3, 1, tzinfo=UTC)
WITA = timezone(timedelta(hours=8))


@st.composite
def series_sets(draw: st.DrawFn) -> list[SnapshotInput]:
    """Entries' snapshot series: bursts, drops, flat stretches (MAD 0), repeated and equal
    collection times, hidden views, shuffled, some times in another zone."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    rows: list[SnapshotInput] = []
    sid = 0
    for eid in range(draw(st.integers(0, 12))):
        length = rng.choice([0, 1, 2, 3, 5, 8, 20, 70, 90])
        shape = rng.choice(["decay", "flat", "burst", "drop", "noise", "step"])
        views, t = rng.randint(0, 50), START + timedelta(minutes=rng.randint(0, 600))
        for k in range(length):
            sid += 1
            if shape == "flat":
                inc = 100
            elif shape == "decay":
                inc = int(5000 * 0.9**k * rng.uniform(0.7, 1.3))
            elif shape == "burst":
                inc = 40 if k != length // 2 else 40_000
            elif shape == "drop":
                inc = 300 if k != length // 3 else -rng.choice([5, 50, 5000])
            elif shape == "step":
                inc = rng.choice([0, 0, 0, 100])
            else:
                inc = rng.randint(-200, 2000)
            views = max(0, views + inc)
            gap = rng.choice([0, 60, 240, 240, 240, 241, 1440])
            t += timedelta(minutes=gap, microseconds=rng.choice([0, 0, 1, 999_999]))
            at = t.astimezone(WITA) if rng.random() < 0.2 else t
            shown = None if rng.random() < 0.05 else views
            rows.append(SnapshotInput(rng.randint(1, 10**6), eid, at, shown))
            if rng.random() < 0.05:  # the same collection time twice
                rows.append(SnapshotInput(rng.randint(1, 10**6), eid, at, shown))
    rng.shuffle(rows)
    return rows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(series_sets(), st.sampled_from([1, 2, 3, 5]), st.sampled_from([0, 1, 50, 500]))
def test_the_array_path_equals_the_definition(
    rows: list[SnapshotInput], min_intervals: int, min_increment: int
) -> None:
    rules = replace(RULES, min_intervals=min_intervals, min_views_increment=min_increment)
    fast = _series_flags_arrays(rows, rules)
    assert fast is not None
    assert fast == _series_flags_each(rows, rules)
    assert list(fast) == sorted(fast)
    held = SnapshotSeries.of(rows)  # as the store gives them: arrays, times in UTC
    assert series_flags(held, rules) == fast
    assert list(held) == [r._replace(collected_at=r.collected_at.astimezone(UTC)) for r in rows]


def test_the_paths_flag_a_burst_and_a_drop() -> None:
    rows = []
    for k in range(30):
        views = 1000 * k + (50_000 if k >= 20 else 0)
        rows.append(SnapshotInput(k + 1, 7, START + timedelta(hours=4 * k), views))
    rows.append(SnapshotInput(99, 8, START, 9000))
    rows.append(SnapshotInput(100, 8, START + timedelta(hours=4), 2000))
    flags = series_flags(rows, RULES)
    assert [f.signal for f in flags[7]] == ["view_increment"]
    assert flags[7][0].start == START + timedelta(hours=76) and flags[7][0].value == 51_000
    assert [(f.signal, f.value) for f in flags[8]] == [("views_decreased", -7000.0)]
    assert flags == _series_flags_each(rows, RULES)


def test_unusual_counts_take_the_entry_by_entry_path() -> None:
    rows = [SnapshotInput(k, 1, START + timedelta(hours=k), 10 * k) for k in range(1, 9)]
    floats = [r._replace(views=float(r.views or 0)) for r in rows]  # type: ignore[arg-type]
    huge = [r._replace(views=(r.views or 0) + 2**63) for r in rows]
    assert _series_flags_arrays(floats, RULES) is None
    assert _series_flags_arrays(huge, RULES) is None
    assert series_flags(huge, RULES) == _series_flags_each(huge, RULES)
    assert series_flags(iter(rows), RULES) == series_flags(rows, RULES)
    assert series_flags([], RULES) == {} and _series_flags_arrays([], RULES) == {}
