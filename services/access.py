"""Who is looking, and what they may see. Checked on the server for every page and service call.

A :class:`Viewer` is built from the ``app_user`` row on every request (never from anything the
browser holds), so a changed role or a deactivated user takes effect at the next click.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from store.enums import Role
from store.models import User


class Denied(PermissionError):
    """The viewer may not see or change this; the message says what was refused."""


@dataclass(frozen=True)
class Viewer:
    user_id: int | None
    username: str | None
    role: Role | None  # None: not signed in (the public)
    library_id: int | None = None
    display_name: str | None = None
    language: str | None = None

    @classmethod
    def anonymous(cls) -> Viewer:
        return cls(None, None, None)

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(
            user_id=user.id,
            username=user.username,
            role=user.role,
            library_id=user.library_id if user.role is Role.LIBRARY else None,
            display_name=user.display_name,
            language=user.language,
        )

    @property
    def signed_in(self) -> bool:
        return self.role is not None

    @property
    def actor(self) -> str:
        """The name written to the audit log."""
        return f"web:{self.username}" if self.username else "web:anonymous"

    def has(self, *roles: Role) -> bool:
        return self.role is not None and self.role in roles

    @property
    def is_staff(self) -> bool:
        """The committee and administrators: they see every library and every entry."""
        return self.has(Role.COMMITTEE, Role.ADMIN)


STAFF = (Role.COMMITTEE, Role.ADMIN)


def require(viewer: Viewer, roles: Iterable[Role], what: str) -> None:
    allowed = tuple(roles)
    if not viewer.has(*allowed):
        who = viewer.role.value if viewer.role else "anonymous"
        raise Denied(f"{what}: not allowed for {who}")


def require_library(viewer: Viewer, library_id: int) -> None:
    """Staff see every library; a library user only their own."""
    if viewer.is_staff:
        return
    if viewer.has(Role.LIBRARY) and viewer.library_id == library_id:
        return
    raise Denied(f"library #{library_id}: not your library")
