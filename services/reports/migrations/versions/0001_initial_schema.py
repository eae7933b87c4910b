"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 09:04:35.871105
"""

from alembic import op
import sqlalchemy as sa
import shared.db


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("county_code", sa.String(length=32), nullable=False),
        sa.Column("county_name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "grievance_facts",
        sa.Column("grievance_id", sa.String(length=36), nullable=False),
        sa.Column("enterprise_code", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=True),
        sa.Column("about_chair", sa.Boolean(), nullable=True),
        sa.Column("submitted_at", shared.db.UTCDateTime(), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("assignee_role", sa.String(length=32), nullable=True),
        sa.Column("assigned_at", shared.db.UTCDateTime(), nullable=True),
        sa.Column("accept_due", shared.db.UTCDateTime(), nullable=True),
        sa.Column("resolve_due", shared.db.UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("status_at", shared.db.UTCDateTime(), nullable=True),
        sa.Column("supervision_level", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("grievance_id"),
    )
    with op.batch_alter_table("grievance_facts", schema=None) as batch_op:
        batch_op.create_index("ix_facts_case", ["case_id"], unique=False)
        batch_op.create_index("ix_facts_submitted", ["submitted_at"], unique=False)

    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("processed_at", shared.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "notification_facts",
        sa.Column("notification_id", sa.String(length=36), nullable=False),
        sa.Column("grievance_id", sa.String(length=36), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", shared.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(), nullable=False),
        sa.Column("published_at", shared.db.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_unpublished",
            ["seq"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_unpublished",
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )

    op.drop_table("outbox")
    op.drop_table("notification_facts")
    op.drop_table("inbox")
    with op.batch_alter_table("grievance_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_facts_submitted")
        batch_op.drop_index("ix_facts_case")

    op.drop_table("grievance_facts")
    op.drop_table("enterprises")
