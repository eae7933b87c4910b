"""the worker's own words on a case: their answer's comment and rating, apart from staff notes

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_history") as batch:
        batch.add_column(sa.Column("worker_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("worker_rating", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_history") as batch:
        batch.drop_column("worker_rating")
        batch.drop_column("worker_comment")
