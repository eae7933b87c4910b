"""notify's channels for real, on PostgreSQL and RabbitMQ: SMS and the staff group bots through Apprise
to a real HTTP sink run by the test (a JSON webhook standing in for the SMS gateway and the bots),
mail to a real SMTP server; a gateway that is down (HTTP 500, or nothing listening) is retried with
backoff, its circuit opens and closes again, and a message fails for good after its last attempt.
The clock is moved by its offset, never slept on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from harness.private import free_port
from harness.system import Mailbox
from services.notify.app import create_app
from services.notify.dispatcher import Dispatcher
from services.notify.handlers import HANDLERS
from services.notify.models import inbox, outbox
from shared import clock, events
from shared.procs import wait_until
from tests.integration.messaging import consumer, publish, running
from tests.support.events import deliver, payloads
from tests.support.notify import (
    CHAIR,
    COUNTY_OFFICER,
    Sink,
    as_utc,
    assigned_for,
    china,
    clock_at,
    move_clock,
    phone_only_contact,
    reminder,
    rows,
    supervision,
)
from tests.support.routing import CHAIR as CHAIR_TOKEN
from tests.support.routing import COUNTY, SECRET

pytestmark = pytest.mark.integration


@pytest.fixture
def sink():
    s = Sink()
    yield s
    s.close()


@pytest.fixture
def mailbox():
    with Mailbox() as m:
        yield m


@pytest.fixture(autouse=True)
def clock_kept():
    """Tests move the clock; put it back after each."""
    before = clock.offset()
    yield
    clock.set_offset(before)


@pytest.fixture
def notify(pg_runtime, sink, mailbox):
    """A factory of notify on its own PostgreSQL database and vhost, its SMS gateway and the groups
    of C01 and the city at the sink, its mail to the SMTP server; any hour (``daytime="always"``)."""

    def make(**overrides):
        settings = dict(
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
            sms_url=sink.url("/sms"),
            group_urls=f"C01={sink.url('/group/C01')} city={sink.url('/group/city')}",
            daytime="always",
            max_send_attempts=4,
            circuit_failures=2,
            circuit_cooldown=60,
        )
        return pg_runtime("notify", **(settings | overrides))

    return make


def sample(name: str, labels: dict) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def send_due(rt, dispatcher: Dispatcher | None = None) -> Dispatcher:
    dispatcher = dispatcher or Dispatcher(rt.settings, rt.engine)
    while dispatcher.run_once() >= dispatcher.batch:
        pass
    return dispatcher


def test_a_supervision_reaches_the_officers_by_mail_and_sms_and_the_county_group_once(notify, sink, mailbox):
    rt = notify()
    event = supervision(level=1)
    envelope = events.make("case.supervision_raised", event, "routing", event.grievance_id)
    again = events.make("case.supervision_raised", event, "routing", event.grievance_id)  # republished
    with running(consumer(rt, HANDLERS, inbox, outbox).run), running(Dispatcher(rt.settings, rt.engine).run):
        publish(rt.settings, envelope, envelope, again)
        wait_until(lambda: len(sink.posts) >= 2 and len(mailbox.messages) >= 2, 30, what="SMS, group, mail")
        wait_until(lambda: {r.status for r in rows(rt)} == {"sent"}, 30, what="every message sent")

    [sms] = sink.to("/sms")
    assert sms["to"] == "+8613900000101"  # the officer's number, in the payload the gateway reads
    assert event.case_id[:8] in sms["message"] and "县级工会" in sms["message"]
    assert len(sms["message"]) <= 70
    [group] = sink.to("/group/C01")
    assert event.case_id in group["message"] and "县级工会" in group["title"]
    assert "to" not in group and not sink.to("/group/city")
    assert sorted(m["To"] for m in mailbox.messages) == sorted([COUNTY_OFFICER.email, "c01.b@example.org"])
    assert len(payloads(rt, "notification.sent")) == 4


def test_a_worker_with_only_a_phone_is_texted_the_acknowledgement_and_the_answer(notify, sink, mailbox):
    rt = notify()
    contact = phone_only_contact("+86 139-1234-5678")
    deliver(rt, contact, producer="intake")
    deliver(
        rt,
        events.CaseStatusChanged(
            case_id=contact.grievance_id,
            grievance_id=contact.grievance_id,
            from_="in_progress",
            to="resolved",
            public_note="已更换降噪设备",
            actor_role="enterprise_chair",
            at=clock.now(),
        ),
        producer="routing",
    )
    send_due(rt)
    ack, answer = sink.to("/sms")
    assert ack["to"] == answer["to"] == "+8613912345678"
    assert "诉求已登记" in ack["message"] and "/s/ABCD-EFGH-JKMN" in ack["message"]
    assert "诉求已办结" in answer["message"] and "/s/ABCD-EFGH-JKMN" in answer["message"]
    assert contact.name not in str(sink.posts) and mailbox.messages == []


def test_at_night_the_mail_goes_and_the_sms_waits_for_0800(notify, sink, mailbox):
    rt = notify(daytime="08:00-21:00")
    with clock_at(china("2026-12-01 22:30")):
        deliver(rt, reminder())
        send_due(rt)
        assert len(mailbox.messages) == 1 and sink.posts == []
        [held] = rows(rt, medium="sms")
        assert (held.status, held.attempts) == ("pending", 0)
        assert as_utc(held.next_attempt_at) == china("2026-12-02 08:00")
    with clock_at(china("2026-12-02 08:00") + timedelta(seconds=5)):
        send_due(rt)
    [sms] = sink.to("/sms")
    assert sms["to"] == CHAIR.phone


def test_a_gateway_that_refuses_connections_is_retried_then_the_message_fails_for_good(notify, sink):
    rt = notify(sms_url=f"json://127.0.0.1:{free_port()}/sms", max_send_attempts=3, circuit_failures=10)
    deliver(rt, reminder())
    failures = sample("xinsheng_notify_send_failures_total", {"channel": "sms"})
    dispatcher = send_due(rt)
    [sms] = rows(rt, medium="sms")
    assert (sms.status, sms.attempts, sms.error) == ("pending", 1, "json: connection error")
    assert as_utc(sms.next_attempt_at) - clock.now() > timedelta(seconds=5)  # backoff, not at once
    send_due(rt, dispatcher)
    assert rows(rt, medium="sms")[0].attempts == 1  # not due yet
    for _ in range(2):
        move_clock(timedelta(minutes=2))
        send_due(rt, dispatcher)
    [sms] = rows(rt, medium="sms")
    assert (sms.status, sms.attempts) == ("failed", 3)
    [failed] = payloads(rt, "notification.failed")
    assert (failed.notification_id, failed.channel, failed.attempt) == (sms.id, "sms", 3)
    assert failed.error == "json: connection error" and CHAIR.phone not in failed.error
    assert sample("xinsheng_notify_send_failures_total", {"channel": "sms"}) == failures + 3
    move_clock(timedelta(minutes=10))
    send_due(rt, dispatcher)
    assert rows(rt, medium="sms")[0].attempts == 3  # failed is final
    assert [e.channel for e in payloads(rt, "notification.sent")] == ["email"]  # the mail went


def test_a_gateway_answering_500_opens_the_circuit_then_one_trial_closes_it(notify, sink, mailbox):
    rt = notify()  # the circuit opens after 2 failures in a row and rests 60 s
    sink.status = 500
    for _ in range(3):
        deliver(rt, reminder())
    dispatcher = send_due(rt)
    assert len(sink.to("/sms")) == 2  # the third was not tried: the circuit is open
    assert sorted(r.attempts for r in rows(rt, medium="sms")) == [0, 1, 1]
    assert {r.error for r in rows(rt, medium="sms") if r.attempts} == {"json: HTTP 500"}
    held = next(r for r in rows(rt, medium="sms") if r.attempts == 0)
    assert as_utc(held.next_attempt_at) - clock.now() > timedelta(seconds=50)
    assert sample("xinsheng_notify_circuit_open", {"channel": "sms"}) == 1
    assert len(mailbox.messages) == 3  # mail has a circuit of its own

    move_clock(timedelta(seconds=61))  # the cool-down is over: one trial call, which fails again
    send_due(rt, dispatcher)
    assert len(sink.to("/sms")) == 3
    assert sorted(r.attempts for r in rows(rt, medium="sms")) == [0, 1, 2]
    assert sample("xinsheng_notify_circuit_open", {"channel": "sms"}) == 1

    sink.status = 200  # the gateway is back
    move_clock(timedelta(seconds=61))
    send_due(rt, dispatcher)
    assert {r.status for r in rows(rt, medium="sms")} == {"sent"}
    assert sorted(r.attempts for r in rows(rt, medium="sms")) == [1, 2, 3]
    assert sample("xinsheng_notify_circuit_open", {"channel": "sms"}) == 0
    assert len(sink.to("/sms")) == 6 and payloads(rt, "notification.failed") == []


def test_one_county_s_bot_down_does_not_stop_the_city_s(notify, sink):
    rt = notify(group_urls=f"C01=json://127.0.0.1:{free_port()}/down city={sink.url('/group/city')}")
    county = supervision(level=1)
    deliver(rt, county)
    deliver(rt, supervision(level=2, case_id=county.case_id, grievance_id=county.grievance_id))
    send_due(rt)
    groups = {r.recipient_id: r for r in rows(rt, audience="group")}
    assert (groups["C01"].status, groups["C01"].error) == ("pending", "json: connection error")
    assert groups["city"].status == "sent" and len(sink.to("/group/city")) == 1


def test_the_case_s_log_on_postgresql_answers_the_county_and_not_the_chair(notify, sink):
    rt = notify(secret_key=SECRET)
    event = supervision(level=1, about_chair=True)
    deliver(rt, assigned_for(event, COUNTY_OFFICER))
    deliver(rt, event)
    sink.status = 500
    send_due(rt)
    client = create_app(rt).test_client()
    url = f"/api/v1/cases/{event.case_id}/notifications"
    answer = client.get(url, headers=COUNTY)
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    sms = next(i for i in items if i["medium"] == "sms")
    assert (sms["status"], sms["attempts"], sms["error"]) == ("pending", 1, "json: HTTP 500")
    assert sms["next_attempt_at"].endswith("+08:00")
    assert client.get(url, headers=CHAIR_TOKEN).status_code == 404
