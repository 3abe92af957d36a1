"""docker-compose.yml: no Docker engine runs here, so check the file against the project."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
import typer.main
import yaml

from reelboard.cli import app as cli_app

ROOT = Path(__file__).resolve().parents[1]
LONG_RUNNING = {"redis", "postgres", "worker", "beat", "dashboard", "flower"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_every_service_is_there_with_health_checks_and_named_volumes(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert set(services) == LONG_RUNNING | {"migrate"}
    for name in LONG_RUNNING:
        assert "healthcheck" in services[name], f"{name} has no health check"
    assert set(compose["volumes"]) >= {"redis-data", "postgres-data"}
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    # Application services wait for the migration to finish first.
    for name in ("worker", "beat", "dashboard", "flower"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    env = services["worker"]["environment"]
    assert env["REELBOARD_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["REELBOARD_REDIS_URL"].startswith("redis://redis:")


def _reelboard_command(argv: list[str]) -> None:
    """Walk the `reelboard` command tree: every word and every --option must exist."""
    command: click.Command = typer.main.get_command(cli_app)
    words = argv[1:]
    while words and isinstance(command, click.Group) and not words[0].startswith("-"):
        sub = command.get_command(click.Context(command), words[0])
        assert sub is not None, f"`reelboard` has no command {words[0]!r} ({' '.join(argv)})"
        command, words = sub, words[1:]
    known = {opt for p in command.params for opt in getattr(p, "opts", [])}
    for word in words:
        if word.startswith("--"):
            flag = word.split("=", 1)[0]
            assert flag in known, f"{' '.join(argv)}: {flag} is not an option of {command.name}"


def _command_words(service: dict[str, Any]) -> list[list[str]]:
    commands = []
    if "command" in service:
        commands.append(service["command"])
    check = service.get("healthcheck", {}).get("test")
    if check and check[0] in ("CMD", "CMD-SHELL"):
        commands.append(check[1:] if check[0] == "CMD" else check[1].split())
    return commands


def test_every_command_exists_in_the_project(compose: dict[str, Any]) -> None:
    seen_reelboard = 0
    for name, service in compose["services"].items():
        for argv in _command_words(service):
            if argv[0] == "reelboard":
                _reelboard_command(argv)
                seen_reelboard += 1
            elif argv[0] == "celery":
                target = argv[argv.index("--app") + 1]
                module, _, attr = target.partition(":")
                loaded = importlib.import_module(module)
                assert hasattr(loaded, attr or "app"), f"{name}: {target} does not exist"
    assert seen_reelboard >= 4


def test_the_image_copies_every_package(compose: dict[str, Any]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = [pattern.rstrip("*") for pattern in shipped]
    assert "store" in packages
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile, f"Dockerfile does not copy {package}/"
