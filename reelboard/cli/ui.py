"""`reelboard dashboard`: start the Streamlit dashboard (headless; open the printed address)."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from typing import Annotated

import typer

from reelboard.cli.common import console

APP_FILE = str(resources.files("dashboard").joinpath("app.py"))


def streamlit_command(port: int, address: str) -> list[str]:
    """The `streamlit run` command line for the dashboard."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        APP_FILE,
        "--server.headless=true",
        f"--server.port={port}",
        f"--server.address={address}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
        "--client.toolbarMode=minimal",
        "--theme.base=light",
    ]


def run_dashboard(port: int, address: str) -> int:
    """Run the dashboard in the foreground until it stops (Ctrl-C).

    On POSIX the process becomes Streamlit (exec), so a signal sent to it (Ctrl-C, `docker
    stop`, a supervisor) reaches the server itself and no child is left behind.
    """
    shown = "localhost" if address in ("0.0.0.0", "127.0.0.1", "::") else address
    console.print(f"Dashboard: [bold]http://{shown}:{port}/[/] (Ctrl-C stops it)")
    cmd = streamlit_command(port, address)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(cmd[0], cmd)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0


def dashboard(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8501,
    address: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")
    ] = "127.0.0.1",
) -> None:
    """Start the dashboard (Streamlit) on the configured database."""
    raise typer.Exit(run_dashboard(port, address))
