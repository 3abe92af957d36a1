"""What `reelboard status` shows: the scheduler's heartbeat, collection health, live blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reelboard.settings import Settings
from services.app import App
from services.cadence import Cadence
from services.scheduling import due_rounds, policy_of
from store import due
from store.enums import Platform
from store.health import HealthReport, collection_health
from tasks.config import BEAT_MAX_LOOP_INTERVAL
from tasks.coordination import Heartbeat
from tasks.embedded import HEARTBEAT_EVERY
from tasks.runtime import Runtime

# Which gate scopes belong to which platform, for the "blocked until" column.
SCOPE_API = {
    Platform.INSTAGRAM: "graph",
    Platform.FACEBOOK: "graph",
    Platform.YOUTUBE: "youtube",
    Platform.TIKTOK: "tiktok",
}


def stale_after(settings: Settings) -> timedelta:
    """How old the heartbeat may be before the scheduler counts as stopped."""
    if settings.redis_url:
        return timedelta(seconds=max(3 * BEAT_MAX_LOOP_INTERVAL, settings.beat_lock_timeout) + 30)
    return timedelta(seconds=HEARTBEAT_EVERY * 6)


@dataclass(frozen=True)
class BeatState:
    healthy: bool
    message: str
    heartbeat: Heartbeat | None


def beat_state(settings: Settings, now: datetime) -> BeatState:
    name = "beat" if settings.redis_url else "`reelboard run`"
    try:
        heartbeat = Runtime(settings).coordination.last_beat()
    except Exception as exc:  # Redis down: the beat cannot be ticking either
        return BeatState(False, f"cannot read the {name} heartbeat: {exc}", None)
    if heartbeat is None:
        return BeatState(False, f"the {name} has never ticked (is it running?)", None)
    age = now - heartbeat.at
    where = f"{heartbeat.host} pid {heartbeat.pid}"
    if age > stale_after(settings):
        return BeatState(
            False,
            f"the {name} last ticked {int(age.total_seconds())}s ago ({where}): not running",
            heartbeat,
        )
    return BeatState(
        True, f"The {name} ticked {max(0, int(age.total_seconds()))}s ago ({where}).", heartbeat
    )


@dataclass
class StatusReport:
    at: datetime
    mode: str
    beat: BeatState
    health: HealthReport
    blocks: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    youtube_units_today: int | None = None
    youtube_budget: int = 0
    challenges: list[str] = field(default_factory=list)

    def blocked_until(self, platform: Platform) -> datetime | None:
        api = SCOPE_API[platform]
        times = [until for scope, (until, _) in self.blocks.items() if scope.startswith(api + ":")]
        return max(times) if times else None

    def to_json(self) -> dict[str, Any]:
        def t(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "at": self.at.isoformat(),
            "mode": self.mode,
            "beat": {
                "healthy": self.beat.healthy,
                "message": self.beat.message,
                "last_tick": t(self.beat.heartbeat.at) if self.beat.heartbeat else None,
            },
            "platforms": [
                {
                    "platform": p.platform.value,
                    "last_success": t(p.last_success),
                    "items_24h": p.items_24h,
                    "failures_24h": p.failures_24h,
                    "deferred_24h": p.deferred_24h,
                    "calls_today": p.calls_today,
                    "quota_units_today": p.quota_units_today,
                    "blocked_until": t(self.blocked_until(p.platform)),
                }
                for p in self.health.platforms
            ],
            "accounts": [
                {
                    "platform": a.platform.value,
                    "account_id": a.account_id,
                    "credential": a.credential,
                    "handle": a.handle,
                    "library": a.library,
                    "status": a.status.value if a.status else None,
                    "needs_reauth": a.needs_reauth,
                    "status_reason": a.status_reason,
                    "last_success": t(a.last_success),
                    "failures_24h": a.failures_24h,
                    "deferred_24h": a.deferred_24h,
                }
                for a in self.health.accounts
            ],
            "youtube_units_today": self.youtube_units_today,
            "youtube_budget": self.youtube_budget,
            "blocks": {k: {"until": t(v[0]), "reason": v[1]} for k, v in self.blocks.items()},
            "challenges": self.challenges,
        }


def status_report(app: App, now: datetime) -> StatusReport:
    settings = app.settings
    with app.sessions() as session:
        health = collection_health(session, now)
        lines = _challenge_lines(session, now)
    report = StatusReport(
        at=now,
        mode="distributed (Redis)" if settings.redis_url else "embedded",
        beat=beat_state(settings, now),
        health=health,
        youtube_budget=settings.youtube_daily_quota,
        challenges=lines,
    )
    if settings.redis_url:
        try:
            limits = Runtime(settings, app=app).limits
            report.blocks = limits.gate.blocks()
            report.youtube_units_today = limits.budget.used_today("youtube:app")
        except Exception as exc:
            report.challenges.append(f"(Redis not readable: {exc})")
    return report


def _challenge_lines(session: Any, now: datetime) -> list[str]:
    lines = []
    pending: dict[str, int] = {}
    for r in due_rounds(session, now):
        pending[r.slug] = pending.get(r.slug, 0) + len(r.entry_ids)
    for c in due.running_challenges(session, now, timedelta(days=3)):
        policy: Cadence = policy_of(c)
        n = pending.get(c.slug, 0)
        due_now = f"{n} entries due now" if n else "nothing due now"
        lines.append(f"Challenge {c.slug} ({c.status}): cadence {policy.describe()}; {due_now}.")
    return lines


__all__ = ["BeatState", "StatusReport", "beat_state", "stale_after", "status_report"]
