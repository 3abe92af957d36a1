"""A stable fingerprint of a board's inputs, so a frozen board can be verified by recomputing it.

The inputs are written as canonical JSON (every list sorted, keys sorted, times as microseconds
since 1970-01-01 UTC, numbers normalised) together with the rubric text and ``as_of``, and hashed
with SHA-256. Reordering the inputs does not change the hash; changing any value does.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import numbers
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import itemgetter
from typing import Any

from scoring.inputs import BoardInputs, SnapshotInput, SnapshotSeries

__all__ = ["canonical_inputs", "inputs_sha256"]

HASH_FORMAT = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def _t(value: datetime | None) -> int | None:
    """Microseconds since 1970-01-01 UTC (exact, and cheaper than text)."""
    if value is None:
        return None
    return (value - _EPOCH) // _US


def _f(value: float | None) -> float | None:
    return None if value is None else float(value)


def _snap(s: SnapshotInput) -> tuple[Any, ...]:
    return (
        s.snapshot_id,
        s.entry_id,
        _t(s.collected_at),
        s.views,
        s.likes,
        s.comments,
        s.shares,
        s.saves,
        s.reach,
        s.source,
    )


def _series_rows(series: Sequence[SnapshotInput]) -> list[tuple[Any, ...]]:
    """The rows :func:`_snap` makes of ``series``; from the arrays of a :class:`SnapshotSeries`
    without making its records."""
    if not isinstance(series, SnapshotSeries):
        return [_snap(s) for s in series]
    nothing = repeat(None)
    return list(
        zip(
            series.snapshot_ids.tolist(),
            series.entry_ids.tolist(),
            series.collected_us.tolist(),
            series.views_list(),
            nothing,
            nothing,
            nothing,
            nothing,
            nothing,
            series.sources,
            strict=False,  # the repeats are endless; the columns are of one length
        )
    )


def _canonical(rows: list[tuple[Any, ...]], nkey: int) -> list[tuple[Any, ...]]:
    """Rows in an order that depends only on their values.

    Sorted by their first ``nkey`` columns (never None) when those are unique, else by the whole
    row's JSON text.
    """
    rows.sort(key=itemgetter(*range(nkey)))
    if any(a[:nkey] == b[:nkey] for a, b in itertools.pairwise(rows)):
        rows.sort(key=lambda r: json.dumps(r, default=_plain))
    return rows


def _plain(value: Any) -> Any:
    """Numbers of other types (numpy...) as Python numbers."""
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"cannot hash a {type(value).__name__}")


def canonical_inputs(inputs: BoardInputs, rubric_text: str, as_of: datetime) -> str:
    """The canonical JSON text that :func:`inputs_sha256` hashes."""
    doc = {
        "format": HASH_FORMAT,
        "as_of": _t(as_of),
        "rubric": rubric_text,
        "challenge": inputs.challenge,
        "opens_at": _t(inputs.opens_at),
        "closes_at": _t(inputs.closes_at),
        "entries": _canonical(
            [
                (
                    e.entry_id,
                    e.platform,
                    e.tier,
                    e.province,
                    e.library,
                    _t(e.posted_at),
                    e.status,
                    e.status_reason,
                    e.url,
                    e.pillar,
                    e.title,
                )
                for e in inputs.entries
            ],
            1,
        ),
        "snapshots": _canonical([_snap(s) for s in inputs.snapshots], 1),
        "series": _canonical(_series_rows(inputs.series), 1),
        "followers": _canonical(
            [(f.entry_id, f.followers, _t(f.collected_at)) for f in inputs.followers], 1
        ),
        "judge_scores": _canonical(
            [
                (s.entry_id, s.judge_id, s.item, _f(s.score), s.score_id)
                for s in inputs.judge_scores
            ],
            3,
        ),
        # A conflict declared twice is the same conflict.
        "conflicts": sorted({(int(c.entry_id), int(c.judge_id)) for c in inputs.conflicts}),
        "indicators": _canonical(
            [(v.entry_id, v.indicator, _f(v.value)) for v in inputs.indicators], 2
        ),
    }
    return json.dumps(
        doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def inputs_sha256(inputs: BoardInputs, rubric_text: str, as_of: datetime) -> str:
    return hashlib.sha256(canonical_inputs(inputs, rubric_text, as_of).encode("utf-8")).hexdigest()
