"""The outbox relay on a real RabbitMQ and PostgreSQL: confirmed, never lost, never skipped."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from services.intake.models import outbox
from shared import clock, events, topology
from shared.outbox import Relay
from shared.uow import unit_of_work
from tests.integration.messaging import drain

pytestmark = pytest.mark.integration


def emit(rt, n: int, conn=None) -> list[str]:
    ids = []
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        for _ in range(n):
            gid = str(uuid.uuid4())
            ids.append(
                uow.emit(
                    "grievance.feedback_given",
                    events.GrievanceFeedbackGiven(grievance_id=gid, satisfied=True),
                    gid,
                ).id
            )
    return ids


def routed_ids(rt) -> list[str]:
    return [p.message_id for p, _ in drain(rt.settings, topology.queue_name("routing"))]


def unpublished(rt) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        ).scalar()


@pytest.fixture
def intake_rt(pg_runtime):
    return pg_runtime("intake", relay_batch=100)


def test_relay_publishes_committed_rows_and_marks_them_sent(intake_rt):
    ids = emit(intake_rt, 250)
    relay = Relay(intake_rt.settings, intake_rt.engine, outbox)
    while relay.run_once():
        pass
    relay.publisher.close()
    assert unpublished(intake_rt) == 0
    assert sorted(routed_ids(intake_rt)) == sorted(ids)


def test_two_relays_at_once_never_publish_a_row_twice(intake_rt):
    ids = emit(intake_rt, 1500)
    relays = [Relay(intake_rt.settings, intake_rt.engine, outbox) for _ in range(2)]
    counts = [0, 0]

    def work(i):
        while n := relays[i].run_once():
            counts[i] += n
        relays[i].publisher.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    published = routed_ids(intake_rt)
    assert sorted(published) == sorted(ids), "every row published exactly once"
    assert all(counts), f"both relays took a share of the work: {counts}"


def test_a_row_committed_after_a_later_one_is_still_published(intake_rt):
    relay = Relay(intake_rt.settings, intake_rt.engine, outbox)
    slow = intake_rt.engine.connect()
    slow_tx = slow.begin()
    gid = str(uuid.uuid4())
    early = events.make(
        "grievance.feedback_given",
        events.GrievanceFeedbackGiven(grievance_id=gid, satisfied=False),
        "intake",
        gid,
    )
    slow.execute(
        outbox.insert().values(
            event_id=early.id,
            type=early.type,
            correlation_id=gid,
            body=events.encode(early).decode(),
            created_at=early.occurred_at,
        )
    )  # takes the lower seq
    later = emit(intake_rt, 1)  # commits first, with a higher seq
    relay.run_once()
    slow_tx.commit()
    slow.close()
    relay.run_once()
    relay.publisher.close()
    assert routed_ids(intake_rt) == [later[0], early.id]
    assert unpublished(intake_rt) == 0


def test_an_event_nobody_listens_to_stays_unpublished_and_does_not_block_the_rest(intake_rt):

    with intake_rt.engine.begin() as conn:
        conn.execute(
            outbox.insert().values(
                event_id=str(uuid.uuid4()), type="nobody.listens", body="{}", created_at=clock.now()
            )
        )
    ids = emit(intake_rt, 3)
    relay = Relay(intake_rt.settings, intake_rt.engine, outbox)
    assert relay.run_once() == 3
    relay.publisher.close()
    assert sorted(routed_ids(intake_rt)) == sorted(ids)
    with intake_rt.engine.connect() as conn:
        stuck = conn.execute(
            select(outbox.c.type, outbox.c.attempts).where(outbox.c.published_at.is_(None))
        ).all()
    assert [tuple(r) for r in stuck] == [("nobody.listens", 1)]


def unroutable(rt, n: int) -> list[str]:
    """Rows of an event type no queue binds: the broker returns them under ``mandatory``."""
    ids = [str(uuid.uuid4()) for _ in range(n)]
    with rt.engine.begin() as conn:
        conn.execute(
            outbox.insert(),
            [
                {"event_id": i, "type": "nobody.binds_this", "body": "{}", "created_at": clock.now()}
                for i in ids
            ],
        )
    return ids


def test_rows_the_broker_refuses_for_good_are_parked_and_never_hold_back_the_rest(intake_rt):
    from shared.outbox import PARK_AFTER, PendingCollector, parked, unpark

    refused = unroutable(intake_rt, 100)  # a whole batch's worth, first in line
    good = emit(intake_rt, 30)
    relay = Relay(intake_rt.settings, intake_rt.engine, outbox)
    for _ in range(PARK_AFTER + 2):  # bounded: each run tries the oldest unpublished batch
        relay.run_once()
    relay.publisher.close()

    assert sorted(routed_ids(intake_rt)) == sorted(good)
    assert sorted(p.event_id for p in parked(intake_rt.engine, outbox)) == sorted(refused)
    gauges = {
        f.name: f.samples[0].value for f in PendingCollector("intake", intake_rt.engine, outbox).collect()
    }
    assert gauges == {"xinsheng_outbox_pending": 100, "xinsheng_outbox_parked": 100}

    assert unpark(intake_rt.engine, outbox, {refused[0]}) == 1
    assert len(parked(intake_rt.engine, outbox)) == 99
