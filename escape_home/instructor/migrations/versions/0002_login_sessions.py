"""Server-side sign-in sessions (revocable) and disabled instructor accounts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from escape_home.instructor.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("instructor") as batch:
        batch.add_column(sa.Column("disabled_at", UTCDateTime, nullable=True))
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "instructor_id",
            sa.Integer,
            sa.ForeignKey("instructor.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("login_session")
    with op.batch_alter_table("instructor") as batch:
        batch.drop_column("disabled_at")
