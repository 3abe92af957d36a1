"""Cached reads for the board pages. Results are kept for ``dashboard_cache_seconds`` (one
minute by default) and shared by every viewer of the same board; pages check the viewer's role
before they call these. A live board is keyed by the cache period it is asked in (``bucket``)
and computed as of the moment it is first asked for, so every viewer in that period gets the
same, already computed board, and a board recomputed after a change includes that change.

Live boards (the public leaderboard and the committee's live board) are also kept between
periods (:class:`KeptBoards`): when its period has passed, the next viewer still gets the board
of the last period at once, with its "as of" time, while a background thread computes the new
one. Only the first viewer after the server starts, after a change (:func:`forget_boards`) or
after ``STALE_PERIODS`` periods without a viewer waits for the computation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

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


def day_before(as_of: datetime) -> str:
    """The time the rank change compares with: a day earlier, at the start of that hour (so
    one board a day before serves a whole hour of live boards)."""
    then = as_of - timedelta(days=1)
    return then.replace(minute=0, second=0, microsecond=0).isoformat()


# The committee's board as of a chosen time. It carries every entry's explanation (megabytes for
# 10,000 entries): st.cache_data would copy it (unpickle) at every hit, so it is kept as a shared
# object that no page changes (st.cache_resource, with the same time to live).
@st.cache_resource(ttl=TTL, show_spinner=False, max_entries=8)
def committee_board(
    database_url: str, challenge_id: int, as_of_key: str
) -> boardview.CommitteeBoard:
    # The page has checked the viewer's role; the service checks it again.
    staff = Viewer(None, "cache", STAFF[0])
    with ui.transaction() as session:
        return boardview.committee_board(session, staff, challenge_id, _as_of(as_of_key))


# How many cache periods old a public board may be and still be shown while the new one is
# computed (with the default minute: five minutes).
STALE_PERIODS = 5

Ranks = dict[int, int | None]
PublicView = tuple[dict[str, Any], Ranks]
T = TypeVar("T")


@dataclass(frozen=True)
class _Held(Generic[T]):
    period: int
    value: T


def _period(key: str) -> int:
    return int(key.rsplit(":", 1)[1])


class KeptBoards(Generic[T]):
    """Live boards per (database, challenge), kept between cache periods and refreshed in the
    background.

    ``get`` answers from the board of the current period when there is one; else from a board
    at most ``STALE_PERIODS`` periods old, starting one background refresh for it; else it
    computes the board itself. The pages treat what it returns as read-only.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, int], _Held[T]] = {}
        self._busy: set[tuple[str, int]] = set()
        self._generation = 0  # bumped by forget(): a refresh started before it is dropped
        self.refreshes: list[threading.Thread] = []  # for tests: the background threads

    def get(self, url: str, challenge_id: int, key: str, compute: Callable[[str], T]) -> T:
        """The board for the cache period ``key`` (a :func:`bucket` value)."""
        slot = (url, challenge_id)
        period = _period(key)
        with self._lock:
            held = self._held.get(slot)
            if held is not None and held.period == period:
                return held.value
            stale = held is not None and 0 < period - held.period <= STALE_PERIODS
            if stale and slot not in self._busy:
                self._busy.add(slot)
                thread = threading.Thread(
                    target=self._refresh,
                    args=(slot, key, compute, self._generation),
                    name=f"board-refresh-{challenge_id}",
                    daemon=True,
                )
                self.refreshes.append(thread)
                thread.start()
            generation = self._generation
        if stale and held is not None:
            return held.value
        value = compute(key)
        self._keep(slot, period, value, generation)
        return value

    def _refresh(
        self, slot: tuple[str, int], key: str, compute: Callable[[str], T], generation: int
    ) -> None:
        try:
            value = compute(key)
        except Exception:  # the next viewer computes it again and sees the error
            with self._lock:
                if self._generation == generation:
                    self._held.pop(slot, None)
        else:
            self._keep(slot, _period(key), value, generation)
        finally:
            with self._lock:
                self._busy.discard(slot)

    def _keep(self, slot: tuple[str, int], period: int, value: T, generation: int) -> None:
        with self._lock:
            held = self._held.get(slot)
            if self._generation == generation and (held is None or held.period <= period):
                self._held[slot] = _Held(period, value)

    def forget(self) -> None:
        with self._lock:
            self._held.clear()
            self._generation += 1


class DayBefore:
    """Each board's places a day before it, computed once per such time (they change once an
    hour, see :func:`day_before`, not at every refresh)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[tuple[str, int], tuple[str, Ranks]] = {}

    def get(self, url: str, challenge_id: int, when: str, compute: Callable[[], Ranks]) -> Ranks:
        slot = (url, challenge_id)
        with self._lock:
            known = self._known.get(slot)
            if known is not None and known[0] == when:
                return known[1]
        ranks = compute()
        with self._lock:
            self._known[slot] = (when, ranks)
        return ranks

    def forget(self) -> None:
        with self._lock:
            self._known.clear()


@dataclass(frozen=True)
class _Stores:
    public: KeptBoards[PublicView]
    committee: KeptBoards[boardview.CommitteeBoard]
    day_before: DayBefore


@st.cache_resource(show_spinner=False)
def _stores() -> _Stores:
    return _Stores(KeptBoards(), KeptBoards(), DayBefore())


def public_view(url: str, challenge_id: int) -> PublicView:
    """The public board of ``challenge_id`` and each entry's place a day before it."""
    app = ui.app()  # the request's own thread asks for the shared App; a refresh reuses it
    stores = _stores()

    def compute(key: str) -> PublicView:
        with app.transaction() as session:
            board = boardview.public_board(session, challenge_id, _as_of(key), PUBLIC_FIELDS)
            board["labels"] = boardview.criterion_labels(session, challenge_id)
            as_of = datetime.fromisoformat(str(board["as_of"]).replace("Z", "+00:00"))
            when = day_before(as_of)
            previous = stores.day_before.get(
                url,
                challenge_id,
                when,
                lambda: boardview.ranks_as_of(session, challenge_id, datetime.fromisoformat(when)),
            )
        return board, previous

    return stores.public.get(url, challenge_id, bucket(), compute)


def committee_view(url: str, challenge_id: int, as_of_key: str) -> boardview.CommitteeBoard:
    """The committee's board: live (kept and refreshed like the public one) or as of a time."""
    if not as_of_key.startswith(LIVE):
        return committee_board(url, challenge_id, as_of_key)
    app = ui.app()
    # The page has checked the viewer's role; the service checks it again.
    staff = Viewer(None, "cache", STAFF[0])

    def compute(key: str) -> boardview.CommitteeBoard:
        with app.transaction() as session:
            return boardview.committee_board(session, staff, challenge_id, _as_of(key))

    return _stores().committee.get(url, challenge_id, as_of_key, compute)


def forget_boards() -> None:
    """After a change that moves a board (a score, a disqualification, a freeze...)."""
    committee_board.clear()
    stores = _stores()
    stores.public.forget()
    stores.committee.forget()
    stores.day_before.forget()
