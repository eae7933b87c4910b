"""Delivering an event to a service's handlers as its consumer would, without a broker: one helper
for every test that needs it."""

from __future__ import annotations

import importlib
import uuid

from sqlalchemy import func, select

from shared import clock, events
from shared.bootstrap import Runtime
from shared.uow import unit_of_work

_TYPE_OF = {}
for (_etype, _version), _model in events.PAYLOADS.items():
    _TYPE_OF.setdefault(_model, set()).add(_etype)


def demand_submitted(**changes) -> events.GrievanceSubmitted:
    """A ``grievance.submitted`` payload as intake makes it: an anonymous wage demand at E001 from the
    web form, with ``changes``."""
    fields = dict(
        grievance_id=str(uuid.uuid4()),
        tracking_code="ABCD-EFGH-JKMN",
        enterprise_code="E001",
        category="wages",
        urgency="normal",
        channel="web",
        anonymous=True,
        about_chair=False,
        description="工资拖欠三个月 wages three months late",
        submitted_at=clock.now(),
    )
    return events.GrievanceSubmitted(**(fields | changes))


def outbox_of(rt: Runtime):
    """The service's outbox table (None for a service that publishes nothing)."""
    return getattr(importlib.import_module(f"services.{rt.settings.service}.models"), "outbox", None)


def deliver(
    rt: Runtime,
    payload: events.Frozen,
    etype: str | None = None,
    producer: str = "test",
) -> list[tuple[events.Envelope, events.Frozen]]:
    """Hand ``payload`` to the service's handler, under a new event id and after the encoding round
    trip the broker makes, in one transaction; what the handler published through the outbox.
    ``etype`` is needed only where one payload model serves two event types."""
    if etype is None:
        [etype] = _TYPE_OF[type(payload)]
    envelope = events.make(etype, payload, producer, getattr(payload, "grievance_id", None))
    return handle(rt, *events.decode(events.encode(envelope)))


def handle(
    rt: Runtime,
    envelope: events.Envelope,
    payload: events.Frozen,
) -> list[tuple[events.Envelope, events.Frozen]]:
    """Hand an event as it arrived to the service's handler table in one transaction (an event the
    service does not handle is ignored, as its consumer acks it); what the handler published."""
    handlers = importlib.import_module(f"services.{rt.settings.service}.handlers").HANDLERS
    if envelope.type not in handlers:
        return []
    outbox = outbox_of(rt)
    since = last_seq(rt)
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        handlers[envelope.type](uow, envelope, payload)
    return published(rt, after=since)


def published(
    rt: Runtime, etype: str | None = None, after: int = 0
) -> list[tuple[events.Envelope, events.Frozen]]:
    """The events in the service's outbox (of one type, after sequence number ``after``), in order."""
    outbox = outbox_of(rt)
    if outbox is None:
        return []
    query = select(outbox.c.body).where(outbox.c.seq > after).order_by(outbox.c.seq)
    if etype is not None:
        query = query.where(outbox.c.type == etype)
    with rt.engine.connect() as conn:
        return [events.decode(body.encode()) for body in conn.execute(query).scalars()]


def payloads(rt: Runtime, etype: str, after: int = 0) -> list[events.Frozen]:
    """The payloads of one event type in the service's outbox."""
    return [payload for _envelope, payload in published(rt, etype, after)]


def last_seq(rt: Runtime) -> int:
    """The outbox's last sequence number (0 when empty or when there is no outbox)."""
    outbox = outbox_of(rt)
    if outbox is None:
        return 0
    with rt.engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(outbox.c.seq), 0))).scalar()
