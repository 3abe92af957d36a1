"""The adaptive cadence: a pure function of the post's age, the challenge window and the clock."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.cadence import Cadence, Window, due_stamp, planned_stamps
from services.errors import BadInput
from store.enums import ChallengeStatus

OPEN = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
CLOSE = datetime(2026, 12, 1, 16, 59, 59, tzinfo=UTC)  # 23:59:59 WIB
WINDOW = Window(opens_at=OPEN, closes_at=CLOSE, status=ChallengeStatus.OPEN)
H = timedelta(hours=1)


def test_default_policy_hourly_then_six_hourly_then_daily_then_deadline() -> None:
    born = OPEN + timedelta(hours=3)
    stamps = list(planned_stamps(Cadence(), WINDOW, born_at=born))
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    ages = [s - born for s in stamps]
    # The first stamps are hourly while the post is younger than 48 hours.
    young = [g for g, age in zip(gaps, ages, strict=False) if age < timedelta(hours=47)]
    assert set(young) == {H}
    # Between 48 hours and 14 days: every 6 hours.
    middle = [
        g
        for g, age in zip(gaps, ages[1:], strict=False)
        if timedelta(hours=54) <= age < timedelta(days=14)
    ]
    assert middle and set(middle) == {6 * H}
    # Then daily until the close.
    late = [g for g, age in zip(gaps, ages[1:], strict=False) if age > timedelta(days=15)]
    assert late[:-1] and set(late[:-1]) == {24 * H}
    # The last stamp is the close itself (the deadline collection), and nothing after it.
    assert stamps[-1] == CLOSE
    assert all(s <= CLOSE for s in stamps)
    assert Counter(stamps)[CLOSE] == 1
    # Every other stamp is a whole hour (a slot), so all workers agree on it.
    assert all(s.minute == 0 and s.second == 0 for s in stamps[:-1])


def test_young_entry_is_due_every_hour_old_entry_is_not() -> None:
    now = OPEN + timedelta(days=20, minutes=7)
    slot = now.replace(minute=0)
    young = now - timedelta(hours=5)
    old = OPEN
    assert due_stamp(Cadence(), WINDOW, born_at=young, last_collected=slot - H, now=now) == slot
    # An old post collected one hour ago waits for its daily slot.
    assert due_stamp(Cadence(), WINDOW, born_at=old, last_collected=slot - H, now=now) is None
    assert due_stamp(Cadence(), WINDOW, born_at=old, last_collected=slot - 24 * H, now=now) == slot
    # Never collected: due at once.
    assert due_stamp(Cadence(), WINDOW, born_at=old, last_collected=None, now=now) == slot


def test_nothing_before_opening_or_after_freeze() -> None:
    assert due_stamp(Cadence(), WINDOW, born_at=OPEN, last_collected=None, now=OPEN - H) is None
    for status in (ChallengeStatus.FROZEN, ChallengeStatus.PUBLISHED):
        frozen = Window(OPEN, CLOSE, status)
        for now in (OPEN + H, CLOSE, CLOSE + H):
            assert due_stamp(Cadence(), frozen, born_at=OPEN, last_collected=None, now=now) is None


def test_deadline_collection_is_stamped_with_close_time_once_within_grace() -> None:
    after = CLOSE + timedelta(minutes=3)
    born = OPEN
    assert due_stamp(Cadence(), WINDOW, born_at=born, last_collected=CLOSE - H, now=after) == CLOSE
    assert due_stamp(Cadence(), WINDOW, born_at=born, last_collected=CLOSE, now=after) is None
    late = CLOSE + timedelta(hours=7)
    assert due_stamp(Cadence(), WINDOW, born_at=born, last_collected=None, now=late) is None
    no_deadline = Cadence(deadline=False)
    assert due_stamp(no_deadline, WINDOW, born_at=born, last_collected=None, now=after) is None
    closed = Window(OPEN, CLOSE, ChallengeStatus.CLOSED)
    assert due_stamp(Cadence(), closed, born_at=born, last_collected=None, now=after) == CLOSE


def test_challenge_setting_round_trips_and_is_validated() -> None:
    custom = Cadence.parse("24h:30m,7d:2h,*:12h", grace="2h")
    assert Cadence.from_json(custom.to_json()) == custom
    assert custom.base == timedelta(minutes=30)
    assert custom.describe() == "1d:30m,7d:2h,*:12h"
    assert Cadence.from_json({}) == Cadence()
    assert Cadence.from_json({"deadline": False}).deadline is False
    for bad, message in [
        ({"steps": []}, "non-empty"),
        ({"steps": [{"every_hours": 0}]}, "positive"),
        ({"steps": [{"every_hours": 1, "until_hours": 5}]}, "last cadence step"),
        ({"steps": [{"every_hours": 1}, {"every_hours": 2}]}, "only the last"),
        (
            {
                "steps": [
                    {"every_hours": 1, "until_hours": 9},
                    {"every_hours": 2, "until_hours": 3},
                    {"every_hours": 4},
                ]
            },
            "increase",
        ),
        ({"speed": 1}, "unknown key"),
        ({"deadline": "yes"}, "true or false"),
    ]:
        with pytest.raises(BadInput, match=message):
            Cadence.from_json(bad)  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="not a duration"):
        Cadence.parse("48h:1 hour")


@settings(max_examples=200, deadline=None)
@given(
    born_h=st.integers(min_value=-48, max_value=24 * 29),
    offset_min=st.integers(min_value=0, max_value=59),
)
def test_consecutive_stamps_follow_the_policy(born_h: int, offset_min: int) -> None:
    born = OPEN + timedelta(hours=born_h, minutes=offset_min)
    cadence = Cadence()
    stamps = list(planned_stamps(cadence, WINDOW, born_at=born))
    assert stamps, "every entry gets at least its deadline collection"
    assert stamps == sorted(set(stamps))
    for a, b in itertools.pairwise(stamps):
        if b == CLOSE:
            continue
        assert b - a == cadence.interval_at(max(b - born, timedelta(0)))
