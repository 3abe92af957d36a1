"""The schedule: what runs periodically, in one list for both modes.

Each :class:`Job` names a service-level function (``run``, called with the process's
:class:`~tasks.runtime.Runtime`) and the Celery task that wraps it. The beat turns this list into
its RedBeat schedule; ``reelboard run`` (embedded mode) calls the same functions in one process.
Only the transport differs: in the distributed mode a job's fan-out (collection batches) goes to
the workers through Redis, in the embedded mode it runs in a thread pool.

Adding a periodic job:

1. write the service function in its room (it gets the process's ``Runtime``: ``runtime.app``
   is the application context);
2. write its thin Celery task with ``@shared_task(name="reelboard.<name>")`` in a module listed
   in :data:`TASK_MODULES` (so the workers register it);
3. append ``Job("<name>", "reelboard.<name>", every=..., run=...)`` to :data:`SCHEDULE` below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reelboard.settings import Settings

if TYPE_CHECKING:
    from tasks.runtime import Runtime


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # the Celery task's name
    every: Callable[[Settings], float]  # seconds between two runs
    run: Callable[[Runtime], Any]  # the service-level function both modes call


def _plan(runtime: Runtime) -> Any:
    from tasks.planning import plan_and_dispatch

    return plan_and_dispatch(runtime)


def _publish(runtime: Runtime) -> Any:
    from services.publishing import publish_due

    result = publish_due(runtime.app)
    return {
        "summary": result.summary(),
        "published": result.published,
        "failed": sorted(result.failed),
        "retrying": sorted(result.retrying),
    }


def _refresh(runtime: Runtime) -> Any:
    from tasks.planning import refresh_accounts

    return refresh_accounts(runtime)


# Modules whose Celery tasks the workers register.
TASK_MODULES: list[str] = ["tasks.jobs"]

SCHEDULE: list[Job] = [
    # Find the entries due under their challenge's cadence (and deadline collections), and fan
    # out one collection task per platform batch.
    Job("plan-collection", "reelboard.plan_collection", lambda s: s.plan_interval, _plan),
    # Followers and media counts of every account with entries in a running challenge.
    Job(
        "refresh-accounts",
        "reelboard.refresh_accounts",
        lambda s: s.account_refresh_interval,
        _refresh,
    ),
    # The publishing pass (publication issue): publish the scheduled posts that are due, each
    # exactly once (leases in the database; see docs/publishing.md).
    Job("publish-due", "reelboard.publish_due", lambda s: s.publish_interval, _publish),
]


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """The Celery ``beat_schedule`` for :data:`SCHEDULE`."""
    return {
        job.name: {
            "task": job.task,
            "schedule": float(job.every(settings)),
            # A run that could not start within one period is dropped, not piled up.
            "options": {"expires": max(1.0, float(job.every(settings)))},
        }
        for job in SCHEDULE
    }


__all__ = ["SCHEDULE", "TASK_MODULES", "Job", "beat_schedule"]
