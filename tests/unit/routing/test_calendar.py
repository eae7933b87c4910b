"""The working calendar as data (services/routing/calendar.py): the shipped 2026 schedule agrees with
the chinesecalendar package, a year's schedule is validated, and past what is known a due date is
computed from weekends and the statutory holidays and marked provisional."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.routing import calendar, deadlines
from services.routing.app import CalendarCollector, _calendar_detail
from shared import clock
from shared.clock import CST
from tests.support.routing import CITY

SHIPPED_2026 = calendar.SHIPPED / "2026.yaml"
SCHEDULE_2027 = {  # a made-up notice for 2027, for the tests only
    "year": 2027,
    "source": "test",
    "days_off": [{"name": "春节", "from": "2027-02-05", "to": "2027-02-12"}],
    "working_days": [{"name": "春节", "day": "2027-02-13"}],
}


def loaded(rt, *schedules) -> calendar.Calendar:
    with rt.engine.begin() as conn:
        for s in schedules:
            calendar.store(conn, s)
        return calendar.load(conn)


def test_the_shipped_2026_schedule_agrees_with_the_package_every_day(sqlite_runtime):
    cal = loaded(sqlite_runtime("routing"), calendar.read(SHIPPED_2026))
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    assert cal.known_until() == date(2026, 12, 31)


def test_with_nothing_loaded_the_package_is_known_until_its_last_year():
    assert deadlines.PACKAGE_ONLY.known_until() == date(2026, 12, 31)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"days_off": [{"name": "春节", "from": "2027-02-12", "to": "2027-02-05"}]}, "is after"),
        ({"days_off": [{"name": "元旦", "from": "2026-12-31", "to": "2027-01-01"}]}, "is not in 2027"),
        ({"working_days": [{"name": "春节", "day": "2027-02-15"}]}, "only a weekend day"),
        ({"working_days": [{"name": "春节", "day": "2027-02-06"}]}, "both a day off and a working day"),
        ({"year": 1999}, "greater than or equal to 2000"),
    ],
)
def test_a_schedule_that_cannot_be_right_is_refused_with_a_clear_reason(change, message):
    with pytest.raises(ValueError, match=message):
        calendar.Schedule.model_validate({**SCHEDULE_2027, **change})


def test_past_the_known_calendar_the_statutory_holidays_are_days_off_and_the_dates_provisional():
    cal = deadlines.PACKAGE_ONLY
    spring_festival = date(2027, 2, 8)  # a Monday of the 2027 Spring Festival (holidays package)
    assert spring_festival.weekday() == 0 and not cal.knows(spring_festival)
    assert cal.is_workday(spring_festival) is False
    assigned = datetime.combine(date(2027, 2, 5), time(10), CST)  # the Friday before
    due = deadlines.due_dates(assigned, "wages", "normal", cal)
    assert clock.local(due.accept_due).date() == date(2027, 2, 12)  # Mon-Wed of the festival skipped
    assert due.provisional is True
    known = deadlines.due_dates(datetime.combine(date(2026, 3, 2), time(10), CST), "wages", "normal", cal)
    assert known.provisional is False


def test_loading_the_next_year_makes_its_days_known_with_its_adjusted_working_days(sqlite_runtime):
    cal = loaded(
        sqlite_runtime("routing"),
        calendar.read(SHIPPED_2026),
        calendar.Schedule.model_validate(SCHEDULE_2027),
    )
    assert cal.known_until() == date(2027, 12, 31)
    assert cal.is_workday(date(2027, 2, 13)) is True  # a Saturday made a working day
    assert cal.is_workday(date(2027, 2, 8)) is False
    assigned = datetime.combine(date(2027, 2, 4), time(10), CST)
    due = deadlines.due_dates(assigned, "wages", "normal", cal)
    # the Saturday made a working day counts: 13th (Sat) and 15th (Mon), not 15th and 16th
    assert (clock.local(due.accept_due).date(), due.provisional) == (date(2027, 2, 15), False)


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 20)),
    category=st.sampled_from(["wages", "safety_health"]),
    urgency=st.sampled_from(["normal", "urgent"]),
)
def test_an_accept_due_date_is_the_right_working_day_and_never_a_day_off(day, category, urgency):
    due = deadlines.due_dates(datetime.combine(day, time(15), CST), category, urgency)
    last = clock.local(due.accept_due).date()
    assert chinese_calendar.is_workday(last)
    between = [day + timedelta(days=i) for i in range(1, (last - day).days + 1)]
    expected = 1 if urgency == "urgent" or category == "safety_health" else 2
    assert sum(chinese_calendar.is_workday(d) for d in between) == expected
    assert due.provisional is False


def test_a_case_assigned_near_the_end_of_the_known_calendar_is_marked_provisional(ledger):
    clock.set_offset(datetime(2026, 12, 31, 2, tzinfo=CST) - clock.now() + clock.offset())
    try:
        from tests.support.routing import submit

        case_id = submit(ledger.rt, "E001")
    finally:
        clock.set_offset(None)
    case = ledger.get(f"/api/v1/cases/{case_id}", headers=CITY).get_json()
    assert case["deadlines_provisional"] is True
    assert (
        ledger.get(f"/api/v1/cases/{ledger.case_ids['e001']}", headers=CITY).get_json()[
            "deadlines_provisional"
        ]
        is False
    )


def test_operators_see_how_far_the_calendar_reaches(sqlite_runtime):
    rt = sqlite_runtime("routing")
    [family] = CalendarCollector(rt).collect()
    assert family.samples[0].value == datetime(2027, 1, 1, tzinfo=CST).timestamp()
    assert _calendar_detail(rt).startswith("known until 2026-12-31")
    loaded(rt, calendar.Schedule.model_validate(SCHEDULE_2027))
    [family] = CalendarCollector(rt).collect()
    assert family.samples[0].value == datetime(2028, 1, 1, tzinfo=CST).timestamp()


def test_loading_the_year_computes_the_provisional_due_dates_again_and_tells_the_others(
    ledger, sqlite_runtime
):
    from services.routing.deadlines import recompute_provisional
    from services.routing.models import outbox
    from shared.uow import unit_of_work
    from tests.support.events import deliver, payloads
    from tests.support.routing import submit

    clock.set_offset(datetime(2027, 2, 4, 10, tzinfo=CST) - clock.now() + clock.offset())
    try:
        case_id = submit(ledger.rt, "E001")
        before = ledger.get(f"/api/v1/cases/{case_id}", headers=CITY).get_json()
        assert before["deadlines_provisional"] is True
        assert clock.local(datetime.fromisoformat(before["accept_due"])).date() == date(2027, 2, 12)
        with unit_of_work(ledger.rt.engine, outbox, ledger.rt.settings) as uow:
            calendar.store(uow.conn, calendar.Schedule.model_validate(SCHEDULE_2027))
            assert recompute_provisional(uow, calendar.load(uow.conn)) == 1
        with unit_of_work(ledger.rt.engine, outbox, ledger.rt.settings) as uow:
            assert recompute_provisional(uow, calendar.load(uow.conn)) == 0  # nothing provisional is left
    finally:
        clock.set_offset(None)

    after = ledger.get(f"/api/v1/cases/{case_id}", headers=CITY).get_json()
    assert after["deadlines_provisional"] is False
    assert clock.local(datetime.fromisoformat(after["accept_due"])).date() == date(2027, 2, 15)
    assert after["history"][-1]["action"] == "recompute_deadlines" and after["status"] == "assigned"
    [changed] = payloads(ledger.rt, "case.deadlines_changed")
    assert (changed.case_id, changed.provisional) == (case_id, False)

    reports = sqlite_runtime("reports")
    deliver(reports, changed)
    from services.reports.models import facts

    with reports.engine.connect() as conn:
        [row] = conn.execute(facts.select()).all()
    assert clock.local(row.accept_due).date() == date(2027, 2, 15)
