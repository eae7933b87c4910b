"""Staff try the API from Swagger UI: its page works offline (assets served by the service itself)
and sends the bearer token of a staff operation."""

from __future__ import annotations

import pytest

from services.routing.app import create_app
from shared import auth
from tests.browser.conftest import serve

SECRET = "swagger-test-secret"


@pytest.fixture
def routing_url(sqlite_runtime):
    app = create_app(sqlite_runtime("routing", secret_key=SECRET))
    url, stop = serve(app)
    yield url
    stop()


def test_swagger_ui_loads_offline_and_calls_a_staff_operation_with_the_token(routing_url, open_page):
    page = open_page({"width": 1280, "height": 900}, "en-GB")
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(routing_url) else None)
    page.on("console", lambda m: outside.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{routing_url}/apidoc/swagger/")
    page.get_by_role("button", name="Authorize").first.click()
    token = auth.issue(SECRET, auth.Staff("c01-officer", "county_officer", "C01"))
    page.locator(".modal-ux input[type=text]").fill(token)
    page.locator(".modal-ux .auth-btn-wrapper button").first.click()
    page.locator(".modal-ux .auth-btn-wrapper button.btn-done").click()

    operation = page.locator(".opblock", has_text="/api/v1/auth/me")
    operation.locator(".opblock-summary").first.click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert '"id": "c01-officer"' in operation.locator(".live-responses-table .microlight").first.inner_text()
    assert outside == []  # no CDN, no blocked inline code
