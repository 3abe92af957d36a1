"""What every command module shares: the app context, consoles, errors, progress, output."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

import click
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError
from typer.core import TyperGroup

from collector.urls import PostUrlError
from services.app import App
from services.errors import BadInput

console = Console()
err_console = Console(stderr=True)
log = logging.getLogger("reelboard")

# Errors that mean "your input is wrong": exit code 2, message on stderr.
INPUT_ERRORS: tuple[type[Exception], ...] = (BadInput, PostUrlError)


class InputError(click.ClickException):
    """Bad input: the message goes to stderr and the command exits with code 2."""

    exit_code = 2


class Failure(click.ClickException):
    exit_code = 1


class Group(TyperGroup):
    """Turns the services' errors into the command's exit codes, for every subcommand."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except INPUT_ERRORS as exc:
            raise InputError(str(exc)) from None
        except (OperationalError, ProgrammingError) as exc:
            text = str(exc.orig) if exc.orig is not None else str(exc)
            if "no such table" in text or "does not exist" in text:
                raise Failure("the database is not set up: run `reelboard init` first") from None
            raise Failure(f"database error: {text.splitlines()[0]}") from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("REELBOARD_DEBUG"):
                raise
            log.debug("command failed", exc_info=True)
            raise Failure(
                f"{type(exc).__name__}: {exc} (set REELBOARD_DEBUG=1 for details)"
            ) from None


def new_typer(help_text: str) -> typer.Typer:
    return typer.Typer(
        cls=Group, help=help_text, no_args_is_help=True, rich_markup_mode=None, add_completion=False
    )


_app: App | None = None


def get_app() -> App:
    global _app
    if _app is None:
        _app = App()
    return _app


def set_app(app: App | None) -> None:
    """Tests and the demo give the commands their own context."""
    global _app
    _app = app


def read_secret(prompt: str, *, confirm: bool = False) -> str | None:
    """A secret from standard input when it is piped, else asked for without echo."""
    if not sys.stdin.isatty():
        value = sys.stdin.read().strip()
        return value or None
    value = typer.prompt(
        prompt, default="", hide_input=True, show_default=False, confirmation_prompt=confirm
    )
    return value.strip() or None


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def emit(rows: Sequence[dict[str, Any]], fmt: Format, columns: Sequence[str], title: str) -> None:
    """Rows as a rich table, CSV or JSON on standard output."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console.print(table)
