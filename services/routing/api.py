"""routing's HTTP API: the public organisation directory (no staff contacts)."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from spectree import Response as Doc
from sqlalchemy import select

from shared import auth, web
from shared.errors import ApiError, ErrorResponse, invalid
from shared.text import OrgCode, StaffId, clean_text
from shared.events import Category, Status
from shared.bootstrap import Runtime, bootstrap
from shared.uow import unit_of_work
from services.routing import actions, cases, lifecycle, staff
from services.routing.config import SERVICE
from services.routing.models import counties, enterprises, outbox

api = Blueprint("api", __name__, url_prefix="/api/v1")
spec = web.new_spec(SERVICE)


class DirectoryCounty(BaseModel):
    code: str
    name: str
    enterprises: list[dict]


class DirectoryOut(BaseModel):
    counties: list[DirectoryCounty]


@api.get("/directory")
@spec.validate(resp=Doc(HTTP_200=DirectoryOut), tags=["directory"], skip_validation=True)
def directory():
    """Counties and their active enterprises."""
    rt = web.runtime()
    with rt.engine.connect() as conn:
        cs = conn.execute(select(counties).order_by(counties.c.code)).all()
        es = conn.execute(select(enterprises).where(enterprises.c.active).order_by(enterprises.c.code)).all()
    return jsonify(counties=[{"code": c.code, "name": c.name, "enterprises": [
        {"code": e.code, "name": e.name} for e in es if e.county_code == c.code]} for c in cs])


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    staff_id: StaffId
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Token(BaseModel):
    token: str
    token_type: str
    expires_in: int
    staff: dict


@api.post("/auth/token")
@spec.validate(json=Credentials, resp=Doc(HTTP_200=Token, **{f"HTTP_{s}": ErrorResponse for s in
                                                             (400, 401, 413, 415, 422, 429)}),
               tags=["staff"], skip_validation=True)
def token():
    """Log in with staff id and password; answers a signed token valid for one working day."""
    creds = web.json_body(Credentials)
    rt = web.runtime()
    with rt.engine.connect() as conn:
        signed, person = staff.log_in(conn, rt.settings.secret_key, creds.staff_id, creds.password)
    return jsonify(token=signed, token_type="Bearer", expires_in=auth.TOKEN_SECONDS,
                   staff={"id": person.id, "role": person.role, "org_code": person.org_code})


@api.get("/auth/me")
@spec.validate(resp=Doc(HTTP_200=Token, HTTP_401=ErrorResponse), tags=["staff"], skip_validation=True)
@auth.require_staff()
def me():
    """Who the bearer token names (a check that a token is good)."""
    return jsonify(id=g.staff.id, role=g.staff.role, org_code=g.staff.org_code)


class CaseQuery(BaseModel):
    """Filters and page of the case list; every one optional."""
    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    category: Category | None = None
    enterprise: OrgCode | None = None
    county: OrgCode | None = None
    supervision_level: Annotated[int, Field(ge=0, le=2)] | None = None
    overdue: bool | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    q: clean_text(1, 100) | None = None
    page: Annotated[int, Field(ge=1, le=100000)] = 1
    per_page: Annotated[int, Field(ge=1, le=100)] = 20


class CasePage(BaseModel):
    items: list[dict]
    total: int
    page: int
    per_page: int


_STAFF_ERRORS = {f"HTTP_{s}": ErrorResponse for s in (401, 403, 404, 422)}


@api.get("/cases")
@spec.validate(query=CaseQuery, resp=Doc(HTTP_200=CasePage, **_STAFF_ERRORS), tags=["ledger"],
               skip_validation=True)
@auth.require_staff()
def list_cases():
    """Cases within the caller's scope, newest first, with filters and pages."""
    try:
        query = CaseQuery.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise invalid(exc) from None
    with web.runtime().engine.connect() as conn:
        return jsonify(cases.page(conn, g.staff, query))


class CaseOut(BaseModel):
    """A case as staff see it; the detail adds ``actions`` (what the caller may do now) and ``history``."""
    id: str
    status: Status
    category: Category
    enterprise_code: str
    county_code: str | None
    supervision_level: int
    assignee: dict
    accept_due: str
    resolve_due: str
    extended: bool
    merged_into: str | None
    version: int
    actions: list[str]
    history: list[dict]


@api.get("/cases/<case_id>")
@spec.validate(resp=Doc(HTTP_200=CaseOut, **_STAFF_ERRORS), tags=["ledger"], skip_validation=True)
@auth.require_staff()
def case_detail(case_id: str):
    """One case with its whole history; outside the caller's scope it does not exist (404)."""
    with web.runtime().engine.connect() as conn:
        found = cases.detail(conn, g.staff, case_id)
    if found is None:
        raise ApiError(404, "not_found", _("No such case."))
    return jsonify(found)


_ACTION_DOCS = {
    "accept": "Accept the case (assigned → accepted). The assigned organisation only.",
    "note": "Add a public note (the worker sees it) and/or an internal note. On an accepted or "
            "reopened case the first note starts the work (→ in_progress). Anyone in scope.",
    "resolve": "Resolve the case with the resolution the worker will read (→ resolved). The assigned "
               "organisation only.",
    "reject": "Reject the case with a reason the worker will read (→ rejected). The assigned "
              "organisation only.",
    "reassign": "Pass the case to another staff member within your scope who may see it; status and "
                "due dates stay. The assigned organisation or a supervisor.",
    "escalate": "Raise the supervision level (督办) with a reason: county officers up to 1, the city up "
                "to 2. It never falls.",
    "extend": "Grant the case's one extension: a new resolution date (at most 30 days later) and a "
              "reason. Supervisors only.",
    "merge": "Merge the case into another open case of the same enterprise (→ merged); its worker "
             "follows the surviving case. The assigned organisation or a supervisor.",
}
_ACTION_ERRORS = {f"HTTP_{s}": ErrorResponse for s in (400, 401, 403, 404, 409, 413, 415, 422)}


def _action_endpoint(action: str) -> None:
    """``POST /api/v1/cases/<id>/<action>``: its own endpoint and its own body in the OpenAPI document."""
    body_model = actions.BODIES[action]

    def act(case_id: str):
        body = web.json_body(body_model)
        rt = web.runtime()
        with unit_of_work(rt.engine, outbox, rt.settings) as uow:  # a refusal rolls everything back
            return jsonify(actions.act(uow, g.staff, case_id, action, body))

    act.__name__ = act.__qualname__ = f"case_{action}"
    act.__doc__ = _ACTION_DOCS[action]
    view = spec.validate(json=body_model, resp=Doc(HTTP_200=CaseOut, **_ACTION_ERRORS),
                         tags=["case actions"], skip_validation=True)(auth.require_staff()(act))
    api.post(f"/cases/<case_id>/{action}")(view)


for _action in lifecycle.ACTIONS:
    _action_endpoint(_action)


def create_app(rt: Runtime | None = None):
    rt = rt or bootstrap(SERVICE)
    app = web.create_app(rt, outbox, import_name=__name__)
    app.register_blueprint(api)
    spec.register(app)
    return app
