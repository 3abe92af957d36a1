"""The planning pass (due rounds, claims, full batches, the deadline) on SQLite and PostgreSQL,
and a batch's retry bookkeeping."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from collector.round import Batch
from fakeplatform.world import World
from services.app import App
from services.fakeworld import challenge_from_world
from store.enums import ChallengeStatus, MetricSource
from store.models import Challenge, Entry, MetricSnapshot
from tasks.coordination import LocalCoordination
from tasks.planning import merge_reports, plan_and_dispatch, retry_plan
from tasks.runtime import Runtime

NOW = datetime(2026, 11, 20, 9, 25, tzinfo=UTC)
SLOT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Recorder:
    """A dispatcher that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[dict[str, Any]]]] = []

    def submit(self, runtime: Runtime, round_key: str, batches: Sequence[dict[str, Any]]) -> int:
        self.sent.append((round_key, list(batches)))
        return len(batches)


def _runtime(app: App, tmp_path: Path, now: list[datetime]) -> tuple[Runtime, Recorder]:
    recorder = Recorder()
    rt = Runtime(app.settings, app=app, dispatcher=recorder, distributed=False, now=lambda: now[0])
    rt.__dict__["coordination"] = LocalCoordination(tmp_path / "hb")
    return rt, recorder


def _seed(app: App, n_tiktok: int = 30, n_youtube: int = 60) -> int:
    world = World(seed=2)
    tt = world.add_account("tiktok")
    yt = world.add_account("youtube")
    posts = [world.add_post(tt) for _ in range(n_tiktok)]
    posts += [world.add_post(yt) for _ in range(n_youtube)]
    with app.transaction() as s:
        challenge = challenge_from_world(
            s, app.token_box, world, posts, opens_at=NOW - timedelta(days=20)
        )
        challenge.closes_at = NOW + timedelta(days=5)
        return challenge.id


def _age_entries(app: App, hours: float) -> None:
    """Make every entry's post ``hours`` old."""
    with app.transaction() as s:
        for e in s.scalars(select(Entry)):
            e.posted_at = NOW - timedelta(hours=hours)


def _snapshot(app: App, entry_ids: Sequence[int], at: datetime) -> None:
    with app.transaction() as s:
        for eid in entry_ids:
            s.add(MetricSnapshot(entry_id=eid, collected_at=at, source=MetricSource.API, views=1))


def test_due_entries_are_planned_once_per_slot_in_full_batches(app: App, tmp_path: Path) -> None:
    _seed(app)
    now = [NOW]
    rt, recorder = _runtime(app, tmp_path, now)
    result = plan_and_dispatch(rt)
    [(key, batches)] = recorder.sent
    assert key == "fake-reels@20261120T090000Z"
    # TikTok: 20 videos per call, YouTube: 50 per call.
    assert result["rounds"] == [{"round": key, "entries": 90, "batches": 4, "deadline": False}]
    parsed = [Batch.from_json(b) for b in batches]
    assert sorted(len(b.entry_ids) for b in parsed) == [10, 10, 20, 50]
    assert {b.collected_at for b in parsed} == {SLOT}
    # A second pass in the same slot sends nothing (the round is claimed) ...
    plan_and_dispatch(rt)
    assert len(recorder.sent) == 1
    # ... and neither does a pass in the next slot while the claim holds nothing new: the
    # snapshots of the slot were written, and old posts are not due again within 6 hours.
    with app.sessions() as s:
        ids = list(s.scalars(select(Entry.id)))
    _snapshot(app, ids, SLOT)
    _age_entries(app, hours=24 * 5)  # five days old: every 6 hours
    now[0] = NOW + timedelta(hours=1)
    assert plan_and_dispatch(rt)["rounds"] == []
    now[0] = NOW + timedelta(hours=6)
    [again] = plan_and_dispatch(rt)["rounds"]
    assert again["entries"] == 90 and again["round"].endswith("T150000Z")


def test_only_due_entries_are_planned_and_packed(app: App, tmp_path: Path) -> None:
    _seed(app, n_tiktok=0, n_youtube=120)
    _age_entries(app, hours=24 * 20)  # old posts: daily
    with app.sessions() as s:
        ids = sorted(s.scalars(select(Entry.id)))
    # 70 of them were collected two hours ago, 50 a day ago.
    _snapshot(app, ids[:70], SLOT - timedelta(hours=2))
    _snapshot(app, ids[70:], SLOT - timedelta(hours=24))
    rt, recorder = _runtime(app, tmp_path, [NOW])
    [r] = plan_and_dispatch(rt)["rounds"]
    assert r["entries"] == 50 and r["batches"] == 1  # packed into one full batch of 50
    [(_, [batch])] = recorder.sent
    assert sorted(batch["entry_ids"]) == ids[70:]


def test_deadline_collection_is_stamped_with_the_close_and_nothing_after_freeze(
    app: App, tmp_path: Path
) -> None:
    cid = _seed(app, n_tiktok=5, n_youtube=5)
    close = NOW + timedelta(days=5)
    now = [close + timedelta(minutes=2)]
    rt, recorder = _runtime(app, tmp_path, now)
    [r] = plan_and_dispatch(rt)["rounds"]
    assert r["deadline"] and r["entries"] == 10
    assert {Batch.from_json(b).collected_at for b in recorder.sent[0][1]} == {close}
    with app.sessions() as s:
        ids = list(s.scalars(select(Entry.id)))
    _snapshot(app, ids, close)
    now[0] = close + timedelta(hours=1)
    assert plan_and_dispatch(rt)["rounds"] == []
    with app.transaction() as s:
        challenge = s.get(Challenge, cid)
        assert challenge is not None
        challenge.status = ChallengeStatus.FROZEN
        challenge.closes_at = NOW + timedelta(days=9)  # even while "running", frozen is final
    now[0] = NOW + timedelta(days=6)
    assert plan_and_dispatch(rt)["rounds"] == []


def _report(**kw: Any) -> dict[str, Any]:
    posts = {"items": 5, "collected": 0, "written": 0, "already": 0, "deferred": 0, "failed": 0,
             "unavailable": 0, "skipped": 0}  # fmt: skip
    posts.update(kw.pop("posts", {}))
    return {"posts": posts, "accounts": {}, "reasons": {}, "calls": 1, "quota_units": 0,
            "retry_at": None, "needs_reauth": [], **kw}  # fmt: skip


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_retry_bookkeeping(app: App, tmp_path: Path) -> None:
    rt, _ = _runtime(app, tmp_path, [NOW])
    first = _report(
        posts={"collected": 3, "written": 3, "deferred": 2},
        reasons={"rate_limited": 2},
        retry_at=(NOW + timedelta(seconds=12)).isoformat(),
    )
    assert retry_plan(rt, {"b": 1}, first, attempt=0) == ({"b": 1}, 12)
    assert retry_plan(rt, {"b": 1}, first, attempt=2) is None  # retries used up
    later = dict(first, retry_at=(NOW + timedelta(hours=1)).isoformat())
    assert retry_plan(rt, {"b": 1}, later, attempt=0) is None  # next planning pass instead
    no_time = _report(posts={"deferred": 5}, reasons={"server_error": 5})
    assert retry_plan(rt, {"b": 1}, no_time, attempt=1) == ({"b": 1}, 10)
    failed = _report(posts={"deferred": 2, "failed": 1}, reasons={"timeout": 2, "malformed": 1})
    assert retry_plan(rt, {"b": 1}, failed, attempt=0) is None
    quota = _report(posts={"deferred": 5}, reasons={"quota_exceeded": 5})
    assert retry_plan(rt, {"b": 1}, quota, attempt=0) is None
    # The re-run sees the first attempt's 3 as already collected and collects the other 2.
    second = _report(posts={"already": 3, "collected": 2, "written": 2})
    merged = merge_reports(first, second)
    assert merged["posts"]["collected"] == 5 and merged["posts"]["already"] == 0
    assert merged["posts"]["written"] == 5 and merged["posts"]["deferred"] == 0
    assert merged["calls"] == 2 and merged["attempts"] == 2
    assert merge_reports(None, second) is second
