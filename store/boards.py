"""The queries that feed a board, as of one time, on SQLite and PostgreSQL.

Every query reads only rows stamped at or before ``as_of`` so any past board can be reproduced.
The per-entry work is done by the database: "the latest snapshot of each entry at or before its
own cutoff" is one correlated top-1 lookup per entry on the (entry_id, collected_at, source)
unique index, with the cutoff ``min(posted_at + window, close, as_of)`` computed in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from store.models import (
    AccountSnapshot,
    AuditLog,
    Entry,
    FrozenBoard,
    IndicatorValue,
    JudgeAssignment,
    JudgeScore,
    Library,
    MetricSnapshot,
    RubricVersion,
    User,
)
from store.types import UTCDateTime

__all__ = [
    "DISQUALIFY",
    "REINSTATE",
    "board_entries",
    "chosen_snapshots",
    "effective_indicators",
    "effective_judge_scores",
    "followers_at_posting",
    "frozen_boards",
    "judge_assignments",
    "judge_score_heads",
    "latest_frozen_board",
    "rubric_in_force",
    "snapshot_series",
    "usernames",
]

# Audit actions that change whether an entry competes; a board as of T reads them up to T.
DISQUALIFY = "entry.disqualify"
REINSTATE = "entry.reinstate"


class plus_days(FunctionElement[datetime]):
    """``when + days`` days, for a timestamp column and an integer (bound) number of days."""

    type = UTCDateTime()
    name = "plus_days"
    inherit_cache = True


@compiles(plus_days, "postgresql")
def _plus_days_pg(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    when, days = list(element.clauses)
    return (
        f"({compiler.process(when, **kw)} + make_interval(days => "
        f"CAST({compiler.process(days, **kw)} AS INTEGER)))"
    )


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UTC times as text 'YYYY-MM-DD HH:MM:SS.ffffff'. Its date functions work in
    # milliseconds (they would round .999999 up to the next second), so shift the whole seconds
    # only and put the original fraction back: the result compares as text with stored times
    # exactly.
    when_clause, days_clause = list(element.clauses)
    when = compiler.process(when_clause, **kw)
    days = compiler.process(days_clause, **kw)
    modifier = f"(CASE WHEN {days} >= 0 THEN '+' ELSE '' END || {days} || ' days')"
    return (
        f"(strftime('%Y-%m-%d %H:%M:%S', substr({when}, 1, 19), {modifier}) || substr({when}, 20))"
    )


class least(FunctionElement[datetime]):
    """The smallest of its (non-null) arguments: LEAST on PostgreSQL, min() on SQLite."""

    type = UTCDateTime()
    name = "least"
    inherit_cache = True


@compiles(least, "postgresql")
def _least_pg(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


def _rows(session: Session, stmt: Any) -> Sequence[Any]:
    """Rows of a column query through the Core connection (no ORM result machinery: a board
    reads up to millions of rows)."""
    rows: Sequence[Any] = session.connection().execute(stmt).all()
    return rows


def _fast_time(session: Session, column: Any) -> Any:
    """A timestamp column read as the driver gives it on PostgreSQL (already aware), skipping
    the per-value conversion; SQLite needs the conversion (it stores naive text)."""
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(column, DateTime(timezone=True)).label(column.key)
    return column


def _time(name: str, value: datetime) -> ColumnElement[datetime]:
    return bindparam(name, value, type_=UTCDateTime())


def cutoff_expression(
    window_days: int | None, closes_at: datetime, as_of: datetime
) -> ColumnElement[datetime]:
    """``min(entry.posted_at + window_days, close, as_of)`` as SQL (no window: close, as_of)."""
    close, now = _time("closes_at", closes_at), _time("as_of", as_of)
    if window_days is None:
        return least(close, now)
    return least(
        plus_days(Entry.posted_at, bindparam("window_days", window_days, type_=Integer())),
        close,
        now,
    )


def rubric_in_force(session: Session, challenge_id: int, as_of: datetime) -> RubricVersion | None:
    """The newest rubric version created at or before ``as_of`` (else the first version)."""
    newest = session.scalars(
        select(RubricVersion)
        .where(RubricVersion.challenge_id == challenge_id, RubricVersion.created_at <= as_of)
        .order_by(RubricVersion.version.desc())
        .limit(1)
    ).first()
    if newest is not None:
        return newest
    return session.scalars(
        select(RubricVersion)
        .where(RubricVersion.challenge_id == challenge_id)
        .order_by(RubricVersion.version)
        .limit(1)
    ).first()


def board_entries(session: Session, challenge_id: int, as_of: datetime) -> list[tuple[Any, ...]]:
    """The entries registered at or before ``as_of``, with their library and status as of then.

    Rows: (id, platform, tier, province, library name, posted_at, status, status_reason, url,
    pillar, title, account_id, library timezone). The status is read as of ``as_of``: an entry
    disqualified later is still competing then, one reinstated later is still disqualified.
    """
    audit_at = aliased(AuditLog)
    last_change = (
        select(audit_at.id)
        .where(
            audit_at.target_type == "entry",
            audit_at.target_id == cast(Entry.id, String),
            audit_at.action.in_((DISQUALIFY, REINSTATE)),
            audit_at.at <= _time("as_of", as_of),
        )
        .order_by(audit_at.at.desc(), audit_at.id.desc())
        .limit(1)
        .correlate(Entry)
        .scalar_subquery()
    )
    audit_any = aliased(AuditLog)
    any_change = (
        exists()
        .where(
            audit_any.target_type == "entry",
            audit_any.target_id == cast(Entry.id, String),
            audit_any.action.in_((DISQUALIFY, REINSTATE)),
        )
        .correlate(Entry)
    )
    stmt = (
        select(
            Entry.id,
            Entry.platform,
            Library.tier,
            Library.province,
            Library.name,
            Entry.posted_at,
            Entry.status,
            Entry.status_reason,
            Entry.canonical_url,
            Entry.pillar,
            Entry.title,
            Entry.account_id,
            Library.timezone,
            last_change.label("last_change"),
            any_change.label("any_change"),
        )
        .join(Library, Library.id == Entry.library_id)
        .where(Entry.challenge_id == challenge_id, Entry.created_at <= _time("as_of", as_of))
        .order_by(Entry.id)
    )
    rows: list[tuple[Any, ...]] = [tuple(r) for r in _rows(session, stmt)]
    change_ids = [r[-2] for r in rows if r[-2] is not None]
    changes: dict[int, tuple[str, Any]] = {}
    if change_ids:
        found = session.execute(
            select(AuditLog.id, AuditLog.action, AuditLog.details).where(
                AuditLog.id.in_(change_ids)
            )
        ).all()
        changes = {rec[0]: (rec[1], rec[2]) for rec in found}
    out: list[tuple[Any, ...]] = []
    for row in rows:
        fields = list(row[:-2])
        last, changed = row[-2], row[-1]
        if changed:
            # Dated by the audit log: the status as of then, with the reason given then.
            action, details = changes.get(last, (None, None)) if last is not None else (None, None)
            if action == DISQUALIFY:
                fields[6] = "disqualified"
                fields[7] = (details or {}).get("reason")
            elif str(fields[6]) == "disqualified":
                fields[6] = "active"
                fields[7] = None
        fields[6] = str(fields[6])
        out.append(tuple(fields))
    return out


def _chosen_id(window_days: int | None, closes_at: datetime, as_of: datetime) -> ColumnElement[int]:
    """Per entry (correlated): the id of its latest snapshot at or before its cutoff.

    ``(collected_at, source)`` is unique per entry, so the unique index alone orders the
    candidates: one short backward index scan per entry.
    """
    cut = cutoff_expression(window_days, closes_at, as_of)
    snap = aliased(MetricSnapshot)
    return (
        select(snap.id)
        .where(snap.entry_id == Entry.id, snap.collected_at <= cut)
        .order_by(snap.collected_at.desc(), snap.source.desc())
        .limit(1)
        .correlate(Entry)
        .scalar_subquery()
    )


SNAPSHOT_COLUMNS = (
    MetricSnapshot.id,
    MetricSnapshot.entry_id,
    MetricSnapshot.collected_at,
    MetricSnapshot.views,
    MetricSnapshot.likes,
    MetricSnapshot.comments,
    MetricSnapshot.shares,
    MetricSnapshot.saves,
    MetricSnapshot.reach,
    MetricSnapshot.source,
)


def chosen_snapshots(
    session: Session,
    challenge_id: int,
    window_days: int | None,
    closes_at: datetime,
    as_of: datetime,
) -> Sequence[tuple[Any, ...]]:
    """Each posted entry's latest snapshot at or before its cutoff (none if it has none).

    At the same ``collected_at`` a manual snapshot wins over an API one, then the higher id,
    as :func:`scoring.inputs.select_snapshots` does. Rows: (id, entry_id, collected_at, views,
    likes, comments, shares, saves, reach, source).
    """
    entry_filter = (
        Entry.challenge_id == challenge_id,
        Entry.posted_at.is_not(None),
        Entry.posted_at <= _time("as_of", as_of),
        Entry.created_at <= _time("as_of", as_of),
    )
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # A LATERAL top-1 per entry: PostgreSQL would plan the portable form below as a hash
        # join over the whole snapshot table.
        cut = cutoff_expression(window_days, closes_at, as_of)
        snap = aliased(MetricSnapshot)
        cols = [getattr(snap, c.key) for c in SNAPSHOT_COLUMNS]
        cols[2] = _fast_time(session, snap.collected_at)
        top = (
            select(*cols)
            .where(snap.entry_id == Entry.id, snap.collected_at <= cut)
            .order_by(snap.collected_at.desc(), snap.source.desc())
            .limit(1)
            .lateral("chosen")
        )
        stmt = select(top).select_from(Entry).join(top, true()).where(*entry_filter)
        return _rows(session, stmt)
    # Portable form: the chosen ids as a set; SQLite looks each row up by its rowid.
    chosen = select(_chosen_id(window_days, closes_at, as_of)).where(*entry_filter)
    stmt = select(*SNAPSHOT_COLUMNS).where(MetricSnapshot.id.in_(chosen.scalar_subquery()))
    return _rows(session, stmt)


SERIES_COLUMNS = (
    MetricSnapshot.id,
    MetricSnapshot.entry_id,
    MetricSnapshot.collected_at,
    MetricSnapshot.views,
    MetricSnapshot.source,
)


def snapshot_series(
    session: Session,
    challenge_id: int,
    window_days: int | None,
    closes_at: datetime,
    as_of: datetime,
    days: int | None = None,
) -> Sequence[tuple[Any, ...]]:
    """Each posted entry's view counts at or before its cutoff (only the last ``days`` days of
    them when given), for the view-increment integrity check.

    Rows: (id, entry_id, collected_at, views, source).
    """
    entry_filter = (
        Entry.challenge_id == challenge_id,
        Entry.posted_at.is_not(None),
        Entry.posted_at <= _time("as_of", as_of),
        Entry.created_at <= _time("as_of", as_of),
    )
    cut = cutoff_expression(window_days, closes_at, as_of)
    if session.get_bind().dialect.name == "postgresql":
        # One index range scan per entry (a plain join is planned as a scan of the table).
        snap = aliased(MetricSnapshot)
        conditions = [snap.entry_id == Entry.id, snap.collected_at <= cut]
        if days is not None:
            start = plus_days(cut, bindparam("minus_days", -days, type_=Integer()))
            conditions.append(snap.collected_at > start)
        cols = [getattr(snap, c.key) for c in SERIES_COLUMNS]
        cols[2] = _fast_time(session, snap.collected_at)
        rows = (
            select(*cols)
            .where(*conditions)
            .offset(0)  # keeps the planner from flattening it into a join over the table
            .lateral("series")
        )
        stmt = select(rows).select_from(Entry).join(rows, true()).where(*entry_filter)
        return _rows(session, stmt)
    cuts = select(Entry.id.label("entry_id"), cut.label("t")).where(*entry_filter).subquery()
    join_on = [MetricSnapshot.entry_id == cuts.c.entry_id, MetricSnapshot.collected_at <= cuts.c.t]
    if days is not None:
        start = plus_days(cuts.c.t, bindparam("minus_days", -days, type_=Integer()))
        join_on.append(MetricSnapshot.collected_at > start)
    stmt = select(*SERIES_COLUMNS).join(cuts, and_(*join_on))
    return _rows(session, stmt)


def followers_at_posting(
    session: Session, challenge_id: int, as_of: datetime
) -> Sequence[tuple[int, int | None, datetime | None]]:
    """(entry id, followers, collected_at) of each entry's account at its posting time.

    The latest account snapshot with a follower count at or before ``posted_at``; when there is
    none, the first one after it (collected at or before ``as_of``).
    """
    before_s = aliased(AccountSnapshot)
    before = (
        select(before_s.collected_at)
        .where(
            before_s.account_id == Entry.account_id,
            before_s.collected_at <= Entry.posted_at,
            before_s.collected_at <= _time("as_of", as_of),
            before_s.followers.is_not(None),
        )
        .order_by(before_s.collected_at.desc())
        .limit(1)
        .correlate(Entry)
        .scalar_subquery()
    )
    after_s = aliased(AccountSnapshot)
    after = (
        select(after_s.collected_at)
        .where(
            after_s.account_id == Entry.account_id,
            after_s.collected_at > Entry.posted_at,
            after_s.collected_at <= _time("as_of", as_of),
            after_s.followers.is_not(None),
        )
        .order_by(after_s.collected_at)
        .limit(1)
        .correlate(Entry)
        .scalar_subquery()
    )
    picked = (
        select(
            Entry.id.label("entry_id"),
            Entry.account_id.label("account_id"),
            func.coalesce(before, after).label("at"),
        )
        .where(
            Entry.challenge_id == challenge_id,
            Entry.account_id.is_not(None),
            Entry.posted_at.is_not(None),
            Entry.created_at <= _time("as_of", as_of),
        )
        .subquery()
    )
    stmt = select(picked.c.entry_id, AccountSnapshot.followers, AccountSnapshot.collected_at).join(
        AccountSnapshot,
        and_(
            AccountSnapshot.account_id == picked.c.account_id,
            AccountSnapshot.collected_at == picked.c.at,
        ),
    )
    return _rows(session, stmt)


def effective_judge_scores(
    session: Session, challenge_id: int, as_of: datetime
) -> Sequence[tuple[int, int, int, str, float | None, bool]]:
    """The judge score rows in force at ``as_of``: (id, entry_id, judge_id, criterion, score,
    conflict).

    A row is in force when it was written at or before ``as_of``, no row written by then
    supersedes it, and it is the newest such row of its (entry, judge, criterion).
    """
    # The rows superseded by then, as one uncorrelated set (supersedes_id has no index of its
    # own; a correlated lookup would scan the table once per row).
    correction = aliased(JudgeScore)
    superseded = JudgeScore.id.in_(
        select(correction.supersedes_id).where(
            correction.challenge_id == challenge_id,
            correction.supersedes_id.is_not(None),
            correction.created_at <= _time("as_of", as_of),
        )
    )
    where = (
        JudgeScore.challenge_id == challenge_id,
        JudgeScore.created_at <= _time("as_of", as_of),
        # Only entries on the board at ``as_of`` (a row's clock may run ahead of its entry's).
        Entry.created_at <= _time("as_of", as_of),
        ~superseded,
    )
    columns = (
        JudgeScore.id,
        JudgeScore.entry_id,
        JudgeScore.judge_id,
        JudgeScore.criterion,
        JudgeScore.score,
        JudgeScore.conflict,
    )
    group = (JudgeScore.entry_id, JudgeScore.judge_id, JudgeScore.criterion)
    newest_first = (JudgeScore.created_at.desc(), JudgeScore.id.desc())
    if session.get_bind().dialect.name == "postgresql":
        # DISTINCT ON keeps the first row of each group after one sort (cheaper than numbering
        # every row with a window and filtering).
        return _rows(
            session,
            select(*columns)
            .join(Entry, Entry.id == JudgeScore.entry_id)
            .where(*where)
            .ext(distinct_on(*group))
            .order_by(*group, *newest_first),
        )
    # Newest first within each (entry, judge, criterion): one sort instead of a probe per row.
    newest = func.row_number().over(partition_by=group, order_by=newest_first).label("newest")
    ranked = (
        select(*columns, newest)
        .join(Entry, Entry.id == JudgeScore.entry_id)
        .where(*where)
        .subquery()
    )
    stmt = select(
        ranked.c.id,
        ranked.c.entry_id,
        ranked.c.judge_id,
        ranked.c.criterion,
        ranked.c.score,
        ranked.c.conflict,
    ).where(ranked.c.newest == 1)
    return _rows(session, stmt)


def effective_indicators(
    session: Session, challenge_id: int, as_of: datetime
) -> Sequence[tuple[int, str, float | None]]:
    """The newest value of each (entry, indicator) written at or before ``as_of``."""
    newest = (
        func.row_number()
        .over(
            partition_by=(IndicatorValue.entry_id, IndicatorValue.indicator),
            order_by=(IndicatorValue.created_at.desc(), IndicatorValue.id.desc()),
        )
        .label("newest")
    )
    ranked = (
        select(IndicatorValue.entry_id, IndicatorValue.indicator, IndicatorValue.value, newest)
        .join(Entry, Entry.id == IndicatorValue.entry_id)
        .where(
            IndicatorValue.challenge_id == challenge_id,
            IndicatorValue.created_at <= _time("as_of", as_of),
            Entry.created_at <= _time("as_of", as_of),
        )
        .subquery()
    )
    stmt = select(ranked.c.entry_id, ranked.c.indicator, ranked.c.value).where(ranked.c.newest == 1)
    return _rows(session, stmt)


def judge_assignments(session: Session, challenge_id: int) -> set[tuple[int, int]]:
    """(entry id, judge id) pairs assigned in a challenge (empty: no assignments made)."""
    rows = session.execute(
        select(JudgeAssignment.entry_id, JudgeAssignment.judge_id).where(
            JudgeAssignment.challenge_id == challenge_id
        )
    )
    return set(rows)


def judge_score_heads(session: Session, challenge_id: int) -> dict[tuple[int, int, str], int]:
    """The newest judge-score row id of each (entry, judge, criterion): what a new score of the
    same key supersedes."""
    newer = aliased(JudgeScore)
    later = exists().where(
        newer.challenge_id == JudgeScore.challenge_id,
        newer.entry_id == JudgeScore.entry_id,
        newer.judge_id == JudgeScore.judge_id,
        newer.criterion == JudgeScore.criterion,
        or_(
            newer.created_at > JudgeScore.created_at,
            and_(newer.created_at == JudgeScore.created_at, newer.id > JudgeScore.id),
        ),
    )
    rows = session.execute(
        select(JudgeScore.entry_id, JudgeScore.judge_id, JudgeScore.criterion, JudgeScore.id).where(
            JudgeScore.challenge_id == challenge_id, ~later
        )
    )
    return {(e, j, c): i for e, j, c, i in rows}


def usernames(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()
    return {uid: name for uid, name in rows}


def latest_frozen_board(session: Session, challenge_id: int) -> FrozenBoard | None:
    return session.scalars(
        select(FrozenBoard)
        .where(FrozenBoard.challenge_id == challenge_id)
        .order_by(FrozenBoard.frozen_at.desc(), FrozenBoard.id.desc())
        .limit(1)
    ).first()


def frozen_boards(session: Session, challenge_id: int) -> Sequence[FrozenBoard]:
    return session.scalars(
        select(FrozenBoard)
        .where(FrozenBoard.challenge_id == challenge_id)
        .order_by(FrozenBoard.frozen_at, FrozenBoard.id)
    ).all()
