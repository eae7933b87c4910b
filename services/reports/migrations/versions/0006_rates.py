"""what the rates read: each demand's steps (case_log) and the figures derived from them

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

DERIVED = (
    ("answered_at", UTCDateTime()),
    ("answer_due", UTCDateTime()),
    ("first_resolved_at", UTCDateTime()),
    ("first_resolve_due", UTCDateTime()),
    ("resolve_seconds", sa.Integer()),
    ("final_answer_at", UTCDateTime()),
    ("final_satisfied", sa.Boolean()),
    ("closed_without_answer", sa.Boolean()),
)
INDEXES = (
    ("ix_facts_assigned", "assigned_at"),
    ("ix_facts_resolve_due", "resolve_due"),
    ("ix_facts_first_resolved", "first_resolved_at"),
    ("ix_facts_final_answer", "final_answer_at"),
)


def upgrade() -> None:
    with op.batch_alter_table("grievance_facts") as batch:
        for name, kind in DERIVED:
            batch.add_column(sa.Column(name, kind, nullable=True))
    for name, column in INDEXES:
        op.create_index(name, "grievance_facts", [column])
    op.create_table(
        "case_log",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("grievance_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_case_log_grievance", "case_log", ["grievance_id"])


def downgrade() -> None:
    op.drop_index("ix_case_log_grievance", table_name="case_log")
    op.drop_table("case_log")
    for name, _ in INDEXES:
        op.drop_index(name, table_name="grievance_facts")
    with op.batch_alter_table("grievance_facts") as batch:
        for name, _ in reversed(DERIVED):
            batch.drop_column(name)
