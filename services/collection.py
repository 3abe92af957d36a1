"""Collecting metrics: the round run inline from the command line (and the demo).

The Celery tasks wrap the same pieces (:func:`collector.round.plan_round`,
:func:`collector.round.collect_batch`) with :func:`round_context` as their context.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from collector.adapters import Adapters, build_adapters
from collector.http import HttpConfig
from collector.ratelimit import RateGate, utcnow
from collector.round import (
    DEFAULT_CONCURRENCY,
    Batch,
    BatchResult,
    RoundContext,
    RoundSummary,
    run_round,
)
from services import registry
from services.app import App
from services.errors import BadInput
from store import collection as q
from store.enums import Platform
from store.models import Challenge, SocialAccount


def round_context(
    app: App,
    *,
    http: HttpConfig | None = None,
    gate: RateGate | None = None,
    now: Callable[[], datetime] = utcnow,
) -> tuple[RoundContext, Adapters]:
    """The context a round needs, with adapters built from the app's settings.

    Close the adapters (``adapters.close()``) when done with them.
    """
    adapters = build_adapters(app.settings, http=http, gate=gate, now=now)
    ctx = RoundContext(
        sessions=app.sessions, adapters=adapters, token_box=lambda: app.token_box, now=now
    )
    return ctx, adapters


def parse_platforms(raw: Sequence[str] | None) -> list[Platform] | None:
    if not raw:
        return None
    return [registry.parse_platform(p) for p in raw]


# Runs a planned round somewhere: (challenge ids, platforms, progress, planned) -> summary.
RoundRunner = Callable[
    [
        list[int],
        list[Platform] | None,
        Callable[[BatchResult], None] | None,
        Callable[[list[Batch]], None] | None,
    ],
    RoundSummary,
]


@dataclass
class CollectReport:
    summary: RoundSummary
    challenges: list[Challenge]
    reauth_handles: list[str] = field(default_factory=list)


def collect(
    app: App,
    slug: str | None,
    platforms: Sequence[str] | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[BatchResult], None] | None = None,
    planned: Callable[[list[Batch]], None] | None = None,
    http: HttpConfig | None = None,
    runner: RoundRunner | None = None,
) -> CollectReport:
    """One round for challenge ``slug`` (or every challenge still collecting).

    Inline by default; ``runner`` runs the planned round elsewhere instead (the Celery workers,
    ``tasks.distributed.workers_runner``) with the same planning and the same summary.
    """
    if concurrency < 1:
        raise BadInput(f"--concurrency must be at least 1, not {concurrency}")
    chosen = parse_platforms(platforms)
    with app.transaction() as session:
        if slug:
            challenges = [registry.require_challenge(session, slug)]
        else:
            challenges = q.challenges_to_collect(session)
            if not challenges:
                raise BadInput("no challenge is open for collection (give a challenge SLUG)")
    if runner is not None:
        summary = runner([c.id for c in challenges], chosen, progress, planned)
        return CollectReport(
            summary=summary, challenges=challenges, reauth_handles=_reauth(app, summary)
        )
    ctx, adapters = round_context(app, http=http)
    try:
        summary = run_round(
            ctx,
            [c.id for c in challenges],
            platforms=chosen,
            concurrency=concurrency,
            progress=progress,
            planned=planned,
        )
    finally:
        adapters.close()
    return CollectReport(
        summary=summary, challenges=challenges, reauth_handles=_reauth(app, summary)
    )


def _reauth(app: App, summary: RoundSummary) -> list[str]:
    handles: list[str] = []
    if summary.needs_reauth:
        with app.transaction() as session:
            for account_id in sorted(set(summary.needs_reauth)):
                account = session.get(SocialAccount, account_id)
                if account is not None:
                    handles.append(f"{account.platform.value} @{account.handle}")
    return handles


__all__ = ["CollectReport", "collect", "parse_platforms", "round_context"]
