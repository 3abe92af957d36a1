"""Boards from the database, on SQLite and PostgreSQL: the SQL mirrors the scoring reference,
as-of reproducibility, freeze / publish / verify, disqualification."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scoring import compute_board, load_rubric, select_snapshots
from scoring.inputs import EntryInput, SnapshotInput
from services import boards, judging, registry
from services.app import App
from services.errors import BadInput, RowErrors
from store import boards as q
from store.enums import ChallengeStatus, EntryStatus, MetricSource, Platform
from store.models import (
    AccountSnapshot,
    AuditLog,
    Challenge,
    Entry,
    FrozenBoard,
    IndicatorValue,
    JudgeScore,
    Library,
    MetricSnapshot,
    RubricVersion,
    SocialAccount,
)
from tests.scoring import test_handworked as hw

OPENS = datetime(2025, 8, 1, tzinfo=UTC)
CLOSES = datetime(2025, 8, 31, tzinfo=UTC)
BEFORE = datetime(2025, 7, 1, tzinfo=UTC)  # registrations, rubric


def day(d: int, hour: int = 0, minute: int = 0, micro: int = 0) -> datetime:
    return OPENS + timedelta(days=d - 1, hours=hour, minutes=minute, microseconds=micro)


@dataclass
class Contest:
    challenge_id: int
    entries: dict[str, int]  # letter -> entry id
    judges: dict[str, int]  # username -> user id


def make_challenge(session: Session, rubric: str, slug: str = "uji") -> Challenge:
    challenge = registry.add_challenge(
        session,
        slug=slug,
        title="Uji",
        opens_at=OPENS,
        closes_at=CLOSES,
        timezone="Asia/Jakarta",
        hashtags=[],
        platforms=[],
        rubric=rubric,
        actor="test",
    )
    registry.open_challenge(session, challenge, "test")
    session.execute(
        update(RubricVersion)
        .where(RubricVersion.challenge_id == challenge.id)
        .values(created_at=BEFORE)
    )
    return challenge


def add_entry(
    session: Session,
    challenge: Challenge,
    name: str,
    platform: Platform,
    tier: str,
    province: str,
    posted: datetime | None,
    n: int,
) -> Entry:
    library = session.scalars(select(Library).where(Library.name == name)).first()
    if library is None:
        library = registry.add_library(session, name=name, tier=tier, province=province, actor="t")
    account = SocialAccount(library=library, platform=platform, handle=f"h{n}")
    session.add(account)
    entry = Entry(
        challenge=challenge,
        library=library,
        account=account,
        platform=platform,
        canonical_url=f"https://www.instagram.com/reel/P{n:04d}/",
        post_id=f"P{n:04d}",
        posted_at=posted,
        created_at=BEFORE,
    )
    session.add(entry)
    session.flush()
    return entry


def load_handworked(app: App) -> Contest:
    """The hand-worked contest of tests/scoring/test_handworked.py, written to the database."""
    inputs = hw.contest()
    with app.transaction() as s:
        challenge = make_challenge(s, hw.RUBRIC)
        ids: dict[int, int] = {}
        status = {e.entry_id: e for e in inputs.entries}
        for n, e in enumerate(inputs.entries):
            platform = Platform(e.platform)
            entry = add_entry(s, challenge, e.library, platform, e.tier, e.province, e.posted_at, n)
            ids[e.entry_id] = entry.id
            if status[e.entry_id].status == "disqualified":
                entry.status = EntryStatus.DISQUALIFIED
                entry.status_reason = e.status_reason
        # every snapshot of the hand-worked series up to the cutoffs, plus one after the close
        snaps = {s_.snapshot_id: s_ for s_ in inputs.series}
        for sn in snaps.values():
            s.add(
                MetricSnapshot(
                    entry_id=ids[sn.entry_id],
                    collected_at=sn.collected_at,
                    views=sn.views,
                    likes=sn.likes,
                    comments=sn.comments,
                    source=MetricSource.API,
                )
            )
        for e in inputs.entries:
            s.add(
                MetricSnapshot(
                    entry_id=ids[e.entry_id],
                    collected_at=CLOSES + timedelta(days=1),
                    views=10**7,
                    likes=10**6,
                    comments=10**5,
                    source=MetricSource.API,
                )
            )
        for f in inputs.followers:
            posted = s.get(Entry, ids[f.entry_id])
            assert posted is not None and f.collected_at is not None
            s.add(
                AccountSnapshot(
                    account_id=posted.account_id, collected_at=f.collected_at, followers=f.followers
                )
            )
        judges = {}
        for jid in sorted({sc.judge_id for sc in inputs.judge_scores}):
            user = registry.add_user(
                s,
                username=f"juri{jid}",
                password="rahasia-juri",
                role="judge",
                library_name=None,
                display_name=None,
                actor="t",
            )
            judges[f"juri{jid}"] = user.id
        s.flush()
        url = {e.entry_id: f"#{ids[e.entry_id]}" for e in inputs.entries}
        lines = [
            judging.ScoreLine(f"juri{sc.judge_id}", url[sc.entry_id], {sc.item: str(sc.score)})
            for sc in inputs.judge_scores
            if status[sc.entry_id].status != "disqualified"
        ]
        lines += [
            judging.ScoreLine(f"juri{c.judge_id}", url[c.entry_id], {}, conflict=True)
            for c in inputs.conflicts
        ]
        judging.record_scores(s, challenge, lines, "t", now=CLOSES + timedelta(days=1))
        ind_lines = [
            judging.IndicatorLine(url[v.entry_id], {v.indicator: str(v.value)})
            for v in inputs.indicators
        ]
        judging.record_indicators(s, challenge, ind_lines, "t", now=CLOSES + timedelta(days=1))
        letters = dict(
            zip("ABCDEF", (ids[i] for i in (hw.A, hw.B, hw.C, hw.D, hw.E, hw.F)), strict=True)
        )
        return Contest(challenge.id, letters, judges)


def challenge_of(s: Session, contest: Contest) -> Challenge:
    challenge = s.get(Challenge, contest.challenge_id)
    assert challenge is not None
    return challenge


def test_the_database_board_is_the_hand_worked_board(app: App) -> None:
    contest = load_handworked(app)
    as_of = CLOSES + timedelta(days=3)
    with app.transaction() as s:
        view = boards.build_board(s, challenge_of(s, contest), as_of)
    expected = compute_board(hw.contest(), load_rubric(hw.RUBRIC), as_of)
    letter = {v: k for k, v in contest.entries.items()}
    hw_id = dict(zip("ABCDEF", (hw.A, hw.B, hw.C, hw.D, hw.E, hw.F), strict=True))
    for row in view.board.rows:
        ref = expected.row(hw_id[letter[row.entry_id]])
        assert (row.rank, row.total, row.unranked_reason) == (
            ref.rank,
            ref.total,
            ref.unranked_reason,
        )
        assert [c.score for c in row.criteria] == [c.score for c in ref.criteria]
        assert row.segment_ranks == ref.segment_ranks
    # The snapshot counted for D is the one at posted + 14 days, not the post-close one.
    d = view.board.row(contest.entries["D"]).criterion("audience").audience
    assert d is not None and d.snapshot is not None
    assert d.snapshot.collected_at == day(5) + timedelta(days=14)
    assert d.followers == 99
    c_a = view.board.row(contest.entries["A"]).criterion("creativity").creativity
    assert c_a is not None and c_a.conflicted_judges == (contest.judges["juri13"],)


def test_sql_snapshot_choice_matches_the_scoring_reference(app: App) -> None:
    """Random posts and snapshots (ties, exact cutoffs, microseconds, manual vs API): the
    database picks exactly what :func:`scoring.select_snapshots` picks."""
    rng = random.Random(7)
    with app.transaction() as s:
        challenge = make_challenge(s, hw.RUBRIC)
        entries: list[EntryInput] = []
        snaps: list[SnapshotInput] = []
        for n in range(40):
            posted = (
                None
                if n % 13 == 0
                else day(rng.randint(1, 32), rng.randint(0, 23), 0, rng.choice((0, 1, 999_999)))
            )
            e = add_entry(
                s, challenge, f"L{n}", Platform.INSTAGRAM, "kabupaten_kota", "Bali", posted, n
            )
            entries.append(EntryInput(e.id, "instagram", "kabupaten_kota", "Bali", f"L{n}", posted))
            base = posted or day(3)
            times = set()
            for k in range(rng.randint(0, 12)):
                offset = timedelta(
                    days=rng.choice((13, 14, 15, 20)), microseconds=rng.choice((-1, 0, 1))
                )
                when = base + (offset if k % 3 == 0 else timedelta(hours=rng.randint(-30, 900)))
                for source in (MetricSource.API, MetricSource.MANUAL):
                    if (when, source) in times or rng.random() < 0.5:
                        continue
                    times.add((when, source))
                    row = MetricSnapshot(
                        entry_id=e.id, collected_at=when, views=rng.randint(0, 999), source=source
                    )
                    s.add(row)
                    s.flush()
                    snaps.append(SnapshotInput(row.id, e.id, when, row.views, source=source.value))
        cid = challenge.id
    for as_of in (day(10), day(20, 7), CLOSES, CLOSES + timedelta(days=4)):
        for window in (14, 1, None):
            ref = select_snapshots(entries, snaps, window, CLOSES, as_of)
            with app.transaction() as s:
                got = q.chosen_snapshots(s, cid, window, CLOSES, as_of)
                series = q.snapshot_series(s, cid, window, CLOSES, as_of)
            assert sorted(r[0] for r in got) == sorted(c.snapshot_id for c in ref.chosen), (
                as_of,
                window,
            )
            assert sorted(r[0] for r in series) == sorted(x.snapshot_id for x in ref.series)
            for r in got:
                assert r[2].tzinfo is not None
    with app.transaction() as s:
        recent = q.snapshot_series(s, cid, 14, CLOSES, CLOSES, days=2)
    cut = {e.entry_id: e.posted_at + timedelta(days=14) for e in entries if e.posted_at}
    cut = {k: min(v, CLOSES) for k, v in cut.items()}
    assert recent
    for r in recent:
        assert cut[r[1]] - timedelta(days=2) < r[2] <= cut[r[1]]


def test_followers_at_posting_prefers_the_count_before_the_post(app: App) -> None:
    with app.transaction() as s:
        challenge = make_challenge(s, hw.RUBRIC)
        a = add_entry(s, challenge, "A", Platform.TIKTOK, "kabupaten_kota", "Bali", day(5), 1)
        b = add_entry(s, challenge, "B", Platform.TIKTOK, "kabupaten_kota", "Bali", day(5), 2)
        for acc, when, n in (
            (a.account_id, day(3), 100),
            (a.account_id, day(5), 150),  # exactly at posting: counts as before
            (a.account_id, day(6), 400),
            (b.account_id, day(7), 900),  # only after posting
            (b.account_id, day(8), 950),
        ):
            s.add(AccountSnapshot(account_id=acc, collected_at=when, followers=n))
        s.add(AccountSnapshot(account_id=a.account_id, collected_at=day(4), followers=None))
        s.flush()
        rows = {eid: (n, at) for eid, n, at in q.followers_at_posting(s, challenge.id, day(20))}
        assert rows[a.id] == (150, day(5))
        assert rows[b.id] == (900, day(7))
        early = {eid: n for eid, n, _ in q.followers_at_posting(s, challenge.id, day(6))}
        assert early == {a.id: 150}


def test_scores_indicators_and_rubric_as_of(app: App) -> None:
    contest = load_handworked(app)
    later = CLOSES + timedelta(days=5)
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        # A second opinion: juri11 corrects A from 9 to 3 on day +5.
        judging.record_scores(
            s,
            challenge,
            [judging.ScoreLine("juri11", f"#{contest.entries['A']}", {"overall": "3"})],
            "t",
            now=later,
        )
        judging.record_indicators(
            s,
            challenge,
            [judging.IndicatorLine(f"#{contest.entries['B']}", {"captions": "1"})],
            "t",
            now=later,
        )
        v2 = registry.set_rubric(
            s,
            challenge,
            hw.RUBRIC.replace("weight = 0.5\ncorrection", "weight = 0.6\ncorrection").replace(
                'source = "metrics"\nweight = 0.3', 'source = "metrics"\nweight = 0.2'
            ),
            "t",
        )
        v2.created_at = later
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        before = boards.build_board(s, challenge, later - timedelta(seconds=1))
        after = boards.build_board(s, challenge, later)
        heads = s.scalars(select(JudgeScore).where(JudgeScore.supersedes_id.is_not(None))).all()
    assert before.rubric_version.version == 1 and after.rubric_version.version == 2
    a_before = before.board.row(contest.entries["A"]).criterion("creativity").creativity
    a_after = after.board.row(contest.entries["A"]).criterion("creativity").creativity
    assert a_before is not None and a_after is not None
    assert {c.raw for c in a_before.scorecards} == {9.0}
    assert {c.raw for c in a_after.scorecards} == {3.0}
    assert len(heads) == 1 and heads[0].score == 3.0
    assert before.board.row(contest.entries["B"]).criterion("other").score == 25.0
    assert after.board.row(contest.entries["B"]).criterion("other").score == 75.0
    assert dict(after.board.weights)["creativity"] == 0.6


def test_freeze_publish_and_verify(app: App) -> None:
    contest = load_handworked(app)
    frozen_at = CLOSES + timedelta(days=3)
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        with pytest.raises(BadInput, match="only after the close"):
            boards.freeze(s, challenge, "t", now=CLOSES - timedelta(hours=1))
        with pytest.raises(BadInput, match="freeze its board before publishing"):
            boards.publish(s, challenge, "t", now=frozen_at)
        row = boards.freeze(s, challenge, "committee:ani", now=frozen_at)
        assert challenge.status is ChallengeStatus.FROZEN
        assert row.inputs_sha256 == row.board["inputs_sha256"]
        assert [r["rank"] for r in row.board["rows"]][:4] == [1, 2, 3, 4]
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        result = boards.verify(s, challenge)
        assert result.ok and result.differences == ()
        # Later events do not disturb the frozen board: more snapshots after the close, a new
        # score after the freeze, a disqualification after the freeze.
        s.add(
            MetricSnapshot(
                entry_id=contest.entries["C"],
                collected_at=CLOSES + timedelta(days=9),
                views=1,
                source=MetricSource.API,
            )
        )
        judging.record_scores(
            s,
            challenge,
            [judging.ScoreLine("juri12", f"#{contest.entries['C']}", {"overall": "10"})],
            "t",
            now=frozen_at + timedelta(days=1),
        )
        boards.disqualify(
            s,
            challenge,
            f"#{contest.entries['A']}",
            "duplicate entry",
            "committee:ani",
            now=frozen_at + timedelta(days=1),
        )
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        assert boards.verify(s, challenge).ok
        # The board now (after the disqualification) no longer places A.
        now_board = boards.build_board(s, challenge, frozen_at + timedelta(days=2)).board
        assert now_board.row(contest.entries["A"]).unranked_reason == "disqualified"
        # A manual snapshot written afterwards but dated at the cutoff (it wins over the API one
        # of the same time) changes the inputs:
        # verification says so and names the entries whose place moved.
        s.add(
            MetricSnapshot(
                entry_id=contest.entries["B"],
                collected_at=day(17),
                views=10**6,
                likes=10**5,
                comments=10**4,
                source=MetricSource.MANUAL,
            )
        )
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        result = boards.verify(s, challenge)
        assert not result.same_inputs and not result.ok
        assert any(f"entry {contest.entries['B']}:" in d for d in result.differences)
        boards.publish(s, challenge, "committee:ani", now=frozen_at + timedelta(days=4))
        assert challenge.status is ChallengeStatus.PUBLISHED
        with pytest.raises(BadInput, match="already published"):
            boards.freeze(s, challenge, "t", now=frozen_at + timedelta(days=5))
        frozen = s.scalars(select(FrozenBoard)).one()
        assert frozen.published_at is not None and frozen.frozen_by == "committee:ani"
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert "board.freeze" in actions and "board.publish" in actions
        assert "entry.disqualify" in actions


def test_disqualification_is_dated(app: App) -> None:
    contest = load_handworked(app)
    when = CLOSES + timedelta(days=2)
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        with pytest.raises(BadInput, match="needs a reason"):
            boards.disqualify(s, challenge, f"#{contest.entries['D']}", "  ", "t", now=when)
        boards.disqualify(s, challenge, f"#{contest.entries['D']}", "bought views", "t", now=when)
        entry = s.get(Entry, contest.entries["D"])
        assert entry is not None and entry.status is EntryStatus.DISQUALIFIED
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "entry.disqualify")).one()
        assert audit.details == {"reason": "bought views", "url": entry.canonical_url}
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        before = boards.build_board(s, challenge, when - timedelta(seconds=1)).board
        after = boards.build_board(s, challenge, when).board
        assert before.row(contest.entries["D"]).rank == 1
        assert after.row(contest.entries["D"]).unranked_reason == "disqualified"
        assert after.row(contest.entries["A"]).rank == 1
        boards.reinstate(
            s,
            challenge,
            f"#{contest.entries['D']}",
            "appeal upheld",
            "t",
            now=when + timedelta(days=1),
        )
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        again = boards.build_board(s, challenge, when + timedelta(days=1)).board
        assert again.row(contest.entries["D"]).rank == 1
        assert boards.build_board(s, challenge, when).board.row(contest.entries["D"]).rank is None


def test_entries_registered_after_as_of_are_not_on_the_board(app: App) -> None:
    contest = load_handworked(app)
    with app.transaction() as s:
        s.execute(update(Entry).where(Entry.id == contest.entries["C"]).values(created_at=day(20)))
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        early = boards.build_board(s, challenge, day(19)).board
        late = boards.build_board(s, challenge, day(21)).board
    assert contest.entries["C"] not in {r.entry_id for r in early.rows}
    assert contest.entries["C"] in {r.entry_id for r in late.rows}


def test_scores_dated_before_their_entry_do_not_break_an_earlier_board(app: App) -> None:
    """A score or indicator row stamped before its entry's registration (clocks differ, rows
    imported later) belongs to an entry not yet on the board: it is left out, not an error."""
    contest = load_handworked(app)
    c = contest.entries["C"]
    with app.transaction() as s:
        s.execute(update(Entry).where(Entry.id == c).values(created_at=day(20)))
        s.execute(update(JudgeScore).where(JudgeScore.entry_id == c).values(created_at=day(10)))
        scored = len(s.scalars(select(JudgeScore.id).where(JudgeScore.entry_id == c)).all())
        s.add(
            IndicatorValue(
                challenge_id=contest.challenge_id,
                entry_id=c,
                indicator="call_to_action",
                value=5.0,
                created_at=day(10),
                set_by="test",
            )
        )
    assert scored > 0
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        early = boards.build_board(s, challenge, day(19)).board
        late = boards.build_board(s, challenge, day(21)).board
    assert c not in {r.entry_id for r in early.rows}
    row = late.row(c)
    creativity = row.criterion("creativity").creativity
    assert creativity is not None and creativity.corrected is not None


def test_score_files_are_all_or_nothing(app: App, tmp_path: Path) -> None:
    contest = load_handworked(app)
    a, b = contest.entries["A"], contest.entries["B"]
    good = tmp_path / "good.csv"
    good.write_text(
        f"juri;url;overall;komentar\njuri11;#{a};7;bagus\njuri12;#{b};6,5;\n", encoding="utf-8"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"judge,url,overall\njuri11,#{a},7\nnobody,#{a},5\njuri12,#{b},11\njuri12,https://www.instagram.com/reel/DXyzXyzXyzA/,5\n",
        encoding="utf-8",
    )
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        count = s.query(JudgeScore).count()
        with pytest.raises(RowErrors) as info:
            judging.record_scores(
                s, challenge, judging.read_score_file(bad, ["overall"]), "t", source=str(bad)
            )
        lines = [p.line for p in info.value.problems]
        assert lines == [3, 4, 5]
        assert "no such user" in info.value.problems[0].message
        assert "outside 1..10" in info.value.problems[1].message
        assert "not an entry" in info.value.problems[2].message
        assert s.query(JudgeScore).count() == count
        written = judging.record_scores(
            s, challenge, judging.read_score_file(good, ["overall"]), "t", source=str(good)
        )
        assert written == 2
        rows = s.scalars(select(JudgeScore).order_by(JudgeScore.id.desc()).limit(2)).all()
        assert {(r.entry_id, r.score, r.comment) for r in rows} == {
            (a, 7.0, "bagus"),
            (b, 6.5, None),
        }
        assert all(r.supersedes_id is not None for r in rows)


def test_indicator_values_are_checked_against_the_anchors(app: App) -> None:
    contest = load_handworked(app)
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        n = s.query(IndicatorValue).count()
        with pytest.raises(BadInput, match="outside its anchors"):
            judging.record_indicators(
                s,
                challenge,
                [judging.IndicatorLine(f"#{contest.entries['A']}", {"captions": "2"})],
                "t",
            )
        with pytest.raises(BadInput, match="unknown indicator 'colour'"):
            judging.record_indicators(
                s,
                challenge,
                [judging.IndicatorLine(f"#{contest.entries['A']}", {"colour": "1"})],
                "t",
            )
        judging.record_indicators(
            s,
            challenge,
            [judging.IndicatorLine(f"#{contest.entries['A']}", {"call_to_action": "unknown"})],
            "t",
        )
        assert s.query(IndicatorValue).count() == n + 1
        last = s.scalars(select(IndicatorValue).order_by(IndicatorValue.id.desc())).first()
        assert last is not None and last.value is None


def test_the_demo_has_judges_scores_and_indicators(app: App) -> None:
    from services.demo import seed_demo

    with app.transaction() as s:
        result = seed_demo(s, app.token_box)
        challenge = result.challenge
        view = boards.build_board(s, challenge)
    judging_summary = view.board.judging
    assert judging_summary is not None
    calibrated = [j for j in judging_summary.judges if j.calibrated]
    assert len(calibrated) == 4 and judging_summary.groups == 1
    # The lenient demo judge's offset is the largest, the strict one's the smallest.
    offsets = sorted(calibrated, key=lambda j: j.offset)
    assert offsets[-1].offset - offsets[0].offset > 2
    rows = view.board.rows
    assert all(r.criterion("creativity").score is not None for r in rows)
    assert all(r.criterion("other").score is not None for r in rows)
    conflicts = [r.criterion("creativity").creativity for r in rows]
    assert any(c is not None and c.conflicted_judges for c in conflicts)
    assert ("demo-juri-1", "demo-reelboard") in result.users


def test_verify_ignores_floating_point_noise_but_not_a_change(app: App) -> None:
    """A board frozen on another machine (other CPU, numpy or BLAS build) differs from its
    recomputation in the last bits of fitted values only: that is still the same board. A
    difference in the 10th significant digit is not noise."""
    contest = load_handworked(app)
    with app.transaction() as s:
        boards.freeze(s, challenge_of(s, contest), "committee:ani", now=CLOSES + timedelta(days=3))

    def touch_offset(factor: float) -> None:
        with app.transaction() as s:
            frozen = q.latest_frozen_board(s, challenge_of(s, contest).id)
            assert frozen is not None
            board = json.loads(json.dumps(frozen.board))
            judge = next(j for j in board["judging"]["judges"] if j["offset"] not in (0, 0.0))
            judge["offset"] *= factor
            frozen.board = board

    touch_offset(1 + 2**-50)  # a few units in the last place
    with app.transaction() as s:
        result = boards.verify(s, challenge_of(s, contest))
        assert result.ok and result.same_board
    touch_offset(1 + 1e-6)
    with app.transaction() as s:
        result = boards.verify(s, challenge_of(s, contest))
        assert result.same_inputs and not result.same_board and not result.ok
