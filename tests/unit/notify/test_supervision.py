"""notify's handlers for supervision (督办), reminders and the worker who left only a phone: what
is queued, to whom, on which channel, once however often the event comes; never to the chair of a
demand about the chair."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.notify.dispatcher import Dispatcher
from shared import clock, events
from shared.i18n import translate
from tests.support.events import deliver
from tests.support.notify import (
    CHAIR,
    CITY_OFFICER,
    COUNTY_OFFICER,
    COUNTY_OFFICER_2,
    phone_only_contact,
    reminder,
    rows,
    supervision,
)

SMS_URL = "json://sms.example.org/send"
GROUPS = "C01=json://hooks.example.org/c01 city=json://hooks.example.org/city"


@pytest.fixture
def notify(sqlite_runtime):
    """notify with SMTP, an SMS gateway and the groups of C01 and the city configured (nothing is
    sent in these tests: the dispatcher does not run)."""
    return sqlite_runtime("notify", smtp_host="127.0.0.1", sms_url=SMS_URL, group_urls=GROUPS)


def test_a_county_supervision_mails_and_texts_each_officer_and_tells_the_county_group(notify):
    event = supervision(level=1)
    deliver(notify, event)
    got = {(r.audience, r.medium, r.channel, r.recipient_id, r.recipient) for r in rows(notify)}
    assert got == {
        ("staff", "email", "email", "c01-officer", COUNTY_OFFICER.email),
        ("staff", "sms", "sms", "c01-officer", COUNTY_OFFICER.phone),
        ("staff", "email", "email", "c01-officer-2", COUNTY_OFFICER_2.email),  # no phone: no SMS
        ("group", "group", "group", "C01", None),
    }
    assert {r.kind for r in rows(notify)} == {"supervision_raised"}
    assert {r.case_id for r in rows(notify)} == {event.case_id}
    assert rows(notify, recipient_id="c01-officer", medium="email")[0].recipient_name == "张县干"


def test_a_city_supervision_goes_to_the_city_officers_and_the_city_group(notify):
    deliver(notify, supervision(level=2, reason="supervised_overdue"))
    got = {(r.medium, r.recipient_id) for r in rows(notify)}
    assert got == {("email", "city-officer-1"), ("sms", "city-officer-1"), ("group", "city")}


def test_the_same_supervision_delivered_again_queues_nothing_more(notify):
    event = supervision()
    deliver(notify, event)
    deliver(notify, event)  # the same event under a new id, as a redelivery after a crash would be
    assert len(rows(notify)) == 4


def test_the_next_level_is_a_new_message(notify):
    first = supervision(level=1)
    deliver(notify, first)
    deliver(notify, supervision(level=2, case_id=first.case_id, grievance_id=first.grievance_id))
    assert len(rows(notify)) == 4 + 3


def test_the_chair_is_never_told_of_a_demand_about_the_chair(notify):
    # Even if an event named the chair among the recipients, notify leaves the chair out.
    deliver(notify, supervision(about_chair=True, recipients=(COUNTY_OFFICER, CHAIR)))
    assert {r.recipient_id for r in rows(notify)} == {"c01-officer", "C01"}
    assert not [r for r in rows(notify) if r.recipient in (CHAIR.email, CHAIR.phone)]


def test_the_messages_say_the_case_why_the_level_and_the_due_dates_in_china_time(notify):
    event = supervision(level=1, reason="resolve_overdue")
    deliver(notify, event)
    [mail] = rows(notify, recipient_id="c01-officer", medium="email")
    [sms] = rows(notify, recipient_id="c01-officer", medium="sms")
    assert event.case_id in mail.body and event.case_id[:8] in mail.subject
    assert "县级工会" in mail.subject and "the county union" in mail.subject
    assert translate("zh", "not resolved in time") in mail.body
    assert clock.for_people(event.supervised_due) in mail.body  # China time, as people read it
    assert clock.for_people(event.resolve_due) in mail.body
    assert event.case_id[:8] in sms.body and "县级工会" in sms.body and "办结超期" in sms.body
    assert clock.local(event.supervised_due).strftime("%m-%d %H:%M") in sms.body


def test_a_supervisor_s_own_reason_is_in_the_mail_but_not_in_the_sms(notify):
    reason = "企业多次推诿，请县总督办"
    deliver(notify, supervision(reason=reason, supervisor="c01-officer"))
    [mail] = rows(notify, recipient_id="c01-officer", medium="email")
    [sms] = rows(notify, recipient_id="c01-officer", medium="sms")
    assert reason in mail.body
    assert reason not in sms.body and "督办人提出" in sms.body


def test_without_gateways_every_message_goes_to_the_log_channel(sqlite_runtime):
    rt = sqlite_runtime("notify")
    deliver(rt, supervision())
    assert {r.channel for r in rows(rt)} == {"log"}
    assert {r.medium for r in rows(rt)} == {"email", "sms", "group"}
    assert Dispatcher(rt.settings, rt.engine).run_once() == 4
    assert {(r.status, r.attempts) for r in rows(rt)} == {("sent", 1)}


def test_an_organisation_without_a_group_url_goes_to_the_log_channel(sqlite_runtime):
    rt = sqlite_runtime("notify", group_urls="city=json://hooks.example.org/city")
    deliver(rt, supervision(level=1))
    [group] = rows(rt, audience="group")
    assert (group.recipient_id, group.channel) == ("C01", "log")


def test_an_urgent_supervision_is_marked_urgent(notify):
    deliver(notify, supervision(urgency="urgent"))
    assert {r.urgent for r in rows(notify)} == {True}


# -- reminders -----------------------------------------------------------------------------------
def test_a_reminder_mails_and_texts_the_assignee_once(notify):
    event = reminder()
    deliver(notify, event)
    deliver(notify, event)
    got = [(r.kind, r.medium, r.recipient) for r in rows(notify)]
    assert sorted(got) == [("reminder_due", "email", CHAIR.email), ("reminder_due", "sms", CHAIR.phone)]


def test_each_reminder_of_a_case_is_its_own_message(notify):
    first = reminder(fraction=0.5)
    deliver(notify, first)
    deliver(notify, first.model_copy(update={"fraction": 0.75}))
    deliver(notify, first.model_copy(update={"when": "day_before", "fraction": None}))
    deliver(notify, first.model_copy(update={"deadline": "resolve"}))
    deliver(notify, first.model_copy(update={"due": first.due + timedelta(days=3)}))  # extended
    assert len(rows(notify)) == 10


@pytest.mark.parametrize(
    "deadline,when,words",
    [
        ("accept", "half_time", ("受理", "时间已过半")),
        ("supervised", "day_before", ("完成督办", "仅剩一个工作日")),
    ],
)
def test_a_reminder_says_which_deadline_and_when_in_china_time(notify, deadline, when, words):
    event = reminder(deadline=deadline, when=when)
    deliver(notify, event)
    [sms] = rows(notify, medium="sms")
    [mail] = rows(notify, medium="email")
    assert all(w in sms.body for w in words)
    assert clock.local(event.due).strftime("%m-%d %H:%M") in sms.body
    assert clock.for_people(event.due) in mail.body and event.case_id in mail.body


# -- a worker who left only a phone ----------------------------------------------------------------
def test_a_worker_with_only_a_phone_gets_the_acknowledgement_by_sms(notify):
    contact = phone_only_contact()
    deliver(notify, contact)
    deliver(notify, contact)
    [row] = rows(notify)
    assert (row.audience, row.medium, row.channel, row.recipient) == ("worker", "sms", "sms", contact.phone)
    assert row.recipient_id is None and row.recipient_name is None  # never the worker's identity
    assert "http://localhost:8001/s/ABCD-EFGH-JKMN" in row.body
    assert contact.name not in row.body


@pytest.mark.parametrize("to,words", [("resolved", "已办结"), ("rejected", "不予受理")])
def test_a_worker_with_only_a_phone_gets_the_answer_by_sms(notify, to, words):
    contact = phone_only_contact()
    deliver(notify, contact)
    step = events.CaseStatusChanged(
        case_id=contact.grievance_id,
        grievance_id=contact.grievance_id,
        from_="in_progress",
        to=to,
        public_note="已更换降噪设备",
        actor_role="enterprise_chair",
        at=clock.now(),
    )
    deliver(notify, step)
    deliver(notify, step)
    [answer] = rows(notify, kind="worker_answer")
    assert (answer.medium, answer.recipient) == ("sms", contact.phone)
    assert words in answer.body and "/s/ABCD-EFGH-JKMN" in answer.body


def test_a_worker_with_an_email_is_not_texted(notify):
    contact = phone_only_contact().model_copy(update={"email": "w@example.org"})
    deliver(notify, contact)
    assert [(r.medium, r.recipient) for r in rows(notify)] == [("email", "w@example.org")]


def test_the_city_officer_phone_is_texted_as_given(notify):
    deliver(notify, supervision(level=2))
    [sms] = rows(notify, medium="sms")
    assert sms.recipient == CITY_OFFICER.phone


def test_a_missed_companion_day_mails_the_county_officers_once(notify):
    from datetime import date

    event = events.CompanionDayMissed(
        enterprise_code="E001",
        enterprise_name="城关机械厂",
        county_code="C01",
        day=date(2026, 9, 23),
        planned=date(2026, 9, 23),
        recipients=(COUNTY_OFFICER, COUNTY_OFFICER_2),
        at=clock.now(),
    )
    deliver(notify, event)
    deliver(notify, event)
    got = sorted((r.kind, r.medium, r.recipient) for r in rows(notify))
    assert got == [
        ("companion_day_missed", "email", COUNTY_OFFICER_2.email),
        ("companion_day_missed", "email", COUNTY_OFFICER.email),
    ]
    [mail] = [r for r in rows(notify) if r.recipient == COUNTY_OFFICER.email]
    assert "城关机械厂" in mail.subject and "2026-09-23" in mail.body
