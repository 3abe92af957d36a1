"""Data commands: spreadsheet imports and the entries list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reelboard.cli.common import Format, console, emit, err_console, get_app, progress_bar
from services import imports, registry
from services.audit import cli_actor
from services.csvfile import read_rows
from services.listing import ENTRY_FIELDS, entries_report
from services.timeparse import parse_local, show_local


def _count_rows(path: Path, aliases: dict[str, str]) -> int | None:
    try:
        _, rows = read_rows(path, aliases, set())
        return sum(1 for _ in rows)
    except ValueError:
        return None  # the import itself reports what is wrong with the file


def _print_result(result: imports.ImportResult, what: str) -> None:
    console.print(f"Wrote {result.written} {what}.")
    if result.libraries_added:
        console.print(f"New libraries: {len(result.libraries_added)}")
    if result.accounts_added:
        console.print(f"New accounts: {result.accounts_added}")
    if result.duplicates:
        err_console.print(f"{len(result.duplicates)} duplicate(s), not written again:")
        for dup in result.duplicates:
            err_console.print(f"  line {dup.line}: {dup.url} ({dup.reason})")


def import_entries(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    file: Annotated[Path, typer.Argument(help="Registration CSV (library, tier, province, url).")],
) -> None:
    """Register entries from the committee's spreadsheet: all rows or none."""
    app = get_app()
    resolve = registry.UrlResolver(app.settings.shortlink_resolver_base)
    total = _count_rows(file, imports.ENTRY_COLUMNS)
    with progress_bar("Checking rows", total) as advance, app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        result = imports.import_entries(
            session, challenge, file, resolve=resolve, actor=cli_actor(), progress=advance
        )
    _print_result(result, "entries")


def import_metrics(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    file: Annotated[Path, typer.Argument(help="CSV: url, collected_at, views, likes, ...")],
) -> None:
    """Record manual metrics for posts no API reaches: all rows or none."""
    app = get_app()
    resolve = registry.UrlResolver(app.settings.shortlink_resolver_base)
    total = _count_rows(file, imports.METRIC_COLUMNS)
    with progress_bar("Checking rows", total) as advance, app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        result = imports.import_metrics(
            session, challenge, file, resolve=resolve, actor=cli_actor(), progress=advance
        )
    _print_result(result, "snapshots")


def entries(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    as_of: Annotated[
        str | None, typer.Option(help="Latest metrics at or before this time.")
    ] = None,
) -> None:
    """Entries with their latest metrics."""
    with get_app().transaction() as session:
        challenge = registry.require_challenge(session, slug)
        at = parse_local(as_of, challenge.timezone, field="--as-of") if as_of else None
        rows = entries_report(session, challenge, at)
        title = f"{challenge.title} ({len(rows)} entries)"
    if format is Format.table:
        from datetime import datetime

        for row in rows:
            if row["collected_at"]:
                stamp = datetime.fromisoformat(row["collected_at"].replace("Z", "+00:00"))
                row["collected_at"] = show_local(stamp, row["timezone"])
        columns = [c for c in ENTRY_FIELDS if c not in ("tier", "province", "pillar")]
        emit(rows, format, columns, title)
    else:
        emit(rows, format, ENTRY_FIELDS, title)
