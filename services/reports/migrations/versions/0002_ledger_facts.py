"""ledger facts: the assigned organisation, acceptance and resolution times, the worker's answer

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

COLUMNS = (
    ("assignee_org", sa.String(length=32)),
    ("accepted_at", UTCDateTime()),
    ("resolved_at", UTCDateTime()),
    ("satisfied", sa.Boolean()),
    ("rating", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("grievance_facts") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("grievance_facts") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
