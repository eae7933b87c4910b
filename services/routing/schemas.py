"""What routing accepts and answers, as validated models (also the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.events import Category, Status
from shared.text import Day, OrgCode, StaffId, Uuid, clean_text


# -- the directory and log-in ----------------------------------------------------------------------
class DirectoryCounty(BaseModel):
    code: str
    name: str
    enterprises: list[dict]


class DirectoryOut(BaseModel):
    counties: list[DirectoryCounty]


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    staff_id: StaffId
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class StaffOut(BaseModel):
    """Who a token names."""

    id: str
    role: str
    org_code: str


class Token(BaseModel):
    token: str
    token_type: str
    expires_in: int
    staff: dict


# -- the ledger -------------------------------------------------------------------------------------
class CaseQuery(BaseModel):
    """Filters and page of the case list; every one optional."""

    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    category: Category | None = None
    enterprise: OrgCode | None = None
    county: OrgCode | None = None
    supervision_level: Annotated[int, Field(ge=0, le=2)] | None = None
    overdue: bool | None = None
    paused: bool | None = None
    submitted_from: Day | None = None
    submitted_to: Day | None = None
    q: clean_text(1, 100) | None = None
    page: Annotated[int, Field(ge=1, le=100000)] = 1
    per_page: Annotated[int, Field(ge=1, le=100)] = 20


class CasePage(BaseModel):
    items: list[dict]
    total: int
    page: int
    per_page: int


class HistoryEntry(BaseModel):
    """One step of a case. ``worker_comment`` and ``worker_rating`` are the worker's own answer to a
    resolution (marked as theirs); notes are staff's."""

    at: datetime
    actor_id: str | None
    actor_role: str
    action: str | None
    from_: Status | None = Field(alias="from")
    to: Status
    supervision_level: int | None
    public_note: str | None
    internal_note: str | None
    worker_comment: str | None
    worker_rating: int | None


class CaseOut(BaseModel):
    """A case as staff see it; the detail adds ``actions`` (what the caller may do now) and ``history``."""

    id: str
    status: Status
    category: Category
    enterprise_code: str
    county_code: str | None
    supervision_level: int
    assignee: dict
    accept_due: str
    resolve_due: str
    extended: bool
    deadlines_provisional: bool  # a due date counted days past the official calendar known
    supervised_due: str | None  # the supervisors' deadline (督办), once supervised
    paused: bool  # the resolve clock is paused (a flag, not a status)
    pause_reason: str | None
    pause_ends: str | None  # it runs again by itself then
    pauses_used: int
    merged_into: str | None
    version: int
    actions: list[str]
    history: list[HistoryEntry]


# -- case actions: each action's body ----------------------------------------------------------------
Note = clean_text(1, 2000, multiline=True)
Reason = clean_text(2, 2000, multiline=True)


class ActionIn(BaseModel):
    """What every action carries: the case ``version`` the caller saw, and an optional internal note."""

    model_config = ConfigDict(extra="forbid", strict=True)
    version: Annotated[int, Field(ge=1)]
    internal_note: Note | None = None


class AcceptIn(ActionIn):
    public_note: Note | None = None


class NoteIn(ActionIn):
    public_note: Note | None = None

    @model_validator(mode="after")
    def _some_note(self):
        if self.public_note is None and self.internal_note is None:
            raise ValueError(_("Give a public note, an internal note or both."))
        return self


class ResolveIn(ActionIn):
    resolution: clean_text(5, 2000, multiline=True)  # shown to the worker


class RejectIn(ActionIn):
    reason: clean_text(5, 2000, multiline=True)  # shown to the worker: a rejection is still an answer


class ReassignIn(ActionIn):
    assignee_id: StaffId


class EscalateIn(ActionIn):
    reason: Reason
    level: Annotated[int, Field(ge=1, le=2)] | None = None  # default: one above the current level


class ExtendIn(ActionIn):
    reason: Reason
    resolve_due: Annotated[Day, Field(strict=False)]  # the new last day, China Standard Time


class MergeIn(ActionIn):
    into: Uuid  # the surviving case's id


class PauseIn(ActionIn):
    reason: clean_text(5, 500, multiline=True)  # shown to the worker: what the case waits for


class ResumeIn(ActionIn):
    pass
