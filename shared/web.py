"""The Flask app every service's web process starts from: errors, locale, health, metrics, OpenAPI,
security headers. The HTTP edge: domain errors become answers here, in one place."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask_babel import Babel, get_locale, lazy_gettext
from flask_babel import gettext as _
from prometheus_client.registry import Collector
from spectree import SpecTree
from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from shared import apidoc, auth, bodies, clock, health, metrics, throttle
from shared.bootstrap import Runtime
from shared.config import REPO_ROOT, Settings
from shared.db import is_transient
from shared.errors import ApiError, DomainError
from shared.outbox import PendingCollector

log = logging.getLogger("xinsheng.http")
LOCALES = ("zh", "en")
_HTTP_CODES = {
    400: "malformed",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}
STATUS = {
    "not_found": 404,
    "unauthenticated": 401,
    "forbidden": 403,
    "conflict": 409,
    "invalid": 422,
    "throttled": 429,
}
# Messages of the codes every service may raise; a service's own catalogue adds to them.
COMMON_MESSAGES = {
    "not_found": lazy_gettext("Not found."),
    "forbidden": lazy_gettext("Your role may not do this."),
    "invalid_fields": lazy_gettext("Some fields are invalid."),
}
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'{style}; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def select_locale() -> str:
    forced = request.args.get("lang")
    if forced in LOCALES:
        return forced
    return request.accept_languages.best_match(LOCALES) or "zh"


def create_app(
    rt: Runtime[Settings],
    *,
    import_name: str,
    spec: SpecTree,
    outbox: Table | None = None,
    messages: Mapping[str, Any] | None = None,
    revocations: Table | None = None,
    readiness_details: Mapping[str, Callable[[], str]] | None = None,
    collectors: Iterable[Collector] = (),
    template_folder: str | None = None,
    static_folder: str | None = None,
) -> Flask:
    """A Flask app wired with the shared behaviour; the service adds its blueprints. ``spec``: the
    service's OpenAPI document (the shared routes join it); ``messages``: the message of each code
    the service's domain errors may carry."""
    settings, engine = rt.settings, rt.engine
    if outbox is not None:
        collectors = (PendingCollector(settings.service, engine, outbox), *collectors)
    app = Flask(import_name, template_folder=template_folder, static_folder=static_folder)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        BABEL_TRANSLATION_DIRECTORIES=str(REPO_ROOT / "shared" / "translations"),
        BABEL_DEFAULT_LOCALE="zh",
    )
    app.json = bodies.IsoJSONProvider(app)
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.extensions["xinsheng"] = rt
    app.extensions["xinsheng.messages"] = {**COMMON_MESSAGES, **(messages or {})}
    if revocations is not None:  # a service with staff endpoints: revoked tokens are refused
        app.extensions["xinsheng.revocations"] = auth.Revocations(engine, revocations)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["local_time"] = clock.for_people
    _install_errors(app)
    _install_timing(app, settings.service)
    bodies.install_form_check(app)
    _install_headers(app)
    health.install(app, settings, engine, tuple(collectors), spec, readiness_details)
    apidoc.install(app)
    spec.register(app)  # the document is made at its first request, with every route by then
    return app


def runtime() -> Runtime[Any]:
    """The runtime (settings and engine) of the app handling this request."""
    rt: Runtime[Any] = current_app.extensions["xinsheng"]  # Any: each service has its own Settings
    return rt


RETRY_DATABASE_SECONDS = 5


def refusal_page(
    exc: DomainError | ApiError | HTTPException | DBAPIError, template: str = "error.html"
) -> Response:
    """A refusal answered as a page (the workers' pages): ``template`` with the reason, its status and
    headers. A database error that is not transient is not a refusal: it is raised again."""
    if isinstance(exc, DBAPIError) and not is_transient(exc):
        raise exc
    err = error_answer(exc)
    response = make_response(render_template(template, message=err.message), err.status)
    response.headers.update(err.headers)
    return response


def error_answer(exc: DomainError | ApiError | HTTPException | DBAPIError) -> ApiError:
    """The answer to a refusal (of the domain, of the edge, of the HTTP layer) or to a database that is
    away: its status, its code, its message in the caller's language and its headers. The one place
    refusals are worded."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, DBAPIError):
        return ApiError(
            503,
            "unavailable",
            _("The service is briefly unavailable; please try again in a moment."),
            headers={"Retry-After": str(RETRY_DATABASE_SECONDS)},
        )
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        messages_by_status = {
            404: _("Not found."),
            405: _("Method not allowed."),
            413: _("The request is too large."),
            400: _("The request is malformed."),
            429: _("Too many requests; please wait a moment and try again."),
        }
        kept = {k: v for k, v in exc.get_headers() if k in ("Allow", "Retry-After")}
        return ApiError(
            status,
            _HTTP_CODES.get(status, "http_error"),
            messages_by_status.get(status, exc.name),
            headers=kept,
        )
    messages = current_app.extensions["xinsheng.messages"]

    def say(key: str) -> str:
        text = messages[key]
        return text(exc.params) if callable(text) else str(text) % exc.params

    extra = dict(exc.extra)
    retry_after = extra.pop("retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    fields = {k: say(v) for k, v in exc.fields.items()}
    return ApiError(STATUS[exc.kind], exc.code, say(exc.message), fields, headers=headers, **extra)


def answer(err: ApiError) -> Response:
    """An error as the one JSON shape, with its status and headers."""
    response = jsonify(err.body())
    response.status_code = err.status
    response.headers.update(err.headers)
    return response


def _install_errors(app: Flask) -> None:
    @app.errorhandler(ApiError)
    @app.errorhandler(DomainError)
    @app.errorhandler(HTTPException)
    def refused(exc: ApiError | DomainError | HTTPException) -> Response:
        return answer(error_answer(exc))

    @app.errorhandler(DBAPIError)
    def database(exc: DBAPIError) -> Response:
        if not is_transient(exc):
            return unexpected(exc)
        # The engine hides statement parameters, so the error's text holds no demand or contact.
        log.warning("database unavailable", extra={"route": _route(), "error": type(exc).__name__})
        return answer(error_answer(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error", extra={"route": _route()})
        return answer(ApiError(500, "internal", _("Something went wrong on our side; please try again.")))


def _route() -> str:
    return request.url_rule.rule if request.url_rule else "<unmatched>"


def _install_timing(app: Flask, service: str) -> None:
    """Count and time requests by route pattern: no path (it may hold a tracking code), no address."""

    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record(response: Response) -> Response:
        route = _route()
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.HTTP_REQUESTS.labels(service, request.method, route, response.status_code).inc()
        metrics.HTTP_SECONDS.labels(service, route).observe(elapsed)
        if response.status_code >= 500:
            log.warning(
                "request failed",
                extra={"method": request.method, "route": route, "status": response.status_code},
            )
        return response


def _install_headers(app: Flask) -> None:
    """Every answer: no sniffing, no referrer, no caching (pages and answers may hold a tracking code);
    HTML: a Content-Security-Policy without inline script, never framed."""

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.endpoint != "static" and not request.path.startswith("/apidoc/assets/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if response.mimetype == "text/html":
            # Swagger UI styles its widgets inline: its page alone allows inline styles.
            inline = " 'unsafe-inline'" if request.path.startswith("/apidoc/") else ""
            response.headers.setdefault("Content-Security-Policy", _CSP.format(style=inline))
        return response


def install_rate_limit(app: Flask, rate_limit: str, endpoints: Iterable[str], table: Table) -> None:
    """Limit POSTs to the given endpoints per client, all of them together, e.g.
    RATE_LIMIT="120/10 minutes"; off for "off", "0" or empty. A 429 carries Retry-After.

    The counters live in the service's ``table`` (``shared.throttle``), so every process and instance
    shares them. A client is a keyed hash of its address under a key that changes daily, and its row
    goes with its window: no address is stored (DESIGN §4).
    """
    budget = throttle.Budget.parse(rate_limit)
    if budget is None:
        return
    rt: Runtime[Settings] = app.extensions["xinsheng"]
    counters = throttle.Counters(rt.engine, table, rt.settings.secret_key)
    limited = frozenset(endpoints)

    @app.before_request
    def check_rate() -> None:
        if request.method == "POST" and request.endpoint in limited:
            seen = counters.hit(counters.key("post", throttle.client(request.remote_addr)), budget.seconds)
            if seen.hits > budget.amount:
                raise ApiError(
                    429,
                    "rate_limited",
                    _("Too many requests; please wait a moment and try again."),
                    headers={"Retry-After": str(seen.retry_after)},
                )
