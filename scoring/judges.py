"""Creativity from judges' scores, with judge-bias correction.

A judge's *scorecard* for an entry is the weighted mean of the rubric items they scored (on the
rubric scale, 1-10 by default). Scorecards are corrected for each judge's leniency:

* ``offset`` (default): the additive model ``y = quality(entry) + offset(judge) + noise`` is
  fitted by least squares over the scorecards of judges with at least ``min_scores_per_judge``
  of them. Given the offsets, an entry's quality is the mean of ``y - offset`` over its judges, so
  a corrected scorecard is simply ``raw - offset(judge)``. The model fixes only differences, so
  within each group of judges linked by shared entries the offsets are centred: the
  count-weighted mean offset is 0 (the mean corrected scorecard equals the mean raw one). A judge
  who adds a constant to every score therefore moves every entry of the group alike, and the
  order of entries does not change. A judge who always gives the same score is no problem for the
  model: their scorecards just carry no preference between their entries.
* ``zscore``: ``mean + sd * (raw - judge mean) / judge sd`` (mean and sd of all scorecards); a
  judge whose scorecards are all equal is only centred (their corrected scorecards equal the
  overall mean).
* ``raw``: no correction.

Judges below the minimum are used uncorrected and do not take part in the fit. A judge who
declared a conflict of interest on an entry has all their scores on it excluded. A missing score
is never a zero: an entry's creativity is the (optionally trimmed) mean of the scorecards it has.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.inputs import Conflict, InputError, JudgeScoreColumns, JudgeScoreInput
from scoring.records import record
from scoring.rubric import JudgesCriterion

# A judge whose scorecards vary less than this is treated as giving one constant score.
CONSTANT_SD = 1e-9

__all__ = ["CreativityResult", "JudgeStat", "JudgingSummary", "Scorecard", "score_creativity"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@record
class Scorecard:
    """One judge's scores of one entry: raw items, raw mean, and the corrected value."""

    judge_id: int
    items: tuple[tuple[str, float], ...]
    raw: float
    corrected: float
    calibrated: bool  # True when this judge's leniency was corrected
    complete: bool  # False when some rubric items were left empty
    trimmed: bool = False  # True when the trimmed mean dropped this scorecard


@record
class CreativityResult:
    entry_id: int
    scorecards: tuple[Scorecard, ...]
    conflicted_judges: tuple[int, ...]
    excluded_incomplete: tuple[int, ...]  # judges whose incomplete scorecard was not used
    raw_mean: float | None
    corrected: float | None  # on the rubric scale; None when missing
    missing_reason: str | None
    spread: float | None  # max - min of the corrected scorecards used


@record
class JudgeStat:
    judge_id: int
    scorecards: int
    mean: float
    sd: float
    calibrated: bool
    offset: float  # raw - corrected, on the mean (offset model: exactly the offset)
    group: int | None  # linked group of judges in the offset model


@record
class JudgingSummary:
    correction: str
    judges: tuple[JudgeStat, ...]
    groups: int  # linked groups of calibrated judges (offset model); > 1 weakens the correction
    overall_mean: float | None
    overall_sd: float | None
    median_spread: float | None
    ignored_items: tuple[str, ...]  # scores of items this rubric does not have


def _scorecards(
    judge: list[int],
    items: list[tuple[tuple[str, float], ...]],
    raw: list[float],
    corrected: list[float],
    calibrated: list[bool],
    complete: list[bool],
) -> list[Scorecard]:
    """``Scorecard(*fields)`` for each set of fields (untrimmed)."""
    return list(map(Scorecard, judge, items, raw, corrected, calibrated, complete))


def _results(
    entry_ids: list[int],
    cards: list[tuple[Scorecard, ...]],
    conflicted: list[tuple[int, ...]],
    excluded: list[tuple[int, ...]],
    raw_mean: list[float | None],
    corrected: list[float | None],
    reason: list[str | None],
    spread: list[float | None],
) -> dict[int, CreativityResult]:
    """``{entry_id: CreativityResult(entry_id, *fields)}``."""
    columns = (entry_ids, cards, conflicted, excluded, raw_mean, corrected, reason, spread)
    return dict(zip(entry_ids, map(CreativityResult, *columns), strict=True))


def _weighted_mean(values: tuple[tuple[str, float], ...], weights: dict[str, int]) -> float:
    """A scorecard's weighted mean with whole-number weights, rounded once: for scores in whole
    or half points it is exact, so two scorecards with the same mean get the same float."""
    num = math.fsum(weights[k] * x for k, x in values)
    return num / sum(weights[k] for k, _ in values)


def _mean(values: list[float]) -> float:
    """Mean with an exactly rounded sum, so it does not depend on the order of the values."""
    return math.fsum(values) / len(values)


def _sd(values: FloatArray, m: float) -> float:
    """Population standard deviation (0 for a judge who always gives the same score), given
    the mean ``m`` (:func:`_mean`): ``sqrt(fsum((v - m) ** 2 for v in values) / n)``.

    A judge's scorecards take few distinct values, so ``(v - m) ** 2`` (Python's power, which
    need not round as ``d * d`` does) is worked out once per distinct value. The ``c`` copies of
    a square ``q`` add up to exactly ``c * hi + c * lo``, where ``hi`` is ``q`` cut to 26
    significant bits and ``lo = q - hi``: both products are exact, so fsum of them is the
    exactly rounded sum of all the squares, the number fsum gives for them one by one.
    """
    distinct, counts = np.unique(values, return_counts=True)
    if counts.max() >= 2**26:
        return math.sqrt(math.fsum((v - m) ** 2 for v in values.tolist()) / values.size)
    squares = np.array([d**2 for d in (distinct - m).tolist()], dtype=np.float64)
    hi = (squares.view(np.int64) & np.int64(~(2**27 - 1))).view(np.float64)
    lo = squares - hi
    c = counts.astype(np.float64)
    return math.sqrt(math.fsum(np.concatenate([c * hi, c * lo]).tolist()) / values.size)


def _group_fsums(x: FloatArray, starts: IntArray) -> FloatArray:
    """``math.fsum`` of each group ``x[starts[g]:starts[g + 1]]`` (groups not empty).

    fsum is the exactly rounded sum. Where the values of a group are whole multiples of one
    power of two and their sum fits in 62 bits, that sum is computed exactly in integers and
    rounded once on conversion to float, which is the same number; other groups (and sums of
    0, whose sign fsum decides) go through fsum itself.
    """
    n = x.size
    counts = np.diff(np.append(starts, n))
    _, expo = np.frexp(x)
    # x * 2**(53 - expo) is a whole number; zeros need nothing.
    need = np.where(x != 0, 53 - expo, np.iinfo(np.int32).min).astype(np.int64)
    top = int(need.max())
    with np.errstate(over="ignore", invalid="ignore"):
        if abs(top) < 1000 and float(np.abs(x).max()) * 2.0**top * int(counts.max()) < 2.0**62:
            # One scale fits all groups (the usual case).
            total = np.add.reduceat(np.ldexp(x, top).astype(np.int64), starts)
            sums = np.ldexp(total.astype(np.float64), -top)
            ok = np.ones(starts.size, dtype=bool)
        else:
            scale = np.maximum.reduceat(need, starts)
            biggest = np.maximum.reduceat(np.abs(x), starts)
            ok = np.ldexp(biggest, np.clip(scale, -2000, 2000)) * counts < 2.0**62
            ok &= np.abs(scale) < 1000
            scale = np.where(ok, scale, 0)
            per = np.repeat(scale, counts)
            whole = np.where(np.repeat(ok, counts), np.ldexp(x, per), 0.0).astype(np.int64)
            total = np.add.reduceat(whole, starts)
            sums = np.ldexp(total.astype(np.float64), -scale)
    ok &= (total != 0) & (np.abs(sums) >= np.finfo(np.float64).tiny)
    if not ok.all():
        values = x.tolist()
        ends = (starts + counts).tolist()
        first = starts.tolist()
        for g in np.flatnonzero(~ok).tolist():
            sums[g] = math.fsum(values[first[g] : ends[g]])
    return sums


def _blocked(conflicts: Iterable[Conflict], eligible: set[int]) -> dict[int, set[int]]:
    blocked: dict[int, set[int]] = {}
    for c in conflicts:
        if c.entry_id in eligible:
            blocked.setdefault(c.entry_id, set()).add(c.judge_id)
    return blocked


def _cards(
    crit: JudgesCriterion,
    scores: Iterable[JudgeScoreInput],
    conflicts: Iterable[Conflict],
    eligible: set[int],
) -> tuple[
    dict[tuple[int, int], dict[str, float]],
    dict[int, set[int]],
    set[str],
]:
    """Scorecards one score at a time: the reference for which score is reported as bad."""
    blocked = _blocked(conflicts, eligible)
    items = {i.key for i in crit.items}
    cards: dict[tuple[int, int], dict[str, float]] = {}
    ignored: set[str] = set()
    lo, hi = crit.scale_min, crit.scale_max
    isfinite = math.isfinite
    no_block: set[int] = set()
    for s in scores:
        item = s.item
        if item not in items:
            ignored.add(item)
            continue
        score = float(s.score)
        if not (isfinite(score) and lo <= score <= hi):
            raise InputError(
                f"judge score of entry {s.entry_id} by judge {s.judge_id} on {item}: "
                f"{s.score!r} is outside {lo:g}..{hi:g}"
            )
        eid = s.entry_id
        if eid not in eligible or s.judge_id in blocked.get(eid, no_block):
            continue
        key = (eid, s.judge_id)
        card = cards.get(key)
        if card is None:
            cards[key] = {item: score}
        elif item in card:
            raise InputError(
                f"entry {eid}, judge {s.judge_id}, item {item}: two effective scores; "
                "give only the latest score of each item"
            )
        else:
            card[item] = score
    return cards, blocked, ignored


@record
class _Rows:
    """The effective scores (known item, eligible entry, no conflict), ordered by entry and judge:
    scorecard ``card[r]`` of row ``r``; scorecard ``c`` starts at row ``starts[c]``."""

    entry: IntArray
    judge: IntArray
    item: IntArray  # index into crit.items
    score: FloatArray
    card: IntArray
    starts: IntArray
    blocked: dict[int, set[int]]
    ignored: set[str]


def _int_ids(values: list[Any], what: str) -> IntArray:
    ids = np.array(values) if values else np.zeros(0, dtype=np.int64)
    if ids.dtype.kind not in "iu" or ids.dtype.itemsize > 8:
        raise TypeError(f"{what} ids must be integers")
    return ids.astype(np.int64)


def _cards_of(
    e: IntArray, j: IntArray, k: IntArray, n_items: int
) -> tuple[IntArray, IntArray] | None:
    """Scorecard of each row and first row of each scorecard (rows ordered by entry and judge);
    None when a scorecard has two scores of one item."""
    first = np.ones(e.size, dtype=bool)
    first[1:] = (e[1:] != e[:-1]) | (j[1:] != j[:-1])
    starts = np.flatnonzero(first)
    card = np.cumsum(first) - 1
    if e.size and np.bincount(card * n_items + k).max() > 1:
        return None
    return card, starts


def _rows_one_by_one(
    crit: JudgesCriterion,
    scores: Sequence[JudgeScoreInput],
    conflicts: Sequence[Conflict],
    eligible: set[int],
) -> _Rows:
    """:func:`_rows` through :func:`_cards`: for inputs with an error (it raises the same error
    on the same score) or of unusual types."""
    cards, blocked, ignored = _cards(crit, scores, conflicts, eligible)
    all_items = [i.key for i in crit.items]
    ent: list[int] = []
    jud: list[int] = []
    itm: list[int] = []
    val: list[float] = []
    for key in sorted(cards):
        card = cards[key]
        for p, item in enumerate(all_items):
            if item in card:
                ent.append(key[0])
                jud.append(key[1])
                itm.append(p)
                val.append(card[item])
    e, j = _int_ids(ent, "entry"), _int_ids(jud, "judge")
    k = np.array(itm, dtype=np.int64)
    made = _cards_of(e, j, k, len(all_items))
    assert made is not None
    return _Rows(e, j, k, np.array(val, dtype=np.float64), *made, blocked, ignored)


def _rows(
    crit: JudgesCriterion,
    scores_in: Iterable[JudgeScoreInput],
    conflicts_in: Iterable[Conflict],
    eligible: set[int],
) -> _Rows:
    """The effective scores as columns, checked as :func:`_cards` checks them."""
    scores = scores_in if isinstance(scores_in, Sequence) else list(scores_in)
    conflicts = conflicts_in if isinstance(conflicts_in, Sequence) else list(conflicts_in)
    n = len(scores)
    n_items = len(crit.items)
    item_pos = {i.key: p for p, i in enumerate(crit.items)}
    if n == 0 or len(item_pos) != n_items:
        return _rows_one_by_one(crit, scores, conflicts, eligible)
    if isinstance(scores, JudgeScoreColumns):
        ent_col, jud_col, item_col, score_col, _ = scores.columns()
    else:
        # The records are named tuples (entry_id, judge_id, item, score, score_id): one transpose.
        ent_col, jud_col, item_col, score_col, _ = zip(*scores, strict=True)
    itm = np.fromiter(map(item_pos.get, item_col, repeat(-1)), np.int64, n)
    ent = np.array(ent_col)
    jud = np.array(jud_col)
    elig = np.array(sorted(eligible)) if eligible else np.zeros(0, dtype=np.int64)
    try:
        # float() of each score, as _cards does (a score float() refuses goes there).
        val = np.fromiter(score_col, np.float64, n)
    except (TypeError, ValueError, OverflowError):
        return _rows_one_by_one(crit, scores, conflicts, eligible)
    if not (ent.dtype == np.int64 and jud.dtype == np.int64 and elig.dtype == np.int64):
        return _rows_one_by_one(crit, scores, conflicts, eligible)
    known = itm >= 0
    lo, hi = crit.scale_min, crit.scale_max
    with np.errstate(invalid="ignore"):
        fine = np.isfinite(val) & (val >= lo) & (val <= hi)
    if not fine[known].all():
        return _rows_one_by_one(crit, scores, conflicts, eligible)  # raises
    ignored = {scores[i].item for i in np.flatnonzero(~known).tolist()}
    take = np.flatnonzero(known & np.isin(ent, elig))
    e, j = ent[take], jud[take]
    if e.size:
        e_min, j_min = int(e.min()), int(j.min())
        j_span = int(j.max()) - j_min + 1
        if (int(e.max()) - e_min + 1) * j_span < 2**62:
            # Stable, and quick when the scores come ordered by entry and judge.
            order = np.argsort((e - e_min) * j_span + (j - j_min), kind="stable")
        else:
            order = np.lexsort((j, e))
        take = take[order]
    e, j, k, v = ent[take], jud[take], itm[take], val[take]
    blocked = _blocked(conflicts, eligible)
    if blocked:
        drop = np.zeros(e.size, dtype=bool)
        for eid, jset in blocked.items():
            a = int(np.searchsorted(e, eid, side="left"))
            b = int(np.searchsorted(e, eid, side="right"))
            if a < b:
                drop[a:b] = np.isin(j[a:b], np.array(sorted(jset), dtype=np.int64))
        if drop.any():
            keep = ~drop
            e, j, k, v = e[keep], j[keep], k[keep], v[keep]
    made = _cards_of(e, j, k, n_items)
    if made is None:
        return _rows_one_by_one(crit, scores, conflicts, eligible)  # raises
    return _Rows(e, j, k, v, *made, blocked, ignored)


def _offsets(
    entry_idx: np.ndarray, judge_idx: np.ndarray, y: np.ndarray, n_judges: int
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares judge offsets of the additive model, centred within each linked group.

    Eliminating the entry effects leaves ``M b = r`` with ``M = diag(n_j) - A' diag(1/k_i) A``
    (A: entry x judge incidence, k_i judges of entry i, n_j scorecards of judge j) and
    ``r_j = sum over j's scorecards of (y - mean of the entry's scorecards)``.
    """
    # scipy is imported here, not at the top: it takes a third of a second to load, and most
    # processes that import scoring (collection workers, the command line) never fit offsets.
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    n_entries = int(entry_idx.max()) + 1 if entry_idx.size else 0
    ones = np.ones_like(y)
    a = sparse.csr_matrix((ones, (entry_idx, judge_idx)), shape=(n_entries, n_judges))
    k = np.asarray(a.sum(axis=1)).ravel()
    n = np.asarray(a.sum(axis=0)).ravel()
    sums = np.bincount(entry_idx, weights=y, minlength=n_entries)
    ybar = sums / np.where(k > 0, k, 1)
    r = np.bincount(judge_idx, weights=y - ybar[entry_idx], minlength=n_judges)
    inv_k = sparse.diags(1.0 / np.where(k > 0, k, 1))
    m = (sparse.diags(n) - a.T @ inv_k @ a).toarray()
    b = np.linalg.lstsq(m, r, rcond=None)[0]
    adjacency = (a.T @ a).tocsr()
    _, groups = connected_components(adjacency, directed=False)
    for g in np.unique(groups):
        sel = groups == g
        b[sel] -= float(np.dot(n[sel], b[sel]) / n[sel].sum())
    return b, groups


def _slices(objs: list[Scorecard], lo: IntArray, count: IntArray) -> list[tuple[Scorecard, ...]]:
    """``tuple(objs[lo[q] : lo[q] + count[q]])`` for each q."""
    out: list[tuple[Scorecard, ...]] = [()] * lo.size
    if not objs:
        return out
    arr = np.fromiter(objs, dtype=object, count=len(objs))
    for c in np.unique(count).tolist():
        if c == 0:
            continue
        which = np.flatnonzero(count == c)
        first = lo[which]
        made = zip(*(arr[first + i].tolist() for i in range(c)), strict=True)
        if which.size == lo.size:
            return list(made)
        for q, t in zip(which.tolist(), made, strict=True):
            out[q] = t
    return out


def _pairs(
    keys: list[str], values: FloatArray, present: BoolArray
) -> tuple[npt.NDArray[np.object_], IntArray]:
    """The distinct (key, score) pairs (bit for bit: 0.0 and -0.0 differ), and for each
    scorecard and item the place of its pair (any place where the item was not scored)."""
    n, n_items = values.shape
    filled = np.where(present, values, 1.0)
    twice = filled * 2.0
    if n and (twice == np.rint(twice)).all() and np.abs(twice).max() < 2**30 and filled.all():
        # Whole and half points without zeros (whose sign codes would lose): codes, no sort.
        code = twice.astype(np.int64)
        low = int(code.min())
        span = int(code.max()) - low + 1
        flat = (code - low) + np.arange(n_items, dtype=np.int64) * span
        seen = np.bincount(flat.ravel(), minlength=n_items * span) > 0
        where = np.flatnonzero(seen).tolist()
        objs = np.empty(len(where), dtype=object)
        for i, w in enumerate(where):
            p, c = divmod(w, span)
            objs[i] = (keys[p], (c + low) / 2.0)
        return objs, (np.cumsum(seen) - 1)[flat]
    place = np.empty((n, n_items), dtype=np.int64)
    made: list[tuple[str, float]] = []
    for p, key in enumerate(keys):
        distinct, inverse = np.unique(filled[:, p].view(np.int64), return_inverse=True)
        place[:, p] = inverse.reshape(-1) + len(made)
        made += [(key, x) for x in distinct.view(np.float64).tolist()]
    objs = np.empty(len(made), dtype=object)
    for i, pair in enumerate(made):
        objs[i] = pair
    return objs, place


def _item_tuples(
    keys: list[str], values: FloatArray, present: BoolArray, pattern: IntArray
) -> list[tuple[tuple[str, float], ...]]:
    """Each scorecard's ``items``: (key, score) of the items scored, in rubric order.

    Equal pairs are one tuple object, as equal scores are one float.
    """
    n = values.shape[0]
    if n == 0:
        return []
    objs, place = _pairs(keys, values, present)
    by_item = objs[np.ascontiguousarray(place.T)]  # item x scorecard
    if pattern.min() == pattern.max():
        scored = np.flatnonzero(present[0]).tolist()
        return list(zip(*(by_item[p].tolist() for p in scored), strict=True))
    out: list[tuple[tuple[str, float], ...]] = [()] * n
    for pat in np.unique(pattern).tolist():
        rows = np.flatnonzero(pattern == pat)
        scored = np.flatnonzero(present[rows[0]]).tolist()
        made = zip(*(by_item[p][rows].tolist() for p in scored), strict=True)
        for r, t in zip(rows.tolist(), made, strict=True):
            out[r] = t
    return out


def score_creativity(
    crit: JudgesCriterion,
    scores: Iterable[JudgeScoreInput],
    conflicts: Iterable[Conflict],
    eligible: Iterable[int],
) -> tuple[dict[int, CreativityResult], JudgingSummary]:
    """Corrected creativity of every eligible entry (missing ones say why)."""
    eligible_set = set(eligible)
    rows = _rows(crit, scores, conflicts, eligible_set)
    blocked = rows.blocked
    weights = {i.key: i.weight for i in crit.items if i.weight > 0}
    exact_w = {k: Fraction(repr(w)) for k, w in weights.items()}
    common = math.lcm(*(w.denominator for w in exact_w.values())) if exact_w else 1
    int_w = {k: int(w * common) for k, w in exact_w.items()}
    all_items = [i.key for i in crit.items]
    n_items = len(all_items)
    exclude_incomplete = crit.incomplete_scorecard == "exclude"

    # Scorecards: one per (entry, judge), in that order; a row of item scores each.
    card, k, starts = rows.card, rows.item, rows.starts
    n_cards = starts.size
    card_e = rows.entry[starts]
    card_j = rows.judge[starts]
    values = np.zeros((n_cards, n_items), dtype=np.float64)
    values[card, k] = rows.score
    present = np.zeros((n_cards, n_items), dtype=bool)
    present[card, k] = True
    if n_items <= 62:
        pattern = present.astype(np.int64) @ (np.int64(1) << np.arange(n_items, dtype=np.int64))
    else:
        pattern = np.unique(present, axis=0, return_inverse=True)[1].reshape(-1)

    # What each pattern of scored items means: complete, the weight sum, a mean or not.
    counted = np.array([key in int_w for key in all_items], dtype=bool)
    pats, pat_of = np.unique(pattern, return_inverse=True)
    pat_of = pat_of.reshape(-1)
    pat_complete = np.zeros(pats.size, dtype=bool)
    pat_den = np.ones(pats.size, dtype=np.float64)
    pat_mean = np.zeros(pats.size, dtype=bool)
    for q, c in enumerate(np.unique(pat_of).tolist()):
        scored = [all_items[p] for p in np.flatnonzero(present[np.argmax(pat_of == c)]).tolist()]
        used = [key for key in scored if key in int_w]
        pat_complete[q] = len(used) == len(int_w)
        pat_mean[q] = bool(used) and (pat_complete[q] or not exclude_incomplete)
        if used:
            pat_den[q] = float(sum(int_w[key] for key in used))
    complete_c = pat_complete[pat_of]
    has_mean = pat_mean[pat_of]

    # Weighted means. The products w*x are rounded as Python rounds them; their sum is exact
    # (so equal to fsum) when they are whole multiples of 2**-s with |sum| < 2**52. Other
    # scorecards, and those with a zero (0.0 and -0.0 are one key of the old per-shape cache),
    # take the one-by-one path.
    w_float = np.array([float(int_w.get(key, 0)) for key in all_items], dtype=np.float64)
    products = values * w_float
    with np.errstate(over="ignore", invalid="ignore"):
        num = products.sum(axis=1)
        size = np.abs(products).sum(axis=1)
        halves = products * 2.0
        if n_cards and size.max() < 2.0**50 and (halves == np.rint(halves)).all():
            exact = np.ones(n_cards, dtype=bool)  # all in half points (the usual case)
        else:
            _, expo = np.frexp(size)
            scaled = np.ldexp(products, (52 - expo)[:, None])
            exact = np.isfinite(size) & (scaled == np.rint(scaled)).all(axis=1)
    zero = ((values == 0) & present & counted).any(axis=1) | (num == 0)
    raw_c = num / pat_den[pat_of]
    use = np.flatnonzero(has_mean)
    items_list = _item_tuples(all_items, values[use], present[use], pattern[use])
    slow = np.flatnonzero((~exact | zero)[use])
    if slow.size:
        raw_use = raw_c[use]
        means: dict[tuple[tuple[str, float], ...], float] = {}
        for u in slow.tolist():
            vals = tuple((key, x) for key, x in items_list[u] if key in int_w)
            raw = means.get(vals)
            if raw is None:
                raw = means[vals] = _weighted_mean(vals, int_w)
            raw_use[u] = raw
    else:
        raw_use = raw_c[use]
    incomplete_excluded: dict[int, list[int]] = {}
    for u in np.flatnonzero(~has_mean).tolist():
        incomplete_excluded.setdefault(int(card_e[u]), []).append(int(card_j[u]))
    use_e = card_e[use]
    use_j = card_j[use]
    complete_u = complete_c[use]

    # Judges.
    judge_arr, jcode = np.unique(use_j, return_inverse=True)
    jcode = jcode.reshape(-1)
    judge_ids: list[int] = judge_arr.tolist()
    n_judges = len(judge_ids)
    by_judge = np.argsort(jcode, kind="stable")
    jstart = np.searchsorted(jcode[by_judge], np.arange(n_judges))
    jend = np.append(jstart[1:], jcode.size).tolist() if n_judges else []
    raw_by_judge: list[float] = raw_use[by_judge].tolist()
    spans = list(zip(jstart.tolist(), jend, strict=True))
    stats_n = {j: b - a for j, (a, b) in zip(judge_ids, spans, strict=True)}
    stats_mean = {j: _mean(raw_by_judge[a:b]) for j, (a, b) in zip(judge_ids, spans, strict=True)}
    raw_sorted = raw_use[by_judge]
    stats_sd = {
        j: _sd(raw_sorted[a:b], stats_mean[j]) for j, (a, b) in zip(judge_ids, spans, strict=True)
    }
    overall_mean = float(raw_use.mean()) if raw_use.size else None
    overall_sd = float(raw_use.std()) if raw_use.size else None
    calibrated = {
        j: crit.correction != "raw" and stats_n[j] >= crit.min_scores_per_judge for j in judge_ids
    }
    cal_j = np.array([calibrated[j] for j in judge_ids], dtype=bool)
    cal_c = cal_j[jcode]

    offsets: dict[int, float] = {j: 0.0 for j in judge_ids}
    group_of: dict[int, int | None] = {j: None for j in judge_ids}
    n_groups = 0
    if crit.correction == "offset":
        if cal_j.any():
            jpos = np.cumsum(cal_j) - 1
            sel = np.flatnonzero(cal_c)
            rows_e = use_e[sel]  # in order
            new_e = np.ones(rows_e.size, dtype=bool)
            new_e[1:] = rows_e[1:] != rows_e[:-1]
            epos = np.cumsum(new_e) - 1
            b, groups = _offsets(
                epos.astype(np.int64),
                jpos[jcode[sel]].astype(np.int64),
                np.ascontiguousarray(raw_use[sel]),
                int(cal_j.sum()),
            )
            n_groups = len(np.unique(groups))
            for q in np.flatnonzero(cal_j).tolist():
                offsets[judge_ids[q]] = float(b[jpos[q]])
                group_of[judge_ids[q]] = int(groups[jpos[q]])
        off_arr = np.array([offsets[j] for j in judge_ids], dtype=np.float64)
        corrected_c = raw_use - off_arr[jcode]
    elif crit.correction == "zscore":
        mu = overall_mean if overall_mean is not None else 0.0
        sd = overall_sd if overall_sd is not None else 0.0
        mean_j = np.array([stats_mean[j] for j in judge_ids], dtype=np.float64)[jcode]
        sd_j = np.array([stats_sd[j] for j in judge_ids], dtype=np.float64)[jcode]
        corrected_c = raw_use.copy()
        spread_out = cal_c & (sd_j > CONSTANT_SD)
        flat = cal_c & ~(sd_j > CONSTANT_SD)
        corrected_c[spread_out] = (
            mu + sd * (raw_use[spread_out] - mean_j[spread_out]) / sd_j[spread_out]
        )
        corrected_c[flat] = mu + (raw_use[flat] - mean_j[flat])
        diff_by_judge = (raw_use - corrected_c)[by_judge].tolist()
        offsets = {
            j: _mean(diff_by_judge[a:b])
            for j, a, b in zip(judge_ids, jstart.tolist(), jend, strict=True)
        }
    else:
        corrected_c = raw_use

    cards_all = _scorecards(
        use_j.tolist(),
        items_list,
        raw_use.tolist(),
        corrected_c.tolist(),
        cal_c.tolist(),
        complete_u.tolist(),
    )

    # Entries, in id order; an entry's scorecards are consecutive, in judge order.
    entry_ids = sorted(eligible_set)
    n_e = len(entry_ids)
    ids_arr = np.array(entry_ids, dtype=np.int64) if n_e else np.zeros(0, dtype=np.int64)
    lo = np.searchsorted(use_e, ids_arr, side="left")
    hi = np.searchsorted(use_e, ids_arr, side="right")
    count = hi - lo
    has = count > 0
    gstart = lo[has]
    min_judges = crit.min_judges_per_entry
    raw_mean_o = np.full(n_e, None, dtype=object)
    corrected_o = np.full(n_e, None, dtype=object)
    spread_o = np.full(n_e, None, dtype=object)
    reason_o = np.full(n_e, None, dtype=object)
    reason_o[count == 0] = "no_judge_scores"
    reason_o[has & (count < min_judges)] = "too_few_judges"
    if gstart.size:
        n_g = count[has]
        raw_mean_o[has] = _group_fsums(raw_use, gstart) / n_g.astype(np.float64)
        placed = n_g >= min_judges
        corr_means = _group_fsums(corrected_c, gstart) / n_g.astype(np.float64)
        corrected_o[count >= min_judges] = corr_means[placed]
        spreads_g = np.maximum.reduceat(corrected_c, gstart) - np.minimum.reduceat(
            corrected_c, gstart
        )
        spread_o[(count >= min_judges) & (count >= 2)] = spreads_g[placed & (n_g >= 2)]
    cards_e = _slices(cards_all, lo, count)
    if crit.trim:
        for q in np.flatnonzero(count >= max(min_judges, crit.trim_min_judges)).tolist():
            ranked = sorted(cards_e[q], key=lambda c: (c.corrected, c.judge_id))
            low, high = ranked[0], ranked[-1]
            cards_e[q] = tuple(
                Scorecard(c.judge_id, c.items, c.raw, c.corrected, c.calibrated, c.complete, True)
                if c is low or c is high
                else c
                for c in cards_e[q]
            )
            kept = [c.corrected for c in ranked[1:-1]]
            corrected_o[q] = _mean(kept)
            spread_o[q] = max(kept) - min(kept) if len(kept) >= 2 else None
    spread: list[float | None] = spread_o.tolist()

    none: tuple[int, ...] = ()
    conflicted: list[tuple[int, ...]] = [none] * n_e
    excluded: list[tuple[int, ...]] = [none] * n_e
    if blocked or incomplete_excluded:
        where = {eid: q for q, eid in enumerate(entry_ids)}
        for eid, jset in blocked.items():
            conflicted[where[eid]] = tuple(sorted(jset))
        for eid, skipped in incomplete_excluded.items():
            excluded[where[eid]] = tuple(sorted(skipped))
    results = _results(
        entry_ids,
        cards_e,
        conflicted,
        excluded,
        raw_mean_o.tolist(),
        corrected_o.tolist(),
        reason_o.tolist(),
        spread,
    )
    spreads = [s for s in spread if s is not None]

    judges = tuple(
        JudgeStat(
            judge_id=j,
            scorecards=stats_n[j],
            mean=stats_mean[j],
            sd=stats_sd[j],
            calibrated=calibrated[j],
            offset=offsets[j],
            group=group_of[j],
        )
        for j in judge_ids
    )
    summary = JudgingSummary(
        correction=crit.correction,
        judges=judges,
        groups=n_groups,
        overall_mean=overall_mean,
        overall_sd=overall_sd,
        median_spread=float(np.median(spreads)) if spreads else None,
        ignored_items=tuple(sorted(rows.ignored)),
    )
    return results, summary


def judge_offsets(summary: JudgingSummary) -> Mapping[int, float]:
    return {j.judge_id: j.offset for j in summary.judges}
