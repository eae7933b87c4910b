"""routing's HTTP API: the organisation directory, staff log-in, the ledger and each case action."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from pydantic import ValidationError
from spectree import Response as Doc
from sqlalchemy import select

from services.routing import actions, cases, staff
from services.routing.config import SERVICE
from services.routing.models import counties, enterprises, outbox
from services.routing.schemas import (
    AcceptIn,
    ActionIn,
    CaseOut,
    CasePage,
    CaseQuery,
    Credentials,
    DirectoryOut,
    EscalateIn,
    ExtendIn,
    MergeIn,
    NoteIn,
    PauseIn,
    ReassignIn,
    RejectIn,
    ResolveIn,
    ResumeIn,
    StaffOut,
    Token,
)
from shared import apidoc, auth, bodies, labels, web
from shared.errors import ErrorResponse, NotFound, invalid
from shared.uow import unit_of_work

api = Blueprint("api", __name__, url_prefix="/api/v1")
spec = apidoc.new_spec(SERVICE)


def _action_not_allowed(params: dict) -> str:
    return _(
        "A case that is %(status)s does not allow this action. Allowed now: %(allowed)s.",
        status=labels.shown(labels.STATUS, params["status"]),
        allowed=", ".join(params["allowed"]) or _("none"),
    )


# The message of each code routing's domain may refuse with.
MESSAGES = {
    "not_found": lazy_gettext("No such case."),
    "action_forbidden": lazy_gettext("Your role may not take this action on this case."),
    "level_ceiling": lazy_gettext("Your role may raise supervision to level %(level)s at most."),
    "version_conflict": lazy_gettext(
        "Someone changed this case since you loaded it; here is its current state. Check it and try again."
    ),
    "action_not_allowed": _action_not_allowed,
    "already_assigned": lazy_gettext("The case is already assigned to this person."),
    "supervision_not_raised": lazy_gettext(
        "The case is already supervised at level %(level)s; supervision only rises."
    ),
    "already_extended": lazy_gettext("This case has had its one extension already."),
    "already_paused": lazy_gettext("The resolve clock of this case is paused already."),
    "not_paused": lazy_gettext("The resolve clock of this case is not paused."),
    "pauses_used_up": lazy_gettext("This case has been paused %(count)s times already, the most allowed."),
    "unknown_assignee": lazy_gettext(
        "No active staff member within your scope who may see this case has this id."
    ),
    "extension_range": lazy_gettext(
        "The new date must be after the current deadline and at most %(days)s days later."
    ),
    "merge_target": lazy_gettext(
        "Merge into another open case of the same enterprise, within your scope, "
        "of the same kind (about the chair or not)."
    ),
    "bad_credentials": lazy_gettext("Wrong staff id or password."),
    "too_many_failures": lazy_gettext(
        "Too many failed log-ins to this account from here; try again in %(minutes)s minutes."
    ),
    "too_many_attempts": lazy_gettext(
        "Too many log-ins from this address; try again in %(minutes)s minutes."
    ),
    "password_throttled": lazy_gettext(
        "This password has just failed on many accounts, so it is refused for everyone for a while; "
        "try again in %(minutes)s minutes, or ask an administrator for a new password."
    ),
    "login_busy": lazy_gettext("Many log-ins are being checked right now; try again in a moment."),
}


@api.get("/directory")
@spec.validate(resp=Doc(HTTP_200=DirectoryOut), tags=["directory"], skip_validation=True)
def directory():
    """Counties and their active enterprises."""
    rt = web.runtime()
    with rt.engine.connect() as conn:
        cs = conn.execute(select(counties).order_by(counties.c.code)).all()
        es = conn.execute(select(enterprises).where(enterprises.c.active).order_by(enterprises.c.code)).all()
    return jsonify(
        counties=[
            {
                "code": c.code,
                "name": c.name,
                "enterprises": [{"code": e.code, "name": e.name} for e in es if e.county_code == c.code],
            }
            for c in cs
        ]
    )


@api.post("/auth/token")
@spec.validate(
    json=Credentials,
    resp=Doc(HTTP_200=Token, **{f"HTTP_{s}": ErrorResponse for s in (400, 401, 413, 415, 422, 429)}),
    tags=["staff"],
    skip_validation=True,
)
def token():
    """Log in with staff id and password; answers a signed token valid for one working day."""
    creds = bodies.json_body(Credentials)
    rt = web.runtime()
    gate = staff.gate_for(rt.engine, rt.settings.secret_key, rt.settings.var_dir)
    # The client's address (behind TRUSTED_PROXIES, as the proxy saw it); staff keeps a keyed hash of it.
    signed, person = staff.log_in(gate, creds.staff_id, creds.password, request.remote_addr)
    return jsonify(
        token=signed,
        token_type="Bearer",
        expires_in=auth.TOKEN_SECONDS,
        staff={"id": person.id, "role": person.role, "org_code": person.org_code},
    )


@api.get("/auth/me")
@spec.validate(
    resp=Doc(HTTP_200=StaffOut, HTTP_401=ErrorResponse),
    tags=["staff"],
    security=apidoc.STAFF,
    skip_validation=True,
)
@auth.require_staff()
def me():
    """Who the bearer token names (a check that a token is good)."""
    return jsonify(id=g.staff.id, role=g.staff.role, org_code=g.staff.org_code)


_STAFF_ERRORS = {f"HTTP_{s}": ErrorResponse for s in (401, 403, 404, 422)}


@api.get("/cases")
@spec.validate(
    query=CaseQuery,
    resp=Doc(HTTP_200=CasePage, **_STAFF_ERRORS),
    tags=["ledger"],
    security=apidoc.STAFF,
    skip_validation=True,
)
@auth.require_staff()
def list_cases():
    """Cases within the caller's scope, newest first, with filters and pages."""
    try:
        query = CaseQuery.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise invalid(exc) from None
    with web.runtime().engine.connect() as conn:
        return jsonify(cases.page(conn, g.staff, query))


@api.get("/cases/<case_id>")
@spec.validate(
    resp=Doc(HTTP_200=CaseOut, **_STAFF_ERRORS), tags=["ledger"], security=apidoc.STAFF, skip_validation=True
)
@auth.require_staff()
def case_detail(case_id: str):
    """One case with its whole history; outside the caller's scope it does not exist (404)."""
    with web.runtime().engine.connect() as conn:
        found = cases.detail(conn, g.staff, case_id)
    if found is None:
        raise NotFound("not_found")
    return jsonify(found)


_ACTION_ERRORS = {f"HTTP_{s}": ErrorResponse for s in (400, 401, 403, 404, 409, 413, 415, 422)}


def _case_action(case_id: str, action: str, body_model: type[ActionIn]):
    body = bodies.json_body(body_model)
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:  # a refusal rolls everything back
        return jsonify(actions.act(uow, g.staff, case_id, action, body))


def _documented(body_model: type[ActionIn]):
    """An action endpoint's OpenAPI entry: its own body, the case as answer, the bearer token."""
    return spec.validate(
        json=body_model,
        resp=Doc(HTTP_200=CaseOut, **_ACTION_ERRORS),
        tags=["case actions"],
        security=apidoc.STAFF,
        skip_validation=True,
    )


@api.post("/cases/<case_id>/accept")
@_documented(AcceptIn)
@auth.require_staff()
def case_accept(case_id: str):
    """Accept the case (assigned → accepted). The assigned organisation only."""
    return _case_action(case_id, "accept", AcceptIn)


@api.post("/cases/<case_id>/note")
@_documented(NoteIn)
@auth.require_staff()
def case_note(case_id: str):
    """Add a public note (the worker sees it) and/or an internal note. On an accepted or reopened case
    the first note starts the work (→ in_progress). Anyone in scope."""
    return _case_action(case_id, "note", NoteIn)


@api.post("/cases/<case_id>/resolve")
@_documented(ResolveIn)
@auth.require_staff()
def case_resolve(case_id: str):
    """Resolve the case with the resolution the worker will read (→ resolved). The assigned
    organisation only."""
    return _case_action(case_id, "resolve", ResolveIn)


@api.post("/cases/<case_id>/reject")
@_documented(RejectIn)
@auth.require_staff()
def case_reject(case_id: str):
    """Reject the case with a reason the worker will read (→ rejected). The assigned organisation only."""
    return _case_action(case_id, "reject", RejectIn)


@api.post("/cases/<case_id>/reassign")
@_documented(ReassignIn)
@auth.require_staff()
def case_reassign(case_id: str):
    """Pass the case to another staff member within your scope who may see it; status and due dates
    stay. The assigned organisation or a supervisor."""
    return _case_action(case_id, "reassign", ReassignIn)


@api.post("/cases/<case_id>/escalate")
@_documented(EscalateIn)
@auth.require_staff()
def case_escalate(case_id: str):
    """Raise the supervision level (督办) with a reason: county officers up to 1, the city up to 2.
    It never falls."""
    return _case_action(case_id, "escalate", EscalateIn)


@api.post("/cases/<case_id>/extend")
@_documented(ExtendIn)
@auth.require_staff()
def case_extend(case_id: str):
    """Grant the case's one extension: a new resolution date (at most 30 days later) and a reason.
    Supervisors only."""
    return _case_action(case_id, "extend", ExtendIn)


@api.post("/cases/<case_id>/merge")
@_documented(MergeIn)
@auth.require_staff()
def case_merge(case_id: str):
    """Merge the case into another open case of the same enterprise (→ merged); its worker follows
    the surviving case. The assigned organisation or a supervisor."""
    return _case_action(case_id, "merge", MergeIn)


@api.post("/cases/<case_id>/pause")
@_documented(PauseIn)
@auth.require_staff()
def case_pause(case_id: str):
    """Pause the resolve clock while the case waits on a third party, with a reason the worker reads.
    It runs again by itself after the policy's bound (30 days by default; twice at most). The
    assigned organisation or a supervisor."""
    return _case_action(case_id, "pause", PauseIn)


@api.post("/cases/<case_id>/resume")
@_documented(ResumeIn)
@auth.require_staff()
def case_resume(case_id: str):
    """Run the resolve clock again; the due dates move by the time paused. The assigned organisation
    or a supervisor."""
    return _case_action(case_id, "resume", ResumeIn)
