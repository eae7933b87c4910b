"""The companion days of an enterprise (DESIGN §1): once a week, on its weekday, on the working
calendar, one a week at most. A day off moves the day to the next working day of its week (else the
last one before it), and says why; a week with no working day has none. A day is then ``scheduled`` (to come), ``open`` (today, or past and still within the next
working day to record its visit), ``held`` (a visit is recorded), ``cancelled`` (called off
beforehand, with a reason: not a miss) or ``missed``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from services.companion.models import calendar_days, calendar_years, cancellations, visits
from shared import workcal
from shared.db import PerEngine
from shared.workcal import Calendar

WEEKDAYS = range(5)  # Monday … Friday: a companion day is a working day


@dataclass(frozen=True)
class CompanionDay:
    day: date  # when it is held
    planned: date  # the weekday of its week
    moved_because: str | None = None  # the day off that moved it (国庆节, 春节 …)


def companion_days(
    weekday: int, starts_on: date, first: date, last: date, cal: Calendar
) -> list[CompanionDay]:
    """The companion days from ``first`` to ``last`` (both included) of a schedule on ``weekday``: one
    a week at most. When the weekday is a day off, the day moves to the next working day of its week,
    else to the last one before it; a week with no working day has none."""
    found: list[CompanionDay] = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        planned = monday + timedelta(days=weekday)
        week = [monday + timedelta(days=i) for i in range(7)]
        monday += timedelta(days=7)
        if planned < starts_on:
            continue
        later = [d for d in week if d >= planned and cal.is_workday(d)]
        earlier = [d for d in week if starts_on <= d < planned and cal.is_workday(d)]
        day = later[0] if later else (earlier[-1] if earlier else None)
        if day is None:
            continue
        why = None if day == planned else (cal.name(planned) or "休息日")
        found.append(CompanionDay(day, planned, why))
    return [d for d in found if first <= d.day <= last]


def is_companion_day(weekday: int, starts_on: date, day: date, cal: Calendar) -> CompanionDay | None:
    return next(iter(companion_days(weekday, starts_on, day, day, cal)), None)


def status(day: date, held: bool, cancelled: bool, today: date, cal: Calendar) -> str:
    """What became of a companion day, as of ``today``."""
    if held:
        return "held"
    if cancelled:
        return "cancelled"
    if day > today:
        return "scheduled"
    last_chance = cal.add_working_days(day, 1)[0]  # the visit may be recorded until the next working day
    return "open" if today <= last_chance else "missed"


def with_status(
    conn, enterprise: str, days: Iterable[CompanionDay], today: date, cal: Calendar
) -> list[dict]:
    days = list(days)
    if not days:
        return []
    span = (visits.c.day >= days[0].day, visits.c.day <= days[-1].day)
    held = {
        r.day: r.id
        for r in conn.execute(
            select(visits.c.day, visits.c.id).where(visits.c.enterprise_code == enterprise, *span)
        )
    }
    called_off = {
        r.day: r.reason
        for r in conn.execute(
            select(cancellations.c.day, cancellations.c.reason).where(
                cancellations.c.enterprise_code == enterprise,
                cancellations.c.day >= days[0].day,
                cancellations.c.day <= days[-1].day,
            )
        )
    }
    return [
        {
            "day": d.day,
            "planned": d.planned,
            "moved_because": d.moved_because,
            "status": status(d.day, d.day in held, d.day in called_off, today, cal),
            "visit_id": held.get(d.day),
            "cancel_reason": called_off.get(d.day),
        }
        for d in days
    ]


# -- companion's copy of the working calendar --------------------------------------------------------
def load_calendar(conn) -> Calendar:
    return workcal.load(conn, calendar_days, calendar_years)


_calendar = PerEngine(load_calendar, 30.0)


def calendar(conn) -> Calendar:
    return _calendar.get(conn)


def forget_calendar(engine) -> None:
    _calendar.forget(engine)
