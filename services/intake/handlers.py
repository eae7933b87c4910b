"""intake's event handlers: keep its enterprise copy and each demand's public timeline current."""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select, update

from services.intake.models import enterprises, grievances, revocations, timeline
from shared import auth, clock, events
from shared.db import upsert
from shared.uow import Handler, Unit


def enterprise_updated(uow: Unit, envelope: events.Envelope, e: events.EnterpriseUpdated) -> None:
    upsert(
        uow.conn,
        enterprises,
        {
            "code": e.code,
            "name": e.name,
            "county_code": e.county_code,
            "county_name": e.county_name,
            "active": e.active,
            "updated_at": clock.now(),
        },
        keys=["code"],
    )


def case_assigned(uow: Unit, envelope: events.Envelope, e: events.CaseAssigned) -> None:
    if e.reassigned:
        return  # passed on between staff: the worker's timeline does not change
    _move(uow, e.grievance_id, "assigned", e.assigned_at or envelope.occurred_at, None)


def case_status_changed(uow: Unit, envelope: events.Envelope, e: events.CaseStatusChanged) -> None:
    _move(uow, e.grievance_id, e.to, e.at, e.public_note)
    if e.to == "resolved":
        uow.conn.execute(_RESOLVED, {"gid": e.grievance_id, "at": e.at})
    elif e.to == "merged" and e.merged_into_grievance_id:
        uow.conn.execute(
            update(grievances)
            .where(grievances.c.id == e.grievance_id)
            .values(follows_id=e.merged_into_grievance_id)
        )


def supervision_raised(uow: Unit, envelope: events.Envelope, e: events.CaseSupervisionRaised) -> None:
    at = e.at or envelope.occurred_at
    if _event(uow, e.grievance_id, "supervised", at, None, e.level):
        uow.conn.execute(
            update(grievances)
            .where(grievances.c.id == e.grievance_id, grievances.c.supervision_level < e.level)
            .values(supervision_level=e.level)
        )


def clock_paused(uow: Unit, envelope: events.Envelope, e: events.CaseClockPaused) -> None:
    if _event(uow, e.grievance_id, "paused", e.at, e.reason):
        uow.conn.execute(
            update(grievances)
            .where(grievances.c.id == e.grievance_id)
            .values(paused_at=e.at, pause_reason=e.reason)
        )


def clock_resumed(uow: Unit, envelope: events.Envelope, e: events.CaseClockResumed) -> None:
    if _event(uow, e.grievance_id, "resumed", e.at, None):
        uow.conn.execute(
            update(grievances)
            .where(grievances.c.id == e.grievance_id, grievances.c.paused_at <= e.at)
            .values(paused_at=None, pause_reason=None)
        )


def _event(uow: Unit, grievance_id: str, event: str, at, note: str | None, level: int | None = None) -> bool:
    """A timeline step that moves no status; False when the demand is unknown here."""
    status = uow.conn.execute(select(grievances.c.status).where(grievances.c.id == grievance_id)).scalar()
    if status is None:
        return False
    uow.conn.execute(
        timeline.insert(),
        {
            "grievance_id": grievance_id,
            "status": status,
            "at": at,
            "public_note": note,
            "event": event,
            "level": level,
        },
    )
    return True


# Built once, executed with parameters (see shared.db).
_STEP = timeline.insert()
_ADVANCE = (
    update(grievances)
    .where(grievances.c.id == bindparam("gid"), grievances.c.status_at <= bindparam("new_at"))
    .values(status=bindparam("new_status"), status_at=bindparam("new_at"))
)
_RESOLVED = (
    update(grievances)
    .where(
        grievances.c.id == bindparam("gid"),
        or_(grievances.c.resolved_at.is_(None), grievances.c.resolved_at < bindparam("at")),
    )
    .values(resolved_at=bindparam("at"))
)


def _move(uow: Unit, grievance_id: str, status: str, at, public_note: str | None) -> None:
    """Add the step to the timeline; the current status follows the latest step, whatever the order."""
    uow.conn.execute(
        _STEP, {"grievance_id": grievance_id, "status": status, "at": at, "public_note": public_note}
    )
    uow.conn.execute(_ADVANCE, {"gid": grievance_id, "new_status": status, "new_at": at})


def staff_revoked(uow: Unit, envelope: events.Envelope, r: events.StaffRevoked) -> None:
    auth.record_revocation(uow.conn, revocations, r.staff_id, r.revoked_at)


HANDLERS: dict[str, Handler] = {
    "staff.revoked": staff_revoked,
    "enterprise.updated": enterprise_updated,
    "case.assigned": case_assigned,
    "case.status_changed": case_status_changed,
    "case.supervision_raised": supervision_raised,
    "case.clock_paused": clock_paused,
    "case.clock_resumed": clock_resumed,
}
