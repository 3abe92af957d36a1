"""The fast creativity computation equals the straightforward one bit for bit.

:mod:`tests.scoring.judges_reference` keeps the implementation :mod:`scoring.judges` had before
its speed work. Random contests (whole, half and decimal scores, zeros of both signs, incomplete
scorecards, unknown items, conflicts, ineligible entries, every correction mode, trimming,
excluded incomplete scorecards, odd item weights) must give equal results, compared through
``repr`` so that 0.0 and -0.0 differ, and bad inputs the same error.
"""

from __future__ import annotations

import math
import pickle
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import DEFAULT_RUBRIC_TOML, Conflict, InputError, JudgeScoreInput, load_rubric
from scoring.inputs import JudgeScoreColumns
from scoring.judges import CreativityResult, Scorecard, _group_fsums, score_creativity
from scoring.rubric import JudgesCriterion
from tests.scoring.judges_reference import reference_score_creativity


def _base() -> JudgesCriterion:
    c = load_rubric(DEFAULT_RUBRIC_TOML).criterion("creativity")
    assert isinstance(c, JudgesCriterion)
    return c


BASE = _base()
KEYS = [i.key for i in BASE.items]
WEIGHTS = [
    (0.3, 0.3, 0.2, 0.2),
    (0.25, 0.25, 0.25, 0.25),
    (0.5, 0.5, 0.0, 0.0),
    (0.123, 0.377, 0.1, 0.4),
    (1.0, 0.0, 0.0, 0.0),
]
SCALES = [(1.0, 10.0), (0.0, 10.0), (-5.0, 5.0), (0.5, 7.25)]


SAME: Any = object()


def changed(s: JudgeScoreInput, item: str = SAME, score: Any = SAME) -> JudgeScoreInput:
    """``s`` with another item or score (JudgeScoreInput may be a dataclass or a named tuple)."""
    return JudgeScoreInput(
        s.entry_id,
        s.judge_id,
        s.item if item is SAME else item,
        s.score if score is SAME else score,
    )


def outcome(crit: JudgesCriterion, scores: Any, conflicts: Any, eligible: Any, fn: Any) -> str:
    try:
        results, summary = fn(crit, scores, conflicts, eligible)
    except (InputError, TypeError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    assert all(type(r) is CreativityResult for r in results.values())
    assert all(type(c) is Scorecard for r in results.values() for c in r.scorecards)
    return repr((list(results.items()), summary))


def same(
    crit: JudgesCriterion, scores: Any, conflicts: Any, eligible: Any, iterators: bool = False
) -> None:
    """Both give the same; with ``iterators`` the inputs are passed as one-shot iterators.
    The scores held as columns (as the store gives them) give the same too."""
    outcomes = []
    for fn in (score_creativity, reference_score_creativity):
        if iterators:
            outcomes.append(outcome(crit, iter(scores), iter(conflicts), iter(eligible), fn))
        else:
            outcomes.append(outcome(crit, scores, conflicts, eligible, fn))
    assert outcomes[0] == outcomes[1]
    if not iterators:
        columns = JudgeScoreColumns.of(scores)
        assert outcome(crit, columns, conflicts, eligible, score_creativity) == outcomes[0]


@st.composite
def contests(
    draw: st.DrawFn,
) -> tuple[JudgesCriterion, list[JudgeScoreInput], list[Conflict], list[int]]:
    lo, hi = draw(st.sampled_from(SCALES))
    weights = draw(st.sampled_from(WEIGHTS))
    crit = replace(
        BASE,
        scale_min=lo,
        scale_max=hi,
        correction=draw(st.sampled_from(["offset", "zscore", "raw"])),
        min_scores_per_judge=draw(st.integers(2, 6)),
        min_judges_per_entry=draw(st.integers(1, 3)),
        trim=draw(st.booleans()),
        trim_min_judges=draw(st.integers(3, 5)),
        incomplete_scorecard=draw(st.sampled_from(["renormalise", "exclude"])),
        items=tuple(replace(i, weight=w) for i, w in zip(BASE.items, weights, strict=True)),
    )
    kind = draw(st.sampled_from(["whole", "half", "decimal", "any"]))
    if kind == "whole":
        value = st.integers(math.ceil(lo), math.floor(hi)).map(float)
    elif kind == "half":
        value = st.integers(math.ceil(2 * lo), math.floor(2 * hi)).map(lambda v: v / 2)
    elif kind == "decimal":
        value = st.integers(math.ceil(10 * lo), math.floor(10 * hi)).map(lambda v: v / 10)
    else:
        value = st.floats(lo, hi)
    if lo <= 0 <= hi:
        value = st.one_of(value, st.sampled_from([0.0, -0.0]))
    n_entries = draw(st.integers(1, 14))
    n_judges = draw(st.integers(1, 7))
    dense = draw(st.floats(0.2, 1.0))
    missing_item = draw(st.floats(0.0, 0.3))
    rng = random.Random(draw(st.integers(0, 2**32)))
    # A judge's leniency, so the offsets are not all zero.
    lean = {j: rng.choice([-1.0, 0.0, 0.5, 2.0]) for j in range(n_judges)}
    scores: list[JudgeScoreInput] = []
    for e in range(n_entries):
        for j in range(n_judges):
            if rng.random() > dense:
                continue
            base = draw(value)
            for key in KEYS:
                if rng.random() < missing_item:
                    continue
                x = base if rng.random() < 0.5 else draw(value)
                if kind in ("whole", "half") and lo <= x + lean[j] <= hi:
                    x += lean[j]
                scores.append(JudgeScoreInput(e, 100 + j, key, x))
            if rng.random() < 0.05:
                scores.append(JudgeScoreInput(e, 100 + j, "humour", draw(value)))
    rng.shuffle(scores)
    conflicts = [
        Conflict(rng.randrange(n_entries + 2), 100 + rng.randrange(n_judges))
        for _ in range(draw(st.integers(0, 3)))
    ]
    eligible = [e for e in range(n_entries + 1) if rng.random() < 0.9]
    return crit, scores, conflicts, eligible


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contests())
def test_equal_to_the_reference(contest: Any) -> None:
    same(*contest)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contests(), st.data())
def test_the_same_bad_score_is_reported(contest: Any, data: st.DataObject) -> None:
    crit, scores, conflicts, eligible = contest
    if not scores:
        return
    for _ in range(data.draw(st.integers(1, 3))):
        s = data.draw(st.sampled_from(scores))
        at = data.draw(st.integers(0, len(scores)))
        bad = data.draw(
            st.sampled_from(
                [
                    changed(s, score=crit.scale_max + 1),
                    changed(s, score=crit.scale_min - 0.5),
                    changed(s, score=math.nan),
                    changed(s, score=math.inf),
                    changed(s, score=s.score + 0.0),  # a second score of the same item
                    changed(s, item="humour", score=math.nan),  # unknown items are not checked
                ]
            )
        )
        scores = [*scores[:at], bad, *scores[at:]]
    same(crit, scores, conflicts, eligible)
    same(crit, scores, conflicts, eligible, iterators=True)


def test_unusual_score_types_take_the_one_by_one_path() -> None:
    crit, scores = BASE, []
    for e in range(6):
        for j in range(3):
            scores += [JudgeScoreInput(e, j, key, e + j + 1) for key in KEYS]  # ints
    same(crit, scores, [Conflict(2, 1)], range(6))
    scores[5] = changed(scores[5], score=True)
    same(crit, scores, [], range(6))
    scores[7] = changed(scores[7], score="7")
    same(crit, scores, [], range(6))
    scores[9] = changed(scores[9], score=None)
    same(crit, scores, [], range(6))
    scores[9] = changed(scores[9], item="humour")
    same(crit, scores, [], range(6))
    same(crit, [], [], range(3))
    same(crit, scores, [], [])


def test_group_fsums_are_fsum() -> None:
    import numpy as np

    rng = random.Random(7)
    pools: list[Callable[[], float]] = [
        lambda: rng.uniform(1, 10),
        lambda: rng.randint(-20, 20) / 4,
        lambda: rng.choice([0.0, -0.0, 1e-300, 5e-324, 1e300, -1e300, 2.0**60, 3.5]),
        lambda: rng.uniform(-1, 1) * 10.0 ** rng.randint(-30, 30),
    ]
    for _ in range(300):
        pick = rng.choice(pools)
        sizes = [rng.randint(1, 6) for _ in range(rng.randint(1, 30))]
        groups = [[pick() for _ in range(n)] for n in sizes]
        flat = np.array([x for g in groups for x in g], dtype=np.float64)
        starts = np.cumsum([0, *sizes[:-1]]).astype(np.int64)
        got = _group_fsums(flat, starts).tolist()
        assert [repr(x) for x in got] == [repr(math.fsum(g)) for g in groups]


def test_scorecards_are_ordinary_equal_hashable_picklable_records() -> None:
    crit = replace(BASE, min_scores_per_judge=2)
    scores = [
        JudgeScoreInput(e, j, k, 1 + (e * j) % 10) for e in range(5) for j in range(3) for k in KEYS
    ]
    results, _ = score_creativity(crit, scores, [], range(5))
    card = results[1].scorecards[0]
    assert card == Scorecard(card.judge_id, card.items, card.raw, card.corrected, True, True)
    assert hash(card) == hash(replace(card))
    assert pickle.loads(pickle.dumps(results)) == results


def test_sd_from_distinct_values_is_the_one_by_one_sd() -> None:
    import numpy as np

    from scoring.judges import _sd

    rng = random.Random(11)
    for _ in range(300):
        pool = [rng.uniform(-3, 12) for _ in range(rng.randint(1, 6))]
        pool += [rng.randint(10, 100) / 10 for _ in range(rng.randint(0, 6))]
        values = [rng.choice(pool) for _ in range(rng.randint(1, 400))]
        m = math.fsum(values) / len(values)
        want = math.sqrt(math.fsum((v - m) ** 2 for v in values) / len(values))
        assert repr(_sd(np.array(values), m)) == repr(want)


@pytest.mark.parametrize("correction", ["offset", "zscore", "raw"])
def test_zero_scores_of_either_sign(correction: Literal["offset", "zscore", "raw"]) -> None:
    # 0.0 and -0.0 are equal but print differently: the old code shared one mean between
    # scorecards whose weighted scores were equal, and fsum of zeros is 0.0.
    crit = replace(
        BASE, scale_min=0.0, scale_max=10.0, min_scores_per_judge=2, correction=correction
    )
    shapes = [
        (-0.0, -0.0, -0.0, -0.0),
        (0.0, 0.0, 0.0, 0.0),
        (-0.0, -0.0, -0.0, -0.0),
        (0.0, -0.0, 0.0, -0.0),
        (-0.0, 0.0, 5.0, -0.0),
        (5.0, 5.0, 5.0, 5.0),
        (-0.0, 0.5, -0.0, 2.5),
        (0.0, 0.5, 0.0, 2.5),
    ]
    for order in (shapes, shapes[::-1]):
        scores = [
            JudgeScoreInput(e, j, key, x)
            for e, xs in enumerate(order)
            for j in (1, 2)
            for key, x in zip(KEYS, xs, strict=True)
        ]
        same(crit, scores, [], range(len(order)))
        # Without the zero-weight items' scores, and with one item not scored.
        same(crit, [s for s in scores if s.item != KEYS[3]], [], range(len(order)))
