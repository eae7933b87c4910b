"""The deadline policy as data (services/routing/policy.py): validated with clear errors, merged per
category and urgency, recorded on each case, applied to new cases only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from services.routing import deadlines, policy
from services.routing.models import cases
from shared import clock
from tests.support.routing import submit

SHIPPED = policy.read(policy.SHIPPED)


def test_the_shipped_policy_is_designs():
    normal = SHIPPED.terms("wages", "normal")
    assert normal.accept == policy.Span(working_days=2)
    assert normal.resolve == policy.Span(calendar_days=15)
    assert normal.supervised == policy.Span(working_days=5)
    assert (normal.reminders.fractions, normal.reminders.working_days_before) == ((0.5,), 1)
    assert (normal.pauses.max_days, normal.pauses.max_pauses) == (30, 2)
    assert SHIPPED.terms("safety_health", "normal").accept == policy.Span(working_days=1)
    assert SHIPPED.terms("wages", "urgent").accept == policy.Span(working_days=1)
    assert SHIPPED.terms("safety_health", "urgent").resolve == policy.Span(calendar_days=15)


@pytest.mark.parametrize(
    "change,words",
    [
        ({"defaults": {"accept": {"working_days": 2, "calendar_days": 2}}}, "exactly one of"),
        ({"defaults": {"accept": {}}}, "exactly one of"),
        ({"defaults": {"accept": {"working_days": 0}}}, "greater than or equal to 1"),
        ({"defaults": {"accept": {"hours": 3}}}, "Extra inputs"),
        ({"categories": {"noise": {}}}, "categories.noise"),
        ({"categories": {"wages": {"escalate": {}}}}, "unknown section"),
        ({"urgent": {"resolve": {"working_days": "soon"}}}, "urgent"),
        ({"defaults": {"reminders": {"fractions": [1.5]}}}, "strictly between 0 and 1"),
        ({"defaults": {"pauses": {"max_days": 400}}}, "less than or equal to 90"),
    ],
)
def test_a_wrong_policy_is_refused_with_what_is_wrong(change, words):
    data = SHIPPED.model_dump(mode="json")
    for section, value in change.items():
        data[section] = {**data[section], **value} if section == "defaults" else value
    with pytest.raises((ValidationError, ValueError)) as refused:
        policy.Policy.model_validate(data)
    assert words in str(refused.value)


def test_reminders_fall_strictly_inside_the_span_and_the_day_before_at_nine():
    terms = SHIPPED.terms("wages", "normal")
    start = datetime(2026, 3, 2, 10, tzinfo=clock.CST)  # Monday
    due = clock.day_end(start.date() + timedelta(days=15))
    times = dict(policy.reminder_times(terms, start, due, deadlines.PACKAGE_ONLY))
    assert times["share:0.5"] == start + (due - start) / 2
    assert clock.local(times["day_before"]).strftime("%Y-%m-%d %H:%M") == "2026-03-16 09:00"
    # a one-day deadline: the day before would be before the start, so it is not set
    short = policy.reminder_times(terms, start, clock.day_end(start.date()), deadlines.PACKAGE_ONLY)
    assert [w for w, _ in short] == ["share:0.5"]


def test_the_day_before_skips_days_off():
    # due on Monday 2026-03-09: one working day before is Friday 03-06
    due = clock.day_end(datetime(2026, 3, 9).date())
    at = policy.day_before(due, 1, deadlines.PACKAGE_ONLY)
    assert clock.local(at).strftime("%Y-%m-%d %H:%M") == "2026-03-06 09:00"


def test_a_changed_policy_applies_to_new_cases_only(ledger):
    rt = ledger.rt
    old = ledger.case_ids["e002"]
    data = SHIPPED.model_dump(mode="json")
    data["defaults"]["resolve"] = {"calendar_days": 10}
    with rt.engine.begin() as conn:
        assert policy.store(conn, policy.Policy.model_validate(data), "test") == 1
    new = submit(rt, "E002")
    with rt.engine.connect() as conn:
        before, after = (conn.execute(select(cases).where(cases.c.id == i)).one() for i in (old, new))
    assert before.policy_version == 0 and after.policy_version == 1
    assert before.terms["resolve"] == {"working_days": None, "calendar_days": 15}
    assert after.terms["resolve"] == {"working_days": None, "calendar_days": 10}
    days = lambda c: (clock.local(c.resolve_due).date() - clock.local(c.created_at).date()).days  # noqa: E731
    assert (days(before), days(after)) == (15, 10)
    with rt.engine.connect() as conn:
        assert policy.current(conn)[0] == 1
