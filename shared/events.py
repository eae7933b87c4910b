"""The event envelope and the payload of every event type (DESIGN §3), versioned.

Events are immutable. Adding an optional field keeps the version; anything else bumps it and
registers a new payload model beside the old one.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared import clock

# Each set of codes is declared once, as the type the models check; the tuples are read from it.
Category = Literal[
    "safety_health",
    "wages",
    "hours_leave",
    "contract",
    "social_insurance",
    "welfare",
    "workplace",
    "training_career",
    "harassment_discrimination",
    "other",
]
Channel = Literal["kiosk", "web", "mobile", "visit", "forum", "survey", "hotline"]
Urgency = Literal["normal", "urgent"]
Status = Literal[
    "registered",
    "assigned",
    "accepted",
    "in_progress",
    "resolved",
    "closed",
    "rejected",
    "reopened",
    "merged",
]
Role = Literal["enterprise_chair", "county_officer", "city_officer", "admin"]

CATEGORIES: tuple[Category, ...] = get_args(Category)
CHANNELS: tuple[Channel, ...] = get_args(Channel)
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)
STATUSES: tuple[Status, ...] = get_args(Status)
ROLES: tuple[Role, ...] = get_args(Role)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Envelope(Frozen):
    id: str
    type: str
    version: int
    occurred_at: datetime
    producer: str
    correlation_id: str | None = None
    payload: dict[str, Any]


class Source(Frozen):
    """Where in the companion programme a demand was heard: a visit, a forum or a survey (companion's
    id), and which of its items."""

    kind: Literal["visit", "forum", "survey"]
    id: str
    item: int | None = None  # the item's position (1, 2 …) in the forum's minutes, say


class GrievanceSubmitted(Frozen):
    """A worker's demand, as committed by intake. Never carries the worker's contact."""

    grievance_id: str
    tracking_code: str
    enterprise_code: str
    category: Category
    urgency: Urgency
    channel: Channel
    anonymous: bool
    about_chair: bool
    description: str
    workshop: str | None = None
    submitted_at: datetime
    source: Source | None = None  # heard at a companion visit, forum or survey


class GrievanceContactShared(Frozen):
    """The contact a named worker left; bound to notify's queue alone (DESIGN §4)."""

    grievance_id: str
    tracking_code: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class GrievanceFeedbackGiven(Frozen):
    grievance_id: str
    satisfied: bool
    rating: int | None = None
    comment: str | None = None


class Assignee(Frozen):
    id: str
    name: str
    role: Role
    org_code: str | None = None
    email: str | None = None
    phone: str | None = None


class CaseAssigned(Frozen):
    case_id: str
    grievance_id: str
    assignee: Assignee
    level: int
    accept_due: datetime
    resolve_due: datetime
    enterprise_code: str | None = None
    county_code: str | None = None
    category: Category | None = None
    urgency: Urgency | None = None
    assigned_at: datetime | None = None
    # True when staff passed an existing case on: the case keeps its status and due dates.
    reassigned: bool = False
    # A demand about the chair or retaliation: never shown to the enterprise's chair (shared/scope.py).
    about_chair: bool | None = None


class CaseStatusChanged(Frozen):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
    case_id: str
    grievance_id: str
    from_: Status | None = Field(default=None, alias="from")
    to: Status
    public_note: str | None = None
    actor_role: str | None = None
    at: datetime
    # With ``to == "merged"``: the demand whose case survives; the merged demand's worker follows it.
    merged_into_grievance_id: str | None = None


Deadline = Literal["accept", "resolve", "supervised"]


class CaseSupervisionRaised(Frozen):
    """Supervision (督办) rose to ``level``: by a supervisor's hand, or by a missed deadline (then
    ``reason`` is ``accept_overdue``, ``resolve_overdue`` or ``supervised_overdue`` and the
    supervisor ``system``). ``recipients`` are the officers of that level, so notify needs no
    directory; never the chair of a demand about the chair."""

    case_id: str
    grievance_id: str
    level: int
    reason: str
    supervisor: str | None = None
    at: datetime | None = None
    recipients: tuple[Assignee, ...] = ()
    automatic: bool = False
    about_chair: bool | None = None
    urgency: Urgency | None = None
    enterprise_code: str | None = None
    county_code: str | None = None
    accept_due: datetime | None = None
    resolve_due: datetime | None = None
    supervised_due: datetime | None = None  # the supervisors' own deadline, met by resolving


class CaseReminderDue(Frozen):
    """A deadline of a case draws near (half its time gone, or one working day left) and the action
    it asks for is not done: notify reminds the assignee. Each reminder is published once."""

    case_id: str
    grievance_id: str
    deadline: Deadline
    when: Literal["half_time", "day_before"]  # half_time: a share of the time is gone (``fraction``)
    due: datetime
    recipients: tuple[Assignee, ...]
    urgency: Urgency | None = None
    at: datetime
    fraction: float | None = None  # with half_time: the share of the time gone (0.5 by default)


class CaseClockPaused(Frozen):
    """The resolve clock stopped while the case waits on a third party; ``reason`` is for the worker.
    It runs again by itself at ``resume_by`` at the latest."""

    case_id: str
    grievance_id: str
    reason: str
    resume_by: datetime
    at: datetime


class CaseClockResumed(Frozen):
    """The resolve clock runs again; the due dates moved by the time paused."""

    case_id: str
    grievance_id: str
    paused_seconds: int  # this pause
    resolve_due: datetime
    supervised_due: datetime | None = None
    automatic: bool = False  # the pause reached its bound
    at: datetime


class CaseDeadlineExtended(Frozen):
    """The one extension a case may be granted: its new resolution deadline."""

    case_id: str
    grievance_id: str
    resolve_due: datetime
    at: datetime


class CaseDeadlinesChanged(Frozen):
    """A case's due dates computed again: a provisional date (past the working calendar known) once
    the year's official schedule is loaded."""

    case_id: str
    grievance_id: str
    accept_due: datetime
    resolve_due: datetime
    provisional: bool
    at: datetime


class NotificationOutcome(Frozen):
    notification_id: str
    case_id: str | None = None
    grievance_id: str | None = None
    channel: str
    kind: str
    attempt: int
    error: str | None = None


class EnterpriseUpdated(Frozen):
    """Routing owns the directory; intake, reports and companion keep copies from these events."""

    code: str
    name: str
    county_code: str
    county_name: str
    active: bool
    has_chair: bool
    chair_id: str | None = None  # the active chair's staff id (companion: who goes on the day)
    # The county union's officers (companion tells them of a missed companion day through notify).
    county_officers: tuple[Assignee, ...] = ()


class CalendarDay(Frozen):
    day: date
    workday: bool
    name: str


class CalendarYearLoaded(Frozen):
    """A year's official working calendar (the days that differ from a plain week), loaded into routing:
    every service that counts working days keeps the same (shared/workcal.py)."""

    year: int
    source: str
    days: tuple[CalendarDay, ...]


class StaffRevoked(Frozen):
    """A staff member's tokens issued before ``revoked_at`` no longer open anything: the account was
    removed or disabled, moved to another role or organisation, or its password was reset."""

    staff_id: str
    revoked_at: datetime
    reason: Literal["removed", "moved", "password_reset"]


class CompanionDayMissed(Frozen):
    """A scheduled companion day with no visit recorded by the end of the next working day, and not
    called off beforehand: the county union hears of it (``recipients``: its officers)."""

    enterprise_code: str
    enterprise_name: str
    county_code: str
    day: date
    planned: date  # the weekday of its week, when a day off moved it
    recipients: tuple[Assignee, ...] = ()
    at: datetime


class CompanionDayDecided(Frozen):
    """What became of a companion day, once it can no longer change by itself: held (its visit
    recorded), cancelled beforehand, or missed. Each day is decided once, in order; reports counts
    the days held out of the days due (a day called off is not due) for the public scoreboard."""

    enterprise_code: str
    county_code: str
    day: date
    outcome: Literal["held", "cancelled", "missed"]
    at: datetime


PAYLOADS: dict[tuple[str, int], type[Frozen]] = {
    ("grievance.submitted", 1): GrievanceSubmitted,
    ("grievance.contact_shared", 1): GrievanceContactShared,
    ("grievance.feedback_given", 1): GrievanceFeedbackGiven,
    ("case.assigned", 1): CaseAssigned,
    ("case.status_changed", 1): CaseStatusChanged,
    ("case.supervision_raised", 1): CaseSupervisionRaised,
    ("case.deadline_extended", 1): CaseDeadlineExtended,
    ("case.deadlines_changed", 1): CaseDeadlinesChanged,
    ("case.reminder_due", 1): CaseReminderDue,
    ("case.clock_paused", 1): CaseClockPaused,
    ("case.clock_resumed", 1): CaseClockResumed,
    ("notification.sent", 1): NotificationOutcome,
    ("notification.failed", 1): NotificationOutcome,
    ("enterprise.updated", 1): EnterpriseUpdated,
    ("calendar.year_loaded", 1): CalendarYearLoaded,
    ("companion_day.missed", 1): CompanionDayMissed,
    ("companion_day.decided", 1): CompanionDayDecided,
    ("staff.revoked", 1): StaffRevoked,
}
CURRENT_VERSION = {etype: version for etype, version in PAYLOADS}


class EventError(ValueError):
    """A message that can never be handled as it is: bad JSON, unknown type, invalid payload."""


def make(etype: str, payload: Frozen, producer: str, correlation_id: str | None = None) -> Envelope:
    """A new envelope around a payload of the current version of its type."""
    version = CURRENT_VERSION[etype]
    if not isinstance(payload, PAYLOADS[(etype, version)]):
        raise TypeError(f"{etype} v{version} takes {PAYLOADS[(etype, version)].__name__}")
    return Envelope(
        id=str(uuid.uuid4()),
        type=etype,
        version=version,
        occurred_at=clock.now(),
        producer=producer,
        correlation_id=correlation_id,
        payload=payload.model_dump(mode="json", by_alias=True),
    )


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()


def decode(body: bytes) -> tuple[Envelope, Frozen]:
    """Parse a message; raises EventError with a reason that names fields, never their values."""
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as exc:
        raise EventError(f"bad envelope: {describe(exc)}") from None
    model = PAYLOADS.get((envelope.type, envelope.version))
    if model is None:
        raise EventError(f"unknown event type {envelope.type} v{envelope.version}")
    try:
        return envelope, model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise EventError(f"bad {envelope.type} payload: {describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    """Where and why validation failed, without the input (it may hold a description or contact)."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['type']}" for e in exc.errors())


def day(value: datetime) -> date:
    return value.date()
