"""Exactly once: workers SIGKILLed before and after API calls, resumed; racing workers.

The oracle is the fake platform server's own record of published posts: every scheduled post
must be there exactly once, and the database must name the same media id.
"""

from __future__ import annotations

import json
import os
import random
import select as io_select
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fakeplatform.publish_server import RunningPublishServer
from services import calendar, publishing
from services.app import App
from store import publishing as q
from store.enums import Platform, PostState
from store.models import ScheduledPost
from tests.pubkit import OPERATOR, make_video, setup_calendar
from tests.test_publishing import MEDIA_BASE, Clock, fake, publishers, settings  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("REELBOARD_KILL_RUNS", "6"))
# (platform, media from a URL instead of the stored file)
PLAN = [
    (Platform.INSTAGRAM, False),
    (Platform.INSTAGRAM, True),
    (Platform.FACEBOOK, False),
    (Platform.FACEBOOK, True),
    (Platform.TIKTOK, False),
    (Platform.TIKTOK, True),
    (Platform.YOUTUBE, False),
]


def _plan_posts(app: App, video: Path, run: int, now: datetime) -> dict[str, int]:
    ids = {}
    with app.transaction() as s:
        for i, (platform, by_url) in enumerate(PLAN):
            caption = f"Run {run} post {i} {platform.value}\nKelas literasi"
            post, _ = calendar.create_post(
                s,
                app.settings,
                library="Perpustakaan Kota Makassar",
                platform=platform.value,
                account=f"perpus_{platform.value}",
                caption=caption,
                at=now + timedelta(minutes=3),
                actor=OPERATOR,
                now=now,
                media_file=None if by_url else video,
                media_url=f"https://cdn.example/run{run}-{i}.mp4" if by_url else None,
            )
            calendar.approve_post(s, post.id, actor=OPERATOR, now=now)
            ids[caption] = post.id
    return ids


class Workers:
    """Starts publishing workers: each a process forked by ``tests.publish_worker --serve`` (one
    Python start-up and import for all of them), SIGKILLed or run to the end."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.publish_worker", "--serve"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("wb"),
            text=True,
        )

    def run(self, app: App, fake_server, kill_at: int | None, offset: float) -> int:
        """One worker's pass to its end or its kill; its exit code (-9: SIGKILLed)."""
        cfg = {
            "db": app.settings.database_url,
            "key": app.secret_key(),
            "media_dir": str(app.settings.media_dir),
            "graph": fake_server.graph_base,
            "tiktok": fake_server.tiktok_base,
            "youtube": fake_server.youtube_base,
            "media_base": MEDIA_BASE,
            "kill_at": kill_at,
            "clock_offset": offset,
        }
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cfg) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = io_select.select([self.proc.stdout], [], [], 120)
        answer = self.proc.stdout.readline() if ready else ""
        if not answer:
            raise AssertionError(f"no answer from the worker: {self.tail()}")
        returncode = int(json.loads(answer)["returncode"])
        if returncode not in (0, -9):
            raise AssertionError(f"worker failed ({returncode}): {self.tail()}")
        return returncode

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_killed_workers_resume_and_publish_each_post_exactly_once(
    app: App,
    fake: RunningPublishServer,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    setup_calendar(app, with_users=False)
    video = make_video(tmp_path / "reel.mp4")
    rng = random.Random(20261123)
    kills = 0
    expected: dict[str, int] = {}
    offset = 0.0
    workers = Workers(tmp_path / "workers.log")
    request.addfinalizer(workers.close)
    for run in range(RUNS):
        now = datetime.now(UTC) + timedelta(seconds=offset)
        expected.update(_plan_posts(app, video, run, now))
        for _ in range(80):
            offset += 3600  # each worker comes later: leases and poll waits have run out
            with app.transaction() as s:
                open_posts = s.scalars(
                    select(ScheduledPost.id).where(
                        ScheduledPost.state.in_([PostState.SCHEDULED, PostState.PUBLISHING])
                    )
                ).all()
            if not open_posts:
                break
            kill_at = rng.randrange(0, 24) if rng.random() < 0.85 else None
            if workers.run(app, fake, kill_at, offset) == -9:
                kills += 1
        else:
            raise AssertionError(f"run {run}: posts still open after 80 workers")
    assert kills >= RUNS * 3  # the workers really were killed, many times
    published = fake.world.published
    by_caption: dict[str, list[str]] = {}
    for post in published:
        by_caption.setdefault(post.caption, []).append(post.media_id)
    assert set(by_caption) == set(expected), "a post is missing or unexpected"
    duplicates = {c: ids for c, ids in by_caption.items() if len(ids) != 1}
    assert duplicates == {}
    with app.transaction() as s:
        for caption, post_id in expected.items():
            row = s.get(ScheduledPost, post_id)
            assert row is not None
            assert row.state is PostState.PUBLISHED, (row.state, row.state_reason)
            assert row.platform_media_id == by_caption[caption][0]


def test_two_workers_racing_for_one_post_one_wins(
    app: App,
    fake: RunningPublishServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    setup_calendar(app, with_users=False)
    clock = Clock()
    video = make_video(tmp_path / "reel.mp4")
    with app.transaction() as s:
        post, _ = calendar.create_post(
            s,
            app.settings,
            library="Perpustakaan Kota Makassar",
            platform="youtube",
            account="perpus_youtube",
            caption="Balapan\nsatu pos",
            at=clock.now,
            actor=OPERATOR,
            now=clock.now,
            media_file=video,
        )
        calendar.approve_post(s, post.id, actor=OPERATOR, now=clock.now)
        post_id = post.id
    clock.advance(60)
    barrier = threading.Barrier(4)
    outcomes: list[bool] = []
    lock = threading.Lock()

    def claim(owner: str) -> None:
        barrier.wait()
        with app.transaction() as s:
            won = q.claim(s, post_id, owner, clock(), publishing.LEASE)
        with lock:
            outcomes.append(won)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [False, False, False, True]

    # Whole passes racing: the lease holder publishes, the others move on.
    clock.advance(publishing.LEASE.total_seconds() + 1)
    results: list[publishing.PassResult] = []
    barrier2 = threading.Barrier(3)

    def run(owner: str) -> None:
        barrier2.wait()
        r = publishing.publish_due(app, publishers=publishers(app), owner=owner, clock=clock)
        with lock:
            results.append(r)

    threads = [threading.Thread(target=run, args=(f"p{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for _ in range(6):
        clock.advance(120)
        publishing.publish_due(app, publishers=publishers(app), owner="p0", clock=clock)
    assert len(fake.world.published) == 1
    assert fake.world.calls["youtube.videos.insert"] == 1
    with app.transaction() as s:
        row = s.get(ScheduledPost, post_id)
        assert row is not None and row.state is PostState.PUBLISHED


def test_a_worker_that_lost_its_lease_cannot_write(app: App, fake) -> None:  # noqa: F811
    setup_calendar(app, with_users=False)
    clock = Clock()
    with app.transaction() as s:
        post, _ = calendar.create_post(
            s,
            app.settings,
            library="Perpustakaan Kota Makassar",
            platform="instagram",
            account="perpus_instagram",
            caption="Pagar",
            at=clock.now,
            actor=OPERATOR,
            now=clock.now,
            media_url="https://cdn.example/x.mp4",
        )
        calendar.approve_post(s, post.id, actor=OPERATOR, now=clock.now)
        post_id = post.id
    lease = timedelta(seconds=30)
    with app.transaction() as s:
        assert q.claim(s, post_id, "slow", clock(), lease)
    clock.advance(31)
    with app.transaction() as s:
        assert q.claim(s, post_id, "fast", clock(), lease)
    with app.transaction() as s:
        assert not q.save_progress(s, post_id, "slow", {"step": "poll"}, clock(), lease)
        assert not q.finish(s, post_id, "slow", PostState.PUBLISHED, clock())
        assert q.save_progress(s, post_id, "fast", {"step": "poll"}, clock(), lease)
