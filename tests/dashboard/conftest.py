"""The dashboard under test: a seeded database, signed-in sessions, pages run with AppTest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from collector.urls import PostRef, parse_post_url
from services import registry, scorecards, websessions
from services.app import App
from services.demo import DEMO_PASSWORD
from services.rubrics import read_rubric_file
from store.enums import AccountStatus, MetricSource, Pillar
from store.models import (
    AccountSnapshot,
    Challenge,
    Entry,
    MetricSnapshot,
    SocialAccount,
    User,
)

APP_FILE = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
TOKEN_KEY = "_rb_session_token"
NOW = datetime.now(UTC).replace(microsecond=0)
SECRET_TOKEN = "tok-THIS-MUST-NEVER-SHOW"


@dataclass
class World:
    app: App
    slug: str = "uji-reels"
    ids: dict[str, int] = field(default_factory=dict)

    def login(self, username: str) -> str:
        with self.app.transaction() as session:
            token, _ = websessions.login(
                session,
                username,
                DEMO_PASSWORD,
                client="pytest",
                policy=websessions.LoginPolicy(),
            )
        return token


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: the tests hash and verify many passwords."""
    from argon2 import PasswordHasher

    from services import auth

    monkeypatch.setattr(
        auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def _seed(app: App) -> World:
    world = World(app)
    with app.transaction() as s:
        lib_a = registry.add_library(
            s, name="Perpustakaan Kota Alpha", tier="kabupaten_kota", province="Bali", actor="t"
        )
        lib_b = registry.add_library(
            s, name="Perpustakaan Desa Beta", tier="desa_kelurahan", province="Papua", actor="t"
        )
        challenge = registry.add_challenge(
            s,
            slug=world.slug,
            title="Uji Reels 2026",
            opens_at=NOW - timedelta(days=10),
            closes_at=NOW + timedelta(days=10),
            timezone="Asia/Jakarta",
            hashtags=["UjiReels"],
            platforms=["instagram", "youtube", "tiktok", "facebook"],
            rubric=read_rubric_file(None),
            actor="t",
        )
        acc_a = SocialAccount(
            library=lib_a,
            platform="instagram",
            handle="perpus.alpha",
            token_encrypted=app.token_box.seal(SECRET_TOKEN),
            token_expires_at=NOW + timedelta(days=3),
        )
        acc_b = SocialAccount(
            library=lib_b,
            platform="youtube",
            handle="perpus.beta",
            token_encrypted=app.token_box.seal(SECRET_TOKEN),
            status=AccountStatus.NEEDS_REAUTH,
        )
        s.add_all([acc_a, acc_b])
        s.flush()
        entries = {}
        for key, owner, acc, url in (
            ("a1", lib_a, acc_a, "https://www.instagram.com/reel/DAlpha00001/"),
            ("a2", lib_a, acc_a, "https://www.instagram.com/reel/DAlpha00002/"),
            ("b1", lib_b, acc_b, "https://www.youtube.com/shorts/Beta0000001"),
        ):
            ref = parse_post_url(url)
            assert isinstance(ref, PostRef)
            entry = Entry(
                challenge=challenge,
                library=owner,
                account=acc,
                platform=ref.platform,
                canonical_url=ref.canonical_url,
                post_id=ref.post_id,
                media_id=ref.post_id,
                pillar=Pillar.PROMOSI,
                posted_at=NOW - timedelta(days=8),
                title=f"Reel {key}",
                created_at=NOW - timedelta(days=9),
            )
            s.add(entry)
            s.flush()
            entries[key] = entry.id
            for day in range(5):
                s.add(
                    MetricSnapshot(
                        entry_id=entry.id,
                        collected_at=NOW - timedelta(days=7 - day),
                        views=1000 * (day + 1) + (1234 if key == "a1" else 0),
                        likes=50 * (day + 1),
                        comments=5 * day,
                        shares=None if key == "b1" else day,
                        saves=None,
                        source=MetricSource.API,
                    )
                )
        for day in range(4):
            s.add(
                AccountSnapshot(
                    account_id=acc_a.id,
                    collected_at=NOW - timedelta(days=7 - day),
                    followers=5000 + 10 * day,
                )
            )
        users = {}
        for username, role, lib_name in (
            ("admin1", "admin", None),
            ("panitia", "committee", None),
            ("juri1", "judge", None),
            ("juri2", "judge", None),
            ("alpha", "library", lib_a.name),
            ("beta", "library", lib_b.name),
            ("tamu", "viewer", None),
        ):
            users[username] = registry.add_user(
                s,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                library_name=lib_name,
                display_name=username.title(),
                actor="t",
            ).id
        challenge_row = s.get(Challenge, challenge.id)
        assert challenge_row is not None
        j1 = s.get(User, users["juri1"])
        j2 = s.get(User, users["juri2"])
        assert j1 is not None and j2 is not None
        scorecards.assign(s, "t", challenge_row, j1, [entries["a1"], entries["b1"]])
        scorecards.assign(s, "t", challenge_row, j2, [entries["a1"], entries["a2"], entries["b1"]])
        world.ids.update(entries)
        world.ids.update({f"user_{k}": v for k, v in users.items()})
        world.ids.update(challenge=challenge.id, lib_a=lib_a.id, lib_b=lib_b.id, acc_a=acc_a.id)
    return world


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Page tests run on SQLite; the services' role checks also run on PostgreSQL."""
    yield f"sqlite:///{tmp_path / 'reelboard.db'}"


@pytest.fixture
def world(app: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    assert app.settings.secret_key is not None
    monkeypatch.setenv("REELBOARD_DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("REELBOARD_SECRET_KEY", app.settings.secret_key.get_secret_value())
    from reelboard.settings import reset_settings

    reset_settings()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield _seed(app)
    st.cache_resource.clear()


OpenPage = Callable[..., AppTest]


@pytest.fixture
def open_page(world: World) -> OpenPage:
    """Run one page as ``username`` (None: the public), with optional query parameters."""

    def run(page: str | None, username: str | None = None, **query: object) -> AppTest:
        at = AppTest.from_file(APP_FILE, default_timeout=60)
        if username is not None:
            at.session_state[TOKEN_KEY] = world.login(username)
        for key, value in query.items():
            at.query_params[key] = str(value)
        at.run()
        if page is not None:
            at.switch_page(f"views/{page}.py").run()
        return at

    return run


def texts(at: AppTest) -> str:
    """Everything the page shows as text, tables included, for 'is it there' checks."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "info",
        "warning",
        "error",
        "success",
        "metric",
    ):
        for el in getattr(at, kind):
            parts.append(str(getattr(el, "value", "")))
            parts.append(str(getattr(el, "label", "")))
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    for tbl in at.table:
        parts.append(tbl.value.to_csv())
    return "\n".join(parts)
