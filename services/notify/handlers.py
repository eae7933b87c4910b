"""notify's event handlers: decide what to send and to whom; the dispatcher sends it after commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from services.notify import messages
from services.notify.models import contacts, notifications
from shared import clock, events
from shared.db import insert_ignore
from shared.uow import Handler, Unit


def contact_shared(uow: Unit, envelope: events.Envelope, c: events.GrievanceContactShared) -> None:
    insert_ignore(
        uow.conn,
        contacts,
        {
            "grievance_id": c.grievance_id,
            "tracking_code": c.tracking_code,
            "name": c.name,
            "email": c.email,
            "phone": c.phone,
        },
    )
    if c.email:
        base = uow.settings.public_base_url.rstrip("/")
        subject, body = messages.worker_ack(c.tracking_code, f"{base}/s/{c.tracking_code}")
        queue(
            uow,
            f"worker_ack:{c.grievance_id}",
            "worker_ack",
            c.email,
            subject,
            body,
            grievance_id=c.grievance_id,
        )


def case_assigned(uow: Unit, envelope: events.Envelope, e: events.CaseAssigned) -> None:
    subject, body = messages.case_assigned(e)
    queue(
        uow,
        f"case_assigned:{e.case_id}:{e.assignee.id}",
        "case_assigned",
        e.assignee.email,
        subject,
        body,
        grievance_id=e.grievance_id,
        case_id=e.case_id,
    )


ANSWERS = ("resolved", "rejected")  # the steps a named worker hears of by email
FINAL = ("closed", "rejected", "merged")  # routing's final statuses: the contact's retention starts


def case_status_changed(uow: Unit, envelope: events.Envelope, e: events.CaseStatusChanged) -> None:
    if e.to in FINAL:
        uow.conn.execute(
            update(contacts)
            .where(contacts.c.grievance_id == e.grievance_id, contacts.c.finished_at.is_(None))
            .values(finished_at=e.at)
        )
    if e.to not in ANSWERS or e.from_ == e.to:
        return
    contact = uow.conn.execute(select(contacts).where(contacts.c.grievance_id == e.grievance_id)).first()
    if contact is None or not contact.email:
        return  # anonymous, or no email: the status page is the answer
    base = uow.settings.public_base_url.rstrip("/")
    subject, body = messages.worker_answer(
        contact.tracking_code, e.to, e.public_note, f"{base}/s/{contact.tracking_code}"
    )
    queue(
        uow,
        f"worker_answer:{e.grievance_id}:{e.to}:{e.at.isoformat()}",
        "worker_answer",
        contact.email,
        subject,
        body,
        grievance_id=e.grievance_id,
        case_id=e.case_id,
    )


def queue(
    uow: Unit,
    dedup_key: str,
    kind: str,
    email: str | None,
    subject: str,
    body: str,
    grievance_id: str | None = None,
    case_id: str | None = None,
) -> bool:
    """Record a message to send, once per ``dedup_key``. Without SMTP it goes to the log channel."""
    now = clock.now()
    channel = "email" if uow.settings.smtp_host and email else "log"
    return insert_ignore(
        uow.conn,
        notifications,
        {
            "id": str(uuid.uuid4()),
            "dedup_key": dedup_key,
            "grievance_id": grievance_id,
            "case_id": case_id,
            "kind": kind,
            "channel": channel,
            "recipient": email,
            "subject": subject,
            "body": body,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


HANDLERS: dict[str, Handler] = {
    "grievance.contact_shared": contact_shared,
    "case.assigned": case_assigned,
    "case.status_changed": case_status_changed,
}
