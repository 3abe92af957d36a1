"""Board benchmark: time and memory to compute a full board as of a given time, query included.

    python -m bench.bench_board                              # 1k and 10k on both, 100k on PG
    python -m bench.bench_board --sizes 10000 --backends postgresql
    python -m bench.bench_board --snapshots 100 --repeat 3

For each backend and size it seeds a throw-away database (PostgreSQL: a new database on
REELBOARD_BENCH_PG, dropped at the end; SQLite: a temporary file) with one challenge: entries x
snapshots metric rows (the default 100 per entry, every 4 hours from posting), a follower count
per account, three judges' scores per entry (4 rubric items each, 20 judges) and three committee
indicators per entry. Then, each in a fresh process, it builds the final board as of the close
with :func:`services.boards.build_board` and prints:

* ``board``: the ranking with everything but the integrity series (what a leaderboard page needs);
* ``+2d series``: the same plus the last two days of snapshots before each cutoff (the
  view-increment integrity check);
* ``+full series``: every snapshot up to each cutoff (only up to 10k entries).

Figures: wall time (median of ``--repeat`` runs; query and compute split), the process's peak
resident memory above what it used before the board (``+MB``) and in all (``RSS MB``, imports
included). It asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

PG_SERVER = os.environ.get(
    "REELBOARD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
OPENS = datetime(2026, 1, 1, tzinfo=UTC)
CLOSES = OPENS + timedelta(days=40)
SLUG = "bench"
ITEMS = ("originality", "storytelling", "craft", "theme_fit")
PLATFORMS = ("instagram", "facebook", "tiktok", "youtube")
PROVINCES = ("Aceh", "Jawa Barat", "Jawa Timur", "Bali", "Sulawesi Selatan", "Papua", "Maluku")
VARIANTS = {"board": (False, None), "+2d series": (True, 2), "+full series": (True, None)}


# --- seeding ---------------------------------------------------------------------------------


def _pg_conninfo(url: str) -> str:
    u = make_url(url)
    return (
        f"host={u.host} port={u.port or 5432} user={u.username or 'postgres'} dbname={u.database}"
    )


class Writer:
    """Bulk rows into a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pg = url.startswith("postgresql")
        if self.pg:
            self.conn: Any = psycopg.connect(_pg_conninfo(url))
        else:
            self.conn = sqlite3.connect(make_url(url).database or "")
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=OFF")

    def rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        n = 0
        if self.pg:
            with (
                self.conn.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    n += 1
            self.conn.commit()
            return n
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(_sqlite(v) for v in row))
            if len(batch) >= 50_000:
                self.conn.executemany(sql, batch)
                n += len(batch)
                batch.clear()
        if batch:
            self.conn.executemany(sql, batch)
            n += len(batch)
        self.conn.commit()
        return n

    def close(self) -> None:
        if self.pg:
            # VACUUM as well as ANALYZE: a database in use has been vacuumed; a freshly loaded
            # one has autovacuum start on its million rows while the board is being measured,
            # and the first read sets every row's hint bits.
            self.conn.commit()
            self.conn.autocommit = True
            self.conn.execute("VACUUM ANALYZE")
        else:
            self.conn.execute("ANALYZE")
        self.conn.close()


def _sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def seed(url: str, entries: int, snapshots: int) -> dict[str, float]:
    """Create the schema and one challenge of ``entries`` x ``snapshots``; returns timings."""
    from services import registry
    from services.app import App
    from services.rubrics import read_rubric_file
    from store.migrate import upgrade
    from store.models import RubricVersion

    started = time.perf_counter()
    upgrade(url)
    from reelboard.settings import Settings

    app = App(Settings(database_url=url))
    with app.transaction() as s:
        challenge = registry.add_challenge(
            s,
            slug=SLUG,
            title="Bench",
            opens_at=OPENS,
            closes_at=CLOSES,
            timezone="Asia/Jakarta",
            hashtags=[],
            platforms=[],
            rubric=read_rubric_file(None),
            actor="bench",
        )
        registry.open_challenge(s, challenge, "bench")
        for v in s.query(RubricVersion):
            v.created_at = OPENS - timedelta(days=30)
        cid = challenge.id
    app.dispose()
    rng = random.Random(42)
    w = Writer(url)
    made = OPENS - timedelta(days=20)
    libraries = max(1, entries // 2)
    w.rows(
        "library",
        ("id", "name", "tier", "province", "timezone", "created_at"),
        (
            (
                i + 1,
                f"Perpustakaan {i + 1:06d}",
                "kabupaten_kota" if i % 3 else "desa_kelurahan",
                PROVINCES[i % len(PROVINCES)],
                "Asia/Jakarta",
                made,
            )
            for i in range(libraries)
        ),
    )
    w.rows(
        "social_account",
        ("id", "library_id", "platform", "handle", "status", "created_at"),
        ((i + 1, i % libraries + 1, PLATFORMS[i % 4], f"h{i}", "ok", made) for i in range(entries)),
    )
    posted = [OPENS + timedelta(minutes=rng.randrange(0, 25 * 24 * 60)) for _ in range(entries)]
    w.rows(
        "entry",
        (
            "id",
            "challenge_id",
            "library_id",
            "account_id",
            "platform",
            "canonical_url",
            "post_id",
            "posted_at",
            "status",
            "created_at",
        ),
        (
            (
                i + 1,
                cid,
                i % libraries + 1,
                i + 1,
                PLATFORMS[i % 4],
                f"https://www.instagram.com/reel/B{i:09d}/",
                f"B{i:09d}",
                posted[i],
                "active",
                made,
            )
            for i in range(entries)
        ),
    )
    followers = [int(10 ** rng.uniform(2, 5)) for _ in range(entries)]
    w.rows(
        "account_snapshot",
        ("id", "account_id", "collected_at", "followers"),
        ((i + 1, i + 1, posted[i] - timedelta(hours=2), followers[i]) for i in range(entries)),
    )
    seeded = time.perf_counter()

    def metric_rows() -> Iterator[tuple[Any, ...]]:
        sid = 0
        for i in range(entries):
            views = likes = comments = shares = 0
            rate = followers[i] * rng.uniform(0.05, 0.6)
            for k in range(snapshots):
                sid += 1
                inc = int(rate * 0.93**k * rng.uniform(0.6, 1.4))
                views += inc
                likes += int(inc * 0.06)
                comments += int(inc * 0.006)
                shares += int(inc * 0.002)
                yield (
                    sid,
                    i + 1,
                    posted[i] + timedelta(hours=4 * k + 1),
                    views,
                    likes,
                    comments,
                    shares,
                    None,
                    None,
                    "api",
                )

    n = w.rows(
        "metric_snapshot",
        (
            "id",
            "entry_id",
            "collected_at",
            "views",
            "likes",
            "comments",
            "shares",
            "saves",
            "reach",
            "source",
        ),
        metric_rows(),
    )
    metrics_done = time.perf_counter()
    judges = 20
    w.rows(
        "app_user",
        ("id", "username", "password_hash", "role", "language", "active", "created_at"),
        ((j + 1, f"juri{j}", "x", "judge", "id", True, made) for j in range(judges)),
    )
    judged = CLOSES + timedelta(days=1)

    def score_rows() -> Iterator[tuple[Any, ...]]:
        sid = 0
        for i in range(entries):
            quality = rng.uniform(3, 9)
            for j in (i % judges, (i + 7) % judges, (i + 13) % judges):
                for item in ITEMS:
                    sid += 1
                    score = min(
                        10.0, max(1.0, round(quality + (j % 5 - 2) * 0.5 + rng.gauss(0, 1)))
                    )
                    yield (sid, cid, i + 1, j + 1, item, score, False, judged)

    w.rows(
        "judge_score",
        (
            "id",
            "challenge_id",
            "entry_id",
            "judge_id",
            "criterion",
            "score",
            "conflict",
            "created_at",
        ),
        score_rows(),
    )

    def indicator_rows() -> Iterator[tuple[Any, ...]]:
        vid = 0
        for i in range(entries):
            for key, value in (
                ("captions", float(rng.random() < 0.7)),
                ("call_to_action", float(rng.randint(1, 5))),
                ("challenge_hashtag", float(rng.random() < 0.9)),
            ):
                vid += 1
                yield (vid, cid, i + 1, key, value, judged)

    w.rows(
        "indicator_value",
        ("id", "challenge_id", "entry_id", "indicator", "value", "created_at"),
        indicator_rows(),
    )
    w.close()
    done = time.perf_counter()
    return {
        "rows": n,
        "seed_s": done - started,
        "metrics_s": metrics_done - seeded,
    }


# --- measuring (in a fresh process) ---------------------------------------------------------


def measure(url: str, variant: str, repeat: int) -> dict[str, Any]:
    from reelboard.settings import Settings
    from scoring.board import compute_board
    from scoring.gcpause import paused_gc
    from services import boards
    from services.app import App
    from store import queries

    integrity, days = VARIANTS[variant]
    app = App(Settings(database_url=url))
    as_of = CLOSES + timedelta(days=2)
    with app.transaction() as s:  # connect and warm the imports outside the timing
        challenge = queries.challenge_by_slug(s, SLUG)
        assert challenge is not None
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    walls, queries_s, computes = [], [], []
    placed = 0
    for _ in range(repeat):
        with app.transaction() as s:
            challenge = queries.challenge_by_slug(s, SLUG)
            assert challenge is not None
            t0 = time.perf_counter()
            # As services.boards.build_board does: one pause of the cyclic collector for both
            # steps. The collection it defers (a pass over the young objects, the board's) is
            # timed too: it runs here, right after the pause.
            with paused_gc():
                _, rubric, inputs, _ = boards.load_inputs(
                    s, challenge, as_of, integrity=integrity, series_days=days
                )
                t1 = time.perf_counter()
                board = compute_board(inputs, rubric, as_of, sensitivity=True)
            gc.collect(0)
            t2 = time.perf_counter()
        walls.append(t2 - t0)
        queries_s.append(t1 - t0)
        computes.append(t2 - t1)
        placed = len(board.ranked)
        series = len(inputs.series)
        del board, inputs
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    app.dispose()
    return {
        "wall_s": statistics.median(walls),
        "query_s": statistics.median(queries_s),
        "compute_s": statistics.median(computes),
        "peak_mb": (peak - base) / 1024,
        "rss_mb": peak / 1024,
        "placed": placed,
        "series_rows": series,
    }


# --- orchestration ---------------------------------------------------------------------------


def _database(backend: str) -> tuple[str, Any]:
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="reelboard-bench-")
        path = Path(folder) / "bench.db"

        def drop() -> None:
            for p in Path(folder).glob("*"):
                p.unlink()
            Path(folder).rmdir()

        return f"sqlite:///{path}", drop
    name = f"reelboard_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_pg_conninfo(PG_SERVER), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)

    def drop_pg() -> None:
        with psycopg.connect(_pg_conninfo(PG_SERVER), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop_pg


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--snapshots", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--sqlite-max", type=int, default=10_000, help="largest size also run on SQLite"
    )
    parser.add_argument("--measure", nargs=3, metavar=("URL", "VARIANT", "REPEAT"))
    args = parser.parse_args(argv)
    if args.measure:
        url, variant, repeat = args.measure
        print(json.dumps(measure(url, variant, int(repeat))))
        return
    print(f"board benchmark: {args.snapshots} snapshots per entry, as of 2 days after the close")
    print(
        f"{'backend':<11}{'entries':>9}{'rows':>11}  {'variant':<14}{'wall s':>8}"
        f"{'query s':>9}{'compute s':>10}{'+MB':>7}{'RSS MB':>8}{'placed':>8}{'series':>10}"
    )
    for backend in args.backends:
        for size in args.sizes:
            if backend == "sqlite" and size > args.sqlite_max:
                print(f"{backend:<11}{size:>9}  skipped (loading SQLite takes too long; see PG)")
                continue
            url, drop = _database(backend)
            try:
                info = seed(url, size, args.snapshots)
                print(
                    f"{backend:<11}{size:>9}{int(info['rows']):>11}  seeded in "
                    f"{info['seed_s']:.1f} s (metric rows {info['metrics_s']:.1f} s)",
                    flush=True,
                )
                for variant in VARIANTS:
                    if variant == "+full series" and size > 10_000:
                        continue
                    out = subprocess.run(
                        [
                            sys.executable,
                            "-m",
                            "bench.bench_board",
                            "--measure",
                            url,
                            variant,
                            str(args.repeat),
                        ],
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    if out.returncode != 0:
                        print(f"{'':<31}{variant:<14} failed: {out.stderr.strip()[-300:]}")
                        continue
                    r = json.loads(out.stdout.strip().splitlines()[-1])
                    print(
                        f"{'':<31}{variant:<14}{r['wall_s']:>8.2f}{r['query_s']:>9.2f}"
                        f"{r['compute_s']:>10.2f}{r['peak_mb']:>7.0f}{r['rss_mb']:>8.0f}{r['placed']:>8}"
                        f"{r['series_rows']:>10}",
                        flush=True,
                    )
            finally:
                drop()


if __name__ == "__main__":
    main()
