"""What reports accepts and answers, as validated models (also the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared import clock
from shared.events import Category, Channel
from shared.text import Day, OrgCode

FIRST_YEAR = 2020  # the first year a monthly report can be asked for


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


def _reportable(month: str) -> str:
    """A month with figures to come: from 2020 to the end of next year (China's today)."""
    if not FIRST_YEAR <= int(month[:4]) <= clock.today().year + 1:
        raise ValueError(_("A month from %(first)s to the end of next year.", first=FIRST_YEAR))
    return month


# [0-9], not \d: pydantic's regular expressions take any Unicode digit for \d.
Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$"), AfterValidator(_reportable)]


class MonthlyQuery(BaseModel):
    """A month (YYYY-MM), optionally one county, and the report's language (Chinese by default)."""

    model_config = ConfigDict(extra="forbid")
    month: Month
    county: OrgCode | None = None
    lang: Literal["zh", "en"] | None = None

    def first_day(self) -> date:
        return date(int(self.month[:4]), int(self.month[5:]), 1)


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
