"""Entries with their latest metrics, for the command line and exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.timeparse import iso_utc
from store import queries
from store.models import Challenge

ENTRY_FIELDS = (
    "url",
    "platform",
    "library",
    "tier",
    "province",
    "pillar",
    "status",
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "reach",
    "collected_at",
)


def entries_report(
    session: Session, challenge: Challenge, as_of: datetime | None = None
) -> list[dict[str, Any]]:
    """One dict per entry; counts and ``collected_at`` are None where unknown."""
    rows = []
    for entry, library, snap in queries.entries_with_latest_metrics(session, challenge.id, as_of):
        rows.append(
            {
                "id": entry.id,
                "url": entry.canonical_url,
                "platform": entry.platform.value,
                "library": library.name,
                "tier": library.tier.value,
                "province": library.province,
                "timezone": library.timezone,
                "pillar": entry.pillar.value if entry.pillar else None,
                "status": entry.status.value,
                "status_reason": entry.status_reason,
                "views": snap.views if snap else None,
                "likes": snap.likes if snap else None,
                "comments": snap.comments if snap else None,
                "shares": snap.shares if snap else None,
                "saves": snap.saves if snap else None,
                "reach": snap.reach if snap else None,
                "source": snap.source.value if snap else None,
                "collected_at": iso_utc(snap.collected_at) if snap else None,
            }
        )
    return rows
