"""The Flask app every service's web process starts from: errors, locale, health, metrics, OpenAPI,
security headers. The HTTP edge: domain errors become answers here, in one place."""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Mapping

from flask import Flask, Response, current_app, g, jsonify, request, send_from_directory
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel, get_locale, gettext as _, lazy_gettext
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import BaseModel, ValidationError
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from sqlalchemy import Engine, Table, text
from werkzeug.exceptions import BadRequest, HTTPException, NotFound as HTTPNotFound

from shared import clock, metrics
from shared.bootstrap import Runtime
from shared.broker import RETRYABLE, connect
from shared.config import REPO_ROOT, Settings
from shared.errors import ApiError, DomainError, invalid
from shared.outbox import PendingCollector

log = logging.getLogger("xinsheng.http")
LOCALES = ("zh", "en")
_HTTP_CODES = {400: "malformed", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               429: "rate_limited"}
STATUS = {"not_found": 404, "unauthenticated": 401, "forbidden": 403, "conflict": 409, "invalid": 422,
          "throttled": 429}
# Messages of the codes every service may raise; a service's own catalogue adds to them.
COMMON_MESSAGES = {
    "not_found": lazy_gettext("Not found."),
    "forbidden": lazy_gettext("Your role may not do this."),
    "invalid_fields": lazy_gettext("Some fields are invalid."),
}
STAFF = {"bearer": []}  # the OpenAPI security of a staff operation: ``spec.validate(security=web.STAFF)``
_SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Xinsheng API</title><link rel="stylesheet" href="/apidoc/assets/swagger-ui.css"></head>
<body><div id="swagger-ui" data-spec-url="{spec_url}"></div>
<script src="/apidoc/assets/swagger-ui-bundle.js"></script>
<script src="/apidoc/assets/swagger-ui-standalone-preset.js"></script>
<script src="/apidoc/assets/swagger-init.js"></script></body></html>"""
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'{style}; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class IsoJSONProvider(DefaultJSONProvider):
    """JSON with ISO-8601 times in China time with their offset (Flask's default is the HTTP date
    format), and Chinese left readable."""
    ensure_ascii = False

    @staticmethod
    def default(o):
        if isinstance(o, datetime) and o.tzinfo is not None:
            return clock.iso(o)
        if isinstance(o, (datetime, date)):
            return o.isoformat()
        return DefaultJSONProvider.default(o)


def new_spec(service: str) -> SpecTree:
    """The service's OpenAPI document, served at /apidoc/openapi.json once registered, and browsable
    at /apidoc/swagger/ with assets the service serves itself; staff operations name the bearer token."""
    return SpecTree("flask", title=f"Xinsheng {service}", version="v1", path="apidoc",
                    annotations=False, naming_strategy=lambda model: model.__name__,
                    page_templates={"swagger": _SWAGGER_PAGE},
                    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(
                        type="http", scheme="bearer",
                        description="The token of POST /api/v1/auth/token (routing)."))])


def select_locale() -> str:
    forced = request.args.get("lang")
    if forced in LOCALES:
        return forced
    return request.accept_languages.best_match(LOCALES) or "zh"


def create_app(rt: Runtime, *, import_name: str, outbox: Table | None = None,
               messages: Mapping[str, Any] | None = None, collectors: Iterable = (),
               template_folder: str | None = None, static_folder: str | None = None) -> Flask:
    """A Flask app wired with the shared behaviour; the service adds its blueprints. ``messages``:
    the message of each code the service's domain errors may carry."""
    settings, engine = rt.settings, rt.engine
    if outbox is not None:
        collectors = (PendingCollector(settings.service, engine, outbox), *collectors)
    app = Flask(import_name, template_folder=template_folder, static_folder=static_folder)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_content_length,
                      BABEL_TRANSLATION_DIRECTORIES=str(REPO_ROOT / "shared" / "translations"),
                      BABEL_DEFAULT_LOCALE="zh")
    app.json = IsoJSONProvider(app)
    app.extensions["xinsheng"] = rt
    app.extensions["xinsheng.messages"] = {**COMMON_MESSAGES, **(messages or {})}
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["local_time"] = clock.for_people
    _install_errors(app)
    _install_timing(app, settings.service)
    _install_headers(app)
    _install_health(app, settings, engine, tuple(collectors))
    _install_apidoc_assets(app)
    return app


def runtime() -> Runtime:
    """The runtime (settings and engine) of the app handling this request."""
    return current_app.extensions["xinsheng"]


def error_answer(exc: DomainError | ApiError) -> ApiError:
    """The answer to a refusal of the domain: its status, and its code's message in the caller's language."""
    if isinstance(exc, ApiError):
        return exc
    messages = current_app.extensions["xinsheng.messages"]

    def say(key: str) -> str:
        text = messages[key]
        return text(exc.params) if callable(text) else str(text) % exc.params

    return ApiError(STATUS[exc.kind], exc.code, say(exc.message), {k: say(v) for k, v in exc.fields.items()},
                    **exc.extra)


def _install_errors(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return jsonify(exc.body()), exc.status

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        answer = error_answer(exc)
        return jsonify(answer.body()), answer.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = _HTTP_CODES.get(exc.code, "http_error")
        messages = {404: _("Not found."), 405: _("Method not allowed."),
                    413: _("The request is too large."), 400: _("The request is malformed."),
                    429: _("Too many requests; please wait a moment and try again.")}
        err = ApiError(exc.code or 500, code, messages.get(exc.code, exc.name))
        return jsonify(err.body()), err.status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error", extra={"route": _route()})
        err = ApiError(500, "internal", _("Something went wrong on our side; please try again."))
        return jsonify(err.body()), 500


def _route() -> str:
    return request.url_rule.rule if request.url_rule else "<unmatched>"


def _install_timing(app: Flask, service: str) -> None:
    """Count and time requests by route pattern: no path (it may hold a tracking code), no address."""
    @app.before_request
    def start():
        g.started = time.perf_counter()

    @app.after_request
    def record(response: Response):
        route = _route()
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.HTTP_REQUESTS.labels(service, request.method, route, response.status_code).inc()
        metrics.HTTP_SECONDS.labels(service, route).observe(elapsed)
        if response.status_code >= 500:
            log.warning("request failed", extra={"method": request.method, "route": route,
                                                 "status": response.status_code})
        return response


def _install_headers(app: Flask) -> None:
    """Every answer: no sniffing, no referrer, no caching (pages and answers may hold a tracking code);
    HTML: a Content-Security-Policy without inline script, never framed."""
    @app.after_request
    def headers(response: Response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.endpoint != "static" and not request.path.startswith("/apidoc/assets/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if response.mimetype == "text/html":
            # Swagger UI styles its widgets inline: its page alone allows inline styles.
            inline = " 'unsafe-inline'" if request.path.startswith("/apidoc/") else ""
            response.headers.setdefault("Content-Security-Policy", _CSP.format(style=inline))
        return response


def _install_apidoc_assets(app: Flask) -> None:
    """Swagger UI's files, served by the service itself (the machine may reach no CDN)."""
    @app.get("/apidoc/assets/<path:name>")
    def apidoc_asset(name: str):
        from swagger_ui_bundle import swagger_ui_path
        for folder in (REPO_ROOT / "shared" / "static", Path(str(swagger_ui_path))):
            if (folder / name).is_file():
                return send_from_directory(folder, name, max_age=3600)
        raise HTTPNotFound()


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
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return f"unavailable ({type(exc).__name__})"


def _install_health(app: Flask, settings: Settings, engine: Engine, collectors) -> None:
    broker_check = _BrokerCheck(settings)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=settings.service)

    @app.get("/readyz")
    def readyz():
        checks = {"database": _database_check(engine), "broker": broker_check()}
        if all(v == "ok" for v in checks.values()):
            return jsonify(status="ready", service=settings.service, checks=checks)
        err = ApiError(503, "not_ready", _("The service is not ready."), checks)
        return jsonify(err.body()), 503

    @app.get("/metrics")
    def metrics_view():
        body, content_type = metrics.exposition(collectors)
        return Response(body, content_type=content_type)


def install_rate_limit(app: Flask, rate_limit: str, endpoints: Iterable[str]) -> None:
    """Limit POSTs to the given endpoints per client, e.g. RATE_LIMIT="20/minute"; off when empty.

    The client key is a salted hash of its address, held in this process's memory only: no
    address is stored (DESIGN §4). Limits are per process, so they multiply by the worker count.
    """
    if not rate_limit:
        return
    salt = secrets.token_bytes(16)
    limit, window = parse(rate_limit), MovingWindowRateLimiter(MemoryStorage())
    limited = frozenset(endpoints)

    @app.before_request
    def rate_limit():
        if request.method == "POST" and request.endpoint in limited:
            who = hashlib.blake2b((request.remote_addr or "").encode(), key=salt, digest_size=8).hexdigest()
            if not window.hit(limit, request.endpoint, who):
                raise ApiError(429, "rate_limited", _("Too many requests; please wait a moment and try again."))


def json_body(model: type[BaseModel]) -> BaseModel:
    """The request's JSON body validated by ``model``; 415, 400 or 422 otherwise."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", _("Send the body as application/json."))
    try:
        data = request.get_json()
    except (BadRequest, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise ApiError(400, "malformed", _("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_fields", _("The body must be a JSON object."))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc) from None
