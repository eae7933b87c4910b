"""micro-surveys (微调研): definitions, one-time codes, answers kept apart from free texts, kiosks

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("enterprise_code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("intro", sa.Text(), nullable=True),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("tables", sa.JSON(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_surveys_enterprise", "surveys", ["enterprise_code"])
    op.create_table(
        "survey_codes",
        sa.Column("survey_id", sa.String(length=36), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("used_on", sa.Date(), nullable=True),
        sa.Column("form_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("survey_id", "code_hash"),
    )
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("survey_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_survey_answers_survey", "survey_answers", ["survey_id"])
    op.create_table(
        "survey_texts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("survey_id", sa.String(length=36), nullable=False),
        sa.Column("question", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_survey_texts_survey", "survey_texts", ["survey_id"])
    op.create_table(
        "kiosks",
        sa.Column("enterprise_code", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("enrolled_by", sa.String(length=64), nullable=False),
        sa.Column("enrolled_at", UTCDateTime(), nullable=False),
        sa.Column("last_code_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("enterprise_code"),
    )


def downgrade() -> None:
    op.drop_table("kiosks")
    op.drop_index("ix_survey_texts_survey", table_name="survey_texts")
    op.drop_table("survey_texts")
    op.drop_index("ix_survey_answers_survey", table_name="survey_answers")
    op.drop_table("survey_answers")
    op.drop_table("survey_codes")
    op.drop_index("ix_surveys_enterprise", table_name="surveys")
    op.drop_table("surveys")
