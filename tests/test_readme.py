"""README stays true to the code: every setting and every command is documented."""

from __future__ import annotations

from pathlib import Path

import click
import typer.main

from reelboard.cli import app as cli_app
from reelboard.settings import env_documentation

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    missing = [name for name, _, _ in env_documentation() if f"`{name}`" not in README]
    assert missing == []


def test_every_command_is_in_the_command_table() -> None:
    root = typer.main.get_command(cli_app)
    assert isinstance(root, click.Group)
    missing = []
    for name in root.list_commands(click.Context(root)):
        if f"reelboard {name}" not in README and f"`{name}" not in README:
            missing.append(name)
    assert missing == []


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()
