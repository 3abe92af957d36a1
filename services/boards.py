"""Leaderboards: build a board as of any time, freeze, publish, verify, disqualify.

A board is computed by :func:`scoring.board.compute_board` from what the store holds at or before
``as_of`` and the rubric version in force then. Freezing stores the board (committee form, JSON)
with its rubric version and inputs hash; verifying recomputes it from the database and compares.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from collector.urls import PostUrlError, ShortLink, parse_post_url
from scoring.board import Board, BoardRow, compute_board
from scoring.export import steady
from scoring.gcpause import paused_gc
from scoring.inputs import (
    BoardInputs,
    Conflict,
    EntryInput,
    FollowerCount,
    IndicatorInput,
    InputError,
    JudgeScoreColumns,
    JudgeScoreInput,
    SnapshotInput,
    SnapshotSeries,
)
from scoring.rubric import Rubric, RubricError, load_rubric
from services import audit
from services.errors import BadInput
from store import boards as q
from store import queries
from store.enums import ChallengeStatus, EntryStatus
from store.models import Challenge, Entry, FrozenBoard, RubricVersion

__all__ = [
    "BoardFailure",
    "BoardView",
    "Verification",
    "build_board",
    "disqualify",
    "find_entry",
    "freeze",
    "judge_names",
    "load_inputs",
    "publish",
    "reinstate",
    "rubric_in_force",
    "stored_rubric",
    "verify",
]

# A judge-score row that declares a conflict of interest for the whole entry.
CONFLICT_CRITERION = "*"


class BoardFailure(RuntimeError):
    """The stored data cannot make a board (a stored rubric or rows contradict each other)."""


@dataclass(frozen=True)
class BoardView:
    """A computed board with what it was computed from."""

    challenge: Challenge
    rubric_version: RubricVersion
    rubric: Rubric
    inputs: BoardInputs
    board: Board
    timezones: dict[int, str]  # entry id -> its library's time zone

    def row_for(self, entry: Entry) -> BoardRow:
        return self.board.row(entry.id)


def _now(now: datetime | None) -> datetime:
    value = now or datetime.now(UTC)
    if value.tzinfo is None:
        raise ValueError("times must be aware")
    return value.astimezone(UTC)


def stored_rubric(version: RubricVersion) -> Rubric:
    """The parsed rubric of a stored version (BoardFailure if the stored text is invalid)."""
    try:
        return load_rubric(version.document)
    except RubricError as exc:
        raise BoardFailure(f"stored rubric version {version.version} is invalid: {exc}") from None


def rubric_in_force(
    session: Session, challenge: Challenge, as_of: datetime | None = None
) -> tuple[RubricVersion, Rubric]:
    """The rubric version of ``challenge`` in force at ``as_of`` (default now), parsed."""
    version = q.rubric_in_force(session, challenge.id, _now(as_of))
    if version is None:
        raise BoardFailure(f"challenge {challenge.slug!r} has no rubric")
    return version, stored_rubric(version)


def load_inputs(
    session: Session,
    challenge: Challenge,
    as_of: datetime,
    *,
    integrity: bool = True,
    series_days: int | None = None,
) -> tuple[RubricVersion, Rubric, BoardInputs, dict[int, str]]:
    """The rubric in force and the board inputs of ``challenge`` as of ``as_of``.

    ``integrity=False`` skips the snapshot series (no view-increment checks, much less data);
    ``series_days`` keeps only the last days of each entry's series.
    """
    with paused_gc():
        return _load_inputs(session, challenge, as_of, integrity, series_days)


def _load_inputs(
    session: Session,
    challenge: Challenge,
    as_of: datetime,
    integrity: bool,
    series_days: int | None,
) -> tuple[RubricVersion, Rubric, BoardInputs, dict[int, str]]:
    version, rubric = rubric_in_force(session, challenge, as_of)
    window, cid, closes = rubric.window_days, challenge.id, challenge.closes_at
    # The store's rows come in the records' field order with plain values (str for enums,
    # aware UTC times, float scores), so the records are made straight from them. Each job reads
    # and makes its records: on the concurrent path one job's Python work overlaps the server's
    # work on another.
    jobs: list[Callable[[q.Reader], Any]] = [
        lambda r: _judge_records(q.effective_judge_score_columns(r, cid, as_of)),
        lambda r: tuple(
            map(SnapshotInput._make, q.chosen_snapshots(r, cid, window, closes, as_of))
        ),
        lambda r: _entry_records(q.board_entries(r, cid, as_of)),
        lambda r: tuple(map(FollowerCount._make, q.followers_at_posting(r, cid, as_of))),
        lambda r: tuple(map(IndicatorInput._make, q.effective_indicators(r, cid, as_of))),
    ]
    if integrity:
        # The series is the longest read by far: first, so the others run beside it.
        jobs.insert(
            0,
            lambda r: SnapshotSeries(
                *q.snapshot_series_columns(r, cid, window, closes, as_of, series_days)
            ),
        )
    results = q.read_all(session, jobs)
    series = results.pop(0) if integrity else ()
    judged, chosen, (entries, timezones), followers, indicators = results
    scores, conflicts = judged
    inputs = BoardInputs(
        challenge=challenge.slug,
        opens_at=challenge.opens_at,
        closes_at=challenge.closes_at,
        entries=entries,
        snapshots=chosen,
        followers=followers,
        judge_scores=scores,
        conflicts=conflicts,
        indicators=indicators,
        series=series,
    )
    return version, rubric, inputs, timezones


def _entry_records(
    rows: Sequence[tuple[Any, ...]],
) -> tuple[tuple[EntryInput, ...], dict[int, str]]:
    """The entries of :func:`store.boards.board_entries` rows, and each one's time zone."""
    entries = tuple([EntryInput._make(row[:11]) for row in rows])
    return entries, {row[0]: row[11] for row in rows}


def _judge_records(
    columns: tuple[list[Any], list[Any], list[Any], list[Any], list[Any], list[Any]],
) -> tuple[JudgeScoreColumns | tuple[JudgeScoreInput, ...], tuple[Conflict, ...]]:
    """The scores and conflicts of :func:`store.boards.effective_judge_score_columns`."""
    entry_ids, judge_ids, criteria, values, ids, conflict = columns
    # Conflicts, rows without a score and non-float scores are rare: when there are none, the
    # columns are the scores as they are (checked at C speed, not row by row).
    if any(conflict) or set(map(type, values)) - {float} or CONFLICT_CRITERION in criteria:
        rows = list(zip(entry_ids, judge_ids, criteria, values, ids, conflict, strict=True))
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        conflicts = tuple([Conflict(row[0], row[1]) for row in rows if row[5]])
        scores = tuple(
            [
                JudgeScoreInput(e, j, c, float(v), i)
                for e, j, c, v, i, conflicted in rows
                if not conflicted and v is not None and c != CONFLICT_CRITERION
            ]
        )
        return scores, conflicts
    return JudgeScoreColumns(entry_ids, judge_ids, criteria, values, ids), ()


def build_board(
    session: Session,
    challenge: Challenge,
    as_of: datetime | None = None,
    *,
    now: datetime | None = None,
    sensitivity: bool = True,
    integrity: bool = True,
    series_days: int | None = None,
) -> BoardView:
    """The board of ``challenge`` as of ``as_of`` (default: now)."""
    when = _now(as_of or now)
    with paused_gc():  # one pause for both steps: the collector catches up once, at the end
        version, rubric, inputs, timezones = load_inputs(
            session, challenge, when, integrity=integrity, series_days=series_days
        )
        try:
            board = compute_board(inputs, rubric, when, sensitivity=sensitivity)
        except InputError as exc:
            raise BoardFailure(f"the stored data cannot make a board: {exc}") from None
    return BoardView(challenge, version, rubric, inputs, board, timezones)


def _board_json(board: Board) -> dict[str, Any]:
    """The committee form of a board as it is stored (a JSON round trip, so it compares)."""
    result: dict[str, Any] = json.loads(json.dumps(board.to_dict(committee=True)))
    return result


def freeze(
    session: Session, challenge: Challenge, actor: str, *, now: datetime | None = None
) -> FrozenBoard:
    """Store the final board as of now with its rubric version and inputs hash.

    Allowed once the challenge has closed and until it is published; freezing again replaces the
    board in force (older frozen boards stay, for the record).
    """
    when = _now(now)
    if challenge.status is ChallengeStatus.PUBLISHED:
        raise BadInput(f"challenge {challenge.slug!r} is already published; its board is final")
    if challenge.status is ChallengeStatus.DRAFT:
        raise BadInput(f"challenge {challenge.slug!r} is a draft; open it first")
    if when < challenge.closes_at:
        raise BadInput(
            f"challenge {challenge.slug!r} closes at {challenge.closes_at.isoformat()}; "
            "a final board can be frozen only after the close"
        )
    view = build_board(session, challenge, when)
    row = FrozenBoard(
        challenge_id=challenge.id,
        as_of=when,
        rubric_version_id=view.rubric_version.id,
        inputs_sha256=view.board.inputs_sha256,
        board=_board_json(view.board),
        frozen_at=when,
        frozen_by=actor,
    )
    session.add(row)
    challenge.status = ChallengeStatus.FROZEN
    session.flush()
    audit.record(
        session,
        actor,
        "board.freeze",
        "challenge",
        challenge.id,
        frozen_board=row.id,
        as_of=when.isoformat(),
        rubric_version=view.rubric_version.version,
        inputs_sha256=view.board.inputs_sha256,
        placed=len(view.board.ranked),
    )
    return row


def publish(
    session: Session, challenge: Challenge, actor: str, *, now: datetime | None = None
) -> FrozenBoard:
    """Make the frozen board public; the challenge becomes published."""
    when = _now(now)
    if challenge.status is not ChallengeStatus.FROZEN:
        raise BadInput(
            f"challenge {challenge.slug!r} is {challenge.status}; freeze its board before "
            "publishing"
        )
    row = q.latest_frozen_board(session, challenge.id)
    if row is None:
        raise BadInput(f"challenge {challenge.slug!r} has no frozen board")
    row.published_at = when
    challenge.status = ChallengeStatus.PUBLISHED
    audit.record(
        session,
        actor,
        "board.publish",
        "challenge",
        challenge.id,
        frozen_board=row.id,
        inputs_sha256=row.inputs_sha256,
    )
    return row


@dataclass(frozen=True)
class Verification:
    frozen: FrozenBoard
    recomputed_sha256: str
    same_inputs: bool
    same_board: bool
    differences: tuple[str, ...]  # entries whose place or total differ, described

    @property
    def ok(self) -> bool:
        return self.same_inputs and self.same_board


def verify(session: Session, challenge: Challenge) -> Verification:
    """Recompute the frozen board in force from the database and compare."""
    frozen = q.latest_frozen_board(session, challenge.id)
    if frozen is None:
        raise BadInput(f"challenge {challenge.slug!r} has no frozen board to verify")
    version = session.get(RubricVersion, frozen.rubric_version_id)
    assert version is not None
    rubric = stored_rubric(version)
    _, _, inputs, _ = load_inputs(session, challenge, frozen.as_of)
    try:
        board = compute_board(inputs, rubric, frozen.as_of)
    except InputError as exc:
        raise BoardFailure(f"the stored data cannot make a board: {exc}") from None
    again = _board_json(board)
    stored = frozen.board
    diffs: list[str] = []
    old_rows = {r["entry_id"]: r for r in stored.get("rows", [])}
    new_rows = {r["entry_id"]: r for r in again.get("rows", [])}
    for eid in sorted(set(old_rows) | set(new_rows)):
        a, b = old_rows.get(eid), new_rows.get(eid)
        if a is None or b is None:
            diffs.append(f"entry {eid}: {'added' if a is None else 'missing'} on recomputation")
        elif (a["rank"], a["total"]) != (b["rank"], b["total"]):
            diffs.append(
                f"entry {eid}: frozen place {a['rank']} total {a['total']}, "
                f"recomputed place {b['rank']} total {b['total']}"
            )
    return Verification(
        frozen=frozen,
        recomputed_sha256=board.inputs_sha256,
        same_inputs=board.inputs_sha256 == frozen.inputs_sha256,
        same_board=steady(again) == steady(stored),
        differences=tuple(diffs),
    )


def judge_names(session: Session, board: Board) -> dict[int, str]:
    """User names of the judges a board mentions (for the committee's explanations)."""
    ids = {j.judge_id for j in board.judging.judges} if board.judging else set()
    for row in board.rows:
        for c in row.criteria:
            if c.creativity is not None:
                ids.update(c.creativity.conflicted_judges)
    return q.usernames(session, ids)


def find_entry(session: Session, challenge: Challenge, ref: str) -> Entry:
    """An entry of ``challenge`` by its post URL (any recognised form) or ``#id``."""
    text = ref.strip()
    if text.lstrip("#").isdigit():
        entry = session.get(Entry, int(text.lstrip("#")))
        if entry is None or entry.challenge_id != challenge.id:
            raise BadInput(f"no entry #{text.lstrip('#')} in challenge {challenge.slug!r}")
        return entry
    try:
        parsed = parse_post_url(text)
    except PostUrlError as exc:
        raise BadInput(str(exc)) from None
    if isinstance(parsed, ShortLink):
        raise BadInput(f"{text}: a short link; give the post's full URL or the entry's #id")
    entry = queries.entry_by_post(session, challenge.id, parsed.platform, parsed.post_id)
    if entry is None:
        raise BadInput(f"{parsed.canonical_url} is not an entry of challenge {challenge.slug!r}")
    return entry


def disqualify(
    session: Session,
    challenge: Challenge,
    ref: str,
    reason: str,
    actor: str,
    *,
    now: datetime | None = None,
) -> Entry:
    """A committee action: the entry stops competing from now on (recorded with the reason).

    Boards as of an earlier time still show it competing: the audit log dates the change.
    """
    text = reason.strip()
    if not text:
        raise BadInput("--reason: a disqualification needs a reason")
    if challenge.status is ChallengeStatus.PUBLISHED:
        raise BadInput(f"challenge {challenge.slug!r} is published; its board is final")
    entry = find_entry(session, challenge, ref)
    if entry.status is EntryStatus.DISQUALIFIED:
        raise BadInput(f"entry #{entry.id} is already disqualified ({entry.status_reason})")
    entry.status = EntryStatus.DISQUALIFIED
    entry.status_reason = text
    row = audit.record(
        session, actor, q.DISQUALIFY, "entry", entry.id, reason=text, url=entry.canonical_url
    )
    row.at = _now(now)
    return entry


def reinstate(
    session: Session,
    challenge: Challenge,
    ref: str,
    reason: str,
    actor: str,
    *,
    now: datetime | None = None,
) -> Entry:
    """Undo a disqualification (recorded with the reason)."""
    text = reason.strip()
    if not text:
        raise BadInput("--reason: reinstating needs a reason")
    entry = find_entry(session, challenge, ref)
    if entry.status is not EntryStatus.DISQUALIFIED:
        raise BadInput(f"entry #{entry.id} is not disqualified")
    entry.status = EntryStatus.ACTIVE
    entry.status_reason = None
    row = audit.record(
        session, actor, q.REINSTATE, "entry", entry.id, reason=text, url=entry.canonical_url
    )
    row.at = _now(now)
    return entry
