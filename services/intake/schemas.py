"""What intake accepts and answers, as validated models (also the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.events import Category, Channel, Status, Urgency
from shared.text import clean_text

EnterpriseCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: clean_text(1, 50) | None = None
    phone: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 -]{4,19}$")] | None
    ) = None
    email: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
        ]
        | None
    ) = None


class GrievanceIn(BaseModel):
    """A demand as a worker submits it (DESIGN §3)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    enterprise_code: EnterpriseCode
    category: Category
    description: clean_text(5, 5000, multiline=True)
    channel: Channel = "web"
    urgency: Urgency = "normal"
    anonymous: bool = True
    about_chair: bool = False
    workshop: clean_text(1, 100) | None = None
    contact: ContactIn | None = None

    def cross_field_errors(self) -> dict[str, str]:
        """Rules that span fields: anonymous means no contact; a named demand needs a way to answer."""
        if self.anonymous and self.contact is not None:
            return {"contact": _("Contact details are refused when the demand is anonymous.")}
        if not self.anonymous and (self.contact is None or not (self.contact.phone or self.contact.email)):
            return {"contact": _("A named demand needs a phone number or an email address.")}
        return {}


class FeedbackIn(BaseModel):
    """The worker's answer to a resolution."""

    model_config = ConfigDict(extra="forbid", strict=True)
    satisfied: bool
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    comment: clean_text(1, 1000, multiline=True) | None = None

    def cross_field_errors(self) -> dict[str, str]:
        if not self.satisfied and not self.comment:
            return {"comment": _("Tell us what is still wrong, so the case can be worked again.")}
        return {}


class FeedbackReceived(BaseModel):
    tracking_code: str
    satisfied: bool
    received_at: datetime


class SourceIn(BaseModel):
    """Where in the companion programme the demands were heard: companion's forum, visit or survey."""

    model_config = ConfigDict(extra="forbid", strict=True)
    kind: Literal["visit", "forum", "survey"]
    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$")]


class BatchItemIn(BaseModel):
    """One demand heard (an item of a forum's minutes, say): anonymous unless the worker agreed."""

    model_config = ConfigDict(extra="forbid", strict=True)
    category: Category
    description: clean_text(5, 5000, multiline=True)
    urgency: Urgency = "normal"
    anonymous: bool = True
    about_chair: bool = False
    workshop: clean_text(1, 100) | None = None
    contact: ContactIn | None = None


class BatchIn(BaseModel):
    """The demands of one forum, visit or survey of one enterprise, posted by staff in one transaction."""

    model_config = ConfigDict(extra="forbid", strict=True)
    enterprise_code: EnterpriseCode
    source: SourceIn
    items: Annotated[list[BatchItemIn], Field(min_length=1, max_length=50)]

    def demands(self) -> list[GrievanceIn]:
        """Each item as a demand of the enterprise, its channel the source's kind."""
        return [
            GrievanceIn.model_validate(
                {
                    **item.model_dump(exclude_none=True),
                    "enterprise_code": self.enterprise_code,
                    "channel": self.source.kind,
                }
            )
            for item in self.items
        ]


class BatchHeaders(BaseModel):
    """A batch is posted once: its Idempotency-Key (1 to 200 printable ASCII characters) is required."""

    model_config = ConfigDict(populate_by_name=True)
    idempotency_key: Annotated[
        str, StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    ] = Field(alias="Idempotency-Key")


class BatchItemOut(BaseModel):
    item: int  # its position in the batch, from 1
    tracking_code: str
    status_url: str
    slip_url: str  # a printable slip: the code and how to follow it


class BatchCreated(BaseModel):
    items: list[BatchItemOut]


class GrievanceCreated(BaseModel):
    tracking_code: str
    status: Status
    submitted_at: datetime
    status_url: str
    page_url: str


class TimelineEntry(BaseModel):
    status: Status
    label: str
    at: datetime
    note: str | None = None
    # A step that moves no status: "supervised" (督办, at ``level``: 1 the county union, 2 the city
    # federation), "paused" (the note says what the case waits for) or "resumed".
    event: str | None = None
    level: int | None = None


class PausedClock(BaseModel):
    since: datetime
    reason: str | None


class FeedbackAnswer(BaseModel):
    """The worker's own answer to the latest resolution, shown back to them (never the comment)."""

    satisfied: bool
    rating: int | None = None
    at: datetime


class FeedbackWindow(BaseModel):
    open: bool  # whether an answer is welcome now
    until: datetime | None = None  # the end of the window after the latest resolution
    given: bool  # the worker answered this resolution already
    answer: FeedbackAnswer | None = None


class GrievanceStatus(BaseModel):
    """What anyone holding the tracking code may see: never staff names or internal notes."""

    tracking_code: str
    status: Status
    status_label: str
    category: Category
    enterprise_name: str
    submitted_at: datetime
    merged: bool  # joined to another demand's case, whose status this shows
    timeline: list[TimelineEntry]
    supervision_level: int  # 督办: 0 none, 1 the county union, 2 the city federation
    supervision_label: str | None
    paused: PausedClock | None  # the time limit waits on a third party
    feedback: FeedbackWindow


class Enterprise(BaseModel):
    code: str
    name: str
    county: str


class EnterpriseList(BaseModel):
    enterprises: list[Enterprise]


# -- the worker's pages: what their forms post (application/x-www-form-urlencoded) ----------------
class DemandForm(BaseModel):
    """The web form and the kiosk form (the kiosk fixes ``enterprise_code`` and the channel). Check
    boxes and radios post ``true``/``false``; contact fields count only when ``anonymous`` is false."""

    enterprise_code: str | None = None
    category: Category
    description: str
    workshop: str | None = None
    urgency: Urgency | None = None
    anonymous: Literal["true", "false"] = "true"
    about_chair: Literal["true", "false"] | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    idempotency_key: str | None = None  # made by the page: the same form sent twice is one demand


class FeedbackForm(BaseModel):
    """The status page's answer form."""

    satisfied: Literal["true", "false"]
    rating: Literal["1", "2", "3", "4", "5"] | None = None
    comment: str | None = None
