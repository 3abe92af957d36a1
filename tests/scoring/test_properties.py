"""Property tests: what must hold for every contest, checked on generated ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import (
    DEFAULT_RUBRIC_TOML,
    Board,
    BoardInputs,
    BoardRow,
    EntryInput,
    FollowerCount,
    IndicatorInput,
    JudgeScoreInput,
    SnapshotInput,
    compute_board,
    load_rubric,
    select_snapshots,
)
from scoring.board import competition_ranks
from tests.scoring.scoring_helpers import CLOSES, ITEMS, OPENS, at, set_value, shuffled, weights

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Offsets are fitted with two scorecards per judge already, so small contests exercise them.
CALIBRATED = set_value(DEFAULT_RUBRIC_TOML, "criteria.creativity", "min_scores_per_judge", "2")
PLATFORMS = ("instagram", "tiktok")
CHECKLIST = """
[criteria.checklist]
source = "indicators"
weight = 1
[[criteria.checklist.items]]
key = "level"
weight = 1
label = "Level"
missing = "zero"
anchors = [{ value = 0, points = 0 }, { value = 4, points = 100 }]
"""


@st.composite
def contests(draw: st.DrawFn, *, min_entries: int = 3, score_range: tuple[int, int] = (1, 10)):
    """A contest: entries, snapshot series (some past the close), judges in a linked ring."""
    n = draw(st.integers(min_entries, 10))
    n_judges = draw(st.integers(2, min(4, n)))
    entries: list[EntryInput] = []
    snapshots: list[SnapshotInput] = []
    followers: list[FollowerCount] = []
    scores: list[JudgeScoreInput] = []
    indicators: list[IndicatorInput] = []
    sid = 0
    for i in range(n):
        eid = 10 + i
        posted = at(draw(st.integers(1, 25)), draw(st.integers(0, 23)))
        entries.append(
            EntryInput(
                eid,
                draw(st.sampled_from(PLATFORMS)),
                draw(st.sampled_from(("kabupaten_kota", "desa_kelurahan"))),
                draw(st.sampled_from(("Aceh", "Bali", "Papua"))),
                f"Perpustakaan {i}",
                posted,
            )
        )
        followers.append(FollowerCount(eid, draw(st.none() | st.integers(0, 50_000)), posted))
        views = likes = comments = 0
        hide_likes = draw(st.booleans()) and draw(st.booleans())
        for k in range(draw(st.integers(1, 8))):
            views += draw(st.integers(0, 5000))
            likes += draw(st.integers(0, 300))
            comments += draw(st.integers(0, 40))
            sid += 1
            snapshots.append(
                SnapshotInput(
                    sid,
                    eid,
                    posted + timedelta(days=3 * k, hours=1),
                    views,
                    None if hide_likes else likes,
                    comments,
                    draw(st.none() | st.integers(0, 50)),
                    None,
                )
            )
        # Judges in a ring: entry i by judges i and i+1 (mod J), so all judges are linked.
        lo, hi = score_range
        for j in (i % n_judges, (i + 1) % n_judges):
            for item in ITEMS:
                scores.append(JudgeScoreInput(eid, 100 + j, item, draw(st.integers(lo, hi))))
        indicators.append(IndicatorInput(eid, "captions", draw(st.sampled_from((0, 1, None)))))
        if draw(st.booleans()):
            indicators.append(IndicatorInput(eid, "call_to_action", draw(st.integers(1, 5))))
    return entries, snapshots, followers, scores, indicators


def build(contest: Any, as_of: Any = CLOSES, *, window: int = 14) -> BoardInputs:
    entries, snapshots, followers, scores, indicators = contest
    sel = select_snapshots(entries, snapshots, window, CLOSES, as_of)
    return BoardInputs(
        challenge="uji",
        opens_at=OPENS,
        closes_at=CLOSES,
        entries=tuple(entries),
        snapshots=sel.chosen,
        followers=tuple(followers),
        judge_scores=tuple(scores),
        indicators=tuple(indicators),
        series=sel.series,
    )


def creativity(row: BoardRow) -> float | None:
    result = row.criterion("creativity").creativity
    assert result is not None
    return result.corrected


def places(board: Board) -> dict[int, tuple[int | None, float | None, dict[str, int | None]]]:
    return {r.entry_id: (r.rank, r.total, dict(r.segment_ranks)) for r in board.rows}


@SETTINGS
@given(
    contest=contests(score_range=(4, 7)),
    judge=st.integers(0, 3),
    shift=st.sampled_from((-3, -2, -1, 1, 2, 3)),
    correction=st.sampled_from(("offset", "zscore")),
)
def test_a_judge_adding_a_constant_changes_no_place(
    contest: Any, judge: int, shift: int, correction: str
) -> None:
    rubric = load_rubric(
        set_value(CALIBRATED, "criteria.creativity", "correction", f'"{correction}"')
    )
    entries, snapshots, followers, scores, indicators = contest
    judge_id = 100 + judge % len({s.judge_id for s in scores})
    moved = [s._replace(score=s.score + shift) if s.judge_id == judge_id else s for s in scores]
    before = compute_board(build(contest), rubric, CLOSES)
    after = compute_board(build((entries, snapshots, followers, moved, indicators)), rubric, CLOSES)
    assert before.ranked  # some entries are placed: the test is not vacuous
    assert places(after) == places(before)
    # The corrected creativity of every entry moved by one common amount (offset model) or
    # kept its order (z-score: one common increasing map).
    c0 = {r.entry_id: creativity(r) for r in before.rows}
    c1 = {r.entry_id: creativity(r) for r in after.rows}
    ids = [i for i in c0 if c0[i] is not None]
    if correction == "offset":
        diffs = [c1[i] - c0[i] for i in ids]  # type: ignore[operator]
        assert max(diffs) - min(diffs) == pytest.approx(0, abs=1e-9)
    for a in ids:
        for b in ids:
            if c0[a] < c0[b] - 1e-9:  # type: ignore[operator]
                assert c1[a] < c1[b]  # type: ignore[operator]


def test_raw_scores_do_let_a_lenient_judge_reorder_entries() -> None:
    # The counterpart of the property: without correction, the same shift changes places.
    text = set_value(CALIBRATED, "criteria.creativity", "correction", '"raw"')
    rubric = load_rubric(weights("1", "0", "0", text))
    entries = [
        EntryInput(e, "instagram", "desa_kelurahan", "Bali", f"P{e}", at(3)) for e in (1, 2, 3)
    ]
    base = [
        *[JudgeScoreInput(1, 7, i, 6) for i in ITEMS],
        *[JudgeScoreInput(2, 7, i, 5) for i in ITEMS],
        *[JudgeScoreInput(2, 8, i, 5) for i in ITEMS],
        *[JudgeScoreInput(3, 8, i, 4) for i in ITEMS],
    ]
    lenient = [s._replace(score=s.score + 3) if s.judge_id == 8 else s for s in base]

    def mk(sc: list[JudgeScoreInput]) -> BoardInputs:
        return BoardInputs("u", OPENS, CLOSES, tuple(entries), judge_scores=tuple(sc))

    def order(b: Board) -> list[int]:
        return [r.entry_id for r in b.ranked]

    # Raw means: 1: 6; 2: 5; 3: 4. With judge 8 three points more lenient: 2: (5+8)/2 = 6.5,
    # 3: 7 -> the order turns round.
    assert order(compute_board(mk(base), rubric, CLOSES)) == [1, 2, 3]
    assert order(compute_board(mk(lenient), rubric, CLOSES)) == [3, 2, 1]
    # Offset model: entry 2 links the judges, 5 vs 8 -> b7 - b8 = -3, centred -1.5 / +1.5:
    # 1: 6 + 1.5 = 7.5; 2: (6.5, 6.5) = 6.5; 3: 7 - 1.5 = 5.5 -> the original order.
    offset = load_rubric(weights("1", "0", "0", CALIBRATED))
    corrected = compute_board(mk(lenient), offset, CLOSES)
    assert order(corrected) == [1, 2, 3]
    assert [creativity(r) for r in corrected.ranked] == pytest.approx([7.5, 6.5, 5.5])


@SETTINGS
@given(contest=contests(), order=st.lists(st.integers(0, 50), min_size=1, max_size=8))
def test_shuffling_inputs_leaves_the_board_unchanged(contest: Any, order: list[int]) -> None:
    rubric = load_rubric(CALIBRATED)
    inp = build(contest)
    a = compute_board(inp, rubric, CLOSES)
    b = compute_board(shuffled(inp, order), rubric, CLOSES)
    assert a.inputs_sha256 == b.inputs_sha256
    assert a.to_dict() == b.to_dict()


@SETTINGS
@given(
    contest=contests(),
    growth=st.lists(st.integers(1, 100_000), min_size=1, max_size=4),
    late=st.integers(0, 30),
)
def test_growth_after_the_close_leaves_the_final_board_unchanged(
    contest: Any, growth: list[int], late: int
) -> None:
    rubric = load_rubric(CALIBRATED)
    entries, snapshots, followers, scores, indicators = contest
    # Every entry keeps collecting after the close, with counts that only grow.
    extra: list[SnapshotInput] = []
    sid = 10_000
    for e in entries:
        last = max((s for s in snapshots if s.entry_id == e.entry_id), key=lambda s: s.collected_at)
        for k, g in enumerate(growth, start=1):
            sid += 1
            extra.append(
                SnapshotInput(
                    sid,
                    e.entry_id,
                    CLOSES + timedelta(hours=6 * k),
                    (last.views or 0) + g * k,
                    None if last.likes is None else last.likes + g,
                    (last.comments or 0) + g,
                    None,
                    None,
                )
            )
    as_of = CLOSES + timedelta(days=1, hours=late)
    final = compute_board(build(contest, CLOSES), rubric, CLOSES)
    later = compute_board(
        build((entries, snapshots + extra, followers, scores, indicators), as_of), rubric, as_of
    )
    assert later.final and final.final
    assert final.ranked
    assert later.to_dict()["rows"] == final.to_dict()["rows"]
    # Same inputs apart from as_of: only the hash's as_of differs.
    without = compute_board(build(contest, as_of), rubric, as_of)
    assert without.inputs_sha256 == later.inputs_sha256


ZERO = {
    "creativity": ("0", "0.6", "0.4"),
    "audience": ("0.7", "0", "0.3"),
    "other": ("0.6", "0.4", "0"),
}


@SETTINGS
@given(
    contest=contests(),
    other=contests(),
    zero=st.sampled_from(sorted(ZERO)),
)
def test_a_criterion_of_weight_zero_has_no_effect(contest: Any, other: Any, zero: str) -> None:
    rubric = load_rubric(weights(*ZERO[zero], CALIBRATED))
    entries, snapshots, followers, scores, indicators = contest
    _, o_snaps, _, o_scores, o_indicators = other
    ids = {e.entry_id for e in entries}
    # Replace everything the zero-weight criterion reads with another contest's data (entries
    # the other contest lacks simply have none).
    if zero == "creativity":
        scores = [s for s in o_scores if s.entry_id in ids]
    elif zero == "audience":
        snapshots = [s for s in o_snaps if s.entry_id in ids]
    else:
        indicators = [v for v in o_indicators if v.entry_id in ids]
    a = compute_board(build(contest), rubric, CLOSES)
    b = compute_board(build((entries, snapshots, followers, scores, indicators)), rubric, CLOSES)
    assert a.ranked and {r.entry_id for r in a.ranked} == {r.entry_id for r in b.ranked}
    assert places(a) == places(b)
    for r in a.rows:
        assert r.criterion(zero).effective_weight == 0


@SETTINGS
@given(values=st.lists(st.integers(0, 4), min_size=1, max_size=12))
def test_ties_share_a_place_and_skip_the_next(values: list[int]) -> None:
    # One checklist item 0..4 -> 0..100, all posted at the same time: equal values must tie.
    rubric = load_rubric(CHECKLIST)
    entries = [
        EntryInput(i + 1, "instagram", "desa_kelurahan", "Bali", f"P{i}", at(3))
        for i in range(len(values))
    ]
    inds = [IndicatorInput(i + 1, "level", v) for i, v in enumerate(values)]
    board = compute_board(
        BoardInputs("u", OPENS, CLOSES, tuple(entries), indicators=tuple(inds)), rubric, CLOSES
    )
    for i, v in enumerate(values):
        ahead = sum(1 for w in values if w > v)
        assert board.row(i + 1).rank == 1 + ahead
        assert board.row(i + 1).total == v * 25


def test_ties_rank_1_2_2_4() -> None:
    assert competition_ranks({1: (9,), 2: (5,), 3: (5,), 4: (1,)}) == {1: 1, 2: 2, 3: 2, 4: 4}
    assert competition_ranks({1: (5, 1), 2: (5, 0), 3: (5, 0), 4: (5, -1)}) == {
        1: 1,
        2: 2,
        3: 2,
        4: 4,
    }


@given(st.dictionaries(st.integers(), st.tuples(st.integers(0, 3), st.integers(0, 2))))
def test_competition_rank_is_one_plus_entries_strictly_ahead(keys: dict[int, Any]) -> None:
    ranks = competition_ranks(keys)
    for k, v in keys.items():
        assert ranks[k] == 1 + sum(1 for w in keys.values() if w > v)
