"""The consumer loop on a real RabbitMQ and PostgreSQL: ack after commit, idempotence, dead letters."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from services.reports import handlers as reports
from services.reports.models import facts, inbox
from shared import deadletters, events, topology
from shared.procs import wait_until
from tests.integration.messaging import consumer, depth, drain, publish, running
from tests.support.events import demand_submitted

pytestmark = pytest.mark.integration


def submitted(**overrides) -> events.Envelope:
    payload = demand_submitted(**overrides)
    return events.make("grievance.submitted", payload, "intake", payload.grievance_id)


def fact_count(rt) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(facts)).scalar()


@pytest.fixture
def reports_rt(pg_runtime):
    return pg_runtime("reports", max_attempts=3)


def test_event_is_committed_then_acked(reports_rt):
    with running(consumer(reports_rt, reports.HANDLERS, inbox).run):
        publish(reports_rt.settings, submitted())
        wait_until(lambda: fact_count(reports_rt) == 1, 20, what="the fact row")
    assert depth(reports_rt.settings, topology.queue_name("reports")) == 0


def test_duplicate_event_is_acked_and_ignored(reports_rt):
    event = submitted()
    with running(consumer(reports_rt, reports.HANDLERS, inbox).run):
        publish(reports_rt.settings, event, event, event)
        wait_until(
            lambda: depth(reports_rt.settings, topology.queue_name("reports")) == 0,
            20,
            what="the queue to drain",
        )
        time.sleep(0.5)
    with reports_rt.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(inbox)).scalar() == 1
    assert fact_count(reports_rt) == 1


def test_poison_event_is_dead_lettered_with_its_reason_and_the_rest_flow(reports_rt):
    poison = submitted(enterprise_code="POISON")
    cured = threading.Event()

    def fragile(uow, envelope, payload):
        if payload.enterprise_code == "POISON" and not cured.is_set():
            raise ValueError("cannot handle this enterprise")
        reports.grievance_submitted(uow, envelope, payload)

    handlers = {**reports.HANDLERS, "grievance.submitted": fragile}
    with running(consumer(reports_rt, handlers, inbox).run):
        publish(reports_rt.settings, poison, *(submitted() for _ in range(5)))
        wait_until(lambda: fact_count(reports_rt) == 5, 30, what="the healthy events")
        dead = wait_until(
            lambda: deadletters.list_dead(reports_rt.settings, "reports"), 30, what="the dead letter"
        )
        assert [d.message_id for d in dead] == [poison.id]
        assert "ValueError" in dead[0].reason and dead[0].attempts == 3
        assert dead[0].routing_key == "grievance.submitted"

        cured.set()
        assert deadletters.replay(reports_rt.settings, "reports") == 1
        wait_until(lambda: fact_count(reports_rt) == 6, 20, what="the replayed event")
    assert deadletters.list_dead(reports_rt.settings, "reports") == []


def test_undecodable_message_is_dead_lettered_at_once(reports_rt):
    with running(consumer(reports_rt, reports.HANDLERS, inbox).run):
        publish(reports_rt.settings, raw=b"{not json", routing_key="grievance.submitted")
        dead = wait_until(
            lambda: deadletters.list_dead(reports_rt.settings, "reports"), 20, what="the dead letter"
        )
    assert dead[0].reason.startswith("bad envelope") and dead[0].attempts == 1


def test_slow_handler_keeps_heartbeats_and_is_acked_once(pg_runtime):
    rt = pg_runtime("reports", heartbeat=1)
    calls = []

    def slow(uow, envelope, payload):
        calls.append(envelope.id)
        time.sleep(4)  # four heartbeat intervals: the broker would drop a starved connection
        reports.grievance_submitted(uow, envelope, payload)

    with running(consumer(rt, {"grievance.submitted": slow}, inbox).run):
        publish(rt.settings, submitted())
        wait_until(lambda: fact_count(rt) == 1, 30, what="the slow event")
        time.sleep(3)
    assert len(calls) == 1, "the message was redelivered: the connection died during the handler"
    assert depth(rt.settings, topology.queue_name("reports")) == 0


def test_consumer_waits_for_a_broker_that_is_not_there_yet(reports_rt):
    from harness.private import closed_amqp_url

    absent = reports_rt.settings.model_copy(update={"amqp_url": closed_amqp_url()})
    c = consumer(reports_rt, reports.HANDLERS, inbox)
    c.settings = absent
    with running(c.run):
        time.sleep(1.5)  # it retries with backoff rather than dying
    assert drain(reports_rt.settings, topology.queue_name("reports")) == []
