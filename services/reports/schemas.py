"""What reports accepts and answers, as validated models (also the OpenAPI document's schemas)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.text import Day


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
