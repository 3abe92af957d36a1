"""`reelboard dashboard` starts the app; `reelboard demo` seeds, prints the users and (unless
told not to) starts the dashboard."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reelboard.cli.ui import streamlit_command
from services.app import App
from store.models import JudgeAssignment, User
from tests.conftest import Cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_streamlit_command_is_headless_on_the_given_address() -> None:
    cmd = streamlit_command(9999, "0.0.0.0")
    assert cmd[1:4] == ["-m", "streamlit", "run"]
    assert cmd[4].endswith(os.path.join("dashboard", "app.py")) and Path(cmd[4]).exists()
    assert "--server.headless=true" in cmd
    assert "--server.port=9999" in cmd and "--server.address=0.0.0.0" in cmd


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_demo_without_dashboard_prints_users_and_assigns_the_demo_judge(cli: Cli, app: App) -> None:
    result = cli("demo", "--no-dashboard")
    assert result.exit_code == 0, result.output
    for role in ("admin", "committee", "judge", "library", "viewer"):
        assert f"demo-{role}" in result.output
    assert "demo-reelboard" in result.output

    def demo_judge_assignments() -> int:
        with app.transaction() as s:
            judge = s.scalars(select(User).where(User.username == "demo-judge")).one()
            return int(
                s.scalar(
                    select(func.count(JudgeAssignment.id)).where(
                        JudgeAssignment.judge_id == judge.id
                    )
                )
                or 0
            )

    assigned = demo_judge_assignments()
    assert assigned >= 1  # the judging page has work to show
    again = cli("demo", "--no-dashboard")  # a second run changes nothing
    assert again.exit_code == 0
    assert demo_judge_assignments() == assigned


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_dashboard_command_serves_the_app(app: App, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "REELBOARD_DATABASE_URL": app.settings.database_url}
    assert app.settings.secret_key is not None
    env["REELBOARD_SECRET_KEY"] = app.settings.secret_key.get_secret_value()
    log = (tmp_path / "dashboard.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelboard", "dashboard", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        body = b""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as r:
                    body = r.read()
                    break
            except OSError:
                time.sleep(0.5)
        assert body == b"ok", (tmp_path / "dashboard.log").read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as r:
            assert r.status == 200 and b"<html" in r.read().lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_demo_live_board_is_public(cli: Cli, app: App) -> None:
    assert cli("demo", "--no-dashboard").exit_code == 0
    from services.boardview import public_challenges

    with app.transaction() as s:
        choices = public_challenges(s)
    assert [c.published for c in choices] == [False]  # the live board, shown to everyone
