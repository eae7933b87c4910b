"""The workers' pages of the companion programme: a survey answered with a one-time code (on a phone,
from the link on a slip, or at the enterprise's kiosk, which gives a code per session), and the
public diary (民意日记: "this week we heard 12 demands; 9 answered"), on a phone and at the kiosk.

Every page keeps the language chosen with ``?lang=``. A kiosk's pages (under ``/k/<enterprise>``)
stay in kiosk mode and go back to the kiosk's first page when left alone (shared/static/kiosk.js).
Staff enrol the kiosk's browser once (``POST /api/v1/kiosks/<enterprise>`` answers the address): it
keeps its key in a cookie of the kiosk's own path, and only then does the kiosk give survey codes.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode

from flask import Blueprint, has_request_context, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from services.companion import api, diary, surveys
from services.companion.models import outbox
from services.companion.schemas import AnswerIn
from shared import apidoc, labels, web
from shared.errors import ApiError, DomainError, NotFound, invalid
from shared.uow import unit_of_work

pages = Blueprint("pages", __name__)

IDLE_SECONDS = 75  # a kiosk page left alone this long goes back to the kiosk's first page
KIOSK_COOKIE = "xs_kiosk"
_A_YEAR = 366 * 24 * 3600
_SURVEY_PAGES = ("pages.survey", "pages.kiosk_survey")
_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # a survey page's own key: a double tap is one answer
OUTCOMES = {  # a companion day as the workers read it
    "held": labels.N_("held"),
    "missed": labels.N_("not held"),
    "cancelled": labels.N_("called off"),
    "open": labels.N_("today, or its visit not yet recorded"),
    "scheduled": labels.N_("to come"),
}


def _page(*statuses: int):
    return api.spec.validate(resp=apidoc.Pages("text/html", *statuses), tags=["pages"], skip_validation=True)


def _lang_url(locale: str) -> str:
    """This page in another language."""
    return f"{request.path}?{urlencode({**request.args.to_dict(), 'lang': locale})}"


@pages.url_defaults
def _keep_language(endpoint: str, values: dict) -> None:
    """A page's links and redirects stay in the language chosen (a kiosk's home says ``lang=None``:
    left alone, it goes back to the default)."""
    if has_request_context() and "lang" not in values and request.args.get("lang") in web.LOCALES:
        values["lang"] = request.args["lang"]


@pages.context_processor
def _page_context():
    code = (request.view_args or {}).get("code")
    kiosk = code if request.endpoint and request.endpoint.startswith("pages.kiosk") else None
    return {
        "kiosk": kiosk,
        "idle": IDLE_SECONDS,
        "home": url_for("pages.kiosk", code=kiosk, lang=None) if kiosk else None,
        "lang_url": _lang_url,
        "outcomes": OUTCOMES,
        "intake_url": web.runtime().settings.public_base_url.rstrip("/"),
    }


def _kiosk_key() -> str | None:
    return request.cookies.get(KIOSK_COOKIE)


# -- the public diary ---------------------------------------------------------------------------------
@pages.get("/diary/<code>")
@_page(200, 404)
def public_diary(code: str):
    """The enterprise's diary for its workers, week by week (counts under 5 not shown)."""
    with web.runtime().engine.connect() as conn:
        shown = diary.public_diary(conn, api._enterprise(code), 8)
    return render_template("diary.html", diary=shown)


@pages.get("/k/<code>")
@_page(200, 404)
def kiosk(code: str):
    """The kiosk's first page: this month's diary and the surveys open today."""
    with web.runtime().engine.connect() as conn:
        shown = diary.public_diary(conn, api._enterprise(code), 4)
        open_now = surveys.open_for(conn, code)
        enrolled = surveys.kiosk_known(conn, code, _kiosk_key())
    return render_template("kiosk.html", diary=shown, surveys=open_now, enrolled=enrolled)


@pages.get("/k/<code>/enrol")
@_page(303, 404)
def kiosk_enrol(code: str):
    """Staff open this once on the kiosk's screen (the address ``POST /api/v1/kiosks/<code>`` gave)."""
    key = request.args.get("key", "")
    with web.runtime().engine.connect() as conn:
        if not surveys.kiosk_known(conn, api._enterprise(code), key):
            raise NotFound("not_found", message="no_kiosk")
    answer = redirect(url_for("pages.kiosk", code=code), 303)
    answer.set_cookie(
        KIOSK_COOKIE,
        key,
        max_age=_A_YEAR,
        path=f"/k/{code}",
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
    )
    return answer


# -- answering a survey -------------------------------------------------------------------------------
@pages.route("/s/<survey_id>", methods=["GET", "POST"])
@_page(200, 303, 400, 403, 404, 409, 413, 415, 422)
def survey(survey_id: str):
    """A survey, answered with the code of a slip."""
    about = _public(survey_id)
    if request.method == "POST":
        _answer(survey_id, about)
        return redirect(url_for("pages.thanks", survey_id=survey_id), 303)
    return _form(about)


@pages.route("/k/<code>/s/<survey_id>", methods=["GET", "POST"])
@_page(200, 303, 400, 403, 404, 409, 413, 415, 422, 429)
def kiosk_survey(code: str, survey_id: str):
    """A survey at the enrolled kiosk: the page brings its own one-time code, one per session."""
    about = _public(survey_id, kiosk=code)
    if request.method == "POST":
        _answer(survey_id, about)
        return redirect(url_for("pages.kiosk_thanks", code=code, survey_id=survey_id), 303)
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        given = surveys.kiosk_code(
            uow, api._enterprise(code), _kiosk_key(), survey_id, rt.settings.kiosk_code_seconds
        )
    return _form(about, code=given)


@pages.get("/s/<survey_id>/thanks")
@pages.get("/k/<code>/s/<survey_id>/thanks", endpoint="kiosk_thanks")
@_page(200, 404)
def thanks(survey_id: str, code: str | None = None):
    return render_template("thanks.html", survey=_public(survey_id, kiosk=code))


def _public(survey_id: str, kiosk: str | None = None) -> dict:
    """The survey as workers see it; at a kiosk, only one of the kiosk's own enterprise (else 404)."""
    with web.runtime().engine.connect() as conn:
        about = surveys.public_view(conn, api._survey_id(survey_id))
    if kiosk is not None and about["enterprise"]["code"] != kiosk:
        raise NotFound("not_found", message="no_survey")
    return about


def _form(about: dict, status: int = 200, code: str | None = None, **shown):
    shown.setdefault("errors", {})
    shown.setdefault("values", {})
    typed = shown["values"].get("form_key", "")
    key = typed if _FORM_KEY.match(typed) else secrets.token_urlsafe(16)
    return render_template("survey.html", survey=about, kiosk_code=code, form_key=key, **shown), status


def _answer(survey_id: str, about: dict) -> None:
    """The answer the form carries, recorded (or refused, with nothing written)."""
    given = []
    for n, q in enumerate(about["questions"], 1):
        if q["kind"] == "multiple":
            chosen = [i for i in range(1, len(q["options"]) + 1) if request.form.get(f"q{n}_{i}")]
            given.append(chosen or None)
            continue
        typed = request.form.get(f"q{n}", "")
        if q["kind"] == "text":
            given.append(typed if typed.strip() else None)
        else:
            given.append(int(typed) if typed.isdecimal() and len(typed) < 3 else (typed or None))
    try:
        body = AnswerIn.model_validate({"code": request.form.get("code", ""), "answers": given})
    except ValidationError as exc:
        raise invalid(exc) from None
    key = request.form.get("form_key", "")
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        surveys.answer(uow, survey_id, body, key if _FORM_KEY.match(key) else None)


# -- refusals, answered as pages ----------------------------------------------------------------------
@pages.errorhandler(ApiError)
@pages.errorhandler(DomainError)
@pages.errorhandler(HTTPException)
def refused(exc: ApiError | DomainError | HTTPException):
    """A refused answer shows the form again with what was chosen and why; anything else, the reason."""
    err = web.error_answer(exc)
    used_at_kiosk = request.endpoint == "pages.kiosk_survey" and err.code == "code_unknown_or_used"
    if (
        request.method == "POST"
        and request.endpoint in _SURVEY_PAGES
        and err.status not in (404, 413)
        and not used_at_kiosk
    ):
        try:
            args = request.view_args or {}
            about = _public(args["survey_id"], kiosk=args.get("code"))
        except DomainError as gone:  # the survey is gone meanwhile: say so
            return web.refusal_page(gone)
        else:
            errors = {
                (f"q{int(k.split('.')[1]) + 1}" if k.startswith("answers.") else k): v
                for k, v in err.fields.items()
            }
            page, status = _form(
                about,
                err.status,
                code=request.form.get("code") if request.endpoint == "pages.kiosk_survey" else None,
                message=_("Please see the questions marked in red.") if errors else err.message,
                errors=errors,
                values=request.form,
            )
            response = make_response(page, status)
            response.headers.update(err.headers)
            return response
    return web.refusal_page(exc)


@pages.errorhandler(DBAPIError)
def database_away(exc: DBAPIError):
    """The database is away: a page asking to try again shortly (nothing was stored)."""
    return web.refusal_page(exc)
