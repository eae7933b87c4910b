"""What companion accepts and answers, as validated models (also the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.events import Category
from shared.text import Day, OrgCode, StaffId, clean_text

Workshop = clean_text(1, 100)


class ScheduleIn(BaseModel):
    """An enterprise's companion day: its weekday (0 Monday … 4 Friday), and who goes instead of the
    chair, if anyone."""

    model_config = ConfigDict(extra="forbid", strict=True)
    weekday: Annotated[int, Field(ge=0, le=4)]
    stand_in_id: StaffId | None = None
    starts_on: Annotated[Day, Field(strict=False)] | None = None  # default: today


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: clean_text(2, 500, multiline=True)  # why the day is called off (the chair ill, the plant shut)


class VisitIn(BaseModel):
    """A visit to the shop floor (走访) on a companion day, recorded on the day or after."""

    model_config = ConfigDict(extra="forbid", strict=True)
    enterprise_code: OrgCode
    day: Annotated[Day, Field(strict=False)]
    workshops: Annotated[list[Workshop], Field(min_length=1, max_length=30)]
    workers_met: Annotated[int, Field(ge=0, le=100000)]  # how many, never who
    summary: clean_text(5, 5000, multiline=True)


class ScheduleQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: Day | None = None  # the first day shown (default: this week's Monday)
    weeks: Annotated[int, Field(ge=1, le=53)] = 8


class VisitQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise: OrgCode | None = None
    start: Day | None = None
    end: Day | None = None


class DayOut(BaseModel):
    day: date
    planned: date  # the weekday of its week
    moved_because: str | None  # the day off that moved it
    status: str  # scheduled, open, held, cancelled or missed
    visit_id: str | None
    cancel_reason: str | None


class ScheduleOut(BaseModel):
    enterprise: dict
    schedule: dict | None
    days: list[DayOut]


class ScheduleList(BaseModel):
    enterprises: list[dict]


class VisitOut(BaseModel):
    id: str
    enterprise_code: str
    day: date
    visitor_id: str
    visitor_role: str
    workshops: list[str]
    workers_met: int
    summary: str
    recorded_at: datetime


class VisitList(BaseModel):
    visits: list[VisitOut]


class Created(BaseModel):
    id: str


class ForumItemIn(BaseModel):
    """One item of a forum's minutes: what was raised (it becomes one demand in the ledger)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    text: clean_text(5, 5000, multiline=True)
    category: Category
    about_chair: bool = False  # about the chair or retaliation: it goes to the county union


class ForumIn(BaseModel):
    """A micro-forum (微座谈): how many took part (no names), its minutes and their items."""

    model_config = ConfigDict(extra="forbid", strict=True)
    enterprise_code: OrgCode
    day: Annotated[Day, Field(strict=False)]
    topic: clean_text(2, 200)
    participants: Annotated[int, Field(ge=1, le=1000)]
    minutes: clean_text(5, 20000, multiline=True)
    items: Annotated[list[ForumItemIn], Field(max_length=50)] = []


class ForumQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise: OrgCode | None = None


class ForumOut(BaseModel):
    """A forum and each item with what became of its demand; to the chair, an item about the chair
    shows only as referred to the county union. ``batch`` is the body to post to intake's
    ``POST /api/v1/batches`` for the items not yet posted (none: all are in the ledger)."""

    id: str
    enterprise_code: str
    day: date
    topic: str
    participants: int
    minutes: str
    recorded_by: str
    recorded_at: datetime
    items: list[dict]
    batch: dict | None


class ForumList(BaseModel):
    forums: list[dict]


class CoverageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: Day | None = None  # default: eight weeks back from this week's Monday
    end: Day | None = None  # default: today


class CoverageOut(BaseModel):
    """Per county: days held out of days due (a day called off beforehand is not due), missed, open,
    cancelled and to come, in all and per week; per enterprise, its streak of days held."""

    start: date
    end: date
    counties: list[dict]
    enterprises: list[dict]


class NoteIn(BaseModel):
    """The chair's own note in the diary (民意日记) for a day."""

    model_config = ConfigDict(extra="forbid", strict=True)
    day: Annotated[Day, Field(strict=False)]
    text: clean_text(2, 5000, multiline=True)


class DiaryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: Day | None = None  # default: four weeks back
    end: Day | None = None  # default: today


class PublicDiaryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weeks: Annotated[int, Field(ge=1, le=26)] = 4


class DiaryOut(BaseModel):
    """Day by day: the companion day and its visit, the forums, the demands heard (by status; to the
    chair, those about the chair only as referred to the county union) and the chair's notes."""

    enterprise: dict
    start: date
    end: date
    days: list[dict]


class PublicDiaryOut(BaseModel):
    """For the workers: per week, the companion day's outcome, the demands heard and answered; a count
    under ``fewer_than`` is null, so no worker can be singled out."""

    enterprise: dict
    fewer_than: int
    weeks: list[dict]
