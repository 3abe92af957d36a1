"""The garbage-collector pause around board building nests and restores the collector."""

from __future__ import annotations

import gc
import weakref

from scoring.gcpause import paused_gc


def test_pause_nests_and_restores() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_pause_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_pause_ends_on_error() -> None:
    try:
        with paused_gc():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


class _Node:
    """A container the collector tracks."""

    def __init__(self) -> None:
        self.peers: list[_Node] = []


def _generation_of(obj: object) -> int | None:
    for generation in range(3):
        if any(o is obj for o in gc.get_objects(generation)):
            return generation
    return None


def test_what_a_pause_made_goes_to_the_oldest_generation() -> None:
    gc.collect()
    with paused_gc():
        made = _Node()
    assert _generation_of(made) == 2
    before = _Node()
    assert _generation_of(before) == 0


def test_objects_someone_froze_stay_frozen() -> None:
    gc.collect()
    kept = _Node()
    gc.freeze()
    try:
        with paused_gc():
            made = _Node()
        assert gc.get_freeze_count() > 0
        assert _generation_of(kept) is None  # still in the permanent generation
        assert _generation_of(made) in (0, 1)
    finally:
        gc.unfreeze()


def test_a_cycle_made_in_a_pause_is_still_collected() -> None:
    with paused_gc():
        a, b = _Node(), _Node()
        a.peers.append(b)
        b.peers.append(a)
        ref = weakref.ref(a)
        del a, b
    assert ref() is not None  # a cycle: reference counting cannot free it
    gc.collect()
    assert ref() is None
