"""Connections and the confirming publisher. One connection per thread; pika is not thread-safe."""
from __future__ import annotations

import logging
import time

import pika
from pika.exceptions import AMQPError

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


class Publisher:
    """Publishes persistent messages with publisher confirms and ``mandatory``.

    ``publish`` returns only once the broker has confirmed the message; it raises
    ``UnroutableError`` or ``NackError`` otherwise, and connection errors as they come.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._conn: pika.BlockingConnection | None = None
        self._channel = None

    def _ensure(self):
        if self._channel is None or not self._channel.is_open:
            self.close()
            self._conn = connect(self.settings)
            self._channel = self._conn.channel()
            topology.declare(self._channel, self.settings.exchange, self.settings.delivery_limit)
            self._channel.confirm_delivery()
        return self._channel

    def publish(self, routing_key: str, body: bytes, *, message_id: str, type: str,
                correlation_id: str | None = None, exchange: str | None = None,
                headers: dict | None = None) -> None:
        channel = self._ensure()
        properties = pika.BasicProperties(
            content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent,
            message_id=message_id, type=type, correlation_id=correlation_id, headers=headers,
            app_id=self.settings.service)
        channel.basic_publish(self.settings.exchange if exchange is None else exchange,
                              routing_key, body, properties, mandatory=True)

    def sleep(self, seconds: float) -> None:
        """Wait while keeping the connection's heartbeats served."""
        if self._conn is not None and self._conn.is_open:
            self._conn.sleep(seconds)
        else:
            time.sleep(seconds)

    def close(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None and conn.is_open:
            try:
                conn.close()
            except RETRYABLE:
                pass
