"""missed companion days, found by the worker and told to the county union; the county's officers
on each enterprise (from enterprise.updated)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enterprises") as batch:
        batch.add_column(sa.Column("county_officers", sa.JSON(), nullable=True))
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("checked_until", sa.Date(), nullable=True))
    op.create_table(
        "missed_days",
        sa.Column("enterprise_code", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("county_code", sa.String(length=32), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_code", "day"),
    )


def downgrade() -> None:
    op.drop_table("missed_days")
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("checked_until")
    with op.batch_alter_table("enterprises") as batch:
        batch.drop_column("county_officers")
