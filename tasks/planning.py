"""The scheduled collection, as functions of a :class:`~tasks.runtime.Runtime`.

Both modes call these: the Celery tasks (:mod:`tasks.jobs`) and ``reelboard run``.

- :func:`plan_and_dispatch` finds the entries due under their challenge's cadence, plans them
  into full platform batches stamped with the round's ``collected_at`` (the collector's
  :func:`~collector.round.plan_round`) and hands the batches to the dispatcher. A round is
  claimed first, so two planning passes in the same slot do not send it twice.
- :func:`run_batch` collects one batch (the collector's idempotent
  :func:`~collector.round.collect_batch`) and returns its JSON report.
- :func:`refresh_accounts` plans and dispatches the account-stats batches of running challenges.
- :func:`retry_plan` and :func:`merge_reports` let a batch whose items were deferred for a
  short while (a 429 with a short ``Retry-After``, 5xx that outlived the HTTP retries) try again
  a few times, carrying what it already collected.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from collector.round import (
    Batch,
    BatchResult,
    Counts,
    RoundContext,
    collect_batch,
    plan_accounts,
    plan_round,
)
from services.scheduling import DueRound, due_rounds
from store import due
from tasks.runtime import Runtime

log = logging.getLogger(__name__)

# A batch retries its deferred items at most this many times (after the HTTP layer's own retries).
MAX_BATCH_RETRIES = 2
# Deferred items are retried by the same task only if they may be called again this soon;
# anything later waits for the next planning pass (the entry is still due then).
RETRY_HORIZON = timedelta(minutes=2)
# Reasons worth a quick retry.
TRANSIENT = {"rate_limited", "server_error", "timeout", "connection_error", "time_limit"}


def round_context(runtime: Runtime) -> RoundContext:
    ctx: RoundContext = runtime.round_context
    return ctx


# ---- planning ------------------------------------------------------------------------------------
def plan_round_batches(runtime: Runtime, r: DueRound) -> list[Batch]:
    with runtime.app.sessions() as session:
        return plan_round(
            session,
            r.challenge_id,
            collected_at=r.collected_at,
            include_accounts=False,
            entry_ids=r.entry_ids,
        )


def plan_and_dispatch(runtime: Runtime) -> dict[str, Any]:
    """One planning pass: claim every due round and dispatch its batches."""
    now = runtime.now()
    with runtime.app.sessions() as session:
        rounds = due_rounds(session, now)
    sent: list[dict[str, Any]] = []
    for r in rounds:
        if not runtime.coordination.claim(f"round:{r.key}", r.claim_for.total_seconds()):
            log.debug("round %s already planned", r.key)
            continue
        try:
            batches = plan_round_batches(runtime, r)
            n = runtime.dispatcher.submit(runtime, r.key, [b.to_json() for b in batches])
        except Exception:
            # Let the next pass try again rather than leave the round claimed and unsent.
            runtime.coordination.release(f"round:{r.key}")
            raise
        log.info(
            "round %s: %d entries in %d batches%s",
            r.key,
            len(r.entry_ids),
            n,
            " (deadline collection)" if r.deadline else "",
        )
        sent.append(
            {"round": r.key, "entries": len(r.entry_ids), "batches": n, "deadline": r.deadline}
        )
    return {"at": now.isoformat(), "rounds": sent}


def refresh_accounts(runtime: Runtime) -> dict[str, Any]:
    """Followers and media counts of the accounts of every running challenge."""
    now = runtime.now()
    period = max(60, runtime.settings.account_refresh_interval)
    epoch = int(now.timestamp())
    stamp = datetime.fromtimestamp(epoch - epoch % period, UTC)
    sent: list[dict[str, Any]] = []
    with runtime.app.sessions() as session:
        challenges = [
            (c.id, c.slug)
            for c in due.running_challenges(session, now, timedelta(0))
            if c.closes_at > now
        ]
    for challenge_id, slug in challenges:
        key = f"{slug}@accounts@{stamp.strftime('%Y%m%dT%H%M%SZ')}"
        if not runtime.coordination.claim(f"round:{key}", period):
            continue
        with runtime.app.sessions() as session:
            batches = plan_accounts(session, challenge_id, collected_at=stamp)
        n = runtime.dispatcher.submit(runtime, key, [b.to_json() for b in batches])
        sent.append({"round": key, "batches": n})
    return {"at": now.isoformat(), "rounds": sent}


# ---- one batch -----------------------------------------------------------------------------------
def run_batch(runtime: Runtime, batch_json: dict[str, Any]) -> dict[str, Any]:
    batch = Batch.from_json(batch_json)
    return collect_batch(round_context(runtime), batch).to_json()


def collect_with_retries(
    runtime: Runtime,
    batch_json: dict[str, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Run a batch in this process with the same retries the Celery task makes."""
    report: dict[str, Any] | None = None
    attempt = 0
    while True:
        report = merge_reports(report, run_batch(runtime, batch_json))
        plan = retry_plan(runtime, batch_json, report, attempt=attempt)
        if plan is None:
            return report
        batch_json, countdown = plan
        sleep(countdown)
        attempt += 1


def timed_out_report(runtime: Runtime, batch_json: dict[str, Any]) -> dict[str, Any]:
    """The report of a batch stopped by its time limit: what reached the database counts as
    collected (by the batch's stamp), the rest as deferred."""
    batch = Batch.from_json(batch_json)
    result = BatchResult(batch=batch)
    result.posts.items = len(batch.entry_ids)
    result.accounts.items = len(batch.account_ids)
    with runtime.app.sessions() as session:
        done = due.entries_collected_at(session, batch.entry_ids, batch.collected_at)
    result.posts.already = len(done)
    result.posts.deferred = len(batch.entry_ids) - len(done)
    result.accounts.deferred = len(batch.account_ids)  # not known: asked again next time
    missing = result.posts.deferred + result.accounts.deferred
    if missing:
        result.reasons["time_limit"] = missing
    return result.to_json()


COUNT_FIELDS = tuple(vars(Counts()))


def _counts(data: Any) -> Counts:
    raw = data if isinstance(data, dict) else {}
    return Counts(**{k: int(raw.get(k, 0)) for k in COUNT_FIELDS})


def result_from_json(data: dict[str, Any]) -> BatchResult:
    """A batch's JSON report back as a :class:`BatchResult` (for the round's summary)."""
    retry_at = data.get("retry_at")
    return BatchResult(
        batch=Batch.from_json(data["batch"]),
        posts=_counts(data.get("posts")),
        accounts=_counts(data.get("accounts")),
        reasons={str(k): int(v) for k, v in dict(data.get("reasons") or {}).items()},
        calls=int(data.get("calls", 0)),
        quota_units=int(data.get("quota_units", 0)),
        retry_at=datetime.fromisoformat(retry_at) if retry_at else None,
        needs_reauth=[int(i) for i in data.get("needs_reauth") or []],
        error=data.get("error"),
    )


def _merge_counts(carried: dict[str, Any], latest: dict[str, Any]) -> tuple[dict[str, int], int]:
    """Counts of a re-run: the latest outcome for what it handled, plus what earlier attempts
    collected (the re-run saw it as ``already``) or found unavailable (it saw it as no longer
    active). Also returns how many items moved from skipped back to unavailable."""
    old, new = _counts(carried), _counts(latest)
    moved = min(old.collected, new.already)
    new.collected += moved
    new.already -= moved
    new.written += old.written
    gone = min(old.unavailable, new.skipped)
    new.unavailable += gone
    new.skipped -= gone
    return vars(new), gone


def merge_reports(carried: dict[str, Any] | None, latest: dict[str, Any]) -> dict[str, Any]:
    """One report for a batch that ran again (see :func:`_merge_counts`), its calls added up."""
    if not carried:
        return latest
    out = dict(latest)
    out["posts"], gone_posts = _merge_counts(carried.get("posts") or {}, latest.get("posts") or {})
    out["accounts"], gone_accounts = _merge_counts(
        carried.get("accounts") or {}, latest.get("accounts") or {}
    )
    for name in ("calls", "quota_units"):
        out[name] = int(latest.get(name, 0)) + int(carried.get(name, 0))
    reasons = dict(latest.get("reasons") or {})
    if gone_posts + gone_accounts:
        reasons["unavailable"] = reasons.get("unavailable", 0) + gone_posts + gone_accounts
    out["reasons"] = reasons
    out["needs_reauth"] = sorted(
        set(latest.get("needs_reauth") or []) | set(carried.get("needs_reauth") or [])
    )
    out["attempts"] = int(carried.get("attempts", 1)) + 1
    return out


def _total(report: dict[str, Any], name: str) -> int:
    return int((report.get("posts") or {}).get(name, 0)) + int(
        (report.get("accounts") or {}).get(name, 0)
    )


def retry_plan(
    runtime: Runtime, batch_json: dict[str, Any], report: dict[str, Any], *, attempt: int
) -> tuple[dict[str, Any], int] | None:
    """Whether (and in how many seconds) a batch should run again for its deferred items.

    Only transient deferrals are retried, only if nothing failed for good (a credential
    problem would fail again) and only when they may be called again soon.
    """
    if attempt >= MAX_BATCH_RETRIES or _total(report, "deferred") == 0:
        return None
    if _total(report, "failed") or report.get("needs_reauth"):
        return None
    reasons = set((report.get("reasons") or {}).keys()) - {"unavailable"}
    if not reasons or not reasons <= TRANSIENT:
        return None
    now = runtime.now()
    retry_at = report.get("retry_at")
    if retry_at:
        wait = (datetime.fromisoformat(retry_at) - now).total_seconds()
        if wait > RETRY_HORIZON.total_seconds():
            return None
        countdown = max(1, math.ceil(wait))
    else:
        countdown = 5 * 2**attempt
    return batch_json, countdown


__all__ = [
    "MAX_BATCH_RETRIES",
    "collect_with_retries",
    "merge_reports",
    "plan_and_dispatch",
    "refresh_accounts",
    "result_from_json",
    "retry_plan",
    "round_context",
    "run_batch",
    "timed_out_report",
]
