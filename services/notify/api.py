"""notify's HTTP API: the notification log of a case, for staff within their scope."""

from __future__ import annotations

from flask import Blueprint, g, jsonify
from flask_babel import lazy_gettext
from spectree import Response as Doc

from services.notify import ledger
from services.notify.config import SERVICE
from services.notify.schemas import CaseNotifications
from shared import apidoc, auth, web
from shared.errors import ErrorResponse, NotFound

api = Blueprint("api", __name__, url_prefix="/api/v1")
spec = apidoc.new_spec(SERVICE)

# The message of each code notify's domain may refuse with.
MESSAGES = {"not_found": lazy_gettext("No such case.")}


@api.get("/cases/<case_id>/notifications")
@spec.validate(
    resp=Doc(HTTP_200=CaseNotifications, **{f"HTTP_{s}": ErrorResponse for s in (401, 404)}),
    tags=["notifications"],
    security=apidoc.STAFF,
    skip_validation=True,
)
@auth.require_staff()
def case_notifications(case_id: str):
    """Who was told what about a case, when, on which channel, and whether it went out (pending,
    sent, failed); within the caller's scope, else 404. A worker is never named: "worker"."""
    with web.runtime().engine.connect() as conn:
        found = ledger.for_case(conn, g.staff, case_id)
    if found is None:
        raise NotFound("not_found")
    return jsonify(found)
