"""The board's Spearman correlation is scipy's, value for value."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from scoring.board import _spearman

ranks = st.lists(st.integers(min_value=1, max_value=30), min_size=2, max_size=200)


@settings(max_examples=300, deadline=None)
@given(ranks, st.randoms(use_true_random=False))
def test_spearman_equals_scipy(a: list[int], rnd: object) -> None:
    b = list(a)
    rnd.shuffle(b)  # type: ignore[attr-defined]
    b = [v + (i % 3) for i, v in enumerate(b)]
    x, y = np.array(a), np.array(b)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return
    assert _spearman(x, y) == float(stats.spearmanr(x, y).statistic)
