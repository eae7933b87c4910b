"""reports' web app: the summary, the rates and the exports, and /metrics read from the same facts
(the rates per county as the worker last computed them)."""

from __future__ import annotations

from flask import Flask
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from services.reports import api, config, pages
from services.reports.models import county_rates, facts, revocations
from shared import web
from shared.bootstrap import Runtime, bootstrap
from shared.config import REPO_ROOT


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


class CountyRatesCollector:
    """The rates per county over the last 30 days, as the worker last computed them: the numerator
    and the denominator as two series (no enterprise label: the set of series stays small)."""

    def __init__(self, rt: Runtime):
        self.rt = rt

    def collect(self):
        labels = ["county", "rate"]
        numerator = GaugeMetricFamily(
            "xinsheng_rate_numerator", "A rate's numerator per county, last 30 days.", labels=labels
        )
        denominator = GaugeMetricFamily(
            "xinsheng_rate_denominator", "A rate's denominator per county, last 30 days.", labels=labels
        )
        computed = GaugeMetricFamily(
            "xinsheng_rates_computed_timestamp_seconds", "When the worker last computed the rates per county."
        )
        with self.rt.engine.connect() as conn:
            rows = conn.execute(
                select(county_rates).order_by(county_rates.c.county_code, county_rates.c.rate)
            ).all()
        for r in rows:
            numerator.add_metric([r.county_code, r.rate], r.numerator)
            denominator.add_metric([r.county_code, r.rate], r.denominator)
        if rows:
            computed.add_metric([], max(r.computed_at for r in rows).timestamp())
        yield numerator
        yield denominator
        yield computed


def create_app(rt: Runtime[config.Settings] | None = None) -> Flask:
    rt = rt or bootstrap(config.load())
    app = web.create_app(
        rt,
        import_name=__name__,
        spec=api.spec,
        collectors=[FactsCollector(rt), CountyRatesCollector(rt)],
        revocations=revocations,
        template_folder="templates",
        static_folder=str(REPO_ROOT / "shared" / "static"),
    )
    app.register_blueprint(api.api)
    app.register_blueprint(pages.pages)
    return app
