"""The library reach report over a period."""

from __future__ import annotations

import pytest

from scoring import SnapshotInput
from scoring.reach import AccountInput, FollowerSnapshot, PostInput, reach_report
from tests.scoring.scoring_helpers import at


def snap(
    sid: int, post: int, day: int, views: int | None, likes: int | None = 0, **kw: int | None
) -> SnapshotInput:
    return SnapshotInput(
        sid,
        post,
        at(day),
        views,
        likes,
        kw.get("comments", 0),
        kw.get("shares"),
        kw.get("saves"),
        kw.get("reach"),
    )


def test_gains_over_the_period_per_library_platform_and_pillar() -> None:
    posts = [
        PostInput(1, "Perpus A", "instagram", "promosi", at(1)),  # before the period
        PostInput(2, "Perpus A", "instagram", "promosi", at(12)),  # inside it: from 0
        PostInput(3, "Perpus A", "tiktok", "layanan_informasi", at(12)),
        PostInput(4, "Perpus B", "instagram", "promosi", at(2)),  # no snapshot before start
        PostInput(5, "Perpus B", "instagram", "promosi", at(25)),  # after the period: left out
    ]
    snaps = [
        snap(1, 1, 5, 1000, 50, reach=800),
        snap(2, 1, 10, 1500, 60, reach=1100),
        snap(3, 1, 20, 2500, 90, reach=1900),
        snap(4, 1, 22, 9999, 999),  # after the end
        snap(5, 2, 13, 300, 10, comments=2, saves=4),
        snap(6, 2, 19, 700, 30, comments=5, saves=None),  # saves hidden at the end
        snap(7, 3, 14, 5000, None, comments=40),  # likes hidden
        snap(8, 4, 12, 200, 5),
        snap(9, 4, 18, 260, 9),
        snap(10, 5, 26, 100, 1),
    ]
    accounts = [AccountInput(1, "Perpus A", "instagram"), AccountInput(2, "Perpus B", "instagram")]
    followers = [
        FollowerSnapshot(1, at(9), 1000),
        FollowerSnapshot(1, at(15), 1100),
        FollowerSnapshot(1, at(21), 1250),
        FollowerSnapshot(2, at(16), 400),  # first inside the period: partial
        FollowerSnapshot(2, at(20), 430),
    ]
    report = reach_report(posts, snaps, accounts, followers, at(10), at(21))
    rows = {(r.library, r.platform, r.pillar): r for r in report.rows}
    a_ig = rows[("Perpus A", "instagram", "promosi")]
    # Post 1: 2500 - 1500 views; post 2 (new): 700.
    assert a_ig.views == 1000 + 700
    assert a_ig.reach == 1900 - 1100  # post 2 has no reach at all
    assert a_ig.posts_with_reach == 1
    # Engagement: post 1 likes 90-60 + comments 0 -> 30; post 2 likes 30 + comments 5 + saves 4
    # (hidden at the end: the latest known value, from day 13, counts) -> 39.
    assert a_ig.engagement == 30 + 39
    assert a_ig.engagement_rate == pytest.approx(69 / 1700)
    a_tt = rows[("Perpus A", "tiktok", "layanan_informasi")]
    assert (a_tt.views, a_tt.engagement) == (5000, 40)  # likes hidden, comments known
    b_ig = rows[("Perpus B", "instagram", "promosi")]
    assert (b_ig.views, b_ig.posts, b_ig.partial_posts) == (60, 1, 1)
    by_library = {r.library: r for r in report.rollup()}
    assert by_library["Perpus A"].views == 6700 and by_library["Perpus A"].posts == 3
    by_platform = {(r.library, r.platform): r.views for r in report.rollup("platform")}
    assert by_platform == {
        ("Perpus A", "instagram"): 1700,
        ("Perpus A", "tiktok"): 5000,
        ("Perpus B", "instagram"): 60,
    }
    fol = {(f.library, f.platform): f for f in report.followers}
    assert fol[("Perpus A", "instagram")].growth == 250
    assert fol[("Perpus A", "instagram")].growth_pct == pytest.approx(25.0)
    assert fol[("Perpus B", "instagram")].growth == 30
    assert fol[("Perpus B", "instagram")].partial


def test_bad_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        reach_report([], [], [], [], at(10), at(10))
    with pytest.raises(ValueError, match="unknown dimension"):
        reach_report([], [], [], [], at(1), at(10)).rollup("colour")
