"""The compose file's worker, beat and flower services run commands this project has."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import click
import typer

from reelboard.cli import app as cli_app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = (ROOT / "docker-compose.yml").read_text()


def _commands() -> list[list[str]]:
    """Every JSON-style list (command or health check) in the compose file."""
    return [json.loads(m) for m in re.findall(r"\[\s*\"[^\]]*\]", COMPOSE)]


def _parses(argv: list[str]) -> None:
    """`reelboard ARGV` resolves to a command whose options parse (nothing is run)."""
    group = typer.main.get_command(cli_app)
    assert isinstance(group, click.Group)
    ctx = group.make_context("reelboard", list(argv), resilient_parsing=False)
    name, command, rest = group.resolve_command(ctx, list(argv))
    assert command is not None, argv
    command.make_context(name or argv[0], rest, parent=ctx)


def test_worker_beat_and_health_checks_are_reelboard_commands() -> None:
    reelboard = [c[c.index("reelboard") + 1 :] for c in _commands() if "reelboard" in c]
    wanted = [["worker", "--concurrency", "4"], ["beat"], ["status", "--check-beat"]]
    for argv in wanted:
        assert argv in reelboard, f"compose does not run reelboard {' '.join(argv)}"
        _parses(argv)


def test_flower_and_the_worker_ping_use_the_celery_app() -> None:
    celery = [c for c in _commands() if c and c[0] == "celery"]
    assert ["celery", "--app", "tasks.celery_app:app", "flower", "--port=5555"] in celery
    assert "celery --app tasks.celery_app:app inspect ping" in COMPOSE
    from tasks.celery_app import app

    assert app.main == "reelboard"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(d.startswith("flower") for d in extras["server"])
