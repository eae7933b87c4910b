"""The worker's pages: the web form, the kiosk of one enterprise, the status lookup (DESIGN §3, §4).

Every page keeps the language chosen with ``?lang=``. A kiosk (信访终端, a screen shared by everyone
at one workplace) has its pages under ``/k/<kiosk>/``: they stay in kiosk mode, keep the kiosk's
idle time (``?idle=`` seconds) and go back to the empty kiosk form when left alone. A form carries
its own idempotency key and a submission answers with a redirect (303) to its result page, so a
double tap or a reload makes one demand.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from services.intake import api, grievances, tracking
from services.intake.schemas import DemandForm, FeedbackForm, GrievanceIn
from shared import apidoc, labels, web
from shared.errors import ApiError, DomainError, NotFound

pages = Blueprint("pages", __name__)

IDLE_SECONDS = 75  # a kiosk page left alone this long goes back to the empty form
_IDLE_LIMITS = (1, 3600)
_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_FORMS = ("pages.form", "pages.kiosk")
_ANSWERED = "answered"  # session key: the answer just given, shown once with the thanks
_GET_OF = {"pages.feedback": "pages.status"}  # the page a POST-only address is shown on
RATINGS = {
    1: labels.N_("Very dissatisfied"),
    2: labels.N_("Dissatisfied"),
    3: labels.N_("Neither"),
    4: labels.N_("Satisfied"),
    5: labels.N_("Very satisfied"),
}


# -- kiosk mode, language and idle time: kept by every link and redirect ----------------------------
@pages.url_value_preprocessor
def _kiosk_mode(endpoint, values):
    code = (values or {}).pop("kiosk", None)
    g.kiosk = _active_enterprise(code) if code is not None else None
    if code is not None and g.kiosk is None:
        abort(404)


@pages.url_defaults
def _carry(endpoint, values):
    """A page's links stay in its kiosk with its idle time, and in the chosen language."""
    if not has_request_context():
        return
    kiosk = g.get("kiosk")
    if kiosk and "kiosk" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "kiosk"):
        values["kiosk"] = kiosk["code"]
    if values.get("kiosk") and "idle" not in values and "idle" in request.args:
        values["idle"] = _idle()
    if "lang" not in values and request.args.get("lang") in web.LOCALES:
        values["lang"] = request.args["lang"]


def _idle() -> int:
    try:
        seconds = int(request.args.get("idle", IDLE_SECONDS))
    except ValueError:
        return IDLE_SECONDS
    return min(max(seconds, _IDLE_LIMITS[0]), _IDLE_LIMITS[1])


def _lang_url(locale: str) -> str:
    """This page in another language (for a POST-only address: the page it is shown on)."""
    args = {**request.args.to_dict(), "lang": locale}
    if request.endpoint in _GET_OF:
        return url_for(_GET_OF[request.endpoint], **(request.view_args or {}), **args)
    return f"{request.path}?{urlencode(args)}"


@pages.context_processor
def _page_context():
    kiosk = g.get("kiosk")
    return {
        "kiosk": kiosk,
        "idle": _idle(),
        "lang_url": _lang_url,
        "ratings": RATINGS,
        "home": url_for("pages.kiosk", lang=None) if kiosk else url_for("pages.form"),
        "companion_url": web.runtime().settings.companion_url.rstrip("/"),
    }


def _active_enterprise(code: str) -> dict | None:
    return next((e for e in grievances.active_enterprises(web.runtime()) if e["code"] == code), None)


# -- the forms ----------------------------------------------------------------------------------------
def _page(*statuses: int, form: type[BaseModel] | None = None):
    """A page's entry in the OpenAPI document: HTML answers with these statuses (the forms' POSTs
    redirect, 303, to their result) and, for a POST, the form it takes."""
    return api.spec.validate(
        form=form, resp=apidoc.Pages("text/html", *statuses), tags=["pages"], skip_validation=True
    )


_POSTED = (303, 400, 403, 413, 415, 422, 429, 503)  # what a form's POST may answer


@pages.route("/", methods=["GET", "POST"])
@_page(200, *_POSTED, form=DemandForm)
def form():
    if request.method == "POST":
        return _submitted(_parse_demand({"channel": "web"}))
    return _form_page()


@pages.route("/k/<kiosk>", methods=["GET", "POST"])
@_page(200, 404, *_POSTED, form=DemandForm)
def kiosk():
    if request.method == "POST":
        return _submitted(_parse_demand({"enterprise_code": g.kiosk["code"], "channel": "kiosk"}))
    return _form_page()


def _form_page(status: int = 200, **context):
    """The empty form (or the form again, with what was typed and what is wrong), with a new key."""
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.update(categories=labels.CATEGORY, form_key=secrets.token_urlsafe(18))
    if g.kiosk:
        return render_template("kiosk.html", enterprise=g.kiosk, **context), status
    everyone = grievances.active_enterprises(web.runtime())
    query = request.args.get("q", "").strip()[:50] if request.method == "GET" else ""
    found = [e for e in everyone if query.casefold() in e["name"].casefold()]
    return render_template(
        "form.html",
        enterprises=found or everyone,
        query=query,
        none_found=bool(query) and not found,
        **context,
    ), status


def _parse_demand(fixed: dict) -> GrievanceIn:
    """The demand the form carries. Contact fields are hidden while "anonymous" is chosen: what they
    still hold is not the worker's wish to be named, so it is dropped, never refused."""
    anonymous = request.form.get("anonymous", "true").lower() not in ("false", "off", "0", "no")
    return api.parse_demand({**fixed, "contact": None} if anonymous else fixed)


def _submitted(demand: GrievanceIn):
    result = api.submit(demand, _form_key(demand))
    return redirect(url_for("pages.registered", code=result.tracking_code), 303)


def _form_key(demand: GrievanceIn) -> str | None:
    """The idempotency key of this form and what it carries: the same form sent twice (a double tap,
    a reload) is one demand, while a form changed after Back and sent again is a new one (not a
    conflict the worker could do nothing about)."""
    token = request.form.get("idempotency_key", "")
    if not _FORM_KEY.match(token):
        return None
    digest = hashlib.sha256(demand.model_dump_json().encode()).hexdigest()[:16]
    return f"form-{token}-{digest}"


@pages.get("/registered/<code>")
@pages.get("/k/<kiosk>/registered/<code>")
@_page(200, 404)
def registered(code: str):
    """The result of a submission: the tracking code, large."""
    return render_template("submitted.html", code=api.status_or_404(code)["tracking_code"])


@pages.get("/slips/<code>")
@_page(200, 404)
def slip(code: str):
    """A printable slip for a demand heard at a forum, visit or survey: the worker there has no screen."""
    demand = api.status_or_404(code)
    follow = url_for("pages.status", code=demand["tracking_code"], _external=True)
    return render_template("slip.html", code=demand["tracking_code"], demand=demand, follow=follow)


# -- status lookup and the worker's answer -------------------------------------------------------------
@pages.get("/s")
@pages.get("/k/<kiosk>/s")
@_page(200, 302, 404)
def lookup():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("pages.status", code=code))
    return render_template("lookup.html")


@pages.get("/s/<code>")
@pages.get("/k/<kiosk>/s/<code>")
@_page(200, 404)
def status(code: str):
    return _status_page(code, just_answered=_just_answered(code))


def _status_page(code: str, status: int = 200, **context):
    demand = api.status_or_404(code)
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return render_template(
        "status.html", demand=demand, answer=demand["feedback"]["answer"], **context
    ), status


@pages.post("/s/<code>/feedback")
@pages.post("/k/<kiosk>/s/<code>/feedback")
@_page(404, 409, *_POSTED, form=FeedbackForm)
def feedback(code: str):
    """The feedback form of the status page; back to the status page, which shows the answer."""
    api.status_or_404(code)  # a code that finds nothing is the lookup page, whatever the form holds
    answer = api.parse_feedback()
    api.give_feedback(code, answer)
    canonical = tracking.normalize(code)
    # intake keeps no comment (a tracking code never shows it): the worker sees theirs once, now.
    session[_ANSWERED] = {"code": canonical, "comment": answer.comment}
    return redirect(url_for("pages.status", code=canonical, _anchor="answer"), 303)


def _just_answered(code: str) -> dict | None:
    """The answer given just before this view, once (then it is gone from the session)."""
    if _ANSWERED not in session:
        return None
    answered = session.pop(_ANSWERED)
    return answered if answered.get("code") == tracking.normalize(code) else None


# -- refusals, answered as pages ------------------------------------------------------------------------
@pages.errorhandler(ApiError)
@pages.errorhandler(DomainError)
@pages.errorhandler(HTTPException)
def refused(exc: ApiError | DomainError | HTTPException):
    """A refusal shown where the worker can act on it: the form again with what was typed, the
    status page with the answer's errors, the lookup for a code that finds nothing."""
    err = web.error_answer(exc)
    response = make_response(_refusal_page(err))
    response.headers.update(err.headers)
    return response


def _refusal_page(err: ApiError):
    shown = {"message": err.message, "errors": err.fields, "values": _typed()}
    code = (request.view_args or {}).get("code")
    if request.method == "POST" and request.endpoint in _FORMS:
        return _form_page(err.status, **shown)
    if request.endpoint == "pages.feedback" and err.status != 404:
        try:
            return _status_page(code, err.status, **shown)
        except NotFound as unknown:  # refused before the view looked the code up: it finds nothing
            err = web.error_answer(unknown)
    if code is not None and err.status == 404:
        return render_template("lookup.html", message=err.message, code=code), 404
    return render_template("error.html", message=err.message), err.status


@pages.errorhandler(DBAPIError)
def database_away(exc: DBAPIError):
    """The database is away: a page that needs none, asking to try again shortly (nothing was stored)."""
    return web.refusal_page(exc)


def _typed():
    """What the worker typed, to show again; nothing when the body itself was refused (too large)."""
    try:
        return request.form
    except HTTPException:
        return {}


@pages.errorhandler(404)
def not_found(exc: HTTPException):
    """A kiosk of no active enterprise (the app answers other addresses it does not know in JSON)."""
    return render_template(
        "error.html", message=_("No kiosk of an active enterprise is at this address.")
    ), 404
