"""The instructor's exercise plan per class and per participant (issue 12 item 1).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from escape_home.instructor.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exercise_plan",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "cohort_id",
            sa.Integer,
            sa.ForeignKey("cohort.id", ondelete="CASCADE"),
            unique=True,
        ),
        sa.Column(
            "participant_id",
            sa.Integer,
            sa.ForeignKey("participant.id", ondelete="CASCADE"),
            unique=True,
        ),
        sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
        sa.Column("items", sa.Text, nullable=False, server_default="{}"),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.CheckConstraint(
            "(cohort_id IS NULL) <> (participant_id IS NULL)", name="plan_owner"
        ),
    )


def downgrade() -> None:
    op.drop_table("exercise_plan")
