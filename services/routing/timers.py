"""Time-based work of the ledger: a resolved case the worker has not answered within the feedback
window is closed (销账) with the feedback recorded as "none" — never counted as satisfied.

The state lives in the cases themselves (status ``resolved`` and ``resolved_at``), so the work
survives restarts; rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers share it, and each closing writes its history and its outbox event in the same transaction:
it happens once in effect. A grace period after the window lets an answer the worker gave in time,
still on its way from intake, arrive first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from services.routing.config import Settings
from services.routing.models import cases, outbox
from services.routing.steps import Step
from shared import clock
from shared.uow import unit_of_work

GRACE = timedelta(hours=1)
BATCH = 100
EVERY_SECONDS = 60.0


def close_unanswered(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Close one batch of resolved cases whose feedback window (plus the grace) is over; how many."""
    now = now or clock.now()
    cutoff = now - timedelta(days=settings.feedback_days) - GRACE
    with unit_of_work(engine, outbox, settings) as uow:
        due = uow.conn.execute(
            select(cases)
            .where(cases.c.status == "resolved", cases.c.resolved_at < cutoff)
            .order_by(cases.c.resolved_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        note = f"no feedback within {settings.feedback_days} days: feedback none"
        for case in due:  # locked above: each step applies
            Step(case, "feedback_timeout", "closed", None, "system", now, internal_note=note).write(uow)
    return len(due)
