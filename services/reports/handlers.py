"""reports' event handlers: fold every event into one fact row per demand, whatever their order."""

from __future__ import annotations

import functools

from sqlalchemy import case, or_, update

from services.reports import steps
from services.reports.models import companion_days, enterprises, facts, notification_facts, revocations
from shared import auth, events
from shared.db import insert_for, upsert
from shared.uow import Handler, Unit


def _fold(
    uow: Unit,
    grievance_id: str,
    columns: dict | None = None,
    status: str | None = None,
    at=None,
    level: int | None = None,
) -> None:
    """Fold one event into the demand's fact row in one statement, whatever order events come in:
    the status follows the latest change, and the supervision level never falls."""
    values = {"grievance_id": grievance_id, **(columns or {})}
    if status is not None:
        values.update(status=status, status_at=at)
    if level is not None:
        values["supervision_level"] = level
    stmt = _folding(uow.conn.dialect.name, tuple(columns or ()), status is not None, level is not None)
    uow.conn.execute(stmt, values)


@functools.cache
def _folding(dialect: str, columns: tuple, with_status: bool, with_level: bool):
    """The upsert for one shape of event, built once (then executed with parameters)."""
    stmt = insert_for(dialect, facts)
    new = stmt.excluded
    changes = {c: new[c] for c in columns}
    if with_status:
        newer = or_(facts.c.status_at.is_(None), facts.c.status_at <= new.status_at)
        changes["status"] = case((newer, new.status), else_=facts.c.status)
        changes["status_at"] = case((newer, new.status_at), else_=facts.c.status_at)
    if with_level:
        changes["supervision_level"] = case(
            (facts.c.supervision_level < new.supervision_level, new.supervision_level),
            else_=facts.c.supervision_level,
        )
    return stmt.on_conflict_do_update(index_elements=["grievance_id"], set_=changes)


def grievance_submitted(uow: Unit, envelope: events.Envelope, g: events.GrievanceSubmitted) -> None:
    _fold(
        uow,
        g.grievance_id,
        dict(
            enterprise_code=g.enterprise_code,
            category=g.category,
            channel=g.channel,
            urgency=g.urgency,
            anonymous=g.anonymous,
            about_chair=g.about_chair,
            submitted_at=g.submitted_at,
        ),
        status="registered",
        at=g.submitted_at,
    )


def case_assigned(uow: Unit, envelope: events.Envelope, e: events.CaseAssigned) -> None:
    who = dict(case_id=e.case_id, assignee_role=e.assignee.role, assignee_org=e.assignee.org_code)
    at = e.assigned_at or envelope.occurred_at
    holder = dict(case_id=e.case_id, role=e.assignee.role, org=e.assignee.org_code)
    if e.reassigned:  # passed on: the status and the dates stay; the latest holder in time counts
        _fold(uow, e.grievance_id, who)
        steps.record(uow, envelope.id, e.grievance_id, "assigned", at, reassigned=True, **holder)
        return
    _fold(
        uow,
        e.grievance_id,
        dict(who, assigned_at=at, accept_due=e.accept_due, resolve_due=e.resolve_due),
        status="assigned",
        at=at,
    )
    steps.record(
        uow,
        envelope.id,
        e.grievance_id,
        "assigned",
        at,
        accept_due=e.accept_due,
        resolve_due=e.resolve_due,
        **holder,
    )


# The time a status change also records, besides the status itself.
_MOMENTS = {"accepted": "accepted_at", "resolved": "resolved_at"}


def case_status_changed(uow: Unit, envelope: events.Envelope, e: events.CaseStatusChanged) -> None:
    moment = _MOMENTS.get(e.to)
    _fold(uow, e.grievance_id, {moment: e.at} if moment else None, status=e.to, at=e.at)
    steps.record(uow, envelope.id, e.grievance_id, "status", e.at, to=e.to)


def deadline_extended(uow: Unit, envelope: events.Envelope, e: events.CaseDeadlineExtended) -> None:
    _fold(uow, e.grievance_id, dict(resolve_due=e.resolve_due))
    steps.record(uow, envelope.id, e.grievance_id, "deadlines", e.at, resolve_due=e.resolve_due)


def deadlines_changed(uow: Unit, envelope: events.Envelope, e: events.CaseDeadlinesChanged) -> None:
    _fold(uow, e.grievance_id, dict(accept_due=e.accept_due, resolve_due=e.resolve_due))
    steps.record(
        uow,
        envelope.id,
        e.grievance_id,
        "deadlines",
        e.at,
        accept_due=e.accept_due,
        resolve_due=e.resolve_due,
    )


def feedback_given(uow: Unit, envelope: events.Envelope, f: events.GrievanceFeedbackGiven) -> None:
    _fold(uow, f.grievance_id, dict(satisfied=f.satisfied, rating=f.rating))  # never the comment
    steps.record(
        uow,
        envelope.id,
        f.grievance_id,
        "feedback",
        envelope.occurred_at,
        satisfied=f.satisfied,
        rating=f.rating,
    )


def supervision_raised(uow: Unit, envelope: events.Envelope, e: events.CaseSupervisionRaised) -> None:
    _fold(uow, e.grievance_id, level=e.level)


def clock_paused(uow: Unit, envelope: events.Envelope, e: events.CaseClockPaused) -> None:
    _fold(uow, e.grievance_id, dict(paused_at=e.at))
    steps.record(uow, envelope.id, e.grievance_id, "paused", e.at)


def clock_resumed(uow: Unit, envelope: events.Envelope, e: events.CaseClockResumed) -> None:
    """The due date moved by the pause (so on-time figures do not count it); the paused time is added
    up for the days to resolve. The inbox makes each event count once."""
    _fold(uow, e.grievance_id, dict(paused_at=None, resolve_due=e.resolve_due))
    uow.conn.execute(
        update(facts)
        .where(facts.c.grievance_id == e.grievance_id)
        .values(paused_seconds=facts.c.paused_seconds + e.paused_seconds)
    )
    steps.record(
        uow,
        envelope.id,
        e.grievance_id,
        "deadlines",
        e.at,
        resolve_due=e.resolve_due,
        paused_seconds=e.paused_seconds,
    )


def notification_outcome(uow: Unit, envelope: events.Envelope, n: events.NotificationOutcome) -> None:
    upsert(
        uow.conn,
        notification_facts,
        {
            "notification_id": n.notification_id,
            "grievance_id": n.grievance_id,
            "case_id": n.case_id,
            "channel": n.channel,
            "kind": n.kind,
            "outcome": envelope.type.split(".")[1],
            "attempt": n.attempt,
            "at": envelope.occurred_at,
        },
        keys=["notification_id"],
    )


def enterprise_updated(uow: Unit, envelope: events.Envelope, e: events.EnterpriseUpdated) -> None:
    upsert(
        uow.conn,
        enterprises,
        {"code": e.code, "name": e.name, "county_code": e.county_code, "county_name": e.county_name},
        keys=["code"],
    )


def companion_day_decided(uow: Unit, envelope: events.Envelope, e: events.CompanionDayDecided) -> None:
    upsert(
        uow.conn,
        companion_days,
        {"enterprise_code": e.enterprise_code, "day": e.day, "outcome": e.outcome},
        keys=["enterprise_code", "day"],
    )


def staff_revoked(uow: Unit, envelope: events.Envelope, r: events.StaffRevoked) -> None:
    auth.record_revocation(uow.conn, revocations, r.staff_id, r.revoked_at)


HANDLERS: dict[str, Handler] = {
    "grievance.submitted": grievance_submitted,
    "case.assigned": case_assigned,
    "case.status_changed": case_status_changed,
    "case.supervision_raised": supervision_raised,
    "case.deadline_extended": deadline_extended,
    "case.deadlines_changed": deadlines_changed,
    "case.clock_paused": clock_paused,
    "case.clock_resumed": clock_resumed,
    "grievance.feedback_given": feedback_given,
    "notification.sent": notification_outcome,
    "notification.failed": notification_outcome,
    "enterprise.updated": enterprise_updated,
    "staff.revoked": staff_revoked,
    "companion_day.decided": companion_day_decided,
}
