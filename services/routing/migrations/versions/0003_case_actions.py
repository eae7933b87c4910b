"""case actions: the extension, merges, resolution times, and the action and supervision level of each history step

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

from shared.db import ID, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("extended_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("merged_into", ID, nullable=True))
        batch.add_column(sa.Column("resolved_at", UTCDateTime(), nullable=True))
        batch.create_index("ix_cases_status_resolved", ["status", "resolved_at"])
    with op.batch_alter_table("case_history") as batch:
        batch.add_column(sa.Column("action", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("supervision_level", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_history") as batch:
        batch.drop_column("supervision_level")
        batch.drop_column("action")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_status_resolved")
        batch.drop_column("resolved_at")
        batch.drop_column("merged_into")
        batch.drop_column("extended_at")
