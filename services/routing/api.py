"""routing's HTTP API: the public organisation directory (no staff contacts)."""
from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel
from spectree import Response as Doc
from sqlalchemy import select

from shared import web
from shared.bootstrap import Runtime, bootstrap
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


def create_app(rt: Runtime | None = None):
    rt = rt or bootstrap(SERVICE)
    app = web.create_app(rt, outbox, import_name=__name__)
    app.register_blueprint(api)
    spec.register(app)
    return app
