"""Other indicators: committee checklist items mapped to fixed points on 0-100.

Each item's value maps to points through its anchors (linear between two anchors). A missing
value (no row, or a row whose value is None) follows the item's rule: ``zero`` counts 0 points,
``exclude`` leaves the item out for that entry and scales the other items' weights up. When no
item is left the criterion is missing for the entry and the criterion's ``missing`` rule applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from scoring.inputs import IndicatorInput, InputError
from scoring.numbers import exact
from scoring.records import record
from scoring.rubric import IndicatorsCriterion

__all__ = ["IndicatorItemResult", "IndicatorsResult", "score_indicators"]


@record
class IndicatorItemResult:
    key: str
    value: float | None
    points: Fraction | None  # None when the item was excluded
    weight: float
    rule_applied: str | None  # "zero" or "exclude" when the value was missing


@record
class IndicatorsResult:
    entry_id: int
    items: tuple[IndicatorItemResult, ...]
    score: Fraction | None
    missing_reason: str | None


def _combination(
    crit: IndicatorsCriterion, values: tuple[float | None, ...]
) -> tuple[tuple[IndicatorItemResult, ...], Fraction | None]:
    items: list[IndicatorItemResult] = []
    num = Fraction(0)
    den = Fraction(0)
    for item, value in zip(crit.items, values, strict=True):
        points: Fraction | None
        rule: str | None = None
        if value is None:
            points = Fraction(0) if item.missing == "zero" else None
            rule = item.missing
        else:
            points = item.points(value)
        items.append(
            IndicatorItemResult(
                key=item.key, value=value, points=points, weight=item.weight, rule_applied=rule
            )
        )
        if points is not None and item.weight > 0:
            w = exact(item.weight)
            num += w * points
            den += w
    return tuple(items), (num / den if den > 0 else None)


def score_indicators(
    crit: IndicatorsCriterion, values: Iterable[IndicatorInput], eligible: Iterable[int]
) -> tuple[dict[int, IndicatorsResult], tuple[str, ...]]:
    """Indicator score of every eligible entry, and the indicator keys the rubric lacks."""
    eligible_set = set(eligible)
    known = {i.key for i in crit.items}
    given: dict[tuple[int, str], float | None] = {}
    unknown: set[str] = set()
    # The records are named tuples (entry_id, indicator, value).
    for entry_id, indicator, value in values:
        if indicator not in known:
            unknown.add(indicator)
            continue
        if entry_id not in eligible_set:
            continue
        key = (entry_id, indicator)
        if key in given:
            raise InputError(
                f"entry {entry_id}, indicator {indicator}: two values; give only the latest"
            )
        given[key] = None if value is None else float(value)
    results: dict[int, IndicatorsResult] = {}
    # Entries share few distinct combinations of values: compute each combination once.
    cache: dict[tuple[float | None, ...], tuple[tuple[IndicatorItemResult, ...], Fraction | None]]
    cache = {}
    keys = [item.key for item in crit.items]
    lookup = given.get
    for eid in sorted(eligible_set):
        combo = tuple([lookup((eid, key)) for key in keys])
        made = cache.get(combo)
        if made is None:
            try:
                made = cache[combo] = _combination(crit, combo)
            except ValueError as exc:
                raise InputError(f"entry {eid}: {exc}") from None
        items, score = made
        results[eid] = IndicatorsResult(
            eid, items, score, None if score is not None else "no_indicator_values"
        )
    return results, tuple(sorted(unknown))
