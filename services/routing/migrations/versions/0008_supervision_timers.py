"""supervision runs itself: timers, the deadline policy, the terms a case was given, the
supervisors' deadline and the paused resolve clock

Revision ID: 0008
Revises: 0007

Open cases get the timers of the deadlines they have (a missed one fires at once), resolved cases
their feedback-window timer (it replaces the sweep over resolved cases); reminders are not set for
cases older than this revision.
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from shared.db import SEQ, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN = ("assigned", "accepted", "in_progress", "reopened")
FEEDBACK_WINDOW = timedelta(days=7, hours=1)  # the default window and the grace hour


def upgrade() -> None:
    timers = op.create_table(
        "timers",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("fired_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("error", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject", "kind", "key", name="uq_timers_subject_kind_key"),
    )
    op.create_index(
        "ix_timers_due",
        "timers",
        ["due_at"],
        postgresql_where=sa.text("fired_at IS NULL"),
        sqlite_where=sa.text("fired_at IS NULL"),
    )
    op.create_table(
        "deadline_policies",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("terms", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("policy_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("supervised_due", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("paused_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("pause_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("pause_ends", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("pauses_used", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("paused_seconds", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("case_history") as batch:
        batch.alter_column("action", type_=sa.String(length=32), existing_type=sa.String(length=16))

    conn = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("id", sa.String),
        sa.column("status", sa.String),
        sa.column("accept_due", UTCDateTime()),
        sa.column("resolve_due", UTCDateTime()),
        sa.column("resolved_at", UTCDateTime()),
    )
    now = sa.func.now() if conn.dialect.name == "postgresql" else sa.func.datetime("now")
    rows = []
    for case in conn.execute(sa.select(cases).where(cases.c.status.in_([*OPEN, "resolved"]))):
        if case.status == "resolved" and case.resolved_at is not None:
            due = case.resolved_at + FEEDBACK_WINDOW
            rows.append((case.id, "feedback_close", case.resolved_at.isoformat(), due))
            continue
        if case.status == "assigned" and case.accept_due is not None:
            rows.append((case.id, "overdue", f"accept|{case.accept_due.isoformat()}", case.accept_due))
        if case.resolve_due is not None:
            rows.append((case.id, "overdue", f"resolve|{case.resolve_due.isoformat()}", case.resolve_due))
    for subject, kind, key, due in rows:
        conn.execute(timers.insert().values(subject=subject, kind=kind, key=key, due_at=due, created_at=now))


def downgrade() -> None:
    with op.batch_alter_table("case_history") as batch:
        batch.alter_column("action", type_=sa.String(length=16), existing_type=sa.String(length=32))
    with op.batch_alter_table("cases") as batch:
        for column in (
            "paused_seconds",
            "pauses_used",
            "pause_ends",
            "pause_reason",
            "paused_at",
            "supervised_due",
            "policy_version",
            "terms",
        ):
            batch.drop_column(column)
    op.drop_table("deadline_policies")
    op.drop_index("ix_timers_due", table_name="timers")
    op.drop_table("timers")
