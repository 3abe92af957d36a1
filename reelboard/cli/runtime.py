"""Running collection on a schedule: worker, beat, run (embedded), status, cadence."""

from __future__ import annotations

import json
import signal
import sys
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table

from reelboard.cli.common import Format, console, err_console, get_app
from reelboard.settings import Settings
from services import registry, scheduling
from services.cadence import Cadence
from services.errors import BadInput
from services.timeparse import show_local
from tasks import status as run_status
from tasks.config import QUEUES


def _require_redis(settings: Settings, command: str) -> None:
    if not settings.redis_url:
        raise BadInput(
            f"`reelboard {command}` needs REELBOARD_REDIS_URL (the distributed mode); without "
            "Redis use `reelboard run`, which runs the same schedule in this one process"
        )


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", "-c", min=1, help="Worker processes (default: CPU count)."),
    ] = None,
    queues: Annotated[
        str, typer.Option("--queues", "-Q", help="Comma-separated queues to consume.")
    ] = ",".join(QUEUES),
    loglevel: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    hostname: Annotated[
        str | None, typer.Option(help="Worker node name (default celery@<host>).")
    ] = None,
) -> None:
    """Start a Celery worker that collects metrics (thin wrapper over `celery worker`)."""
    settings = get_app().settings
    _require_redis(settings, "worker")
    unknown = [q for q in queues.split(",") if q.strip() and q.strip() not in QUEUES]
    if unknown:
        raise BadInput(f"unknown queue(s) {unknown}: expected some of {', '.join(QUEUES)}")
    from tasks.celery_app import app as celery

    argv = ["worker", f"--loglevel={loglevel}", f"--queues={queues}"]
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    code: int | None = celery.start(argv)
    raise typer.Exit(int(code or 0))


def beat(
    loglevel: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Start the scheduler (thin wrapper over `celery beat`); a second beat waits as standby."""
    settings = get_app().settings
    _require_redis(settings, "beat")
    from tasks.celery_app import app as celery

    code: int | None = celery.start(["beat", f"--loglevel={loglevel}"])
    raise typer.Exit(int(code or 0))


def run(
    once: Annotated[
        bool, typer.Option("--once", help="Run every scheduled job once, then stop.")
    ] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, help="Batches collected at a time.")
    ] = 4,
) -> None:
    """Embedded mode: run the schedule in this one process (no Redis, SQLite is fine)."""
    settings = get_app().settings
    if settings.redis_url:
        raise BadInput(
            "REELBOARD_REDIS_URL is set: the schedule runs on the workers (`reelboard worker` and "
            "`reelboard beat`); unset it to run everything in this process"
        )
    from tasks.embedded import EmbeddedRunner

    runner = EmbeddedRunner(get_app(), concurrency=concurrency)

    def stop(signum: int, _frame: FrameType | None) -> None:
        runner.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    console.print(
        "Running the collection schedule in this process "
        f"({', '.join(runner.job_names())}); Ctrl-C stops."
        if not once
        else "Running every scheduled job once."
    )
    for line in runner.run(once=once):
        console.print(line)


def status(
    check_beat: Annotated[
        bool,
        typer.Option(
            "--check-beat",
            help="Only check that the scheduler ticked recently: exit 0 if so, 1 if not.",
        ),
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
) -> None:
    """Collection health: per platform and account, and the scheduler's heartbeat."""
    app = get_app()
    now = datetime.now(UTC)
    beat_state = run_status.beat_state(app.settings, now)
    if check_beat:
        if beat_state.healthy:
            console.print(beat_state.message)
            return
        err_console.print(beat_state.message)
        raise typer.Exit(1)
    report = run_status.status_report(app, now)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
        return
    _print_status(report)


def _when(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "never"
    age = now - at
    if age < timedelta(minutes=1):
        ago = f"{int(age.total_seconds())}s ago"
    elif age < timedelta(hours=2):
        ago = f"{int(age.total_seconds() // 60)} min ago"
    elif age < timedelta(days=2):
        ago = f"{age.total_seconds() / 3600:.1f} h ago"
    else:
        ago = f"{age.days} days ago"
    return f"{at.strftime('%Y-%m-%d %H:%M')} UTC ({ago})"


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "-"


def _print_status(report: run_status.StatusReport) -> None:
    now = report.at
    console.print(f"Mode: {report.mode}. {report.beat.message}")
    table = Table(title="Collection by platform")
    for col in (
        "platform",
        "last success",
        "items 24h",
        "failed 24h",
        "deferred 24h",
        "calls today",
        "quota today",
        "blocked until",
    ):
        table.add_column(col)
    for p in report.health.platforms:
        blocked = report.blocked_until(p.platform)
        quota = str(p.quota_units_today)
        if p.platform.value == "youtube":
            quota = f"{report.youtube_units_today or p.quota_units_today} / {report.youtube_budget}"
        table.add_row(
            p.platform.value,
            _when(p.last_success, now),
            str(p.items_24h),
            _reasons(p.failures_24h),
            _reasons(p.deferred_24h),
            str(p.calls_today),
            quota,
            blocked.strftime("%H:%M:%S UTC") if blocked else "-",
        )
    console.print(table)
    if report.health.accounts:
        acc = Table(title="Accounts")
        for col in (
            "platform",
            "library",
            "account",
            "status",
            "last success",
            "failed 24h",
            "deferred 24h",
        ):
            acc.add_column(col)
        for a in report.health.accounts:
            status = "NEEDS RE-AUTHORISATION" if a.needs_reauth else (a.status or "app key")
            acc.add_row(
                a.platform.value,
                a.library or "-",
                a.handle or a.credential or "-",
                str(status),
                _when(a.last_success, now),
                _reasons(a.failures_24h),
                _reasons(a.deferred_24h),
            )
        console.print(acc)
    reauth = report.health.needs_reauth
    if reauth:
        console.print(
            f"[bold red]{len(reauth)} account(s) need re-authorisation[/]: "
            + ", ".join(f"{a.platform.value}:{a.handle}" for a in reauth)
        )
    for line in report.challenges:
        console.print(line)


def cadence(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    spec: Annotated[
        str | None,
        typer.Argument(
            help="New cadence as AGE:INTERVAL steps, the last one '*', e.g. "
            "'48h:1h,14d:6h,*:1d' (the default). Omit to show the current one."
        ),
    ] = None,
    deadline: Annotated[
        bool,
        typer.Option(help="Collect once more at the close, stamped with the close time."),
    ] = True,
    grace: Annotated[
        str | None,
        typer.Option(help="How late the deadline collection may still run, e.g. 6h."),
    ] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Back to the default cadence.")] = False,
) -> None:
    """Show or set a challenge's collection cadence."""
    app = get_app()
    with app.transaction() as session:
        if reset:
            policy = scheduling.set_cadence(session, slug, None)
        elif spec is not None:
            policy = scheduling.set_cadence(
                session, slug, Cadence.parse(spec, deadline=deadline, grace=grace)
            )
        else:
            policy = scheduling.get_cadence(session, slug)
        challenge = registry.require_challenge(session, slug)
        tz = challenge.timezone
        closes = show_local(challenge.closes_at, tz)
    console.print(f"Cadence of {slug}: {policy.describe()}")
    for step in policy.steps:
        bound = "until the close" if step.until is None else f"until {step.until} old"
        console.print(f"  every {step.every} {bound}")
    if policy.deadline:
        console.print(
            f"  deadline collection at the close ({closes}), up to {policy.deadline_grace} late"
        )
    else:
        console.print("  no deadline collection")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("beat")(beat)
    app.command("run")(run)
    app.command("status")(status)
    app.command("cadence")(cadence)
