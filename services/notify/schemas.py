"""What notify answers, as validated models (also the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class Told(BaseModel):
    """Who was told: a staff member (id and name), a worker (never who: no contact, no name), or an
    organisation's staff group (its code)."""

    audience: Literal["staff", "worker", "group"]
    id: str | None = None  # a staff member's id
    name: str | None = None  # a staff member's name
    org_code: str | None = None  # a group's organisation: a county code or "city"


class NotificationOut(BaseModel):
    id: str
    kind: str  # case_assigned, supervision_raised, reminder_due, worker_ack, worker_answer
    subject: str | None  # none for a worker's message (it names their tracking code)
    to: Told
    medium: Literal["email", "sms", "group"]  # what the message is
    channel: str  # how it went: email, sms, group, or log (no gateway configured)
    status: Literal["pending", "sent", "failed"]
    attempts: int
    error: str | None  # the last failure, in a few words (an HTTP status, a connection error)
    created_at: datetime  # when it was queued
    next_attempt_at: datetime | None  # while pending: not before (the daytime window, a retry)
    sent_at: datetime | None


class CaseNotifications(BaseModel):
    case_id: str
    items: list[NotificationOut]  # oldest first
