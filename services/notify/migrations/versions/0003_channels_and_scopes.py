"""SMS and staff group channels: who a notification is for (audience, recipient id and name), what it
is (medium), whether it may go out at night (urgent); the scope facts of each case for the staff's
notification log; revoked staff tokens

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
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("audience", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("medium", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("recipient_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("recipient_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False))
    # Every message so far was mail: to a named worker (worker_ack, worker_answer) or to staff.
    op.execute(
        "UPDATE notifications SET medium = 'email', "
        "audience = CASE WHEN kind LIKE 'worker%' THEN 'worker' ELSE 'staff' END"
    )
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("audience", existing_type=sa.String(length=8), nullable=False)
        batch.alter_column("medium", existing_type=sa.String(length=8), nullable=False)
    op.create_table(
        "case_scopes",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("grievance_id", sa.String(length=36), nullable=False),
        sa.Column("enterprise_code", sa.String(length=32), nullable=True),
        sa.Column("county_code", sa.String(length=32), nullable=True),
        sa.Column("assignee_org", sa.String(length=32), nullable=True),
        sa.Column("about_chair", sa.Boolean(), nullable=True),
        sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("assigned_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "revocations",
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("staff_id"),
    )


def downgrade() -> None:
    op.drop_table("revocations")
    op.drop_table("case_scopes")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("urgent")
        batch.drop_column("recipient_name")
        batch.drop_column("recipient_id")
        batch.drop_column("medium")
        batch.drop_column("audience")
