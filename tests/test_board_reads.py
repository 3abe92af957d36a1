"""How a board's inputs are read: concurrently on PostgreSQL when that reads the same rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from services import boards, judging
from services.app import App
from store import boards as q
from store.db import make_engine
from store.enums import EntryStatus
from store.models import Entry
from tests.test_boards import CLOSES, challenge_of, load_handworked

AS_OF = CLOSES + timedelta(days=3)


@pytest.fixture
def shared_snapshots(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, for each board read, whether it took the concurrent (shared snapshot) path."""
    taken: list[bool] = []
    real = q._shared_snapshot

    def spy(session: Any, workers: int) -> Any:
        got = real(session, workers)
        taken.append(got is not None)
        return got

    monkeypatch.setattr(q, "_shared_snapshot", spy)
    return taken


def _checked_out(app: App) -> int:
    return int(getattr(app.engine.pool, "checkedout", lambda: 0)())


def test_concurrent_and_sequential_reads_give_the_same_inputs(
    app: App, monkeypatch: pytest.MonkeyPatch, shared_snapshots: list[bool]
) -> None:
    contest = load_handworked(app)
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        monkeypatch.setattr(q, "BOARD_WORKERS", 1)
        _, _, sequential, tz_seq = boards.load_inputs(s, challenge, AS_OF, series_days=2)
        monkeypatch.setattr(q, "BOARD_WORKERS", 2)
        before = _checked_out(app)
        _, _, concurrent, tz_conc = boards.load_inputs(s, challenge, AS_OF, series_days=2)
        assert _checked_out(app) == before  # the extra connections went back to the pool
    assert concurrent == sequential and tz_conc == tz_seq
    assert sequential.entries and sequential.snapshots and sequential.judge_scores
    assert sequential.series and sequential.followers and sequential.indicators
    for e in concurrent.entries:
        assert type(e.platform) is str and type(e.status) is str
        assert e.posted_at is None or e.posted_at.tzinfo is UTC
    assert all(s.collected_at.tzinfo is UTC and type(s.source) is str for s in concurrent.series)
    assert all(type(j.score) is float for j in concurrent.judge_scores)
    is_pg = app.engine.dialect.name == "postgresql"
    assert shared_snapshots == [is_pg]  # one sequential read does not try


def test_uncommitted_writes_are_read_on_the_sessions_own_connection(
    app: App, shared_snapshots: list[bool]
) -> None:
    contest = load_handworked(app)
    a = contest.entries["A"]
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        boards.disqualify(s, challenge, "#" + str(a), "copied", "committee:ani", now=AS_OF)
        _, _, inputs, _ = boards.load_inputs(s, challenge, AS_OF + timedelta(seconds=1))
        assert {e.entry_id: e.status for e in inputs.entries}[a] == "disqualified"
        s.rollback()
    # A pending (unflushed) change also keeps the read on the session's connection.
    with app.transaction() as s, s.no_autoflush:
        entry = s.scalars(select(Entry).where(Entry.id == a)).one()
        entry.status = EntryStatus.UNAVAILABLE
        assert q.read_all(s, [lambda r: 1, lambda r: 2], workers=2) == [1, 2]
    assert shared_snapshots == [False, False]


def test_a_failing_read_raises_and_releases_its_connections(app: App) -> None:
    load_handworked(app)

    def fails(reader: q.Reader) -> None:
        raise RuntimeError("boom")

    with app.transaction() as s:
        s.connection()
        before = _checked_out(app)
        with pytest.raises(RuntimeError, match="boom"):
            q.read_all(s, [lambda r: r.rows(select(Entry.id)), fails], workers=2)
        assert _checked_out(app) == before


def test_the_fast_path_refuses_naive_times(app: App) -> None:
    with app.transaction() as s, q.session_reader(s) as reader:
        naive = datetime(2025, 1, 1)
        with pytest.raises((ValueError, StatementError), match="naive datetime"):
            q.board_entries(reader, 1, naive)


def test_a_full_pool_keeps_the_read_on_the_sessions_connection(
    app: App, shared_snapshots: list[bool]
) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("concurrent reads are a PostgreSQL path")
    engine = make_engine(app.settings.database_url, pool_size=1, max_overflow=0)
    try:
        with Session(engine) as s, s.begin():
            assert q.read_all(s, [lambda r: r.rows(select(Entry.id)), lambda r: 2]) == [[], 2]
        assert shared_snapshots == [False]
    finally:
        engine.dispose()


def test_judge_score_columns_are_the_rows_in_force(app: App) -> None:
    """The columnar read of the judge scores holds exactly the rows the row read gives, aligned
    column by column, before and after a correction; with nothing in force it is empty."""
    contest = load_handworked(app)
    judge = sorted(contest.judges)[0]
    corrected_at = CLOSES + timedelta(days=2)
    with app.transaction() as s:
        challenge = challenge_of(s, contest)
        before = q.effective_judge_scores(s, challenge.id, AS_OF)
        entry, _, item, score, _, _ = next(
            r for r in before if r[1] == contest.judges[judge] and r[3] is not None
        )
        assert score is not None
        line = judging.ScoreLine(judge, f"#{entry}", {item: str(score - 1)})
        judging.record_scores(s, challenge, [line], "t", now=corrected_at)
    with app.transaction() as s:
        for when in (corrected_at - timedelta(seconds=1), AS_OF):
            rows = q.effective_judge_scores(s, challenge.id, when)
            columns = q.effective_judge_score_columns(s, challenge.id, when)
            assert sorted(zip(*columns, strict=True)) == sorted(rows)
            assert any(r[5] for r in rows)  # the hand-worked contest's conflict is there
        now = {(r[0], r[1], r[2]): r[3] for r in rows}
        assert now[entry, contest.judges[judge], item] == score - 1
        assert q.effective_judge_score_columns(s, challenge.id, CLOSES) == ([],) * 6


def test_snapshot_series_columns_are_the_series_rows(app: App) -> None:
    """The columnar series read holds the row read's snapshots, times as exact microseconds."""
    contest = load_handworked(app)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    with app.transaction() as s:
        for days in (None, 2):
            rows = q.snapshot_series(s, contest.challenge_id, 14, CLOSES, AS_OF, days)
            ids, entries, micros, views, sources = q.snapshot_series_columns(
                s, contest.challenge_id, 14, CLOSES, AS_OF, days
            )
            assert rows and all(type(m) is int for m in micros)
            as_rows = zip(
                ids,
                entries,
                (epoch + timedelta(microseconds=m) for m in micros),
                views,
                sources,
                strict=True,
            )
            assert sorted(as_rows) == sorted(tuple(r) for r in rows)
        before = q.snapshot_series_columns(
            s, contest.challenge_id, 14, CLOSES, CLOSES - timedelta(days=90)
        )
        assert before == ([], [], [], [], [])


def test_the_pg_reader_sets_its_settings_for_the_read_and_restores_them(app: App) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("session settings of the PostgreSQL reader")

    def settings(s: Session) -> tuple[Any, ...]:
        names = ("work_mem", "TimeZone", "jit")
        return tuple(s.execute(select(*(func.current_setting(n) for n in names))).one())

    with app.transaction() as s:
        s.execute(text("SET LOCAL work_mem = '4MB'; SET LOCAL TimeZone = 'Asia/Makassar'"))
        s.execute(text("SET LOCAL jit = on"))
        before = settings(s)
        with q.session_reader(s):
            assert settings(s) == (q.BOARD_WORK_MEM, "UTC", "off")
        assert settings(s) == before == ("4MB", "Asia/Makassar", "on")
