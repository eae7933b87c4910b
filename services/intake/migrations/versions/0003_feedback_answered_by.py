"""which demand's worker gave an answer (after a merge, the survivor's answer may come from another)

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

from shared.db import ID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("answered_by", ID, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("answered_by")
