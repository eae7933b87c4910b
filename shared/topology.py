"""The RabbitMQ topology, declared idempotently by every service when it starts.

Every service declares all of it, so a message published before its consumer first ran is
still routed to that consumer's durable queue, never dropped as unroutable.

``BINDINGS`` is the one table of who consumes what. ``shared/`` imports no service, so it cannot
derive the table from the services' handler tables; instead a test
(``tests/unit/shared/test_topology.py``) proves that each service's bindings are exactly the event
types its ``HANDLERS`` handle: an event is never routed to a service that would only ack it as
ignored, and never handled by a service it is not routed to.
"""

from __future__ import annotations

from pika.adapters.blocking_connection import BlockingChannel

DEAD_EXCHANGE = "xinsheng.dead"

# Which event types each consuming service's queue is bound to.
BINDINGS: dict[str, tuple[str, ...]] = {
    "companion": (
        "enterprise.updated",
        "calendar.year_loaded",
        "staff.revoked",
        "grievance.submitted",
        "case.assigned",
        "case.status_changed",
    ),
    "intake": (
        "case.assigned",
        "case.status_changed",
        "case.supervision_raised",
        "case.clock_paused",
        "case.clock_resumed",
        "enterprise.updated",
        "staff.revoked",
    ),
    "routing": ("grievance.submitted", "grievance.feedback_given"),
    "notify": (
        "grievance.contact_shared",
        "case.assigned",
        "case.status_changed",
        "case.supervision_raised",
        "case.reminder_due",
        "companion_day.missed",
        "staff.revoked",
    ),
    "reports": (
        "grievance.submitted",
        "grievance.feedback_given",
        "case.assigned",
        "case.status_changed",
        "case.supervision_raised",
        "case.deadline_extended",
        "case.deadlines_changed",
        "case.clock_paused",
        "case.clock_resumed",
        "notification.sent",
        "notification.failed",
        "enterprise.updated",
        "staff.revoked",
        "companion_day.decided",
    ),
}


def queue_name(service: str) -> str:
    return f"xinsheng.{service}"


def dead_queue_name(service: str) -> str:
    return f"xinsheng.{service}.dead"


def queue_arguments(service: str, delivery_limit: int) -> dict[str, str | int]:
    """A quorum queue that dead-letters at least once into the service's dead-letter queue."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": DEAD_EXCHANGE,
        "x-dead-letter-routing-key": service,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",  # at-least-once dead-lettering requires it
    }


def declare(channel: BlockingChannel, exchange: str, delivery_limit: int) -> None:
    """Declare exchanges, queues and bindings; safe to repeat with the same settings."""
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    channel.exchange_declare(DEAD_EXCHANGE, exchange_type="direct", durable=True)
    for service, keys in BINDINGS.items():
        dead = dead_queue_name(service)
        channel.queue_declare(dead, durable=True, arguments={"x-queue-type": "quorum"})
        channel.queue_bind(dead, DEAD_EXCHANGE, routing_key=service)
        queue = queue_name(service)
        channel.queue_declare(queue, durable=True, arguments=queue_arguments(service, delivery_limit))
        for key in keys:
            channel.queue_bind(queue, exchange, routing_key=key)
