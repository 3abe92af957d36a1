"""The services behind the dashboard, on SQLite and PostgreSQL: sign-in limits and sessions,
judging, and every role check the pages rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services import admin, entryview, libraryview, scorecards, websessions
from services.access import Denied, Viewer
from services.app import App
from services.demo import DEMO_PASSWORD
from services.errors import BadInput
from store.models import Challenge, JudgeScore, LoginAttempt, User
from tests.dashboard.conftest import World, _seed, fast_hashing

__all__ = ["fast_hashing"]  # the cheap-hashing fixture applies here too

POLICY = websessions.LoginPolicy(
    max_failures_user=3,
    max_failures_client=5,
    window=timedelta(minutes=15),
    idle=timedelta(minutes=30),
    lifetime=timedelta(hours=12),
)
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def world(app: App) -> World:
    return _seed(app)


def viewer(world: World, username: str) -> Viewer:
    with world.app.transaction() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return Viewer.of(user)


def attempt(world: World, user: str, password: str, client: str, at: datetime):
    with world.app.transaction() as s:
        return websessions.attempt(s, user, password, client=client, policy=POLICY, now=at)


def test_failures_per_username_lock_even_the_right_password(world: World) -> None:
    for i in range(3):
        assert attempt(world, "juri1", "nope-nope", f"10.0.0.{i}", T0).refused == "invalid"
    assert attempt(world, "juri1", DEMO_PASSWORD, "10.0.0.9", T0).refused == "rate_limited"
    # Another user from the same place is not locked.
    assert attempt(world, "juri2", DEMO_PASSWORD, "10.0.0.9", T0).token
    # After the window the right password works again.
    later = T0 + timedelta(minutes=16)
    assert attempt(world, "juri1", DEMO_PASSWORD, "10.0.0.9", later).token


def test_failures_per_client_lock_that_client(world: World) -> None:
    for name in ("a1", "b2", "c3", "d4", "e5"):
        assert attempt(world, name, "whatever1", "198.51.100.7", T0).refused == "invalid"
    assert attempt(world, "panitia", DEMO_PASSWORD, "198.51.100.7", T0).refused == "rate_limited"
    assert attempt(world, "panitia", DEMO_PASSWORD, "198.51.100.8", T0).token
    with world.app.transaction() as s:
        rows = s.scalars(select(LoginAttempt)).all()
    assert len(rows) == 7 and sum(r.success for r in rows) == 1


def test_unknown_and_inactive_users_are_refused_alike(world: World) -> None:
    assert attempt(world, "nobody", DEMO_PASSWORD, "c", T0).refused == "invalid"
    with world.app.transaction() as s:
        user = s.scalars(select(User).where(User.username == "tamu")).one()
        user.active = False
    assert attempt(world, "tamu", DEMO_PASSWORD, "c", T0).refused == "invalid"


def test_sessions_expire_when_idle_and_at_their_lifetime(world: World) -> None:
    token = attempt(world, "panitia", DEMO_PASSWORD, "c", T0).token
    assert token
    with world.app.transaction() as s:
        seen = websessions.resolve(s, token, policy=POLICY, now=T0 + timedelta(minutes=29))
    assert seen is not None and seen.username == "panitia"
    # Each use restarts the idle clock; the lifetime still ends it.
    at = T0 + timedelta(minutes=29)
    while at < T0 + timedelta(hours=11, minutes=50):
        at += timedelta(minutes=25)
        with world.app.transaction() as s:
            alive = websessions.resolve(s, token, policy=POLICY, now=at)
        assert (alive is not None) == (at < T0 + timedelta(hours=12))
    token2 = attempt(world, "panitia", DEMO_PASSWORD, "c", T0).token
    with world.app.transaction() as s:
        assert websessions.resolve(s, token2, policy=POLICY, now=T0 + timedelta(minutes=31)) is None
    with world.app.transaction() as s:  # once ended, it stays ended
        assert websessions.resolve(s, token2, policy=POLICY, now=T0 + timedelta(minutes=32)) is None


def test_logout_ends_the_session(world: World) -> None:
    token = attempt(world, "alpha", DEMO_PASSWORD, "c", T0).token
    with world.app.transaction() as s:
        websessions.logout(s, token, now=T0)
    with world.app.transaction() as s:
        assert websessions.resolve(s, token, policy=POLICY, now=T0) is None


# --- judging ---------------------------------------------------------------------------------


def test_judge_reads_and_writes_only_assigned_entries(world: World) -> None:
    j1 = viewer(world, "juri1")
    with world.app.transaction() as s:
        challenge = s.get(Challenge, world.ids["challenge"])
        assert challenge is not None
        listed = {a.entry_id for a in scorecards.my_assignments(s, j1, challenge)}
    assert listed == {world.ids["a1"], world.ids["b1"]}
    with world.app.transaction() as s, pytest.raises(Denied):
        scorecards.scorecard(s, j1, world.ids["a2"])
    with world.app.transaction() as s, pytest.raises(Denied):
        scorecards.submit_scores(s, j1, world.ids["a2"], {"craft": 5})
    for other in ("panitia", "alpha", "tamu"):
        with world.app.transaction() as s, pytest.raises(Denied):
            scorecards.scorecard(s, viewer(world, other), world.ids["a1"])


def test_judge_never_sees_another_judges_scores(world: World) -> None:
    a1 = world.ids["a1"]
    with world.app.transaction() as s:
        scorecards.submit_scores(s, viewer(world, "juri2"), a1, {"originality": 2}, "dua")
    with world.app.transaction() as s:
        card = scorecards.scorecard(s, viewer(world, "juri1"), a1)
    assert card.scores == {} and card.comment is None
    with world.app.transaction() as s:
        card2 = scorecards.scorecard(s, viewer(world, "juri2"), a1)
    assert card2.scores == {"originality": 2.0} and card2.comment == "dua"


def test_scores_are_validated_appended_and_superseded(world: World) -> None:
    a1, j1 = world.ids["a1"], viewer(world, "juri1")
    with world.app.transaction() as s, pytest.raises(BadInput, match=r"outside 1\.\.10"):
        scorecards.submit_scores(s, j1, a1, {"originality": 11})
    with world.app.transaction() as s, pytest.raises(BadInput, match="unknown rubric item"):
        scorecards.submit_scores(s, j1, a1, {"beauty": 5})
    with world.app.transaction() as s:
        assert scorecards.submit_scores(s, j1, a1, {"originality": 6, "craft": None}) == 1
    with world.app.transaction() as s:
        assert scorecards.submit_scores(s, j1, a1, {"originality": 6}) == 0  # unchanged
        assert scorecards.submit_scores(s, j1, a1, {"originality": 8}) == 1
    with world.app.transaction() as s:
        rows = s.scalars(select(JudgeScore).order_by(JudgeScore.id)).all()
        card = scorecards.scorecard(s, j1, a1)
    assert [r.score for r in rows] == [6.0, 8.0]
    assert rows[1].supersedes_id == rows[0].id
    assert card.scores == {"originality": 8.0}  # craft stays missing, never 0


def test_conflict_means_abstaining(world: World) -> None:
    b1, j1 = world.ids["b1"], viewer(world, "juri1")
    with world.app.transaction() as s, pytest.raises(BadInput):
        scorecards.declare_conflict(s, j1, b1, "   ")
    with world.app.transaction() as s:
        scorecards.declare_conflict(s, j1, b1, "kerabat pustakawan")
    with world.app.transaction() as s, pytest.raises(BadInput, match="conflict"):
        scorecards.submit_scores(s, j1, b1, {"craft": 5})
    with world.app.transaction() as s:
        challenge = s.get(Challenge, world.ids["challenge"])
        assert challenge is not None
        states = {a.entry_id: a.state for a in scorecards.my_assignments(s, j1, challenge)}
    assert states[b1] == "conflict"


# --- libraries, entries, administration ------------------------------------------------------


def test_library_data_only_for_its_own_staff_and_the_committee(world: World) -> None:
    lib_a, lib_b = world.ids["lib_a"], world.ids["lib_b"]
    with world.app.transaction() as s:
        own = libraryview.overview(s, viewer(world, "alpha"), lib_a)
        assert [a.handle for a in own.accounts] == ["perpus.alpha"]
        assert own.accounts[0].attention == "expires_soon"
        assert not hasattr(own.accounts[0], "token")
        assert libraryview.overview(s, viewer(world, "panitia"), lib_b).library.id == lib_b
        assert [lib.id for lib in libraryview.visible_libraries(s, viewer(world, "alpha"))] == [
            lib_a
        ]
    for who in ("alpha", "juri1", "tamu"):
        with world.app.transaction() as s, pytest.raises(Denied):
            libraryview.overview(s, viewer(world, who), lib_b)
    with world.app.transaction() as s, pytest.raises(Denied):
        libraryview.overview(s, Viewer.anonymous(), lib_a)


def test_entry_visibility_rules(world: World) -> None:
    a1, a2, b1 = world.ids["a1"], world.ids["a2"], world.ids["b1"]
    allowed = {
        "panitia": {a1, a2, b1},
        "admin1": {a1, a2, b1},
        "alpha": {a1, a2},
        "beta": {b1},
        "juri1": {a1, b1},
        "tamu": set(),
    }
    for who, expected in allowed.items():
        seen = set()
        for eid in (a1, a2, b1):
            with world.app.transaction() as s:
                try:
                    entryview.entry_view(s, viewer(world, who), eid)
                    seen.add(eid)
                except Denied:
                    pass
        assert seen == expected, who


def test_only_administrators_manage_users(world: World) -> None:
    with world.app.transaction() as s:
        assert {u.username for u in admin.users(s, viewer(world, "admin1"))} >= {"juri1", "alpha"}
    for who in ("panitia", "juri1", "alpha", "tamu"):
        with world.app.transaction() as s, pytest.raises(Denied):
            admin.users(s, viewer(world, who))
        with world.app.transaction() as s, pytest.raises(Denied):
            admin.add_user(
                s,
                viewer(world, who),
                username="x",
                password="password-1",
                role="admin",
                library_name=None,
                display_name=None,
            )
    for who in ("juri1", "alpha", "tamu"):
        with world.app.transaction() as s, pytest.raises(Denied):
            admin.challenges(s, viewer(world, who))


def test_registration_import_reports_rows_and_writes_nothing_on_error(world: World) -> None:
    committee = viewer(world, "panitia")
    bad = (
        b"library,tier,province,url\n"
        b"Perpustakaan Desa Gamma,desa,Aceh,https://www.instagram.com/reel/DGamma00001/\n"
        b"Perpustakaan Desa Delta,planet,Aceh,https://www.instagram.com/reel/DDelta00001/\n"
        b"Perpustakaan Desa Eps,desa,Aceh,not a url\n"
    )
    from services.errors import RowErrors

    with world.app.transaction() as s, pytest.raises(RowErrors) as caught:
        admin.import_registrations(
            s, committee, world.ids["challenge"], "daftar.csv", bad, shortlink_base=None
        )
    assert [p.line for p in caught.value.problems] == [3, 4]
    good = bad.decode().splitlines()[:2]
    with world.app.transaction() as s:
        result = admin.import_registrations(
            s,
            committee,
            world.ids["challenge"],
            "daftar.csv",
            ("\n".join(good) + "\n").encode(),
            shortlink_base=None,
        )
    assert result.written == 1 and result.libraries_added == ["Perpustakaan Desa Gamma"]


def test_calendar_and_best_time_only_for_the_library(world: World) -> None:
    lib_a = world.ids["lib_a"]
    with world.app.transaction() as s:
        assert libraryview.calendar_rows(s, viewer(world, "alpha"), lib_a) == []
        best = libraryview.best_time(s, viewer(world, "alpha"), lib_a)
        assert not best.enough and best.timezone == "Asia/Makassar"
    for who in ("beta", "juri1", "tamu"):
        with world.app.transaction() as s, pytest.raises(Denied):
            libraryview.calendar_rows(s, viewer(world, who), lib_a)
        with world.app.transaction() as s, pytest.raises(Denied):
            libraryview.best_time(s, viewer(world, who), lib_a)


def test_reach_report_only_for_the_library(world: World) -> None:
    end = datetime.now(UTC)
    lib_a = world.ids["lib_a"]
    with world.app.transaction() as s:
        report = libraryview.reach(s, viewer(world, "alpha"), lib_a, end - timedelta(days=30), end)
    [row] = report.rollup("platform")
    assert row.platform == "instagram" and row.posts == 2 and row.views == 5000 + 6234
    [growth] = report.followers
    assert growth.followers_start is not None and growth.growth == 30  # 5000 -> 5030
    for who in ("beta", "juri1", "tamu"):
        with world.app.transaction() as s, pytest.raises(Denied):
            libraryview.reach(s, viewer(world, who), lib_a, end - timedelta(days=30), end)
