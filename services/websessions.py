"""Dashboard sign-in: password check, rate limits on failures, server-side sessions.

Failures are counted in the database (table ``login_attempt``), so the limits hold across
browser sessions, dashboard processes and restarts. A session token is 32 random bytes; only its
SHA-256 is stored. Every page resolves the token again and reads the user's role from the users
table, so nothing the browser keeps can grant a role.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from services import audit
from services.access import Viewer
from services.auth import hash_password, needs_rehash, verify_password
from store import queries, webqueries
from store.models import LoginAttempt, WebSession

# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = hash_password("reelboard-no-such-user")


@dataclass(frozen=True)
class LoginPolicy:
    max_failures_user: int = 5
    max_failures_client: int = 20
    window: timedelta = timedelta(minutes=15)
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=12)


class LoginRefused(Exception):
    """Sign-in refused. ``reason`` is ``invalid`` (wrong name or password, or inactive user) or
    ``rate_limited`` (too many recent failures for this name or this client)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LoginOutcome:
    """What :func:`attempt` decided. A refusal is a value, not an exception, so that the
    caller's transaction commits the recorded failure (which the rate limit counts)."""

    token: str | None = None
    viewer: Viewer | None = None
    refused: str | None = None  # invalid | rate_limited

    def unwrap(self) -> tuple[str, Viewer]:
        if self.refused is not None or self.token is None or self.viewer is None:
            raise LoginRefused(self.refused or "invalid")
        return self.token, self.viewer


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def clean_client(client: str | None) -> str:
    return (client or "unknown").strip()[:100] or "unknown"


def is_rate_limited(
    session: Session, username: str, client: str, policy: LoginPolicy, now: datetime
) -> bool:
    since = now - policy.window
    by_user = webqueries.failed_logins_since(session, since, username=username)
    by_client = webqueries.failed_logins_since(session, since, client=client)
    return by_user >= policy.max_failures_user or by_client >= policy.max_failures_client


def login(
    session: Session,
    username: str,
    password: str,
    *,
    client: str | None,
    policy: LoginPolicy,
    now: datetime | None = None,
) -> tuple[str, Viewer]:
    """:func:`attempt` for callers that want an exception; commit before raising it yourself
    if the failure must count (the dashboard uses :func:`attempt`)."""
    return attempt(session, username, password, client=client, policy=policy, now=now).unwrap()


def attempt(
    session: Session,
    username: str,
    password: str,
    *,
    client: str | None,
    policy: LoginPolicy,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check the password and open a session. Every attempt is recorded.

    While a name or a client is rate limited even the right password is refused, so guessing
    cannot go on in the background.
    """
    at = _now(now)
    name = username.strip()[:100]
    where = clean_client(client)
    if is_rate_limited(session, name, where, policy, at):
        session.add(LoginAttempt(at=at, username=name, client=where, success=False))
        audit.record(session, f"web:{name}", "login.rate_limited", "user", None, client=where)
        return LoginOutcome(refused="rate_limited")
    user = queries.user_by_name(session, name)
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        session.add(LoginAttempt(at=at, username=name, client=where, success=False))
        return LoginOutcome(refused="invalid")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.add(LoginAttempt(at=at, username=name, client=where, success=True))
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_sha256=token_hash(token),
            user_id=user.id,
            client=where,
            created_at=at,
            last_seen_at=at,
            expires_at=at + policy.lifetime,
        )
    )
    audit.record(session, f"web:{name}", "login", "user", user.id, client=where)
    return LoginOutcome(token=token, viewer=Viewer.of(user))


def resolve(
    session: Session, token: str | None, *, policy: LoginPolicy, now: datetime | None = None
) -> Viewer | None:
    """The signed-in viewer of a live session, or None (unknown, expired, idle, revoked, or the
    user was deactivated). A live session's idle clock restarts."""
    if not token:
        return None
    at = _now(now)
    row = webqueries.web_session_by_hash(session, token_hash(token))
    if row is None or row.revoked_at is not None:
        return None
    if at >= row.expires_at or at - row.last_seen_at >= policy.idle:
        row.revoked_at = at
        return None
    user = webqueries.user_by_id(session, row.user_id)
    if user is None or not user.active:
        row.revoked_at = at
        return None
    row.last_seen_at = at
    return Viewer.of(user)


def logout(session: Session, token: str | None, now: datetime | None = None) -> None:
    if not token:
        return
    row = webqueries.web_session_by_hash(session, token_hash(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = _now(now)
        user = webqueries.user_by_id(session, row.user_id)
        audit.record(
            session, f"web:{user.username if user else '?'}", "logout", "user", row.user_id
        )
