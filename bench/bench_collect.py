"""Benchmark: one collection round of 10,000 entries against the fake platform server.

    .venv/bin/python -m bench.bench_collect [--entries 10000] [--latency 0.05] [--concurrency 8]

The fake server runs in a child process (so the collector's memory is measured alone) with
``--latency`` seconds added to every call. The round runs inline like ``reelboard collect``, on
an SQLite file (or ``--database-url``). Printed, per platform: HTTP calls made against the
minimum the batch sizes allow, the round's wall time against the latency bound
(calls x latency / concurrency), and the process's peak memory (max RSS). Targets: calls equal
to the minimum for YouTube and TikTok, wall time within 1.5x of the bound, peak memory under
300 MB. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet
from pydantic import SecretStr

from collector.http import HttpConfig
from collector.round import DEFAULT_CONCURRENCY, METRICS_BATCH_SIZE, BatchKind, run_round
from fakeplatform import Faults, World, start
from reelboard.settings import Settings
from services.app import App
from services.collection import round_context
from services.fakeworld import challenge_from_world
from store.enums import Platform
from store.migrate import upgrade


@dataclass(frozen=True)
class Shape:
    """How the entries spread over platforms and accounts (posts per account)."""

    ig_connected_accounts: int
    ig_public_accounts: int
    per_ig_connected: int
    per_ig_public: int
    fb_pages: int
    per_fb: int
    yt_channels: int
    per_yt: int
    tt_accounts: int
    per_tt: int

    @classmethod
    def for_entries(cls, n: int) -> Shape:
        quarter = n // 4
        # Instagram: 80 % connected libraries (25 reels each), 20 % read by business discovery.
        ig_conn = (quarter * 4 // 5) // 25
        ig_pub = (quarter - ig_conn * 25) // 5
        return cls(
            ig_connected_accounts=ig_conn,
            ig_public_accounts=ig_pub,
            per_ig_connected=25,
            per_ig_public=5,
            fb_pages=quarter // 25,
            per_fb=25,
            yt_channels=quarter // 10,
            per_yt=10,
            tt_accounts=quarter // 25,
            per_tt=25,
        )

    @property
    def entries(self) -> int:
        return (
            self.ig_connected_accounts * self.per_ig_connected
            + self.ig_public_accounts * self.per_ig_public
            + self.fb_pages * self.per_fb
            + self.yt_channels * self.per_yt
            + self.tt_accounts * self.per_tt
        )


def build_world(seed: int, shape: Shape, latency: float) -> World:
    world = World(seed=seed, faults=Faults(latency=latency, usage_headers_after=10**9))
    spec = (
        ("instagram", True, shape.ig_connected_accounts, shape.per_ig_connected),
        ("instagram", False, shape.ig_public_accounts, shape.per_ig_public),
        ("facebook", True, shape.fb_pages, shape.per_fb),
        ("youtube", True, shape.yt_channels, shape.per_yt),
        ("tiktok", True, shape.tt_accounts, shape.per_tt),
    )
    for platform, connected, accounts, per in spec:
        for _ in range(accounts):
            acct = world.add_account(platform, connected=connected)
            for _ in range(per):
                world.add_post(acct, short_link=False)
    return world


def _serve(seed: int, shape: Shape, latency: float, conn: Any) -> None:
    world = build_world(seed, shape, latency)
    handle = start(world)
    conn.send(handle.url)
    conn.recv()  # wait until the benchmark is done
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send(usage.ru_utime + usage.ru_stime)
    handle.stop()


def minimum_calls(shape: Shape) -> dict[str, dict[str, int]]:
    """The fewest HTTP calls the documented batch limits allow, per platform."""
    ig_pages = math.ceil(shape.per_ig_connected / 100)  # /media pages to resolve shortcodes
    return {
        "instagram": {
            "metrics": shape.ig_connected_accounts
            * (
                math.ceil(shape.per_ig_connected / METRICS_BATCH_SIZE[Platform.INSTAGRAM])
                + ig_pages
            )
            + math.ceil(shape.ig_public_accounts / 50),
            "accounts": shape.ig_connected_accounts,
        },
        "facebook": {
            "metrics": shape.fb_pages
            * math.ceil(shape.per_fb / METRICS_BATCH_SIZE[Platform.FACEBOOK]),
            "accounts": shape.fb_pages,
        },
        "youtube": {
            "metrics": math.ceil(shape.yt_channels * shape.per_yt / 50),
            "accounts": math.ceil(shape.yt_channels / 50),
        },
        "tiktok": {
            "metrics": shape.tt_accounts * math.ceil(shape.per_tt / 20),
            "accounts": shape.tt_accounts,
        },
    }


_ACCOUNT_ENDPOINTS = {"graph.user", "graph.page", "youtube.channels.list", "tiktok.user.info"}


def classify_calls(calls: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {p.value: Counter() for p in Platform}
    for c in calls:
        if c["api"] == "graph":
            cred = c["credential"] or ""
            platform = "facebook" if cred.startswith("facebook:") else "instagram"
        else:
            platform = c["api"]
        kind = "accounts" if c["endpoint"] in _ACCOUNT_ENDPOINTS else "metrics"
        out[platform][kind] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per call")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args(argv)

    shape = Shape.for_entries(args.entries)
    ctx_mp = mp.get_context("spawn")
    parent, child = ctx_mp.Pipe()
    server = ctx_mp.Process(
        target=_serve, args=(args.seed, shape, args.latency, child), daemon=True
    )
    server.start()
    url = parent.recv()
    tmp = tempfile.TemporaryDirectory(prefix="reelboard-bench-")
    db_url = args.database_url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    try:
        world = build_world(args.seed, shape, 0.0)  # the same world, to register the entries
        settings = Settings(
            database_url=db_url,
            secret_key=SecretStr(Fernet.generate_key().decode()),
            graph_api_base=f"{url}/graph/v25.0",
            youtube_api_base=f"{url}/youtube/v3",
            tiktok_api_base=f"{url}/tiktok/v2",
            youtube_api_key=SecretStr(world.youtube_api_key),
            instagram_user_id=world.committee.user_id,
            instagram_access_token=SecretStr(str(world.committee.token)),
        )
        upgrade(db_url)
        app = App(settings)
        t0 = time.monotonic()
        with app.transaction() as session:
            cid = challenge_from_world(
                session, app.token_box, world, world.posts, slug="bench-reels"
            ).id
        seeded = time.monotonic() - t0
        del world
        http = HttpConfig(pool_size=args.concurrency * 2, read_timeout=30)
        ctx, adapters = round_context(app, http=http)
        requests.delete(f"{url}/_admin/calls", timeout=10)
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        planned: Counter[str] = Counter()
        summary = run_round(
            ctx,
            [cid],
            concurrency=args.concurrency,
            planned=lambda bs: planned.update(b.kind.value for b in bs),
        )
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        adapters.close()
        calls = requests.get(f"{url}/_admin/calls", timeout=30).json()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        app.dispose()
    finally:
        parent.send("stop")
        server_cpu = parent.recv() if parent.poll(10) else float("nan")
        server.join(timeout=10)
        tmp.cleanup()

    made = classify_calls(calls["calls"])
    minimum = minimum_calls(shape)
    total_calls = calls["total"]
    bound = total_calls * args.latency / args.concurrency
    print(
        f"reelboard collection benchmark: {shape.entries} entries, {args.latency * 1000:.0f} ms "
        f"latency per call, concurrency {args.concurrency}, database "
        f"{'SQLite file' if db_url.startswith('sqlite') else db_url.split('@')[-1]}"
    )
    print(f"(registering the entries took {seeded:.1f} s; not part of the round)")
    print()
    print(
        f"{'platform':<10} {'entries':>7} {'metric calls':>12} {'minimum':>7} "
        f"{'account calls':>13} {'minimum':>7}  collected  deferred  failed"
    )
    for p in ("instagram", "facebook", "youtube", "tiktok"):
        t = summary.posts.get(p)
        print(
            f"{p:<10} {t.items if t else 0:>7} {made[p]['metrics']:>12} "
            f"{minimum[p]['metrics']:>7} {made[p]['accounts']:>13} {minimum[p]['accounts']:>7}"
            f"  {t.collected if t else 0:>9} {t.deferred if t else 0:>9} "
            f"{t.failed if t else 0:>7}"
        )
    print()
    ratio = summary.elapsed / bound if bound else float("nan")
    print(
        f"batches             {planned[BatchKind.METRICS.value]} metrics + "
        f"{planned[BatchKind.ACCOUNTS.value]} account refresh"
    )
    print(f"HTTP calls          {total_calls} (Graph batch operations: {calls['operations']})")
    print(f"wall time           {summary.elapsed:.2f} s")
    print(
        f"latency bound       {bound:.2f} s = {total_calls} calls x {args.latency} s / "
        f"{args.concurrency}"
    )
    print(f"wall / bound        {ratio:.2f} (target <= 1.5)")
    print(
        f"CPU time            collector {client_cpu:.1f} s, fake server {server_cpu:.1f} s "
        f"(whole life) on {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    print(f"peak memory (RSS)   {rss_mb:.0f} MB (target < 300 MB)")
    ok_yt = made["youtube"]["metrics"] == minimum["youtube"]["metrics"]
    ok_tt = made["tiktok"]["metrics"] == minimum["tiktok"]["metrics"]
    print(
        f"calls at minimum    YouTube {'yes' if ok_yt else 'NO'}, TikTok {'yes' if ok_tt else 'NO'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
