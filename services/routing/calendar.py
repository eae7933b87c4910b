"""The working calendar (工作日历): which days are working days, and how far that is known.

The official schedule of each year (the State Council's notice: days off and the adjusted working
days, 调休) is data, loaded by ``python -m services calendar import FILE`` into routing's database;
it wins over the ``chinesecalendar`` package, which knows 2004–2026. Past what either knows, a day
is provisional: weekends and the statutory holidays the ``holidays`` package computes (Spring
Festival included) are days off, without the adjusted working days that only the notice gives; a
due date that counted such a day is marked provisional on its case.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete

from services.routing.models import calendar_days, calendar_years
from shared import clock, events, workcal
from shared.db import PerEngine
from shared.uow import Unit
from shared.workcal import PACKAGE_YEARS, Calendar

__all__ = ["PACKAGE_YEARS", "SHIPPED", "Calendar", "current", "load", "publish", "read", "store"]

SHIPPED = Path(__file__).parent / "calendars"  # the official schedules the project ships
TTL = 30.0


def load(conn) -> Calendar:
    return workcal.load(conn, calendar_days, calendar_years)


_loaded = PerEngine(load, TTL)


def current(conn) -> Calendar:
    """This process's copy of the calendar behind ``conn``, read again when older than ``TTL``."""
    return _loaded.get(conn)


def forget(engine) -> None:
    _loaded.forget(engine)


# -- a year's official schedule, as published ----------------------------------------------------------
class DaysOff(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(min_length=1, max_length=50)
    first: date = Field(alias="from")
    last: date = Field(alias="to")


class WorkingDay(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=50)
    day: date


class Schedule(BaseModel):
    """One year of the State Council's notice: its days off and its adjusted working days (调休)."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2099)
    source: str = Field(min_length=1, max_length=300)
    days_off: list[DaysOff]
    working_days: list[WorkingDay] = []

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        off = self.off()
        for span in self.days_off:
            if span.first > span.last:
                raise ValueError(f"{span.name}: 'from' {span.first} is after 'to' {span.last}")
        for d in [*off, *(w.day for w in self.working_days)]:
            if d.year != self.year:
                raise ValueError(f"{d} is not in {self.year}")
        for w in self.working_days:
            if w.day in off:
                raise ValueError(f"{w.day} is both a day off and a working day")
            if w.day.weekday() < 5:
                raise ValueError(
                    f"{w.day} ({w.name}) is a weekday: only a weekend day can be made a working day"
                )
        return self

    def off(self) -> dict[date, str]:
        return {
            span.first + timedelta(days=i): span.name
            for span in self.days_off
            for i in range((span.last - span.first).days + 1)
        }

    def differences(self) -> dict[date, tuple[bool, str]]:
        """The days that differ from a plain week: day → (a working day?, why)."""
        days = {d: (False, name) for d, name in self.off().items() if d.weekday() < 5}
        days |= {w.day: (True, w.name) for w in self.working_days}
        return days


def read(path: Path) -> Schedule:
    return Schedule.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def store(conn, schedule: Schedule) -> None:
    """Make ``schedule`` the year's calendar (a year loaded again is replaced)."""
    start, end = date(schedule.year, 1, 1), date(schedule.year, 12, 31)
    conn.execute(delete(calendar_days).where(calendar_days.c.day >= start, calendar_days.c.day <= end))
    rows = [{"day": d, "workday": w, "name": n} for d, (w, n) in sorted(schedule.differences().items())]
    if rows:
        conn.execute(calendar_days.insert(), rows)
    conn.execute(delete(calendar_years).where(calendar_years.c.year == schedule.year))
    conn.execute(
        calendar_years.insert(), {"year": schedule.year, "source": schedule.source, "loaded_at": clock.now()}
    )
    forget(conn.engine)


def publish(uow: Unit, schedule: Schedule) -> None:
    """Tell the other services that count working days (companion) the year's schedule."""
    uow.emit(
        "calendar.year_loaded",
        events.CalendarYearLoaded(
            year=schedule.year,
            source=schedule.source,
            days=tuple(
                events.CalendarDay(day=d, workday=w, name=n)
                for d, (w, n) in sorted(schedule.differences().items())
            ),
        ),
        correlation_id=None,
    )
