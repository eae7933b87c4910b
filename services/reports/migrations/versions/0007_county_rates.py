"""the rates per county over the last 30 days, computed on a schedule for Prometheus; what became
of each companion day, for the public scoreboard

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "county_rates",
        sa.Column("county_code", sa.String(length=32), nullable=False),
        sa.Column("rate", sa.String(length=32), nullable=False),
        sa.Column("numerator", sa.Integer(), nullable=False),
        sa.Column("denominator", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("county_code", "rate"),
    )
    op.create_table(
        "companion_days",
        sa.Column("enterprise_code", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_code", "day"),
    )


def downgrade() -> None:
    op.drop_table("companion_days")
    op.drop_table("county_rates")
