"""The live board store: fresh within a period, the last board while refreshing after it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from dashboard.data import STALE_PERIODS, DayBefore, KeptBoards

URL = "sqlite:///x.db"


class Boards:
    """A compute function that numbers the boards it makes; it can be held until released."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self.hold = threading.Event()
        self.hold.set()
        self.fail = False

    def __call__(self, key: str) -> tuple[dict[str, Any], dict[int, int | None]]:
        self.hold.wait(10)
        if self.fail:
            raise RuntimeError("no board")
        self.made.append(key)
        return {"key": key, "n": len(self.made)}, {1: len(self.made)}


def _finish(store: KeptBoards[Any]) -> None:
    for thread in store.refreshes:
        thread.join(10)
        assert not thread.is_alive()


def test_one_board_per_period_and_the_old_one_while_the_next_is_computed() -> None:
    store, boards = KeptBoards[tuple[dict[str, Any], dict[int, int | None]]](), Boards()
    first, ranks = store.get(URL, 1, "live:100", boards)
    assert first == {"key": "live:100", "n": 1} and ranks == {1: 1}
    assert store.get(URL, 1, "live:100", boards)[0] is first  # same period: no new board
    assert boards.made == ["live:100"]

    boards.hold.clear()  # the next board takes a while
    assert store.get(URL, 1, "live:101", boards)[0] is first  # at once, the last board
    assert store.get(URL, 1, "live:101", boards)[0] is first
    assert len(store.refreshes) == 1  # one refresh, however many viewers
    boards.hold.set()
    _finish(store)
    assert store.get(URL, 1, "live:101", boards)[0] == {"key": "live:101", "n": 2}
    assert boards.made == ["live:100", "live:101"]
    # another challenge has its own board
    assert store.get(URL, 2, "live:101", boards)[0]["n"] == 3


def test_a_board_too_old_is_not_shown_it_is_recomputed() -> None:
    store, boards = KeptBoards[tuple[dict[str, Any], dict[int, int | None]]](), Boards()
    store.get(URL, 1, "live:100", boards)
    later = f"live:{100 + STALE_PERIODS + 1}"
    assert store.get(URL, 1, later, boards)[0]["key"] == later
    assert store.refreshes == []


def test_forget_drops_the_boards_and_a_refresh_started_before_it() -> None:
    store, boards = KeptBoards[tuple[dict[str, Any], dict[int, int | None]]](), Boards()
    store.get(URL, 1, "live:100", boards)
    boards.hold.clear()
    store.get(URL, 1, "live:101", boards)  # a refresh starts and waits
    store.forget()  # e.g. a judge's score came in
    boards.hold.set()
    _finish(store)
    # the refresh's board (begun before the change) was not kept: this viewer computes anew
    board, _ = store.get(URL, 1, "live:101", boards)
    assert board["n"] == 3 and boards.made == ["live:100", "live:101", "live:101"]


def test_a_failed_refresh_makes_the_next_viewer_compute_and_see_the_error() -> None:
    store, boards = KeptBoards[tuple[dict[str, Any], dict[int, int | None]]](), Boards()
    store.get(URL, 1, "live:100", boards)
    boards.fail = True  # e.g. the committee withdrew the live board
    store.get(URL, 1, "live:101", boards)
    _finish(store)
    with pytest.raises(RuntimeError, match="no board"):
        store.get(URL, 1, "live:101", boards)


def test_the_places_a_day_before_are_computed_once_per_time() -> None:
    store = DayBefore()
    calls: list[int] = []

    def ranks() -> dict[int, int | None]:
        calls.append(1)
        return {7: len(calls)}

    assert store.get(URL, 1, "2026-11-22T10:00:00+00:00", ranks) == {7: 1}
    assert store.get(URL, 1, "2026-11-22T10:00:00+00:00", ranks) == {7: 1}
    assert store.get(URL, 1, "2026-11-22T11:00:00+00:00", ranks) == {7: 2}
    store.forget()
    assert store.get(URL, 1, "2026-11-22T11:00:00+00:00", ranks) == {7: 3}
