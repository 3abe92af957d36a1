"""The leaderboard pages with AppTest: public and committee, with their refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dashboard.i18n import t
from store.enums import ChallengeStatus, EntryStatus
from store.models import AuditLog, Challenge, Entry, IndicatorValue, JudgeScore
from tests.dashboard.conftest import OpenPage, World, texts
from tests.dashboard.test_pages import denied

ID = "id"
ITEMS = ("originality", "storytelling", "craft", "theme_fit")
HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


def make_contest(world: World, public: bool = True) -> None:
    """Every entry judged and with indicators, so all three are placed."""
    with world.app.transaction() as s:
        challenge = s.get(Challenge, world.ids["challenge"])
        assert challenge is not None
        challenge.status = ChallengeStatus.OPEN
        challenge.live_board_public = public
        for n, key in enumerate(("a1", "a2", "b1")):
            for item in ITEMS:
                s.add(
                    JudgeScore(
                        challenge_id=challenge.id,
                        entry_id=world.ids[key],
                        judge_id=world.ids["user_juri2"],
                        criterion=item,
                        score=float(9 - 2 * n),
                        created_at=HOUR_AGO,
                    )
                )
            answers = (("captions", 1), ("call_to_action", 5 - n), ("challenge_hashtag", 1))
            for name, value in answers:
                s.add(
                    IndicatorValue(
                        challenge_id=challenge.id,
                        entry_id=world.ids[key],
                        indicator=name,
                        value=float(value),
                        set_by="t",
                        created_at=HOUR_AGO,
                    )
                )


def test_public_sees_the_live_board_only_when_allowed(open_page: OpenPage, world: World) -> None:
    make_contest(world, public=False)
    assert open_page("board").info[0].value == t("board.none_public", ID)
    make_contest_public(world)
    at = open_page("board")
    assert not at.exception
    shown = texts(at)
    assert "Perpustakaan Kota Alpha" in shown and "Perpustakaan Desa Beta" in shown
    assert at.metric  # the podium
    frame = at.dataframe[0].value
    assert list(frame[t("col.rank", ID)]) == [1, 2, 3]
    assert t("col.flags", ID) not in frame.columns  # integrity flags are for the committee


def make_contest_public(world: World) -> None:
    with world.app.transaction() as s:
        challenge = s.get(Challenge, world.ids["challenge"])
        assert challenge is not None
        challenge.live_board_public = True


def test_public_board_filters_by_tier_with_segment_places(
    open_page: OpenPage, world: World
) -> None:
    make_contest(world)
    at = open_page("board")
    at.multiselect(key="pub_tier").select("desa_kelurahan").run()
    frame = at.dataframe[0].value
    assert list(frame[t("col.library", ID)]) == ["Perpustakaan Desa Beta"]
    assert list(frame[t("col.rank", ID)]) == [1]  # first among village libraries


def test_committee_board_breakdown_flags_and_exports(open_page: OpenPage, world: World) -> None:
    make_contest(world, public=False)
    at = open_page("committee", "panitia")
    assert not at.exception
    frame = at.dataframe[0].value
    assert len(frame) == 3 and t("col.flags", ID) in frame.columns
    labels = [getattr(b, "label", None) for b in at.get("download_button")]
    assert labels == [t("committee.csv", ID), t("committee.xlsx", ID), t("committee.png", ID)]
    assert any(m.label == t("col.rank", ID) for m in at.metric)


def test_committee_disqualifies_with_a_reason(open_page: OpenPage, world: World) -> None:
    make_contest(world, public=False)
    at = open_page("committee", "panitia")
    a1 = world.ids["a1"]
    at.selectbox(key="cm_entry").set_value(a1).run()
    at.button(key=f"cm_dq_{a1}").click().run()
    assert at.error  # no reason: refused
    at.text_input(key=f"cm_reason_{a1}").input("Tayangan dibeli")
    at.button(key=f"cm_dq_{a1}").click().run()
    assert not at.exception
    with world.app.transaction() as s:
        entry = s.get(Entry, a1)
        assert entry is not None and entry.status is EntryStatus.DISQUALIFIED
        audit = s.scalars(select(AuditLog).where(AuditLog.target_type == "entry")).all()
    assert any(a.details and a.details.get("reason") == "Tayangan dibeli" for a in audit)
    at = open_page("committee", "panitia")
    frame = at.dataframe[0].value
    assert sorted(frame[t("col.rank", ID)].dropna().astype(int)) == [1, 2]


def test_freezing_before_the_close_is_refused(open_page: OpenPage, world: World) -> None:
    make_contest(world, public=False)
    at = open_page("committee", "panitia")
    at.button(key="cm_freeze").click().run()
    assert at.error and not at.exception


def test_only_the_committee_opens_the_committee_board(open_page: OpenPage, world: World) -> None:
    make_contest(world)
    for user in ("tamu", "juri1", "alpha"):
        assert denied(open_page("committee", user)), user
    assert not denied(open_page("committee", "admin1"))


def test_the_public_board_with_chosen_fields_matches_the_full_public_form(world: World) -> None:
    """The leaderboard page asks for a few row fields; they are the full form's, value for
    value, and nothing only the committee sees comes along."""
    from dashboard.data import PUBLIC_FIELDS
    from services import boardview

    make_contest(world)
    now = datetime.now(UTC)
    with world.app.transaction() as s:
        full = boardview.public_board(s, world.ids["challenge"], now)
        lean = boardview.public_board(s, world.ids["challenge"], now, PUBLIC_FIELDS)
    assert len(lean["rows"]) == len(full["rows"]) == 3
    assert lean["rows"] == [{k: row[k] for k in PUBLIC_FIELDS} for row in full["rows"]]
    for key in ("challenge", "as_of", "opens_at", "closes_at", "final", "decimals"):
        assert lean[key] == full[key]
    assert all(set(row) == set(PUBLIC_FIELDS) for row in lean["rows"])
    assert {r["rank"] for r in lean["rows"]} == {1, 2, 3}
