"""The dashboard a physiotherapist needs (issue 11): alert thresholds per class,
the instructor's reviews of alerts (acknowledged or resolved, with a note), and a
free-text note per participant.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from escape_home.instructor.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: The class's alert thresholds and their defaults (docs/escape-pain.md §1.6).
THRESHOLDS = (
    ("alert_pain_above", 5),
    ("alert_pain_rise", 2),
    ("alert_next_day_sessions", 2),
    ("alert_behind", 2),
    ("alert_fault_percent", 50),
)


def upgrade() -> None:
    with op.batch_alter_table("cohort") as batch:
        for name, default in THRESHOLDS:
            batch.add_column(
                sa.Column(name, sa.Integer, nullable=False, server_default=str(default))
            )
    with op.batch_alter_table("participant") as batch:
        batch.add_column(sa.Column("note", sa.Text, nullable=True))
    op.create_table(
        "alert_review",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "participant_id",
            sa.Integer,
            sa.ForeignKey("participant.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column(
            "instructor_id",
            sa.Integer,
            sa.ForeignKey("instructor.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("reviewed_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("participant_id", "key", name="uq_alert_review_key"),
    )
    op.create_index(
        "ix_alert_review_participant_id", "alert_review", ["participant_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_alert_review_participant_id", table_name="alert_review")
    op.drop_table("alert_review")
    with op.batch_alter_table("participant") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("cohort") as batch:
        for name, _default in reversed(THRESHOLDS):
            batch.drop_column(name)
