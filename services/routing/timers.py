"""Time-based work of the ledger: a resolved case the worker has not answered within the feedback
window is closed (销账) with the feedback recorded as "none" — never counted as satisfied.

The state lives in the cases themselves (status ``resolved`` and ``resolved_at``), so the work
survives restarts; rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers share it, and each closing writes its history and its outbox event in the same transaction:
it happens once in effect. A grace period after the window lets an answer the worker gave in time,
still on its way from intake, arrive first.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update

from shared import events, worker
from shared.config import Settings
from shared.db import utcnow
from shared.uow import unit_of_work
from services.routing.models import cases, history, outbox

GRACE = timedelta(hours=1)
BATCH = 100
EVERY_SECONDS = 60.0


def close_unanswered(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Close one batch of resolved cases whose feedback window (plus the grace) is over; how many."""
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.feedback_days) - GRACE
    with unit_of_work(engine, outbox, settings) as uow:
        due = uow.conn.execute(
            select(cases.c.id, cases.c.grievance_id, cases.c.version)
            .where(cases.c.status == "resolved", cases.c.resolved_at < cutoff)
            .order_by(cases.c.resolved_at).limit(BATCH).with_for_update(skip_locked=True)).all()
        for case in due:
            uow.conn.execute(update(cases).where(cases.c.id == case.id).values(
                status="closed", updated_at=now, version=case.version + 1))
            uow.conn.execute(history.insert(), {
                "case_id": case.id, "at": now, "actor_id": None, "actor_role": "system",
                "from_status": "resolved", "to_status": "closed", "action": "feedback_timeout",
                "internal_note": f"no feedback within {settings.feedback_days} days: feedback none"})
            uow.emit("case.status_changed", events.CaseStatusChanged(
                case_id=case.id, grievance_id=case.grievance_id, from_="resolved", to="closed",
                actor_role="system", at=now), correlation_id=case.grievance_id)
    return len(due)


class FeedbackTimer:
    """The worker's loop: sweep every minute (at once again while batches come back full)."""

    def __init__(self, settings: Settings, engine: Engine):
        self.settings, self.engine = settings, engine

    def run(self, stop: threading.Event) -> None:
        worker.repeat(stop, lambda: close_unanswered(self.engine, self.settings) >= BATCH,
                      lambda: stop.wait(EVERY_SECONDS), "feedback timer")
