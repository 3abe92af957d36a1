"""`reelboard collect`: one collection round (inline, or on the workers when Redis is configured),
with a progress bar and a summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from collector.round import DEFAULT_CONCURRENCY, Batch, BatchResult, RoundSummary
from reelboard.cli.common import console, err_console, get_app
from services.collection import CollectReport
from services.collection import collect as collect_round


def collect(
    slug: Annotated[
        str | None, typer.Argument(help="The challenge; default: every challenge still open.")
    ] = None,
    platform: Annotated[
        list[str] | None,
        typer.Option("--platform", "-p", help="Only this platform (repeatable)."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(help="Batches running at once (inline round).")
    ] = DEFAULT_CONCURRENCY,
    inline: Annotated[
        bool,
        typer.Option(
            "--inline", help="Run the round in this process even when REELBOARD_REDIS_URL is set."
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            min=1,
            help="On the workers: stop waiting after this many seconds; batches without a result "
            "are reported as deferred.",
        ),
    ] = None,
) -> None:
    """Collect every active entry's metrics and its account's followers, once.

    With REELBOARD_REDIS_URL the round runs on the workers (`reelboard worker`) and this command
    waits for it; otherwise (or with --inline) it runs here.
    """
    from tasks.distributed import workers_runner
    from tasks.runtime import inline_http

    app = get_app()
    runner = None
    if app.settings.redis_url and not inline:
        runner = workers_runner(app, timeout=timeout)
    with round_progress() as (progress, planned):
        report = collect_round(
            app,
            slug,
            platform,
            concurrency=concurrency,
            progress=progress,
            planned=planned,
            http=None if runner else inline_http(app.settings),
            runner=runner,
        )
    print_report(report)


@contextmanager
def round_progress() -> Iterator[
    tuple[Callable[[BatchResult], None], Callable[[list[Batch]], None]]
]:
    """A progress bar on stderr for a round: (per finished batch, once planned) callbacks."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("Collecting", total=None)

        def planned(batches: list[Batch]) -> None:
            bar.update(task, total=sum(b.size for b in batches))

        def progress(result: BatchResult) -> None:
            bar.advance(task, result.batch.size)

        yield progress, planned


def print_report(report: CollectReport) -> None:
    s = report.summary
    names = ", ".join(c.slug for c in report.challenges)
    quota = s.total().quota_units + s.total(accounts=True).quota_units
    console.print(
        f"Round of {s.collected_at.isoformat()} for {names}: {s.batches} batches, "
        f"{s.calls} API calls ({quota} YouTube quota units), {s.elapsed:.1f} s."
    )
    console.print(_table("Posts", s, accounts=False))
    if s.total(accounts=True).items:
        console.print(_table("Accounts (followers)", s, accounts=True))
    if s.reasons:
        reasons = Table(title="Not collected, by reason")
        reasons.add_column("reason")
        reasons.add_column("items", justify="right")
        for reason, n in s.reasons.most_common():
            reasons.add_row(reason, str(n))
        console.print(reasons)
    if report.reauth_handles:
        console.print(
            "[bold red]Needs re-authorisation[/] (reconnect these accounts): "
            + ", ".join(report.reauth_handles)
        )
    if s.retry_at is not None:
        console.print(
            f"Rate-limited work is deferred; the APIs may be called again from "
            f"{s.retry_at.isoformat()}."
        )
    for error in s.errors:
        err_console.print(f"[red]batch error[/] {error}")


def _table(title: str, s: RoundSummary, *, accounts: bool) -> Table:
    """Counts per platform; columns that are zero everywhere are left out (narrow terminals)."""
    book = {p: t for p, t in (s.accounts if accounts else s.posts).items() if t.items}
    total = s.total(accounts=accounts)
    columns: list[tuple[str, str]] = [("items", "items"), ("collected", "collected")]
    optional = [
        ("already", "already"),
        ("deferred", "deferred"),
        ("failed", "failed"),
        ("unavailable", "unavail."),
        ("skipped", "skipped"),
    ]
    columns += [(field, label) for field, label in optional if getattr(total, field)]
    if not accounts:
        columns.append(("calls", "calls"))
        if total.quota_units:
            columns.append(("quota_units", "quota"))
    table = Table(title=title)
    table.add_column("platform", no_wrap=True)
    for _, label in columns:
        table.add_column(label, justify="right", no_wrap=True)
    for platform in sorted(book):
        t = book[platform]
        table.add_row(platform, *(str(getattr(t, f)) for f, _ in columns))
    table.add_row("total", *(str(getattr(total, f)) for f, _ in columns), style="bold")
    return table
