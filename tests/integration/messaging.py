"""Helpers for tests that talk to a real broker: run a consumer, publish, read a queue."""

from __future__ import annotations

import contextlib
import threading

import pika

from shared import events, topology
from shared.broker import Publisher, connect
from shared.config import Settings
from shared.consumer import Consumer


@contextlib.contextmanager
def running(loop):
    """Run ``loop(stop)`` on a thread for the duration of the block."""
    stop = threading.Event()
    thread = threading.Thread(target=loop, args=(stop,), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the loop did not stop"


def publish(
    settings: Settings, *envelopes: events.Envelope, raw: bytes | None = None, routing_key: str | None = None
) -> None:
    publisher = Publisher(settings)
    try:
        for envelope in envelopes:
            publisher.publish(
                envelope.type,
                events.encode(envelope),
                message_id=envelope.id,
                type=envelope.type,
                correlation_id=envelope.correlation_id,
            )
        if raw is not None:
            publisher.publish(routing_key, raw, message_id="raw", type=routing_key)
    finally:
        publisher.close()


def drain(settings: Settings, queue: str) -> list[tuple[pika.spec.BasicProperties, bytes]]:
    """Take every message now in ``queue`` (acknowledged: they are gone afterwards)."""
    conn = connect(settings, heartbeat=0)
    try:
        channel = conn.channel()
        topology.declare(channel, settings.exchange, settings.delivery_limit)
        out = []
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                return out
            channel.basic_ack(method.delivery_tag)
            out.append((properties, body))
    finally:
        conn.close()


def depth(settings: Settings, queue: str) -> int:
    conn = connect(settings, heartbeat=0)
    try:
        return conn.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        conn.close()


def consumer(rt, handlers, inbox, outbox=None) -> Consumer:
    return Consumer(rt.settings, rt.engine, inbox, outbox, handlers)
