"""A class led live (issue 12 item 4): the class run and the live update's `share`.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from escape_home.instructor.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "class_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "cohort_id",
            sa.Integer,
            sa.ForeignKey("cohort.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("leader", sa.String(80), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("stations", sa.Text, nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("station", sa.Integer),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("changed_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime),
    )
    op.create_index("ix_class_run_cohort_id", "class_run", ["cohort_id"])
    op.add_column(
        "live_status",
        sa.Column("share", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("live_status") as batch:
        batch.drop_column("share")
    op.drop_index("ix_class_run_cohort_id", table_name="class_run")
    op.drop_table("class_run")
