"""The Celery tasks: thin wrappers that call the service functions with the process's runtime.

Every task has soft and hard time limits; every task is safe to run twice (snapshots carry the
round's fixed ``collected_at`` and a unique key, claims are in Redis).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init, worker_process_shutdown
from sqlalchemy.exc import OperationalError

from reelboard.settings import get_settings
from tasks.config import SHORT_TASK_LIMIT, max_retry_countdown, soft_limit
from tasks.runtime import Runtime
from tasks.schedule import SCHEDULE

log = logging.getLogger(__name__)

_runtime: Runtime | None = None


def runtime() -> Runtime:
    """This process's runtime, built on first use (after the worker forked its children)."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(get_settings())
    return _runtime


def set_runtime(value: Runtime | None) -> None:
    global _runtime
    _runtime = value


@worker_process_init.connect
def _fresh_runtime(**_: Any) -> None:
    # A forked child must not reuse the parent's connections.
    set_runtime(None)


@worker_process_shutdown.connect
def _close_runtime(**_: Any) -> None:
    if _runtime is not None:
        _runtime.close()


def _job(name: str) -> Any:
    for job in SCHEDULE:
        if job.name == name:
            return job
    raise LookupError(name)


@shared_task(
    name="reelboard.plan_collection",
    ignore_result=True,
    time_limit=SHORT_TASK_LIMIT,
    soft_time_limit=soft_limit(SHORT_TASK_LIMIT),
)
def plan_collection() -> Any:
    return _job("plan-collection").run(runtime())


@shared_task(
    name="reelboard.refresh_accounts",
    ignore_result=True,
    time_limit=SHORT_TASK_LIMIT * 5,
    soft_time_limit=soft_limit(SHORT_TASK_LIMIT * 5),
)
def refresh_accounts() -> Any:
    return _job("refresh-accounts").run(runtime())


@shared_task(name="reelboard.publish_due", ignore_result=True)
def publish_due() -> Any:
    """The publishing pass (its time limits come from the configuration's annotations)."""
    return _job("publish-due").run(runtime())


@shared_task(
    bind=True,
    name="reelboard.collect_batch",
    max_retries=3,
    # The database restarting or unreachable: try again a little later (the batch is idempotent).
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=120,
)
def collect_batch(
    self: Task[Any, Any], batch: dict[str, Any], carried: dict[str, Any] | None = None
) -> Any:
    """Collect one platform batch; retry what was deferred for a short while, then report."""
    from tasks.planning import merge_reports, retry_plan, run_batch

    rt = runtime()
    try:
        report = run_batch(rt, batch)
    except SoftTimeLimitExceeded:
        from tasks.planning import timed_out_report

        log.warning("batch %s reached its soft time limit", batch.get("key"))
        report = timed_out_report(rt, batch)
    merged = merge_reports(carried, report)
    plan = retry_plan(rt, batch, merged, attempt=self.request.retries)
    if plan is not None:
        remaining, countdown = plan
        countdown = min(countdown, max_retry_countdown(rt.settings))
        raise self.retry(args=(remaining,), kwargs={"carried": merged}, countdown=countdown)
    return merged
