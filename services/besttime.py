"""A library's best time to post, from its own published posts and their latest metrics."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from scoring.besttime import BestTime, PostSample, best_times
from services.registry import require_library
from store import publishing as q
from store.models import MetricSnapshot

# Counts still grow fast in a post's first two days: younger posts are left out.
MIN_AGE = timedelta(hours=48)


def engagement(snap: MetricSnapshot) -> float | None:
    """Interactions (likes + comments + shares + saves); views when no interaction is known."""
    parts = [snap.likes, snap.comments, snap.shares, snap.saves]
    known = [p for p in parts if p is not None]
    if known:
        return float(sum(known))
    return float(snap.views) if snap.views is not None else None


def library_best_time(
    session: Session,
    library: str,
    *,
    now: datetime,
    min_posts: int = 20,
    min_slot_posts: int = 2,
    top: int = 5,
) -> BestTime:
    """The heatmap data and advice for one library (by name), in the library's time zone.

    The dashboard calls this: ``result.grid()`` is the 7 x 24 lift matrix (Monday first, hours
    0-23 local), ``result.best`` the recommended slots, ``result.enough``/``reason`` whether
    there is enough history to advise at all.
    """
    lib = require_library(session, library)
    samples = []
    for _platform, _post_id, posted_at, snap in q.post_history(session, lib.id, now - MIN_AGE):
        value = engagement(snap)
        if value is not None:
            samples.append(PostSample(posted_at, value))
    return best_times(
        samples, lib.timezone, min_posts=min_posts, min_slot_posts=min_slot_posts, top=top
    )
