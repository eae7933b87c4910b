"""Dead letters: list a service's dead-letter queue and replay messages into its queue alone."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import Basic, BasicProperties

from shared import topology
from shared.broker import connect, delivery_tag
from shared.config import Settings


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    type: str
    routing_key: str
    reason: str
    attempts: int
    failed_at: str


def _describe(properties: BasicProperties, method: Basic.GetOk) -> DeadLetter:
    headers: Mapping[str, Any] = properties.headers or {}  # tables the broker and our consumer wrote
    deaths = headers.get("x-death") or [{}]
    routing_key = (
        headers.get("x-xinsheng-routing-key") or (deaths[0].get("routing-keys") or [method.routing_key])[0]
    )
    reason = headers.get("x-xinsheng-reason") or f"broker: {deaths[0].get('reason', 'unknown')}"
    return DeadLetter(
        properties.message_id or "",
        properties.type or "",
        _text(routing_key),
        _text(reason),
        int(headers.get("x-xinsheng-attempts", 0) or 0),
        _text(headers.get("x-xinsheng-failed-at", "")),
    )


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _each(channel: BlockingChannel, queue: str) -> Iterator[tuple[Basic.GetOk, BasicProperties, bytes]]:
    """Every message now in the queue, held unacknowledged until the channel closes."""
    while True:
        got = channel.basic_get(queue, auto_ack=False)
        if got[0] is None:
            return
        yield got


def list_dead(settings: Settings, service: str) -> list[DeadLetter]:
    conn = connect(settings, heartbeat=0)
    try:
        channel = conn.channel()
        return [_describe(p, m) for m, p, _ in _each(channel, topology.dead_queue_name(service))]
    finally:
        conn.close()  # unacknowledged messages go back to the queue


def replay(settings: Settings, service: str, message_ids: set[str] | None = None) -> int:
    """Publish dead letters (all, or those with the given ids) back to the service's own queue."""
    conn = connect(settings, heartbeat=0)
    replayed = 0
    try:
        channel = conn.channel()
        channel.confirm_delivery()
        for method, properties, body in _each(channel, topology.dead_queue_name(service)):
            if message_ids is not None and properties.message_id not in message_ids:
                continue
            channel.basic_publish(
                "",
                topology.queue_name(service),
                body,
                pika.BasicProperties(
                    content_type=properties.content_type,
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=properties.message_id,
                    type=properties.type,
                    correlation_id=properties.correlation_id,
                ),
                mandatory=True,
            )
            channel.basic_ack(delivery_tag(method))  # only after the broker confirmed the replay
            replayed += 1
    finally:
        conn.close()
    return replayed
