"""Sends pending notifications and records the outcome, with its event, in one transaction.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers share the
work; on SQLite run one. A crash after the SMTP server took a message and before the commit
sends it again: the Message-ID is the notification's id, so mail clients fold the repeat.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import Engine, bindparam, select, update

from services.notify.config import Settings
from services.notify.models import notifications, outbox
from shared import clock, events, worker
from shared.uow import unit_of_work

log = logging.getLogger(__name__)


def describe(exc: Exception) -> str:
    """Why sending failed, without the server's text: it often quotes the recipient's address."""
    code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
    return f"{type(exc).__name__}" + (f" {code}" if code else "")


class Mailer:
    def __init__(self, settings: Settings):
        self.settings = settings

    def send(self, notification_id: str, recipient: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.settings.smtp_from, recipient, subject
        msg["Message-ID"] = make_msgid(idstring=notification_id, domain="xinsheng")
        msg.set_content(body)
        with smtplib.SMTP(
            self.settings.smtp_host, self.settings.smtp_port, timeout=self.settings.smtp_timeout
        ) as smtp:
            smtp.send_message(msg)


# Built once; the SET clause follows the parameters given (sent, failed, or retry later).
_RECORD = update(notifications).where(notifications.c.id == bindparam("nid"))


class Dispatcher:
    def __init__(self, settings: Settings, engine: Engine, mailer: Mailer | None = None, batch: int = 50):
        self.settings, self.engine, self.batch = settings, engine, batch
        self.mailer = mailer or Mailer(settings)

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

    def _deliver(self, uow, row) -> None:
        attempt, error = row.attempts + 1, None
        if row.channel == "email":
            try:
                self.mailer.send(row.id, row.recipient, row.subject, row.body)
            except (OSError, smtplib.SMTPException) as exc:
                error = describe(exc)
        # The "log" channel: the message stays in this notification log, nowhere else (no contact in logs).
        if error is None:
            values, kind = {"status": "sent", "sent_at": clock.now(), "error": None}, "notification.sent"
        elif attempt >= self.settings.max_send_attempts:
            values, kind = {"status": "failed", "error": error}, "notification.failed"
        else:
            values, kind = (
                {"error": error, "next_attempt_at": clock.now() + timedelta(seconds=5 * 2**attempt)},
                None,
            )
        uow.conn.execute(_RECORD, {"nid": row.id, "attempts": attempt, **values})
        if error:
            log.warning(
                "notification not sent", extra={"notification_id": row.id, "attempt": attempt, "error": error}
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

    def run(self, stop: threading.Event, idle: float = 0.1) -> None:
        worker.repeat(stop, lambda: self.run_once() >= self.batch, lambda: stop.wait(idle), "dispatcher")
