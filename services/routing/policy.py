"""The deadline policy (DESIGN §2) as data: per category and urgency, how long a case has to be
accepted and resolved, when its assignee is reminded, how long the supervisors give once it is
supervised (督办), what a reopened case gets, and how long its resolve clock may be paused.

The shipped defaults are ``policy.yaml`` beside this file (DESIGN §2's values); an operator loads
another with ``python -m services policy import FILE``: it is validated with clear errors and kept,
with every earlier one, in routing's database. A case records the terms it was given when it was
assigned (``cases.terms``): a changed policy applies to new cases only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select

from services.routing.calendar import Calendar
from services.routing.models import policies
from shared import clock, events
from shared.db import PerEngine

SHIPPED = Path(__file__).parent / "policy.yaml"
TTL = 30.0


class Span(BaseModel):
    """A length of time: in working days (on the working calendar) or in calendar days."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    working_days: int | None = Field(default=None, ge=1, le=60)
    calendar_days: int | None = Field(default=None, ge=1, le=180)

    @model_validator(mode="after")
    def _one(self) -> Span:
        if (self.working_days is None) == (self.calendar_days is None):
            raise ValueError("give exactly one of working_days and calendar_days")
        return self

    def due(self, start: datetime, cal: Calendar) -> tuple[datetime, bool]:
        """The end of the span begun at ``start`` (the last second of its last day, China time),
        and whether a working day counted lies past the known calendar (provisional)."""
        day = clock.local(start).date()
        if self.calendar_days is not None:
            return clock.day_end(day + timedelta(days=self.calendar_days)), False
        last, provisional = cal.add_working_days(day, self.working_days or 0)
        return clock.day_end(last), provisional


class Reminders(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Fractions of a deadline's time at which the assignee is reminded (0.5: at half time).
    fractions: tuple[float, ...] = Field(default=(0.5,), max_length=4)
    # And this many working days before the deadline (0: not).
    working_days_before: int = Field(default=1, ge=0, le=5)

    @model_validator(mode="after")
    def _fractions(self) -> Reminders:
        if any(not 0 < f < 1 for f in self.fractions):
            raise ValueError("reminder fractions lie strictly between 0 and 1")
        return self


class Pauses(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    max_days: int = Field(default=30, ge=1, le=90)  # one pause, at the longest
    max_pauses: int = Field(default=2, ge=0, le=5)


class Terms(BaseModel):
    """What one case is given."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    accept: Span
    resolve: Span
    supervised: Span  # the supervisors' deadline once supervised, met by resolving the case
    reopened: Span  # a reopened case's new resolve deadline
    reminders: Reminders = Reminders()
    pauses: Pauses = Pauses()


_SECTIONS = set(Terms.model_fields)


class Policy(BaseModel):
    """The whole policy: the defaults, then a category's changes, then urgency's, each section
    replaced whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    defaults: Terms
    categories: dict[events.Category, dict[str, Any]] = {}
    urgent: dict[str, Any] = {}

    @model_validator(mode="after")
    def _changes_are_terms(self) -> Policy:
        for name, changes in [
            *((f"categories.{c}", v) for c, v in self.categories.items()),
            ("urgent", self.urgent),
        ]:
            unknown = set(changes) - _SECTIONS
            if unknown:
                raise ValueError(f"{name}: unknown section(s) {sorted(unknown)}; known: {sorted(_SECTIONS)}")
            try:
                Terms.model_validate({**self.defaults.model_dump(), **changes})
            except ValidationError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return self

    def terms(self, category: str, urgency: str) -> Terms:
        data = self.defaults.model_dump()
        data |= self.categories.get(category, {})  # type: ignore[call-overload]
        if urgency == "urgent":
            data |= self.urgent
        return Terms.model_validate(data)


def read(path: Path) -> Policy:
    """A policy file, validated (ValueError, ValidationError or yaml.YAMLError with what is wrong)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("a policy is a mapping with 'defaults', 'categories' and 'urgent'")
    return Policy.model_validate(data)


def store(conn, policy: Policy, source: str) -> int:
    """Keep ``policy`` as the current one; its version."""
    version = (conn.execute(select(policies.c.version).order_by(policies.c.version.desc())).scalar() or 0) + 1
    conn.execute(
        policies.insert(),
        {
            "version": version,
            "body": policy.model_dump(mode="json"),
            "source": source[:300],
            "loaded_at": clock.now(),
        },
    )
    _loaded.forget(conn.engine)
    return version


def load(conn) -> tuple[int, Policy]:
    """The current policy and its version (0: the shipped defaults, none loaded)."""
    row = conn.execute(select(policies).order_by(policies.c.version.desc()).limit(1)).first()
    if row is None:
        return 0, read(SHIPPED)
    return row.version, Policy.model_validate(row.body)


_loaded = PerEngine(load, TTL)


def current(conn) -> tuple[int, Policy]:
    return _loaded.get(conn)


def supervised_due(terms: Terms, start: datetime, cal: Calendar) -> datetime:
    return terms.supervised.due(start, cal)[0]


def day_before(due: datetime, working_days: int, cal: Calendar) -> datetime:
    """Nine o'clock China time on the working day ``working_days`` before the due day."""
    day = clock.local(due).date()
    while working_days > 0:
        day -= timedelta(days=1)
        if cal.is_workday(day):
            working_days -= 1
    return clock.day_start(day) + timedelta(hours=9)


def reminder_times(terms: Terms, start: datetime, due: datetime, cal: Calendar) -> list[tuple[str, datetime]]:
    """When the assignee is reminded of a deadline running from ``start`` to ``due``: ("share:0.5",
    moment) for each fraction of the time and ("day_before", moment); only the moments strictly
    inside the span."""
    times = [(f"share:{f:g}", start + (due - start) * f) for f in terms.reminders.fractions]
    if terms.reminders.working_days_before:
        times.append(("day_before", day_before(due, terms.reminders.working_days_before, cal)))
    return [(when, at) for when, at in times if start < at < due]
