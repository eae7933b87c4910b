"""Every service's health: ``/healthz`` (alive), ``/readyz`` (its database and broker answer; 503
naming what is down) and ``/metrics`` (every process's metrics and the service's own gauges)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterable, Mapping

from flask import Flask, Response, jsonify, request
from flask_babel import gettext as _
from prometheus_client.registry import Collector
from pydantic import BaseModel
from spectree import Response as Doc
from spectree import SpecTree
from sqlalchemy import Engine, text

from shared import metrics
from shared.apidoc import Pages
from shared.broker import RETRYABLE, connect
from shared.config import Settings
from shared.errors import ApiError, ErrorResponse


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


class Alive(BaseModel):
    status: str
    service: str


class Ready(Alive):
    checks: dict[str, str]
    details: dict[str, str] = {}  # worth knowing, never a reason to be unready (the calendar's reach)


def install(
    app: Flask,
    settings: Settings,
    engine: Engine,
    collectors: Iterable[Collector],
    spec: SpecTree,
    details: Mapping[str, Callable[[], str]] | None = None,
) -> None:
    """The three routes, each in the service's OpenAPI document with every answer it gives."""
    broker_check = _BrokerCheck(settings)

    @app.get("/healthz")
    @spec.validate(resp=Doc(HTTP_200=Alive), tags=["health"], skip_validation=True)
    def healthz() -> Response:
        """Alive: the process answers (nothing else is checked)."""
        return jsonify(status="ok", service=settings.service)

    @app.get("/readyz")
    @spec.validate(resp=Doc(HTTP_200=Ready, HTTP_503=ErrorResponse), tags=["health"], skip_validation=True)
    def readyz() -> Response | tuple[Response, int]:
        """Ready: the service's database and RabbitMQ answer; 503 names what does not."""
        checks = {"database": _database_check(engine), "broker": broker_check()}
        if all(v == "ok" for v in checks.values()):
            told = {name: detail() for name, detail in (details or {}).items()}
            return jsonify(status="ready", service=settings.service, checks=checks, details=told)
        err = ApiError(503, "not_ready", _("The service is not ready."), checks)
        return jsonify(err.body()), 503

    @app.get("/metrics")
    @spec.validate(
        resp=Pages("text/plain", 200, HTTP_403=ErrorResponse), tags=["health"], skip_validation=True
    )
    def metrics_view() -> Response:
        """Prometheus text of every process of the service, for the scraper's bearer token only."""
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
