"""A small contest whose board is worked out by hand below, number by number."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scoring import (
    Board,
    BoardInputs,
    Conflict,
    EntryInput,
    FollowerCount,
    IndicatorInput,
    JudgeScoreInput,
    SnapshotInput,
    compute_board,
    load_rubric,
    select_snapshots,
)
from scoring.audience import AudienceResult
from scoring.judges import CreativityResult
from tests.scoring.scoring_helpers import CLOSES, OPENS, at

RUBRIC = """
format = 1
name = "hand-worked"

[ranking]
decimals = 1
tie_breakers = ["creativity", "audience", "earliest_post"]

[criteria.creativity]
source = "judges"
weight = 0.5
correction = "offset"
min_scores_per_judge = 3
to_scale = "anchor"
[[criteria.creativity.items]]
key = "overall"
weight = 1.0
label = "Overall"

[criteria.audience]
source = "metrics"
weight = 0.3
window_days = 14
size_adjustment = "per_follower"
shrinkage = "none"
components = { reach = 0.5, resonance = 0.5 }
interaction_weights = { likes = 1, comments = 2, shares = 3, saves = 3 }

[criteria.other]
source = "indicators"
weight = 0.2
[[criteria.other.items]]
key = "captions"
weight = 0.5
label = "Captions"
missing = "zero"
anchors = [{ value = 0, points = 0 }, { value = 1, points = 100 }]
[[criteria.other.items]]
key = "call_to_action"
weight = 0.5
label = "Call to action"
missing = "exclude"
anchors = [{ value = 1, points = 0 }, { value = 5, points = 100 }]
"""

A, B, C, D, E, F = 1, 2, 3, 4, 5, 6
J1, J2, J3 = 11, 12, 13


def contest() -> BoardInputs:
    entries = [
        EntryInput(A, "instagram", "kabupaten_kota", "Jawa Barat", "Perpus A", at(2)),
        EntryInput(B, "instagram", "desa_kelurahan", "Jawa Barat", "Perpus B", at(3)),
        EntryInput(C, "instagram", "desa_kelurahan", "Bali", "Perpus C", at(4)),
        EntryInput(D, "instagram", "kabupaten_kota", "Jawa Barat", "Perpus D", at(5)),
        EntryInput(E, "tiktok", "desa_kelurahan", "Bali", "Perpus E", at(6)),
        EntryInput(
            F, "instagram", "kabupaten_kota", "Bali", "Perpus F", at(2), "disqualified", "bought"
        ),
    ]
    # Each entry: a snapshot at exactly posted + 14 days (the one that counts), one a day
    # earlier and one after the close with far larger counts (must be ignored).
    counts = {  # views, likes, comments
        A: (999, 100, 10),
        B: (4999, 200, 25),
        C: (1999, 150, 25),
        D: (2999, 270, 0),
        E: (500, 50, 5),
        F: (90000, 9000, 900),
    }
    snaps: list[SnapshotInput] = []
    sid = 100
    for e in entries:
        v, li, co = counts[e.entry_id]
        assert e.posted_at is not None
        day14 = e.posted_at + timedelta(days=14)
        for when, factor in (
            (day14 - timedelta(days=1), 0.5),
            (day14, 1),
            (CLOSES + timedelta(days=1), 9),
        ):
            sid += 1
            snaps.append(
                SnapshotInput(
                    sid, e.entry_id, when, int(v * factor), int(li * factor), int(co * factor)
                )
            )
    sel = select_snapshots(entries, snaps, 14, CLOSES, CLOSES + timedelta(days=3))
    followers = [
        FollowerCount(A, 999, at(2)),
        FollowerCount(B, 999, at(3)),
        FollowerCount(C, 999, at(4)),
        FollowerCount(D, 99, at(5)),
        FollowerCount(E, 10, at(6)),
        FollowerCount(F, 10, at(2)),
    ]
    scores = [
        JudgeScoreInput(A, J1, "overall", 9),
        JudgeScoreInput(B, J1, "overall", 8),
        JudgeScoreInput(C, J1, "overall", 6),
        JudgeScoreInput(B, J2, "overall", 6),
        JudgeScoreInput(C, J2, "overall", 4),
        JudgeScoreInput(D, J2, "overall", 7),
        JudgeScoreInput(A, J3, "overall", 1),  # J3 declared a conflict on A: excluded
        JudgeScoreInput(F, J1, "overall", 10),  # F is disqualified: excluded everywhere
        JudgeScoreInput(F, J2, "overall", 10),
    ]
    indicators = [
        IndicatorInput(A, "captions", 1),
        IndicatorInput(A, "call_to_action", 5),
        IndicatorInput(B, "captions", 0),
        IndicatorInput(B, "call_to_action", 3),
        IndicatorInput(C, "captions", 1),
        IndicatorInput(D, "captions", 1),
        IndicatorInput(D, "call_to_action", 3.5),
    ]
    return BoardInputs(
        challenge="uji",
        opens_at=OPENS,
        closes_at=CLOSES,
        entries=tuple(entries),
        snapshots=sel.chosen,
        followers=tuple(followers),
        judge_scores=tuple(scores),
        conflicts=(Conflict(A, J3),),
        indicators=tuple(indicators),
        series=sel.series,
    )


def aud(board: Board, eid: int) -> AudienceResult:
    result = board.row(eid).criterion("audience").audience
    assert result is not None and result.snapshot is not None
    return result


def cre(board: Board, eid: int) -> CreativityResult:
    result = board.row(eid).criterion("creativity").creativity
    assert result is not None
    return result


@pytest.fixture(scope="module")
def board() -> Board:
    return compute_board(contest(), load_rubric(RUBRIC), CLOSES + timedelta(days=3))


def test_snapshot_used_is_the_one_at_posted_plus_window(board: Board) -> None:
    # Snapshots get ids 101.. in entry order, three per entry; the middle one is at day 14.
    for n, eid in enumerate((A, B, C, D, E)):
        result = aud(board, eid)
        assert result.snapshot is not None
        assert result.snapshot.snapshot_id == 100 + 3 * n + 2
        assert result.age_days == 14


def test_creativity_offsets_worked_by_hand(board: Board) -> None:
    # J1 scored A 9, B 8, C 6; J2 scored B 6, C 4, D 7 (J3's score of A is a conflict, F is
    # disqualified). Model y = q(entry) + b(judge). A and D have one judge each, so they fit
    # exactly; on the shared B and C the residuals are +-(2 - b1 + b2)/2, zero when
    # b1 - b2 = 2. Centring 3*b1 + 3*b2 = 0 gives b1 = +1 (lenient), b2 = -1 (strict).
    # Corrected: A 9-1 = 8; B (8-1, 6+1) -> 7; C (6-1, 4+1) -> 5; D 7+1 = 8.
    # Raw means were A 9, B 7, C 5, D 7: D, judged only by the strict judge, catches up with A.
    judging = board.judging
    assert judging is not None
    offsets = {j.judge_id: j.offset for j in judging.judges}
    assert offsets == pytest.approx({J1: 1.0, J2: -1.0})
    expected = {A: (9, 8), B: (7, 7), C: (5, 5), D: (7, 8)}
    for eid, (raw, corrected) in expected.items():
        cr = cre(board, eid)
        assert cr.raw_mean == pytest.approx(raw)
        assert cr.corrected == pytest.approx(corrected)
    assert cre(board, A).conflicted_judges == (J3,)
    # Anchor scale: (corrected - 1) / 9 * 100, rounded half up to 2 decimals.
    assert board.row(A).criterion("creativity").score == 77.78  # 7/9 = 77.777...
    assert board.row(B).criterion("creativity").score == 66.67  # 6/9 = 66.666...
    assert board.row(C).criterion("creativity").score == 44.44  # 4/9 = 44.444...
    assert board.row(D).criterion("creativity").score == 77.78


def test_audience_worked_by_hand(board: Board) -> None:
    # Instagram cohort A-D (F disqualified, left out before any percentile).
    # Reach = log((1+views)/(1+followers)): A 1000/1000 = 1, B 5000/1000 = 5,
    # C 2000/1000 = 2, D 3000/100 = 30 -> order A < C < B < D -> percentiles
    # 100 (rank - 0.5) / 4 = 12.5, 37.5, 62.5, 87.5.
    # Resonance = (likes + 2 comments) / views (shares and saves unknown, left out):
    # A 120/999 = .120, B 250/4999 = .050, C 200/1999 = .100, D 270/2999 = .090
    # -> order B < D < C < A -> 12.5, 37.5, 62.5, 87.5.
    # Audience = mean of the two: A (12.5+87.5)/2 = 50, B (62.5+12.5)/2 = 37.5,
    # C (37.5+62.5)/2 = 50, D (87.5+37.5)/2 = 62.5.
    expected = {A: (12.5, 87.5, 50.0), B: (62.5, 12.5, 37.5), C: (37.5, 62.5, 50.0)}
    expected[D] = (87.5, 37.5, 62.5)
    for eid, (reach, resonance, score) in expected.items():
        crit = board.row(eid).criterion("audience")
        assert float(aud(board, eid).reach_percentile or -1) == reach
        assert float(aud(board, eid).resonance_percentile or -1) == resonance
        assert crit.score == score
    ig = next(p for p in board.platforms if p.platform == "instagram")
    assert ig.interaction_types == ("likes", "comments")
    assert dict(ig.left_out_types) == {"shares": 4, "saves": 4}
    # E is alone on TikTok: both percentiles are 100 * 0.5 / 1 = 50.
    assert board.row(E).criterion("audience").score == 50.0


def test_other_indicators_worked_by_hand(board: Board) -> None:
    # captions 0/1 -> 0/100 (missing counts 0); call_to_action 1..5 -> 0..100 (missing: left
    # out). A: 100, 100 -> 100. B: 0, 3 -> 50 -> 25. C: 100, (left out) -> 100.
    # D: 100, 3.5 -> 62.5 -> 81.25.
    expected = {A: 100.0, B: 25.0, C: 100.0, D: 81.25}
    for eid, score in expected.items():
        assert board.row(eid).criterion("other").score == score


def test_totals_places_and_tie_breaker(board: Board) -> None:
    # Total = .5 creativity + .3 audience + .2 other:
    # A: .5*77.78 + .3*50   + .2*100   = 38.89 + 15    + 20    = 73.89 -> 73.9
    # D: .5*77.78 + .3*62.5 + .2*81.25 = 38.89 + 18.75 + 16.25 = 73.89 -> 73.9
    # C: .5*44.44 + .3*50   + .2*100   = 22.22 + 15    + 20    = 57.22 -> 57.2
    # B: .5*66.67 + .3*37.5 + .2*25    = 33.335 + 11.25 + 5    = 49.585 -> 49.6
    # A and D tie at 73.9 and on creativity (77.78); D wins on audience (62.5 > 50).
    placed = [(r.entry_id, r.rank, r.total) for r in board.ranked]
    assert placed == [(D, 1, 73.9), (A, 2, 73.9), (C, 3, 57.2), (B, 4, 49.6)]
    row_a = board.row(A)
    assert [c.weighted for c in row_a.criteria] == pytest.approx([38.89, 15.0, 20.0])
    assert [c.effective_weight for c in row_a.criteria] == [0.5, 0.3, 0.2]


def test_unplaced_entries_say_why(board: Board) -> None:
    assert board.row(E).rank is None
    assert board.row(E).unranked_reason == "missing:creativity:no_judge_scores"
    assert board.row(F).rank is None
    assert board.row(F).unranked_reason == "disqualified"
    assert [r.entry_id for r in board.rows[-2:]] == [E, F]


def test_segments_worked_by_hand(board: Board) -> None:
    tiers = {k: [r.entry_id for r in v] for k, v in board.segment("tier").items()}
    assert tiers == {"desa_kelurahan": [C, B], "kabupaten_kota": [D, A]}
    assert board.row(B).segment_ranks == {"tier": 2, "province": 3, "platform": 4}
    assert board.row(C).segment_ranks == {"tier": 1, "province": 1, "platform": 3}
    assert board.row(E).segment_ranks == {"tier": None, "province": None, "platform": None}


def test_sensitivity_worked_by_hand(board: Board) -> None:
    # other -0.1: weights become creativity .5*.9/.8 = .5625, audience .3*.9/.8 = .3375,
    # other .1. C: .5625*44.44 + .3375*50 + .1*100 = 24.9975 + 16.875 + 10 = 51.87 -> 51.9;
    # B: .5625*66.67 + .3375*37.5 + .1*25 = 37.50 + 12.66 + 2.5 = 52.66 -> 52.7: B takes third.
    scenario = next(s for s in board.sensitivity if s.criterion == "other" and s.delta < 0)
    assert dict(scenario.weights) == pytest.approx(
        {"creativity": 0.5625, "audience": 0.3375, "other": 0.1}
    )
    changes = {(c.entry_id, c.base_rank, c.rank) for c in scenario.podium_changes}
    assert changes == {(B, 4, 3), (C, 3, 4)}
    # creativity +0.1 (.6, .24, .16) keeps the order: D, A (74.7 each), C 54.7, B 53.0.
    up = next(s for s in board.sensitivity if s.criterion == "creativity" and s.delta > 0)
    assert up.podium_changes == ()
    assert up.moved == 0


def test_public_view_hides_judges(board: Board) -> None:
    public = board.to_dict(committee=False)
    committee = board.to_dict(committee=True)
    crit_pub = public["rows"][0]["criteria"][0]["creativity"]
    crit_com = committee["rows"][0]["criteria"][0]["creativity"]
    assert "scorecards" not in crit_pub and "scorecards" in crit_com
    assert "judging" not in public and "judging" in committee
    assert "flags" not in public["rows"][0]
    assert public["rows"][0]["total"] == 73.9
