"""The working calendar (工作日历) as logic: which days are working days, and how far that is known.

The official schedule of each year (the State Council's notice: days off and the adjusted working
days, 调休) is data that routing loads (``python -m services calendar import FILE``) and publishes
as ``calendar.year_loaded``, so every service that counts working days (routing's due dates,
companion's days) holds the same; it wins over the ``chinesecalendar`` package, which knows
2004–2026. Past what either knows, a day is provisional: weekends and the statutory holidays the
``holidays`` package computes (Spring Festival included) are days off, without the adjusted working
days that only the notice gives.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
import holidays
from sqlalchemy import Boolean, Column, Connection, Date, Integer, MetaData, String, Table, select

PACKAGE_YEARS = (
    min(d.year for d in chinese_calendar.holidays),
    max(d.year for d in chinese_calendar.holidays),
)


@dataclass(frozen=True)
class Calendar:
    """A loaded schedule: ``days`` are the days its years make differ from a plain week."""

    days: Mapping[date, bool]  # day → a working day?
    years: frozenset[int]  # the years whose official schedule was loaded
    names: Mapping[date, str] | None = None  # why a day differs (春节, 国庆节 …), where known

    def knows(self, day: date) -> bool:
        return day.year in self.years or PACKAGE_YEARS[0] <= day.year <= PACKAGE_YEARS[1]

    def is_workday(self, day: date) -> bool:
        if day.year in self.years:
            return self.days.get(day, day.weekday() < 5)
        if self.knows(day):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5 and day not in _statutory(day.year)

    def name(self, day: date) -> str | None:
        """Why ``day`` is off (or an adjusted working day), where the calendar says."""
        if self.names and day in self.names:
            return self.names[day]
        if day.year not in self.years and self.knows(day):
            on_holiday, holiday = chinese_calendar.get_holiday_detail(day)
            return _CHINESE.get(holiday) if on_holiday and holiday else None
        found = _statutory(day.year).get(day) if not self.knows(day) else None
        return str(found) if found else None

    def known_until(self) -> date:
        """The last day of the last year known without a gap from the package's years on."""
        year = PACKAGE_YEARS[1]
        while year + 1 in self.years:
            year += 1
        return date(year, 12, 31)

    def add_working_days(self, start: date, n: int) -> tuple[date, bool]:
        """The ``n``-th working day after ``start``, and whether a day counted was provisional."""
        day, provisional = start, False
        while n > 0:
            day += timedelta(days=1)
            provisional |= not self.knows(day)
            if self.is_workday(day):
                n -= 1
        return day, provisional


_CHINESE = {h.value: h.chinese for h in chinese_calendar.Holiday}  # the package names its holidays in English


def calendar_tables(metadata: MetaData, *year_columns: Column[object]) -> tuple[Table, Table]:
    """Add a service's copy of the official schedules to its metadata: the days that differ from a
    plain week, and the years loaded (with ``year_columns`` of the service's own)."""
    days = Table(
        "calendar_days",
        metadata,
        Column("day", Date, primary_key=True),
        Column("workday", Boolean, nullable=False),
        Column("name", String(50), nullable=False),
    )
    years = Table(
        "calendar_years",
        metadata,
        Column("year", Integer, primary_key=True),
        Column("source", String(300), nullable=False),
        *year_columns,
    )
    return days, years


def load(conn: Connection, days: Table, years: Table) -> Calendar:
    """A service's copy of the official schedules: its ``days`` (day, workday, name) and ``years``."""
    known: frozenset[int] = frozenset(conn.execute(select(years.c.year)).scalars())
    rows = conn.execute(select(days.c.day, days.c.workday, days.c.name)).all()
    return Calendar({r.day: r.workday for r in rows}, known, {r.day: r.name for r in rows})


PACKAGE_ONLY = Calendar({}, frozenset())  # no schedule loaded: the chinesecalendar package's years


@functools.cache
def _statutory(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=year, language="zh_CN")
