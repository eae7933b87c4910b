"""Due dates on the Chinese working calendar (with its adjusted working days).

Acceptance is due by the end of the 2nd working day after assignment (the 1st for urgent and
safety/health demands); resolution by the end of the 15th calendar day. Days are counted in
China Standard Time. Beyond the years the ``chinesecalendar`` data covers, Saturdays and
Sundays are the days off.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar

from shared import clock

RESOLVE_DAYS = 15


def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    day = start
    while n > 0:
        day += timedelta(days=1)
        if is_workday(day):
            n -= 1
    return day


def accept_due(assigned_at: datetime, category: str, urgency: str) -> datetime:
    days = 1 if urgency == "urgent" or category == "safety_health" else 2
    return clock.day_end(add_working_days(clock.local(assigned_at).date(), days))


def resolve_due(assigned_at: datetime) -> datetime:
    return clock.day_end(clock.local(assigned_at).date() + timedelta(days=RESOLVE_DAYS))
