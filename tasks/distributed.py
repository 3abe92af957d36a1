"""`reelboard collect` with Redis: the round runs on the workers, this process waits for it.

The round is planned here exactly as the inline round is (:func:`collector.round.plan_round`,
one fixed ``collected_at``), each batch is sent as a ``reelboard.collect_batch`` task with an id
derived from the round, and the batches' JSON reports are gathered into the same
:class:`~collector.round.RoundSummary` the inline round prints.

Surviving a Redis restart: Redis may lose the queued messages and the stored results (the
production compose file keeps an append-only file, the test server keeps nothing). The waiter
notices a restart (Redis's ``run_id`` changes, or the connection drops) and sends the batches it
has no result for again, under the same ids. A batch that had in fact finished reports its
entries as ``already`` collected and calls nothing; one that was running writes nothing twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from celery import Celery

from collector.round import Batch, BatchResult, RoundSummary, plan_round, round_time
from services.app import App
from store.enums import Platform
from tasks.planning import result_from_json
from tasks.runtime import COLLECT_TASK, batch_task_id

log = logging.getLogger(__name__)

READY_OK = "SUCCESS"
READY_FAILED = {"FAILURE", "REVOKED"}


@dataclass
class Waiting:
    """What the waiter knows while it waits (for a status line)."""

    pending: int
    redis_up: bool
    resent: int


def _run_id(client: redis.Redis) -> str | None:
    info: Any = client.info("server")
    return str(info.get("run_id")) if isinstance(info, dict) else None


def collect_on_workers(
    app: App,
    celery: Celery,
    challenge_ids: Sequence[int],
    *,
    platforms: Collection[Platform] | None = None,
    include_accounts: bool = True,
    progress: Callable[[BatchResult], None] | None = None,
    planned: Callable[[list[Batch]], None] | None = None,
    waiting: Callable[[Waiting], None] | None = None,
    timeout: float | None = None,
    poll: float = 0.5,
    now: datetime | None = None,
) -> RoundSummary:
    """Plan a round, run it on the workers, wait for every batch; the round's summary.

    With ``timeout``, batches still without a result when it runs out are reported as
    deferred (reason ``no_worker_result``) instead of waited for.
    """
    at = round_time(now or datetime.now(UTC))
    with app.sessions() as session:
        batches = [
            b
            for cid in challenge_ids
            for b in plan_round(
                session,
                cid,
                platforms=platforms,
                collected_at=at,
                include_accounts=include_accounts,
            )
        ]
    if planned is not None:
        planned(batches)
    key = f"collect-{at.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"
    pending = {batch_task_id(key, i): b for i, b in enumerate(batches)}
    summary = RoundSummary(collected_at=at)
    started = time.monotonic()
    client = redis.Redis.from_url(
        str(app.settings.redis_url), socket_timeout=10, socket_connect_timeout=5
    )
    backend: Any = celery.backend

    def send(ids: Collection[str]) -> None:
        for tid in ids:
            celery.send_task(COLLECT_TASK, args=[pending[tid].to_json()], task_id=tid)

    send(list(pending))
    seen_run = _run_id(client)
    resent = 0
    redis_up = True
    while pending:
        try:
            run = _run_id(client)
            if not redis_up or run != seen_run:
                log.warning(
                    "Redis restarted or was unreachable: sending the %d unfinished batches again",
                    len(pending),
                )
                send(list(pending))
                resent += len(pending)
                seen_run = run
            redis_up = True
            ids = list(pending)
            for tid, raw in zip(
                ids, backend.mget([backend.get_key_for_task(t) for t in ids]), strict=True
            ):
                if raw is None:
                    continue
                meta = backend.decode_result(raw)
                status = meta.get("status")
                if status == READY_OK:
                    result = result_from_json(meta["result"])
                elif status in READY_FAILED:
                    result = _failed(pending[tid], f"worker task {status}: {meta.get('result')}")
                else:
                    continue
                del pending[tid]
                summary.add(result)
                if progress is not None:
                    progress(result)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            if redis_up:
                log.warning("Redis unreachable while waiting for the round: %s", exc)
            redis_up = False
        if waiting is not None:
            waiting(Waiting(pending=len(pending), redis_up=redis_up, resent=resent))
        if not pending:
            break
        if timeout is not None and time.monotonic() - started > timeout:
            for batch in pending.values():
                late = BatchResult(batch=batch)
                late.posts.items = late.posts.deferred = len(batch.entry_ids)
                late.accounts.items = late.accounts.deferred = len(batch.account_ids)
                late.reasons["no_worker_result"] = len(batch.entry_ids) + len(batch.account_ids)
                summary.add(late)
                if progress is not None:
                    progress(late)
            pending.clear()
            break
        time.sleep(poll)
    summary.elapsed = time.monotonic() - started
    client.close()
    return summary


def workers_runner(
    app: App,
    *,
    celery: Celery | None = None,
    timeout: float | None = None,
    waiting: Callable[[Waiting], None] | None = None,
) -> Callable[..., RoundSummary]:
    """A round runner for :func:`services.collection.collect` that runs the round on the
    workers (same planning, same summary as the inline round; only the transport differs)."""

    def run(
        challenge_ids: Sequence[int],
        platforms: Collection[Platform] | None,
        progress: Callable[[BatchResult], None] | None,
        planned: Callable[[list[Batch]], None] | None,
    ) -> RoundSummary:
        if celery is None:
            from tasks.celery_app import make_celery

            worker_app = make_celery(app.settings)
        else:
            worker_app = celery
        return collect_on_workers(
            app,
            worker_app,
            challenge_ids,
            platforms=platforms,
            progress=progress,
            planned=planned,
            waiting=waiting,
            timeout=timeout,
        )

    return run


def _failed(batch: Batch, error: str) -> BatchResult:
    r = BatchResult(batch=batch, error=f"{batch.key}: {error}")
    r.posts.items = r.posts.failed = len(batch.entry_ids)
    r.accounts.items = r.accounts.failed = len(batch.account_ids)
    r.reasons["internal_error"] = len(batch.entry_ids) + len(batch.account_ids)
    return r


__all__ = ["Waiting", "collect_on_workers", "workers_runner"]
