"""The outbox relay: publishes committed outbox rows with confirms, then marks them sent.

A row is marked only after the broker confirmed it, in the transaction that claimed it, so a
crash between the two publishes it again (consumers are idempotent) and never loses it.
Rows are found by "not yet published", never by "id above the last one seen": ids are taken
before commit, so a lower id can commit later (FIELD-NOTES).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine, Table, delete, func, select, update

from shared import clock, metrics, worker
from shared.broker import Message, Publisher
from shared.config import Settings

log = logging.getLogger(__name__)
KEEP_PUBLISHED = timedelta(hours=1)


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
            select(t.seq, t.event_id, t.type, t.correlation_id, t.body)
            .where(t.published_at.is_(None))
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
            log.error(
                "broker refused an outbox event; it stays unpublished",
                extra={"event_id": r.event_id, "event_type": r.type},
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


class PendingCollector:
    """``xinsheng_outbox_pending{service}``: rows not yet confirmed by the broker, read at scrape time."""

    def __init__(self, service: str, engine: Engine, outbox: Table):
        self.service, self.engine, self.outbox = service, engine, outbox

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "xinsheng_outbox_pending", "Outbox events not yet published.", labels=["service"]
        )
        with self.engine.connect() as conn:
            pending = conn.execute(
                select(func.count()).select_from(self.outbox).where(self.outbox.c.published_at.is_(None))
            ).scalar_one()
        family.add_metric([self.service], pending)
        yield family
