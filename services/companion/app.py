"""companion's web app: the programme's API for staff, and the workers' pages (surveys, the diary)."""

from __future__ import annotations

from collections import Counter

from flask import Flask
from prometheus_client.core import CounterMetricFamily
from sqlalchemy import func, select

from services.companion import api, config, coverage, pages
from services.companion.models import outbox, revocations, schedules
from shared import clock, web
from shared.bootstrap import Runtime, bootstrap
from shared.config import REPO_ROOT


class DaysCollector:
    """``xinsheng_companion_days_total{county,outcome}``: the companion days so far (up to today) by
    county and what became of them: held, cancelled, missed, open."""

    def __init__(self, rt: Runtime[config.Settings]):
        self.rt = rt

    def collect(self):
        family = CounterMetricFamily(
            "xinsheng_companion_days",
            "Companion days so far, by county and outcome.",
            labels=["county", "outcome"],
        )
        with self.rt.engine.connect() as conn:
            first = conn.execute(select(func.min(schedules.c.starts_on))).scalar()
            counts = Counter(
                (county, status)
                for county, _, _, _, status in (
                    coverage.day_outcomes(conn, None, first, clock.today()) if first else []
                )
            )
        for (county, outcome), n in sorted(counts.items()):
            family.add_metric([county, outcome], n)
        yield family


def create_app(rt: Runtime[config.Settings] | None = None) -> Flask:
    rt = rt or bootstrap(config.load())
    app = web.create_app(
        rt,
        import_name=__name__,
        spec=api.spec,
        outbox=outbox,
        messages=api.MESSAGES,
        revocations=revocations,
        collectors=[DaysCollector(rt)],
        template_folder="templates",
        static_folder=str(REPO_ROOT / "shared" / "static"),
    )
    app.register_blueprint(api.api)
    app.register_blueprint(pages.pages)
    return app
