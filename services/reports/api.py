"""reports' HTTP API: the summary and the rates of the demands within the caller's scope, the
cases behind any number, the ledger and the monthly report."""

from __future__ import annotations

import io

from flask import Blueprint, Response, g, jsonify, request, send_file, stream_with_context
from flask_babel import get_locale
from flask_babel import gettext as _
from pydantic import ValidationError
from spectree import Response as Doc

from services.reports import export, monthly
from services.reports import rates as figures
from services.reports import scoreboard as boards
from services.reports import summary as summaries
from services.reports.config import SERVICE
from services.reports.schemas import (
    CasesQuery,
    LedgerQuery,
    MonthlyQuery,
    Period,
    RateCases,
    Rates,
    RatesQuery,
    Scoreboard,
    Summary,
)
from shared import apidoc, auth, web
from shared.errors import ApiError, ErrorResponse, invalid

api = Blueprint("api", __name__, url_prefix="/api/v1/reports")
spec = apidoc.new_spec(SERVICE)


@api.get("/summary")
@spec.validate(
    query=Period,
    resp=Doc(HTTP_200=Summary, **{f"HTTP_{s}": ErrorResponse for s in (401, 422)}),
    tags=["reports"],
    security=apidoc.STAFF,
    skip_validation=True,
)
@auth.require_staff()
def summary():
    """Counts of demands by status, category, channel, county and enterprise (?start=&end=, dates),
    within the caller's scope: a chair never counts the demands about the chair."""
    try:
        period = Period.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise invalid(exc) from None
    if period.start and period.end and period.start > period.end:
        raise ApiError(
            422,
            "invalid_fields",
            _("Some fields are invalid."),
            {"end": _("The end of the period is before its start.")},
        )
    with web.runtime().engine.connect() as conn:
        return jsonify(summaries.summary(conn, period.start, period.end, g.staff))


_LONGEST = 3 * 366  # days: a period of up to three years


def _query(model):
    """The query string as ``model``, each parameter given once."""
    twice = sorted(k for k in request.args if len(request.args.getlist(k)) > 1)
    if twice:  # which of two values was meant is not for us to guess
        raise ApiError(
            422, "invalid_fields", _("Some fields are invalid."), dict.fromkeys(twice, _("Given twice."))
        )
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise invalid(exc) from None


def _scope(model):
    q = _query(model)
    if q.start > q.end or (q.end - q.start).days > _LONGEST:
        raise ApiError(
            422,
            "invalid_fields",
            _("Some fields are invalid."),
            {"end": _("A period of one day to three years, its end not before its start.")},
        )
    scope = figures.Scope(q.start, q.end, g.staff, q.county, q.enterprise, q.category, q.channel)
    return q, scope


@api.get("/rates")
@spec.validate(
    query=RatesQuery,
    resp=Doc(HTTP_200=Rates, **{f"HTTP_{s}": ErrorResponse for s in (401, 422)}),
    tags=["reports"],
    security=apidoc.STAFF,
    skip_validation=True,
)
@auth.require_staff()
def rates():
    """Every rate as numerator and denominator for a period (?start=&end=, China days) and scope
    (?county=&enterprise=&category=&channel=), optionally per group (?group_by=county|enterprise|
    category|channel|month), within the caller's scope: a chair never counts the demands about the
    chair."""
    q, scope = _scope(RatesQuery)
    with web.runtime().engine.connect() as conn:
        return jsonify(figures.rates(conn, scope, q.group_by))


@api.get("/rates/<rate>/cases")
@spec.validate(
    query=CasesQuery,
    resp=Doc(HTTP_200=RateCases, **{f"HTTP_{s}": ErrorResponse for s in (401, 404, 422)}),
    tags=["reports"],
    security=apidoc.STAFF,
    skip_validation=True,
)
@auth.require_staff()
def rate_cases(rate: str):
    """The cases behind one number: ``part=numerator`` or ``denominator`` of a rate, for the same
    period and filters, within the caller's scope, a page at a time (?page=&per_page=, at most 500)."""
    if rate not in figures.DRILLS:
        raise ApiError(404, "not_found", _("No such rate."))
    q, scope = _scope(CasesQuery)
    with web.runtime().engine.connect() as conn:
        return jsonify(figures.cases(conn, scope, rate, q.part, q.page, q.per_page))


def _ledger_name(q, suffix: str) -> str:
    return f"ledger-{q.start.isoformat()}-{q.end.isoformat()}.{suffix}"


def _file_doc(query, media_type: str):
    """A staff operation answering a file (CSV, XLSX, PDF): documented, its answer left alone."""
    return apidoc.streamed(
        spec,
        query=query,
        resp=apidoc.Pages(media_type, 200, **{f"HTTP_{s}": ErrorResponse for s in (401, 422)}),
        tags=["reports"],
        security=apidoc.STAFF,
        skip_validation=True,
    )


@api.get("/ledger.csv")
@_file_doc(LedgerQuery, "text/csv")
@auth.require_staff()
def ledger_csv():
    """The ledger as CSV: one row per demand submitted in the period (?start=&end=, the same filters
    as the rates), within the caller's scope, headers in the caller's language; never a description
    nor a contact (reports holds neither). Streamed."""
    q, scope = _scope(LedgerQuery)
    chunks = export.csv_chunks(web.runtime().engine, scope)
    answer = Response(stream_with_context(chunks), mimetype="text/csv")
    answer.headers["Content-Disposition"] = f'attachment; filename="{_ledger_name(q, "csv")}"'
    return answer


@api.get("/ledger.xlsx")
@_file_doc(LedgerQuery, export.XLSX)
@auth.require_staff()
def ledger_xlsx():
    """The ledger as an Excel workbook: the same rows and columns as the CSV."""
    q, scope = _scope(LedgerQuery)
    made = export.xlsx_file(web.runtime().engine, scope)
    return send_file(made, mimetype=export.XLSX, as_attachment=True, download_name=_ledger_name(q, "xlsx"))


@api.get("/monthly.pdf")
@_file_doc(MonthlyQuery, "application/pdf")
@auth.require_staff()
def monthly_pdf():
    """The monthly report as a PDF (?month=YYYY-MM[&county=][&lang=zh|en]), within the caller's scope:
    the month's rates with their definitions, twelve months of trend, the demands received per month,
    the cases under supervision and the companion days held per county; never a description nor a
    contact."""
    q = _query(MonthlyQuery)
    rt = web.runtime()
    with rt.engine.connect() as conn:
        report = monthly.gather(conn, q.first_day(), g.staff, q.county)
    made = monthly.pdf(report, str(get_locale()), rt.settings.report_font)
    name = f"monthly-{q.month}{f'-{q.county}' if q.county else ''}.pdf"
    return send_file(io.BytesIO(made), mimetype="application/pdf", as_attachment=True, download_name=name)


@api.get("/public/scoreboard")
@spec.validate(
    resp=Doc(HTTP_200=Scoreboard, HTTP_422=ErrorResponse),
    tags=["public"],
    skip_validation=True,
)
def public_scoreboard():
    """The public scoreboard (no token): for the city, each county and each enterprise, the demands
    received, answered, resolved, satisfaction and companion days held, each with its numerator and
    denominator, for the last month and the year so far; a figure under 5, or one that would give
    one away, is null."""
    if request.args:
        raise ApiError(422, "invalid_fields", _("Some fields are invalid."), {"query": _("No filters.")})
    with web.runtime().engine.connect() as conn:
        return jsonify(boards.scoreboard(conn))
