"""the chair's own notes in the public-opinion diary (民意日记)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "diary_notes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("enterprise_code", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_by", sa.String(length=64), nullable=False),
        sa.Column("written_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_diary_notes_enterprise_day", "diary_notes", ["enterprise_code", "day"])


def downgrade() -> None:
    op.drop_index("ix_diary_notes_enterprise_day", table_name="diary_notes")
    op.drop_table("diary_notes")
