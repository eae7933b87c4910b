"""Due dates on the working calendar (services/routing/calendar.py, with its adjusted working days).

Acceptance is due by the end of the 2nd working day after assignment (the 1st for urgent and
safety/health demands); resolution by the end of the 15th calendar day. Days are counted in
China Standard Time. A due date that counted a day past the official schedules known is
provisional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.routing.calendar import Calendar
from shared import clock

RESOLVE_DAYS = 15
PACKAGE_ONLY = Calendar({}, frozenset())  # no schedule loaded: the chinesecalendar package's years


@dataclass(frozen=True)
class Deadlines:
    accept_due: datetime
    resolve_due: datetime
    provisional: bool  # a day counted lies past the known calendar


def due_dates(
    assigned_at: datetime, category: str, urgency: str, calendar: Calendar = PACKAGE_ONLY
) -> Deadlines:
    """The deadlines of a demand assigned at ``assigned_at``."""
    days = 1 if urgency == "urgent" or category == "safety_health" else 2
    accept_day, provisional = calendar.add_working_days(clock.local(assigned_at).date(), days)
    return Deadlines(clock.day_end(accept_day), resolve_due(assigned_at), provisional)


def add_working_days(start: date, n: int, calendar: Calendar = PACKAGE_ONLY) -> date:
    return calendar.add_working_days(start, n)[0]


def accept_due(
    assigned_at: datetime, category: str, urgency: str, calendar: Calendar = PACKAGE_ONLY
) -> datetime:
    return due_dates(assigned_at, category, urgency, calendar).accept_due


def resolve_due(assigned_at: datetime) -> datetime:
    return clock.day_end(clock.local(assigned_at).date() + timedelta(days=RESOLVE_DAYS))
