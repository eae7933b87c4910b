"""Each service's OpenAPI document lists every endpoint of its API with the errors it can answer."""

from __future__ import annotations

import importlib
import re

import pytest

from shared.config import SERVICES
from tests.conftest import seed_enterprises

STAFF_ERRORS = {"401", "404", "422"}
ACTION_ERRORS = {"400", "401", "403", "404", "409", "413", "415", "422"}


@pytest.fixture(params=SERVICES)
def app(request, sqlite_runtime):
    rt = sqlite_runtime(request.param)
    if request.param == "intake":
        seed_enterprises(rt, "E001")
    application = importlib.import_module(f"services.{request.param}.app").create_app(rt)
    application.testing = True
    return application


def documented(app) -> dict:
    return app.test_client().get("/apidoc/openapi.json").get_json()["paths"]


def test_every_api_route_is_documented(app):
    paths = documented(app)
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in paths, f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = paths[path][method.lower()]
            codes = set(operation["responses"])
            assert any(c.startswith("2") for c in codes) and any(c[0] in "45" for c in codes), (path, method)
            assert operation.get("description") or operation.get("summary"), (path, method)


@pytest.mark.parametrize(
    "action", ["accept", "note", "resolve", "reject", "reassign", "escalate", "extend", "merge"]
)
def test_every_case_action_is_its_own_documented_endpoint(sqlite_runtime, action):
    from services.routing.app import create_app

    paths = documented(create_app(sqlite_runtime("routing")))
    operation = paths[f"/api/v1/cases/{{case_id}}/{action}"]["post"]
    assert set(operation["responses"]) >= ACTION_ERRORS
    assert "requestBody" in operation


def test_the_ledger_and_the_reports_document_their_staff_errors(sqlite_runtime):
    from services.reports.app import create_app as reports_app
    from services.routing.app import create_app as routing_app

    ledger = documented(routing_app(sqlite_runtime("routing")))
    assert set(ledger["/api/v1/cases"]["get"]["responses"]) >= STAFF_ERRORS
    assert set(ledger["/api/v1/cases/{case_id}"]["get"]["responses"]) >= STAFF_ERRORS
    assert (
        "401"
        in documented(reports_app(sqlite_runtime("reports")))["/api/v1/reports/summary"]["get"]["responses"]
    )


def test_the_feedback_documents_its_refusals(sqlite_runtime):
    from services.intake.app import create_app

    operation = documented(create_app(sqlite_runtime("intake")))["/api/v1/grievances/{code}/feedback"]["post"]
    assert {"201", "400", "404", "409", "413", "415", "422", "429"} <= set(operation["responses"])


def test_every_staff_operation_names_the_bearer_token_and_no_public_one_does(app):
    document = app.test_client().get("/apidoc/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The token of POST /api/v1/auth/token (routing).",
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            needs_token = "401" in operation["responses"] and path != "/api/v1/auth/token"
            assert (operation.get("security") == [{"bearer": []}]) == needs_token, (method, path)


def test_swagger_ui_works_offline_from_the_service_own_assets(app):
    client = app.test_client()
    page = client.get("/apidoc/swagger/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/apidoc/assets/") for s in sources), sources
    assert "<script>" not in html  # no inline script: the page passes its own Content-Security-Policy
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.data) > 100, source
        asset.close()
    assert client.get("/apidoc/assets/../../config.py").status_code == 404
    assert client.get("/apidoc/assets/missing.js").status_code == 404
