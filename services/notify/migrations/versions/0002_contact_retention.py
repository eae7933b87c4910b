"""when a contact's case became final, so the contact can be erased after the retention period

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

from shared.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("finished_at", UTCDateTime(), nullable=True))
        batch.create_index("ix_contacts_finished", ["finished_at"], unique=False)
    with op.batch_alter_table("notifications") as batch:
        batch.create_index("ix_notifications_grievance", ["grievance_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index("ix_notifications_grievance")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_index("ix_contacts_finished")
        batch.drop_column("finished_at")
