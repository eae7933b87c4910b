"""Every service's health: ``/healthz`` (alive), ``/readyz`` (its database and broker answer; 503
naming what is down) and ``/metrics`` (every process's metrics and the service's own gauges)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable

from flask import Flask, Response, jsonify, request
from flask_babel import gettext as _
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text

from shared import metrics
from shared.broker import RETRYABLE, connect
from shared.config import Settings
from shared.errors import ApiError


class _BrokerCheck:
    """Whether the broker accepts a connection, remembered for a few seconds per process."""

    def __init__(self, settings: Settings, ttl: float = 5.0):
        self.settings, self.ttl, self.at, self.result = settings, ttl, 0.0, "unknown"

    def __call__(self) -> str:
        if time.monotonic() - self.at > self.ttl:
            try:
                connect(self.settings, heartbeat=0).close()
                self.result = "ok"
            except RETRYABLE as exc:
                self.result = f"unreachable ({type(exc).__name__})"
            self.at = time.monotonic()
        return self.result


def _database_check(engine: Engine) -> str:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        return f"unavailable ({type(exc).__name__})"


def install(app: Flask, settings: Settings, engine: Engine, collectors: Iterable[Collector]) -> None:
    broker_check = _BrokerCheck(settings)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", service=settings.service)

    @app.get("/readyz")
    def readyz() -> Response | tuple[Response, int]:
        checks = {"database": _database_check(engine), "broker": broker_check()}
        if all(v == "ok" for v in checks.values()):
            return jsonify(status="ready", service=settings.service, checks=checks)
        err = ApiError(503, "not_ready", _("The service is not ready."), checks)
        return jsonify(err.body()), 503

    @app.get("/metrics")
    def metrics_view() -> Response:
        # Counts by category and enterprise (harassment at one firm, say) are for the operators'
        # Prometheus only, not for anyone who reaches the service's port.
        if not _scraper(settings.metrics_token):
            raise ApiError(403, "forbidden", _("Metrics are for the monitoring system only."))
        body, content_type = metrics.exposition(collectors)
        return Response(body, content_type=content_type)


def _scraper(token: str) -> bool:
    """Whether the request carries the metrics token (compared in constant time)."""
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)
