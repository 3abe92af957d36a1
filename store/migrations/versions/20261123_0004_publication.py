"""publication: probe results and the entry a published post became

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-23 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_post") as batch:
        batch.add_column(
            sa.Column(
                "media_info",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("entry_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_scheduled_post_entry_id_entry"), "entry", ["entry_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("scheduled_post") as batch:
        batch.drop_constraint(batch.f("fk_scheduled_post_entry_id_entry"), type_="foreignkey")
        batch.drop_column("entry_id")
        batch.drop_column("media_info")
