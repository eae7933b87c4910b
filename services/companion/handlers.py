"""companion's event handlers: its copies of the directory and of the working calendar, and the
staff whose tokens were revoked."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, delete, update

from services.companion import days
from services.companion.models import calendar_days, calendar_years, demands, enterprises, revocations
from shared import auth, clock, events
from shared.db import insert_ignore, upsert
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
            "chair_id": e.chair_id,
            "county_officers": [o.model_dump(mode="json") for o in e.county_officers],
            "updated_at": clock.now(),
        },
        keys=["code"],
    )


def calendar_year_loaded(uow: Unit, envelope: events.Envelope, c: events.CalendarYearLoaded) -> None:
    """The year's official schedule replaces what companion knew of that year."""
    first, last = date(c.year, 1, 1), date(c.year, 12, 31)
    uow.conn.execute(delete(calendar_days).where(calendar_days.c.day >= first, calendar_days.c.day <= last))
    if c.days:
        uow.conn.execute(
            calendar_days.insert(), [{"day": d.day, "workday": d.workday, "name": d.name} for d in c.days]
        )
    upsert(uow.conn, calendar_years, {"year": c.year, "source": c.source}, keys=["year"])
    days.forget_calendar(uow.conn.engine)


def grievance_submitted(uow: Unit, envelope: events.Envelope, g: events.GrievanceSubmitted) -> None:
    """A demand heard at a visit, forum or survey: linked to its source (others are not companion's)."""
    if g.source is None:
        return
    insert_ignore(
        uow.conn,
        demands,
        {
            "grievance_id": g.grievance_id,
            "source_kind": g.source.kind,
            "source_id": g.source.id,
            "item": g.source.item,
            "tracking_code": g.tracking_code,
            "about_chair": g.about_chair,
            "status": "registered",
            "status_at": g.submitted_at,
            "public_note": None,
        },
    )


# The status follows the latest step, whatever order the events come in (a step about a demand not
# heard in the programme changes no row).
_ADVANCE = (
    update(demands)
    .where(demands.c.grievance_id == bindparam("gid"), demands.c.status_at <= bindparam("at"))
    .values(status=bindparam("new_status"), status_at=bindparam("at"), public_note=bindparam("note"))
)


def case_assigned(uow: Unit, envelope: events.Envelope, e: events.CaseAssigned) -> None:
    if not e.reassigned:
        at = e.assigned_at or envelope.occurred_at
        uow.conn.execute(_ADVANCE, {"gid": e.grievance_id, "at": at, "new_status": "assigned", "note": None})


def case_status_changed(uow: Unit, envelope: events.Envelope, e: events.CaseStatusChanged) -> None:
    uow.conn.execute(_ADVANCE, {"gid": e.grievance_id, "at": e.at, "new_status": e.to, "note": e.public_note})


def staff_revoked(uow: Unit, envelope: events.Envelope, r: events.StaffRevoked) -> None:
    auth.record_revocation(uow.conn, revocations, r.staff_id, r.revoked_at)


HANDLERS: dict[str, Handler] = {
    "enterprise.updated": enterprise_updated,
    "calendar.year_loaded": calendar_year_loaded,
    "staff.revoked": staff_revoked,
    "grievance.submitted": grievance_submitted,
    "case.assigned": case_assigned,
    "case.status_changed": case_status_changed,
}
