"""Cached reads for the board pages. Results are kept for ``dashboard_cache_seconds`` (one
minute by default) and shared by every viewer of the same board; pages check the viewer's role
before they call these. A live board is keyed by the cache period it is asked in (``bucket``)
and computed as of the moment it is first asked for, so every viewer in that period gets the
same, already computed board, and a board recomputed after a change includes that change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from dashboard import ui
from reelboard.settings import get_settings
from services import boardview
from services.access import STAFF, Viewer

TTL = get_settings().dashboard_cache_seconds


LIVE = "live"


def bucket() -> str:
    """The current cache period, as a cache key for live boards."""
    now = int(datetime.now(UTC).timestamp())
    return f"{LIVE}:{now // TTL if TTL > 0 else now}"


def _as_of(key: str) -> datetime:
    """A live key means now (at computation); anything else is an ISO time."""
    if key.startswith(LIVE):
        return datetime.now(UTC)
    return datetime.fromisoformat(key)


# What the public page reads of each row; the rest (each criterion's inputs) stays out of the
# cache, which is copied at every hit.
PUBLIC_FIELDS = (
    "entry_id",
    "library",
    "platform",
    "tier",
    "province",
    "rank",
    "total",
    "segment_ranks",
    "status",
    "unranked_reason",
)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=64)
def public_board(database_url: str, challenge_id: int, as_of_key: str) -> dict[str, Any]:
    with ui.transaction() as session:
        board = boardview.public_board(session, challenge_id, _as_of(as_of_key), PUBLIC_FIELDS)
        board["labels"] = boardview.criterion_labels(session, challenge_id)
    return board


def day_before(as_of: datetime) -> str:
    """The time the rank change compares with: a day earlier, at the start of that hour (so
    one board a day before serves a whole hour of live boards)."""
    then = as_of - timedelta(days=1)
    return then.replace(minute=0, second=0, microsecond=0).isoformat()


@st.cache_data(ttl=3600, show_spinner=False, max_entries=64)
def ranks(database_url: str, challenge_id: int, as_of_iso: str) -> dict[int, int | None]:
    with ui.transaction() as session:
        return boardview.ranks_as_of(session, challenge_id, datetime.fromisoformat(as_of_iso))


# The committee's board carries every entry's explanation (megabytes for 10,000 entries):
# st.cache_data would copy it (unpickle) at every hit, so it is kept as a shared object that no
# page changes (st.cache_resource, with the same time to live).
@st.cache_resource(ttl=TTL, show_spinner=False, max_entries=8)
def committee_board(
    database_url: str, challenge_id: int, as_of_key: str
) -> boardview.CommitteeBoard:
    # The page has checked the viewer's role; the service checks it again.
    staff = Viewer(None, "cache", STAFF[0])
    with ui.transaction() as session:
        return boardview.committee_board(session, staff, challenge_id, _as_of(as_of_key))


def forget_boards() -> None:
    """After a change that moves a board (a score, a disqualification, a freeze...)."""
    public_board.clear()
    ranks.clear()
    committee_board.clear()
