"""Small exact and robust numeric helpers shared by the scoring modules."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAD_FACTOR",
    "MEANAD_FACTOR",
    "exact",
    "modified_z",
    "percentiles",
    "round_half_up",
    "snap",
]

MAD_FACTOR = 0.6745
MEANAD_FACTOR = 1.253314
# Values closer than this are the same value for ranking (float noise, not a difference).
SNAP_DECIMALS = 9
SMALL = 64


def exact(x: float | int | Fraction) -> Fraction:
    """A number as an exact fraction; a float becomes the decimal it prints as (0.3 -> 3/10)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, float):
        return Fraction(repr(x))
    return Fraction(x)


def round_half_up(x: Fraction, decimals: int) -> int:
    """``x`` rounded half away from zero, in units of 10**-decimals (62.45, 1 -> 625)."""
    num = abs(x.numerator) * 10**decimals
    den = x.denominator
    sign = -1 if x.numerator < 0 else 1
    return int(sign * ((2 * num + den) // (2 * den)))


def snap(x: float) -> float:
    """``x`` without float noise, for deciding which values are equal."""
    return round(float(x), SNAP_DECIMALS) + 0.0


def percentiles(values: Mapping[int, float]) -> dict[int, Fraction]:
    """Percentile of each value among all given, exactly: 100 (average rank - 1/2) / n.

    Equal values (after :func:`snap`) share their average rank. Keys are entry ids; the result
    does not depend on the order of ``values``.
    """
    n = len(values)
    if n == 0:
        return {}
    ids = np.fromiter(values.keys(), dtype=np.int64, count=n)
    snapped = np.round(np.fromiter(values.values(), dtype=np.float64, count=n), SNAP_DECIMALS)
    snapped += 0.0  # -0.0 -> 0.0
    order = np.lexsort((ids, snapped))
    ordered_vals = snapped[order]
    # Groups of equal values: positions first..last (0-based) share the average rank.
    starts = np.ones(n, dtype=bool)
    starts[1:] = ordered_vals[1:] != ordered_vals[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    ends = np.ones(n, dtype=bool)
    ends[:-1] = starts[1:]
    last = np.minimum.accumulate(np.where(ends, np.arange(n), n)[::-1])[::-1]
    # 1-based positions first+1..last+1; percentile = 100 (avg rank - 1/2) / n.
    numerators = (100 * (first + last + 1)).tolist()
    cache: dict[int, Fraction] = {}
    out: dict[int, Fraction] = {}
    for eid, num in zip(ids[order].tolist(), numerators, strict=True):
        pct = cache.get(num)
        if pct is None:
            pct = cache[num] = Fraction(num, 2 * n)
        out[eid] = pct
    return out


def modified_z(values: Sequence[float] | npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Iglewicz-Hoaglin modified z-scores: 0.6745 (x - median) / MAD.

    When MAD is 0 the mean absolute deviation is used instead, (x - median) / (1.253314 MeanAD);
    when that is 0 too, every value equals the median and every score is 0.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return x
    if x.size <= SMALL:
        # Plain Python is several times faster than numpy for a short series.
        xs = [float(v) for v in x]
        med = statistics.median(xs)
        devs = [v - med for v in xs]
        mad = statistics.median([abs(d) for d in devs])
        if mad > 0:
            return np.array([MAD_FACTOR * d / mad for d in devs], dtype=np.float64)
        mean_ad = math.fsum(abs(d) for d in devs) / len(devs)
        if mean_ad > 0:
            return np.array([d / (MEANAD_FACTOR * mean_ad) for d in devs], dtype=np.float64)
        return np.zeros_like(x)
    med = float(np.median(x))
    dev = x - med
    mad = float(np.median(np.abs(dev)))
    if mad > 0:
        return MAD_FACTOR * dev / mad
    mean_ad = math.fsum(np.abs(dev)) / x.size
    if mean_ad > 0:
        return dev / (MEANAD_FACTOR * mean_ad)
    return np.zeros_like(x)
