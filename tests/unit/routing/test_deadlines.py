"""Due dates on the Chinese working calendar, in China Standard Time (DESIGN §2).

Holidays and adjusted working days are found with the chinese_calendar package itself, so the
tests follow its data rather than a copy of it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest

from services.routing import deadlines
from shared.clock import CST

YEAR = 2026
BEYOND_DATA = date(2027, 3, 5)  # a Friday


def days_of(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def adjusted_working_saturday(year: int) -> date:
    """A Saturday the State Council made a working day (调休上班)."""
    return next(d for d in days_of(year) if d.weekday() == 5 and chinese_calendar.is_workday(d))


def national_day_holiday(year: int) -> list[date]:
    return [
        d
        for d in days_of(year)
        if chinese_calendar.get_holiday_detail(d) == (True, chinese_calendar.Holiday.national_day.value)
    ]


def ordinary_week(year: int) -> date:
    """The Monday of a week whose weekdays are all working days and whose weekends are all off."""
    for monday in (d for d in days_of(year) if d.weekday() == 0):
        week = [monday + timedelta(days=i) for i in range(-2, 7)]
        if all(chinese_calendar.is_workday(d) == (d.weekday() < 5) for d in week):
            return monday
    raise AssertionError(f"no ordinary week in {year}")


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), CST)


def at_cst(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), CST)


def test_add_working_days_skips_the_weekend():
    friday = ordinary_week(YEAR) - timedelta(days=3)
    assert deadlines.add_working_days(friday, 1) == friday + timedelta(days=3)
    assert deadlines.add_working_days(friday, 5) == friday + timedelta(days=7)


def test_add_working_days_skips_the_national_day_holiday():
    holiday = national_day_holiday(YEAR)
    assert len(holiday) >= 3
    before = holiday[0] - timedelta(days=1)
    first_back = next(
        d for d in (holiday[-1] + timedelta(days=i) for i in range(1, 10)) if chinese_calendar.is_workday(d)
    )
    assert deadlines.add_working_days(before, 1) == first_back


def test_add_working_days_counts_an_adjusted_working_saturday():
    saturday = adjusted_working_saturday(YEAR)
    assert deadlines.add_working_days(saturday - timedelta(days=1), 1) == saturday


@pytest.mark.parametrize(
    "category, urgency, working_days",
    [
        ("wages", "normal", 2),
        ("wages", "urgent", 1),
        ("safety_health", "normal", 1),
        ("safety_health", "urgent", 1),
    ],
)
def test_accept_is_due_at_the_end_of_the_working_day(category, urgency, working_days):
    monday = ordinary_week(YEAR)
    due = deadlines.accept_due(at_cst(monday), category, urgency)
    assert due == end_of_day(monday + timedelta(days=working_days))


def test_accept_due_from_a_friday_lands_after_the_weekend():
    friday = ordinary_week(YEAR) - timedelta(days=3)
    assert deadlines.accept_due(at_cst(friday), "wages", "normal") == end_of_day(friday + timedelta(days=4))


def test_accept_due_before_national_day_lands_after_the_holiday():
    holiday = national_day_holiday(YEAR)
    due = deadlines.accept_due(at_cst(holiday[0] - timedelta(days=1)), "wages", "normal")
    assert due.astimezone(CST).date() > holiday[-1]
    assert due == end_of_day(deadlines.add_working_days(holiday[0] - timedelta(days=1), 2))


def test_due_dates_are_given_in_utc():
    monday = ordinary_week(YEAR)
    assigned = at_cst(monday)
    for due in (deadlines.accept_due(assigned, "wages", "normal"), deadlines.resolve_due(assigned)):
        assert due.utcoffset() == timedelta(0)
        assert due.astimezone(CST).time() == time(23, 59, 59)


def test_resolve_is_due_at_the_end_of_the_15th_calendar_day():
    holiday = national_day_holiday(YEAR)
    for start in (ordinary_week(YEAR), holiday[0]):
        assert deadlines.resolve_due(at_cst(start)) == end_of_day(start + timedelta(days=15))


def test_beyond_the_calendar_data_only_weekends_are_days_off():
    with pytest.raises(NotImplementedError):  # the premise: the package has no data for this year
        chinese_calendar.is_workday(BEYOND_DATA)
    assert deadlines.add_working_days(BEYOND_DATA, 1) == BEYOND_DATA + timedelta(days=3)
    assert deadlines.accept_due(at_cst(BEYOND_DATA), "wages", "normal") == end_of_day(date(2027, 3, 9))


def test_late_evening_utc_counts_from_the_china_date():
    monday = ordinary_week(YEAR)
    sunday_evening_utc = datetime.combine(monday - timedelta(days=1), time(20, 0), UTC)
    assert sunday_evening_utc.astimezone(CST).date() == monday
    due = deadlines.accept_due(sunday_evening_utc, "wages", "normal")
    assert due == end_of_day(monday + timedelta(days=2))
    assert deadlines.resolve_due(sunday_evening_utc) == end_of_day(monday + timedelta(days=15))
