"""What reports accepts and answers, as validated models (also the OpenAPI document's schemas)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events import Category, Channel
from shared.text import Day, OrgCode


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: Day | None = None
    end: Day | None = None


class Summary(BaseModel):
    period: dict
    total: int
    open: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_channel: dict[str, int]
    by_county: list[dict]
    by_enterprise: list[dict]


class RatesQuery(BaseModel):
    """A period of China days (at most three years), optional filters, and an optional grouping."""

    model_config = ConfigDict(extra="forbid")
    start: Day
    end: Day
    county: OrgCode | None = None
    enterprise: OrgCode | None = None
    category: Category | None = None
    channel: Channel | None = None
    group_by: Literal["county", "enterprise", "category", "channel", "month"] | None = None


class LedgerQuery(RatesQuery):
    """The demands submitted in a period, with the same filters (no grouping); the headers in the
    caller's language (Accept-Language, or ``lang``)."""

    group_by: None = None
    lang: Literal["zh", "en"] | None = None


class CasesQuery(RatesQuery):
    """The same, and which part of the rate, a page at a time (no grouping)."""

    group_by: None = None
    part: Literal["numerator", "denominator"]
    page: Annotated[int, Field(ge=1, le=100000)] = 1
    per_page: Annotated[int, Field(ge=1, le=500)] = 100


class Fraction(BaseModel):
    numerator: int
    denominator: int
    value: float | None  # numerator / denominator, 4 places; null when the denominator is 0


class Rates(BaseModel):
    """Every rate with its numerator and denominator (``received`` and ``closed_without_answer`` are
    counts, ``days_to_resolve`` a median and p90 in days), the period and scope echoed, each
    definition in Chinese and English; with ``group_by``, the same per group."""

    period: dict
    rates: dict
    definitions: dict
    group_by: str | None = None
    groups: list[dict] | None = None


class RateCases(BaseModel):
    """The cases behind one number: the part asked for, a page of them, and how many in all."""

    rate: str
    part: str
    period: dict
    total: int
    page: int
    per_page: int
    cases: list[dict]


class Scoreboard(BaseModel):
    """The city, its counties and their enterprises, each with its figures for the last month and
    the year so far; a figure under ``fewer_than`` (or one that would give one away) is null."""

    fewer_than: int
    periods: dict
    city: dict
    counties: list[dict]
    definitions: dict
