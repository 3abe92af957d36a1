"""The queries that feed a board, as of one time, on SQLite and PostgreSQL.

Every query reads only rows stamped at or before ``as_of`` so any past board can be reproduced.
The per-entry work is done by the database: "the latest snapshot of each entry at or before its
own cutoff" is one correlated top-1 lookup per entry on the (entry_id, collected_at, source)
unique index, with the cutoff ``min(posted_at + window, close, as_of)`` computed in SQL.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Integer,
    Select,
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
from sqlalchemy.pool import NullPool, QueuePool
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
    "PgReader",
    "Reader",
    "board_entries",
    "chosen_snapshots",
    "effective_indicators",
    "effective_judge_score_columns",
    "effective_judge_scores",
    "followers_at_posting",
    "frozen_boards",
    "judge_assignments",
    "judge_score_heads",
    "latest_frozen_board",
    "read_all",
    "rubric_in_force",
    "session_reader",
    "snapshot_series",
    "snapshot_series_columns",
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


Row = tuple[Any, ...]

# The working memory of the board's read on PostgreSQL: the judge-score sort (one row per score,
# 120k at 10k entries) spills to disk with the 4MB default.
BOARD_WORK_MEM = "64MB"

# Extra connections (threads) reading a board on PostgreSQL; 1 reads on the session's alone.
BOARD_WORKERS = 2

# Bound values the PostgreSQL fast path passes to the driver itself (no SQLAlchemy processing).
_PLAIN_BIND_TYPES = (Integer, String, Boolean, UTCDateTime)


class Reader:
    """Runs the board's column queries on one connection, giving plain tuples.

    The portable reader goes through SQLAlchemy Core (SQLite keeps naive text times, which its
    result processing makes aware). On PostgreSQL :class:`PgReader` sends the compiled SQL to the
    driver's binary cursor: the values come back as the scoring code wants them (aware UTC times,
    str for enum columns, float scores) without a Python step per value.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect

    @property
    def postgresql(self) -> bool:
        return bool(self.dialect.name == "postgresql")

    def rows(self, stmt: Any) -> list[Row]:
        return [tuple(r) for r in self.connection.execute(stmt)]


def _driver_params(compiled: Any) -> dict[str, Any]:
    for bind in compiled.binds.values():
        if not isinstance(bind.type, _PLAIN_BIND_TYPES):
            raise TypeError(f"the fast path cannot bind a {bind.type!r} value ({bind.key})")
    params: dict[str, Any] = compiled.construct_params()
    for key, value in params.items():
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(
                    f"naive datetime {value!r} given to the store; times must be aware"
                )
            params[key] = value.astimezone(UTC)
    return params


class PgReader(Reader):
    """A :class:`Reader` on PostgreSQL reading through the driver connection's binary cursor.

    Entering it sets the transaction's ``work_mem``, ``TimeZone`` (UTC, so the driver gives
    ``datetime.UTC`` times as the store's UTCDateTime does) and ``jit`` (off: compiling the
    series query cost about 0.2 s and saved nothing); leaving it restores the values they had
    (``restore=False`` for a connection whose transaction ends with the read).
    """

    def __init__(self, connection: Connection, *, restore: bool = True) -> None:
        super().__init__(connection)
        self.driver: Any = connection.connection.driver_connection
        self._restore = restore
        self._saved: tuple[str, str, str] | None = None

    def __enter__(self) -> PgReader:
        with self.driver.cursor() as cur:
            if self._restore:
                cur.execute(
                    "SELECT current_setting('work_mem'), current_setting('TimeZone'), "
                    "current_setting('jit')"
                )
                self._saved = cur.fetchone()
            cur.execute(
                "SELECT set_config('work_mem', %s, true), set_config('TimeZone', 'UTC', true), "
                "set_config('jit', 'off', true)",
                (BOARD_WORK_MEM,),
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None and self.driver.info.transaction_status != _INERROR:
            with self.driver.cursor() as cur:
                cur.execute(
                    "SELECT set_config('work_mem', %s, true), set_config('TimeZone', %s, true), "
                    "set_config('jit', %s, true)",
                    self._saved,
                )
            self._saved = None

    def rows(self, stmt: Any) -> list[Row]:
        compiled = stmt.compile(dialect=self.dialect, compile_kwargs={"render_postcompile": True})
        with self.driver.cursor(binary=True) as cur:
            cur.execute(compiled.string, _driver_params(compiled))
            rows: list[Row] = cur.fetchall()
        return rows


_INERROR = 3  # psycopg's TransactionStatus.INERROR (the driver is imported lazily)

T = TypeVar("T")


@contextmanager
def session_reader(session: Session) -> Iterator[Reader]:
    """A reader on the session's own connection (its transaction), fast on PostgreSQL."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield Reader(connection)
        return
    with PgReader(connection) as reader:
        yield reader


def _spare_connections(engine: Engine, wanted: int) -> bool:
    """Whether the pool can lend ``wanted`` more connections without waiting for one."""
    pool = engine.pool
    if isinstance(pool, NullPool):
        return True
    if not isinstance(pool, QueuePool):
        return False  # e.g. a single shared connection
    max_overflow = int(getattr(pool, "_max_overflow", 0))
    if max_overflow < 0:
        return True
    return pool.checkedout() + wanted <= pool.size() + max_overflow


def _shared_snapshot(session: Session, workers: int) -> tuple[Engine, str] | None:
    """The transaction's exported snapshot, when other connections may read for it.

    Only when the transaction has written nothing (other connections cannot see uncommitted
    rows), the session has no pending changes, no savepoint is open and the pool has spare
    connections; else None.
    """
    if session.new or session.dirty or session.deleted or session.in_nested_transaction():
        return None
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return None
    if not _spare_connections(bind, workers):
        return None
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cur:
        cur.execute("SELECT pg_current_xact_id_if_assigned() IS NULL")
        row = cur.fetchone()
        if row is None or not row[0]:
            return None
        cur.execute("SELECT pg_export_snapshot()")
        exported = cur.fetchone()
    assert exported is not None
    return bind, str(exported[0])


def read_all(
    session: Session, jobs: Sequence[Callable[[Reader], T]], *, workers: int | None = None
) -> list[T]:
    """The results of ``jobs`` (each a function of a :class:`Reader`), in order.

    On PostgreSQL, when the session's transaction has written nothing, ``workers`` threads run
    them on extra connections of the same engine that import the transaction's snapshot: they
    read exactly what the session would, while the server works on one query and Python decodes
    another. Otherwise (SQLite, writes or pending changes, nested transaction, no spare
    connections, ``workers`` < 2; default :data:`BOARD_WORKERS`) they run one after another on
    the session's connection.
    """
    workers = BOARD_WORKERS if workers is None else workers
    shared = _shared_snapshot(session, workers) if workers > 1 and len(jobs) > 1 else None
    if shared is None:
        with session_reader(session) as reader:
            return [job(reader) for job in jobs]
    engine, snapshot = shared
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(len(jobs)):
        todo.put(i)

    def work() -> None:
        try:
            with engine.connect() as connection:
                try:
                    connection.exec_driver_sql(
                        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                    )
                    connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                    with PgReader(connection, restore=False) as reader:
                        while not errors:
                            try:
                                i = todo.get_nowait()
                            except queue.Empty:
                                break
                            results[i] = jobs[i](reader)
                finally:
                    connection.rollback()
        except BaseException as exc:  # handed to the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, name=f"board-read-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def _as_reader(db: Session | Reader) -> Reader:
    """The reader of ``db``: a session's reads go through its connection with SQLAlchemy Core."""
    return db if isinstance(db, Reader) else Reader(db.connection())


def _fast_time(reader: Reader, column: Any) -> Any:
    """A timestamp column read as the driver gives it on PostgreSQL (already aware), skipping
    the per-value conversion; SQLite needs the conversion (it stores naive text)."""
    if reader.postgresql:
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


def board_entries(db: Session | Reader, challenge_id: int, as_of: datetime) -> list[Row]:
    """The entries registered at or before ``as_of``, with their library and status as of then.

    Rows: (id, platform, tier, province, library name, posted_at, status, status_reason, url,
    pillar, title, library timezone), the enum columns as plain str; the first eleven are the
    fields of :class:`scoring.inputs.EntryInput`. The status is read as of ``as_of``: an entry
    disqualified later is still competing then, one reinstated later is still disqualified.
    """
    reader = _as_reader(db)
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
            Library.timezone,
            last_change.label("last_change"),
            any_change.label("any_change"),
        )
        .join(Library, Library.id == Entry.library_id)
        .where(Entry.challenge_id == challenge_id, Entry.created_at <= _time("as_of", as_of))
        .order_by(Entry.id)
    )
    rows = reader.rows(stmt)
    change_ids = [r[-2] for r in rows if r[-2] is not None]
    changes: dict[int, tuple[str, Any]] = {}
    if change_ids:
        found = reader.rows(
            select(AuditLog.id, AuditLog.action, AuditLog.details).where(
                AuditLog.id.in_(change_ids)
            )
        )
        changes = {rec[0]: (rec[1], rec[2]) for rec in found}
    plain = reader.postgresql  # the driver gives the enum (VARCHAR) columns as str already
    out: list[Row] = []
    for row in rows:
        if not row[-1] and plain:
            out.append(row[:-2])
            continue
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
        if not plain:
            fields[1], fields[2] = str(fields[1]), str(fields[2])
            fields[9] = None if fields[9] is None else str(fields[9])
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
    db: Session | Reader,
    challenge_id: int,
    window_days: int | None,
    closes_at: datetime,
    as_of: datetime,
) -> Sequence[tuple[Any, ...]]:
    """Each posted entry's latest snapshot at or before its cutoff (none if it has none).

    At the same ``collected_at`` a manual snapshot wins over an API one, then the higher id,
    as :func:`scoring.inputs.select_snapshots` does. Rows: (id, entry_id, collected_at, views,
    likes, comments, shares, saves, reach, source), the fields of
    :class:`scoring.inputs.SnapshotInput` (source as plain str).
    """
    reader = _as_reader(db)
    entry_filter = (
        Entry.challenge_id == challenge_id,
        Entry.posted_at.is_not(None),
        Entry.posted_at <= _time("as_of", as_of),
        Entry.created_at <= _time("as_of", as_of),
    )
    if reader.postgresql:
        # A LATERAL top-1 per entry: PostgreSQL would plan the portable form below as a hash
        # join over the whole snapshot table.
        cut = cutoff_expression(window_days, closes_at, as_of)
        snap = aliased(MetricSnapshot)
        cols = [getattr(snap, c.key) for c in SNAPSHOT_COLUMNS]
        cols[2] = _fast_time(reader, snap.collected_at)
        top = (
            select(*cols)
            .where(snap.entry_id == Entry.id, snap.collected_at <= cut)
            .order_by(snap.collected_at.desc(), snap.source.desc())
            .limit(1)
            .lateral("chosen")
        )
        stmt = select(top).select_from(Entry).join(top, true()).where(*entry_filter)
        return reader.rows(stmt)
    # Portable form: the chosen ids as a set; SQLite looks each row up by its rowid.
    chosen = select(_chosen_id(window_days, closes_at, as_of)).where(*entry_filter)
    stmt = select(*SNAPSHOT_COLUMNS).where(MetricSnapshot.id.in_(chosen.scalar_subquery()))
    return [(*r[:9], str(r[9])) for r in reader.rows(stmt)]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

SERIES_COLUMNS = (
    MetricSnapshot.id,
    MetricSnapshot.entry_id,
    MetricSnapshot.collected_at,
    MetricSnapshot.views,
    MetricSnapshot.source,
)


def snapshot_series(
    db: Session | Reader,
    challenge_id: int,
    window_days: int | None,
    closes_at: datetime,
    as_of: datetime,
    days: int | None = None,
) -> Sequence[tuple[Any, ...]]:
    """Each posted entry's view counts at or before its cutoff (only the last ``days`` days of
    them when given), for the view-increment integrity check.

    Rows: (id, entry_id, collected_at, views, source), source as plain str.
    """
    reader = _as_reader(db)
    rows = reader.rows(_series_statement(reader, challenge_id, window_days, closes_at, as_of, days))
    return rows if reader.postgresql else [(*r[:4], str(r[4])) for r in rows]


def snapshot_series_columns(
    db: Session | Reader,
    challenge_id: int,
    window_days: int | None,
    closes_at: datetime,
    as_of: datetime,
    days: int | None = None,
) -> tuple[list[int], list[int], list[int], list[int | None], list[str]]:
    """The rows of :func:`snapshot_series` as five aligned columns, in no particular order:
    (id, entry_id, collected_at as microseconds since 1970-01-01 UTC, views, source)."""
    reader = _as_reader(db)
    stmt = _series_statement(reader, challenge_id, window_days, closes_at, as_of, days)
    if reader.postgresql:
        # One row of five arrays: no Python tuple or datetime per snapshot. One aggregate step
        # feeds every row to all five aggregates, so the arrays stay aligned. Times as
        # microseconds since 1970 UTC, exact (extract gives a numeric; a float8 date_part would
        # be cheaper but, times 1e6, is exact only up to 2041).
        got = stmt.subquery("series_rows")
        micros = cast(func.extract("epoch", got.c.collected_at) * 1_000_000, BigInteger)
        (row,) = reader.rows(
            select(
                func.array_agg(got.c.id),
                func.array_agg(got.c.entry_id),
                func.array_agg(micros),
                func.array_agg(got.c.views),
                func.array_agg(got.c.source),
            )
        )
        if row[0] is None:  # no rows: array_agg gives NULL
            return [], [], [], [], []
        ids, entries, times, views, sources = row
        return ids, entries, times, views, sources
    found = reader.rows(stmt)
    return (
        [r[0] for r in found],
        [r[1] for r in found],
        [(r[2] - _EPOCH) // _MICROSECOND for r in found],
        [r[3] for r in found],
        [str(r[4]) for r in found],
    )


def _series_statement(
    reader: Reader,
    challenge_id: int,
    window_days: int | None,
    closes_at: datetime,
    as_of: datetime,
    days: int | None,
) -> Select[*tuple[Any, ...]]:
    """The statement of :func:`snapshot_series` (source not yet a plain str on SQLite)."""
    entry_filter = (
        Entry.challenge_id == challenge_id,
        Entry.posted_at.is_not(None),
        Entry.posted_at <= _time("as_of", as_of),
        Entry.created_at <= _time("as_of", as_of),
    )
    cut = cutoff_expression(window_days, closes_at, as_of)
    if reader.postgresql:
        # One index range scan per entry (a plain join is planned as a scan of the table).
        snap = aliased(MetricSnapshot)
        conditions = [snap.entry_id == Entry.id, snap.collected_at <= cut]
        if days is not None:
            start = plus_days(cut, bindparam("minus_days", -days, type_=Integer()))
            conditions.append(snap.collected_at > start)
        cols = [getattr(snap, c.key) for c in SERIES_COLUMNS]
        cols[2] = _fast_time(reader, snap.collected_at)
        rows = (
            select(*cols)
            .where(*conditions)
            .offset(0)  # keeps the planner from flattening it into a join over the table
            .lateral("series")
        )
        return select(rows).select_from(Entry).join(rows, true()).where(*entry_filter)
    cuts = select(Entry.id.label("entry_id"), cut.label("t")).where(*entry_filter).subquery()
    join_on = [MetricSnapshot.entry_id == cuts.c.entry_id, MetricSnapshot.collected_at <= cuts.c.t]
    if days is not None:
        start = plus_days(cuts.c.t, bindparam("minus_days", -days, type_=Integer()))
        join_on.append(MetricSnapshot.collected_at > start)
    return select(*SERIES_COLUMNS).join(cuts, and_(*join_on))


def followers_at_posting(
    db: Session | Reader, challenge_id: int, as_of: datetime
) -> Sequence[tuple[int, int | None, datetime | None]]:
    """(entry id, followers, collected_at) of each entry's account at its posting time.

    The latest account snapshot with a follower count at or before ``posted_at``; when there is
    none, the first one after it (collected at or before ``as_of``).
    """
    reader = _as_reader(db)
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
    return reader.rows(stmt)


def effective_judge_scores(
    db: Session | Reader, challenge_id: int, as_of: datetime
) -> Sequence[tuple[int, int, str, float | None, int, bool]]:
    """The judge score rows in force at ``as_of``: (entry_id, judge_id, criterion, score, id,
    conflict), ordered by (entry_id, judge_id, criterion).

    A row is in force when it was written at or before ``as_of``, no row written by then
    supersedes it, and it is the newest such row of its (entry, judge, criterion).
    """
    reader = _as_reader(db)
    return reader.rows(_effective_judge_scores(reader, challenge_id, as_of))


def effective_judge_score_columns(
    db: Session | Reader, challenge_id: int, as_of: datetime
) -> tuple[list[Any], list[Any], list[Any], list[Any], list[Any], list[Any]]:
    """The rows of :func:`effective_judge_scores` as six columns (entry_id, judge_id,
    criterion, score, id, conflict), in no particular order but aligned with each other.

    On PostgreSQL the server aggregates each column into one array: a single row of six arrays
    crosses the wire and is decoded without a Python tuple per score (a large contest has over a
    hundred thousand). One aggregate step feeds every row to all six aggregates, so the arrays
    stay aligned.
    """
    reader = _as_reader(db)
    stmt = _effective_judge_scores(reader, challenge_id, as_of)
    if reader.postgresql:
        rows = stmt.subquery("effective")
        (row,) = reader.rows(select(*(func.array_agg(c) for c in rows.c)))
        if row[0] is None:  # no rows: array_agg gives NULL
            return [], [], [], [], [], []
        e, j, c, v, i, k = row
        return e, j, c, v, i, k
    found = reader.rows(stmt)
    if not found:
        return [], [], [], [], [], []
    e, j, c, v, i, k = (list(col) for col in zip(*found, strict=True))
    return e, j, c, v, i, k


def _effective_judge_scores(
    reader: Reader, challenge_id: int, as_of: datetime
) -> Select[int, int, str, float | None, int, bool]:
    """The statement of :func:`effective_judge_scores`."""
    # The rows superseded by then, as one uncorrelated set: a probe of the partial index
    # ix_judge_score_superseded (corrections are few), not a lookup per row.
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
        JudgeScore.entry_id,
        JudgeScore.judge_id,
        JudgeScore.criterion,
        JudgeScore.score,
        JudgeScore.id,
        JudgeScore.conflict,
    )
    group = (JudgeScore.entry_id, JudgeScore.judge_id, JudgeScore.criterion)
    newest_first = (JudgeScore.created_at.desc(), JudgeScore.id.desc())
    if reader.postgresql:
        # DISTINCT ON keeps the first row of each group after one sort (cheaper than numbering
        # every row with a window and filtering).
        return (
            select(*columns)
            .join(Entry, Entry.id == JudgeScore.entry_id)
            .where(*where)
            .ext(distinct_on(*group))
            .order_by(*group, *newest_first)
        )
    # Newest first within each (entry, judge, criterion): one sort instead of a probe per row.
    newest = func.row_number().over(partition_by=group, order_by=newest_first).label("newest")
    ranked = (
        select(*columns, newest)
        .join(Entry, Entry.id == JudgeScore.entry_id)
        .where(*where)
        .subquery()
    )
    return select(
        ranked.c.entry_id,
        ranked.c.judge_id,
        ranked.c.criterion,
        ranked.c.score,
        ranked.c.id,
        ranked.c.conflict,
    ).where(ranked.c.newest == 1)


def effective_indicators(
    db: Session | Reader, challenge_id: int, as_of: datetime
) -> Sequence[tuple[int, str, float | None]]:
    """The newest value of each (entry, indicator) written at or before ``as_of``."""
    reader = _as_reader(db)
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
    return reader.rows(stmt)


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
