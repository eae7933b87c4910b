"""reports' HTTP API: the summary, and /metrics read from the same facts."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from pydantic import BaseModel, ConfigDict, ValidationError
from spectree import Response as Doc
from sqlalchemy import func, select

from shared import auth, web
from shared.bootstrap import Runtime, bootstrap
from shared.errors import ApiError, ErrorResponse, invalid
from services.reports import summary as summaries
from services.reports.config import SERVICE
from services.reports.models import outbox
from services.reports.models import facts

api = Blueprint("api", __name__, url_prefix="/api/v1/reports")
spec = web.new_spec(SERVICE)


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: date | None = None
    end: date | None = None


class Summary(BaseModel):
    period: dict
    total: int
    open: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_channel: dict[str, int]
    by_county: list[dict]
    by_enterprise: list[dict]


@api.get("/summary")
@spec.validate(query=Period, resp=Doc(HTTP_200=Summary, **{f"HTTP_{s}": ErrorResponse for s in (401, 422)}),
               tags=["reports"], skip_validation=True)
@auth.require_staff()
def summary():
    """Counts of demands by status, category, channel, county and enterprise (?start=&end=, dates),
    within the caller's scope: a chair never counts the demands about the chair."""
    try:
        period = Period.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise invalid(exc) from None
    if period.start and period.end and period.start > period.end:
        raise ApiError(422, "invalid_fields", _("Some fields are invalid."),
                       {"end": _("The end of the period is before its start.")})
    with web.runtime().engine.connect() as conn:
        return jsonify(summaries.summary(conn, period.start, period.end, g.staff))


class FactsCollector:
    """Submitted totals by channel and category, and cases by status, from the facts at scrape time."""

    def __init__(self, rt: Runtime):
        self.rt = rt

    def collect(self):
        submitted = CounterMetricFamily("xinsheng_grievances_submitted", "Demands submitted.",
                                        labels=["channel", "category"])
        cases = GaugeMetricFamily("xinsheng_cases", "Demands by current status.", labels=["status"])
        known = facts.c.submitted_at.is_not(None)
        with self.rt.engine.connect() as conn:
            for channel, category, n in conn.execute(
                    select(facts.c.channel, facts.c.category, func.count()).where(known)
                    .group_by(facts.c.channel, facts.c.category)):
                submitted.add_metric([channel, category], n)
            for status, n in conn.execute(select(facts.c.status, func.count()).where(known)
                                          .group_by(facts.c.status)):
                cases.add_metric([status], n)
        yield submitted
        yield cases


def create_app(rt: Runtime | None = None):
    rt = rt or bootstrap(SERVICE)
    app = web.create_app(rt, outbox, import_name=__name__, collectors=[FactsCollector(rt)])
    app.register_blueprint(api)
    spec.register(app)
    return app
