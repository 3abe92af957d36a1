"""Audience response: size-adjusted reach, shrunk resonance, hidden counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pytest

from scoring import (
    BoardInputs,
    EntryInput,
    FollowerCount,
    SnapshotInput,
    compute_board,
    load_rubric,
)
from scoring.audience import score_audience, theil_sen
from scoring.rubric import MetricsCriterion
from tests.scoring.scoring_helpers import CLOSES, OPENS, at, set_value, weights

AUDIENCE_ONLY = weights("0", "1", "0")


def metrics(text: str = AUDIENCE_ONLY, **changes: str) -> MetricsCriterion:
    for key, value in changes.items():
        text = set_value(text, "criteria.audience", key, value)
    c = load_rubric(text).criterion("audience")
    assert isinstance(c, MetricsCriterion)
    return c


def cohort(
    rows: Sequence[Sequence[int | None]],
    platform: str = "instagram",
    first: int = 1,
) -> tuple[list[EntryInput], dict[int, SnapshotInput], dict[int, FollowerCount]]:
    """Entries first.. with (views, likes, comments, saves, followers) each."""
    entries, chosen, followers = [], {}, {}
    for i, (v, li, co, sa, f) in enumerate(rows, start=first):
        entries.append(EntryInput(i, platform, "desa_kelurahan", "Bali", f"P{i}", at(3)))
        chosen[i] = SnapshotInput(i, i, at(17), v, li, co, 0, sa)
        followers[i] = FollowerCount(i, f, at(3))
    return entries, chosen, followers


def test_theil_sen_is_exact_on_a_line_and_ignores_an_outlier() -> None:
    x = np.arange(10, dtype=float)
    y = 2 * x + 1
    assert theil_sen(x, y) == pytest.approx((2, 1))
    y[3] = 100
    assert theil_sen(x, y) == pytest.approx((2, 1))
    assert theil_sen(np.ones(5), np.arange(5.0)) is None


def test_theil_sen_samples_pairs_for_large_cohorts_deterministically() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 3000)
    y = 0.8 * x + 2 + rng.normal(0, 0.3, 3000)
    first = theil_sen(x, y)
    assert first == theil_sen(x, y)
    assert first is not None and first[0] == pytest.approx(0.8, abs=0.02)


def test_reach_is_relative_to_account_size() -> None:
    # Views grow with followers along log(1+views) = log(1+followers) + log 2, except entry 3,
    # which gets the same views as entry 4 with a tenth of its followers: it is far above the
    # line; entry 4 (same views, big account) is on it... and entry 5 is below it.
    rows = [
        (199, 10, 1, 0, 99),
        (1999, 100, 10, 0, 999),
        (19999, 1000, 100, 0, 999),
        (19999, 1000, 100, 0, 9999),
        (9999, 500, 50, 0, 99999),
        (199999, 10000, 1000, 0, 99999),
    ]
    entries, chosen, followers = cohort(rows)
    results, models = score_audience(metrics(), entries, chosen, followers, {})
    assert models[0].size_adjustment == "lift" and models[0].slope is not None
    reach = {e: float(results[e].reach_percentile or 0) for e in results}
    assert reach[3] > reach[4]
    assert reach[5] == min(reach.values())
    assert reach[3] == max(reach.values())
    # Absolute reach ("none") ranks by views alone: 3 and 4 tie.
    results, _ = score_audience(metrics(size_adjustment='"none"'), entries, chosen, followers, {})
    assert results[3].reach_percentile == results[4].reach_percentile


def test_too_few_entries_to_fit_falls_back_to_absolute_reach() -> None:
    entries, chosen, followers = cohort([(100, 1, 0, 0, 10), (1000, 1, 0, 0, 10000)])
    _, models = score_audience(metrics(), entries, chosen, followers, {})
    assert models[0].size_adjustment == "none"
    assert models[0].note is not None and "too_few_entries_to_fit" in models[0].note


def test_shrinkage_pulls_small_counts_towards_the_platform_rate() -> None:
    # Entry 1: 3 likes out of 10 views (30%); the others ~5% on thousands of views.
    rows: list[tuple[int | None, ...]] = [(10, 3, 0, 0, 100)]
    rows += [(2000 + 100 * i, 90 + 7 * i, 5 + i, 0, 1000) for i in range(9)]
    entries, chosen, followers = cohort(rows)
    results, models = score_audience(metrics(), entries, chosen, followers, {})
    assert models[0].prior_alpha is not None and models[0].prior_beta is not None
    r1 = results[1]
    assert r1.rate is not None and r1.shrunk_rate is not None
    assert r1.rate == pytest.approx(0.3)
    prior_mean = models[0].prior_alpha / (models[0].prior_alpha + models[0].prior_beta)
    assert abs(r1.shrunk_rate - prior_mean) < abs(r1.rate - prior_mean) / 2
    # Without shrinkage the 10-view entry has the best resonance; with it, it does not.
    raw, _ = score_audience(metrics(shrinkage='"none"'), entries, chosen, followers, {})
    assert raw[1].resonance_percentile == max(r.resonance_percentile or 0 for r in raw.values())
    assert results[1].resonance_percentile != max(
        r.resonance_percentile or 0 for r in results.values()
    )


def test_hidden_counts_are_never_zero() -> None:
    rows = [
        (1000, 50, 5, 7, 100),
        (1000, 50, 5, None, 100),  # saves hidden
        (None, 50, 5, 7, 100),  # views hidden
        (1000, 60, 5, 7, None),  # followers unknown
    ]
    entries, chosen, followers = cohort(rows)
    results, models = score_audience(metrics(), entries, chosen, followers, {})
    # common_types: saves are missing for entry 2, so nobody's saves count; shares are 0 for
    # all (known) and count.
    assert models[0].interaction_types == ("likes", "comments", "shares")
    assert models[0].left_out_types == (("saves", 1),)
    assert results[1].weighted_interactions == results[2].weighted_interactions == 60
    assert results[3].score is None and results[3].missing_reason == "views_hidden"
    # Too few entries for the lift line: reach falls back to log(1 + views) for everyone.
    assert models[0].size_adjustment == "none"
    assert results[4].reach_percentile is not None
    # Relative to followers, unknown followers mean no reach component: the audience score is
    # the resonance component alone.
    results, _ = score_audience(
        metrics(size_adjustment='"per_follower"'), entries, chosen, followers, {}
    )
    assert results[4].reach_percentile is None
    assert results[4].score == results[4].resonance_percentile
    # rescale: entry 2's known types (weight 1+2+3) are scaled to the full weight (9).
    results, _ = score_audience(
        metrics(null_interactions='"rescale"'), entries, chosen, followers, {}
    )
    assert results[1].weighted_interactions == 50 + 10 + 21
    assert results[2].weighted_interactions == pytest.approx(60 * 9 / 6)


def test_no_snapshot_leaves_audience_missing_on_the_board() -> None:
    entries = [
        EntryInput(1, "tiktok", "desa_kelurahan", "Bali", "P1", at(3)),
        EntryInput(2, "tiktok", "desa_kelurahan", "Bali", "P2", at(3)),
    ]
    snap = SnapshotInput(5, 1, at(3) + timedelta(days=14), 100, 10, 1, 0, None)
    inp = BoardInputs("u", OPENS, CLOSES, tuple(entries), snapshots=(snap,))
    board = compute_board(inp, load_rubric(AUDIENCE_ONLY), CLOSES)
    assert board.row(1).rank == 1
    assert board.row(2).unranked_reason == "missing:audience:no_snapshot"


def test_platforms_are_separate_cohorts() -> None:
    # The same counts on two platforms get the same percentile in each, whatever the other
    # platform's counts are.
    rows = [(100 * (i + 1), 5 * (i + 1), i, 0, 1000) for i in range(4)]
    ig, ig_chosen, ig_f = cohort(rows)
    big = [(v * 1000, li, c, s, f) for v, li, c, s, f in rows]
    tt, tt_chosen, tt_f = cohort(big, "tiktok", first=11)
    results, models = score_audience(
        metrics(), ig + tt, {**ig_chosen, **tt_chosen}, {**ig_f, **tt_f}, {}
    )
    assert [m.platform for m in models] == ["instagram", "tiktok"]
    for i in range(1, 5):
        assert results[i].reach_percentile == results[i + 10].reach_percentile


def test_fits_on_threads_equal_the_fits_one_by_one() -> None:
    from scoring.audience import EXACT_THEIL_SEN_MAX, _fit_all

    rng = np.random.default_rng(7)
    inputs: list[tuple[np.ndarray, np.ndarray] | None] = []
    for n in (EXACT_THEIL_SEN_MAX + 500, 40, EXACT_THEIL_SEN_MAX + 1, 3000):
        x = np.log1p(rng.random(n) * 1e4)
        inputs.append((x, 0.8 * x + rng.normal(0, 1, n)))
    inputs.insert(1, None)
    assert _fit_all(inputs) == [None if i is None else theil_sen(*i) for i in inputs]
