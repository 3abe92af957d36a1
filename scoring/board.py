"""The board: every entry's criterion scores, total, place and explanation, as of one time.

:func:`compute_board` is a pure function of its arguments. It sorts everything it is given, so
the order of the inputs never matters; the same inputs, rubric and ``as_of`` always give the same
board, and :attr:`Board.inputs_sha256` fingerprints them.

Pipeline:

1. Eligibility. Disqualified entries, entries not posted as of ``as_of`` and entries posted after
   the close are listed without a place. Everything relative (judge correction, percentiles) is
   computed over the remaining *competing* entries only.
2. Criterion scores on 0-100 (see :mod:`scoring.judges`, :mod:`scoring.audience`,
   :mod:`scoring.indicators`), rounded half up to 2 decimals.
3. Total = sum of weight x criterion score over the criteria of positive weight, rounded half up to
   ``ranking.decimals`` decimals. A criterion an entry lacks follows its ``missing`` rule:
   ``unranked`` (the entry is listed without a place, with the reason) or ``renormalise`` (the
   other weights are scaled up to sum to 1). Weights of 0 are ignored entirely.
4. Places: standard competition ranking (1, 2, 2, 4) on the rounded total; entries with equal
   totals are ordered by the declared tie-breakers; entries equal on all of them share the place.
   Places are also given within each tier, province and platform.
5. Integrity flags and the weight-sensitivity check, for the committee.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from functools import cached_property
from itertools import repeat
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.audience import AudienceResult, PlatformModel, score_audience
from scoring.gcpause import paused_gc
from scoring.hashing import inputs_sha256
from scoring.indicators import IndicatorsResult, score_indicators
from scoring.inputs import (
    DISQUALIFIED,
    ENTRY_STATUSES,
    UNAVAILABLE,
    BoardInputs,
    EntryInput,
    FollowerCount,
    InputError,
    JudgeScoreColumns,
    SnapshotInput,
    SnapshotSeries,
)
from scoring.integrity import IntegrityFlag, ratio_flags, series_flags, spread_flags
from scoring.judges import CreativityResult, JudgingSummary, score_creativity
from scoring.numbers import exact, percentiles, round_half_up
from scoring.records import record
from scoring.rubric import (
    EARLIEST_POST,
    IndicatorsCriterion,
    JudgesCriterion,
    MetricsCriterion,
    Rubric,
)

__all__ = [
    "SEGMENTS",
    "Board",
    "BoardRow",
    "CriterionResult",
    "Note",
    "PodiumChange",
    "SensitivityScenario",
    "compute_board",
]

SEGMENTS = ("tier", "province", "platform")
STALE_SNAPSHOT = timedelta(hours=24)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_entry_id = attrgetter("entry_id")


@record
class Note:
    """A remark on an entry or the board: a stable code (for translation) and a detail."""

    code: str
    detail: str = ""


@record
class CriterionResult:
    """One criterion of one entry: normalised score, weight used, and how it was obtained."""

    key: str
    source: str
    weight: float  # the rubric's weight
    effective_weight: float  # the weight used for this entry (after renormalising, else 0)
    score: float | None  # 0-100, rounded to 2 decimals
    weighted: float | None  # effective_weight x score
    missing_reason: str | None
    creativity: CreativityResult | None = None
    audience: AudienceResult | None = None
    indicators: IndicatorsResult | None = None


@record
class BoardRow:
    entry_id: int
    library: str
    platform: str
    tier: str
    province: str
    pillar: str | None
    url: str
    title: str | None
    posted_at: datetime | None
    status: str
    status_reason: str | None
    rank: int | None
    total: float | None  # rounded to the rubric's decimals
    segment_ranks: Mapping[str, int | None]
    criteria: tuple[CriterionResult, ...]
    flags: tuple[IntegrityFlag, ...]
    notes: tuple[Note, ...]
    unranked_reason: str | None

    def criterion(self, key: str) -> CriterionResult:
        return next(c for c in self.criteria if c.key == key)


@record
class PodiumChange:
    entry_id: int
    library: str
    base_rank: int | None
    rank: int | None


@record
class SensitivityScenario:
    """Places when one criterion's weight moves by ``delta`` (the others scaled to sum to 1)."""

    criterion: str
    delta: float
    weights: tuple[tuple[str, float], ...]
    podium_changes: tuple[PodiumChange, ...]
    moved: int  # entries whose place changed at all
    spearman: float | None  # rank correlation with the board's places


@dataclass(frozen=True)
class Board:
    challenge: str
    as_of: datetime
    opens_at: datetime
    closes_at: datetime
    final: bool  # as_of at or after the close: the counts are the final ones
    rubric_name: str
    rubric_sha256: str
    decimals: int
    rows: tuple[BoardRow, ...]  # placed rows by place, then the rows without a place
    platforms: tuple[PlatformModel, ...]
    judging: JudgingSummary | None
    sensitivity: tuple[SensitivityScenario, ...]
    warnings: tuple[Note, ...]
    weights: tuple[tuple[str, float], ...] = field(default=())
    # What the inputs hash is computed from (on first use: a live board rarely needs it).
    source: tuple[BoardInputs, str] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def inputs_sha256(self) -> str:
        """SHA-256 of the canonical inputs, rubric text and ``as_of`` (see scoring.hashing)."""
        if self.source is None:
            raise ValueError("this board was not computed here; its inputs are unknown")
        inputs, rubric_text = self.source
        return inputs_sha256(inputs, rubric_text, self.as_of)

    def row(self, entry_id: int) -> BoardRow:
        for r in self.rows:
            if r.entry_id == entry_id:
                return r
        raise KeyError(entry_id)

    @property
    def ranked(self) -> tuple[BoardRow, ...]:
        return tuple(r for r in self.rows if r.rank is not None)

    def segment(self, dimension: str) -> dict[str, tuple[BoardRow, ...]]:
        """Placed rows grouped by tier, province or platform, each group in its own order."""
        if dimension not in SEGMENTS:
            raise ValueError(f"unknown segment {dimension!r}; use one of {', '.join(SEGMENTS)}")
        groups: dict[str, list[BoardRow]] = {}
        for r in self.ranked:
            groups.setdefault(str(getattr(r, dimension)), []).append(r)
        return {
            k: tuple(
                sorted(
                    v,
                    key=lambda r: (
                        r.segment_ranks[dimension] or 0,
                        r.library.casefold(),
                        r.entry_id,
                    ),
                )
            )
            for k, v in sorted(groups.items())
        }

    def to_dict(self, *, committee: bool = True) -> dict[str, Any]:
        """JSON-ready form. Without ``committee`` the judges' scorecards, judge offsets and
        integrity flags are left out (the public board)."""
        from scoring.export import board_to_dict

        return board_to_dict(self, committee=committee)


# --------------------------------------------------------------------------------------------


def _aware(value: datetime | None, what: str) -> None:
    if value is not None and value.tzinfo is None:
        raise InputError(f"{what}: naive datetime {value.isoformat()}; give an aware time")


def _validate(inputs: BoardInputs, as_of: datetime) -> dict[int, EntryInput]:
    _aware(as_of, "as_of")
    _aware(inputs.opens_at, "opens_at")
    _aware(inputs.closes_at, "closes_at")
    entries: dict[int, EntryInput] = {}
    for e in inputs.entries:
        if e.entry_id in entries:
            raise InputError(f"entry {e.entry_id}: listed twice")
        if e.status not in ENTRY_STATUSES:
            raise InputError(
                f"entry {e.entry_id}: unknown status {e.status!r} "
                f"(use one of {', '.join(ENTRY_STATUSES)})"
            )
        if e.posted_at is not None and e.posted_at.tzinfo is None:
            _aware(e.posted_at, f"entry {e.entry_id} posted_at")
        entries[e.entry_id] = e
    for what, rows in (
        ("snapshot", inputs.snapshots),
        ("series snapshot", _suspects(inputs.series, entries, as_of)),
    ):
        for s in rows:
            if s.entry_id not in entries:
                raise InputError(f"{what} {s.snapshot_id}: unknown entry {s.entry_id}")
            at = s.collected_at
            if at.tzinfo is None:
                _aware(at, f"{what} {s.snapshot_id} collected_at")
            if at > as_of:
                raise InputError(
                    f"{what} {s.snapshot_id}: collected at {at.isoformat()}, "
                    f"after as_of {as_of.isoformat()}"
                )
            if s.views is not None and s.views < 0:
                raise InputError(f"{what} {s.snapshot_id}: negative views ({s.views})")
    for s in inputs.snapshots:
        if min(s.likes or 0, s.comments or 0, s.shares or 0, s.saves or 0, s.reach or 0) < 0:
            counts = (s.likes, s.comments, s.shares, s.saves, s.reach)
            for name, v in zip(
                ("likes", "comments", "shares", "saves", "reach"), counts, strict=True
            ):
                if v is not None and v < 0:
                    raise InputError(f"snapshot {s.snapshot_id}: negative {name} ({v})")
    seen: set[int] = set()
    for s in inputs.snapshots:
        if s.entry_id in seen:
            raise InputError(f"entry {s.entry_id}: more than one chosen snapshot")
        seen.add(s.entry_id)
    seen = set()
    for f in inputs.followers:
        if f.collected_at is not None and f.collected_at.tzinfo is None:
            _aware(f.collected_at, f"followers of entry {f.entry_id}")
        if f.entry_id not in entries:
            raise InputError(f"followers: unknown entry {f.entry_id}")
        if f.entry_id in seen:
            raise InputError(f"entry {f.entry_id}: more than one follower count")
        if f.followers is not None and f.followers < 0:
            raise InputError(f"entry {f.entry_id}: negative follower count")
        seen.add(f.entry_id)
    known = entries.keys()
    judged = inputs.judge_scores
    if not known >= set(
        judged.entry_ids
        if isinstance(judged, JudgeScoreColumns)
        else map(_entry_id, inputs.judge_scores)
    ):
        for js in inputs.judge_scores:
            if js.entry_id not in entries:
                raise InputError(f"judge score {js.score_id}: unknown entry {js.entry_id}")
    for c in inputs.conflicts:
        if c.entry_id not in entries:
            raise InputError(f"conflict of judge {c.judge_id}: unknown entry {c.entry_id}")
    if not known >= set(map(_entry_id, inputs.indicators)):
        for iv in inputs.indicators:
            if iv.entry_id not in entries:
                raise InputError(f"indicator {iv.indicator}: unknown entry {iv.entry_id}")
    return entries


def _us(value: datetime) -> int:
    return (value - _EPOCH) // _MICROSECOND


def _suspects(
    series: Sequence[SnapshotInput], entries: Mapping[int, EntryInput], as_of: datetime
) -> Sequence[SnapshotInput]:
    """The series to check row by row: all of it, or of a :class:`SnapshotSeries` only the rows
    that fail a check (found on its arrays), so the first of them is reported as usual."""
    if not isinstance(series, SnapshotSeries):
        return series
    known = np.array(sorted(entries), dtype=np.int64)
    bad = ~np.isin(series.entry_ids, known)
    bad |= series.collected_us > _us(as_of)
    bad |= series.views_known & (series.views < 0)
    return [series[i] for i in np.flatnonzero(bad).tolist()]


def _after_cutoff(
    series: Sequence[SnapshotInput], cutoffs: Mapping[int, datetime]
) -> Sequence[SnapshotInput]:
    """The series rows to compare with their entry's cutoff one by one: all of them, or of a
    :class:`SnapshotSeries` only those collected after it (found on its arrays)."""
    if not isinstance(series, SnapshotSeries) or len(series) == 0:
        return series
    ids = np.array(sorted(cutoffs), dtype=np.int64)
    if ids.size == 0:
        return []
    cut = np.array([_us(cutoffs[i]) for i in ids.tolist()], dtype=np.int64)
    at = np.minimum(np.searchsorted(ids, series.entry_ids), ids.size - 1)
    late = (ids[at] == series.entry_ids) & (series.collected_us > cut[at])
    return [series[i] for i in np.flatnonzero(late).tolist()]


def _posted_us(e: EntryInput) -> int:
    assert e.posted_at is not None
    return (e.posted_at - _EPOCH) // _MICROSECOND


def _int_weights(weights: Mapping[str, Fraction]) -> dict[str, int]:
    den = math.lcm(*(w.denominator for w in weights.values())) if weights else 1
    return {k: int(w * den) for k, w in weights.items()}


@dataclass(frozen=True)
class _Grid:
    """The competing entries' criterion scores as arrays (rows in entry-id order)."""

    ids: npt.NDArray[np.int64]
    keys: tuple[str, ...]  # criteria, rubric order
    scores: npt.NDArray[np.int64]  # (entries, criteria) hundredths; 0 where missing
    present: npt.NDArray[np.bool_]
    posted_us: npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Placed:
    units: npt.NDArray[Any]  # total in units of 10**-decimals (-1: no place)
    keys: npt.NDArray[Any]  # ranking key columns, higher first
    ranks: npt.NDArray[np.int64]  # 0: no place
    blocked: npt.NDArray[np.int64]  # index of the criterion that unranks the entry, or -1
    den_w: npt.NDArray[Any]
    iw: dict[str, int]

    def rank_of(self, grid: _Grid) -> dict[int, int]:
        return {int(i): int(r) for i, r in zip(grid.ids, self.ranks, strict=True) if r > 0}


def _rank_rows(keys: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """Standard competition ranks of the rows of ``keys`` (columns compared in turn, higher
    first); equal rows share a rank."""
    n = keys.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort(tuple(-keys[:, c] for c in reversed(range(keys.shape[1]))))
    ordered = keys[order]
    starts = np.ones(n, dtype=bool)
    if n > 1:
        starts[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = first + 1
    return ranks


def _average_ranks(x: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """1-based ranks of ``x``, ties sharing their average rank (scipy's ``rankdata``)."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    before = np.cumsum(counts) - counts
    averages: npt.NDArray[np.float64] = before + (counts + 1) / 2
    return averages[inverse.reshape(x.shape)]


def _spearman(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> float:
    """Spearman's rank correlation of two non-constant samples, computed as
    ``scipy.stats.spearmanr`` does (Pearson's r of the average ranks), without its overhead."""
    r = np.asarray(np.corrcoef(np.vstack((_average_ranks(a), _average_ranks(b)))))
    return float(r[1, 0])


def _place(grid: _Grid, weights: Mapping[str, Fraction], rubric: Rubric) -> _Placed:
    """Totals, ranking keys and places of the competing entries under ``weights``."""
    n, k = grid.scores.shape
    iw = _int_weights(weights)
    w = [iw[key] for key in grid.keys]
    scale = 10**rubric.ranking.decimals
    # Exact integer arithmetic; Python integers when int64 could overflow.
    big = max(w, default=0) * 10_000 * max(k, 1) * scale * 2 >= 2**62
    dtype: Any = object if big else np.int64
    wv = np.array(w, dtype=dtype)
    active = np.array([x > 0 for x in w], dtype=bool)
    unranked_rule = np.array([c.missing == "unranked" for c in rubric.criteria], dtype=bool)
    present = grid.present & active
    blocking = ~grid.present & active & unranked_rule
    blocked = np.where(blocking.any(axis=1), np.argmax(blocking, axis=1), -1)
    den_w = (present * wv).sum(axis=1) if k else np.zeros(n, dtype=dtype)
    num = ((grid.scores.astype(dtype) * present) * wv).sum(axis=1) * scale if k else den_w
    ok = (blocked < 0) & (den_w > 0)
    den = np.where(ok, den_w * 100, 1)
    units = np.where(ok, (2 * num + den) // (2 * den), -1).astype(np.int64)  # <= 100 * scale
    cols: list[npt.NDArray[Any]] = [units]
    for tb in rubric.ranking.tie_breakers:
        if tb == EARLIEST_POST:
            cols.append(-grid.posted_us)
        elif weights.get(tb, Fraction(0)) > 0:
            c = grid.keys.index(tb)
            cols.append(grid.present[:, c].astype(np.int64))
            cols.append(grid.scores[:, c])
    keys = np.stack(cols, axis=1) if n else np.zeros((0, len(cols)), dtype=np.int64)
    ranks = np.zeros(n, dtype=np.int64)
    idx = np.flatnonzero(ok)
    ranks[idx] = _rank_rows(keys[idx])
    return _Placed(units=units, keys=keys, ranks=ranks, blocked=blocked, den_w=den_w, iw=iw)


def _group_ranks(labels: list[str], keys: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """Standard competition ranks of the rows of ``keys`` within each group of equal ``labels``
    (columns compared in turn, higher first; equal rows of a group share a rank)."""
    n = len(labels)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    seen: dict[str, int] = {}
    codes = np.array([seen.setdefault(label, len(seen)) for label in labels], dtype=np.int64)
    order = np.lexsort((*(-keys[:, c] for c in reversed(range(keys.shape[1]))), codes))
    ordered_keys = keys[order]
    ordered_codes = codes[order]
    positions = np.arange(n)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = ordered_codes[1:] != ordered_codes[:-1]
    new_run = new_group.copy()
    new_run[1:] |= np.any(ordered_keys[1:] != ordered_keys[:-1], axis=1)
    group_start = np.maximum.accumulate(np.where(new_group, positions, 0))
    run_start = np.maximum.accumulate(np.where(new_run, positions, 0))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = run_start - group_start + 1
    return ranks


def competition_ranks(keys: Mapping[int, tuple[int, ...]]) -> dict[int, int]:
    """Standard competition ranking (1, 2, 2, 4): higher keys first; equal keys share a place.

    A place is 1 + the number of entries strictly ahead.
    """
    ordered = sorted(keys.items(), key=lambda kv: kv[1], reverse=True)
    ranks: dict[int, int] = {}
    prev: tuple[int, ...] | None = None
    rank = 0
    for pos, (eid, key) in enumerate(ordered, start=1):
        if key != prev:
            rank = pos
            prev = key
        ranks[eid] = rank
    return ranks


def _scenarios(rubric: Rubric) -> list[tuple[str, float, dict[str, Fraction]]]:
    base = {c.key: exact(c.weight) for c in rubric.criteria}
    total = sum(base.values(), Fraction(0))
    base = {k: w / total for k, w in base.items()}  # exactly 1 (the rubric allows 1e-6 slack)
    delta = exact(rubric.sensitivity.weight_delta)
    out: list[tuple[str, float, dict[str, Fraction]]] = []
    if len(base) < 2:
        return out
    for key, w in base.items():
        for sign in (1, -1):
            nw = min(Fraction(1), max(Fraction(0), w + sign * delta))
            if nw == w:
                continue
            rest = 1 - w
            others = {k: v for k, v in base.items() if k != key}
            if rest > 0:
                new = {k: v * (1 - nw) / rest for k, v in others.items()}
            else:
                new = {k: (1 - nw) / len(others) for k in others}
            new[key] = nw
            out.append((key, float(sign * delta), new))
    return out


def compute_board(
    inputs: BoardInputs, rubric: Rubric, as_of: datetime, *, sensitivity: bool = True
) -> Board:
    """Compute the board of ``inputs`` under ``rubric`` as of ``as_of`` (an aware time).

    ``inputs.snapshots`` must hold, per entry, the snapshot chosen by
    :func:`scoring.inputs.select_snapshots`; a snapshot collected after the entry's cutoff
    ``min(posted + window, close, as_of)`` is an :class:`InputError`, as is any other
    contradiction in the inputs. Set ``sensitivity=False`` to skip the weight-sensitivity check.
    """
    with paused_gc():
        return _compute_board(inputs, rubric, as_of, sensitivity)


def _compute_board(
    inputs: BoardInputs, rubric: Rubric, as_of: datetime, sensitivity: bool
) -> Board:
    entries = _validate(inputs, as_of)
    ordered = [entries[k] for k in sorted(entries)]
    window = rubric.window_days
    closes_at = inputs.closes_at

    # 1. eligibility --------------------------------------------------------------------------
    unranked: dict[int, str] = {}
    notes: dict[int, list[Note]] = {e.entry_id: [] for e in ordered}
    competing: list[EntryInput] = []
    cutoffs: dict[int, datetime] = {}
    # entry_cutoff(posted, window, close, as_of), with what does not depend on the entry
    # worked out once.
    base_cut = min(closes_at, as_of)
    window_span = None if window is None else timedelta(days=window)
    opens_at = inputs.opens_at
    for e in ordered:
        eid, posted, status = e.entry_id, e.posted_at, e.status
        if status == DISQUALIFIED:
            unranked[eid] = "disqualified"
        elif posted is None or posted > as_of:
            unranked[eid] = "not_posted"
        elif posted > closes_at:
            unranked[eid] = "posted_after_close"
        else:
            competing.append(e)
        if posted is not None and posted <= as_of:
            if window_span is None:
                cutoffs[eid] = base_cut
            else:
                full = posted + window_span
                cutoffs[eid] = base_cut if base_cut <= full else full
                if full > closes_at:
                    notes[eid].append(Note("short_window", f"{window} days"))
                elif full > as_of:
                    notes[eid].append(Note("window_not_reached", f"{window} days"))
            if posted < opens_at:
                notes[eid].insert(0, Note("posted_before_open", posted.isoformat()))
        if status == UNAVAILABLE:
            notes[eid].append(Note("entry_unavailable", e.status_reason or ""))
    for snaps in (inputs.snapshots, _after_cutoff(inputs.series, cutoffs)):
        for s in snaps:
            cut = cutoffs.get(s.entry_id)
            if cut is not None and s.collected_at > cut:
                raise InputError(
                    f"snapshot {s.snapshot_id} of entry {s.entry_id}: collected at "
                    f"{s.collected_at.isoformat()}, after the entry's cutoff {cut.isoformat()}"
                )
    competing_ids = [e.entry_id for e in competing]
    chosen: dict[int, SnapshotInput] = {s.entry_id: s for s in inputs.snapshots}
    followers: dict[int, FollowerCount] = {f.entry_id: f for f in inputs.followers}
    warnings: list[Note] = []
    if as_of < closes_at:
        warnings.append(Note("provisional", f"before the close {closes_at.isoformat()}"))

    # 2. criterion scores ---------------------------------------------------------------------
    # Criterion scores in hundredths, one column per criterion in the order of competing_ids
    # (None: missing, the reason in ``reasons``).
    columns: dict[str, list[int | None]] = {}
    reasons: dict[int, dict[str, str]] = {}
    creativity: dict[int, CreativityResult] = {}
    audience: dict[int, AudienceResult] = {}
    indicators: dict[int, IndicatorsResult] = {}
    judging: JudgingSummary | None = None
    platforms: tuple[PlatformModel, ...] = ()
    flags: dict[int, list[IntegrityFlag]] = {}

    for crit in rubric.criteria:
        if isinstance(crit, JudgesCriterion):
            creativity, judging = score_creativity(
                crit, inputs.judge_scores, inputs.conflicts, competing_ids
            )
            corrected = {
                eid: r.corrected for eid, r in creativity.items() if r.corrected is not None
            }
            if crit.to_scale == "percentile":
                scaled = percentiles(corrected)
            else:
                span = exact(crit.scale_max) - exact(crit.scale_min)
                scaled = {
                    eid: min(
                        Fraction(100),
                        max(Fraction(0), (Fraction(v) - exact(crit.scale_min)) * 100 / span),
                    )
                    for eid, v in corrected.items()
                }
            column: list[int | None] = []
            for eid in competing_ids:
                value = scaled.get(eid)
                if value is not None:
                    column.append(round_half_up(value, 2))
                else:
                    column.append(None)
                    reasons.setdefault(eid, {})[crit.key] = (
                        creativity[eid].missing_reason or "no_value"
                    )
            columns[crit.key] = column
            if judging.groups > 1:
                warnings.append(Note("judging_groups", str(judging.groups)))
            if judging.ignored_items:
                warnings.append(Note("ignored_judge_items", ", ".join(judging.ignored_items)))
            for eid, fl in spread_flags(
                {eid: r.spread for eid, r in creativity.items()},
                judging.median_spread,
                rubric.integrity,
            ).items():
                flags.setdefault(eid, []).extend(fl)
        elif isinstance(crit, MetricsCriterion):
            audience, platforms = score_audience(crit, competing, chosen, followers, cutoffs)
            column = []
            for eid in competing_ids:
                ar = audience[eid]
                if ar.score is not None:
                    column.append(round_half_up(ar.score, 2))
                else:
                    column.append(None)
                    reasons.setdefault(eid, {})[crit.key] = ar.missing_reason or "no_value"
            columns[crit.key] = column
        elif isinstance(crit, IndicatorsCriterion):
            indicators, unknown = score_indicators(crit, inputs.indicators, competing_ids)
            if unknown:
                warnings.append(Note("ignored_indicators", ", ".join(unknown)))
            column = []
            for eid in competing_ids:
                ir = indicators[eid]
                if ir.score is not None:
                    column.append(round_half_up(ir.score, 2))
                else:
                    column.append(None)
                    reasons.setdefault(eid, {})[crit.key] = ir.missing_reason or "no_value"
            columns[crit.key] = column

    # Per-entry notes about the counts used.
    for e in competing:
        eid = e.entry_id
        snap = chosen.get(eid)
        cut = cutoffs.get(eid)
        if snap is not None and cut is not None and cut - snap.collected_at > STALE_SNAPSHOT:
            hours = (cut - snap.collected_at).total_seconds() / 3600
            notes[eid].append(Note("snapshot_before_cutoff", f"{hours:.0f} h"))
        fc = followers.get(eid)
        if (
            fc is not None
            and fc.collected_at is not None
            and e.posted_at is not None
            and fc.collected_at > e.posted_at + STALE_SNAPSHOT
        ):
            notes[eid].append(Note("followers_after_posting", fc.collected_at.isoformat()))

    # 3-4. totals and places -----------------------------------------------------------------
    keys = tuple(c.key for c in rubric.criteria)
    n_competing = len(competing_ids)
    none_column: list[int | None] = [None] * n_competing
    key_columns = [columns.get(k, none_column) for k in keys]
    grid = _Grid(
        ids=np.array(competing_ids, dtype=np.int64),
        keys=keys,
        scores=np.array([[v or 0 for v in col] for col in key_columns], dtype=np.int64)
        .reshape(len(keys), n_competing)
        .T.copy(),
        present=np.array([[v is not None for v in col] for col in key_columns], dtype=bool)
        .reshape(len(keys), n_competing)
        .T.copy(),
        posted_us=np.array([_posted_us(e) for e in competing], dtype=np.int64),
    )
    base_weights = {c.key: exact(c.weight) for c in rubric.criteria}
    placed = _place(grid, base_weights, rubric)
    ranks = placed.rank_of(grid)
    row_of = {eid: i for i, eid in enumerate(competing_ids)}
    for i, eid in enumerate(competing_ids):
        if placed.ranks[i] > 0:
            continue
        b = int(placed.blocked[i])
        if b >= 0:
            why = reasons.get(eid, {}).get(keys[b], "no_value")
            unranked[eid] = f"missing:{keys[b]}:{why}"
        else:
            unranked[eid] = "missing:all"

    placed_idx = np.flatnonzero(placed.ranks > 0)
    placed_entries = [competing[i] for i in placed_idx.tolist()]
    placed_keys = placed.keys[placed_idx]
    assert SEGMENTS == ("tier", "province", "platform")
    by_tier = _group_ranks([str(e.tier) for e in placed_entries], placed_keys).tolist()
    by_province = _group_ranks([str(e.province) for e in placed_entries], placed_keys).tolist()
    by_platform = _group_ranks([str(e.platform) for e in placed_entries], placed_keys).tolist()
    segment_ranks: dict[int, dict[str, int | None]] = {
        e.entry_id: {"tier": t, "province": p, "platform": f}
        for e, t, p, f in zip(placed_entries, by_tier, by_province, by_platform, strict=True)
    }
    for e in ordered:
        if e.entry_id not in segment_ranks:
            segment_ranks[e.entry_id] = dict.fromkeys(SEGMENTS)

    # 5. integrity and sensitivity -------------------------------------------------------------
    competing_set = set(competing_ids)
    series = inputs.series
    if isinstance(series, SnapshotSeries):
        among = np.isin(series.entry_ids, np.array(competing_ids, dtype=np.int64))
        competing_series: Sequence[SnapshotInput] = series if among.all() else series.take(among)
    else:
        competing_series = [s for s in series if s.entry_id in competing_set]
    for eid, fl in series_flags(competing_series, rubric.integrity).items():
        flags.setdefault(eid, []).extend(fl)
    for eid, fl in ratio_flags(competing, chosen, followers, rubric.integrity).items():
        flags.setdefault(eid, []).extend(fl)

    scenarios: list[SensitivityScenario] = []
    if sensitivity:
        podium = rubric.sensitivity.podium
        libs = {e.entry_id: e.library for e in ordered}
        base_r = placed.ranks
        base_place = np.where((base_r > 0) & (base_r <= podium), base_r, 0)
        for key, delta, weights in _scenarios(rubric):
            alt_r = _place(grid, weights, rubric).ranks
            alt_place = np.where((alt_r > 0) & (alt_r <= podium), alt_r, 0)
            changes = [
                PodiumChange(
                    competing_ids[i],
                    libs[competing_ids[i]],
                    int(base_r[i]) or None,
                    int(alt_r[i]) or None,
                )
                for i in np.flatnonzero(base_place != alt_place)
            ]
            both = (base_r > 0) & (alt_r > 0)
            rho: float | None = None
            if both.sum() >= 2 and np.ptp(base_r[both]) > 0 and np.ptp(alt_r[both]) > 0:
                rho = _spearman(base_r[both], alt_r[both])
            scenarios.append(
                SensitivityScenario(
                    criterion=key,
                    delta=delta,
                    weights=tuple((k, float(v)) for k, v in weights.items()),
                    podium_changes=tuple(
                        sorted(changes, key=lambda c: (c.base_rank or 10**9, c.entry_id))
                    ),
                    moved=int(np.count_nonzero(base_r != alt_r)),
                    spearman=rho,
                )
            )

    # rows -------------------------------------------------------------------------------------
    # Built column by column (one list per field, then one constructor call per row through
    # map): the same rows as a loop over entries, with far fewer lookups.
    ranks_arr = placed.ranks.tolist()
    units_arr = placed.units.tolist()
    den_arr = placed.den_w.tolist()
    scale = 10**rubric.ranking.decimals
    ids_all = [e.entry_id for e in ordered]
    n_all = len(ids_all)
    index_of = {eid: i for i, eid in enumerate(ids_all)}
    positions = [row_of.get(eid) for eid in ids_all]
    here = [p is not None and ranks_arr[p] > 0 for p in positions]
    nones: list[Any] = [None] * n_all
    eff_cache: dict[tuple[int, int], float] = {}
    per_criterion: list[list[CriterionResult]] = []
    for c in rubric.criteria:
        col = columns.get(c.key, none_column)
        sc_list = [None if p is None else col[p] for p in positions]
        positive = c.weight > 0
        iw = placed.iw[c.key]
        effs: list[float] = []
        for p, placed_here, sc in zip(positions, here, sc_list, strict=True):
            eff = 0.0
            if placed_here and sc is not None and positive:
                assert p is not None
                pair = (iw, int(den_arr[p]))
                got = eff_cache.get(pair)
                if got is None:
                    got = eff_cache[pair] = float(Fraction(*pair))
                eff = got
            effs.append(eff)
        missing = list(nones)
        for eid, entry_reasons in reasons.items():
            missing[index_of[eid]] = entry_reasons.get(c.key)
        explained: list[dict[int, Any] | None] = [
            creativity if c.source == "judges" else None,
            audience if c.source == "metrics" else None,
            indicators if c.source == "indicators" else None,
        ]
        details = [nones if d is None else [d.get(eid) for eid in ids_all] for d in explained]
        per_criterion.append(
            list(
                map(
                    CriterionResult,
                    repeat(c.key, n_all),
                    repeat(c.source, n_all),
                    repeat(c.weight, n_all),
                    effs,
                    [None if sc is None else sc / 100 for sc in sc_list],
                    [
                        None if sc is None else eff * sc / 100
                        for eff, sc in zip(effs, sc_list, strict=True)
                    ],
                    missing,
                    *details,
                )
            )
        )
    criteria_of: list[tuple[CriterionResult, ...]] = (
        list(zip(*per_criterion, strict=True)) if per_criterion else [()] * n_all
    )
    totals: list[float | None] = [
        units_arr[p] / scale if placed_here and p is not None else None
        for p, placed_here in zip(positions, here, strict=True)
    ]
    flag_tuples: list[tuple[IntegrityFlag, ...]] = []
    for eid in ids_all:
        entry_flags = flags.get(eid)
        if entry_flags and len(entry_flags) > 1:
            entry_flags.sort(key=lambda f: (f.signal, f.start or _EPOCH))
        flag_tuples.append(tuple(entry_flags) if entry_flags else ())
    rows: list[BoardRow] = list(
        map(
            BoardRow,
            ids_all,
            [e.library for e in ordered],
            [e.platform for e in ordered],
            [e.tier for e in ordered],
            [e.province for e in ordered],
            [e.pillar for e in ordered],
            [e.url for e in ordered],
            [e.title for e in ordered],
            [e.posted_at for e in ordered],
            [e.status for e in ordered],
            [e.status_reason for e in ordered],
            [ranks.get(eid) for eid in ids_all],
            totals,
            [segment_ranks[eid] for eid in ids_all],
            criteria_of,
            flag_tuples,
            [tuple(notes[eid]) for eid in ids_all],
            [None if eid in ranks else unranked.get(eid) for eid in ids_all],
        )
    )
    rows.sort(
        key=lambda r: (
            r.rank is None,
            r.rank or 0,
            r.library.casefold(),
            r.entry_id,
        )
    )
    return Board(
        challenge=inputs.challenge,
        as_of=as_of,
        opens_at=inputs.opens_at,
        closes_at=closes_at,
        final=as_of >= closes_at,
        rubric_name=rubric.name,
        rubric_sha256=rubric.sha256,
        decimals=rubric.ranking.decimals,
        rows=tuple(rows),
        platforms=platforms,
        judging=judging,
        sensitivity=tuple(scenarios),
        warnings=tuple(warnings),
        weights=tuple((c.key, c.weight) for c in rubric.criteria),
        source=(inputs, rubric.text),
    )
