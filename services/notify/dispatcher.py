"""Sends pending notifications and records the outcome, with its event, in one transaction.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers share the
work; on SQLite run one. A crash after the SMTP server took a message and before the commit
sends it again: the Message-ID is the notification's id, so mail clients fold the repeat.

A message is held back, without counting an attempt, while its channel's circuit is open
(``services/notify/circuit.py``) and, for SMS and group messages that are not urgent, outside the
daytime window (``services/notify/daytime.py``). A failed attempt is tried again after 10 s, 20 s,
40 s…; after ``max_send_attempts`` the message has failed for good: ``notification.failed``.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, select, update

from services.notify.channels import QUIET, Channels, SendFailed
from services.notify.circuit import Circuit
from services.notify.config import Settings
from services.notify.daytime import Window
from services.notify.models import notifications, outbox
from shared import clock, events, metrics, worker
from shared.uow import Unit, unit_of_work

log = logging.getLogger(__name__)

# Built once; the SET clause follows the parameters given (sent, failed, retry or wait).
_RECORD = update(notifications).where(notifications.c.id == bindparam("nid"))


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        channels: Channels | None = None,
        batch: int = 50,
        circuit: Circuit | None = None,
    ):
        self.settings, self.engine, self.batch = settings, engine, batch
        self.channels = channels or Channels(settings)
        self.window = Window.parse(settings.daytime)
        self.circuit = circuit or Circuit(
            settings.circuit_failures, timedelta(seconds=settings.circuit_cooldown)
        )

    def run_once(self) -> int:
        t = notifications.c
        with unit_of_work(self.engine, outbox, self.settings) as uow:
            rows = uow.conn.execute(
                select(notifications)
                .where(t.status == "pending", t.next_attempt_at <= clock.now())
                .order_by(t.next_attempt_at)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                self._deliver(uow, row)
        return len(rows)

    def held_until(self, row, now: datetime) -> datetime | None:
        """When a message that may not go now may go: outside the daytime window, or its channel's
        circuit open. None: it may go now."""
        if row.channel in QUIET and not row.urgent and not self.window.is_open(now):
            return self.window.next_open(now)
        key = self.channels.circuit_key(row)
        if key is not None and not self.circuit.allows(key, now):
            return self.circuit.reopens_at(key, now)
        return None

    def _deliver(self, uow: Unit, row) -> None:
        later = self.held_until(row, clock.now())
        if later is not None:
            uow.conn.execute(_RECORD, {"nid": row.id, "next_attempt_at": later})
            return
        attempt, error = row.attempts + 1, None
        try:
            self.channels.send(row)
        except SendFailed as exc:
            error = exc.reason
        key = self.channels.circuit_key(row)
        if key is not None:
            self.circuit.record(key, error is None, clock.now())
        if error is None:
            values, kind = {"status": "sent", "sent_at": clock.now(), "error": None}, "notification.sent"
        elif attempt >= self.settings.max_send_attempts:
            values, kind = {"status": "failed", "error": error}, "notification.failed"
        else:
            values, kind = {"error": error, "next_attempt_at": self._retry_at(row, attempt)}, None
        uow.conn.execute(_RECORD, {"nid": row.id, "attempts": attempt, **values})
        if error:
            metrics.NOTIFY_SEND_FAILURES.labels(row.channel).inc()
            log.warning(
                "notification not sent",
                extra={"notification_id": row.id, "channel": row.channel, "attempt": attempt, "error": error},
            )
        if kind:
            uow.emit(
                kind,
                events.NotificationOutcome(
                    notification_id=row.id,
                    case_id=row.case_id,
                    grievance_id=row.grievance_id,
                    channel=row.channel,
                    kind=row.kind,
                    attempt=attempt,
                    error=error,
                ),
                correlation_id=row.grievance_id,
            )

    def _retry_at(self, row, attempt: int) -> datetime:
        """After 10 s, 20 s, 40 s…; for a message that waits for the daytime, not before it."""
        retry = clock.now() + timedelta(seconds=5 * 2**attempt)
        if row.channel in QUIET and not row.urgent:
            return self.window.next_open(retry)
        return retry

    def run(self, stop: threading.Event, idle: float = 0.1) -> None:
        worker.repeat(stop, lambda: self.run_once() >= self.batch, lambda: stop.wait(idle), "dispatcher")
