"""reports' event handlers: fold every event into one fact row per demand, whatever their order."""
from __future__ import annotations

from sqlalchemy import or_, update

from shared import events
from shared.db import insert_ignore, upsert
from shared.uow import Handler, Unit
from services.reports.models import enterprises, facts, notification_facts


def _ensure(uow: Unit, grievance_id: str) -> None:
    insert_ignore(uow.conn, facts, {"grievance_id": grievance_id})


def _set_status(uow: Unit, grievance_id: str, status: str, at) -> None:
    """The status follows the latest change, so an event that arrives late does not roll it back."""
    uow.conn.execute(update(facts).where(
        facts.c.grievance_id == grievance_id, or_(facts.c.status_at.is_(None), facts.c.status_at <= at))
        .values(status=status, status_at=at))


def grievance_submitted(uow: Unit, envelope: events.Envelope, g: events.GrievanceSubmitted) -> None:
    _ensure(uow, g.grievance_id)
    uow.conn.execute(update(facts).where(facts.c.grievance_id == g.grievance_id).values(
        enterprise_code=g.enterprise_code, category=g.category, channel=g.channel, urgency=g.urgency,
        anonymous=g.anonymous, about_chair=g.about_chair, submitted_at=g.submitted_at))
    _set_status(uow, g.grievance_id, "registered", g.submitted_at)


def case_assigned(uow: Unit, envelope: events.Envelope, e: events.CaseAssigned) -> None:
    at = e.assigned_at or envelope.occurred_at
    _ensure(uow, e.grievance_id)
    uow.conn.execute(update(facts).where(facts.c.grievance_id == e.grievance_id).values(
        case_id=e.case_id, assignee_role=e.assignee.role, assigned_at=at, accept_due=e.accept_due,
        resolve_due=e.resolve_due))
    _set_status(uow, e.grievance_id, "assigned", at)


def case_status_changed(uow: Unit, envelope: events.Envelope, e: events.CaseStatusChanged) -> None:
    _ensure(uow, e.grievance_id)
    _set_status(uow, e.grievance_id, e.to, e.at)


def supervision_raised(uow: Unit, envelope: events.Envelope, e: events.CaseSupervisionRaised) -> None:
    """Supervision never silently falls: keep the highest level seen."""
    _ensure(uow, e.grievance_id)
    uow.conn.execute(update(facts).where(facts.c.grievance_id == e.grievance_id,
                                         facts.c.supervision_level < e.level)
                     .values(supervision_level=e.level))


def notification_outcome(uow: Unit, envelope: events.Envelope, n: events.NotificationOutcome) -> None:
    upsert(uow.conn, notification_facts, {
        "notification_id": n.notification_id, "grievance_id": n.grievance_id, "case_id": n.case_id,
        "channel": n.channel, "kind": n.kind, "outcome": envelope.type.split(".")[1],
        "attempt": n.attempt, "at": envelope.occurred_at}, keys=["notification_id"])


def enterprise_updated(uow: Unit, envelope: events.Envelope, e: events.EnterpriseUpdated) -> None:
    upsert(uow.conn, enterprises, {"code": e.code, "name": e.name, "county_code": e.county_code,
                                   "county_name": e.county_name}, keys=["code"])


HANDLERS: dict[str, Handler] = {
    "grievance.submitted": grievance_submitted,
    "case.assigned": case_assigned,
    "case.status_changed": case_status_changed,
    "case.supervision_raised": supervision_raised,
    "notification.sent": notification_outcome,
    "notification.failed": notification_outcome,
    "enterprise.updated": enterprise_updated,
}
