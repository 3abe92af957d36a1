"""Every page for every role with AppTest, the refusals included. Roles are checked on the
server: the session holds only a token, and pages read the role from the users table."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from services.demo import DEMO_PASSWORD
from store.models import AuditLog, Challenge, JudgeScore, User, WebSession
from tests.dashboard.conftest import (
    APP_FILE,
    SECRET_TOKEN,
    TOKEN_KEY,
    OpenPage,
    World,
    texts,
)

ID = "id"


def denied(at: AppTest, key: str = "common.denied") -> bool:
    return any(e.value == t(key, ID) for e in at.error)


def button(at: AppTest, label_key: str, lang: str = ID):
    label = t(label_key, lang)
    return next(b for b in at.button if b.label == label)


# --- the public ----------------------------------------------------------------------------


def test_anonymous_sees_only_public_pages(open_page: OpenPage) -> None:
    at = open_page(None)
    assert not at.exception
    assert at.title[0].value == t("board.title", ID)  # the public leaderboard
    assert at.info[0].value == t("board.none_public", ID)  # nothing is public yet
    assert open_page("login").title[0].value == t("login.title", ID)
    assert denied(open_page("committee"), "common.denied_signin")
    for page in ("judging", "library", "admin"):
        at = open_page(page)
        assert denied(at, "common.denied_signin"), page
        assert not at.dataframe, page


def test_anonymous_sees_an_entry_only_when_its_board_is_public(
    open_page: OpenPage, world: World
) -> None:
    at = open_page("entry", entry=world.ids["a1"])
    assert denied(at)
    with world.app.transaction() as s:
        challenge = s.get(Challenge, world.ids["challenge"])
        assert challenge is not None
        challenge.live_board_public = True
    at = open_page("entry", entry=world.ids["a1"])
    assert not denied(at)
    assert "Perpustakaan Kota Alpha" in texts(at)


def sign_in_page() -> AppTest:
    """The sign-in page in a fresh browser session."""
    at = AppTest.from_file(APP_FILE, default_timeout=60).run()
    return at.switch_page("views/login.py").run()


def test_sign_in_form_wrong_then_right_password(world: World) -> None:
    at = sign_in_page()
    at.text_input(key="login_username").input("juri1")
    at.text_input(key="login_password").input("wrong-password")
    button(at, "login.submit").click().run()
    assert at.error[0].value == t("login.refused_invalid", ID)
    assert TOKEN_KEY not in at.session_state
    at.text_input(key="login_password").input(DEMO_PASSWORD)
    button(at, "login.submit").click().run()
    assert not at.exception
    assert at.session_state[TOKEN_KEY]
    assert at.title[0].value == t("judging.title", ID)  # a judge lands on judging


def test_sign_in_is_rate_limited_across_sessions(world: World) -> None:
    """Five failures for a name, each from a new browser session: the right password is then
    refused too, because the attempts are counted in the database."""
    for _ in range(5):
        at = sign_in_page()
        at.text_input(key="login_username").input("panitia")
        at.text_input(key="login_password").input("not-the-password")
        button(at, "login.submit").click().run()
        assert at.error[0].value == t("login.refused_invalid", ID)
    at = sign_in_page()
    at.text_input(key="login_username").input("panitia")
    at.text_input(key="login_password").input(DEMO_PASSWORD)
    button(at, "login.submit").click().run()
    assert at.error[0].value == t("login.refused_rate_limited", ID)
    assert TOKEN_KEY not in at.session_state


def test_a_forged_or_expired_token_is_anonymous(open_page: OpenPage, world: World) -> None:
    at = AppTest.from_file(APP_FILE, default_timeout=60)
    at.session_state[TOKEN_KEY] = "made-up-token"
    at.run()
    at.switch_page("views/admin.py").run()
    assert denied(at, "common.denied_signin")

    token = world.login("panitia")
    with world.app.transaction() as s:
        row = s.scalars(select(WebSession)).one()
        row.last_seen_at = datetime.now(UTC) - timedelta(hours=1)  # idle past 30 minutes
    at = AppTest.from_file(APP_FILE, default_timeout=60)
    at.session_state[TOKEN_KEY] = token
    at.run()
    assert any(e.value == t("login.expired", ID) for e in at.info)
    at.switch_page("views/admin.py").run()
    assert denied(at, "common.denied_signin")


def test_role_is_read_from_the_database_not_the_session(open_page: OpenPage, world: World) -> None:
    at = AppTest.from_file(APP_FILE, default_timeout=60)
    at.session_state[TOKEN_KEY] = world.login("panitia")
    at.run()
    at.switch_page("views/admin.py").run()
    assert not denied(at)
    with world.app.transaction() as s:
        user = s.get(User, world.ids["user_panitia"])
        assert user is not None
        user.active = False  # deactivated while signed in
    at.run()
    assert denied(at, "common.denied_signin")


# --- judges ----------------------------------------------------------------------------------


def test_judge_sees_only_assigned_entries_and_only_own_scores(
    open_page: OpenPage, world: World
) -> None:
    with world.app.transaction() as s:
        s.add(
            JudgeScore(
                challenge_id=world.ids["challenge"],
                entry_id=world.ids["a1"],
                judge_id=world.ids["user_juri2"],
                criterion="originality",
                score=3.0,
                comment="CATATAN-JURI-DUA",
            )
        )
    at = open_page("judging", "juri1", entry=world.ids["a1"])
    assert not at.exception
    shown = texts(at)
    assert f"#{world.ids['a1']}" in shown and f"#{world.ids['b1']}" in shown
    assert f"#{world.ids['a2']}" not in shown  # assigned to juri2 only
    assert "CATATAN-JURI-DUA" not in shown
    assert at.text_area(key=f"cm_{world.ids['a1']}").value == ""
    assert at.number_input(key=f"score_{world.ids['a1']}_originality").value is None
    # The anchors are shown with the item.
    assert "Meniru format umum tanpa ciri khas sendiri." in shown


def test_judge_scores_and_corrects(open_page: OpenPage, world: World) -> None:
    a1 = world.ids["a1"]
    at = open_page("judging", "juri1", entry=a1)
    for item, value in (("originality", 8), ("storytelling", 7), ("craft", 6), ("theme_fit", 9)):
        at.number_input(key=f"score_{a1}_{item}").set_value(float(value))
    button(at, "judging.save").click().run()
    assert not at.exception
    assert at.success[0].value == t("judging.saved", ID, count="4")
    at.number_input(key=f"score_{a1}_craft").set_value(7.0)
    button(at, "judging.save").click().run()
    assert at.success[0].value == t("judging.saved", ID, count="1")
    with world.app.transaction() as s:
        rows = s.scalars(
            select(JudgeScore).where(JudgeScore.judge_id == world.ids["user_juri1"])
        ).all()
    assert len(rows) == 5
    craft = sorted((r for r in rows if r.criterion == "craft"), key=lambda r: r.id)
    assert craft[1].supersedes_id == craft[0].id and craft[1].score == 7.0
    # The next visit shows the corrected scorecard.
    at = open_page("judging", "juri1", entry=a1)
    assert at.number_input(key=f"score_{a1}_craft").value == 7.0


def test_judge_declares_a_conflict_and_abstains(open_page: OpenPage, world: World) -> None:
    b1 = world.ids["b1"]
    at = open_page("judging", "juri1", entry=b1)
    at.text_input(key=f"coi_{b1}").input("Saya pernah bekerja di sana")
    at.button(key=f"coi_btn_{b1}").click().run()
    assert not at.exception
    at = open_page("judging", "juri1", entry=b1)
    assert at.warning[0].value == t("judging.conflict_declared", ID)
    assert not at.number_input
    with world.app.transaction() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "scores.record")).all()
        conflict = s.scalars(select(JudgeScore).where(JudgeScore.conflict.is_(True))).one()
    assert [(a.actor, (a.details or {}).get("conflicts")) for a in audit] == [("web:juri1", 1)]
    assert conflict.entry_id == b1 and conflict.comment == "Saya pernah bekerja di sana"


def test_judge_cannot_open_other_pages(open_page: OpenPage, world: World) -> None:
    for page in ("admin", "library"):
        assert denied(open_page(page, "juri1")), page
    assert denied(open_page("entry", "juri1", entry=world.ids["a2"]))  # not assigned
    assert not denied(open_page("entry", "juri1", entry=world.ids["a1"]))


def test_non_judges_cannot_judge(open_page: OpenPage) -> None:
    for user in ("panitia", "admin1", "alpha", "tamu"):
        assert denied(open_page("judging", user)), user


# --- libraries -------------------------------------------------------------------------------


def test_library_user_sees_own_library_without_tokens(open_page: OpenPage, world: World) -> None:
    at = open_page("library", "alpha")
    assert not at.exception
    shown = texts(at)
    assert "Perpustakaan Kota Alpha" in shown
    assert "Perpustakaan Desa Beta" not in shown
    assert "@perpus.alpha" in shown
    assert SECRET_TOKEN not in shown
    assert at.warning  # the token expires within 7 days
    assert "WITA" in shown  # Bali: the library's own zone
    # Follower trend and posts table are there; the posts table lists both entries.
    assert at.get("vega_lite_chart")
    assert at.selectbox(key="lib_post").options == [
        f"#{world.ids[k]} · Uji Reels 2026 · Instagram" for k in ("a2", "a1")
    ]


def test_library_user_is_refused_another_library(open_page: OpenPage, world: World) -> None:
    at = open_page("library", "alpha", library=world.ids["lib_b"])
    assert any(e.value == t("library.denied", ID) for e in at.error)
    assert "Perpustakaan Desa Beta" not in texts(at)
    assert denied(open_page("entry", "alpha", entry=world.ids["b1"]))
    assert not denied(open_page("entry", "alpha", entry=world.ids["a1"]))
    for page in ("admin", "judging"):
        assert denied(open_page(page, "alpha")), page


def test_needs_reauth_is_shown_to_that_library(open_page: OpenPage) -> None:
    at = open_page("library", "beta")
    assert any("perpus.beta" in w.value for w in at.warning)


def test_committee_sees_any_library(open_page: OpenPage, world: World) -> None:
    at = open_page("library", "panitia", library=world.ids["lib_b"])
    assert not at.exception
    assert "Perpustakaan Desa Beta" in texts(at)


# --- entry detail ----------------------------------------------------------------------------


def test_entry_detail_charts_table_and_link(open_page: OpenPage, world: World) -> None:
    at = open_page("entry", "panitia", entry=world.ids["a1"])
    assert not at.exception
    shown = texts(at)
    assert "2.234" in shown  # 1,000 + 1,234 views, Indonesian grouping
    assert len(at.get("vega_lite_chart")) == 4
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["config"]["locale"]["number"]["thousands"] == "."  # axes read 1.000
    assert "Des" in spec["config"]["locale"]["time"]["shortMonths"]
    assert at.get("link_button")[0].proto.url.endswith("/reel/DAlpha00001/")
    # Hidden counts are a dash, never 0.
    b1 = open_page("entry", "panitia", entry=world.ids["b1"])
    assert len(b1.get("vega_lite_chart")) == 3  # shares hidden on that platform


def test_entry_detail_in_english(world: World) -> None:
    at = AppTest.from_file(APP_FILE, default_timeout=60)
    # A judge assigned to the entry: their home page's widgets read the same in both languages
    # (AppTest replays a selectbox by its shown text).
    at.session_state[TOKEN_KEY] = world.login("juri1")
    at.session_state["lang"] = "en"
    at.query_params["entry"] = str(world.ids["a1"])
    at.run()
    at.switch_page("views/entry.py").run()
    shown = texts(at)
    assert at.title[0].value == t("entry.title", "en")
    assert "2,234" in shown


# --- administration --------------------------------------------------------------------------


def test_admin_page_for_committee_and_admin(open_page: OpenPage) -> None:
    committee = open_page("admin", "panitia")
    assert not committee.exception
    assert [tab.label for tab in committee.tabs] == [
        t(f"admin.tab_{n}", ID) for n in ("challenges", "libraries", "import", "judges", "health")
    ]
    admin = open_page("admin", "admin1")
    assert t("admin.tab_users", ID) in [tab.label for tab in admin.tabs]
    assert "$argon2" not in texts(admin)  # password hashes are never listed


def test_viewer_has_no_committee_pages(open_page: OpenPage, world: World) -> None:
    for page in ("admin", "library", "judging"):
        assert denied(open_page(page, "tamu")), page
    assert denied(open_page("entry", "tamu", entry=world.ids["a1"]))


def test_rubric_validation_names_the_field(open_page: OpenPage, world: World) -> None:
    at = open_page("admin", "panitia")
    key = f"rubric_{world.ids['challenge']}"
    broken = str(at.text_area(key=key).value).replace("weight = 0.5", "weight = 0.9", 1)
    at.text_area(key=key).set_value(broken)
    at.button(key=f"rubric_check_{world.ids['challenge']}").click().run()
    assert "criteria" in at.error[0].value and "weight" in at.error[0].value
    at.button(key=f"rubric_save_{world.ids['challenge']}").click().run()
    assert at.error
    with world.app.transaction() as s:
        from store.models import RubricVersion

        assert len(s.scalars(select(RubricVersion)).all()) == 1  # nothing saved


def test_admin_assigns_a_judge(open_page: OpenPage, world: World) -> None:
    at = open_page("admin", "panitia")
    at.selectbox(key="jdg_assign_who").set_value(world.ids["user_juri1"])
    at.button(key="jdg_assign_btn").click().run()
    assert not at.exception
    assert any(s.value == t("admin.assigned_new", ID, count="1") for s in at.success)


# --- the content calendar and best time --------------------------------------------------------


def test_library_plans_a_post_and_only_it_sees_it(open_page: OpenPage, world: World) -> None:
    at = open_page("library", "alpha")
    assert any(
        i.value.startswith(t("library.best_time_not_enough", ID, posts="0")[:20]) for i in at.info
    )
    form_area = next(a for a in at.text_area if a.label == t("col.caption", ID))
    form_area.set_value("Ayo ke perpustakaan! #UjiReels")
    next(x for x in at.text_input if x.label == t("library.media_url", ID)).set_value(
        "https://media.example.org/reel.mp4"
    )
    next(c for c in at.checkbox if c.label == t("library.submit_now", ID)).uncheck()
    button(at, "library.save_post").click().run()
    assert not at.exception
    assert any("#1" in s.value for s in at.success), [e.value for e in at.error]
    at = open_page("library", "alpha")
    assert "Ayo ke perpustakaan!" in texts(at)
    assert t("post_state.draft", ID) in texts(at)
    other = open_page("library", "beta")
    assert "Ayo ke perpustakaan!" not in texts(other)


def test_a_user_who_prefers_english_gets_english_after_signing_in(world: World) -> None:
    with world.app.transaction() as s:
        user = s.get(User, world.ids["user_juri1"])
        assert user is not None
        user.language = "en"
    at = sign_in_page()
    at.text_input(key="login_username").input("juri1")
    at.text_input(key="login_password").input(DEMO_PASSWORD)
    button(at, "login.submit").click().run()
    assert at.title[0].value == t("judging.title", "en")
    assert at.radio(key="lang").value == "en"


def test_library_reach_per_platform_and_pillar(open_page: OpenPage, world: World) -> None:
    at = open_page("library", "alpha")
    assert not at.exception
    platform_table = at.dataframe[1].value  # after the accounts table
    assert list(platform_table[t("col.platform", ID)]) == ["Instagram"]
    # Two posts, each from 0 views (posted inside the 30 days) to its last count: 5000 + 6234.
    assert list(platform_table[t("metric.views", ID)]) == ["11.234"]
    pillar_table = at.dataframe[2].value
    assert list(pillar_table[t("col.pillar", ID)]) == [t("pillar.promosi", ID)]
    other = open_page("library", "beta")
    assert "11.234" not in texts(other)


def test_collection_health_tab(open_page: OpenPage, world: World) -> None:
    from datetime import UTC, datetime, timedelta

    from store.enums import Platform
    from store.models import CollectionEvent

    now = datetime.now(UTC)
    with world.app.transaction() as s:
        s.add(
            CollectionEvent(
                at=now - timedelta(hours=2),
                platform=Platform.INSTAGRAM,
                account_id=world.ids["acc_a"],
                outcome="ok",
                items=3,
                calls=2,
            )
        )
        s.add(
            CollectionEvent(
                at=now - timedelta(hours=1),
                platform=Platform.INSTAGRAM,
                account_id=world.ids["acc_a"],
                outcome="failed",
                reason="token_expired",
                calls=1,
            )
        )
    at = open_page("admin", "panitia")
    assert not at.exception
    shown = texts(at)
    assert t("health.reason.token_expired", ID) in shown
    assert at.warning  # beta's YouTube account needs re-authorisation
    assert denied(open_page("admin", "alpha"))
