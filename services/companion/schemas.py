"""What companion accepts and answers, as validated models (also the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

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
    """Day by day: the companion day and its visit, the forums, the surveys opened, the demands heard (by status; to the
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


Option = clean_text(1, 100)


class QuestionIn(BaseModel):
    """A question: one choice or several among its options, a scale of 1 to 5, or free text (which a
    worker may always leave out, whatever ``required`` says)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    kind: Literal["single", "multiple", "scale", "text"]
    text: clean_text(2, 300)
    options: Annotated[list[Option], Field(min_length=2, max_length=10)] | None = None
    required: bool = True

    @model_validator(mode="after")
    def _options_fit(self):
        if self.kind in ("single", "multiple") and not self.options:
            raise ValueError(_("A choice question needs two to ten options."))
        if self.kind in ("scale", "text") and self.options:
            raise ValueError(_("Only a choice question has options."))
        if self.options and len(set(self.options)) != len(self.options):
            raise ValueError(_("The options must differ."))
        return self


class SurveyIn(BaseModel):
    """A micro-survey (微调研): a few questions, open until ``closes_on``; ``tables`` declares the
    cross-tables its results may show (pairs of question numbers, each a required single-choice or
    scale question), and no other breakdown ever shows."""

    model_config = ConfigDict(extra="forbid", strict=True)
    enterprise_code: OrgCode
    title: clean_text(2, 200)
    intro: clean_text(0, 1000, multiline=True) | None = None
    questions: Annotated[list[QuestionIn], Field(min_length=1, max_length=20)]
    tables: Annotated[list[Annotated[list[int], Field(min_length=2, max_length=2)]], Field(max_length=3)] = []
    closes_on: Annotated[Day, Field(strict=False)]


class SurveyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise: OrgCode | None = None


class CodesIn(BaseModel):
    """How many printed slips to make, each with its own one-time code."""

    model_config = ConfigDict(extra="forbid", strict=True)
    count: Annotated[int, Field(ge=1, le=500)]


class AnswerIn(BaseModel):
    """One worker's answer: the one-time code, and an answer per question in order (an option's
    number from 1, a list of them, 1–5, a text, or null for a question left out)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    code: Annotated[str, StringConstraints(min_length=4, max_length=40)]
    answers: Annotated[list[int | list[int] | str | None], Field(max_length=20)]


class SurveyOut(BaseModel):
    id: str
    enterprise_code: str
    title: str
    intro: str | None
    questions: list[dict]
    tables: list[list[int]]
    closes_on: date
    state: str  # draft, open or closed
    opened_on: date | None
    answers: int | None  # how many answered; under K, null
    created_by: str
    created_at: datetime


class SurveyList(BaseModel):
    surveys: list[dict]


class PublicSurveyOut(BaseModel):
    """What a worker needs to answer: the questions, whether it is open, until when."""

    id: str
    enterprise: dict
    title: str
    intro: str | None
    questions: list[dict]
    closes_on: date
    open: bool


class CodesOut(BaseModel):
    """The one-time codes (shown this once: only their hashes are kept) and where to answer."""

    survey_id: str
    link: str
    codes: list[str]


class Recorded(BaseModel):
    recorded_on: date  # the day only: no finer time is kept


class ResultsOut(BaseModel):
    """The declared tables: each choice and scale question's counts, and the declared cross-tables;
    a count under ``fewer_than`` is null, and so is any other that would let one be worked out."""

    survey: dict
    fewer_than: int
    answers: int | None
    questions: list[dict]
    cross: list[dict]


class TextsOut(BaseModel):
    """The free-text answers, without the same worker's other answers and in no order of arrival;
    each with what became of the demand made of it, or the ``batch`` to post to intake to make one.
    None shows before ``fewer_than`` workers answered."""

    survey_id: str
    fewer_than: int
    withheld: bool
    texts: list[dict]


class KioskOut(BaseModel):
    """The kiosk's key (shown this once) and the address that enrols the kiosk's browser with it."""

    enterprise_code: str
    enrol_url: str
