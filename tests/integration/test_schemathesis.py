"""Every operation of every service answers as its OpenAPI document says, whatever schemathesis
sends it (all its checks), on real PostgreSQL and RabbitMQ, with a staff token: bounded examples."""

from __future__ import annotations

import importlib
import traceback

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

from harness.private import DEMO_DIRECTORY
from shared import auth
from shared.config import SERVICES
from shared.uow import unit_of_work
from tests.conftest import seed_enterprises

pytestmark = pytest.mark.integration
SECRET = "schemathesis-secret"
TOKEN = {
    "Authorization": "Bearer " + auth.issue(SECRET, auth.Staff("city-officer-1", "city_officer", "city"))
}
# A request valid by the schema may still break a rule of the domain the schema cannot state (an
# enterprise code must exist; "not satisfied" needs a comment): that answer is 422, as documented.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
            }
        }
    }
)


def app_of(rt):
    if rt.settings.service == "intake":
        seed_enterprises(rt, "E001", "E002")
    if rt.settings.service == "routing":
        from services.routing import directory
        from services.routing.models import outbox

        with unit_of_work(rt.engine, outbox, rt.settings) as uow:
            directory.apply(uow, directory.load(DEMO_DIRECTORY))
    if rt.settings.service == "companion":  # an enterprise with a companion day, so rules are reached
        from shared import events
        from tests.support.events import deliver

        for code in ("E001", "E002"):
            deliver(
                rt,
                events.EnterpriseUpdated(
                    code=code, name=code, county_code="C01", county_name="城关区", active=True, has_chair=True
                ),
                producer="routing",
            )
    return importlib.import_module(f"services.{rt.settings.service}.app").create_app(rt)


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_answers_as_documented(pg_runtime, service):
    app = app_of(pg_runtime(service, secret_key=SECRET))
    api = schemathesis.openapi.from_wsgi("/apidoc/openapi.json", app, config=CONFIG)
    failures = {}
    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def answers_as_documented(case):
            case.call_and_validate(headers=TOKEN)

        try:
            answers_as_documented()
        except Exception as exc:
            failures[operation.label] = "".join(traceback.format_exception(exc))[-6000:]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
