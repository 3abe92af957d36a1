"""Runtime configuration: one settings object read from ``REELBOARD_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

GRAPH_API_VERSION = "v25.0"
DEFAULT_SQLITE_FILE = "reelboard.db"

# Proactive rate limits, per scope (the collector's scope names: ``<api>:app`` for the whole app
# or API key, ``<api>:<credential>`` for one token; ``<api>:*`` matches every credential but not
# ``<api>:app``). Values use the ``limits`` notation, several separated by ";". A Graph batch
# costs one call per operation. These are ceilings against bursts that stay under the documented
# limits: TikTok allows 600 requests per minute per token and endpoint (sliding window); Graph
# limits scale with users and impressions and are reported in the usage headers, which the
# collector obeys on top of these; YouTube's binding limit is the daily unit budget
# (youtube_daily_quota), counted separately.
DEFAULT_RATE_LIMITS: dict[str, str] = {
    "graph:*": "1200/hour",
    "youtube:app": "3000/minute",
    "tiktok:*": "550/minute",
}


class Settings(BaseSettings):
    """Everything reelboard reads from its environment.

    Defaults give the embedded mode: an SQLite file in the working folder and no broker.
    """

    model_config = SettingsConfigDict(env_prefix="REELBOARD_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_FILE}",
        description="SQLAlchemy URL of the database (SQLite file or PostgreSQL).",
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL for Celery; unset means embedded mode (inline work)."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Fernet key that encrypts platform tokens at rest."
    )
    graph_api_base: str = Field(
        default=f"https://graph.facebook.com/{GRAPH_API_VERSION}",
        description="Instagram/Facebook Graph API base URL, version included.",
    )
    youtube_api_base: str = Field(
        default="https://www.googleapis.com/youtube/v3", description="YouTube Data API base URL."
    )
    tiktok_api_base: str = Field(
        default="https://open.tiktokapis.com/v2", description="TikTok API base URL."
    )
    youtube_api_key: SecretStr | None = Field(default=None, description="YouTube Data API key.")
    instagram_user_id: str | None = Field(
        default=None, description="The committee's Instagram professional account id."
    )
    instagram_access_token: SecretStr | None = Field(
        default=None, description="Access token of the committee's Instagram account."
    )
    shortlink_resolver_base: str | None = Field(
        default=None,
        description="If set, short links (vm.tiktok.com, fb.watch) are expanded through this base "
        "instead of their own host (tests and the demo point it at the fake platform).",
    )
    media_dir: Path = Field(
        default=Path("reelboard-media"), description="Folder where uploaded post media is kept."
    )
    public_media_base_url: str | None = Field(
        default=None,
        description="Public base URL serving media_dir, for platforms that pull media.",
    )
    dashboard_idle_minutes: int = Field(
        default=30, ge=1, description="A dashboard session ends after this many idle minutes."
    )
    dashboard_session_hours: int = Field(
        default=12, ge=1, description="A dashboard session ends this many hours after sign-in."
    )
    login_max_failures_user: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins per username within the window before it "
        "is refused for the rest of the window.",
    )
    login_max_failures_client: int = Field(
        default=20,
        ge=1,
        description="Failed sign-ins per client address within the window.",
    )
    login_window_minutes: int = Field(
        default=15, ge=1, description="The window (minutes) the sign-in limits count failures in."
    )
    dashboard_cache_seconds: int = Field(
        default=60, ge=0, description="How long the dashboard keeps query results (seconds)."
    )

    # ---- distributed collection (tasks/; see docs/tasks.md) ------------------------------------
    redis_prefix: str = Field(
        default="reelboard",
        description="Prefix of every Redis key reelboard writes (queues, results, beat schedule, "
        "rate limits), so several deployments or test runs can share one Redis.",
    )
    task_time_limit: int = Field(
        default=300,
        ge=5,
        description="Hard time limit in seconds of one collection task (the soft limit is 80% of "
        "it); the worker process running a task past it is replaced.",
    )
    broker_visibility_timeout: int = Field(
        default=3600,
        ge=10,
        description="Seconds after which a task taken by a worker that vanished is delivered "
        "again; must exceed task_time_limit.",
    )
    plan_interval: int = Field(
        default=300,
        ge=1,
        description="Seconds between two planning passes (find due entries, fan out batches).",
    )
    publish_interval: int = Field(
        default=60, ge=5, description="Seconds between two publishing passes (scheduled posts)."
    )
    account_refresh_interval: int = Field(
        default=6 * 3600, ge=60, description="Seconds between two account-stats refreshes."
    )
    beat_lock_timeout: int = Field(
        default=60,
        ge=3,
        description="Seconds a beat holds the scheduling lock without renewing it; a second beat "
        "takes over after this when the first dies.",
    )
    rate_limits: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_RATE_LIMITS),
        description="Calls allowed per scope across all workers, as JSON merged over the "
        'defaults, e.g. {"tiktok:*": "550/minute", "graph:app": "10000/hour"}; "none" removes '
        "one. Scopes: graph:app, graph:*, youtube:app, tiktok:*, or one credential "
        "(tiktok:account:7).",
    )
    http_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds the collector waits for a platform API's answer before retrying.",
    )
    youtube_daily_quota: int = Field(
        default=10_000,
        ge=0,
        description="YouTube Data API units the API key may spend per day (the day resets at "
        "midnight Pacific time).",
    )

    @field_validator("redis_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        value = value.strip()
        if not value or any(c.isspace() for c in value) or len(value) > 60:
            raise ValueError("REELBOARD_REDIS_PREFIX must be 1-60 characters without spaces")
        return value

    @field_validator("rate_limits")
    @classmethod
    def _check_rate_limits(cls, value: dict[str, Any]) -> dict[str, str]:
        from limits import parse_many

        checked: dict[str, str] = {}
        # Given scopes replace the defaults of the same scope; "none" removes a default.
        for scope, spec in {**DEFAULT_RATE_LIMITS, **value}.items():
            if str(spec).strip().lower() in ("none", "off", ""):
                continue
            if ":" not in scope:
                raise ValueError(
                    f"REELBOARD_RATE_LIMITS: scope {scope!r} must look like 'api:app', "
                    "'api:*' or 'api:<credential>'"
                )
            try:
                parse_many(str(spec))
            except ValueError:
                raise ValueError(
                    f"REELBOARD_RATE_LIMITS[{scope!r}]: {spec!r} is not a rate such as "
                    "'600/minute' or '10 per 2 seconds'"
                ) from None
            checked[scope] = str(spec)
        return checked

    @model_validator(mode="after")
    def _check_timeouts(self) -> Settings:
        if self.broker_visibility_timeout <= self.task_time_limit:
            raise ValueError(
                f"REELBOARD_BROKER_VISIBILITY_TIMEOUT ({self.broker_visibility_timeout}s) must be "
                f"longer than REELBOARD_TASK_TIME_LIMIT ({self.task_time_limit}s), or running "
                "tasks would be delivered twice"
            )
        return self

    def sqlite_path(self) -> Path | None:
        """The database file when the database is SQLite on disk, else None."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None

    def key_file(self) -> Path:
        """Where ``reelboard init`` keeps a generated Fernet key when none is configured."""
        db = self.sqlite_path()
        folder = db.parent if db is not None else Path.cwd()
        return folder / "reelboard.key"

    @property
    def embedded(self) -> bool:
        return not self.redis_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the demo change the environment)."""
    get_settings.cache_clear()


def env_documentation() -> list[tuple[str, str, str]]:
    """(variable, default, description) for every setting, for README and ``--help``."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        if field.default_factory is not None:
            shown = "(built in)"
        else:
            shown = "unset" if default is None else str(default)
        rows.append((f"REELBOARD_{name.upper()}", shown, field.description or ""))
    return rows


__all__ = ["GRAPH_API_VERSION", "Settings", "env_documentation", "get_settings", "reset_settings"]
