"""Boards as the dashboard shows them: the public board and the committee's, with role checks.

Boards are computed by :mod:`services.boards` (the scoring room) and handled here in their plain
JSON form (:func:`scoring.export.board_to_dict`), which is also how a frozen board is stored.
The public sees a published board, or the live board when the committee allows it, never the
integrity flags nor the judges' scorecards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from scoring.export import COMMITTEE_ONLY, plain
from services import boards
from services.access import STAFF, Denied, Viewer, require
from services.errors import BadInput
from store import boards as board_queries
from store import webqueries
from store.models import Challenge, Entry, FrozenBoard

DAY = timedelta(days=1)


@dataclass(frozen=True)
class PublicChoice:
    challenge_id: int
    title: str
    published: bool  # False: the live board


def public_challenges(session: Session) -> list[PublicChoice]:
    """Challenges whose board the public may see: published ones, and live ones allowed."""
    out = []
    for c in webqueries.all_challenges(session):
        published = webqueries.has_published_board(session, c.id)
        if published or c.live_board_public:
            out.append(PublicChoice(c.id, c.title, published))
    return out


def public_form(board: dict[str, Any]) -> dict[str, Any]:
    """A committee-form board without what only the committee sees."""
    rows = []
    for row in board.get("rows", []):
        clean = {k: v for k, v in row.items() if k != "flags"}
        criteria = []
        for c in row.get("criteria", []):
            c = dict(c)
            if isinstance(c.get("creativity"), dict):
                c["creativity"] = {
                    k: v for k, v in c["creativity"].items() if k not in COMMITTEE_ONLY
                }
            criteria.append(c)
        clean["criteria"] = criteria
        rows.append(clean)
    return {
        **{k: v for k, v in board.items() if k not in ("judging", "sensitivity", "rows")},
        "rows": rows,
    }


def _published(session: Session, challenge_id: int) -> FrozenBoard | None:
    for frozen in reversed(list(board_queries.frozen_boards(session, challenge_id))):
        if frozen.published_at is not None:
            return frozen
    return None


def public_board(
    session: Session,
    challenge_id: int,
    now: datetime,
    fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The published board, else the live board as of ``now`` if the committee allows it.

    ``fields``: keep only these fields of each row (a leaderboard table needs a handful; the
    full JSON form of a 10,000-entry board, every criterion's inputs, takes longer to build than
    the board itself). A live board is then returned with its header (``challenge``, ``as_of``,
    ``opens_at``, ``closes_at``, ``final``, ``decimals``) and these row fields only.
    """
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        raise Denied(f"challenge #{challenge_id}: no public board")
    frozen = _published(session, challenge_id)
    if frozen is not None:
        board = public_form(frozen.board)
        board["published_at"] = frozen.published_at.isoformat() if frozen.published_at else None
        if fields is not None:
            board["rows"] = [{k: r.get(k) for k in fields} for r in board["rows"]]
        return board
    if not challenge.live_board_public:
        raise Denied(f"challenge #{challenge_id}: no public board")
    view = boards.build_board(session, challenge, now, sensitivity=False, integrity=False)
    live = view.board
    if fields is None:
        return live.to_dict(committee=False)
    return {
        "challenge": live.challenge,
        "as_of": plain(live.as_of),
        "opens_at": plain(live.opens_at),
        "closes_at": plain(live.closes_at),
        "final": live.final,
        "decimals": live.decimals,
        # what plain(row) would hold under these keys, without converting the rest of the row
        "rows": [{k: plain(getattr(row, k)) for k in fields} for row in live.rows],
    }


def criterion_labels(session: Session, challenge_id: int) -> dict[str, dict[str, str]]:
    """Criterion key -> {"en": ..., "id": ...} from the challenge's newest rubric."""
    from scoring.rubric import load_rubric
    from store import queries

    version = queries.latest_rubric(session, challenge_id)
    if version is None:
        return {}
    rubric = load_rubric(version.document)
    return {c.key: {"en": c.label.en, "id": c.label.id} for c in rubric.criteria}


def ranks_as_of(session: Session, challenge_id: int, as_of: datetime) -> dict[int, int | None]:
    """entry id -> place on the board as of ``as_of`` (for the rank change since a day before)."""
    challenge = session.get(Challenge, challenge_id)
    if challenge is None or as_of < challenge.opens_at:
        return {}
    try:
        view = boards.build_board(session, challenge, as_of, sensitivity=False, integrity=False)
    except boards.BoardFailure:
        return {}  # no board then: no change to show, but the board of now still shows
    return {r.entry_id: r.rank for r in view.board.rows}


@dataclass(frozen=True)
class CommitteeBoard:
    board: dict[str, Any]
    labels: dict[str, dict[str, str]]
    rubric_version: int
    status: str
    frozen_at: str | None
    published_at: str | None


def committee_board(
    session: Session, viewer: Viewer, challenge_id: int, as_of: datetime
) -> CommitteeBoard:
    require(viewer, STAFF, "committee board")
    challenge = _challenge(session, challenge_id)
    view = boards.build_board(session, challenge, as_of)
    frozen = board_queries.latest_frozen_board(session, challenge_id)
    return CommitteeBoard(
        board=view.board.to_dict(committee=True),
        labels={c.key: {"en": c.label.en, "id": c.label.id} for c in view.rubric.criteria},
        rubric_version=view.rubric_version.version,
        status=challenge.status.value,
        frozen_at=frozen.frozen_at.isoformat() if frozen else None,
        published_at=frozen.published_at.isoformat() if frozen and frozen.published_at else None,
    )


def _challenge(session: Session, challenge_id: int) -> Challenge:
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        raise BadInput(f"no challenge #{challenge_id}")
    return challenge


def freeze(session: Session, viewer: Viewer, challenge_id: int) -> FrozenBoard:
    require(viewer, STAFF, "freezing a board")
    return boards.freeze(session, _challenge(session, challenge_id), viewer.actor)


def publish(session: Session, viewer: Viewer, challenge_id: int) -> FrozenBoard:
    require(viewer, STAFF, "publishing a board")
    return boards.publish(session, _challenge(session, challenge_id), viewer.actor)


def disqualify(
    session: Session, viewer: Viewer, challenge_id: int, entry_id: int, reason: str
) -> Entry:
    """A committee decision with its reason, written to the audit log by the scoring room."""
    require(viewer, STAFF, "disqualifying an entry")
    return boards.disqualify(
        session, _challenge(session, challenge_id), f"#{entry_id}", reason, viewer.actor
    )


def reinstate(
    session: Session, viewer: Viewer, challenge_id: int, entry_id: int, reason: str
) -> Entry:
    require(viewer, STAFF, "reinstating an entry")
    return boards.reinstate(
        session, _challenge(session, challenge_id), f"#{entry_id}", reason, viewer.actor
    )
