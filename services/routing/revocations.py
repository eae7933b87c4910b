"""Revoking a staff member's tokens: when the directory removes, disables or moves them, or their
password is reset. The moment is kept here (routing's own staff endpoints read it) and published as
``staff.revoked`` for every other service with staff endpoints (shared/auth.py)."""

from __future__ import annotations

from services.routing.models import revocations
from shared import auth, clock, events
from shared.uow import Unit


def revoke(uow: Unit, staff_id: str, reason: str) -> None:
    """Refuse every token of ``staff_id`` issued until now, here and in every service."""
    now = clock.now()
    auth.record_revocation(uow.conn, revocations, staff_id, now)
    uow.emit("staff.revoked", events.StaffRevoked(staff_id=staff_id, revoked_at=now, reason=reason), None)
