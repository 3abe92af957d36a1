"""The straightforward creativity computation that :mod:`scoring.judges` replaced (a copy of
it as it was before the speed work): the reference its results must equal bit for bit."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from fractions import Fraction

import numpy as np

from scoring.inputs import Conflict, InputError, JudgeScoreInput
from scoring.judges import CreativityResult, JudgeStat, JudgingSummary, Scorecard
from scoring.rubric import JudgesCriterion

# A judge whose scorecards vary less than this is treated as giving one constant score.
CONSTANT_SD = 1e-9

__all__ = ["reference_score_creativity"]


def _weighted_mean(values: tuple[tuple[str, float], ...], weights: dict[str, int]) -> float:
    """A scorecard's weighted mean with whole-number weights, rounded once: for scores in whole
    or half points it is exact, so two scorecards with the same mean get the same float."""
    num = math.fsum(weights[k] * x for k, x in values)
    return num / sum(weights[k] for k, _ in values)


def _mean(values: list[float]) -> float:
    """Mean with an exactly rounded sum, so it does not depend on the order of the values."""
    return math.fsum(values) / len(values)


def _sd(values: list[float]) -> float:
    """Population standard deviation (0 for a judge who always gives the same score)."""
    m = _mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / len(values))


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
    blocked: dict[int, set[int]] = {}
    for c in conflicts:
        if c.entry_id in eligible:
            blocked.setdefault(c.entry_id, set()).add(c.judge_id)
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


def reference_score_creativity(
    crit: JudgesCriterion,
    scores: Iterable[JudgeScoreInput],
    conflicts: Iterable[Conflict],
    eligible: Iterable[int],
) -> tuple[dict[int, CreativityResult], JudgingSummary]:
    """Corrected creativity of every eligible entry (missing ones say why)."""
    eligible_set = set(eligible)
    cards, blocked, ignored = _cards(crit, scores, conflicts, eligible_set)
    weights = {i.key: i.weight for i in crit.items if i.weight > 0}
    order = list(weights)  # rubric order, weight > 0
    exact_w = {k: Fraction(repr(w)) for k, w in weights.items()}
    common = math.lcm(*(w.denominator for w in exact_w.values())) if exact_w else 1
    int_w = {k: int(w * common) for k, w in exact_w.items()}
    all_items = [i.key for i in crit.items]

    # Raw scorecard values, in a canonical order (entry id, judge id). Scorecards with the same
    # scores share one items tuple and one mean (there are far fewer distinct ones than cards).
    usable: list[tuple[int, int, float, bool, tuple[tuple[str, float], ...]]] = []
    incomplete_excluded: dict[int, list[int]] = {}
    every_item_counts = len(order) == len(all_items)
    exclude_incomplete = crit.incomplete_scorecard == "exclude"
    shapes: dict[tuple[float | None, ...], tuple[tuple[tuple[str, float], ...], bool, float | None]]
    shapes = {}
    means: dict[tuple[tuple[str, float], ...], float] = {}
    for key in sorted(cards):
        card = cards[key]
        shape = tuple(map(card.get, all_items))
        # A zero is not shared: 0.0 and -0.0 are equal keys but print differently.
        shaped = None if 0.0 in shape else shapes.get(shape)
        if shaped is None:
            items = tuple([(k, x) for k, x in zip(all_items, shape, strict=True) if x is not None])
            values = items if every_item_counts else tuple((k, x) for k, x in items if k in int_w)
            complete = len(values) == len(order)
            raw = None
            if values and (complete or not exclude_incomplete):
                raw = means.get(values)
                if raw is None:
                    raw = means[values] = _weighted_mean(values, int_w)
            shaped = shapes[shape] = (items, complete, raw)
        items, complete, raw = shaped
        if raw is None:
            incomplete_excluded.setdefault(key[0], []).append(key[1])
            continue
        usable.append((key[0], key[1], raw, complete, items))

    judge_ids = sorted({u[1] for u in usable})
    per_judge: dict[int, list[float]] = {j: [] for j in judge_ids}
    for u in usable:
        per_judge[u[1]].append(u[2])
    stats_n = {j: len(v) for j, v in per_judge.items()}
    stats_mean = {j: _mean(v) for j, v in per_judge.items()}
    stats_sd = {j: _sd(v) for j, v in per_judge.items()}
    all_raw = np.array([u[2] for u in usable], dtype=np.float64)
    overall_mean = float(all_raw.mean()) if all_raw.size else None
    overall_sd = float(all_raw.std()) if all_raw.size else None
    calibrated = {
        j: crit.correction != "raw" and stats_n[j] >= crit.min_scores_per_judge for j in judge_ids
    }

    offsets: dict[int, float] = {j: 0.0 for j in judge_ids}
    group_of: dict[int, int | None] = {j: None for j in judge_ids}
    n_groups = 0
    corrected_value: list[float] = []  # in the order of ``usable``
    if crit.correction == "offset":
        cal = [j for j in judge_ids if calibrated[j]]
        if cal:
            jpos = {j: p for p, j in enumerate(cal)}
            rows = [u for u in usable if u[1] in jpos]
            eids = sorted({u[0] for u in rows})
            epos = {e: p for p, e in enumerate(eids)}
            b, groups = _offsets(
                np.array([epos[u[0]] for u in rows], dtype=np.int64),
                np.array([jpos[u[1]] for u in rows], dtype=np.int64),
                np.array([u[2] for u in rows], dtype=np.float64),
                len(cal),
            )
            n_groups = len(np.unique(groups))
            for j, p in jpos.items():
                offsets[j] = float(b[p])
                group_of[j] = int(groups[p])
        corrected_value = [u[2] - offsets[u[1]] for u in usable]
    elif crit.correction == "zscore":
        mu = overall_mean if overall_mean is not None else 0.0
        sd = overall_sd if overall_sd is not None else 0.0
        for u in usable:
            j = u[1]
            if not calibrated[j]:
                corrected_value.append(u[2])
            elif stats_sd[j] > CONSTANT_SD:
                corrected_value.append(mu + sd * (u[2] - stats_mean[j]) / stats_sd[j])
            else:
                corrected_value.append(mu + (u[2] - stats_mean[j]))
        diffs: dict[int, list[float]] = {j: [] for j in judge_ids}
        for u, c in zip(usable, corrected_value, strict=True):
            diffs[u[1]].append(u[2] - c)
        offsets = {j: _mean(v) for j, v in diffs.items()}
    else:
        corrected_value = [u[2] for u in usable]

    by_entry: dict[int, list[Scorecard]] = {}
    for (eid, jid, raw, complete, items), corr in zip(usable, corrected_value, strict=True):
        card_e = Scorecard(jid, items, raw, corr, calibrated[jid], complete)
        got_e = by_entry.get(eid)
        if got_e is None:
            by_entry[eid] = [card_e]
        else:
            got_e.append(card_e)

    results: dict[int, CreativityResult] = {}
    spreads: list[float] = []
    none: tuple[int, ...] = ()
    for eid in sorted(eligible_set):
        cards_e = by_entry.get(eid, [])  # in judge-id order
        got = blocked.get(eid)
        conflicted = tuple(sorted(got)) if got else none
        skipped = incomplete_excluded.get(eid)
        excluded = tuple(sorted(skipped)) if skipped else none
        if len(cards_e) < crit.min_judges_per_entry:
            reason = "no_judge_scores" if not cards_e else "too_few_judges"
            results[eid] = CreativityResult(
                entry_id=eid,
                scorecards=tuple(cards_e),
                conflicted_judges=conflicted,
                excluded_incomplete=excluded,
                raw_mean=_mean([c.raw for c in cards_e]) if cards_e else None,
                corrected=None,
                missing_reason=reason,
                spread=None,
            )
            continue
        kept = [c.corrected for c in cards_e]
        if crit.trim and len(cards_e) >= crit.trim_min_judges:
            ranked = sorted(cards_e, key=lambda c: (c.corrected, c.judge_id))
            lo, hi = ranked[0], ranked[-1]
            cards_e = [replace(c, trimmed=True) if c is lo or c is hi else c for c in cards_e]
            kept = [c.corrected for c in ranked[1:-1]]
        corrected = _mean(kept)
        spread = None
        if len(kept) >= 2:
            spread = max(kept) - min(kept)
            spreads.append(spread)
        results[eid] = CreativityResult(
            entry_id=eid,
            scorecards=tuple(cards_e),
            conflicted_judges=conflicted,
            excluded_incomplete=excluded,
            raw_mean=_mean([c.raw for c in cards_e]),
            corrected=corrected,
            missing_reason=None,
            spread=spread,
        )

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
        ignored_items=tuple(sorted(ignored)),
    )
    return results, summary
