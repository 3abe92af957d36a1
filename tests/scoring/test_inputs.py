"""Snapshot selection, input validation, eligibility notes and the inputs hash."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from scoring import (
    DEFAULT_RUBRIC_TOML,
    BoardInputs,
    EntryInput,
    FollowerCount,
    IndicatorInput,
    InputError,
    JudgeScoreColumns,
    JudgeScoreInput,
    SnapshotInput,
    SnapshotSeries,
    compute_board,
    entry_cutoff,
    load_rubric,
    select_snapshots,
)
from scoring.export import plain
from scoring.hashing import inputs_sha256
from tests.scoring.scoring_helpers import CLOSES, OPENS, at, weights

RUBRIC = load_rubric(DEFAULT_RUBRIC_TOML)


def e(eid: int, posted: datetime | None, status: str = "active") -> EntryInput:
    return EntryInput(eid, "instagram", "desa_kelurahan", "Bali", f"P{eid}", posted, status)


def s(sid: int, eid: int, when: datetime, views: int | None = 100) -> SnapshotInput:
    return SnapshotInput(sid, eid, when, views, 10, 1)


def test_cutoff_is_the_earliest_of_window_close_and_as_of() -> None:
    posted = at(5)
    assert entry_cutoff(posted, 14, CLOSES, CLOSES + timedelta(days=9)) == at(19)
    assert entry_cutoff(at(25), 14, CLOSES, CLOSES + timedelta(days=9)) == CLOSES
    assert entry_cutoff(posted, 14, CLOSES, at(10)) == at(10)
    assert entry_cutoff(posted, None, CLOSES, CLOSES) == CLOSES


def test_select_takes_the_latest_snapshot_at_or_before_the_cutoff() -> None:
    entries = [e(1, at(5)), e(2, at(25)), e(3, None), e(4, at(12))]
    snaps = [
        s(1, 1, at(18)),
        s(2, 1, at(19)),  # exactly posted + 14 days: chosen
        s(3, 1, at(19) + timedelta(seconds=1)),  # a second late: not chosen
        s(4, 2, at(30)),
        s(5, 2, at(31)),  # entry 2 is cut at the close (posted + 14 is later)
        s(6, 2, at(31) + timedelta(hours=1)),
        s(7, 3, at(10)),  # not posted: nothing
        s(9, 4, at(20)),
        s(8, 4, at(20)),  # same time: the higher id wins
    ]
    sel = select_snapshots(entries, snaps, 14, CLOSES, CLOSES + timedelta(days=5))
    assert {c.entry_id: c.snapshot_id for c in sel.chosen} == {1: 2, 2: 5, 4: 9}
    assert sorted(x.snapshot_id for x in sel.series) == [1, 2, 4, 5, 8, 9]
    limited = select_snapshots(entries, snaps, 14, CLOSES, CLOSES, series_limit=1)
    assert sorted(x.snapshot_id for x in limited.series) == [2, 5, 9]
    nothing = select_snapshots(entries, snaps, 14, CLOSES, CLOSES, series_limit=0)
    assert nothing.series == ()
    # As of an earlier time, only what was collected by then.
    early = select_snapshots(entries, snaps, 14, CLOSES, at(18, 12))
    assert {c.entry_id: c.snapshot_id for c in early.chosen} == {1: 1}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda i: replace(i, entries=(*i.entries, i.entries[0])), "listed twice"),
        (lambda i: replace(i, entries=(i.entries[0]._replace(status="gone"),)), "unknown status"),
        (
            lambda i: replace(i, entries=(i.entries[0]._replace(posted_at=datetime(2025, 8, 3)),)),
            "naive datetime",
        ),
        (lambda i: replace(i, snapshots=(s(7, 99, at(10)),)), "unknown entry 99"),
        (lambda i: replace(i, snapshots=(s(7, 1, at(20)),)), "after the entry's cutoff"),
        (lambda i: replace(i, snapshots=(s(7, 1, CLOSES + timedelta(days=2)),)), "after as_of"),
        (lambda i: replace(i, snapshots=(s(7, 1, at(10)), s(8, 1, at(11)))), "more than one"),
        (lambda i: replace(i, snapshots=(s(7, 1, at(10), views=-5),)), "negative views"),
        (lambda i: replace(i, series=(s(7, 1, at(25)),)), "after the entry's cutoff"),
        (
            lambda i: replace(i, followers=(FollowerCount(1, 5), FollowerCount(1, 6))),
            "more than one follower count",
        ),
        (lambda i: replace(i, judge_scores=(JudgeScoreInput(5, 1, "craft", 5),)), "unknown entry"),
        (lambda i: replace(i, indicators=(IndicatorInput(1, "captions", 3),)), "outside its"),
        (
            lambda i: replace(
                i, indicators=(IndicatorInput(1, "captions", 1), IndicatorInput(1, "captions", 0))
            ),
            "two values",
        ),
    ],
)
def test_contradictory_inputs_are_refused_with_a_reason(change, message: str) -> None:
    base = BoardInputs("u", OPENS, CLOSES, (e(1, at(5)),))
    with pytest.raises(InputError, match=message):
        compute_board(change(base), RUBRIC, CLOSES + timedelta(days=1))


def test_eligibility_and_notes() -> None:
    entries = (
        e(1, OPENS - timedelta(days=1)),  # posted before the challenge opened: noted
        e(2, at(25)),  # less than 14 days before the close: short window
        e(3, CLOSES + timedelta(hours=1)),  # after the close: not competing
        e(4, None),  # never posted
        e(5, at(10), "unavailable"),
        e(6, at(10), "disqualified"),
    )
    inp = BoardInputs("u", OPENS, CLOSES, entries)
    board = compute_board(inp, RUBRIC, CLOSES + timedelta(days=2))
    reasons = {r.entry_id: r.unranked_reason for r in board.rows}
    assert reasons[3] == "posted_after_close"
    assert reasons[4] == "not_posted"
    assert reasons[6] == "disqualified"
    codes = {r.entry_id: [n.code for n in r.notes] for r in board.rows}
    assert "posted_before_open" in codes[1]
    assert "short_window" in codes[2]
    assert "entry_unavailable" in codes[5]
    assert board.final and board.warnings == ()
    live = compute_board(inp, RUBRIC, at(15))
    assert not live.final
    assert [w.code for w in live.warnings] == ["provisional"]
    codes = {r.entry_id: [n.code for n in r.notes] for r in live.rows}
    assert "window_not_reached" in codes[5]
    assert live.row(2).unranked_reason == "not_posted"  # posted after as_of


def test_inputs_hash_is_stable_and_sensitive() -> None:
    entries = (e(1, at(5)), e(2, at(6)))
    snaps = (s(1, 1, at(10)), s(2, 2, at(11)))
    inp = BoardInputs(
        "u",
        OPENS,
        CLOSES,
        entries,
        snapshots=snaps,
        judge_scores=(JudgeScoreInput(1, 7, "craft", 6), JudgeScoreInput(2, 7, "craft", 8)),
    )
    h = inputs_sha256(inp, DEFAULT_RUBRIC_TOML, CLOSES)
    assert len(h) == 64
    flipped = replace(
        inp,
        entries=entries[::-1],
        snapshots=snaps[::-1],
        judge_scores=inp.judge_scores[::-1],
    )
    assert inputs_sha256(flipped, DEFAULT_RUBRIC_TOML, CLOSES) == h
    # numpy integers are the same numbers
    np_snap = snaps[0]._replace(views=np.int64(100))  # type: ignore[arg-type]
    assert (
        inputs_sha256(replace(inp, snapshots=(np_snap, snaps[1])), DEFAULT_RUBRIC_TOML, CLOSES) == h
    )
    changed = [
        replace(inp, snapshots=(snaps[0]._replace(views=101), snaps[1])),
        replace(inp, snapshots=(snaps[0]._replace(likes=None), snaps[1])),
        replace(inp, entries=(entries[0]._replace(status="disqualified"), entries[1])),
        replace(inp, judge_scores=(JudgeScoreInput(1, 7, "craft", 6.5), inp.judge_scores[1])),
        replace(inp, closes_at=CLOSES + timedelta(microseconds=1)),
    ]
    for other in changed:
        assert inputs_sha256(other, DEFAULT_RUBRIC_TOML, CLOSES) != h
    assert inputs_sha256(inp, DEFAULT_RUBRIC_TOML + "\n", CLOSES) != h
    assert inputs_sha256(inp, DEFAULT_RUBRIC_TOML, CLOSES + timedelta(seconds=1)) != h
    board = compute_board(inp, load_rubric(weights("1", "0", "0")), CLOSES)
    assert board.inputs_sha256 == inputs_sha256(inp, board_text := weights("1", "0", "0"), CLOSES)
    assert board.rubric_sha256 == load_rubric(board_text).sha256


def test_input_records_export_as_dicts_of_their_fields() -> None:
    when = datetime(2025, 8, 3, tzinfo=UTC)
    snap = SnapshotInput(7, 1, when, 100, likes=5)
    assert plain(snap) == {
        "snapshot_id": 7,
        "entry_id": 1,
        "collected_at": "2025-08-03T00:00:00Z",
        "views": 100,
        "likes": 5,
        "comments": None,
        "shares": None,
        "saves": None,
        "reach": None,
        "source": "api",
    }
    assert plain((snap.count("views"), [FollowerCount(1, 5)])) == [
        100,
        [{"entry_id": 1, "followers": 5, "collected_at": None}],
    ]


def test_judge_score_columns_are_the_sequence_of_their_records() -> None:
    records = (
        JudgeScoreInput(2, 7, "craft", 6.0, 11),
        JudgeScoreInput(1, 8, "storytelling", 8.5, 12),
        JudgeScoreInput(1, 7, "craft", 7.0, None),
    )
    columns = JudgeScoreColumns.of(records)
    assert len(columns) == 3 and list(columns) == list(records)
    assert columns[1] == records[1] and columns[-1] == records[-1]
    assert columns[::-1] == records[::-1] and type(columns[0:2]) is tuple
    assert columns == records and records == columns and columns == JudgeScoreColumns.of(records)
    assert hash(columns) == hash(records)
    assert columns != records[:2] and columns != records[::-1]
    assert JudgeScoreColumns.of(()) == () and len(JudgeScoreColumns.of(())) == 0
    with pytest.raises(InputError, match="different lengths: 2, 2, 1, 2, 2"):
        JudgeScoreColumns((1, 2), (7, 7), ("craft",), (6.0, 7.0), (None, None))


def test_a_board_of_judge_score_columns_is_the_board_of_their_records() -> None:
    from tests.scoring.test_handworked import RUBRIC as HANDWORKED
    from tests.scoring.test_handworked import contest

    inp = contest()
    rubric = load_rubric(HANDWORKED)
    as_of = CLOSES + timedelta(days=1)
    as_records = compute_board(inp, rubric, as_of)
    as_columns = compute_board(
        replace(inp, judge_scores=JudgeScoreColumns.of(inp.judge_scores[::-1])), rubric, as_of
    )
    assert as_columns.to_dict(committee=True) == as_records.to_dict(committee=True)
    assert as_columns.inputs_sha256 == as_records.inputs_sha256
    assert any(r.rank for r in as_records.rows) and inp.judge_scores
    unknown = JudgeScoreColumns.of((*inp.judge_scores, JudgeScoreInput(999, 7, "craft", 5.0, 1)))
    with pytest.raises(InputError, match="judge score 1: unknown entry 999"):
        compute_board(replace(inp, judge_scores=unknown), rubric, as_of)


def test_a_board_of_a_snapshot_series_is_the_board_of_its_records() -> None:
    entries = tuple(e(i, at(2 + i % 5)) for i in range(1, 9))
    rows = []
    for i in range(1, 9):
        for k in range(12):
            burst = 30_000 if (i == 3 and k >= 9) else 0
            drop = 3_000 if (i == 5 and k >= 6) else 0
            when = at(2 + i % 5, 1) + timedelta(hours=8 * k)
            rows.append(SnapshotInput(100 * i + k, i, when, 500 * k + burst - drop))
    chosen = select_snapshots(entries, rows, 14, CLOSES, CLOSES).chosen
    inp = BoardInputs("u", OPENS, CLOSES, entries, snapshots=chosen, series=tuple(rows))
    as_records = compute_board(inp, RUBRIC, CLOSES)
    as_series = compute_board(replace(inp, series=SnapshotSeries.of(rows[::-1])), RUBRIC, CLOSES)
    assert as_series.to_dict(committee=True) == as_records.to_dict(committee=True)
    flagged = {f.signal for r in as_records.rows for f in r.flags}
    assert {"view_increment", "views_decreased"} <= flagged
    assert as_series.inputs_sha256 == as_records.inputs_sha256


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (SnapshotInput(7, 99, at(10), 5), "series snapshot 7: unknown entry 99"),
        (SnapshotInput(7, 1, CLOSES + timedelta(days=2), 5), "series snapshot 7: collected at"),
        (SnapshotInput(7, 1, at(10), -5), r"series snapshot 7: negative views \(-5\)"),
        (SnapshotInput(7, 1, at(25), 5), "snapshot 7 of entry 1: collected at .* cutoff"),
    ],
)
def test_a_snapshot_series_is_refused_as_its_records_are(bad: SnapshotInput, message: str) -> None:
    fine = [SnapshotInput(k, 1, at(6 + k), 10 * k) for k in range(1, 4)]
    base = BoardInputs("u", OPENS, CLOSES, (e(1, at(5)),))
    for series in ((*fine, bad), SnapshotSeries.of([*fine, bad])):
        with pytest.raises(InputError, match=message):
            compute_board(replace(base, series=series), RUBRIC, CLOSES + timedelta(days=1))


def test_snapshot_series_are_the_sequence_of_their_records() -> None:
    rows = [
        SnapshotInput(3, 1, datetime(2026, 3, 1, 4, 5, 6, 7, tzinfo=UTC), 10, source="manual"),
        SnapshotInput(4, 2, datetime(2026, 3, 2, tzinfo=UTC), None),
    ]
    series = SnapshotSeries.of(rows)
    assert list(series) == rows and series == rows and series[1] == rows[1]
    assert series[::-1] == tuple(rows[::-1]) and len(series) == 2
    assert hash(series) == hash(tuple(rows)) and series != rows[:1]
    assert series.take(np.array([False, True])) == rows[1:]
    assert SnapshotSeries.of([]) == ()
    with pytest.raises(InputError, match="different lengths: 1, 1, 1, 1, 2"):
        SnapshotSeries([1], [1], [0], [5], ["api", "api"])
    with pytest.raises(InputError, match="views: not whole numbers"):
        SnapshotSeries([1], [1], [0], [5.5], ["api"])  # type: ignore[list-item]
