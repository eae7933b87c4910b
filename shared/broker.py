"""Connections and the confirming publisher. One connection per thread; pika is not thread-safe."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.channel import Channel
from pika.exceptions import AMQPError
from pika.frame import Method
from pika.spec import Basic

from shared import topology
from shared.config import Settings

log = logging.getLogger(__name__)

# Errors after which a fresh connection may succeed: the broker restarting (320
# CONNECTION_FORCED arrives as ConnectionClosedByBroker), the socket lost, a channel closed.
RETRYABLE = (AMQPError, OSError)


def parameters(settings: Settings, heartbeat: int | None = None) -> pika.URLParameters:
    params = pika.URLParameters(settings.amqp_url)
    params.heartbeat = settings.heartbeat if heartbeat is None else heartbeat
    params.blocked_connection_timeout = 60  # a publish blocked by a broker alarm must not hang forever
    params.connection_attempts = 1
    params.socket_timeout = 5
    params.client_properties = {"connection_name": f"xinsheng-{settings.service}"}
    return params


def connect(settings: Settings, heartbeat: int | None = None) -> pika.BlockingConnection:
    return pika.BlockingConnection(parameters(settings, heartbeat))


@dataclass(frozen=True)
class Message:
    routing_key: str
    body: bytes
    message_id: str
    type: str
    correlation_id: str | None = None
    headers: dict[str, Any] | None = None


class Refused(Exception):
    """The broker refused a message (unroutable with ``mandatory``, or nacked)."""


class Publisher:
    """Publishes persistent messages with publisher confirms and ``mandatory``.

    ``publish_batch`` sends a whole batch and then waits for the broker's confirms together (a
    window of outstanding confirms: one wait per batch, not per message). A message counts as
    published only once acked and not returned.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._conn: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._next_tag = 0
        self._settled: dict[int, bool] = {}
        self._pending: dict[int, str] = {}  # delivery tag → message id, of the batch in flight
        self._returned: set[str | None] = set()  # message ids the broker returned as unroutable

    def _ensure(self) -> tuple[pika.BlockingConnection, Channel]:
        """The connection and the channel to publish on, opened and put in confirm mode if need be."""
        if self._conn is None or self._channel is None or not self._channel.is_open:
            self.close()
            self._conn = connect(self.settings)
            self._channel = self._conn.channel()
            topology.declare(self._channel, self.settings.exchange, self.settings.delivery_limit)
            self._next_tag, self._settled, self._pending, self._returned = 0, {}, {}, set()
            # The blocking channel waits for every confirm; its underlying channel lets us keep a
            # window of them outstanding. We drive its I/O through the blocking connection.
            impl = _underlying(self._channel)
            selected: list[bool] = []
            impl.add_on_return_callback(lambda _ch, _m, props, _b: self._returned.add(props.message_id))
            impl.confirm_delivery(self._on_confirm, callback=lambda _frame: selected.append(True))
            self._wait(self._conn, lambda: selected, "confirm mode")
        return self._conn, _underlying(self._channel)

    def _on_confirm(self, frame: Method[Basic.Ack | Basic.Nack]) -> None:
        ack = isinstance(frame.method, pika.spec.Basic.Ack)
        tag = frame.method.delivery_tag
        tags = [t for t in self._pending if t <= tag] if frame.method.multiple else [tag]
        for t in tags:
            self._settled[t] = ack

    @staticmethod
    def _wait(
        conn: pika.BlockingConnection, done: Callable[[], object], what: str, timeout: float = 30.0
    ) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise pika.exceptions.AMQPConnectionError(f"no answer from the broker for {what}")
            conn.process_data_events(time_limit=0.05)

    def publish_batch(self, messages: Sequence[Message], exchange: str | None = None) -> list[bool]:
        """Publish every message, then wait for all confirms; True for each one the broker took."""
        conn, impl = self._ensure()
        exchange = self.settings.exchange if exchange is None else exchange
        self._pending = {}
        for m in messages:
            impl.basic_publish(
                exchange,
                m.routing_key,
                m.body,
                pika.BasicProperties(
                    content_type="application/json",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=m.message_id,
                    type=m.type,
                    correlation_id=m.correlation_id,
                    headers=m.headers,
                    app_id=self.settings.service,
                ),
                mandatory=True,
            )
            self._next_tag += 1
            self._pending[self._next_tag] = m.message_id
        self._wait(conn, lambda: all(t in self._settled for t in self._pending), "publisher confirms")
        taken = [self._settled.pop(t) and mid not in self._returned for t, mid in self._pending.items()]
        self._returned.difference_update(self._pending.values())
        return taken

    def publish(
        self,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        type: str,
        correlation_id: str | None = None,
        exchange: str | None = None,
        headers: dict[str, Any] | None = None,
    ) -> None:
        """Publish one message and wait for its confirm; ``Refused`` if the broker did not take it."""
        message = Message(routing_key, body, message_id, type, correlation_id, headers)
        if not self.publish_batch([message], exchange)[0]:
            raise Refused(f"the broker refused {type} {message_id}")

    def sleep(self, seconds: float) -> None:
        """Wait while keeping the connection's heartbeats served."""
        if self._conn is not None and self._conn.is_open:
            self._conn.sleep(seconds)
        else:
            time.sleep(seconds)

    def close(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None and conn.is_open:
            with contextlib.suppress(*RETRYABLE):
                conn.close()


def delivery_tag(method: Basic.Deliver | Basic.GetOk) -> int:
    """The number the broker gives every delivery, to ack it by (pika's types leave it optional)."""
    assert method.delivery_tag is not None
    return method.delivery_tag


def _underlying(channel: BlockingChannel) -> Channel:
    """The asynchronous channel a blocking channel drives: it can keep confirms outstanding."""
    impl: Channel = channel._impl  # type: ignore[attr-defined]  # private in pika, absent from its stubs
    return impl
