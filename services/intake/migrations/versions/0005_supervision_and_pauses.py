"""the worker sees supervision (督办) and a paused resolve clock: timeline steps that move no status,
and the case's current supervision level and pause on the demand

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
    with op.batch_alter_table("timeline") as batch:
        batch.add_column(sa.Column("event", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("level", sa.Integer(), nullable=True))
    with op.batch_alter_table("grievances") as batch:
        batch.add_column(sa.Column("supervision_level", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("paused_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("pause_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("grievances") as batch:
        batch.drop_column("pause_reason")
        batch.drop_column("paused_at")
        batch.drop_column("supervision_level")
    with op.batch_alter_table("timeline") as batch:
        batch.drop_column("level")
        batch.drop_column("event")
