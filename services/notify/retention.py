"""Erasing a named worker's contact once it is no longer needed (DESIGN §4, PIPL): ``contact_retention_days``
(90) after the case became final (``contacts.finished_at``, recorded from ``case.status_changed`` to
closed, rejected or merged), the contact's row is deleted and the worker's address is scrubbed (set to
NULL) from the notification log: the email address and the phone number (SMS) alike.

Only messages already sent or failed are scrubbed; the dispatcher sends a pending one to its recipient,
so a contact with a message still pending waits for the next sweep (a message is pending for minutes,
not days: the dispatcher gives up after ``max_send_attempts``). A message's subject and body hold the
tracking code and public notes, never the contact, and stay.

The state is the contacts themselves, claimed ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so the sweep
survives restarts, several workers share it, and each contact is erased once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, delete, exists, or_, select, update

from services.notify.config import Settings
from services.notify.models import contacts, notifications
from shared import clock, metrics

log = logging.getLogger(__name__)
BATCH = 100
EVERY_SECONDS = 60.0
SETTLED = ("sent", "failed")  # the dispatcher never reads these rows again

_c, _n = contacts.c, notifications.c
# The worker's messages: those to the contact's address or phone about the contact's demand (a staff
# member's message about the same demand goes to the staff member and is not the worker's).
_PENDING = exists().where(
    _n.grievance_id == _c.grievance_id,
    or_(_n.recipient == _c.email, _n.recipient == _c.phone),
    _n.status.not_in(SETTLED),
)
_SCRUB = (
    update(notifications)
    .where(
        _n.grievance_id == bindparam("gid"),
        or_(_n.recipient == bindparam("email"), _n.recipient == bindparam("phone")),
        or_(*(_n.status == status for status in SETTLED)),  # not IN: executed for many contacts at once
    )
    .values(recipient=None)
)


def erase_expired(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Erase one batch of contacts whose case was final for longer than the retention; how many."""
    cutoff = (now or clock.now()) - timedelta(days=settings.contact_retention_days)
    with engine.begin() as conn:
        due = conn.execute(
            select(_c.grievance_id, _c.email, _c.phone)
            .where(_c.finished_at < cutoff, ~_PENDING)
            .order_by(_c.finished_at)
            .limit(BATCH)
            .with_for_update(of=contacts, skip_locked=True)
        ).all()
        if not due:
            return 0
        reachable = [
            {"gid": row.grievance_id, "email": row.email, "phone": row.phone}
            for row in due
            if row.email or row.phone
        ]
        if reachable:
            conn.execute(_SCRUB, reachable)
        conn.execute(delete(contacts).where(_c.grievance_id.in_([row.grievance_id for row in due])))
    metrics.CONTACTS_ERASED.labels(settings.service).inc(len(due))
    log.info("contacts erased", extra={"count": len(due)})  # a count only, never whose
    return len(due)
