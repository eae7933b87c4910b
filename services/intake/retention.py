"""Erasing a named worker's contact once it is no longer needed (DESIGN §4, PIPL): the contact of a
demand whose case is final — written off (closed, 销账), rejected, or merged into another case — is set
to NULL ``contact_retention_days`` (90) after that moment, with the digest of the request that held it
and any copy of ``grievance.contact_shared`` still in the outbox (published ones are purged by the
relay within the hour; an unpublished one would otherwise stay).

A merged demand counts from its own merge, not from the end of the case it joined: from the merge on,
nothing uses its contact (notify writes only to the surviving demand's contact; staff never see one),
so keeping it until the survivor is finished would keep it for no purpose.

The state is the demands themselves (``status``, ``status_at``), claimed ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so the sweep survives restarts, several workers share it, and each contact is erased once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, or_, select, update

from services.intake.config import Settings
from services.intake.models import grievances, outbox
from shared import clock, metrics

log = logging.getLogger(__name__)
FINAL = ("closed", "rejected", "merged")  # routing's final statuses (services/routing/lifecycle.py)
BATCH = 100
EVERY_SECONDS = 60.0

_g = grievances.c
_NAMED = or_(_g.contact_name.is_not(None), _g.contact_phone.is_not(None), _g.contact_email.is_not(None))
# The request's digest goes too: with the description at hand it would confirm a guessed contact.
_ERASE = update(grievances).values(
    contact_name=None, contact_phone=None, contact_email=None, request_hash=None
)


def erase_expired(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Erase the contacts of one batch of demands final for longer than the retention; how many."""
    cutoff = (now or clock.now()) - timedelta(days=settings.contact_retention_days)
    with engine.begin() as conn:
        ids = list(
            conn.execute(
                select(_g.id)
                .where(_g.status.in_(FINAL), _g.status_at < cutoff, _NAMED)
                .order_by(_g.status_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if not ids:
            return 0
        conn.execute(_ERASE.where(_g.id.in_(ids)))
        conn.execute(
            delete(outbox).where(
                outbox.c.type == "grievance.contact_shared", outbox.c.correlation_id.in_(ids)
            )
        )
    metrics.CONTACTS_ERASED.labels(settings.service).inc(len(ids))
    log.info("contacts erased", extra={"count": len(ids)})  # a count only, never whose
    return len(ids)
