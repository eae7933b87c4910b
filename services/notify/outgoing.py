"""The notification log, as the handlers fill it: one row per message to send, once per dedup key,
on the channel its medium has (or ``log`` without a gateway), due at once or, for a message that
buzzes a phone and is not urgent, when the daytime window next opens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.notify import daytime
from services.notify.channels import QUIET
from services.notify.config import Settings
from services.notify.models import notifications
from shared import clock, events
from shared.db import insert_ignore
from shared.uow import Unit


@dataclass(frozen=True)
class About:
    """What a message is about, and whether it may go out at night."""

    grievance_id: str | None
    case_id: str | None = None
    urgent: bool = False


@dataclass(frozen=True)
class Text:
    kind: str
    subject: str
    body: str  # mail (Chinese and English) or a group's message
    sms: str | None = None  # the SMS, Chinese, one segment; none: no SMS of this kind


def to_staff(uow: Unit, key: str, text: Text, person: events.Assignee, about: About) -> None:
    """Mail to a staff member (the log channel without SMTP or an address) and an SMS when the text
    has one and the member a phone number."""
    queue(uow, f"{key}:{person.id}", text, person.email, about, recipient=person)
    if text.sms and person.phone:
        queue(uow, f"{key}:{person.id}:sms", text, person.phone, about, medium="sms", recipient=person)


def to_worker(uow: Unit, key: str, text: Text, contact: Any, about: About) -> None:
    """To a named worker: by mail when they left an email address, else by SMS to their phone."""
    if contact.email:
        queue(uow, key, text, contact.email, about, audience="worker")
    elif contact.phone and text.sms:
        queue(uow, f"{key}:sms", text, contact.phone, about, medium="sms", audience="worker")


def to_group(uow: Unit, key: str, text: Text, org: str, about: About) -> None:
    """One message to the staff group (bot) of an organisation: a county, or ``city``."""
    queue(uow, f"{key}:group:{org}", text, None, about, medium="group", audience="group", org=org)


def channel_for(settings: Settings, medium: str, address: str | None, org: str | None) -> str:
    """The channel a message goes by: its medium's when configured (and addressed), else ``log``."""
    if medium == "email":
        return "email" if settings.smtp_host and address else "log"
    if medium == "sms":
        return "sms" if settings.sms_url and address else "log"
    return "group" if org in settings.group_urls else "log"


def first_attempt(settings: Settings, channel: str, urgent: bool, now: datetime) -> datetime:
    if channel in QUIET and not urgent:
        return daytime.Window.parse(settings.daytime).next_open(now)
    return now


def queue(
    uow: Unit,
    dedup_key: str,
    text: Text,
    address: str | None,
    about: About,
    *,
    medium: str = "email",
    audience: str = "staff",
    recipient: events.Assignee | None = None,
    org: str | None = None,
) -> bool:
    """Record a message to send, once per ``dedup_key``; whether it is new."""
    now = clock.now()
    channel = channel_for(uow.settings, medium, address, org)
    return insert_ignore(
        uow.conn,
        notifications,
        {
            "id": str(uuid.uuid4()),
            "dedup_key": dedup_key,
            "grievance_id": about.grievance_id,
            "case_id": about.case_id,
            "kind": text.kind,
            "audience": audience,
            "medium": medium,
            "channel": channel,
            "recipient": address,
            "recipient_id": recipient.id if recipient else org,
            "recipient_name": recipient.name[:100] if recipient else None,
            "urgent": about.urgent,
            "subject": text.subject[:300],
            "body": text.sms if medium == "sms" else text.body,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": first_attempt(uow.settings, channel, about.urgent, now),
            "created_at": now,
        },
    )
