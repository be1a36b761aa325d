"""Initial schema: instructors, cohorts, participants, tokens, sessions, tests, live.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from escape_home.instructor.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instructor",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(80), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "cohort",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "instructor_id",
            sa.Integer,
            sa.ForeignKey("instructor.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("sessions_per_week", sa.Integer, nullable=False),
        sa.Column("enrol_code", sa.String(20), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "participant",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(36), nullable=False, unique=True),
        sa.Column(
            "cohort_id",
            sa.Integer,
            sa.ForeignKey("cohort.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("nickname", sa.String(60), nullable=False),
        sa.Column("app_uuid", sa.String(36), nullable=True, unique=True),
        sa.Column("joint", sa.String(8), nullable=True),
        sa.Column("age_band", sa.String(8), nullable=True),
        sa.Column("sex", sa.String(12), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_upload_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "participant_id",
            sa.Integer,
            sa.ForeignKey("participant.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "exercise_session",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column(
            "participant_id",
            sa.Integer,
            sa.ForeignKey("participant.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime, nullable=True),
        sa.Column("pain_before", sa.Integer, nullable=True),
        sa.Column("pain_after", sa.Integer, nullable=True),
        sa.Column("pain_next_day", sa.Integer, nullable=True),
        sa.Column("exertion", sa.Integer, nullable=True),
        sa.Column("safety_any_yes", sa.Boolean, nullable=False),
        sa.Column("total_reps", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "test_result",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column(
            "participant_id",
            sa.Integer,
            sa.ForeignKey("participant.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("taken_at", UTCDateTime, nullable=False),
        sa.Column("result", sa.Float, nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "live_status",
        sa.Column(
            "participant_id",
            sa.Integer,
            sa.ForeignKey("participant.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "cohort_id",
            sa.Integer,
            sa.ForeignKey("cohort.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("exercise", sa.String(32), nullable=True),
        sa.Column("reps", sa.Integer, nullable=False),
        sa.Column("cue", sa.String(200), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("client_ts", sa.Float, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "upload",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "participant_id",
            sa.Integer,
            sa.ForeignKey("participant.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sessions_new", sa.Integer, nullable=False),
        sa.Column("sessions_updated", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "upload",
        "live_status",
        "test_result",
        "exercise_session",
        "token",
        "participant",
        "cohort",
        "instructor",
    ):
        op.drop_table(table)
