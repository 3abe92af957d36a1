"""Which entries are due for collection now, and each challenge's cadence setting."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services import audit
from services.cadence import Cadence, Window, due_stamp
from services.errors import BadInput
from services.registry import require_challenge
from store import due
from store.enums import ChallengeStatus
from store.models import Challenge

log = logging.getLogger(__name__)

# How long after its close a challenge is still looked at (for its deadline collection); the
# policy's own grace decides, this only bounds the query.
LOOKBACK = timedelta(days=3)


@dataclass(frozen=True)
class DueRound:
    """Entries of one challenge to collect now, all stamped with the same ``collected_at``."""

    challenge_id: int
    slug: str
    collected_at: datetime
    entry_ids: tuple[int, ...]
    deadline: bool
    claim_for: timedelta  # how long the round's claim should hold (until the slot ends)

    @property
    def key(self) -> str:
        return f"{self.slug}@{self.collected_at.strftime('%Y%m%dT%H%M%SZ')}"


def get_cadence(session: Session, slug: str) -> Cadence:
    return Cadence.from_json(require_challenge(session, slug).cadence)


def set_cadence(session: Session, slug: str, cadence: Cadence | None) -> Cadence:
    """Store a challenge's cadence (None: back to the default)."""
    challenge = require_challenge(session, slug)
    policy = cadence or Cadence()
    challenge.cadence = {} if cadence is None else policy.to_json()
    audit.record(
        session,
        audit.cli_actor(),
        "challenge.cadence",
        "challenge",
        challenge.id,
        cadence=challenge.cadence,
    )
    return policy


def policy_of(challenge: Challenge) -> Cadence:
    try:
        return Cadence.from_json(challenge.cadence)
    except BadInput as exc:
        log.error("challenge %s: invalid cadence (%s); using the default", challenge.slug, exc)
        return Cadence()


def due_rounds(session: Session, now: datetime) -> list[DueRound]:
    """Every (challenge, stamp) group of entries due at ``now`` under their cadence."""
    out: list[DueRound] = []
    for challenge in due.running_challenges(session, now, LOOKBACK):
        policy = policy_of(challenge)
        window = Window(challenge.opens_at, challenge.closes_at, ChallengeStatus(challenge.status))
        groups: dict[datetime, list[int]] = defaultdict(list)
        for entry_id, born, last in due.entry_collection_state(session, challenge.id):
            stamp = due_stamp(policy, window, born_at=born, last_collected=last, now=now)
            if stamp is not None:
                groups[stamp].append(entry_id)
        for stamp, ids in sorted(groups.items()):
            deadline = stamp == challenge.closes_at
            if deadline:
                hold = challenge.closes_at + policy.deadline_grace - now
            else:
                hold = stamp + policy.base - now
            out.append(
                DueRound(
                    challenge_id=challenge.id,
                    slug=challenge.slug,
                    collected_at=stamp,
                    entry_ids=tuple(ids),
                    deadline=deadline,
                    claim_for=max(hold, timedelta(seconds=60)),
                )
            )
    return out


__all__ = ["DueRound", "due_rounds", "get_cadence", "set_cadence"]
