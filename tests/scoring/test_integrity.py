"""Integrity flags: modified z-scores, for review only."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from scoring import (
    DEFAULT_RUBRIC_TOML,
    BoardInputs,
    EntryInput,
    FollowerCount,
    SnapshotInput,
    compute_board,
    load_rubric,
)
from scoring.integrity import ratio_flags, series_flags
from scoring.numbers import modified_z
from tests.scoring.scoring_helpers import CLOSES, OPENS, at, weights

RULES = load_rubric(DEFAULT_RUBRIC_TOML).integrity


def test_modified_z_uses_median_and_mad() -> None:
    # median 3, |deviations| 2,1,0,1,7 -> MAD 1; M = 0.6745 * (x - 3) / 1
    z = modified_z([1, 2, 3, 4, 10])
    assert z == pytest.approx([-1.349, -0.6745, 0, 0.6745, 4.7215])


def test_modified_z_falls_back_to_mean_absolute_deviation() -> None:
    # MAD is 0 (most values equal): M = (x - median) / (1.253314 * MeanAD); MeanAD = 8/5.
    z = modified_z([5, 5, 5, 5, 13])
    assert z[-1] == pytest.approx(8 / (1.253314 * 1.6))
    assert list(z[:4]) == [0, 0, 0, 0]
    assert list(modified_z([2, 2, 2])) == [0, 0, 0]


def test_modified_z_long_and_short_paths_agree() -> None:
    rng = np.random.default_rng(3)
    x = rng.lognormal(3, 1, 200)
    long = modified_z(x)
    short = np.concatenate([modified_z(x[:50]), modified_z(x[50:100])])
    assert long.shape == (200,) and short.shape == (100,)
    med = np.median(x)
    mad = np.median(np.abs(x - med))
    assert long == pytest.approx(0.6745 * (x - med) / mad)


def series(eid: int, views: list[int], start_hour: int = 0) -> list[SnapshotInput]:
    return [
        SnapshotInput(eid * 1000 + k, eid, at(3, start_hour) + timedelta(hours=6 * k), v, v // 20)
        for k, v in enumerate(views)
    ]


def cumulative(increments: list[int]) -> list[int]:
    out, total = [], 0
    for inc in increments:
        total += inc
        out.append(total)
    return out


def test_a_burst_of_views_is_flagged_and_natural_decay_is_not() -> None:
    decay = [int(4000 * 0.8**k) for k in range(16)]
    natural = series(1, cumulative(decay))
    burst_incs = list(decay)
    burst_incs[10] += 30_000
    bought = series(2, cumulative(burst_incs))
    flags = series_flags(natural + bought, RULES)
    assert 1 not in flags
    (flag,) = flags[2]
    assert flag.signal == "view_increment"
    assert flag.value == burst_incs[10]
    assert flag.modified_z is not None and flag.modified_z > 3.5
    assert flag.start == at(3) + timedelta(hours=54) and flag.end == at(3) + timedelta(hours=60)


def test_too_short_a_series_is_not_tested_and_drops_are_flagged() -> None:
    assert series_flags(series(1, [0, 10, 50_000]), RULES) == {}
    flags = series_flags(series(3, [1000, 5000, 2000]), RULES)
    assert [(f.signal, f.value) for f in flags[3]] == [("views_decreased", -3000)]


def test_ratio_outliers_within_a_platform() -> None:
    entries = [
        EntryInput(i, "instagram", "desa_kelurahan", "Bali", f"P{i}", at(3)) for i in range(1, 9)
    ]
    chosen = {
        i: SnapshotInput(i, i, at(17), 10_000 + 500 * i, 500 + 30 * i, 10) for i in range(1, 9)
    }
    chosen[8] = SnapshotInput(8, 8, at(17), 200_000, 40, 1)  # views without likes
    followers = {i: FollowerCount(i, 2000 + 100 * i, at(3)) for i in range(1, 9)}
    flags = ratio_flags(entries, chosen, followers, RULES)
    assert set(flags) == {8}
    signals = {f.signal: f for f in flags[8]}
    assert set(signals) == {"likes_per_view", "views_per_follower"}
    assert signals["likes_per_view"].value == pytest.approx(40 / 200_000)
    assert signals["likes_per_view"].modified_z is not None
    assert signals["likes_per_view"].modified_z < -3.5
    assert signals["views_per_follower"].modified_z is not None
    assert signals["views_per_follower"].modified_z > 3.5
    # Fewer entries than min_cohort (5): no ratio test at all.
    few = ratio_flags(entries[-4:], chosen, followers, RULES)
    assert few == {}


def test_flags_never_change_scores_or_places() -> None:
    entries = [
        EntryInput(i, "instagram", "desa_kelurahan", "Bali", f"P{i}", at(3)) for i in range(1, 9)
    ]
    incs = [int(3000 * 0.8**k) for k in range(16)]
    snaps = []
    for i in range(1, 9):
        mine = list(incs)
        if i == 4:
            mine[9] += 50_000
        snaps += series(i, cumulative([v * i for v in mine]))
    chosen = tuple(
        max((s for s in snaps if s.entry_id == i), key=lambda s: s.collected_at)
        for i in range(1, 9)
    )
    rubric = load_rubric(weights("0", "1", "0"))
    with_series = BoardInputs(
        "u", OPENS, CLOSES, tuple(entries), snapshots=chosen, series=tuple(snaps)
    )
    without = BoardInputs("u", OPENS, CLOSES, tuple(entries), snapshots=chosen)
    a = compute_board(with_series, rubric, CLOSES)
    b = compute_board(without, rubric, CLOSES)
    assert [f.signal for f in a.row(4).flags] == ["view_increment"]
    assert b.row(4).flags == ()
    assert [(r.entry_id, r.rank, r.total) for r in a.rows] == [
        (r.entry_id, r.rank, r.total) for r in b.rows
    ]
