"""throttle counters (shared.throttle): keyed hashes only, each row gone with its window

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa

from shared.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle",
        sa.Column("key", sa.String(length=80), primary_key=True),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_throttle_expires", "throttle", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_throttle_expires", table_name="throttle")
    op.drop_table("throttle")
