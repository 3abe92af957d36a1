"""The dashboard's administration: challenges and rubrics, libraries, users, registration import.

Each function checks the viewer's role first. The committee and administrators manage
challenges, libraries, imports and judge assignments; only administrators manage users.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from services import audit, imports, registry, scorecards
from services.access import STAFF, Viewer, require
from services.errors import BadInput
from services.rubrics import validate_rubric
from store import health as health_queries
from store import queries, webqueries
from store.enums import Role
from store.models import Challenge, Library, RubricVersion, User


@dataclass(frozen=True)
class UserRow:
    """A user as the admin page lists them: never the password hash."""

    user_id: int
    username: str
    role: str
    library: str | None
    display_name: str | None
    active: bool


def challenges(session: Session, viewer: Viewer) -> list[Challenge]:
    require(viewer, STAFF, "challenges")
    return list(webqueries.all_challenges(session))


def challenge(session: Session, viewer: Viewer, challenge_id: int) -> Challenge:
    require(viewer, STAFF, "challenges")
    found = session.get(Challenge, challenge_id)
    if found is None:
        raise BadInput(f"no challenge #{challenge_id}")
    return found


def create_challenge(
    session: Session,
    viewer: Viewer,
    *,
    slug: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    timezone: str,
    hashtags: Iterable[str],
    platforms: Iterable[str],
    rubric: str,
) -> Challenge:
    require(viewer, STAFF, "creating a challenge")
    return registry.add_challenge(
        session,
        slug=slug,
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        timezone=timezone,
        hashtags=hashtags,
        platforms=platforms,
        rubric=rubric,
        actor=viewer.actor,
    )


def update_settings(
    session: Session, viewer: Viewer, challenge_id: int, *, title: str, live_board_public: bool
) -> None:
    found = challenge(session, viewer, challenge_id)
    clean = " ".join(title.split())
    if not clean:
        raise BadInput("the title is empty")
    changes: dict[str, object] = {}
    if clean != found.title:
        changes["title"] = clean
        found.title = clean
    if live_board_public != found.live_board_public:
        changes["live_board_public"] = live_board_public
        found.live_board_public = live_board_public
    if changes:
        audit.record(session, viewer.actor, "challenge.settings", "challenge", found.id, **changes)


def current_rubric(session: Session, viewer: Viewer, challenge_id: int) -> RubricVersion | None:
    found = challenge(session, viewer, challenge_id)
    return queries.latest_rubric(session, found.id)


def check_rubric(document: str) -> None:
    """Raises :class:`BadInput` naming the field at fault."""
    validate_rubric(document)


def save_rubric(session: Session, viewer: Viewer, challenge_id: int, document: str) -> int:
    """Store the rubric as a new version (unchanged text keeps the current one); its number."""
    found = challenge(session, viewer, challenge_id)
    return registry.set_rubric(session, found, document, viewer.actor).version


def libraries(session: Session, viewer: Viewer) -> list[Library]:
    require(viewer, STAFF, "libraries")
    return list(webqueries.all_libraries(session))


def add_library(
    session: Session,
    viewer: Viewer,
    *,
    name: str,
    tier: str,
    province: str,
    regency_city: str | None,
    timezone: str | None,
) -> Library:
    require(viewer, STAFF, "adding a library")
    return registry.add_library(
        session,
        name=name,
        tier=tier,
        province=province,
        regency_city=regency_city,
        timezone=timezone,
        actor=viewer.actor,
    )


def users(session: Session, viewer: Viewer) -> list[UserRow]:
    require(viewer, [Role.ADMIN], "users")
    return [
        UserRow(
            u.id,
            u.username,
            u.role.value,
            u.library.name if u.library else None,
            u.display_name,
            u.active,
        )
        for u in webqueries.all_users(session)
    ]


def add_user(
    session: Session,
    viewer: Viewer,
    *,
    username: str,
    password: str,
    role: str,
    library_name: str | None,
    display_name: str | None,
) -> User:
    require(viewer, [Role.ADMIN], "adding a user")
    return registry.add_user(
        session,
        username=username,
        password=password,
        role=role,
        library_name=library_name,
        display_name=display_name,
        actor=viewer.actor,
    )


def set_active(session: Session, viewer: Viewer, user_id: int, active: bool) -> None:
    require(viewer, [Role.ADMIN], "changing a user")
    user = session.get(User, user_id)
    if user is None:
        raise BadInput(f"no user #{user_id}")
    if user.id == viewer.user_id and not active:
        raise BadInput("you cannot deactivate yourself")
    if user.active != active:
        user.active = active
        audit.record(session, viewer.actor, "user.active", "user", user.id, active=active)


def import_registrations(
    session: Session,
    viewer: Viewer,
    challenge_id: int,
    filename: str,
    data: bytes,
    *,
    shortlink_base: str | None,
) -> imports.ImportResult:
    """The registration spreadsheet (CSV) through the same all-or-nothing import as the
    command line; :class:`services.errors.RowErrors` lists every bad row."""
    found = challenge(session, viewer, challenge_id)
    name = Path(filename).name or "registrations.csv"
    with tempfile.TemporaryDirectory(prefix="reelboard-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return imports.import_entries(
            session,
            found,
            path,
            resolve=registry.UrlResolver(shortlink_base),
            actor=viewer.actor,
        )


def collection_health(
    session: Session, viewer: Viewer, now: datetime
) -> health_queries.HealthReport:
    """Per platform and account: last success, failures by reason (24 h), quota used today."""
    require(viewer, STAFF, "collection health")
    return health_queries.collection_health(session, now)


def judges(session: Session, viewer: Viewer) -> list[User]:
    require(viewer, STAFF, "judges")
    return list(webqueries.users_with_role(session, Role.JUDGE.value))


def assignment_counts(session: Session, viewer: Viewer, challenge_id: int) -> dict[int, int]:
    """Judge id -> entries assigned, for one challenge."""
    found = challenge(session, viewer, challenge_id)
    counts: dict[int, int] = {}
    for _, judge_id in webqueries.assigned_pairs(session, found.id):
        counts[judge_id] = counts.get(judge_id, 0) + 1
    return counts


def assign_all(session: Session, viewer: Viewer, challenge_id: int, judge_id: int) -> int:
    found = challenge(session, viewer, challenge_id)
    judge = session.get(User, judge_id)
    if judge is None:
        raise BadInput(f"no user #{judge_id}")
    return scorecards.assign(session, viewer, found, judge)


def prepare_demo_dashboard(session: Session, challenge: Challenge, judge_username: str) -> None:
    """What the demo's dashboard shows at once: the (clearly labelled) demo challenge's live
    board is public, and the demo judge has entries to score."""
    if not challenge.live_board_public:
        challenge.live_board_public = True
        audit.record(
            session, "demo", "challenge.settings", "challenge", challenge.id, live_board_public=True
        )
    scorecards.assign_demo_judge(session, challenge, judge_username)
