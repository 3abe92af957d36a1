"""Creativity: judge-bias correction, minimums, conflicts, trimming and missing scores."""

from __future__ import annotations

import pytest

from scoring import (
    DEFAULT_RUBRIC_TOML,
    BoardInputs,
    Conflict,
    EntryInput,
    IndicatorInput,
    InputError,
    JudgeScoreInput,
    compute_board,
    load_rubric,
)
from scoring.judges import score_creativity
from scoring.rubric import JudgesCriterion
from tests.scoring.scoring_helpers import CLOSES, ITEMS, OPENS, at, card, set_value, weights


def crit(**changes: str) -> JudgesCriterion:
    text = DEFAULT_RUBRIC_TOML
    for key, value in changes.items():
        text = set_value(text, "criteria.creativity", key, value)
    c = load_rubric(text).criterion("creativity")
    assert isinstance(c, JudgesCriterion)
    return c


def test_offset_model_recovers_quality_on_an_incomplete_design() -> None:
    # 12 entries, 4 judges, each entry seen by 2 judges in a ring; scores are quality + offset,
    # with no noise. The offsets are count-weighted centred (each judge has 6 scorecards), so
    # the model must give back exactly the qualities and offsets.
    quality = {e: 3 + (e * 7 % 11) * 0.5 for e in range(12)}
    offset = {0: 1.5, 1: -0.5, 2: -2.0, 3: 1.0}
    scores = []
    for e in range(12):
        for j in (e % 4, (e + 1) % 4):
            scores += card(e, j, quality[e] + offset[j])
    results, summary = score_creativity(crit(min_scores_per_judge="6"), scores, [], range(12))
    assert {j.judge_id: j.offset for j in summary.judges} == pytest.approx(offset)
    assert {e: r.corrected for e, r in results.items()} == pytest.approx(quality)
    assert summary.groups == 1
    for r in results.values():
        for c in r.scorecards:
            assert c.calibrated and c.corrected == pytest.approx(c.raw - offset[c.judge_id])


def test_judges_below_the_minimum_are_used_uncorrected() -> None:
    scores = card(1, 7, 8) + card(2, 7, 6) + card(1, 8, 4) + card(3, 8, 2) + card(3, 9, 5)
    results, summary = score_creativity(crit(min_scores_per_judge="3"), scores, [], [1, 2, 3])
    assert not any(j.calibrated for j in summary.judges)
    assert summary.groups == 0
    assert results[1].corrected == pytest.approx(6.0)  # mean of raw 8 and 4
    assert results[3].corrected == pytest.approx(3.5)


def test_a_constant_judge_is_centred_under_zscore_and_harmless_under_offset() -> None:
    scores = []
    for e in range(6):
        scores += card(e, 1, 2 + e)  # judge 1 uses the scale
        scores += card(e, 2, 7)  # judge 2 gives 7 to everything
    results, summary = score_creativity(
        crit(correction='"zscore"', min_scores_per_judge="3"), scores, [], range(6)
    )
    stat = {j.judge_id: j for j in summary.judges}
    assert stat[2].sd == 0
    mean = summary.overall_mean
    for r in results.values():
        constant = next(c for c in r.scorecards if c.judge_id == 2)
        assert constant.corrected == pytest.approx(mean)
    order = sorted(results, key=lambda e: results[e].corrected or 0)
    assert order == list(range(6))
    results, summary = score_creativity(crit(min_scores_per_judge="3"), scores, [], range(6))
    order = sorted(results, key=lambda e: results[e].corrected or 0)
    assert order == list(range(6))


def test_conflicts_are_excluded_and_reported() -> None:
    scores = card(1, 7, 9) + card(1, 8, 1) + card(2, 7, 5)
    results, _ = score_creativity(crit(), scores, [Conflict(1, 8)], [1, 2])
    assert results[1].corrected == pytest.approx(9)
    assert results[1].conflicted_judges == (8,)
    assert [c.judge_id for c in results[1].scorecards] == [7]


def test_a_missing_score_is_never_a_zero() -> None:
    # Entry 2 has no scorecard at all; entry 3 has a scorecard with only two items scored.
    scores = [
        *card(1, 7, 6),
        JudgeScoreInput(3, 7, "originality", 8),
        JudgeScoreInput(3, 7, "storytelling", 6),
    ]
    results, _ = score_creativity(crit(), scores, [], [1, 2, 3])
    assert results[2].corrected is None and results[2].missing_reason == "no_judge_scores"
    # Renormalised over the two items scored (weights .3 and .3): (8 + 6) / 2 = 7.
    assert results[3].corrected == pytest.approx(7)
    assert results[3].scorecards[0].complete is False
    results, _ = score_creativity(crit(incomplete_scorecard='"exclude"'), scores, [], [1, 2, 3])
    assert results[3].corrected is None
    assert results[3].excluded_incomplete == (7,)
    # On the board, "unranked" lists such an entry without a place; "renormalise" places it on
    # the other criteria; neither treats the missing creativity as 0.
    entries = [EntryInput(e, "instagram", "desa_kelurahan", "Bali", f"P{e}", at(3)) for e in (1, 2)]
    inds = tuple(IndicatorInput(e, "captions", 1) for e in (1, 2))
    text = weights("0.5", "0", "0.5")
    inp = BoardInputs(
        "u", OPENS, CLOSES, tuple(entries), judge_scores=tuple(card(1, 7, 6)), indicators=inds
    )
    board = compute_board(inp, load_rubric(text), CLOSES)
    assert board.row(2).rank is None
    assert board.row(2).unranked_reason == "missing:creativity:no_judge_scores"
    text = set_value(text, "criteria.creativity", "missing", '"renormalise"')
    board = compute_board(inp, load_rubric(text), CLOSES)
    row = board.row(2)
    # captions yes = 100 points on its own item (weight .3); the other items are missing:
    # call_to_action is left out, challenge_hashtag counts 0 -> (.3*100 + .3*0) / .6 = 50.
    assert row.criterion("other").score == 50.0
    assert row.total == 50.0 and row.criterion("other").effective_weight == 1.0
    assert row.criterion("creativity").effective_weight == 0.0


def test_trimmed_mean_drops_highest_and_lowest_with_enough_judges() -> None:
    scores = []
    for j, s in enumerate((2, 6, 7, 8, 10)):
        scores += card(1, j, s)
    scores += card(2, 0, 5) + card(2, 1, 9)
    results, _ = score_creativity(crit(trim="true", correction='"raw"'), scores, [], [1, 2])
    assert results[1].corrected == pytest.approx(7)  # mean of 6, 7, 8
    assert sorted(c.judge_id for c in results[1].scorecards if c.trimmed) == [0, 4]
    assert results[2].corrected == pytest.approx(7)  # two judges: nothing trimmed
    assert results[1].raw_mean == pytest.approx(6.6)


def test_judges_who_share_no_entry_are_reported() -> None:
    scores = []
    for e in range(4):
        scores += card(e, 1, 5 + e % 2)
        scores += card(e + 10, 2, 5 + e % 2)
    inp = BoardInputs(
        "u",
        OPENS,
        CLOSES,
        tuple(
            EntryInput(e, "instagram", "desa_kelurahan", "Bali", f"P{e}", at(3))
            for e in (0, 1, 2, 3, 10, 11, 12, 13)
        ),
        judge_scores=tuple(scores),
    )
    text = set_value(DEFAULT_RUBRIC_TOML, "criteria.creativity", "min_scores_per_judge", "2")
    board = compute_board(inp, load_rubric(text), CLOSES)
    assert board.judging is not None and board.judging.groups == 2
    assert ("judging_groups", "2") in [(n.code, n.detail) for n in board.warnings]


def test_bad_scores_are_input_errors_and_unknown_items_are_ignored() -> None:
    entries = (EntryInput(1, "instagram", "desa_kelurahan", "Bali", "P1", at(3)),)
    rubric = load_rubric(DEFAULT_RUBRIC_TOML)
    bad = BoardInputs(
        "u", OPENS, CLOSES, entries, judge_scores=(JudgeScoreInput(1, 7, "craft", 11),)
    )
    with pytest.raises(InputError, match=r"outside 1\.\.10"):
        compute_board(bad, rubric, CLOSES)
    twice = BoardInputs(
        "u",
        OPENS,
        CLOSES,
        entries,
        judge_scores=(JudgeScoreInput(1, 7, "craft", 5), JudgeScoreInput(1, 7, "craft", 6)),
    )
    with pytest.raises(InputError, match="two effective scores"):
        compute_board(twice, rubric, CLOSES)
    unknown = BoardInputs(
        "u", OPENS, CLOSES, entries, judge_scores=(JudgeScoreInput(1, 7, "humour", 5),)
    )
    board = compute_board(unknown, rubric, CLOSES)
    assert ("ignored_judge_items", "humour") in [(n.code, n.detail) for n in board.warnings]
    assert set(ITEMS) == {i.key for i in rubric.criterion("creativity").items}  # type: ignore[union-attr]
