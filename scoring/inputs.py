"""The plain data a board is computed from, and the pure rules that choose it.

Everything here is immutable. The per-row records are named tuples (a board reads hundreds of
thousands of them; a tuple is made at a fraction of a frozen dataclass's cost); ``_replace``
gives a changed copy. Times must be aware (UTC or any zone; they are compared as
instants). Ids are the database's ids; the scoring package never looks anything up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, overload

if TYPE_CHECKING:  # numpy is loaded only when a series is made: the collector uses this module
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "BoardInputs",
    "Conflict",
    "EntryInput",
    "FollowerCount",
    "IndicatorInput",
    "InputError",
    "JudgeScoreColumns",
    "JudgeScoreInput",
    "SnapshotInput",
    "SnapshotSelection",
    "SnapshotSeries",
    "entry_cutoff",
    "select_snapshots",
]

ACTIVE = "active"
UNAVAILABLE = "unavailable"
DISQUALIFIED = "disqualified"
ENTRY_STATUSES = (ACTIVE, UNAVAILABLE, DISQUALIFIED)


class InputError(ValueError):
    """Board inputs that contradict each other or the rubric; the message names the row."""


class EntryInput(NamedTuple):
    """One contest entry (one post on one platform)."""

    entry_id: int
    platform: str
    tier: str
    province: str
    library: str
    posted_at: datetime | None
    status: str = ACTIVE  # active | unavailable | disqualified
    status_reason: str | None = None
    url: str = ""
    pillar: str | None = None
    title: str | None = None


class SnapshotInput(NamedTuple):
    """Engagement counts of an entry at one collection time; None = not given by the platform."""

    snapshot_id: int
    entry_id: int
    collected_at: datetime
    views: int | None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    reach: int | None = None
    source: str = "api"

    def count(self, name: str) -> int | None:  # type: ignore[override]
        """The count called ``name`` (views, likes...); shadows ``tuple.count``."""
        value: int | None = getattr(self, name)
        return value


R = TypeVar("R")


class _Columns(Sequence[R]):
    """Records held as columns: a subclass gives its length, row ``i`` as a record (``_row``)
    and a fast ``__iter__``; indexing, slicing and comparing are the sequence's of records."""

    __slots__ = ()

    @staticmethod
    def _check_lengths(what: str, *columns: Sized) -> None:
        """Refuse columns of different lengths, naming ``what`` they hold and every length."""
        lengths = [len(c) for c in columns]
        if len(set(lengths)) > 1:
            listed = ", ".join(map(str, lengths))
            raise InputError(f"{what} columns of different lengths: {listed}")

    def _row(self, index: int) -> R:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[R, ...]: ...

    def __getitem__(self, index: int | slice) -> R | tuple[R, ...]:
        if isinstance(index, slice):
            return tuple(self._row(i) for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._row(index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} records)"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class SnapshotSeries(_Columns[SnapshotInput]):
    """View-count snapshots held as arrays, seen as a sequence of :class:`SnapshotInput`.

    The integrity check reads every entry's series: close to a million snapshots for a large
    contest. The store reads them as columns and the check works on arrays, so a board need not
    make a record (and a datetime) per snapshot. Times are microseconds since 1970-01-01 UTC;
    a record made from the series has its time in UTC, its views (None where ``views_known`` is
    False) and its source; its other counts are None. It compares equal to any sequence of the
    same records in the same order.
    """

    __slots__ = ("collected_us", "entry_ids", "snapshot_ids", "sources", "views", "views_known")

    def __init__(
        self,
        snapshot_ids: Sequence[int] | npt.NDArray[np.int64],
        entry_ids: Sequence[int] | npt.NDArray[np.int64],
        collected_us: Sequence[int] | npt.NDArray[np.int64],
        views: Sequence[int | None],
        sources: Sequence[str],
    ) -> None:
        self._check_lengths(
            "snapshot series", snapshot_ids, entry_ids, collected_us, views, sources
        )
        n = len(snapshot_ids)
        import numpy as np

        self.snapshot_ids = _int64(snapshot_ids, "snapshot ids")
        self.entry_ids = _int64(entry_ids, "entry ids")
        self.collected_us = _int64(collected_us, "collection times")
        if None in views:  # hidden counts are rare: the common case is checked at C speed
            known = [v is not None for v in views]
            self.views_known: npt.NDArray[np.bool_] = np.array(known, dtype=bool).reshape(n)
            self.views = _int64([0 if v is None else v for v in views], "views")
        else:
            self.views_known = np.ones(n, dtype=bool)
            self.views = _int64(views, "views")  # type: ignore[arg-type]
        self.sources = tuple(sources)

    @classmethod
    def of(cls, records: Iterable[SnapshotInput]) -> SnapshotSeries:
        """The series of ``records`` (their counts other than views are not kept)."""
        rows = list(records)
        return cls(
            [r.snapshot_id for r in rows],
            [r.entry_id for r in rows],
            [(r.collected_at - _EPOCH) // _MICROSECOND for r in rows],
            [r.views for r in rows],
            [r.source for r in rows],
        )

    def take(self, mask: npt.NDArray[np.bool_]) -> SnapshotSeries:
        """The snapshots where ``mask`` is True, in order."""
        out = SnapshotSeries.__new__(SnapshotSeries)
        out.snapshot_ids = self.snapshot_ids[mask]
        out.entry_ids = self.entry_ids[mask]
        out.collected_us = self.collected_us[mask]
        out.views = self.views[mask]
        out.views_known = self.views_known[mask]
        out.sources = tuple(s for s, keep in zip(self.sources, mask.tolist(), strict=True) if keep)
        return out

    def __len__(self) -> int:
        return len(self.snapshot_ids)

    def _row(self, index: int) -> SnapshotInput:
        return SnapshotInput(
            int(self.snapshot_ids[index]),
            int(self.entry_ids[index]),
            _EPOCH + timedelta(microseconds=int(self.collected_us[index])),
            int(self.views[index]) if self.views_known[index] else None,
            source=self.sources[index],
        )

    def views_list(self) -> list[int | None]:
        """The views, None where hidden."""
        return [
            v if k else None
            for v, k in zip(self.views.tolist(), self.views_known.tolist(), strict=True)
        ]

    def __iter__(self) -> Iterator[SnapshotInput]:
        times = map(timedelta, repeat(0), repeat(0), self.collected_us.tolist())
        return map(
            SnapshotInput,
            self.snapshot_ids.tolist(),
            self.entry_ids.tolist(),
            map(_EPOCH.__add__, times),
            self.views_list(),
            repeat(None),
            repeat(None),
            repeat(None),
            repeat(None),
            repeat(None),
            self.sources,
        )


def _int64(values: Sequence[int] | npt.NDArray[np.int64], what: str) -> npt.NDArray[np.int64]:
    import numpy as np

    column = np.asarray(values)
    if column.size == 0:
        return np.zeros(0, dtype=np.int64)
    if column.dtype != np.int64 or column.ndim != 1:
        raise InputError(f"snapshot series {what}: not whole numbers within 64 bits")
    return column


class FollowerCount(NamedTuple):
    """Followers of the entry's account at posting time (the snapshot closest to it)."""

    entry_id: int
    followers: int | None
    collected_at: datetime | None = None


class JudgeScoreInput(NamedTuple):
    """One effective judge score (after corrections) of one rubric item of one entry."""

    entry_id: int
    judge_id: int
    item: str
    score: float
    score_id: int | None = None


class JudgeScoreColumns(_Columns[JudgeScoreInput]):
    """Judge scores held as five equal columns, seen as a sequence of :class:`JudgeScoreInput`.

    A contest of 10,000 entries has over a hundred thousand scores. The store reads them as
    columns (one array per field) and the judge correction works on columns, so a board need not
    make a record per score; anything else indexes or iterates and gets the records. It compares
    equal to any sequence of the same records in the same order.
    """

    __slots__ = ("entry_ids", "items", "judge_ids", "score_ids", "scores")

    def __init__(
        self,
        entry_ids: Sequence[int],
        judge_ids: Sequence[int],
        items: Sequence[str],
        scores: Sequence[float],
        score_ids: Sequence[int | None],
    ) -> None:
        self._check_lengths("judge score", entry_ids, judge_ids, items, scores, score_ids)
        self.entry_ids = tuple(entry_ids)
        self.judge_ids = tuple(judge_ids)
        self.items = tuple(items)
        self.scores = tuple(scores)
        self.score_ids = tuple(score_ids)

    @classmethod
    def of(cls, records: Iterable[JudgeScoreInput]) -> JudgeScoreColumns:
        """The columns of ``records``."""
        rows = [tuple(r) for r in records]
        if not rows:
            return cls((), (), (), (), ())
        e, j, i, s, k = zip(*rows, strict=True)
        return cls(e, j, i, s, k)

    def columns(self) -> tuple[tuple[Any, ...], ...]:
        """(entry_ids, judge_ids, items, scores, score_ids)."""
        return self.entry_ids, self.judge_ids, self.items, self.scores, self.score_ids

    def __len__(self) -> int:
        return len(self.entry_ids)

    def _row(self, index: int) -> JudgeScoreInput:
        return JudgeScoreInput(*(c[index] for c in self.columns()))

    def __iter__(self) -> Iterator[JudgeScoreInput]:
        return map(JudgeScoreInput, *self.columns())


class Conflict(NamedTuple):
    """A judge declared a conflict of interest on an entry: all their scores on it are excluded."""

    entry_id: int
    judge_id: int


class IndicatorInput(NamedTuple):
    """The committee's latest value of one indicator for one entry (None = explicitly unknown)."""

    entry_id: int
    indicator: str
    value: float | None


@dataclass(frozen=True, slots=True)
class BoardInputs:
    """Everything a board is computed from, as of one time.

    ``snapshots`` holds at most one snapshot per entry: the one chosen by :func:`select_snapshots`
    (the latest collected at or before the entry's cutoff). ``series`` holds the entry's snapshots
    up to that cutoff (or the most recent of them) for the integrity checks; it may be empty.
    """

    challenge: str
    opens_at: datetime
    closes_at: datetime
    entries: tuple[EntryInput, ...]
    snapshots: tuple[SnapshotInput, ...] = ()
    followers: tuple[FollowerCount, ...] = ()
    # A tuple of records, or the same as columns (what the store gives): see JudgeScoreColumns.
    judge_scores: tuple[JudgeScoreInput, ...] | JudgeScoreColumns = ()
    conflicts: tuple[Conflict, ...] = ()
    indicators: tuple[IndicatorInput, ...] = ()
    # A tuple of records, or the same as arrays (what the store gives): see SnapshotSeries.
    series: tuple[SnapshotInput, ...] | SnapshotSeries = field(default=())


def entry_cutoff(
    posted_at: datetime, window_days: int | None, closes_at: datetime, as_of: datetime
) -> datetime:
    """The time an entry's audience counts are read at: min(posted + window, close, as_of)."""
    cut = min(closes_at, as_of)
    if window_days is not None:
        cut = min(cut, posted_at + timedelta(days=window_days))
    return cut


@dataclass(frozen=True, slots=True)
class SnapshotSelection:
    chosen: tuple[SnapshotInput, ...]
    series: tuple[SnapshotInput, ...]


def select_snapshots(
    entries: Iterable[EntryInput],
    snapshots: Iterable[SnapshotInput],
    window_days: int | None,
    closes_at: datetime,
    as_of: datetime,
    *,
    series_limit: int | None = None,
) -> SnapshotSelection:
    """Choose each entry's snapshot: the latest collected at or before its cutoff.

    At the same ``collected_at`` a manual snapshot wins over an API one (source order, as the
    store's unique key (entry, collected_at, source) sorts), then the higher ``snapshot_id``.
    The series keeps every snapshot at or before the cutoff (the latest ``series_limit`` of them
    when given). Entries not posted, posted after ``as_of`` or without a snapshot before their
    cutoff get none. The store's SQL implements the same rule; this is its reference.
    """
    cutoffs: dict[int, datetime] = {}
    for e in entries:
        if e.posted_at is not None and e.posted_at <= as_of:
            cutoffs[e.entry_id] = entry_cutoff(e.posted_at, window_days, closes_at, as_of)
    per_entry: dict[int, list[SnapshotInput]] = {}
    for s in snapshots:
        cut = cutoffs.get(s.entry_id)
        if cut is not None and s.collected_at <= cut:
            per_entry.setdefault(s.entry_id, []).append(s)
    chosen: list[SnapshotInput] = []
    series: list[SnapshotInput] = []
    for eid in sorted(per_entry):
        rows = sorted(per_entry[eid], key=lambda s: (s.collected_at, s.source, s.snapshot_id))
        chosen.append(rows[-1])
        series.extend(rows if series_limit is None else rows[max(0, len(rows) - series_limit) :])
    return SnapshotSelection(chosen=tuple(chosen), series=tuple(series))
