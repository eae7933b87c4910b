"""the paused resolve clock in each demand's facts: paused time does not count against on-time
figures (the due date moves with it) nor days to resolve

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grievance_facts") as batch:
        batch.add_column(sa.Column("paused_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("paused_seconds", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("grievance_facts") as batch:
        batch.drop_column("paused_seconds")
        batch.drop_column("paused_at")
