"""Rubric documents: parse and validate a committee's TOML rubric.

The store keeps the text of every rubric version; this module turns a text into a validated,
immutable :class:`Rubric`. Every error is a :class:`RubricError` whose message starts with the
dotted path of the field at fault, e.g. ``criteria.audience.weight: must be a number``.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from typing import Any, Literal

__all__ = [
    "DEFAULT_RUBRIC_TOML",
    "Criterion",
    "IndicatorAnchor",
    "IndicatorItem",
    "IndicatorsCriterion",
    "IntegrityRules",
    "JudgeAnchor",
    "JudgeItem",
    "JudgesCriterion",
    "Label",
    "MetricsCriterion",
    "RankingRules",
    "Rubric",
    "RubricError",
    "SensitivityRules",
    "load_rubric",
    "rubric_sha256",
    "validate_indicator_value",
    "validate_judge_score",
]

WEIGHT_TOLERANCE = 1e-6
SOURCES = ("judges", "metrics", "indicators")
INTERACTION_TYPES = ("likes", "comments", "shares", "saves")
EARLIEST_POST = "earliest_post"

MissingRule = Literal["unranked", "renormalise"]
Correction = Literal["offset", "zscore", "raw"]
ToScale = Literal["percentile", "anchor"]
Incomplete = Literal["renormalise", "exclude"]
SizeAdjustment = Literal["lift", "per_follower", "none"]
Shrinkage = Literal["empirical_bayes", "none"]
NullInteractions = Literal["common_types", "rescale"]
ItemMissing = Literal["zero", "exclude"]


class RubricError(ValueError):
    """An invalid rubric; the message starts with the dotted path of the field at fault."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)


@dataclass(frozen=True)
class Label:
    """A text in English and Bahasa Indonesia."""

    en: str
    id: str


@dataclass(frozen=True)
class JudgeAnchor:
    """What a score on a judged item means, shown to judges."""

    score: float
    text: Label


@dataclass(frozen=True)
class JudgeItem:
    key: str
    label: Label
    weight: float
    anchors: tuple[JudgeAnchor, ...]


@dataclass(frozen=True)
class JudgesCriterion:
    key: str
    label: Label
    weight: float
    missing: MissingRule
    scale_min: float
    scale_max: float
    correction: Correction
    min_scores_per_judge: int
    min_judges_per_entry: int
    trim: bool
    trim_min_judges: int
    to_scale: ToScale
    incomplete_scorecard: Incomplete
    items: tuple[JudgeItem, ...]
    source: Literal["judges"] = "judges"

    def item(self, key: str) -> JudgeItem | None:
        return next((i for i in self.items if i.key == key), None)


@dataclass(frozen=True)
class MetricsCriterion:
    key: str
    label: Label
    weight: float
    missing: MissingRule
    window_days: int
    size_adjustment: SizeAdjustment
    min_fit_entries: int
    shrinkage: Shrinkage
    null_interactions: NullInteractions
    reach_weight: float
    resonance_weight: float
    interaction_weights: tuple[tuple[str, float], ...]
    source: Literal["metrics"] = "metrics"


@dataclass(frozen=True)
class IndicatorAnchor:
    value: float
    points: float
    label: Label | None


@dataclass(frozen=True)
class IndicatorItem:
    key: str
    label: Label
    weight: float
    missing: ItemMissing
    anchors: tuple[IndicatorAnchor, ...]  # sorted by value

    def points(self, value: float) -> Fraction:
        """Points (0-100) of ``value``: linear between anchors; ValueError outside them."""
        if not math.isfinite(value):
            raise ValueError(f"indicator {self.key}: value {value!r} is not a finite number")
        v = Fraction(value)
        lo = self.anchors[0]
        hi = self.anchors[-1]
        if v < _exact(lo.value) or v > _exact(hi.value):
            raise ValueError(
                f"indicator {self.key}: value {value:g} is outside its anchors "
                f"{_num(lo.value)}..{_num(hi.value)}"
            )
        for a, b in zip(self.anchors, self.anchors[1:], strict=False):
            av, bv = _exact(a.value), _exact(b.value)
            if av <= v <= bv:
                ap, bp = _exact(a.points), _exact(b.points)
                return ap + (bp - ap) * (v - av) / (bv - av)
        return _exact(hi.points)  # only one anchor value equal to v (unreachable: >= 2 anchors)


@dataclass(frozen=True)
class IndicatorsCriterion:
    key: str
    label: Label
    weight: float
    missing: MissingRule
    items: tuple[IndicatorItem, ...]
    source: Literal["indicators"] = "indicators"

    def item(self, key: str) -> IndicatorItem | None:
        return next((i for i in self.items if i.key == key), None)


Criterion = JudgesCriterion | MetricsCriterion | IndicatorsCriterion


@dataclass(frozen=True)
class RankingRules:
    decimals: int
    tie_breakers: tuple[str, ...]


@dataclass(frozen=True)
class SensitivityRules:
    weight_delta: float
    podium: int


@dataclass(frozen=True)
class IntegrityRules:
    modified_z_threshold: float
    min_cohort: int
    min_intervals: int
    min_views_increment: int
    judge_spread_ratio: float


@dataclass(frozen=True)
class Rubric:
    """A validated rubric. ``text`` is the document it came from; ``sha256`` hashes that text."""

    format: int
    name: str
    criteria: tuple[Criterion, ...]
    ranking: RankingRules
    sensitivity: SensitivityRules
    integrity: IntegrityRules
    text: str
    sha256: str

    def criterion(self, key: str) -> Criterion:
        for c in self.criteria:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def judges(self) -> JudgesCriterion | None:
        return next((c for c in self.criteria if isinstance(c, JudgesCriterion)), None)

    @property
    def metrics(self) -> MetricsCriterion | None:
        return next((c for c in self.criteria if isinstance(c, MetricsCriterion)), None)

    @property
    def indicators(self) -> IndicatorsCriterion | None:
        return next((c for c in self.criteria if isinstance(c, IndicatorsCriterion)), None)

    @property
    def window_days(self) -> int | None:
        """Days after posting at which audience counts are read (None without a metrics one)."""
        m = self.metrics
        return m.window_days if m is not None else None


def rubric_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def validate_judge_score(rubric: Rubric, item: str, score: float) -> None:
    """Raise ValueError naming the problem if ``score`` is not a valid score of ``item``."""
    crit = rubric.judges
    if crit is None:
        raise ValueError("this rubric has no judged criterion")
    it = crit.item(item)
    if it is None:
        known = ", ".join(i.key for i in crit.items)
        raise ValueError(f"unknown rubric item {item!r} (known: {known})")
    if not math.isfinite(score) or not crit.scale_min <= score <= crit.scale_max:
        raise ValueError(
            f"score {score!r} for {item} is outside {_num(crit.scale_min)}..{_num(crit.scale_max)}"
        )


def validate_indicator_value(rubric: Rubric, indicator: str, value: float) -> None:
    """Raise ValueError naming the problem if ``value`` is not valid for ``indicator``."""
    crit = rubric.indicators
    if crit is None:
        raise ValueError("this rubric has no indicators criterion")
    it = crit.item(indicator)
    if it is None:
        known = ", ".join(i.key for i in crit.items)
        raise ValueError(f"unknown indicator {indicator!r} (known: {known})")
    it.points(value)


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _exact(x: float) -> Fraction:
    """The decimal a TOML number was written as (0.3 -> 3/10), exactly."""
    return Fraction(repr(x)) if isinstance(x, float) else Fraction(x)


def _num(x: float) -> str:
    return f"{x:g}"


class _Table:
    """A TOML table being read: tracks the fields used so unknown ones can be reported."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise RubricError(path, "must be a table")
        self.data: dict[str, Any] = data
        self.path = path
        self.used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = ..., *, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required or default is ...:
                raise RubricError(self.at(key), "is required")
            return default
        return self.data[key]

    def string(self, key: str, default: str | None = None) -> str:
        v = self.raw(key, ... if default is None else default)
        if not isinstance(v, str) or not v.strip():
            raise RubricError(self.at(key), "must be a non-empty string")
        return v

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
    ) -> float:
        v = self.raw(key, ... if default is None else default)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise RubricError(self.at(key), f"must be a number, got {v!r}")
        if lo is not None and (v < lo or (lo_open and v == lo)):
            bound = "greater than" if lo_open else "at least"
            raise RubricError(self.at(key), f"must be {bound} {_num(lo)}, got {_num(v)}")
        if hi is not None and v > hi:
            raise RubricError(self.at(key), f"must be at most {_num(hi)}, got {_num(v)}")
        return float(v)

    def integer(
        self, key: str, default: int | None = None, *, lo: int | None = None, hi: int | None = None
    ) -> int:
        v = self.raw(key, ... if default is None else default)
        if isinstance(v, bool) or not isinstance(v, int):
            raise RubricError(self.at(key), f"must be a whole number, got {v!r}")
        if lo is not None and v < lo:
            raise RubricError(self.at(key), f"must be at least {lo}, got {v}")
        if hi is not None and v > hi:
            raise RubricError(self.at(key), f"must be at most {hi}, got {v}")
        return int(v)

    def boolean(self, key: str, default: bool) -> bool:
        v = self.raw(key, default)
        if not isinstance(v, bool):
            raise RubricError(self.at(key), f"must be true or false, got {v!r}")
        return v

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str:
        v = self.raw(key, ... if default is None else default)
        if v not in options:
            raise RubricError(self.at(key), f"must be one of {', '.join(options)}; got {v!r}")
        return str(v)

    def table(self, key: str, default: dict[str, Any] | None = None) -> _Table:
        v = self.raw(key, ... if default is None else default)
        return _Table(v, self.at(key))

    def array(self, key: str) -> list[Any]:
        v = self.raw(key, required=True)
        if not isinstance(v, list):
            raise RubricError(self.at(key), "must be an array")
        return v

    def label(self, key: str = "label") -> Label:
        v = self.raw(key, required=True)
        if isinstance(v, str):
            if not v.strip():
                raise RubricError(self.at(key), "must not be empty")
            return Label(en=v, id=v)
        t = _Table(v, self.at(key))
        en = t.string("en")
        ind = t.string("id", en)
        t.done()
        return Label(en=en, id=ind)

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise RubricError(self.at(unknown[0]), "unknown field")


def _check_weights(weights: list[tuple[str, float]], path: str, what: str) -> None:
    total = math.fsum(w for _, w in weights)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        listing = ", ".join(f"{k}={_num(w)}" for k, w in weights)
        raise RubricError(path, f"{what} must sum to 1, they sum to {total:.6g} ({listing})")


def _key(t: _Table, key: str = "key") -> str:
    k = t.string(key)
    if not k.replace("_", "").isalnum() or not k.isascii() or k != k.lower():
        raise RubricError(t.at(key), f"must be lower-case letters, digits and _; got {k!r}")
    return k


def _judges(t: _Table, key: str, label: Label, weight: float, missing: str) -> JudgesCriterion:
    scale_min = t.number("scale_min", 1)
    scale_max = t.number("scale_max", 10)
    if scale_max <= scale_min:
        raise RubricError(
            t.at("scale_max"),
            f"must be greater than scale_min ({_num(scale_min)}), got {_num(scale_max)}",
        )
    correction = t.choice("correction", ("offset", "zscore", "raw"), "offset")
    min_scores = t.integer("min_scores_per_judge", 8, lo=2)
    min_judges = t.integer("min_judges_per_entry", 1, lo=1)
    trim = t.boolean("trim", False)
    trim_min = t.integer("trim_min_judges", 5, lo=3)
    to_scale = t.choice("to_scale", ("percentile", "anchor"), "percentile")
    incomplete = t.choice("incomplete_scorecard", ("renormalise", "exclude"), "renormalise")
    raw_items = t.array("items")
    if not raw_items:
        raise RubricError(t.at("items"), "must list at least one item")
    items: list[JudgeItem] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_items):
        it = _Table(raw, f"{t.at('items')}[{n}]")
        ikey = _key(it)
        if ikey in seen:
            raise RubricError(it.at("key"), f"duplicate item {ikey!r}")
        seen.add(ikey)
        iweight = it.number("weight", lo=0, hi=1)
        ilabel = it.label()
        anchors: list[JudgeAnchor] = []
        raw_anchors = it.array("anchors") if it.has("anchors") else it.raw("anchors", [])
        if not isinstance(raw_anchors, list):
            raise RubricError(it.at("anchors"), "must be an array")
        scores: set[float] = set()
        for m, ra in enumerate(raw_anchors):
            at = _Table(ra, f"{it.at('anchors')}[{m}]")
            s = at.number("score", lo=scale_min, hi=scale_max)
            if s in scores:
                raise RubricError(at.at("score"), f"duplicate anchor score {_num(s)}")
            scores.add(s)
            en = at.string("en")
            ind = at.string("id", en)
            at.done()
            anchors.append(JudgeAnchor(score=s, text=Label(en=en, id=ind)))
        it.done()
        items.append(
            JudgeItem(
                key=ikey,
                label=ilabel,
                weight=iweight,
                anchors=tuple(sorted(anchors, key=lambda a: a.score)),
            )
        )
    _check_weights([(i.key, i.weight) for i in items], t.at("items"), "item weights")
    return JudgesCriterion(
        key=key,
        label=label,
        weight=weight,
        missing=missing,  # type: ignore[arg-type]
        scale_min=scale_min,
        scale_max=scale_max,
        correction=correction,  # type: ignore[arg-type]
        min_scores_per_judge=min_scores,
        min_judges_per_entry=min_judges,
        trim=trim,
        trim_min_judges=trim_min,
        to_scale=to_scale,  # type: ignore[arg-type]
        incomplete_scorecard=incomplete,  # type: ignore[arg-type]
        items=tuple(items),
    )


def _metrics(t: _Table, key: str, label: Label, weight: float, missing: str) -> MetricsCriterion:
    window = t.integer("window_days", 14, lo=1, hi=366)
    size = t.choice("size_adjustment", ("lift", "per_follower", "none"), "lift")
    min_fit = t.integer("min_fit_entries", 5, lo=3)
    shrink = t.choice("shrinkage", ("empirical_bayes", "none"), "empirical_bayes")
    nulls = t.choice("null_interactions", ("common_types", "rescale"), "common_types")
    comps = t.table("components", {"reach": 0.5, "resonance": 0.5})
    reach = comps.number("reach", lo=0, hi=1)
    resonance = comps.number("resonance", lo=0, hi=1)
    comps.done()
    _check_weights([("reach", reach), ("resonance", resonance)], comps.path, "component weights")
    iw = t.table("interaction_weights", {"likes": 1, "comments": 2, "shares": 3, "saves": 3})
    weights: list[tuple[str, float]] = []
    for name in INTERACTION_TYPES:
        if iw.has(name):
            weights.append((name, iw.number(name, lo=0)))
    iw.done()
    if not any(w > 0 for _, w in weights):
        raise RubricError(iw.path, "at least one interaction type needs a weight above 0")
    return MetricsCriterion(
        key=key,
        label=label,
        weight=weight,
        missing=missing,  # type: ignore[arg-type]
        window_days=window,
        size_adjustment=size,  # type: ignore[arg-type]
        min_fit_entries=min_fit,
        shrinkage=shrink,  # type: ignore[arg-type]
        null_interactions=nulls,  # type: ignore[arg-type]
        reach_weight=reach,
        resonance_weight=resonance,
        interaction_weights=tuple(weights),
    )


def _indicators(
    t: _Table, key: str, label: Label, weight: float, missing: str
) -> IndicatorsCriterion:
    raw_items = t.array("items")
    if not raw_items:
        raise RubricError(t.at("items"), "must list at least one item")
    items: list[IndicatorItem] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_items):
        it = _Table(raw, f"{t.at('items')}[{n}]")
        ikey = _key(it)
        if ikey in seen:
            raise RubricError(it.at("key"), f"duplicate item {ikey!r}")
        seen.add(ikey)
        iweight = it.number("weight", lo=0, hi=1)
        ilabel = it.label()
        imissing = it.choice("missing", ("zero", "exclude"))
        raw_anchors = it.array("anchors")
        if len(raw_anchors) < 2:
            raise RubricError(it.at("anchors"), "needs at least two anchors (value -> points)")
        anchors: list[IndicatorAnchor] = []
        values: set[float] = set()
        for m, ra in enumerate(raw_anchors):
            at = _Table(ra, f"{it.at('anchors')}[{m}]")
            v = at.number("value")
            if v in values:
                raise RubricError(at.at("value"), f"duplicate anchor value {_num(v)}")
            values.add(v)
            p = at.number("points", lo=0, hi=100)
            alabel: Label | None = None
            if at.has("en") or at.has("id"):
                en = at.string("en")
                alabel = Label(en=en, id=at.string("id", en))
            at.done()
            anchors.append(IndicatorAnchor(value=v, points=p, label=alabel))
        it.done()
        items.append(
            IndicatorItem(
                key=ikey,
                label=ilabel,
                weight=iweight,
                missing=imissing,  # type: ignore[arg-type]
                anchors=tuple(sorted(anchors, key=lambda a: a.value)),
            )
        )
    _check_weights([(i.key, i.weight) for i in items], t.at("items"), "item weights")
    return IndicatorsCriterion(
        key=key,
        label=label,
        weight=weight,
        missing=missing,  # type: ignore[arg-type]
        items=tuple(items),
    )


def load_rubric(text: str) -> Rubric:
    """Parse and validate a rubric document (TOML). Raises :class:`RubricError`."""
    if not isinstance(text, str):
        raise RubricError("", "a rubric must be given as text")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError("toml", f"not valid TOML: {exc}") from None
    root = _Table(data, "")
    fmt = root.integer("format", 1)
    if fmt != 1:
        raise RubricError("format", f"unsupported rubric format {fmt}; this version reads 1")
    name = root.string("name", "rubric")

    crit_table = root.table("criteria")
    if not crit_table.data:
        raise RubricError("criteria", "must define at least one criterion")
    criteria: list[Criterion] = []
    sources_seen: dict[str, str] = {}
    for ckey in crit_table.data:
        ct = crit_table.table(ckey)
        if not ckey.replace("_", "").isalnum() or not ckey.isascii() or ckey != ckey.lower():
            raise RubricError(ct.path, "criterion keys must be lower-case letters, digits and _")
        if ckey == EARLIEST_POST:
            raise RubricError(ct.path, f"{EARLIEST_POST!r} is reserved for the tie-breaker")
        source = ct.choice("source", SOURCES)
        if source in sources_seen:
            raise RubricError(
                ct.at("source"),
                f"only one criterion may take its input from {source} "
                f"(criteria.{sources_seen[source]} already does)",
            )
        sources_seen[source] = ckey
        weight = ct.number("weight", lo=0, hi=1)
        label = ct.label() if ct.has("label") else Label(en=ckey, id=ckey)
        ct.used.add("label")
        missing = ct.choice("missing", ("unranked", "renormalise"), "unranked")
        crit: Criterion
        if source == "judges":
            crit = _judges(ct, ckey, label, weight, missing)
        elif source == "metrics":
            crit = _metrics(ct, ckey, label, weight, missing)
        else:
            crit = _indicators(ct, ckey, label, weight, missing)
        ct.done()
        criteria.append(crit)
    crit_table.done()
    _check_weights([(c.key, c.weight) for c in criteria], "criteria", "criterion weights")

    rk = root.table("ranking", {})
    decimals = rk.integer("decimals", 1, lo=0, hi=2)
    tb_raw = rk.raw("tie_breakers", [c.key for c in criteria] + [EARLIEST_POST])
    if not isinstance(tb_raw, list) or not all(isinstance(x, str) for x in tb_raw):
        raise RubricError(rk.at("tie_breakers"), "must be an array of criterion keys")
    keys = {c.key for c in criteria}
    for n, tb in enumerate(tb_raw):
        if tb != EARLIEST_POST and tb not in keys:
            raise RubricError(
                f"{rk.at('tie_breakers')}[{n}]",
                f"unknown tie-breaker {tb!r}; use a criterion key or {EARLIEST_POST!r}",
            )
    if len(set(tb_raw)) != len(tb_raw):
        raise RubricError(rk.at("tie_breakers"), "lists a tie-breaker twice")
    rk.done()

    st = root.table("sensitivity", {})
    delta = st.number("weight_delta", 0.1, lo=0, hi=0.5, lo_open=True)
    podium = st.integer("podium", 3, lo=1, hi=100)
    st.done()

    ig = root.table("integrity", {})
    integrity = IntegrityRules(
        modified_z_threshold=ig.number("modified_z_threshold", 3.5, lo=0, lo_open=True),
        min_cohort=ig.integer("min_cohort", 5, lo=3),
        min_intervals=ig.integer("min_intervals", 5, lo=3),
        min_views_increment=ig.integer("min_views_increment", 100, lo=0),
        judge_spread_ratio=ig.number("judge_spread_ratio", 1.5, lo=1),
    )
    ig.done()
    root.done()

    return Rubric(
        format=fmt,
        name=name,
        criteria=tuple(criteria),
        ranking=RankingRules(decimals=decimals, tie_breakers=tuple(tb_raw)),
        sensitivity=SensitivityRules(weight_delta=delta, podium=podium),
        integrity=integrity,
        text=text,
        sha256=rubric_sha256(text),
    )


DEFAULT_RUBRIC_TOML: str = (
    resources.files("scoring").joinpath("default_rubric.toml").read_text(encoding="utf-8")
)
