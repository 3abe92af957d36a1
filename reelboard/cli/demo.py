"""`reelboard demo`: see reelboard work at once on the embedded default."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from reelboard.cli.collect import print_report, round_progress
from reelboard.cli.common import console, get_app
from reelboard.cli.core import init
from reelboard.cli.ui import run_dashboard
from services.admin import prepare_demo_dashboard
from services.demo import DEMO_PASSWORD, DEMO_SLUG, seed_demo
from services.demo_live import collect_demo
from services.listing import entries_report
from store.enums import Role
from store.webqueries import users_named_like


def demo(
    no_dashboard: Annotated[
        bool, typer.Option("--no-dashboard", help="Seed and print only; do not start it.")
    ] = False,
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8501,
    address: Annotated[str, typer.Option(help="Dashboard address.")] = "127.0.0.1",
) -> None:
    """Seed a clearly labelled demo challenge, show it, then open the dashboard on it."""
    app = get_app()
    init()
    with app.transaction() as session:
        result = seed_demo(session, app.token_box)
        prepare_demo_dashboard(session, result.challenge, f"demo-{Role.JUDGE.value}")
        rows = entries_report(session, result.challenge)
        demo_users = [(u.username, u.role.value) for u in users_named_like(session, "demo-")]
    if result.created:
        console.print(
            f"Seeded [bold]{result.challenge.title}[/]: {result.libraries} libraries, "
            f"{result.entries} entries on Instagram, Facebook, TikTok and YouTube."
        )
    else:
        console.print(f"The demo challenge {DEMO_SLUG!r} is already there; showing it.")
    by_platform: dict[str, int] = {}
    for row in rows:
        by_platform[row["platform"]] = by_platform.get(row["platform"], 0) + 1
    summary = Table(title=f"{result.challenge.title}: entries per platform")
    summary.add_column("platform")
    summary.add_column("entries", justify="right")
    for platform, count in sorted(by_platform.items()):
        summary.add_row(platform, str(count))
    console.print(summary)
    console.print(
        "Collecting metrics from the [bold]fake platform server[/] (a local stand-in for the "
        "Instagram, Facebook, YouTube and TikTok APIs, started for the demo)..."
    )
    with round_progress() as (progress, planned):
        report = collect_demo(app, DEMO_SLUG, progress=progress, planned=planned)
    print_report(report)
    console.print(f"[bold]reelboard entries {DEMO_SLUG}[/] lists every entry with its metrics.")
    users = Table(title="Sign in to the dashboard as (one demo user per role)")
    for col in ("username", "password", "role"):
        users.add_column(col)
    for username, role in demo_users:
        users.add_row(username, DEMO_PASSWORD, role)
    console.print(users)
    if no_dashboard:
        return
    raise typer.Exit(run_dashboard(port, address))
