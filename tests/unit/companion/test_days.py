"""companion's days (services/companion/days.py): once a week on the weekday, on the working calendar; a
day off moves the day to the next working day of its week (else the last one before it) and says why;
what became of each day; the calendar as routing's calendar.year_loaded delivers it."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from services.companion import days
from services.companion.models import calendar_days, calendar_years
from shared.workcal import PACKAGE_ONLY
from tests.support.companion import (
    CHAIR,
    now_is,
    put_schedule,
    record,
    shipped_2026,
    shown_days,
    year_loaded,
)
from tests.support.events import deliver

LONG_AGO = date(2025, 1, 1)  # a schedule's start well before the days looked at


@pytest.fixture
def cal(companion):
    """companion's calendar after routing's 2026 notice was delivered."""
    with companion.rt.engine.connect() as conn:
        return days.calendar(conn)


def found(weekday: int, first: date, last: date, cal, starts_on: date = LONG_AGO) -> list[tuple]:
    return [
        (d.day, d.planned, d.moved_because) for d in days.companion_days(weekday, starts_on, first, last, cal)
    ]


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# -- once a week, on the weekday ------------------------------------------------------------------------
@pytest.mark.parametrize("weekday", range(5))
def test_a_plain_fortnight_has_one_day_a_week_on_the_weekday(cal, weekday):
    first = date(2026, 3, 2)  # a Monday; nothing is off in March 2026
    assert found(weekday, first, first + timedelta(days=13), cal) == [
        (first + timedelta(days=weekday), first + timedelta(days=weekday), None),
        (first + timedelta(days=7 + weekday), first + timedelta(days=7 + weekday), None),
    ]


def test_the_days_are_given_from_first_to_last_both_included(cal):
    assert [d for d, *_ in found(2, date(2026, 3, 4), date(2026, 3, 18), cal)] == [
        date(2026, 3, 4),
        date(2026, 3, 11),
        date(2026, 3, 18),
    ]
    assert found(2, date(2026, 3, 5), date(2026, 3, 10), cal) == []


# -- a day off moves the day within its week, and says why ---------------------------------------------
def test_national_day_moves_wednesdays_day_to_the_next_working_day_of_its_week(cal):
    assert found(2, date(2026, 9, 28), date(2026, 10, 18), cal) == [
        (date(2026, 9, 30), date(2026, 9, 30), None),
        (date(2026, 10, 8), date(2026, 10, 7), "国庆节"),
        (date(2026, 10, 14), date(2026, 10, 14), None),
    ]


def test_with_no_working_day_after_it_in_its_week_the_day_moves_back_to_the_last_one_before(cal):
    """Mid-Autumn takes Friday 25 to Sunday 27 September, National Day Thursday 1 to Sunday 4 October:
    Friday's day is held on the Thursday, then the Wednesday before."""
    assert found(4, date(2026, 9, 21), date(2026, 10, 11), cal) == [
        (date(2026, 9, 24), date(2026, 9, 25), "中秋节"),
        (date(2026, 9, 30), date(2026, 10, 2), "国庆节"),
        (date(2026, 10, 9), date(2026, 10, 9), None),
    ]
    assert found(3, date(2026, 9, 28), date(2026, 10, 11), cal) == [
        (date(2026, 9, 30), date(2026, 10, 1), "国庆节"),
        (date(2026, 10, 8), date(2026, 10, 8), None),
    ]


def test_a_day_never_leaves_its_week(cal):
    """Monday 28 September is no Friday's day: the day Mid-Autumn moved stays in its own week."""
    assert found(4, date(2026, 9, 28), date(2026, 9, 28), cal) == []
    assert days.is_companion_day(4, LONG_AGO, date(2026, 9, 28), cal) is None
    assert days.is_companion_day(4, LONG_AGO, date(2026, 9, 25), cal) is None
    assert days.is_companion_day(4, LONG_AGO, date(2026, 9, 24), cal).planned == date(2026, 9, 25)
    assert days.is_companion_day(4, LONG_AGO, date(2026, 10, 8), cal) is None


def test_an_adjusted_working_sunday_takes_the_day_new_years_day_moved(cal):
    """元旦 2026: Thursday 1 January to Saturday 3 January off, Sunday 4 January worked (调休)."""
    assert found(3, date(2025, 12, 29), date(2026, 1, 4), cal) == [
        (date(2026, 1, 4), date(2026, 1, 1), "元旦"),
    ]


@pytest.mark.parametrize("weekday", range(5))
def test_a_week_with_no_working_day_has_no_day(cal, weekday):
    """The Spring Festival takes Sunday 15 to Monday 23 February 2026: the week of the 16th is all off."""
    assert found(weekday, date(2026, 2, 16), date(2026, 2, 22), cal) == []


def test_the_spring_festival_leaves_mondays_one_day_a_week_around_it(cal):
    assert found(0, date(2026, 2, 9), date(2026, 3, 8), cal) == [
        (date(2026, 2, 9), date(2026, 2, 9), None),
        (date(2026, 2, 24), date(2026, 2, 23), "春节"),
        (date(2026, 3, 2), date(2026, 3, 2), None),
    ]


@pytest.mark.parametrize(
    "weekday, count",
    # one a week less the week of 16 February (春节); Thursday's and Friday's first days are held on
    # Sunday 4 January (元旦), and 1 January 2027 brings Friday's last back to Thursday 31 December
    [(0, 51), (1, 51), (2, 51), (3, 52), (4, 52)],
)
def test_a_whole_year_of_days_are_working_days_one_per_week_in_order(cal, weekday, count):
    found_days = days.companion_days(weekday, LONG_AGO, date(2026, 1, 1), date(2026, 12, 31), cal)
    assert len(found_days) == count
    assert (found_days[0].day, found_days[-1].day.year) == (
        date(2026, 1, 4) if weekday >= 3 else date(2026, 1, 5 + weekday),
        2026,
    )
    for d in found_days:
        assert cal.is_workday(d.day), d
        assert d.planned.weekday() == weekday and monday(d.day) == monday(d.planned), d
        assert (d.moved_because is None) == (d.day == d.planned), d
        assert (d.moved_because is None) == cal.is_workday(d.planned), d
    assert all(a.day < b.day and a.planned < b.planned for a, b in itertools.pairwise(found_days))


@pytest.mark.parametrize("weekday", range(5))
def test_a_long_holiday_never_makes_two_days_in_one_week(cal, weekday):
    found_days = days.companion_days(weekday, LONG_AGO, date(2025, 12, 29), date(2027, 1, 3), cal)
    weeks = Counter(monday(d.day) for d in found_days)
    assert {week: n for week, n in weeks.items() if n > 1} == {}


def test_an_unnamed_day_off_says_it_was_a_day_off(companion):
    """A day the notice made off without its name on the weekday falls back to 休息日."""
    deliver(companion.rt, year_loaded(2027, {date(2027, 3, 10): (False, "")}), producer="routing")
    with companion.rt.engine.connect() as conn:
        cal = days.calendar(conn)
    assert found(2, date(2027, 3, 8), date(2027, 3, 14), cal) == [
        (date(2027, 3, 11), date(2027, 3, 10), "休息日"),
    ]


# -- with no notice loaded: the chinesecalendar package, then the statutory holidays ---------------------
def test_with_no_notice_loaded_national_day_still_moves_the_day_and_is_named():
    """chinesecalendar 1.11 gives a holiday's English name as a str (no ``.chinese``): the name is
    still 国庆节, and no AttributeError (a 500 at the API) until routing publishes the notice."""
    assert found(2, date(2026, 9, 28), date(2026, 10, 11), PACKAGE_ONLY) == [
        (date(2026, 9, 30), date(2026, 9, 30), None),
        (date(2026, 10, 8), date(2026, 10, 7), "国庆节"),
    ]


def test_past_the_known_years_a_statutory_holiday_moves_the_day_named_in_chinese():
    """The holidays package names days in English unless asked for Chinese: a day moved in 2027 before
    its notice says 中秋节, as every other name."""
    assert found(2, date(2027, 9, 13), date(2027, 9, 26), PACKAGE_ONLY) == [
        (date(2027, 9, 16), date(2027, 9, 15), "中秋节"),
        (date(2027, 9, 22), date(2027, 9, 22), None),
    ]


def test_past_the_known_years_the_statutory_holidays_move_the_day():
    """2027's Mid-Autumn (Wednesday 15 September) and National Day with its substitute days (1–5
    October) are off before any notice; the days are provisional, without 调休."""
    [moved, plain] = days.companion_days(2, LONG_AGO, date(2027, 9, 13), date(2027, 9, 26), PACKAGE_ONLY)
    assert (moved.day, moved.planned, plain.day) == (date(2027, 9, 16), date(2027, 9, 15), date(2027, 9, 22))
    assert moved.moved_because is not None and plain.moved_because is None
    [national_day] = days.companion_days(0, LONG_AGO, date(2027, 10, 4), date(2027, 10, 10), PACKAGE_ONLY)
    assert (national_day.day, national_day.planned) == (date(2027, 10, 6), date(2027, 10, 4))


# -- the schedule's start -------------------------------------------------------------------------------
def test_no_day_is_planned_before_the_schedule_starts(cal):
    assert [d for d, *_ in found(0, date(2026, 3, 2), date(2026, 3, 22), cal, date(2026, 3, 4))] == [
        date(2026, 3, 9),
        date(2026, 3, 16),
    ]
    assert [d for d, *_ in found(0, date(2026, 3, 2), date(2026, 3, 22), cal, date(2026, 3, 9))] == [
        date(2026, 3, 9),
        date(2026, 3, 16),
    ]
    assert days.is_companion_day(0, date(2026, 3, 4), date(2026, 3, 2), cal) is None


def test_a_start_within_a_holiday_keeps_the_day_planned_from_that_start_on(cal):
    assert found(2, date(2026, 10, 5), date(2026, 10, 18), cal, date(2026, 10, 7)) == [
        (date(2026, 10, 8), date(2026, 10, 7), "国庆节"),
        (date(2026, 10, 14), date(2026, 10, 14), None),
    ]
    assert found(2, date(2026, 10, 5), date(2026, 10, 18), cal, date(2026, 10, 8)) == [
        (date(2026, 10, 14), date(2026, 10, 14), None),
    ]


def test_no_day_is_moved_back_to_before_the_schedule_starts(cal):
    """BUG (days.companion_days): the fallback to the last working day before a day off ignores
    ``starts_on``. A Friday schedule starting Thursday 1 October (国庆节) gets Wednesday 30 September,
    a day before it existed, at once "open" and then "missed"."""
    starts_on = date(2026, 10, 1)
    found_days = days.companion_days(4, starts_on, date(2026, 9, 28), date(2026, 10, 11), cal)
    assert [d.day for d in found_days if d.day < starts_on] == []
    assert days.is_companion_day(4, starts_on, date(2026, 9, 30), cal) is None


# -- what became of a day ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "day, held, cancelled, today, expected",
    [
        (date(2026, 9, 30), True, False, date(2026, 9, 30), "held"),
        (date(2026, 9, 30), True, False, date(2026, 12, 1), "held"),
        (date(2026, 10, 8), False, True, date(2026, 9, 30), "cancelled"),
        (date(2026, 9, 30), False, True, date(2026, 12, 1), "cancelled"),
        (date(2026, 10, 8), False, False, date(2026, 9, 30), "scheduled"),
        (date(2026, 9, 30), False, False, date(2026, 9, 29), "scheduled"),
        (date(2026, 9, 30), False, False, date(2026, 9, 30), "open"),
        # the next working day after Wednesday 30 September is Thursday 8 October
        (date(2026, 9, 30), False, False, date(2026, 10, 1), "open"),
        (date(2026, 9, 30), False, False, date(2026, 10, 8), "open"),
        (date(2026, 9, 30), False, False, date(2026, 10, 9), "missed"),
        # a plain Monday: open on Tuesday, missed on Wednesday
        (date(2026, 9, 28), False, False, date(2026, 9, 29), "open"),
        (date(2026, 9, 28), False, False, date(2026, 9, 30), "missed"),
        # Friday 9 October: the next working day is Saturday 10 October (调休)
        (date(2026, 10, 9), False, False, date(2026, 10, 10), "open"),
        (date(2026, 10, 9), False, False, date(2026, 10, 11), "missed"),
    ],
)
def test_status(cal, day, held, cancelled, today, expected):
    assert days.status(day, held, cancelled, today, cal) == expected


def test_a_day_is_missed_only_once_the_next_working_day_has_ended(companion):
    now_is(date(2026, 9, 1))
    assert put_schedule(companion, 2, starts_on="2026-09-01").status_code == 200
    now_is(date(2026, 10, 8), 23, 59)
    assert shown_days(companion, start=date(2026, 9, 28), weeks=2)["2026-09-30"]["status"] == "open"
    now_is(date(2026, 10, 9), 0, 1)
    assert shown_days(companion, start=date(2026, 9, 28), weeks=2)["2026-09-30"]["status"] == "missed"


def test_the_schedule_shows_each_days_status_as_of_today(companion):
    now_is(date(2026, 9, 1))
    assert put_schedule(companion, 2, starts_on="2026-09-01").status_code == 200
    now_is(date(2026, 9, 30))
    assert record(companion, "2026-09-16").status_code == 201
    assert (
        companion.post(
            "/api/v1/schedules/E001/days/2026-10-14/cancel", json={"reason": "主席出差"}, headers=CHAIR
        ).status_code
        == 200
    )
    shown = shown_days(companion, start=date(2026, 9, 14), weeks=5)
    assert {d: (e["status"], e["planned"], e["moved_because"]) for d, e in shown.items()} == {
        "2026-09-16": ("held", "2026-09-16", None),
        "2026-09-23": ("missed", "2026-09-23", None),
        "2026-09-30": ("open", "2026-09-30", None),
        "2026-10-08": ("scheduled", "2026-10-07", "国庆节"),
        "2026-10-14": ("cancelled", "2026-10-14", None),
    }
    assert shown["2026-09-16"]["visit_id"] is not None and shown["2026-09-23"]["visit_id"] is None
    assert shown["2026-10-14"]["cancel_reason"] == "主席出差"
    assert shown["2026-10-08"]["cancel_reason"] is None


# -- a year's notice, as calendar.year_loaded delivers it ---------------------------------------------------
MADE_UP_2027 = {  # a made-up notice: Wednesday 10 March off, Saturday 13 March worked
    date(2027, 3, 10): (False, "植树节"),
    date(2027, 3, 13): (True, "植树节"),
}


def test_a_year_loaded_moves_the_days_it_makes_off(companion):
    now_is(date(2027, 3, 1))
    assert put_schedule(companion, 2, starts_on="2027-03-01").status_code == 200
    before = shown_days(companion, start=date(2027, 3, 8), weeks=2)
    assert {d: e["moved_because"] for d, e in before.items()} == {"2027-03-10": None, "2027-03-17": None}

    deliver(companion.rt, year_loaded(2027, MADE_UP_2027), producer="routing")
    after = shown_days(companion, start=date(2027, 3, 8), weeks=2)
    assert {d: (e["planned"], e["moved_because"]) for d, e in after.items()} == {
        "2027-03-11": ("2027-03-10", "植树节"),
        "2027-03-17": ("2027-03-17", None),
    }


def test_a_year_loaded_again_replaces_that_year_and_leaves_the_others(companion):
    deliver(companion.rt, year_loaded(2027, MADE_UP_2027), producer="routing")
    deliver(
        companion.rt,
        year_loaded(2027, {date(2027, 3, 17): (False, "测试日")}, source="第二版"),
        producer="routing",
    )
    with companion.rt.engine.connect() as conn:
        kept = conn.execute(select(calendar_days).where(calendar_days.c.day >= date(2027, 1, 1))).all()
        of_2026 = conn.execute(
            select(calendar_days.c.day).where(calendar_days.c.day < date(2027, 1, 1))
        ).all()
        years = dict(conn.execute(select(calendar_years.c.year, calendar_years.c.source)).all())
        cal = days.calendar(conn)
    assert [(r.day, r.workday, r.name) for r in kept] == [(date(2027, 3, 17), False, "测试日")]
    assert years == {2026: shipped_2026().source, 2027: "第二版"}
    assert len(of_2026) == len(shipped_2026().days) > 0
    assert found(2, date(2027, 3, 8), date(2027, 3, 21), cal) == [
        (date(2027, 3, 10), date(2027, 3, 10), None),
        (date(2027, 3, 18), date(2027, 3, 17), "测试日"),
    ]


def test_a_loaded_year_wins_over_the_package(companion):
    """A notice for 2026 that (say) moved National Day's days off wins over chinesecalendar."""
    deliver(
        companion.rt,
        year_loaded(2026, {date(2026, 9, 30): (False, "国庆节")}, source="改过的通知"),
        producer="routing",
    )
    with companion.rt.engine.connect() as conn:
        cal = days.calendar(conn)
    assert found(2, date(2026, 9, 28), date(2026, 10, 11), cal) == [
        (date(2026, 10, 1), date(2026, 9, 30), "国庆节"),
        (date(2026, 10, 7), date(2026, 10, 7), None),
    ]
