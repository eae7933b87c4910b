"""routing's event handlers: a submitted demand becomes a case, routed and given its due dates."""

from __future__ import annotations

import logging
import uuid

from services.routing import actions, calendar, deadlines, policy, rules, timers
from services.routing.models import cases, history
from shared import clock, events
from shared.db import insert_ignore
from shared.uow import Handler, Unit

log = logging.getLogger(__name__)


def grievance_submitted(uow: Unit, envelope: events.Envelope, g: events.GrievanceSubmitted) -> None:
    assignee, county = rules.route(rules.snapshot(uow.conn), g.enterprise_code, g.about_chair)
    now, case_id = clock.now(), str(uuid.uuid4())
    version, current = policy.current(uow.conn)
    terms = current.terms(g.category, g.urgency)
    due = deadlines.due_dates(now, g.category, g.urgency, calendar.current(uow.conn), terms)
    accept_due, resolve_due = due.accept_due, due.resolve_due
    if not insert_ignore(
        uow.conn,
        cases,
        dict(
            id=case_id,
            grievance_id=g.grievance_id,
            enterprise_code=g.enterprise_code,
            county_code=county,
            category=g.category,
            urgency=g.urgency,
            channel=g.channel,
            anonymous=g.anonymous,
            about_chair=g.about_chair,
            description=g.description,
            workshop=g.workshop,
            status="assigned",
            assignee_id=assignee.id,
            assignee_role=assignee.role,
            assignee_org=assignee.org_code,
            supervision_level=0,
            accept_due=accept_due,
            resolve_due=resolve_due,
            deadlines_provisional=due.provisional,
            terms=terms.model_dump(mode="json"),
            policy_version=version,
            submitted_at=g.submitted_at,
            created_at=now,
            updated_at=now,
        ),
    ):
        return  # the same demand under another event id: one case per demand
    uow.conn.execute(
        history.insert(),
        [
            {
                "case_id": case_id,
                "at": g.submitted_at,
                "actor_role": "system",
                "from_status": None,
                "to_status": "registered",
            },
            {
                "case_id": case_id,
                "at": now,
                "actor_role": "system",
                "from_status": "registered",
                "to_status": "assigned",
                "internal_note": f"routed to {assignee.role} {assignee.org_code}",
            },
        ],
    )
    timers.set_deadline(uow, case_id, "accept", now, accept_due, terms)
    timers.set_deadline(uow, case_id, "resolve", now, resolve_due, terms)
    uow.emit(
        "case.assigned",
        events.CaseAssigned(
            case_id=case_id,
            grievance_id=g.grievance_id,
            assignee=assignee,
            level=0,
            accept_due=accept_due,
            resolve_due=resolve_due,
            enterprise_code=g.enterprise_code,
            county_code=county,
            category=g.category,
            urgency=g.urgency,
            assigned_at=now,
            about_chair=g.about_chair,
        ),
        correlation_id=g.grievance_id,
    )


def feedback_given(uow: Unit, envelope: events.Envelope, f: events.GrievanceFeedbackGiven) -> None:
    if not actions.feedback(uow, f):
        log.info("feedback for a case not waiting for one; nothing changed")


HANDLERS: dict[str, Handler] = {
    "grievance.submitted": grievance_submitted,
    "grievance.feedback_given": feedback_given,
}
