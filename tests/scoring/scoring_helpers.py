"""Builders for scoring tests: small contests and rubric variants."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from scoring import (
    DEFAULT_RUBRIC_TOML,
    BoardInputs,
    EntryInput,
    FollowerCount,
    IndicatorInput,
    JudgeScoreInput,
    SnapshotInput,
    select_snapshots,
)

OPENS = datetime(2025, 8, 1, tzinfo=UTC)
CLOSES = datetime(2025, 8, 31, tzinfo=UTC)
ITEMS = ("originality", "storytelling", "craft", "theme_fit")


def at(day: int, hour: int = 0) -> datetime:
    """A time in August 2025 (UTC)."""
    return datetime(2025, 8, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour)


def set_value(toml: str, table: str, key: str, value: str) -> str:
    """Replace ``key = ...`` inside ``[table]`` of a TOML text (first occurrence)."""
    start = toml.index(f"[{table}]\n")
    m = re.compile(rf"^{re.escape(key)} = .*$", re.M).search(toml, start)
    assert m is not None, (table, key)
    return toml[: m.start()] + f"{key} = {value}" + toml[m.end() :]


def weights(creativity: str, audience: str, other: str, base: str = DEFAULT_RUBRIC_TOML) -> str:
    text = set_value(base, "criteria.creativity", "weight", creativity)
    text = set_value(text, "criteria.audience", "weight", audience)
    return set_value(text, "criteria.other", "weight", other)


def card(entry: int, judge: int, score: float) -> list[JudgeScoreInput]:
    """A judge's scorecard giving ``score`` on every default rubric item."""
    return [JudgeScoreInput(entry, judge, item, score) for item in ITEMS]


def entry(
    eid: int,
    platform: str = "instagram",
    *,
    posted: datetime | None = None,
    tier: str = "kabupaten_kota",
    province: str = "Jawa Barat",
    status: str = "active",
) -> EntryInput:
    return EntryInput(
        entry_id=eid,
        platform=platform,
        tier=tier,
        province=province,
        library=f"Perpustakaan {eid:03d}",
        posted_at=posted if posted is not None else at(2 + eid % 5),
        status=status,
        url=f"https://www.instagram.com/reel/E{eid}/",
    )


def inputs(
    entries: list[EntryInput],
    snapshots: list[SnapshotInput],
    *,
    followers: list[FollowerCount] | None = None,
    scores: list[JudgeScoreInput] | None = None,
    indicators: list[IndicatorInput] | None = None,
    window_days: int | None = 14,
    as_of: datetime = CLOSES,
) -> BoardInputs:
    """Board inputs with each entry's snapshot chosen by the selection rule."""
    sel = select_snapshots(entries, snapshots, window_days, CLOSES, as_of)
    return BoardInputs(
        challenge="uji",
        opens_at=OPENS,
        closes_at=CLOSES,
        entries=tuple(entries),
        snapshots=sel.chosen,
        followers=tuple(followers or ()),
        judge_scores=tuple(scores or ()),
        indicators=tuple(indicators or ()),
        series=sel.series,
    )


def shuffled(inp: BoardInputs, order: list[int]) -> BoardInputs:
    """The same inputs with every list permuted (``order`` drives a deterministic shuffle)."""

    def perm(rows: tuple[object, ...]) -> tuple[object, ...]:
        items = list(rows)
        out: list[object] = []
        k = 0
        while items:
            k = (k + order[len(out) % len(order)]) % len(items)
            out.append(items.pop(k))
        return tuple(out)

    return replace(
        inp,
        entries=perm(inp.entries),  # type: ignore[arg-type]
        snapshots=perm(inp.snapshots),  # type: ignore[arg-type]
        followers=perm(inp.followers),  # type: ignore[arg-type]
        judge_scores=perm(inp.judge_scores),  # type: ignore[arg-type]
        conflicts=perm(inp.conflicts),  # type: ignore[arg-type]
        indicators=perm(inp.indicators),  # type: ignore[arg-type]
        series=perm(inp.series),  # type: ignore[arg-type]
    )
