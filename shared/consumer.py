"""The consumer loop: connect → declare → qos → consume → handle in a transaction → ack after commit.

Handlers run on a worker thread while the connection's own thread keeps serving heartbeats, so
a slow handler never gets the connection closed under it; the ack is handed back to the
connection's thread with ``add_callback_threadsafe``. The event id goes into the inbox table in
the handler's transaction, so a redelivered event is acknowledged and changes nothing.
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Mapping

from sqlalchemy import Engine, Table

from shared import events, logs, metrics, topology
from shared.broker import RETRYABLE, Publisher, connect
from shared.config import Settings
from shared.db import insert_ignore, is_transient, utcnow
from shared.uow import Handler, Unit

log = logging.getLogger(__name__)
MAX_DELAY = 30.0


class Consumer:
    def __init__(self, settings: Settings, engine: Engine, inbox: Table, outbox: Table | None,
                 handlers: Mapping[str, Handler]):
        self.settings = settings
        self.engine = engine
        self.inbox = inbox
        self.outbox = outbox
        self.handlers = dict(handlers)
        self.queue = topology.queue_name(settings.service)
        self.stop = threading.Event()
        self._consuming = False

    # -- the connection's thread -------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set, reconnecting with a delay that grows to 30 s."""
        self.stop = stop
        delay = 1.0
        while not stop.is_set():
            try:
                self._consume_once()
            except RETRYABLE as exc:  # broker restart (320), lost socket, refused connection
                log.warning("broker connection lost; reconnecting",
                            extra={"error": type(exc).__name__, "retry_in": delay})
            if self._consuming:  # consuming worked: the next outage starts from a short delay
                delay, self._consuming = 1.0, False
            stop.wait(delay)
            delay = min(delay * 2, MAX_DELAY)

    def _consume_once(self) -> None:
        conn = connect(self.settings)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.settings.service}-handler")
        try:
            channel = conn.channel()
            topology.declare(channel, self.settings.exchange, self.settings.delivery_limit)
            channel.basic_qos(prefetch_count=self.settings.prefetch)
            channel.basic_consume(self.queue, functools.partial(self._on_message, conn, executor),
                                  auto_ack=False)
            self._consuming = True
            log.info("consuming", extra={"queue": self.queue})
            while not self.stop.is_set():
                conn.process_data_events(time_limit=0.5)
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
            if conn.is_open:
                try:
                    conn.process_data_events(time_limit=0)  # flush acks handed over at shutdown
                    conn.close()
                except RETRYABLE:
                    pass

    def _on_message(self, conn, executor, channel, method, properties, body) -> None:
        executor.submit(self._process_logged, conn, channel, method, properties, body)

    def _process_logged(self, *args) -> None:
        try:
            self._process(*args)
        except Exception:  # noqa: BLE001 - unacked, so the broker redelivers it
            log.exception("event left unacknowledged for redelivery")

    # -- the handler thread --------------------------------------------------------------------
    def _process(self, conn, channel, method, properties, body) -> None:
        settle = functools.partial(self._settle_threadsafe, conn, channel, method.delivery_tag)
        try:
            envelope, payload = events.decode(body)
        except events.EventError as exc:
            self._dead_letter(method, properties, body, str(exc), properties.type or "unknown")
            settle("ack")
            return
        started = time.perf_counter()
        with logs.context(correlation_id=envelope.correlation_id, event_id=envelope.id,
                          event_type=envelope.type):
            outcome = self._handle(envelope, payload, method, properties, body)
        if outcome is None:  # stopping while the database is away: leave it to be redelivered
            return
        metrics.EVENTS_CONSUMED.labels(self.settings.service, envelope.type, outcome).inc()
        metrics.EVENT_SECONDS.labels(self.settings.service, envelope.type).observe(time.perf_counter() - started)
        settle("nack" if outcome == "requeued" else "ack")

    def _handle(self, envelope, payload, method, properties, body) -> str | None:
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return "ignored"
        backoff = 0.5
        while not self.stop.is_set():
            try:
                with self.engine.begin() as conn:
                    if not insert_ignore(conn, self.inbox, {"event_id": envelope.id, "type": envelope.type,
                                                            "processed_at": utcnow()}):
                        return "duplicate"
                    handler(Unit(conn, self.outbox, self.settings), envelope, payload)
                return "processed"
            except Exception as exc:  # noqa: BLE001 - sorted into transient, retry and dead letter
                if is_transient(exc):
                    log.warning("database unavailable; holding the event",
                                extra={"error": type(exc).__name__, "retry_in": backoff})
                    self.stop.wait(backoff)
                    backoff = min(backoff * 2, MAX_DELAY)
                    continue
                return self._fail(envelope, exc, method, properties, body)
        return None

    def _fail(self, envelope, exc, method, properties, body) -> str:
        attempt = int((properties.headers or {}).get("x-delivery-count", 0)) + 1
        reason = f"{type(exc).__name__}: {_safe_message(exc)}"
        if attempt < self.settings.max_attempts:
            log.warning("handler failed; requeued", extra={"attempt": attempt, "error": reason})
            return "requeued"
        self._dead_letter(method, properties, body, reason, envelope.type, attempt)
        return "dead_lettered"

    def _dead_letter(self, method, properties, body, reason, etype, attempt=1) -> None:
        """Park the message in the service's dead-letter queue with its reason, confirmed."""
        log.error("event dead-lettered", extra={"reason": reason, "event_type": etype, "attempt": attempt})
        publisher = Publisher(self.settings)
        try:
            publisher.publish(topology.dead_queue_name(self.settings.service), body, exchange="",
                              message_id=properties.message_id or "", type=etype,
                              correlation_id=properties.correlation_id,
                              headers={"x-xinsheng-reason": reason[:500],
                                       "x-xinsheng-routing-key": method.routing_key,
                                       "x-xinsheng-attempts": attempt,
                                       "x-xinsheng-failed-at": utcnow().isoformat()})
        finally:
            publisher.close()
        metrics.DEAD_LETTERS.labels(self.settings.service, etype).inc()

    @staticmethod
    def _settle_threadsafe(conn, channel, tag, how: str) -> None:
        def settle():
            if channel.is_open:
                channel.basic_ack(tag) if how == "ack" else channel.basic_nack(tag, requeue=True)
        try:
            conn.add_callback_threadsafe(settle)
        except RETRYABLE:
            pass  # the connection is gone: the broker redelivers, the inbox absorbs it


def _safe_message(exc: Exception) -> str:
    """An error's message, cut short: database errors quote parameters, so only their first line."""
    return str(exc).splitlines()[0][:200] if str(exc) else ""
