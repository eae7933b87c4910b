"""demands heard in the companion programme: a batch of them posted by staff under one
Idempotency-Key, their source (visit, forum, survey) on each demand, and the staff revocations the
staff endpoint needs

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    op.create_table(
        "revocations",
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    with op.batch_alter_table("grievances") as batch:
        batch.add_column(sa.Column("source_kind", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("source_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("source_item", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("grievances") as batch:
        batch.drop_column("source_item")
        batch.drop_column("source_id")
        batch.drop_column("source_kind")
    op.drop_table("revocations")
    op.drop_table("batches")
