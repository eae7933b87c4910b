"""routing's web app: the directory, staff log-in, the ledger, and how far the working calendar reaches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from services.routing import api, calendar, config
from services.routing.cases import overdue
from services.routing.models import cases, outbox, revocations, timers
from shared import clock, web
from shared.bootstrap import Runtime, bootstrap
from shared.timers import LagCollector


class OverdueCollector:
    """``xinsheng_cases_overdue{level}``: open cases past a deadline whose action is not done, by
    supervision level (a paused clock is not overdue)."""

    def __init__(self, rt: Runtime[config.Settings]):
        self.rt = rt

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "xinsheng_cases_overdue", "Open cases past a deadline, by supervision level.", labels=["level"]
        )
        with self.rt.engine.connect() as conn:
            counts = dict(
                conn.execute(
                    select(cases.c.supervision_level, func.count())
                    .where(overdue(clock.now()))
                    .group_by(cases.c.supervision_level)
                ).all()
            )
        for level in (0, 1, 2):
            family.add_metric([str(level)], counts.get(level, 0))
        yield family


class CalendarCollector:
    """``xinsheng_calendar_known_until``: the end (a Unix time) of the last day the official working
    calendar is known for; past it, due dates are provisional. An alert fires 60 days before."""

    def __init__(self, rt: Runtime[config.Settings]):
        self.rt = rt

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "xinsheng_calendar_known_until", "End of the last day of the official working calendar known."
        )
        family.add_metric([], known_until_end(self.rt).timestamp())
        yield family


def known_until_end(rt: Runtime[config.Settings]) -> datetime:
    with rt.engine.connect() as conn:
        return clock.day_end(calendar.current(conn).known_until()) + timedelta(seconds=1)


def create_app(rt: Runtime[config.Settings] | None = None) -> Flask:
    rt = rt or bootstrap(config.load())
    app = web.create_app(
        rt,
        import_name=__name__,
        spec=api.spec,
        outbox=outbox,
        messages=api.MESSAGES,
        revocations=revocations,
        collectors=[
            CalendarCollector(rt),
            OverdueCollector(rt),
            LagCollector(rt.engine, timers, rt.settings.service),
        ],
        readiness_details={"calendar": lambda: _calendar_detail(rt)},
    )
    app.register_blueprint(api.api)
    return app


def _calendar_detail(rt: Runtime[config.Settings]) -> str:
    with rt.engine.connect() as conn:
        until = calendar.current(conn).known_until()
    left = (until - clock.today()).days
    return f"known until {until} ({left} days); later due dates are provisional"
