"""What one entry looks like over time, for whoever may see it.

The committee and administrators see every entry; a library its own; a judge the entries
assigned to them; anyone else only entries of a challenge whose board is public (published, or
live with the committee's consent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.access import Denied, Viewer
from store import webqueries
from store.enums import Role
from store.models import Challenge, Entry, Library, MetricSnapshot


@dataclass(frozen=True)
class EntryView:
    entry: Entry
    library: Library
    challenge: Challenge
    snapshots: Sequence[MetricSnapshot]


def board_is_public(session: Session, challenge: Challenge) -> bool:
    return challenge.live_board_public or webqueries.has_published_board(session, challenge.id)


def check_entry(session: Session, viewer: Viewer, entry_id: int) -> tuple[Entry, Library]:
    found = webqueries.entry_with_library(session, entry_id)
    if found is None:
        raise Denied(f"entry #{entry_id}: not found or not yours")
    entry, library = found
    if viewer.is_staff:
        return found
    if viewer.has(Role.LIBRARY) and viewer.library_id == library.id:
        return found
    if (
        viewer.has(Role.JUDGE)
        and viewer.user_id is not None
        and webqueries.is_assigned(session, viewer.user_id, entry_id)
    ):
        return found
    if board_is_public(session, entry.challenge):
        return found
    raise Denied(f"entry #{entry_id}: not found or not yours")


def entry_view(session: Session, viewer: Viewer, entry_id: int) -> EntryView:
    entry, library = check_entry(session, viewer, entry_id)
    return EntryView(
        entry=entry,
        library=library,
        challenge=entry.challenge,
        snapshots=webqueries.entry_snapshots(session, entry_id),
    )
