"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, the app, the CLI.

PostgreSQL: one database per test process (``reelboard_test_<run>``; each pytest-xdist worker is
a process of its own), one schema per test inside it, so parallel runs, workers and tests never
see each other's rows. Set ``REELBOARD_TEST_PG`` to point at
another server (default: the local one with trust auth).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import Result
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from reelboard.cli import app as cli_app
from reelboard.cli.common import set_app
from reelboard.settings import Settings, reset_settings
from services.app import App
from store.migrate import upgrade
from tests.pubkit import VIDEO_CACHE_VARIABLE

PG_SERVER = os.environ.get("REELBOARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RUN_ID = uuid.uuid4().hex[:10]


def _pg_conninfo(url: str) -> str:
    u = make_url(url)
    return (
        f"host={u.host} port={u.port or 5432} user={u.username or 'postgres'} dbname={u.database}"
    )


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database for this test process, dropped at the end."""
    name = f"reelboard_test_{RUN_ID}"
    try:
        admin = psycopg.connect(_pg_conninfo(PG_SERVER), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_SERVER}: {exc} (start it: .ci/run)")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    yield url
    with psycopg.connect(_pg_conninfo(PG_SERVER), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_schema_url(base: str, schema: str) -> str:
    return (
        make_url(base)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: an SQLite file, or a fresh schema in this run's PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reelboard.db'}"
        return
    base = request.getfixturevalue("pg_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_conninfo(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield _pg_schema_url(base, schema)
    with psycopg.connect(_pg_conninfo(base), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        secret_key=SecretStr(Fernet.generate_key().decode()),
        media_dir=tmp_path / "media",
    )


@functools.cache
def _migrated_sqlite_file() -> Path:
    """An SQLite database at the head revision, made once per test process."""
    folder = Path(tempfile.mkdtemp(prefix="reelboard-migrated-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "reelboard.db"
    upgrade(f"sqlite:///{path}")
    return path


def migrate(url: str) -> None:
    """Bring a test's new, empty database to the head revision. A new SQLite file is a copy of
    one migrated once per process (the same file, without running the migrations each time)."""
    database = make_url(url).database
    if url.startswith("sqlite") and database and not Path(database).exists():
        shutil.copyfile(_migrated_sqlite_file(), database)
    else:
        upgrade(url)


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    """The application on a migrated, empty database; the CLI commands use it too."""
    migrate(settings.database_url)
    application = App(settings)
    set_app(application)
    yield application
    set_app(None)
    application.dispose()


@dataclass
class Cli:
    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None, **kwargs: Any) -> Result:
        return self.runner.invoke(cli_app, list(args), input=input, **kwargs)


@pytest.fixture
def cli(app: App) -> Cli:
    """Runs `reelboard ...` in-process against the test's database."""
    return Cli(CliRunner())


def pytest_configure(config: pytest.Config) -> None:
    """The run's controlling process makes the folder the test videos are shared in (pytest-xdist
    starts its worker processes afterwards, with this environment)."""
    if not hasattr(config, "workerinput"):
        folder = tempfile.mkdtemp(prefix="reelboard-videos-")
        os.environ[VIDEO_CACHE_VARIABLE] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` run first (otherwise in their usual order): under pytest-xdist a
    long test that starts late would run on alone after everything else has finished."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's REELBOARD_* variables or a cached settings object."""
    for key in list(os.environ):
        if key.startswith("REELBOARD_") and key != "REELBOARD_TEST_PG":
            monkeypatch.delenv(key)
    reset_settings()
    yield
    reset_settings()
