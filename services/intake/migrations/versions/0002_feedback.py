"""the worker's feedback, resolution times and merges

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

from shared.db import ID, SEQ, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grievances") as batch:
        batch.add_column(sa.Column("resolved_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("follows_id", ID, nullable=True))
    op.create_table(
        "feedback",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("grievance_id", ID, nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("grievance_id", "resolved_at", name="uq_feedback_round"),
    )


def downgrade() -> None:
    op.drop_table("feedback")
    with op.batch_alter_table("grievances") as batch:
        batch.drop_column("follows_id")
        batch.drop_column("resolved_at")
