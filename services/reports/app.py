"""reports' web app: the summary, and /metrics read from the same facts."""

from __future__ import annotations

from flask import Flask
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from services.reports import api, config
from services.reports.models import facts, revocations
from shared import web
from shared.bootstrap import Runtime, bootstrap


class FactsCollector:
    """Submitted totals by channel and category, and cases by status, from the facts at scrape time."""

    def __init__(self, rt: Runtime):
        self.rt = rt

    def collect(self):
        submitted = CounterMetricFamily(
            "xinsheng_grievances_submitted", "Demands submitted.", labels=["channel", "category"]
        )
        cases = GaugeMetricFamily("xinsheng_cases", "Demands by current status.", labels=["status"])
        known = facts.c.submitted_at.is_not(None)
        with self.rt.engine.connect() as conn:
            for channel, category, n in conn.execute(
                select(facts.c.channel, facts.c.category, func.count())
                .where(known)
                .group_by(facts.c.channel, facts.c.category)
            ):
                submitted.add_metric([channel, category], n)
            for status, n in conn.execute(
                select(facts.c.status, func.count()).where(known).group_by(facts.c.status)
            ):
                cases.add_metric([status], n)
        yield submitted
        yield cases


def create_app(rt: Runtime[config.Settings] | None = None) -> Flask:
    rt = rt or bootstrap(config.load())
    app = web.create_app(
        rt, import_name=__name__, spec=api.spec, collectors=[FactsCollector(rt)], revocations=revocations
    )
    app.register_blueprint(api.api)
    return app
