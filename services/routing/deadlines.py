"""Due dates on the working calendar (services/routing/calendar.py, with its adjusted working days),
by the terms of the deadline policy (services/routing/policy.py).

By the shipped policy, acceptance is due by the end of the 2nd working day after assignment (the
1st for urgent and safety/health demands); resolution by the end of the 15th calendar day. Days
are counted in China Standard Time. A due date that counted a day past the official schedules
known is provisional.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from services.routing import policy, timers
from services.routing.calendar import Calendar
from services.routing.lifecycle import OPEN
from services.routing.models import cases
from services.routing.policy import Terms
from services.routing.steps import Step
from shared import clock, events
from shared.uow import Unit
from shared.workcal import PACKAGE_ONLY  # no schedule loaded: the package's years


@dataclass(frozen=True)
class Deadlines:
    accept_due: datetime
    resolve_due: datetime
    provisional: bool  # a day counted lies past the known calendar


def due_dates(
    assigned_at: datetime,
    category: str,
    urgency: str,
    calendar: Calendar = PACKAGE_ONLY,
    terms: Terms | None = None,
) -> Deadlines:
    """The deadlines of a demand assigned at ``assigned_at``, by ``terms`` (the shipped policy's for
    its category and urgency by default)."""
    terms = terms or shipped_terms(category, urgency)
    accept, provisional = terms.accept.due(assigned_at, calendar)
    resolve, resolve_provisional = terms.resolve.due(assigned_at, calendar)
    return Deadlines(accept, resolve, provisional or resolve_provisional)


def shipped_terms(category: str, urgency: str) -> Terms:
    return _shipped().terms(category, urgency)


@functools.cache
def _shipped() -> policy.Policy:
    return policy.read(policy.SHIPPED)


def add_working_days(start: date, n: int, calendar: Calendar = PACKAGE_ONLY) -> date:
    return calendar.add_working_days(start, n)[0]


def accept_due(
    assigned_at: datetime, category: str, urgency: str, calendar: Calendar = PACKAGE_ONLY
) -> datetime:
    return due_dates(assigned_at, category, urgency, calendar).accept_due


def resolve_due(assigned_at: datetime, category: str = "other", urgency: str = "normal") -> datetime:
    return shipped_terms(category, urgency).resolve.due(assigned_at, PACKAGE_ONLY)[0]


def recompute_provisional(uow: Unit, cal: Calendar) -> int:
    """Compute again the due dates of open cases that were provisional, on ``cal`` (a year's schedule
    was loaded): each changed case is a step of its history and a ``case.deadlines_changed``. How
    many changed."""
    rows = uow.conn.execute(
        select(cases).where(cases.c.deadlines_provisional, cases.c.status.in_(OPEN)).with_for_update()
    ).all()
    changed = 0
    for row in rows:
        due = due_dates(row.created_at, row.category, row.urgency, cal, timers.terms_of(uow.conn, row))
        step = Step(row, "recompute_deadlines", row.status, None, "system", clock.now())
        step.changes = {"accept_due": due.accept_due, "deadlines_provisional": due.provisional}
        if due.accept_due != row.accept_due:
            step.internal_note = (
                f"accept due {clock.for_people(row.accept_due)} → {clock.for_people(due.accept_due)}"
            )
            step.events.append(
                (
                    "case.deadlines_changed",
                    events.CaseDeadlinesChanged(
                        case_id=row.id,
                        grievance_id=row.grievance_id,
                        accept_due=due.accept_due,
                        resolve_due=row.resolve_due,
                        provisional=due.provisional,
                        at=step.at,
                    ),
                )
            )
            if row.status == "assigned":
                terms = timers.terms_of(uow.conn, row)
                timers.set_deadline(uow, row.id, "accept", row.created_at, due.accept_due, terms)
            changed += 1
        step.write(uow)  # the row is locked: the step applies
    return changed
