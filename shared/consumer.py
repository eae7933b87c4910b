"""The consumer loop: connect → declare → qos → consume → handle in a transaction → ack after commit.

Handlers run on a handler thread while the connection's own thread keeps serving heartbeats, so a
slow handler never gets the connection closed under it; acks are handed back to the connection's
thread with ``add_callback_threadsafe``.

The handler thread takes whatever is waiting, up to ``batch_size`` messages, and handles them in
one transaction: their event ids are claimed in the inbox by one statement, so a redelivered event
is acknowledged and changes nothing, and one commit serves the batch. If a handler fails, the batch
is rolled back and its messages are handled one by one, so a poison message never takes its
neighbours with it.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pika import BlockingConnection
from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import Basic, BasicProperties
from sqlalchemy import Connection, Engine, Table

from shared import clock, events, failpoints, logs, metrics, topology
from shared.broker import RETRYABLE, Publisher, connect, delivery_tag
from shared.config import Settings
from shared.db import claim_new, is_transient
from shared.uow import Handler, Unit, finishing

log = logging.getLogger(__name__)
MAX_DELAY = 30.0


@dataclass(eq=False)  # deliveries are keys by identity
class Delivery:
    channel: BlockingChannel
    method: Basic.Deliver
    properties: BasicProperties
    body: bytes
    envelope: events.Envelope | None = None
    payload: events.Frozen | None = None

    def event(self) -> tuple[events.Envelope, events.Frozen]:
        """The decoded envelope and payload; only deliveries that decoded are handled."""
        assert self.envelope is not None and self.payload is not None
        return self.envelope, self.payload


class _BatchFailed(Exception):
    pass


class Consumer:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        inbox: Table,
        outbox: Table | None,
        handlers: Mapping[str, Handler],
    ):
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
                log.warning(
                    "broker connection lost; reconnecting",
                    extra={"error": type(exc).__name__, "retry_in": delay},
                )
            if self._consuming:  # consuming worked: the next outage starts from a short delay
                delay, self._consuming = 1.0, False
            stop.wait(delay)
            delay = min(delay * 2, MAX_DELAY)

    def _consume_once(self) -> None:
        conn = connect(self.settings)
        waiting: queue.Queue[Delivery] = queue.Queue()
        done = threading.Event()  # this connection is over: the handler thread finishes its batch
        worker = threading.Thread(
            target=self._work,
            args=(conn, waiting, done),
            daemon=True,
            name=f"{self.settings.service}-handler",
        )
        try:
            channel = conn.channel()
            topology.declare(channel, self.settings.exchange, self.settings.delivery_limit)
            channel.basic_qos(prefetch_count=self.settings.prefetch)
            channel.basic_consume(
                self.queue, lambda ch, m, p, b: waiting.put(Delivery(ch, m, p, b)), auto_ack=False
            )
            worker.start()
            self._consuming = True
            log.info("consuming", extra={"queue": self.queue})
            while not self.stop.is_set():
                conn.process_data_events(time_limit=0.5)
        finally:
            done.set()
            if worker.is_alive():
                worker.join()
            if conn.is_open:
                try:
                    conn.process_data_events(time_limit=0)  # flush acks handed over at the end
                    conn.close()
                except RETRYABLE:
                    pass

    # -- the handler thread --------------------------------------------------------------------
    def _work(self, conn: BlockingConnection, waiting: queue.Queue[Delivery], done: threading.Event) -> None:
        while not done.is_set():
            try:
                batch = [waiting.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(batch) < self.settings.batch_size:
                try:
                    batch.append(waiting.get_nowait())
                except queue.Empty:
                    break
            try:
                self._process(conn, batch, done)
            except Exception:
                log.exception("events left unacknowledged for redelivery")

    def _process(self, conn: BlockingConnection, batch: list[Delivery], done: threading.Event) -> None:
        handled: list[Delivery] = []
        for d in batch:
            try:
                d.envelope, d.payload = events.decode(d.body)
            except events.EventError as exc:
                self._dead_letter(d, str(exc), d.properties.type or "unknown")
                self._settle(conn, [(d, "ack")])
                continue
            if d.envelope.type in self.handlers:
                handled.append(d)
            else:
                self._record(d, "ignored")
                self._settle(conn, [(d, "ack")])
        if not handled:
            return
        started = time.perf_counter()
        try:
            outcomes = self._handle(handled, done)
        except _BatchFailed:
            outcomes = {}
            for d in handled:
                outcomes.update(self._handle([d], done) or {})
        if not outcomes:  # the connection ended while the database was away: left for redelivery
            return
        failpoints.hit("consumer.after_commit")  # a crash here: committed, not acked
        per_event = (time.perf_counter() - started) / len(handled)
        for d, outcome in outcomes.items():
            self._record(d, outcome, per_event)
        self._settle(conn, [(d, "nack" if o == "requeued" else "ack") for d, o in outcomes.items()])

    def _handle(self, batch: list[Delivery], done: threading.Event) -> dict[Delivery, str] | None:
        """Handle the batch in one transaction; outcome per delivery, None if the connection ended."""
        backoff = 0.5
        while not done.is_set():
            try:
                with self.engine.begin() as conn:
                    return self._handle_in(conn, batch)
            except Exception as exc:
                if is_transient(exc):
                    log.warning(
                        "database unavailable; holding the events",
                        extra={"error": type(exc).__name__, "retry_in": backoff},
                    )
                    done.wait(backoff)
                    backoff = min(backoff * 2, MAX_DELAY)
                    continue
                if len(batch) > 1:
                    raise _BatchFailed() from exc
                return {batch[0]: self._fail(batch[0], exc)}
        return None

    def _handle_in(self, conn: Connection, batch: list[Delivery]) -> dict[Delivery, str]:
        """Handle the batch in the open transaction ``conn``; outcome per delivery."""
        with finishing(conn):  # then what the handlers left for the end of the transaction
            return self._handle_each(conn, batch)

    def _handle_each(self, conn: Connection, batch: list[Delivery]) -> dict[Delivery, str]:
        fresh = claim_new(
            conn,
            self.inbox,
            [
                {"event_id": envelope.id, "type": envelope.type, "processed_at": clock.now()}
                for envelope, _payload in map(Delivery.event, batch)
            ],
        )
        outcomes = {}
        for d in batch:
            envelope, payload = d.event()
            if envelope.id not in fresh:
                outcomes[d] = "duplicate"
                continue
            fresh.discard(envelope.id)  # the same event twice in one batch runs once
            with logs.context(
                correlation_id=envelope.correlation_id, event_id=envelope.id, event_type=envelope.type
            ):
                self.handlers[envelope.type](Unit(conn, self.outbox, self.settings), envelope, payload)
            outcomes[d] = "processed"
        return outcomes

    def _fail(self, d: Delivery, exc: Exception) -> str:
        headers: Mapping[str, Any] = d.properties.headers or {}
        attempt = int(headers.get("x-delivery-count", 0)) + 1
        reason = f"{type(exc).__name__}: {_safe_message(exc)}"
        envelope, _payload = d.event()
        with logs.context(
            correlation_id=envelope.correlation_id, event_id=envelope.id, event_type=envelope.type
        ):
            if attempt < self.settings.max_attempts:
                log.warning("handler failed; requeued", extra={"attempt": attempt, "error": reason})
                return "requeued"
            self._dead_letter(d, reason, envelope.type, attempt)
        return "dead_lettered"

    def _dead_letter(self, d: Delivery, reason: str, etype: str, attempt: int = 1) -> None:
        """Park the message in the service's dead-letter queue with its reason, confirmed."""
        log.error("event dead-lettered", extra={"reason": reason, "event_type": etype, "attempt": attempt})
        publisher = Publisher(self.settings)
        try:
            publisher.publish(
                topology.dead_queue_name(self.settings.service),
                d.body,
                exchange="",
                message_id=d.properties.message_id or "",
                type=etype,
                correlation_id=d.properties.correlation_id,
                headers={
                    "x-xinsheng-reason": reason[:500],
                    "x-xinsheng-routing-key": d.method.routing_key,
                    "x-xinsheng-attempts": attempt,
                    "x-xinsheng-failed-at": clock.now().isoformat(),
                },
            )
        finally:
            publisher.close()
        metrics.DEAD_LETTERS.labels(self.settings.service, etype).inc()

    def _record(self, d: Delivery, outcome: str, seconds: float | None = None) -> None:
        etype = d.envelope.type if d.envelope else "unknown"
        metrics.EVENTS_CONSUMED.labels(self.settings.service, etype, outcome).inc()
        if seconds is not None:
            metrics.EVENT_SECONDS.labels(self.settings.service, etype).observe(seconds)

    @staticmethod
    def _settle(conn: BlockingConnection, settlements: list[tuple[Delivery, str]]) -> None:
        """Ack or requeue on the connection's thread, after the commit."""

        def settle() -> None:
            for d, how in settlements:
                if d.channel.is_open:
                    if how == "ack":
                        d.channel.basic_ack(delivery_tag(d.method))
                    else:
                        d.channel.basic_nack(delivery_tag(d.method), requeue=True)

        # A connection already gone: the broker redelivers, the inbox absorbs it.
        with contextlib.suppress(*RETRYABLE):
            conn.add_callback_threadsafe(settle)


def _safe_message(exc: Exception) -> str:
    """An error's message, cut short: database errors quote parameters, so only their first line."""
    return str(exc).splitlines()[0][:200] if str(exc) else ""
