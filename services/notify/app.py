"""notify's web app: the notification log of a case for staff, health, readiness, metrics (with the
notification log's counts), OpenAPI."""

from __future__ import annotations

from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from services.notify import api, config
from services.notify.models import notifications, outbox, revocations
from shared import web
from shared.bootstrap import Runtime, bootstrap


class NotificationGauge:
    """Notifications by channel and status, read from the notification log at scrape time."""

    def __init__(self, rt: Runtime):
        self.rt = rt

    def collect(self):
        family = GaugeMetricFamily(
            "xinsheng_notifications", "Notifications in the log.", labels=["channel", "kind", "status"]
        )
        with self.rt.engine.connect() as conn:
            for row in conn.execute(
                select(
                    notifications.c.channel, notifications.c.kind, notifications.c.status, func.count()
                ).group_by(notifications.c.channel, notifications.c.kind, notifications.c.status)
            ):
                family.add_metric(list(row[:3]), row[3])
        yield family


def create_app(rt: Runtime[config.Settings] | None = None) -> Flask:
    rt = rt or bootstrap(config.load())
    app = web.create_app(
        rt,
        import_name=__name__,
        spec=api.spec,
        outbox=outbox,
        messages=api.MESSAGES,
        collectors=[NotificationGauge(rt)],
        revocations=revocations,
    )
    app.register_blueprint(api.api)
    return app
