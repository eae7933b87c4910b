"""reports' HTTP API: the summary of the demands within the caller's scope."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from pydantic import ValidationError
from spectree import Response as Doc

from services.reports import summary as summaries
from services.reports.config import SERVICE
from services.reports.schemas import Period, Summary
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
