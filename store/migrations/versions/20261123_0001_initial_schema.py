"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:38:48.191909
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target_type", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.String(length=100), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("opens_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=40), nullable=False),
        sa.Column(
            "hashtags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "platforms",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "open",
                "closed",
                "frozen",
                "published",
                name="challenge_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "cadence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "post_approver",
            sa.Enum(
                "library_admin",
                "committee",
                name="approver",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("live_board_public", sa.Boolean(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge")),
        sa.UniqueConstraint("slug", name=op.f("uq_challenge_slug")),
    )
    op.create_table(
        "library",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "tier",
            sa.Enum(
                "provinsi",
                "kabupaten_kota",
                "desa_kelurahan",
                name="tier",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("regency_city", sa.String(length=100), nullable=True),
        sa.Column("timezone", sa.String(length=40), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library")),
        sa.UniqueConstraint("name", name=op.f("uq_library_name")),
    )
    with op.batch_alter_table("library", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_library_province"), ["province"], unique=False)

    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "committee",
                "judge",
                "library",
                "viewer",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("library_id", sa.Integer(), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["library_id"], ["library.id"], name=op.f("fk_app_user_library_id_library")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "rubric_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenge.id"],
            name=op.f("fk_rubric_version_challenge_id_challenge"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_version")),
        sa.UniqueConstraint(
            "challenge_id", "version", name=op.f("uq_rubric_version_challenge_id_version")
        ),
    )
    op.create_table(
        "social_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column(
            "platform",
            sa.Enum(
                "instagram",
                "facebook",
                "tiktok",
                "youtube",
                name="platform",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("token_expires_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "ok",
                "needs_reauth",
                name="account_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["library_id"], ["library.id"], name=op.f("fk_social_account_library_id_library")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_account")),
        sa.UniqueConstraint("platform", "handle", name=op.f("uq_social_account_platform_handle")),
    )
    with op.batch_alter_table("social_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_social_account_library_id"), ["library_id"], unique=False
        )

    op.create_table(
        "account_snapshot",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("collected_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("followers", sa.BigInteger(), nullable=True),
        sa.Column("media_count", sa.BigInteger(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["social_account.id"],
            name=op.f("fk_account_snapshot_account_id_social_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_snapshot")),
        sa.UniqueConstraint(
            "account_id", "collected_at", name=op.f("uq_account_snapshot_account_id_collected_at")
        ),
    )

    op.create_table(
        "collection_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "platform",
            sa.Enum(
                "instagram",
                "facebook",
                "tiktok",
                "youtube",
                name="platform",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("credential", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("quota_units", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["social_account.id"],
            name=op.f("fk_collection_event_account_id_social_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_event")),
    )
    with op.batch_alter_table("collection_event", schema=None) as batch_op:
        batch_op.create_index("ix_collection_event_recent", ["platform", "at"], unique=False)

    op.create_table(
        "entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column(
            "platform",
            sa.Enum(
                "instagram",
                "facebook",
                "tiktok",
                "youtube",
                name="platform",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("canonical_url", sa.String(length=500), nullable=False),
        sa.Column("post_id", sa.String(length=100), nullable=False),
        sa.Column("media_id", sa.String(length=100), nullable=True),
        sa.Column(
            "pillar",
            sa.Enum(
                "layanan_informasi",
                "pelibatan_masyarakat",
                "advokasi_kemitraan",
                "promosi",
                name="pillar",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("posted_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "unavailable",
                "disqualified",
                name="entry_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["social_account.id"], name=op.f("fk_entry_account_id_social_account")
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"], ["challenge.id"], name=op.f("fk_entry_challenge_id_challenge")
        ),
        sa.ForeignKeyConstraint(
            ["library_id"], ["library.id"], name=op.f("fk_entry_library_id_library")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry")),
        sa.UniqueConstraint(
            "challenge_id",
            "platform",
            "post_id",
            name=op.f("uq_entry_challenge_id_platform_post_id"),
        ),
    )
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entry_challenge_id"), ["challenge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entry_library_id"), ["library_id"], unique=False)

    op.create_table(
        "frozen_board",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("as_of", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rubric_version_id", sa.Integer(), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "board",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("frozen_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("frozen_by", sa.String(length=100), nullable=True),
        sa.Column("published_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"], ["challenge.id"], name=op.f("fk_frozen_board_challenge_id_challenge")
        ),
        sa.ForeignKeyConstraint(
            ["rubric_version_id"],
            ["rubric_version.id"],
            name=op.f("fk_frozen_board_rubric_version_id_rubric_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frozen_board")),
    )
    with op.batch_alter_table("frozen_board", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frozen_board_challenge_id"), ["challenge_id"], unique=False
        )

    op.create_table(
        "scheduled_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=True),
        sa.Column(
            "platform",
            sa.Enum(
                "instagram",
                "facebook",
                "tiktok",
                "youtube",
                name="platform",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("media_path", sa.String(length=500), nullable=True),
        sa.Column("media_url", sa.String(length=1000), nullable=True),
        sa.Column(
            "pillar",
            sa.Enum(
                "layanan_informasi",
                "pelibatan_masyarakat",
                "advokasi_kemitraan",
                "promosi",
                name="pillar",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("scheduled_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "submitted",
                "approved",
                "scheduled",
                "publishing",
                "published",
                "failed",
                "cancelled",
                name="post_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column(
            "platform_state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("platform_media_id", sa.String(length=100), nullable=True),
        sa.Column("permalink", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["social_account.id"],
            name=op.f("fk_scheduled_post_account_id_social_account"),
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenge.id"],
            name=op.f("fk_scheduled_post_challenge_id_challenge"),
        ),
        sa.ForeignKeyConstraint(
            ["library_id"], ["library.id"], name=op.f("fk_scheduled_post_library_id_library")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_post")),
    )
    with op.batch_alter_table("scheduled_post", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_post_due", ["state", "scheduled_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scheduled_post_library_id"), ["library_id"], unique=False
        )

    op.create_table(
        "indicator_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("set_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenge.id"],
            name=op.f("fk_indicator_value_challenge_id_challenge"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entry.id"], name=op.f("fk_indicator_value_entry_id_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_value")),
    )
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.create_index(
            "ix_indicator_value_lookup", ["challenge_id", "entry_id", "indicator"], unique=False
        )

    op.create_table(
        "judge_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenge.id"],
            name=op.f("fk_judge_assignment_challenge_id_challenge"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entry.id"], name=op.f("fk_judge_assignment_entry_id_entry")
        ),
        sa.ForeignKeyConstraint(
            ["judge_id"], ["app_user.id"], name=op.f("fk_judge_assignment_judge_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judge_assignment")),
        sa.UniqueConstraint(
            "entry_id", "judge_id", name=op.f("uq_judge_assignment_entry_id_judge_id")
        ),
    )
    with op.batch_alter_table("judge_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_judge_assignment_challenge_id"), ["challenge_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_judge_assignment_judge_id"), ["judge_id"], unique=False
        )

    op.create_table(
        "judge_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=80), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("conflict", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"], ["challenge.id"], name=op.f("fk_judge_score_challenge_id_challenge")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entry.id"], name=op.f("fk_judge_score_entry_id_entry")
        ),
        sa.ForeignKeyConstraint(
            ["judge_id"], ["app_user.id"], name=op.f("fk_judge_score_judge_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["judge_score.id"],
            name=op.f("fk_judge_score_supersedes_id_judge_score"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judge_score")),
    )
    with op.batch_alter_table("judge_score", schema=None) as batch_op:
        batch_op.create_index(
            "ix_judge_score_lookup", ["challenge_id", "entry_id", "judge_id"], unique=False
        )

    op.create_table(
        "metric_snapshot",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("collected_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.Column("shares", sa.BigInteger(), nullable=True),
        sa.Column("saves", sa.BigInteger(), nullable=True),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "api",
                "manual",
                name="metric_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entry.id"], name=op.f("fk_metric_snapshot_entry_id_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_snapshot")),
        sa.UniqueConstraint(
            "entry_id",
            "collected_at",
            "source",
            name=op.f("uq_metric_snapshot_entry_id_collected_at_source"),
        ),
    )


def downgrade() -> None:

    op.drop_table("metric_snapshot")
    with op.batch_alter_table("judge_score", schema=None) as batch_op:
        batch_op.drop_index("ix_judge_score_lookup")

    op.drop_table("judge_score")
    with op.batch_alter_table("judge_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_judge_assignment_judge_id"))
        batch_op.drop_index(batch_op.f("ix_judge_assignment_challenge_id"))

    op.drop_table("judge_assignment")
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_value_lookup")

    op.drop_table("indicator_value")
    with op.batch_alter_table("scheduled_post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_post_library_id"))
        batch_op.drop_index("ix_scheduled_post_due")

    op.drop_table("scheduled_post")
    with op.batch_alter_table("frozen_board", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frozen_board_challenge_id"))

    op.drop_table("frozen_board")
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_library_id"))
        batch_op.drop_index(batch_op.f("ix_entry_challenge_id"))
        batch_op.drop_index(batch_op.f("ix_entry_account_id"))

    op.drop_table("entry")
    with op.batch_alter_table("collection_event", schema=None) as batch_op:
        batch_op.drop_index("ix_collection_event_recent")

    op.drop_table("collection_event")

    op.drop_table("account_snapshot")
    with op.batch_alter_table("social_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_social_account_library_id"))

    op.drop_table("social_account")
    op.drop_table("rubric_version")
    op.drop_table("app_user")
    with op.batch_alter_table("library", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_province"))

    op.drop_table("library")
    op.drop_table("challenge")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_target")

    op.drop_table("audit_log")
