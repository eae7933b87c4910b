"""The outbox relay: publishes committed outbox rows with confirms, then marks them sent.

A row is marked only after the broker confirmed it, in the transaction that claimed it, so a
crash between the two publishes it again (consumers are idempotent) and never loses it.
Rows are found by "not yet published", never by "id above the last one seen": ids are taken
before commit, so a lower id can commit later (FIELD-NOTES).

A row the broker refuses (unroutable under ``mandatory``, or nacked) is tried again with the next
batches; after ``PARK_AFTER`` refusals it is parked: kept, no longer claimed, counted in
``xinsheng_outbox_parked`` (an alert), listed and put back by ``python -m services dead-letters``.
Without parking, a batch's worth of rows refused for good would hold back every row behind them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine, Table, delete, func, select, update

from shared import clock, metrics, worker
from shared.broker import Message, Publisher
from shared.config import Settings

log = logging.getLogger(__name__)
KEEP_PUBLISHED = timedelta(hours=1)
PARK_AFTER = 5  # refusals before a row is parked


class Relay:
    def __init__(self, settings: Settings, engine: Engine, outbox: Table, publisher: Publisher | None = None):
        self.settings = settings
        self.engine = engine
        self.outbox = outbox
        self.publisher = publisher or Publisher(settings)

    def run_once(self) -> int:
        """Publish one batch of unpublished rows; returns how many were confirmed.

        If the connection fails while confirms are outstanding, no row of the batch is marked:
        all are published again later (consumers are idempotent), none is lost.
        """
        t = self.outbox.c
        claim = (
            select(t.seq, t.event_id, t.type, t.correlation_id, t.body, t.attempts)
            .where(t.published_at.is_(None), t.attempts < PARK_AFTER)
            .order_by(t.seq)
            .limit(self.settings.relay_batch)
            .with_for_update(skip_locked=True)
        )  # several relays on PostgreSQL never share a row
        with self.engine.begin() as conn:
            rows = conn.execute(claim).all()
            if not rows:
                return 0
            taken = self.publisher.publish_batch(
                [Message(r.type, r.body.encode(), r.event_id, r.type, r.correlation_id) for r in rows]
            )
            confirmed = [r.seq for r, ok in zip(rows, taken, strict=True) if ok]
            refused = [r for r, ok in zip(rows, taken, strict=True) if not ok]
            if confirmed:
                conn.execute(update(self.outbox).where(t.seq.in_(confirmed)).values(published_at=clock.now()))
            if refused:
                conn.execute(
                    update(self.outbox)
                    .where(t.seq.in_([r.seq for r in refused]))
                    .values(attempts=t.attempts + 1)
                )
        for r in refused:
            metrics.PUBLISH_ERRORS.labels(self.settings.service, "refused").inc()
            parked = r.attempts + 1 >= PARK_AFTER
            log.error(
                "broker refused an outbox event; " + ("it is parked" if parked else "it stays unpublished"),
                extra={"event_id": r.event_id, "event_type": r.type, "attempts": r.attempts + 1},
            )
        for r, ok in zip(rows, taken, strict=True):
            if ok:
                metrics.EVENTS_PUBLISHED.labels(self.settings.service, r.type).inc()
        return len(confirmed)

    def purge(self) -> int:
        """Forget rows published more than an hour ago; the table stays small."""
        with self.engine.begin() as conn:
            return conn.execute(
                delete(self.outbox).where(self.outbox.c.published_at < clock.now() - KEEP_PUBLISHED)
            ).rowcount

    def run(self, stop: threading.Event) -> None:
        """Relay until ``stop`` is set, waiting out the broker or the database when they are away."""
        self._last_purge = 0.0
        worker.repeat(
            stop,
            self._step,
            lambda: self.publisher.sleep(self.settings.relay_idle_seconds),
            "outbox relay",
            self._failed,
        )
        self.publisher.close()

    def _step(self) -> bool:
        """One batch; True when the batch was full (more may be waiting). Purges once a minute."""
        full = self.run_once() >= self.settings.relay_batch
        if time.monotonic() - self._last_purge > 60:
            self.purge()
            self._last_purge = time.monotonic()
        return full

    def _failed(self, exc: Exception) -> None:
        metrics.PUBLISH_ERRORS.labels(self.settings.service, type(exc).__name__).inc()
        self.publisher.close()


@dataclass(frozen=True)
class Parked:
    event_id: str
    type: str
    attempts: int
    created_at: datetime


def parked(engine: Engine, outbox: Table) -> list[Parked]:
    """The rows parked after the broker refused them again and again, oldest first."""
    t = outbox.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.event_id, t.type, t.attempts, t.created_at)
            .where(t.published_at.is_(None), t.attempts >= PARK_AFTER)
            .order_by(t.seq)
        ).all()
    return [Parked(r.event_id, r.type, r.attempts, r.created_at) for r in rows]


def unpark(engine: Engine, outbox: Table, event_ids: set[str] | None = None) -> int:
    """Give parked rows (all, or those named) to the relay again, once the cause is mended."""
    t = outbox.c
    which = [t.published_at.is_(None), t.attempts >= PARK_AFTER]
    if event_ids is not None:
        which.append(t.event_id.in_(event_ids))
    with engine.begin() as conn:
        return conn.execute(update(outbox).where(*which).values(attempts=0)).rowcount


class PendingCollector:
    """``xinsheng_outbox_pending{service}`` (rows not yet confirmed by the broker) and
    ``xinsheng_outbox_parked{service}`` (rows parked after refusals), read at scrape time."""

    def __init__(self, service: str, engine: Engine, outbox: Table):
        self.service, self.engine, self.outbox = service, engine, outbox

    def collect(self) -> Iterator[GaugeMetricFamily]:
        t = self.outbox.c
        waiting = t.published_at.is_(None)
        with self.engine.connect() as conn:
            pending, parked_rows = conn.execute(
                select(func.count(), func.count().filter(t.attempts >= PARK_AFTER)).where(waiting)
            ).one()
        for name, doc, value in (
            ("xinsheng_outbox_pending", "Outbox events not yet published.", pending),
            ("xinsheng_outbox_parked", "Outbox events parked after the broker refused them.", parked_rows),
        ):
            family = GaugeMetricFamily(name, doc, labels=["service"])
            family.add_metric([self.service], value)
            yield family
