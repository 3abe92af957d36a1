"""Dashboard benchmark: server time to render the leaderboard pages on a large challenge.

    python -m bench.bench_dashboard           # 10,000 entries x 100 snapshots on PostgreSQL
    python -m bench.bench_dashboard --entries 1000 --snapshots 20 --database sqlite

Seeds a throw-away database (PostgreSQL: a new database on REELBOARD_BENCH_PG, dropped at the
end; SQLite: a temporary file) with one open challenge whose live board is public: libraries,
accounts, entries, snapshots (entries x snapshots rows), committee indicators and three judges'
scores per entry. Then it runs the pages in-process with Streamlit's AppTest and prints the
wall time of each run (the server's work: queries, board, table, charts; no browser):

* cold: caches cleared, the board is computed (the first viewer after a start or a change);
* warm: the same page again within the cache period (every other viewer);
* next period: the first viewer after the cache period has passed, who is shown the last live
  board while the new one is computed in the background.

It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from cryptography.fernet import Fernet
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from services import registry
from services.app import App
from services.demo import DEMO_PASSWORD
from services.rubrics import read_rubric_file
from store.enums import ChallengeStatus, Pillar, Platform, Tier
from store.migrate import upgrade
from store.models import (
    Challenge,
    Entry,
    IndicatorValue,
    JudgeScore,
    Library,
    MetricSnapshot,
    SocialAccount,
    User,
)

PG_SERVER = os.environ.get(
    "REELBOARD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
APP_FILE = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PROVINCES = ["Aceh", "Jawa Barat", "Jawa Timur", "Bali", "Sulawesi Selatan", "Papua", "Maluku"]
ITEMS = ("originality", "storytelling", "craft", "theme_fit")


def _conninfo(url: str) -> str:
    u = make_url(url)
    return (
        f"host={u.host} port={u.port or 5432} user={u.username or 'postgres'} dbname={u.database}"
    )


def seed(app: App, entries: int, snapshots: int, now: datetime) -> int:
    """Everything the board needs; returns the challenge id."""
    rng = random.Random(7)
    opens = now - timedelta(days=30)
    with app.transaction() as s:
        challenge = registry.add_challenge(
            s,
            slug="bench",
            title="Bench reels challenge",
            opens_at=opens,
            closes_at=now + timedelta(days=5),
            timezone="Asia/Jakarta",
            hashtags=["Bench"],
            platforms=[p.value for p in Platform],
            rubric=read_rubric_file(None),
            actor="bench",
        )
        challenge.status = ChallengeStatus.OPEN
        challenge.live_board_public = True
        libraries = max(1, entries // 20)
        s.execute(
            insert(Library),
            [
                {
                    "name": f"Perpustakaan Bench {i:05d}",
                    "tier": (Tier.DESA_KELURAHAN if i % 3 else Tier.KABUPATEN_KOTA).value,
                    "province": PROVINCES[i % len(PROVINCES)],
                    "timezone": "Asia/Jakarta",
                    "created_at": now,
                }
                for i in range(libraries)
            ],
        )
        lib_ids = [i for (i,) in s.execute(text("SELECT id FROM library ORDER BY id"))]
        platforms = list(Platform)
        s.execute(
            insert(SocialAccount),
            [
                {
                    "library_id": lib,
                    "platform": p.value,
                    "handle": f"bench{lib}_{p.value}",
                    "status": "ok",
                    "created_at": now,
                }
                for lib in lib_ids
                for p in platforms
            ],
        )
        accounts = {
            (lib, plat): aid
            for aid, lib, plat in s.execute(
                text("SELECT id, library_id, platform FROM social_account")
            )
        }
        rows = []
        for i in range(entries):
            lib = lib_ids[i % len(lib_ids)]
            plat = platforms[i % 4]
            rows.append(
                {
                    "challenge_id": challenge.id,
                    "library_id": lib,
                    "account_id": accounts[(lib, plat.value)],
                    "platform": plat.value,
                    "canonical_url": f"https://example.invalid/{plat.value}/{i}",
                    "post_id": f"p{i}",
                    "media_id": f"m{i}",
                    "pillar": list(Pillar)[i % 4].value,
                    "posted_at": opens + timedelta(hours=1 + rng.randrange(20 * 24)),
                    "status": "active",
                    "created_at": opens,
                }
            )
        s.execute(insert(Entry), rows)
        judges = []
        for j in range(6):
            judges.append(
                registry.add_user(
                    s,
                    username=f"bench-judge-{j}",
                    password=DEMO_PASSWORD,
                    role="judge",
                    library_name=None,
                    actor="bench",
                )
            )
        registry.add_user(
            s,
            username="bench-committee",
            password=DEMO_PASSWORD,
            role="committee",
            library_name=None,
            actor="bench",
        )
        challenge_id = challenge.id
    with app.transaction() as s:
        entry_rows: list[Any] = list(
            s.execute(
                select(Entry.id, Entry.posted_at)
                .where(Entry.challenge_id == challenge_id)
                .order_by(Entry.id)
            )
        )
        judge_ids = [u.id for u in s.query(User).filter(User.role == "judge").order_by(User.id)]
        scores, indicators, assignments = [], [], []
        for eid, _ in entry_rows:
            for k in range(3):
                judge = judge_ids[(int(eid) + k) % len(judge_ids)]
                assignments.append(
                    {
                        "challenge_id": challenge_id,
                        "entry_id": eid,
                        "judge_id": judge,
                        "created_at": now,
                    }
                )
                for item in ITEMS:
                    scores.append(
                        {
                            "challenge_id": challenge_id,
                            "entry_id": eid,
                            "judge_id": judge,
                            "criterion": item,
                            "score": float(rng.randint(3, 10)),
                            "conflict": False,
                            "created_at": now - timedelta(days=1),
                        }
                    )
            for key, value in (
                ("captions", rng.randint(0, 1)),
                ("call_to_action", rng.randint(1, 5)),
                ("challenge_hashtag", 1),
            ):
                indicators.append(
                    {
                        "challenge_id": challenge_id,
                        "entry_id": eid,
                        "indicator": key,
                        "value": float(value),
                        "set_by": "bench",
                        "created_at": now - timedelta(days=1),
                    }
                )
        from store.models import JudgeAssignment

        s.execute(insert(JudgeAssignment), assignments)
        s.execute(insert(JudgeScore), scores)
        s.execute(insert(IndicatorValue), indicators)
    _snapshots(app, entry_rows, snapshots, now, rng)
    return challenge_id


def _snapshots(
    app: App, entry_rows: list[Any], per_entry: int, now: datetime, rng: random.Random
) -> None:
    url = app.settings.database_url
    columns = (
        "entry_id",
        "collected_at",
        "views",
        "likes",
        "comments",
        "shares",
        "saves",
        "reach",
        "source",
    )

    def rows() -> Iterator[tuple[Any, ...]]:
        for eid, posted in entry_rows:
            posted = posted if posted.tzinfo else posted.replace(tzinfo=UTC)
            span = max(1.0, (now - posted).total_seconds())
            views = 0
            for k in range(per_entry):
                at = posted + timedelta(seconds=span * (k + 1) / (per_entry + 1))
                views += rng.randint(5, 200)
                yield (eid, at, views, views // 12, views // 90, views // 150, None, None, "api")

    if url.startswith("postgresql"):
        sql = f"COPY metric_snapshot ({', '.join(columns)}) FROM STDIN"
        with (
            psycopg.connect(_conninfo(url)) as pg,
            pg.cursor() as cur,
            cur.copy(sql) as copy,
        ):
            for row in rows():
                copy.write_row(row)
    else:
        batch = []
        with app.engine.begin() as conn:
            for row in rows():
                batch.append(dict(zip(columns, row, strict=True)))
                if len(batch) >= 20000:
                    conn.execute(insert(MetricSnapshot), batch)
                    batch = []
            if batch:
                conn.execute(insert(MetricSnapshot), batch)
    with app.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def time_page(
    page: str, username: str | None, app: App, runs: int
) -> tuple[float, list[float], float, float]:
    """Seconds for one page run in-process with AppTest: (cold, warm per run, first viewer of
    the next cache period, until that period's board was ready in the background)."""
    from streamlit.testing.v1 import AppTest

    from dashboard import data
    from services import websessions

    token = None
    if username:
        with app.transaction() as s:
            token, _ = websessions.login(
                s, username, DEMO_PASSWORD, client="bench", policy=websessions.LoginPolicy()
            )
    at = AppTest.from_file(APP_FILE, default_timeout=600)
    if token:
        at.session_state["_rb_session_token"] = token
    at.run()  # the viewer's home page
    at.switch_page(f"views/{page}.py")

    data.forget_boards()  # nothing computed yet: the first viewer of this period
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(str(at.exception[0].value))
    warm = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - start)

    # As if the cache period had passed: the last board is shown, the next one is computed.
    stores = data._stores()
    threads = (stores.public.refreshes, stores.committee.refreshes)
    for thread in (*threads[0], *threads[1]):
        thread.join(600)  # a refresh begun during the warm runs (the real period moved on)
    at.run()  # the board of the period it is now
    ahead = f"{data.LIVE}:{int(data.bucket().rsplit(':', 1)[1]) + 1}"
    real_bucket = data.bucket
    data.bucket = lambda: ahead
    before = [len(t) for t in threads]
    try:
        start = time.perf_counter()
        at.run()
        shown = time.perf_counter() - start
        for started, count in zip(threads, before, strict=True):
            for thread in started[count:]:
                thread.join(600)
        ready = time.perf_counter() - start
    finally:
        data.bucket = real_bucket
    if at.exception:
        raise RuntimeError(str(at.exception[0].value))
    return cold, warm, shown, ready


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--snapshots", type=int, default=100)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    now = datetime.now(UTC).replace(microsecond=0)
    folder = tempfile.TemporaryDirectory(prefix="reelboard-bench-")
    pg_name = None
    if args.database == "postgresql":
        pg_name = f"reelboard_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_conninfo(PG_SERVER), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        url = make_url(PG_SERVER).set(database=pg_name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{Path(folder.name) / 'bench.db'}"
    os.environ["REELBOARD_DATABASE_URL"] = url
    os.environ["REELBOARD_SECRET_KEY"] = Fernet.generate_key().decode()
    from reelboard.settings import get_settings, reset_settings

    reset_settings()
    app = App(get_settings())
    try:
        upgrade(url)
        t0 = time.perf_counter()
        challenge_id = seed(app, args.entries, args.snapshots, now)
        seeded = time.perf_counter() - t0
        print(
            f"database: {args.database}; {args.entries:,} entries x {args.snapshots} snapshots "
            f"= {args.entries * args.snapshots:,} snapshot rows (seeded in {seeded:.1f} s)"
        )

        from services import boards

        with app.transaction() as s:
            challenge = s.get(Challenge, challenge_id)
            assert challenge is not None
            for label, full in (
                ("board, public form (no integrity series, no sensitivity)", False),
                ("board, committee form (integrity series and sensitivity)", True),
            ):
                start = time.perf_counter()
                view = boards.build_board(s, challenge, now, sensitivity=full, integrity=full)
                took = time.perf_counter() - start
                print(f"  {label}: {took:.2f} s ({len(view.board.ranked):,} placed)")

        for page, user in (("board", None), ("committee", "bench-committee")):
            cold, warm, shown, ready = time_page(page, user, app, args.runs)
            print(
                f"  page {page:9s}: cold {cold:.2f} s; warm median {statistics.median(warm):.3f} s "
                f"(min {min(warm):.3f}, max {max(warm):.3f}, {len(warm)} runs); next period "
                f"{shown:.3f} s (the last board; the new one ready {ready:.2f} s later, computed "
                "in the background)"
            )
    finally:
        app.dispose()
        folder.cleanup()
        if pg_name:
            with psycopg.connect(_conninfo(PG_SERVER), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
