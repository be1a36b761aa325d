"""Self-management tools of the progress log (minor version 1): the flare-up plan,
pacing plans and questions for class, kept with the participant.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from escape_home.instructor.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.add_column(sa.Column("self_management", sa.Text, nullable=True))
        batch.add_column(sa.Column("self_management_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.drop_column("self_management_at")
        batch.drop_column("self_management")
