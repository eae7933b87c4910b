"""The workers' page of reports: the public scoreboard (does the union answer?), on a phone and at
a kiosk, in Chinese or English (``?lang=``), for the last month or the year so far (``?period=``)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from services.reports import api
from services.reports import scoreboard as boards
from shared import apidoc, labels, web
from shared.errors import ApiError, DomainError

pages = Blueprint("pages", __name__)

FIGURES = ("received", "answered", "resolved", "satisfied", "companion_days")
FIGURE_NAMES = {
    "received": labels.N_("Demands received"),
    "answered": labels.N_("Answered"),
    "resolved": labels.N_("Resolved"),
    "satisfied": labels.N_("Workers satisfied"),
    "companion_days": labels.N_("Companion days held"),
}
PERIOD_NAMES = {"month": labels.N_("Last month"), "year": labels.N_("The year, to last month's end")}


@pages.context_processor
def _page_context():
    return {"lang_url": _lang_url}


def _lang_url(locale: str) -> str:
    return f"{request.path}?{urlencode({**request.args.to_dict(), 'lang': locale})}"


@pages.url_defaults
def _keep_language(endpoint: str, values: dict) -> None:
    if "lang" not in values and request.args.get("lang") in web.LOCALES:
        values["lang"] = request.args["lang"]


@pages.get("/scoreboard")
@api.spec.validate(resp=apidoc.Pages("text/html", 200, 404), tags=["pages"], skip_validation=True)
def scoreboard():
    """The public scoreboard as a page (no token): ?period=month (default) or year, ?lang=zh|en."""
    period = request.args.get("period", "month")
    if period not in boards.PERIODS:
        period = "month"
    with web.runtime().engine.connect() as conn:
        board = boards.scoreboard(conn)
    return render_template(
        "scoreboard.html",
        board=board,
        period=period,
        figures=FIGURES,
        figure_names=FIGURE_NAMES,
        period_names=PERIOD_NAMES,
    )


@pages.errorhandler(ApiError)
@pages.errorhandler(DomainError)
@pages.errorhandler(HTTPException)
@pages.errorhandler(DBAPIError)
def refused(exc):
    """A refusal, or the database away, as a page with the reason."""
    return web.refusal_page(exc)
