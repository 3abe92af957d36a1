"""Exact percentiles and half-up rounding."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from scoring.numbers import percentiles, round_half_up


def test_percentiles_share_average_ranks_and_ignore_float_noise() -> None:
    got = percentiles({1: 5.0, 2: 5.0, 3: 1.0, 4: 9.0, 5: 0.1 + 0.2, 6: 0.3, 7: -0.0, 8: 0.0})
    # Sorted: 0, 0 (ids 7, 8: ranks 1-2), 0.3, 0.3 (ids 5, 6: 3-4), 1 (5), 5, 5 (6-7), 9 (8).
    # percentile = 100 (average rank - 1/2) / 8: 12.5, 37.5, 56.25, 75, 93.75.
    assert got == {
        7: Fraction(100 * 2, 16),
        8: Fraction(100 * 2, 16),
        5: Fraction(100 * 6, 16),
        6: Fraction(100 * 6, 16),
        3: Fraction(100 * 9, 16),
        1: Fraction(100 * 12, 16),
        2: Fraction(100 * 12, 16),
        4: Fraction(100 * 15, 16),
    }
    assert percentiles({}) == {}
    assert percentiles({9: 3.0}) == {9: Fraction(50)}


@given(st.dictionaries(st.integers(0, 10**12), st.integers(-3, 3), min_size=1, max_size=30))
def test_percentile_is_the_average_rank(values: dict[int, int]) -> None:
    got = percentiles({k: float(v) for k, v in values.items()})
    n = len(values)
    for k, v in values.items():
        below = sum(1 for w in values.values() if w < v)
        equal = sum(1 for w in values.values() if w == v)
        average_rank = Fraction(2 * below + equal + 1, 2)
        assert got[k] == 100 * (average_rank - Fraction(1, 2)) / n


def test_round_half_up() -> None:
    assert round_half_up(Fraction(4958, 100) + Fraction(5, 1000), 2) == 4959
    assert round_half_up(Fraction(49585, 1000), 1) == 496
    assert round_half_up(Fraction(-125, 100), 1) == -13
    assert round_half_up(Fraction(7, 9) * 100, 2) == 7778
