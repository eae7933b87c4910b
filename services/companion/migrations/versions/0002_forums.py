"""micro-forums (微座谈) with the items of their minutes, and the demands heard in the programme
with what became of each

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forums",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("enterprise_code", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_forums_enterprise_day", "forums", ["enterprise_code", "day"])
    op.create_table(
        "forum_items",
        sa.Column("forum_id", sa.String(length=36), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("about_chair", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("forum_id", "item"),
    )
    op.create_table(
        "demands",
        sa.Column("grievance_id", sa.String(length=36), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("item", sa.Integer(), nullable=True),
        sa.Column("tracking_code", sa.String(length=16), nullable=False),
        sa.Column("about_chair", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_at", UTCDateTime(), nullable=False),
        sa.Column("public_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("grievance_id"),
    )
    op.create_index("ix_demands_source", "demands", ["source_id", "item"])


def downgrade() -> None:
    op.drop_index("ix_demands_source", table_name="demands")
    op.drop_table("demands")
    op.drop_table("forum_items")
    op.drop_index("ix_forums_enterprise_day", table_name="forums")
    op.drop_table("forums")
