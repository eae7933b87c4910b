"""intake's HTTP API (JSON); the pages share its parsing and its answers."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from pydantic import ValidationError
from spectree import Response as Doc

from services.intake import grievances, tracking
from services.intake.config import SERVICE
from services.intake.schemas import (
    BatchCreated,
    BatchHeaders,
    BatchIn,
    EnterpriseList,
    FeedbackIn,
    FeedbackReceived,
    GrievanceCreated,
    GrievanceIn,
    GrievanceStatus,
)
from shared import apidoc, auth, bodies, labels, web
from shared.errors import ApiError, ErrorResponse, NotFound, invalid

api = Blueprint("api", __name__, url_prefix="/api/v1")
spec = apidoc.new_spec(SERVICE)
_ERRORS = {f"HTTP_{s}": ErrorResponse for s in (400, 404, 409, 413, 415, 422, 429)}
_TRUE, _FALSE = {"true", "on", "1", "yes"}, {"false", "off", "0", "no", ""}
PAGE_FIELDS = ("idempotency_key",)  # fields of the worker's pages that are not part of a demand
# The message of each code intake's domain may refuse with.
MESSAGES = {
    "not_found": lazy_gettext("No demand has this tracking code."),
    "invalid_tracking_code": lazy_gettext("This is not a valid tracking code; please check it for typos."),
    "unknown_enterprise": lazy_gettext("No active enterprise has this code."),
    "idempotency_conflict": lazy_gettext("This Idempotency-Key was already used with a different request."),
    "feedback_not_resolved": lazy_gettext("This demand is not resolved yet; you can answer once it is."),
    "feedback_closed": lazy_gettext("This demand is already closed; it takes no more answers."),
    "feedback_window_closed": lazy_gettext("The time to answer this resolution (%(days)s days) is over."),
    "feedback_already_given": lazy_gettext("You have already answered this resolution."),
    "not_your_enterprise": lazy_gettext("You may post the demands heard at your own enterprises only."),
    "idempotency_key_required": lazy_gettext("Send an Idempotency-Key header with a batch."),
}


@api.get("/enterprises")
@spec.validate(resp=Doc(HTTP_200=EnterpriseList), tags=["public"], skip_validation=True)
def list_enterprises():
    """Active enterprises (code, name, county) for the form's picker."""
    return jsonify(enterprises=grievances.active_enterprises(web.runtime()))


@api.post("/grievances")
@spec.validate(
    json=GrievanceIn, resp=Doc(HTTP_201=GrievanceCreated, **_ERRORS), tags=["public"], skip_validation=True
)
def submit_grievance():
    """Submit a demand (JSON or form); 201 means it is stored and will reach every service."""
    key = idempotency_key()
    demand = parse_demand()
    result = submit(demand, key)
    body = created_body(result)
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = body["status_url"]
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@api.post("/batches")
@spec.validate(
    json=BatchIn,
    headers=BatchHeaders,
    resp=Doc(
        HTTP_201=BatchCreated,
        HTTP_200=BatchCreated,
        HTTP_401=ErrorResponse,
        HTTP_403=ErrorResponse,
        **_ERRORS,
    ),
    tags=["staff"],
    security=apidoc.STAFF,
    skip_validation=True,
)
@auth.require_staff()
def submit_batch():
    """The demands heard at a companion forum, visit or survey of one enterprise, posted by its chair
    or a union officer: all stored with their events in one transaction, or none. An Idempotency-Key
    is required; the same key and body answer the same codes again (200), another body 409. Each
    item is anonymous unless the worker agreed to leave a contact."""
    key = idempotency_key()
    if key is None:
        raise ApiError(400, "malformed", MESSAGES["idempotency_key_required"])
    batch = bodies.json_body(BatchIn)
    wrong = {
        f"items.{n}.{field}": message
        for n, demand in enumerate(batch.demands(), 1)
        for field, message in demand.cross_field_errors().items()
    }
    if wrong:
        raise ApiError(422, "invalid_fields", _("Some fields are invalid."), wrong)
    codes, replayed = grievances.submit_batch(web.runtime(), g.staff, batch, key)
    items = [
        {
            "item": n,
            "tracking_code": code,
            "status_url": url_for("api.grievance_status", code=code),
            "slip_url": url_for("pages.slip", code=code),
        }
        for n, code in enumerate(codes, 1)
    ]
    return jsonify(items=items), 200 if replayed else 201


@api.get("/grievances/<code>")
@spec.validate(
    resp=Doc(HTTP_200=GrievanceStatus, HTTP_404=ErrorResponse), tags=["public"], skip_validation=True
)
def grievance_status(code: str):
    """A demand's public status and timeline, by its tracking code."""
    return jsonify(status_or_404(code))


@api.post("/grievances/<code>/feedback")
@spec.validate(
    json=FeedbackIn, resp=Doc(HTTP_201=FeedbackReceived, **_ERRORS), tags=["public"], skip_validation=True
)
def grievance_feedback(code: str):
    """The worker's answer after the demand is resolved, within the feedback window: satisfied → closed
    (销账), not satisfied (with a comment) → reopened. 409 with the reason when no answer is expected."""
    answer = parse_feedback()
    received = give_feedback(code, answer)
    return jsonify(
        tracking_code=tracking.normalize(code), satisfied=answer.satisfied, received_at=received
    ), 201


def parse_feedback() -> FeedbackIn:
    return parse_body(FeedbackIn, form_to_feedback)


def form_to_feedback(form) -> dict:
    data = {k: v for k, v in form.items() if isinstance(k, str) and v.strip()}
    _flag(data, "satisfied")
    if data.get("rating", "").isdigit():
        data["rating"] = int(data["rating"])
    return data


def give_feedback(code: str, answer: FeedbackIn):
    return grievances.give_feedback(web.runtime(), canonical_code(code), answer)


def canonical_code(code: str) -> str:
    canonical = tracking.normalize(code)
    if canonical is None:
        raise NotFound("invalid_tracking_code")
    return canonical


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not (1 <= len(key) <= 200) or not key.isprintable() or not key.isascii():
        raise ApiError(400, "malformed", _("Idempotency-Key must be 1 to 200 printable ASCII characters."))
    return key


def parse_demand(fixed: dict | None = None) -> GrievanceIn:
    """The demand; ``fixed`` fields (a kiosk's enterprise and channel) override what the form says."""
    return parse_body(GrievanceIn, lambda form: {**form_to_demand(form), **(fixed or {})})


def parse_body(model, from_form):
    """The body as ``model`` from JSON or from a form (``from_form`` gives it the JSON shape), with
    the model's cross-field rules; 400/415/422 as the body deserves."""
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            value = model.model_validate(from_form(request.form))
        except ValidationError as exc:
            raise invalid(exc) from None
    else:
        value = bodies.json_body(model)
    errors = value.cross_field_errors()
    if errors:
        raise ApiError(422, "invalid_fields", _("Some fields are invalid."), errors)
    return value


def _flag(data: dict, name: str) -> None:
    """A form's check box or radio value as a boolean (left as it is when it is neither)."""
    if name in data:
        value = data[name].lower()
        data[name] = True if value in _TRUE else False if value in _FALSE else data[name]


def form_to_demand(form) -> dict:
    """Form fields as the JSON body would carry them (check boxes to booleans, contact_* grouped);
    the page's own fields (its idempotency key) are not part of the demand."""
    named = [(k, v) for k, v in form.items() if isinstance(k, str)]  # a multipart part may have no name
    data = {k: v for k, v in named if not k.startswith("contact_") and v != "" and k not in PAGE_FIELDS}
    for flag in ("anonymous", "about_chair"):
        _flag(data, flag)
    contact = {k[len("contact_") :]: v for k, v in named if k.startswith("contact_") and v.strip()}
    if contact:
        data["contact"] = contact
    return data


def submit(demand: GrievanceIn, key: str | None) -> grievances.Submitted:
    return grievances.submit(web.runtime(), demand, key)


def created_body(result: grievances.Submitted) -> dict:
    return {
        "tracking_code": result.tracking_code,
        "status": "registered",
        "submitted_at": result.submitted_at,
        "status_url": url_for("api.grievance_status", code=result.tracking_code),
        "page_url": url_for("pages.status", code=result.tracking_code),
    }


def status_or_404(code: str) -> dict:
    found = grievances.public_status(web.runtime(), canonical_code(code))
    if found is None:
        raise NotFound("not_found")
    found["status_label"] = labels.shown(labels.STATUS, found["status"])
    found["category_label"] = labels.shown(labels.CATEGORY, found["category"])
    for step in found["timeline"]:
        if step.get("event") == "supervised":
            step["label"] = labels.shown(labels.SUPERVISION, min(max(step["level"] or 1, 1), 2))
        elif step.get("event"):
            step["label"] = labels.shown(labels.CLOCK, step["event"])
        else:
            step["label"] = labels.shown(labels.STATUS, step["status"])
    level = found["supervision_level"]
    found["supervision_label"] = labels.shown(labels.SUPERVISION, min(level, 2)) if level else None
    return found
