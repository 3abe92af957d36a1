"""Rubric documents: the shipped default, and errors that name the field at fault."""

from __future__ import annotations

import pytest

from scoring.rubric import (
    DEFAULT_RUBRIC_TOML,
    IndicatorsCriterion,
    JudgesCriterion,
    MetricsCriterion,
    RubricError,
    load_rubric,
    validate_indicator_value,
    validate_judge_score,
)
from tests.scoring.scoring_helpers import set_value


def test_default_rubric_follows_the_research_pipeline() -> None:
    r = load_rubric(DEFAULT_RUBRIC_TOML)
    assert [(c.key, c.source, c.weight) for c in r.criteria] == [
        ("creativity", "judges", 0.5),
        ("audience", "metrics", 0.3),
        ("other", "indicators", 0.2),
    ]
    cr = r.criterion("creativity")
    assert isinstance(cr, JudgesCriterion)
    assert (cr.scale_min, cr.scale_max, cr.correction) == (1, 10, "offset")
    assert [i.key for i in cr.items] == ["originality", "storytelling", "craft", "theme_fit"]
    for item in cr.items:
        assert [a.score for a in item.anchors] == [1, 4, 7, 10]
        assert all(a.text.en and a.text.id and a.text.en != a.text.id for a in item.anchors)
    au = r.criterion("audience")
    assert isinstance(au, MetricsCriterion)
    assert au.window_days == r.window_days == 14
    assert dict(au.interaction_weights) == {"likes": 1, "comments": 2, "shares": 3, "saves": 3}
    assert (au.size_adjustment, au.shrinkage) == ("lift", "empirical_bayes")
    ot = r.criterion("other")
    assert isinstance(ot, IndicatorsCriterion)
    assert {i.key: i.missing for i in ot.items} == {
        "captions": "zero",
        "call_to_action": "exclude",
        "challenge_hashtag": "zero",
    }
    assert r.ranking.tie_breakers == ("creativity", "audience", "earliest_post")
    assert r.ranking.decimals == 1
    assert len(r.sha256) == 64 and r.text == DEFAULT_RUBRIC_TOML


def sv(table: str, key: str, value: str) -> str:
    return set_value(DEFAULT_RUBRIC_TOML, table, key, value)


BAD = [
    # (document, field named in the error, words in the message)
    ("this is = = not toml", "toml", "not valid TOML"),
    (sv("criteria.audience", "weight", "0.4"), "criteria", "sum to 1"),
    (sv("criteria.audience", "weight", '"a lot"'), "criteria.audience.weight", "number"),
    (sv("criteria.audience", "weight", "-0.3"), "criteria.audience.weight", "at least 0"),
    (sv("criteria.creativity", "source", '"votes"'), "criteria.creativity.source", "one of"),
    (sv("criteria.creativity", "correction", '"median"'), "criteria.creativity.correction", ""),
    (sv("criteria.creativity", "scale_max", "1"), "criteria.creativity.scale_max", "greater"),
    (
        sv("criteria.creativity", "min_scores_per_judge", "1"),
        "criteria.creativity.min_scores_per_judge",
        "at least 2",
    ),
    (sv("criteria.creativity", "trim", '"yes"'), "criteria.creativity.trim", "true or false"),
    (sv("criteria.creativity", "to_scale", '"zscore"'), "criteria.creativity.to_scale", ""),
    (sv("criteria.creativity", "missing", '"zero"'), "criteria.creativity.missing", "one of"),
    (sv("criteria.audience", "window_days", "0"), "criteria.audience.window_days", "at least"),
    (sv("criteria.audience", "window_days", "7.5"), "criteria.audience.window_days", "whole"),
    (
        sv("criteria.audience", "size_adjustment", '"tiers"'),
        "criteria.audience.size_adjustment",
        "",
    ),
    (
        sv("criteria.audience", "null_interactions", '"zero"'),
        "criteria.audience.null_interactions",
        "",
    ),
    (
        sv("criteria.audience", "components", "{ reach = 0.7, resonance = 0.5 }"),
        "criteria.audience.components",
        "sum to 1",
    ),
    (
        sv("criteria.audience", "interaction_weights", "{ likes = 1, views = 2 }"),
        "criteria.audience.interaction_weights.views",
        "unknown field",
    ),
    (
        sv("criteria.audience", "interaction_weights", "{ likes = -1 }"),
        "criteria.audience.interaction_weights.likes",
        "at least 0",
    ),
    (
        sv("criteria.audience", "interaction_weights", "{ likes = 0 }"),
        "criteria.audience.interaction_weights",
        "above 0",
    ),
    (sv("ranking", "decimals", "5"), "ranking.decimals", "at most 2"),
    (
        sv("ranking", "tie_breakers", '["creativity", "luck"]'),
        "ranking.tie_breakers[1]",
        "unknown tie-breaker",
    ),
    (
        sv("ranking", "tie_breakers", '["creativity", "creativity"]'),
        "ranking.tie_breakers",
        "twice",
    ),
    (sv("sensitivity", "weight_delta", "0"), "sensitivity.weight_delta", "greater than 0"),
    (
        sv("integrity", "modified_z_threshold", "-1"),
        "integrity.modified_z_threshold",
        "greater than 0",
    ),
    (sv("integrity", "min_cohort", "2"), "integrity.min_cohort", "at least 3"),
    ("format = 2\n" + DEFAULT_RUBRIC_TOML.replace("format = 1\n", ""), "format", "unsupported"),
    ("colour = 'blue'\n" + DEFAULT_RUBRIC_TOML, "colour", "unknown field"),
    (DEFAULT_RUBRIC_TOML + "\ncolour = 'blue'\n", "criteria.other.items[2].colour", "unknown"),
    (
        DEFAULT_RUBRIC_TOML.replace("window_days = 14", "window_days = 14\nwindow = 3"),
        "criteria.audience.window",
        "unknown field",
    ),
    (
        DEFAULT_RUBRIC_TOML.replace('key = "craft"', 'key = "originality"'),
        "criteria.creativity.items[2].key",
        "duplicate",
    ),
    (
        DEFAULT_RUBRIC_TOML.replace('key = "craft"', 'key = "Craft!"'),
        "criteria.creativity.items[2].key",
        "lower-case",
    ),
    (
        DEFAULT_RUBRIC_TOML.replace(
            'key = "theme_fit"\nweight = 0.2', 'key = "theme_fit"\nweight = 0.3'
        ),
        "criteria.creativity.items",
        "item weights must sum to 1",
    ),
    (
        DEFAULT_RUBRIC_TOML.replace("{ score = 10,", "{ score = 11,"),
        "criteria.creativity.items[0].anchors[3].score",
        "at most 10",
    ),
    (
        DEFAULT_RUBRIC_TOML.replace(
            '{ value = 1, points = 100, en = "Yes"', '{ value = 1, points = 120, en = "Yes"'
        ),
        "criteria.other.items[0].anchors[1].points",
        "at most 100",
    ),
    (
        DEFAULT_RUBRIC_TOML.replace("{ value = 3, points = 50,", "{ value = 1, points = 50,"),
        "criteria.other.items[1].anchors[1].value",
        "duplicate",
    ),
    (
        DEFAULT_RUBRIC_TOML.replace('missing = "exclude"\nanchors', 'missing = "skip"\nanchors'),
        "criteria.other.items[1].missing",
        "one of",
    ),
    (
        DEFAULT_RUBRIC_TOML.replace('source = "indicators"', 'source = "judges"'),
        "criteria.other.source",
        "only one criterion",
    ),
    ("[criteria]\n", "criteria", "at least one"),
    ('name = "x"\n', "criteria", "required"),
]


@pytest.mark.parametrize(("text", "field", "words"), BAD, ids=[b[1] for b in BAD])
def test_invalid_rubric_names_the_field(text: str, field: str, words: str) -> None:
    with pytest.raises(RubricError) as info:
        load_rubric(text)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_weights_within_tolerance_are_accepted() -> None:
    text = sv("criteria.audience", "weight", "0.3000000001")
    assert load_rubric(text).criterion("audience").weight == pytest.approx(0.3)


def test_missing_criterion_table_and_labels_default() -> None:
    text = """
[criteria.only]
source = "indicators"
weight = 1
[[criteria.only.items]]
key = "done"
weight = 1
label = "Done"
missing = "zero"
anchors = [{ value = 0, points = 0 }, { value = 1, points = 100 }]
"""
    r = load_rubric(text)
    assert r.window_days is None and r.judges is None and r.metrics is None
    assert r.ranking.tie_breakers == ("only", "earliest_post")
    assert r.criterion("only").label.en == "only"


def test_validate_judge_score_and_indicator_value() -> None:
    r = load_rubric(DEFAULT_RUBRIC_TOML)
    validate_judge_score(r, "craft", 7.5)
    with pytest.raises(ValueError, match=r"outside 1\.\.10"):
        validate_judge_score(r, "craft", 0)
    with pytest.raises(ValueError, match="unknown rubric item 'humour'"):
        validate_judge_score(r, "humour", 5)
    validate_indicator_value(r, "call_to_action", 4)
    with pytest.raises(ValueError, match=r"outside its anchors 1\.\.5"):
        validate_indicator_value(r, "call_to_action", 6)
    with pytest.raises(ValueError, match="unknown indicator"):
        validate_indicator_value(r, "likes", 1)


def test_indicator_points_interpolate_between_anchors() -> None:
    r = load_rubric(DEFAULT_RUBRIC_TOML)
    other = r.criterion("other")
    assert isinstance(other, IndicatorsCriterion)
    cta = other.item("call_to_action")
    assert cta is not None
    assert [float(cta.points(v)) for v in (1, 2, 3, 4, 5)] == [0, 25, 50, 75, 100]
