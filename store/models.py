"""The data model: SQLAlchemy 2 typed declarative models.

Append-only tables (metric and account snapshots, judge scores, indicator values, the audit log)
are never updated in place; corrections are new rows. Every time is an aware UTC datetime.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.enums import (
    AccountStatus,
    Approver,
    ChallengeStatus,
    EntryStatus,
    MetricSource,
    Pillar,
    Platform,
    PostState,
    Role,
    Tier,
)
from store.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def str_enum(enum: type[StrEnum], name: str) -> Enum:
    """A VARCHAR column with a CHECK constraint listing the enum's values (portable, migratable)."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
    }


class Library(Base):
    __tablename__ = "library"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    tier: Mapped[Tier] = mapped_column(str_enum(Tier, "tier"))
    province: Mapped[str] = mapped_column(String(100), index=True)
    regency_city: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    accounts: Mapped[list[SocialAccount]] = relationship(back_populates="library")


class SocialAccount(Base):
    __tablename__ = "social_account"
    __table_args__ = (UniqueConstraint("platform", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), index=True)
    platform: Mapped[Platform] = mapped_column(str_enum(Platform, "platform"))
    handle: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(100))
    token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_expires_at: Mapped[datetime | None]
    status: Mapped[AccountStatus] = mapped_column(
        str_enum(AccountStatus, "account_status"), default=AccountStatus.OK
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    library: Mapped[Library] = relationship(back_populates="accounts")


class Challenge(Base):
    __tablename__ = "challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(40))
    hashtags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    platforms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[ChallengeStatus] = mapped_column(
        str_enum(ChallengeStatus, "challenge_status"), default=ChallengeStatus.DRAFT
    )
    # Collection cadence (hours), see tasks: first 48 h hourly, 6-hourly to 14 days, then daily.
    cadence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    post_approver: Mapped[Approver] = mapped_column(
        str_enum(Approver, "approver"), default=Approver.LIBRARY_ADMIN
    )
    live_board_public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rubric_versions: Mapped[list[RubricVersion]] = relationship(
        back_populates="challenge", order_by="RubricVersion.version"
    )


class RubricVersion(Base):
    """One version of a challenge's rubric document; a changed rubric is a new row."""

    __tablename__ = "rubric_version"
    __table_args__ = (UniqueConstraint("challenge_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))

    challenge: Mapped[Challenge] = relationship(back_populates="rubric_versions")


class Entry(Base):
    """A contest entry: one post on one platform, registered to one challenge."""

    __tablename__ = "entry"
    __table_args__ = (UniqueConstraint("challenge_id", "platform", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("social_account.id"), index=True)
    platform: Mapped[Platform] = mapped_column(str_enum(Platform, "platform"))
    canonical_url: Mapped[str] = mapped_column(String(500))
    # The post's id as its public URL carries it (Instagram shortcode, YouTube/TikTok/Facebook id).
    post_id: Mapped[str] = mapped_column(String(100))
    # The id the platform API uses (an Instagram media id differs from its shortcode); null until
    # the collector resolves it.
    media_id: Mapped[str | None] = mapped_column(String(100))
    pillar: Mapped[Pillar | None] = mapped_column(str_enum(Pillar, "pillar"))
    posted_at: Mapped[datetime | None]
    title: Mapped[str | None] = mapped_column(Text)
    status: Mapped[EntryStatus] = mapped_column(
        str_enum(EntryStatus, "entry_status"), default=EntryStatus.ACTIVE
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    challenge: Mapped[Challenge] = relationship()
    library: Mapped[Library] = relationship()
    account: Mapped[SocialAccount | None] = relationship()


class MetricSnapshot(Base):
    """Append-only engagement counts of an entry at one collection time.

    A null count means the platform did not give it (hidden or unsupported), never zero.
    ``collected_at`` is the time stamp of the collection round, so a retried batch of the same
    round hits the unique key and writes nothing.
    """

    __tablename__ = "metric_snapshot"
    # The unique key's index (entry_id, collected_at, source) also serves "latest snapshot per
    # entry at or before T" on both databases.
    __table_args__ = (UniqueConstraint("entry_id", "collected_at", "source"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"))
    collected_at: Mapped[datetime]
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[MetricSource] = mapped_column(str_enum(MetricSource, "metric_source"))
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class AccountSnapshot(Base):
    __tablename__ = "account_snapshot"
    __table_args__ = (UniqueConstraint("account_id", "collected_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("social_account.id"))
    collected_at: Mapped[datetime]
    followers: Mapped[int | None] = mapped_column(BigInteger)
    media_count: Mapped[int | None] = mapped_column(BigInteger)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    display_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="id")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    library: Mapped[Library | None] = relationship()


class JudgeAssignment(Base):
    __tablename__ = "judge_assignment"
    __table_args__ = (UniqueConstraint("entry_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JudgeScore(Base):
    """Append-only: a judge's score of one rubric item of one entry.

    A correction is a new row naming the row it supersedes. A row with ``conflict`` set records
    that the judge declared a conflict of interest and abstains from the entry (score is null).
    """

    __tablename__ = "judge_score"
    __table_args__ = (
        Index("ix_judge_score_lookup", "challenge_id", "entry_id", "judge_id"),
        # The corrected (superseded) rows: a board leaves them out, and they are few.
        Index(
            "ix_judge_score_superseded",
            "challenge_id",
            "supersedes_id",
            postgresql_where=text("supersedes_id IS NOT NULL"),
            sqlite_where=text("supersedes_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    criterion: Mapped[str] = mapped_column(String(80))
    score: Mapped[float | None] = mapped_column(Float)
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("judge_score.id"))


class IndicatorValue(Base):
    """Append-only: a committee indicator (checklist item) for an entry; the latest row wins."""

    __tablename__ = "indicator_value"
    __table_args__ = (Index("ix_indicator_value_lookup", "challenge_id", "entry_id", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"))
    indicator: Mapped[str] = mapped_column(String(80))
    value: Mapped[float | None] = mapped_column(Float)
    set_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FrozenBoard(Base):
    """A board stored at freeze time with its rubric version and a hash of its inputs."""

    __tablename__ = "frozen_board"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    as_of: Mapped[datetime]
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_version.id"))
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    board: Mapped[dict[str, Any]] = mapped_column(JSONType)
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)
    frozen_by: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime | None]


class ScheduledPost(Base):
    """A post on a library's content calendar, published once at its time.

    ``platform_state`` keeps every intermediate platform id (container id, publish id, upload
    session) written before the next API call, so a retry resumes instead of posting twice.
    """

    __tablename__ = "scheduled_post"
    __table_args__ = (Index("ix_scheduled_post_due", "state", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("social_account.id"))
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenge.id"))
    platform: Mapped[Platform] = mapped_column(str_enum(Platform, "platform"))
    caption: Mapped[str] = mapped_column(Text, default="")
    media_path: Mapped[str | None] = mapped_column(String(500))
    media_url: Mapped[str | None] = mapped_column(String(1000))
    # What the probe read from the uploaded file (services/media.py MediaInfo), null for a URL.
    media_info: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    pillar: Mapped[Pillar | None] = mapped_column(str_enum(Pillar, "pillar"))
    scheduled_at: Mapped[datetime]
    state: Mapped[PostState] = mapped_column(
        str_enum(PostState, "post_state"), default=PostState.DRAFT
    )
    state_reason: Mapped[str | None] = mapped_column(Text)
    platform_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    platform_media_id: Mapped[str | None] = mapped_column(String(100))
    permalink: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(100))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]
    # The challenge entry the published post became (its caption carried the hashtag).
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class CollectionEvent(Base):
    """One outcome of collection work (a batch or an account refresh), for health reporting.

    ``outcome`` is ``ok``, ``deferred`` or ``failed``; ``reason`` names why (``rate_limited``,
    ``token_expired``, ``timeout``, ``server_error``, ``malformed``, ``unavailable``...).
    ``calls`` and ``quota_units`` count what the work spent against the platform's limits.
    """

    __tablename__ = "collection_event"
    __table_args__ = (Index("ix_collection_event_recent", "platform", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    platform: Mapped[Platform] = mapped_column(str_enum(Platform, "platform"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("social_account.id"))
    credential: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(60))
    items: Mapped[int] = mapped_column(Integer, default=0)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    quota_units: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str | None] = mapped_column(Text)


class LoginAttempt(Base):
    """One sign-in attempt on the dashboard, kept to rate-limit failures across sessions.

    ``client`` is the address the attempt came from (or ``unknown``); the password is never kept.
    """

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username", "username", "at"),
        Index("ix_login_attempt_client", "client", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(100))
    success: Mapped[bool] = mapped_column(Boolean)


class WebSession(Base):
    """A signed-in dashboard session. The browser side holds only a random token whose SHA-256
    is stored here; the user's role is read from ``app_user`` on every page, never from the
    session itself. A session ends when idle too long, at ``expires_at``, or when revoked."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    client: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
