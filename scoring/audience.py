"""Audience response from engagement counts, within each platform and at the same age.

Every entry is read from one snapshot: the latest collected at or before
``min(posted + window_days, close, as_of)`` (see :func:`scoring.inputs.select_snapshots`).
Two components, each turned into a within-platform percentile:

* **reach** relative to account size. ``lift`` (default): a Theil-Sen line is fitted to
  ``log(1 + views)`` against ``log(1 + followers at posting)`` over the platform's entries;
  an entry's reach is how far above or below the line it lies (in log units: +0.69 means twice
  the views an account of that size typically gets). ``per_follower``:
  ``log((1 + views) / (1 + followers))``. ``none``: ``log(1 + views)``.
* **resonance**: weighted interactions per view (likes 1, comments 2, shares 3, saves 3 by
  default), shrunk towards the platform's typical rate so a handful of views cannot produce an
  extreme rate: ``(interactions + alpha) / (views + alpha + beta)``, with alpha and beta fitted
  by the method of moments (empirical Bayes) to the rates of the platform's entries with at
  least the median views (the well-measured ones).

Hidden counts (None) are never zeros:

* views hidden (or no snapshot): the entry has no audience score; the criterion's ``missing``
  rule applies;
* followers unknown: no reach component; the audience score is the resonance component alone;
* an interaction type hidden: with ``common_types`` the platform's resonance uses only the types
  every entry of the platform has (the board lists the types left out and why); with ``rescale``
  an entry's known weighted interactions are scaled up to the full weight.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from fractions import Fraction
from operator import attrgetter
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from scoring.inputs import EntryInput, FollowerCount, SnapshotInput
from scoring.numbers import exact, percentiles
from scoring.records import record
from scoring.rubric import MetricsCriterion

__all__ = ["AudienceResult", "PlatformModel", "score_audience", "theil_sen"]

EXACT_THEIL_SEN_MAX = 1000
SAMPLED_PAIRS = 500_000
SAMPLE_SEED = 20_251_123
MIN_SHRINKAGE_ENTRIES = 3


@record
class AudienceResult:
    entry_id: int
    platform: str
    cutoff: datetime | None
    snapshot: SnapshotInput | None
    followers: int | None
    followers_at: datetime | None
    age_days: float | None  # entry age at the snapshot used
    interaction_types: tuple[str, ...]  # types counted for this entry
    weighted_interactions: float | None
    rate: float | None  # weighted interactions per view, before shrinkage
    shrunk_rate: float | None
    reach_value: float | None  # lift / log ratio / log views, per the rubric
    reach_percentile: Fraction | None
    resonance_percentile: Fraction | None
    score: Fraction | None  # 0-100, exact
    missing_reason: str | None


@record
class PlatformModel:
    """What was fitted for one platform's cohort (shown with the board)."""

    platform: str
    entries: int  # entries with an audience score
    size_adjustment: str  # what was applied: lift | per_follower | none
    fit_entries: int
    slope: float | None
    intercept: float | None
    interaction_types: tuple[str, ...]
    left_out_types: tuple[tuple[str, int], ...]  # (type, entries that lack it), common_types
    prior_alpha: float | None
    prior_beta: float | None
    note: str | None


_entry_id = attrgetter("entry_id")


def theil_sen(x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """Median pairwise slope and ``median(y - slope x)``; None when all x are equal.

    Exact (every pair) up to 1000 points; above that the median over 500,000 pairs drawn with a
    fixed seed, so the result is still a pure function of the points in the order given (callers
    pass them in entry-id order).
    """
    n = len(x)
    if n < 2 or float(np.ptp(x)) == 0.0:
        return None
    if n <= EXACT_THEIL_SEN_MAX:
        from scipy import stats  # loaded on first use (it takes most of a second)

        with np.errstate(invalid="ignore"):  # its confidence interval, unused, may be NaN
            slope = float(stats.theilslopes(y, x).slope)
        return slope, float(np.median(y - slope * x))
    rng = np.random.default_rng(SAMPLE_SEED)
    i = rng.integers(0, n, SAMPLED_PAIRS)
    j = rng.integers(0, n, SAMPLED_PAIRS)
    dx = x[j] - x[i]
    keep = dx != 0
    if not keep.any():
        return None
    slope = float(np.median((y[j] - y[i])[keep] / dx[keep]))
    return slope, float(np.median(y - slope * x))


class _Cohort(NamedTuple):
    """One platform's measured entries, before the fit."""

    platform: str
    cohort: list[EntryInput]
    missing: dict[int, str]
    snaps: list[SnapshotInput]
    id_list: list[int]
    ids: npt.NDArray[np.int64]
    view_list: list[int]
    fols: npt.NDArray[np.float64]
    known_f: npt.NDArray[np.bool_]
    log_views: npt.NDArray[np.float64]
    fit_n: int
    fit_input: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None


def _fit_all(
    inputs: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None],
) -> list[tuple[float, float] | None]:
    """:func:`theil_sen` of each platform's points. Two or more sampled fits run on threads:
    numpy drops the interpreter lock for its heavy steps, so they use every core, and each fit
    is the same pure function of its points whichever thread runs it."""
    sampled = sum(1 for i in inputs if i is not None and len(i[0]) > EXACT_THEIL_SEN_MAX)
    if sampled < 2:
        return [None if i is None else theil_sen(*i) for i in inputs]
    with ThreadPoolExecutor(max_workers=min(sampled, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda i: None if i is None else theil_sen(*i), inputs))


def _shrinkage_prior(rates: np.ndarray) -> tuple[float, float] | None:
    """Beta prior (alpha, beta) by the method of moments, or None when the rates do not fit."""
    if rates.size < MIN_SHRINKAGE_ENTRIES:
        return None
    m = float(rates.mean())
    v = float(rates.var(ddof=1))
    if not 0 < m < 1 or not 0 < v < m * (1 - m):
        return None
    kappa = m * (1 - m) / v - 1
    if kappa <= 0:
        return None
    return m * kappa, (1 - m) * kappa


def score_audience(
    crit: MetricsCriterion,
    entries: Sequence[EntryInput],
    chosen: Mapping[int, SnapshotInput],
    followers: Mapping[int, FollowerCount],
    cutoffs: Mapping[int, datetime],
) -> tuple[dict[int, AudienceResult], tuple[PlatformModel, ...]]:
    """Audience score of every given (eligible) entry, platform by platform."""
    results: dict[int, AudienceResult] = {}
    models: list[PlatformModel] = []
    weights = {k: w for k, w in crit.interaction_weights if w > 0}
    cohorts: dict[str, list[EntryInput]] = {}
    for e in sorted(entries, key=_entry_id):
        cohorts.setdefault(e.platform, []).append(e)
    prepared: list[_Cohort] = []
    for platform in sorted(cohorts):
        cohort = cohorts[platform]
        measured: list[tuple[EntryInput, SnapshotInput]] = []
        missing: dict[int, str] = {}
        for e in cohort:
            snap = chosen.get(e.entry_id)
            if snap is None:
                missing[e.entry_id] = "no_snapshot"
            elif snap.views is None:
                missing[e.entry_id] = "views_hidden"
            elif snap.views < 0:
                missing[e.entry_id] = "views_invalid"
            else:
                measured.append((e, snap))
        snaps = [s for _, s in measured]
        id_list = [e.entry_id for e, _ in measured]
        ids = np.array(id_list, dtype=np.int64)
        view_list = [s.views or 0 for s in snaps]
        views = np.array(view_list, dtype=np.float64)
        fols = np.array(
            [
                np.nan if (f := followers.get(eid)) is None or f.followers is None else f.followers
                for eid in id_list
            ],
            dtype=np.float64,
        )
        known_f = ~np.isnan(fols)
        log_views = np.log1p(views)

        fit_n = int(known_f.sum())
        fit_input = None
        if crit.size_adjustment == "lift" and fit_n >= crit.min_fit_entries:
            fit_input = (np.log1p(fols[known_f]), log_views[known_f])
        prepared.append(
            _Cohort(
                platform,
                cohort,
                missing,
                snaps,
                id_list,
                ids,
                view_list,
                fols,
                known_f,
                log_views,
                fit_n,
                fit_input,
            )
        )
    fits = _fit_all([c.fit_input for c in prepared])
    for c, fitted in zip(prepared, fits, strict=True):
        # --- reach -------------------------------------------------------------------------
        applied = crit.size_adjustment
        slope = intercept = None
        note: str | None = None
        if crit.size_adjustment == "lift":
            fit = fitted
            if fit is None:
                applied = "none"
                note = "too_few_entries_to_fit" if c.fit_n < crit.min_fit_entries else "no_spread"
                reach_ids, reach_vals = c.ids, c.log_views
            else:
                slope, intercept = fit
                reach_ids = c.ids[c.known_f]
                reach_vals = c.log_views[c.known_f] - (
                    intercept + slope * np.log1p(c.fols[c.known_f])
                )
        elif crit.size_adjustment == "per_follower":
            reach_ids = c.ids[c.known_f]
            reach_vals = c.log_views[c.known_f] - np.log1p(c.fols[c.known_f])
        else:
            reach_ids, reach_vals = c.ids, c.log_views
        reach: dict[int, float] = dict(zip(reach_ids.tolist(), reach_vals.tolist(), strict=True))

        # --- resonance ---------------------------------------------------------------------
        counts = {
            t: list(map(attrgetter(t), c.snaps)) for t in weights
        }  # None where the platform hides the type
        types: tuple[str, ...] = tuple(weights)
        left_out: list[tuple[str, int]] = []
        if crit.null_interactions == "common_types":
            kept = []
            for t in weights:
                lacking = counts[t].count(None)
                if lacking:
                    left_out.append((t, lacking))
                else:
                    kept.append(t)
            types = tuple(kept)
        interactions: dict[int, tuple[float, tuple[str, ...]]] = {}
        if crit.null_interactions == "common_types":
            if types and c.snaps:
                total = np.zeros(len(c.snaps), dtype=np.float64)
                for t in types:
                    total += weights[t] * np.array(counts[t], dtype=np.float64)
                interactions = {
                    eid: (value, types)
                    for eid, value in zip(c.id_list, total.tolist(), strict=True)
                }
        else:
            total_w = exact(sum(weights.values()))
            for n, eid in enumerate(c.id_list):
                have = tuple(t for t in types if counts[t][n] is not None)
                if not have:
                    continue
                value = sum(weights[t] * float(counts[t][n] or 0) for t in have)
                value = float(exact(value) * total_w / exact(sum(weights[t] for t in have)))
                interactions[eid] = (value, have)
        views_of = dict(zip(c.id_list, c.view_list, strict=True))
        raw_rates = {
            eid: v / views_of[eid] for eid, (v, _) in interactions.items() if views_of[eid] > 0
        }
        prior = None
        if crit.shrinkage == "empirical_bayes":
            # Fit the prior on the better-measured half (views at least the median), so the
            # noisy rates of tiny counts do not inflate the spread they are shrunk by.
            if raw_rates:
                mid = float(np.median([views_of[k] for k in raw_rates]))
                fit_ids = sorted(k for k in raw_rates if views_of[k] >= mid)
                prior = _shrinkage_prior(
                    np.array([raw_rates[k] for k in fit_ids], dtype=np.float64)
                )
            if prior is None and interactions:
                note = (note + "; " if note else "") + "no_shrinkage_fit"
        shrunk: dict[int, float] = {}
        if prior is not None:
            a, b = prior
            shrunk = {
                eid: (v + a) / (views_of[eid] + a + b) for eid, (v, _) in interactions.items()
            }
        else:
            shrunk = {eid: raw_rates[eid] for eid in interactions if views_of[eid] > 0}

        # --- percentiles and score ----------------------------------------------------------
        p_reach = percentiles(reach)
        p_res = percentiles(shrunk)
        w_reach = exact(crit.reach_weight)
        w_res = exact(crit.resonance_weight)
        wden = math.lcm(w_reach.denominator, w_res.denominator)
        ir, is_ = int(w_reach * wden), int(w_res * wden)
        use_reach, use_res = w_reach > 0, w_res > 0  # compared once, not per entry
        scored = 0
        no_types: tuple[str, ...] = ()
        for e in c.cohort:
            eid = e.entry_id
            snap = chosen.get(eid)
            fc = followers.get(eid)
            posted = e.posted_at
            age = (
                (snap.collected_at - posted).total_seconds() / 86400
                if snap is not None and posted is not None
                else None
            )
            pr = p_reach.get(eid)
            ps = p_res.get(eid)
            pr_used = pr if use_reach else None
            ps_used = ps if use_res else None
            score: Fraction | None = None
            reason = c.missing.get(eid)
            if reason is None:
                if pr_used is not None and ps_used is not None:
                    # (wr pr + ws ps) / (wr + ws) in integers: one fraction, not five.
                    score = Fraction(
                        ir * pr_used.numerator * ps_used.denominator
                        + is_ * ps_used.numerator * pr_used.denominator,
                        (ir + is_) * pr_used.denominator * ps_used.denominator,
                    )
                else:
                    score = pr_used if pr_used is not None else ps_used
                if score is None:
                    reason = "no_audience_component"
                else:
                    scored += 1
            inter = interactions.get(eid)
            results[eid] = AudienceResult(
                eid,
                c.platform,
                cutoffs.get(eid),
                snap,
                fc.followers if fc is not None else None,
                fc.collected_at if fc is not None else None,
                age,
                inter[1] if inter else no_types,
                inter[0] if inter else None,
                raw_rates.get(eid),
                shrunk.get(eid),
                reach.get(eid),
                pr,
                ps,
                score,
                reason,
            )
        models.append(
            PlatformModel(
                platform=c.platform,
                entries=scored,
                size_adjustment=applied,
                fit_entries=c.fit_n,
                slope=slope,
                intercept=intercept,
                interaction_types=types,
                left_out_types=tuple(left_out),
                prior_alpha=prior[0] if prior else None,
                prior_beta=prior[1] if prior else None,
                note=note,
            )
        )
    return results, tuple(models)
