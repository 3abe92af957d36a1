"""Scorecards: a judge scores the entries assigned to them, item by item, and may abstain.

Scores are appended to ``judge_score`` and never updated: a changed score is a new row naming the
row it supersedes. A conflict of interest is a row with ``conflict`` set and no score; after it
the judge can no longer score that entry. A judge reads only their own rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from scoring.rubric import JudgesCriterion, Rubric, load_rubric, validate_judge_score
from services import audit, judging
from services.access import STAFF, Denied, Viewer, require
from services.errors import BadInput
from store import queries, webqueries
from store.enums import Role
from store.models import Challenge, Entry, JudgeAssignment, JudgeScore, Library, User


@dataclass(frozen=True)
class Scorecard:
    """One judge's current scores of one entry (after corrections)."""

    entry: Entry
    library: Library
    challenge: Challenge
    criterion: JudgesCriterion
    scores: dict[str, float] = field(default_factory=dict)
    row_ids: dict[str, int] = field(default_factory=dict)
    comment: str | None = None
    conflict: bool = False

    @property
    def complete(self) -> bool:
        return all(item.key in self.scores for item in self.criterion.items)


@dataclass(frozen=True)
class Assignment:
    entry_id: int
    library: str
    platform: str
    url: str
    title: str | None
    state: str  # todo | partial | done | conflict


def rubric_of(session: Session, challenge: Challenge) -> Rubric:
    version = queries.latest_rubric(session, challenge.id)
    if version is None:
        raise BadInput(f"challenge {challenge.slug!r} has no rubric")
    return load_rubric(version.document)


def judged_criterion(rubric: Rubric, challenge: Challenge) -> JudgesCriterion:
    crit = rubric.judges
    if crit is None:
        raise BadInput(f"the rubric of {challenge.slug!r} has no judged criterion")
    return crit


def _effective(rows: Iterable[JudgeScore]) -> tuple[dict[str, JudgeScore], JudgeScore | None]:
    """The newest non-superseded score row per item, and the conflict row if any."""
    ordered = sorted(rows, key=lambda r: r.id)
    superseded = {r.supersedes_id for r in ordered if r.supersedes_id is not None}
    current: dict[str, JudgeScore] = {}
    conflict = None
    for row in ordered:
        if row.conflict:
            conflict = conflict or row
            continue
        if row.id in superseded or row.score is None:
            continue
        current[row.criterion] = row
    return current, conflict


def _require_judge_of(session: Session, viewer: Viewer, entry_id: int) -> tuple[Entry, Library]:
    require(viewer, [Role.JUDGE], "judging")
    assert viewer.user_id is not None
    found = webqueries.entry_with_library(session, entry_id)
    if found is None or not webqueries.is_assigned(session, viewer.user_id, entry_id):
        # The same answer for "no such entry" and "not yours": nothing leaks.
        raise Denied(f"entry #{entry_id}: not assigned to you")
    return found


def my_challenges(session: Session, viewer: Viewer) -> list[Challenge]:
    require(viewer, [Role.JUDGE], "judging")
    assert viewer.user_id is not None
    return list(webqueries.challenges_of_judge(session, viewer.user_id))


def my_assignments(session: Session, viewer: Viewer, challenge: Challenge) -> list[Assignment]:
    require(viewer, [Role.JUDGE], "judging")
    assert viewer.user_id is not None
    crit = judged_criterion(rubric_of(session, challenge), challenge)
    rows_by_entry: dict[int, list[JudgeScore]] = {}
    for row in webqueries.judge_rows(session, viewer.user_id, challenge.id):
        rows_by_entry.setdefault(row.entry_id, []).append(row)
    out = []
    for entry, library in webqueries.assignments_of_judge(session, viewer.user_id, challenge.id):
        current, conflict = _effective(rows_by_entry.get(entry.id, []))
        if conflict is not None:
            state = "conflict"
        elif all(i.key in current for i in crit.items):
            state = "done"
        elif current:
            state = "partial"
        else:
            state = "todo"
        out.append(
            Assignment(
                entry.id,
                library.name,
                entry.platform.value,
                entry.canonical_url,
                entry.title,
                state,
            )
        )
    return out


def scorecard(session: Session, viewer: Viewer, entry_id: int) -> Scorecard:
    entry, library = _require_judge_of(session, viewer, entry_id)
    assert viewer.user_id is not None
    challenge = entry.challenge
    crit = judged_criterion(rubric_of(session, challenge), challenge)
    rows = webqueries.judge_rows(session, viewer.user_id, challenge.id, entry.id)
    current, conflict = _effective(rows)
    comments = [r.comment for r in sorted(rows, key=lambda r: r.id) if r.comment and not r.conflict]
    return Scorecard(
        entry=entry,
        library=library,
        challenge=challenge,
        criterion=crit,
        scores={k: float(r.score) for k, r in current.items() if r.score is not None},
        row_ids={k: r.id for k, r in current.items()},
        comment=comments[-1] if comments else None,
        conflict=conflict is not None,
    )


def submit_scores(
    session: Session,
    viewer: Viewer,
    entry_id: int,
    scores: Mapping[str, float | None],
    comment: str | None = None,
) -> int:
    """Append the items whose score changed; returns how many rows were written.

    Every score is validated against the rubric before anything is written. An item given None
    is left as it is (a missing score is never a zero).
    """
    card = scorecard(session, viewer, entry_id)
    assert viewer.user_id is not None
    if card.conflict:
        raise BadInput(f"entry #{entry_id}: you declared a conflict of interest and abstain")
    rubric = rubric_of(session, card.challenge)
    changes: dict[str, float] = {}
    for item, value in scores.items():
        if value is None:
            continue
        try:
            validate_judge_score(rubric, item, float(value))
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        if card.scores.get(item) != float(value):
            changes[item] = float(value)
    note = (comment or "").strip() or None
    if note == card.comment:
        note = None
    if not changes:
        return 0
    # Written by the scoring room's recording service (the same checks and supersession as
    # `reelboard score`), as one line of this judge.
    return judging.record_scores(
        session,
        card.challenge,
        [
            judging.ScoreLine(
                judge=viewer.username or "",
                entry=f"#{entry_id}",
                scores={item: repr(value) for item, value in sorted(changes.items())},
                comment=note,
            )
        ],
        viewer.actor,
        source="dashboard",
    )


def declare_conflict(session: Session, viewer: Viewer, entry_id: int, reason: str) -> None:
    card = scorecard(session, viewer, entry_id)
    assert viewer.user_id is not None
    if card.conflict:
        return
    text = reason.strip()
    if not text:
        raise BadInput("say briefly why you have a conflict of interest")
    judging.record_scores(
        session,
        card.challenge,
        [
            judging.ScoreLine(
                judge=viewer.username or "",
                entry=f"#{entry_id}",
                scores={},
                comment=text[:1000],
                conflict=True,
            )
        ],
        viewer.actor,
        source="dashboard",
    )


# --- assignments (committee) ------------------------------------------------------------------


def require_judge_user(session: Session, username: str) -> User:
    user = queries.user_by_name(session, username.strip())
    if user is None or user.role is not Role.JUDGE:
        raise BadInput(f"{username!r} is not a judge's username")
    if not user.active:
        raise BadInput(f"judge {username!r} is deactivated")
    return user


def assign(
    session: Session,
    viewer_or_actor: Viewer | str,
    challenge: Challenge,
    judge: User,
    entry_ids: Iterable[int] | None = None,
) -> int:
    """Assign entries (all of the challenge's when None) to a judge; returns how many were new."""
    if isinstance(viewer_or_actor, Viewer):
        require(viewer_or_actor, STAFF, "assigning judges")
        actor = viewer_or_actor.actor
    else:
        actor = viewer_or_actor
    if judge.role is not Role.JUDGE:
        raise BadInput(f"{judge.username!r} is not a judge")
    entries = {e.id for e, _ in webqueries.entries_of_challenge(session, challenge.id)}
    wanted = entries if entry_ids is None else set(entry_ids)
    unknown = wanted - entries
    if unknown:
        raise BadInput(f"entries {sorted(unknown)} are not entries of {challenge.slug!r}")
    existing = webqueries.assigned_pairs(session, challenge.id)
    new = 0
    for entry_id in sorted(wanted):
        if (entry_id, judge.id) in existing:
            continue
        session.add(
            JudgeAssignment(challenge_id=challenge.id, entry_id=entry_id, judge_id=judge.id)
        )
        new += 1
    if new:
        session.flush()
        audit.record(
            session, actor, "judge.assign", "challenge", challenge.id, judge=judge.username, new=new
        )
    return new


def assign_demo_judge(session: Session, challenge: Challenge, username: str) -> int:
    """Give the demo judge the demo challenge's entries when the demo seeding gave them none,
    so the judging page has work to show (idempotent)."""
    user = queries.user_by_name(session, username)
    if user is None or user.role is not Role.JUDGE:
        return 0
    if webqueries.assignments_of_judge(session, user.id, challenge.id):
        return 0
    return assign(session, "demo", challenge, user)
