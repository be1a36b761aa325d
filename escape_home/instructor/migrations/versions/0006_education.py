"""Education records of the progress log (minor version 2): the beliefs and
confidence checks and the lessons opened, finished and answered, kept with the
participant.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from escape_home.instructor.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.add_column(sa.Column("education", sa.Text, nullable=True))
        batch.add_column(sa.Column("education_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.drop_column("education_at")
        batch.drop_column("education")
