"""Demo judging: judges' scores and committee indicators for the demo challenge.

Four demo judges (``demo-juri-1`` .. ``demo-juri-4``, one lenient, one strict) each score about
three quarters of the entries, item by item, so the board's creativity criterion and its judge
correction have something to work on; one judge declares a conflict of interest. The demo judge
account (``demo-judge``) is assigned a handful of entries and has scored only some, so the
judging page has work left. Every entry gets the committee's checklist indicators (a few left
unknown on purpose). Deterministic: a seeded generator.
"""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.rubric import load_rubric
from services import registry
from services.boards import CONFLICT_CRITERION
from store import queries
from store.models import Challenge, Entry, IndicatorValue, JudgeAssignment, JudgeScore

DEMO_JUDGES = ("demo-juri-1", "demo-juri-2", "demo-juri-3", "demo-juri-4")
# Each demo judge's leniency, in points on the 1-10 scale: what the correction removes.
LENIENCY = (1.5, 0.0, -0.5, -1.5)


def seed_demo_scores(
    session: Session, challenge: Challenge, password: str, actor: str, now: datetime
) -> list[tuple[str, str]]:
    """Write the demo's scores and indicators; returns the judge users created."""
    rng = random.Random(2027)
    version = queries.latest_rubric(session, challenge.id)
    assert version is not None
    rubric = load_rubric(version.document)
    entries = list(
        session.scalars(select(Entry).where(Entry.challenge_id == challenge.id).order_by(Entry.id))
    )
    users: list[tuple[str, str]] = []
    judges = []
    for name in DEMO_JUDGES:
        judges.append(
            registry.add_user(
                session,
                username=name,
                password=password,
                role="judge",
                library_name=None,
                display_name=f"Juri demo {name[-1]}",
                actor=actor,
            )
        )
        users.append((name, password))
    session.flush()
    crit = rubric.judges
    if crit is not None:
        lo, hi = crit.scale_min, crit.scale_max
        for n, entry in enumerate(entries):
            quality = rng.uniform(lo + 2, hi - 1)
            for j, judge in enumerate(judges):
                if (n + j) % 4 == 3:
                    continue  # each entry is seen by three of the four judges
                session.add(
                    JudgeAssignment(challenge_id=challenge.id, entry_id=entry.id, judge_id=judge.id)
                )
                if n == 5 and j == 0:
                    session.add(
                        JudgeScore(
                            challenge_id=challenge.id,
                            entry_id=entry.id,
                            judge_id=judge.id,
                            criterion=CONFLICT_CRITERION,
                            score=None,
                            conflict=True,
                            comment="Kerabat bekerja di perpustakaan ini",
                            created_at=now,
                        )
                    )
                    continue
                for item in crit.items:
                    raw = quality + LENIENCY[j] + rng.gauss(0, 0.8)
                    score = round(min(hi, max(lo, raw)) * 2) / 2
                    session.add(
                        JudgeScore(
                            challenge_id=challenge.id,
                            entry_id=entry.id,
                            judge_id=judge.id,
                            criterion=item.key,
                            score=score,
                            created_at=now,
                        )
                    )
        demo_judge = queries.user_by_name(session, "demo-judge")
        if demo_judge is not None:
            for n, entry in enumerate(entries[:8]):
                session.add(
                    JudgeAssignment(
                        challenge_id=challenge.id, entry_id=entry.id, judge_id=demo_judge.id
                    )
                )
                if n < 3:
                    for item in crit.items:
                        session.add(
                            JudgeScore(
                                challenge_id=challenge.id,
                                entry_id=entry.id,
                                judge_id=demo_judge.id,
                                criterion=item.key,
                                score=float(rng.randint(5, 9)),
                                created_at=now,
                            )
                        )
    indicators = rubric.indicators
    if indicators is not None:
        for entry in entries:
            for ind in indicators.items:
                if rng.random() < 0.1:
                    continue  # not recorded yet: the item's missing rule applies
                values = [a.value for a in ind.anchors]
                value = rng.uniform(values[0], values[-1])
                if len(values) == 2:
                    value = values[-1] if rng.random() < 0.7 else values[0]
                else:
                    value = float(round(value))
                session.add(
                    IndicatorValue(
                        challenge_id=challenge.id,
                        entry_id=entry.id,
                        indicator=ind.key,
                        value=value,
                        set_by=actor,
                        created_at=now,
                    )
                )
    session.flush()
    return users
