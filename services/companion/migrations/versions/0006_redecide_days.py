"""decide every companion day again, once, so that companion_day.decided (new) reaches reports for
the days decided before it existed; a missed day already kept is not told to the county again
(missed_days keeps it once)

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE schedules SET checked_until = NULL")


def downgrade() -> None:
    pass  # nothing to undo: the days are decided again as they were
