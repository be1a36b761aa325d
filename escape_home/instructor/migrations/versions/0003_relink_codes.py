"""Per-participant re-link codes: a new device reaches the same participant.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from escape_home.instructor.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.add_column(sa.Column("relink_code_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("relink_expires_at", UTCDateTime, nullable=True))
        batch.create_index(
            "ix_participant_relink_code_hash", ["relink_code_hash"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.drop_index("ix_participant_relink_code_hash")
        batch.drop_column("relink_expires_at")
        batch.drop_column("relink_code_hash")
