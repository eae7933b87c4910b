"""routing's HTTP API: the public organisation directory (no staff contacts)."""
from __future__ import annotations

from typing import Annotated

from flask import Blueprint, g, jsonify
from pydantic import BaseModel, ConfigDict, StringConstraints
from spectree import Response as Doc
from sqlalchemy import select

from shared import auth, web
from shared.errors import ErrorResponse
from shared.bootstrap import Runtime, bootstrap
from services.routing import staff
from services.routing.config import SERVICE
from services.routing.models import outbox
from services.routing.models import counties, enterprises

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
    staff_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
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


def create_app(rt: Runtime | None = None):
    rt = rt or bootstrap(SERVICE)
    app = web.create_app(rt, outbox, import_name=__name__)
    app.register_blueprint(api)
    spec.register(app)
    return app
