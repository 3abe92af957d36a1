"""The audit log: who did what to which record, and when."""

from __future__ import annotations

import getpass
from typing import Any

from sqlalchemy.orm import Session

from store.models import AuditLog


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def record(
    session: Session,
    actor: str,
    action: str,
    target_type: str,
    target_id: object = None,
    **details: Any,
) -> AuditLog:
    row = AuditLog(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details or None,
    )
    session.add(row)
    return row
