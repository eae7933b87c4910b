"""notify's HTTP API: health, readiness, metrics and its OpenAPI document.

The per-case notification log for staff comes with staff authentication (the ledger issue).
"""
from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from shared import web
from shared.bootstrap import Runtime, bootstrap
from services.notify.config import SERVICE
from services.notify.models import outbox
from services.notify.models import notifications


class NotificationGauge:
    """Notifications by channel and status, read from the notification log at scrape time."""

    def __init__(self, rt: Runtime):
        self.rt = rt

    def collect(self):
        family = GaugeMetricFamily("xinsheng_notifications", "Notifications in the log.",
                                   labels=["channel", "kind", "status"])
        with self.rt.engine.connect() as conn:
            for row in conn.execute(select(notifications.c.channel, notifications.c.kind,
                                           notifications.c.status, func.count())
                                    .group_by(notifications.c.channel, notifications.c.kind,
                                              notifications.c.status)):
                family.add_metric(list(row[:3]), row[3])
        yield family


def create_app(rt: Runtime | None = None):
    rt = rt or bootstrap(SERVICE)
    app = web.create_app(rt, outbox, import_name=__name__, collectors=[NotificationGauge(rt)])
    web.new_spec(SERVICE).register(app)
    return app
