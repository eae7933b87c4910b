"""The HTTP edge every service shares (shared/web.py): headers, times, domain errors as answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import jsonify
from flask_babel import lazy_gettext

from shared import apidoc, web
from shared.errors import Conflict, Forbidden, Invalid, NotFound, Throttled, Unauthenticated

MESSAGES = {
    "stale": lazy_gettext(
        "Someone changed this case since you loaded it; here is its current state. Check it and try again."
    ),
    "window": lazy_gettext("The time to answer this resolution (%(days)s days) is over."),
    "said": lambda params: f"computed from {params['n']}",
}


@pytest.fixture
def client(sqlite_runtime):
    app = web.create_app(
        sqlite_runtime("reports"), import_name=__name__, spec=apidoc.new_spec("test"), messages=MESSAGES
    )
    raised = {
        "not_found": NotFound("not_found"),
        "unauthenticated": Unauthenticated("stale"),
        "forbidden": Forbidden("forbidden"),
        "conflict": Conflict("stale", allowed=["note"], current={"v": 2}),
        "invalid": Invalid("invalid_fields", fields={"day": "window"}, params={"days": 7}),
        "throttled": Throttled("said", params={"n": 3}),
    }

    @app.get("/raise/<kind>")
    def raise_(kind):
        raise raised[kind]

    @app.get("/page")
    def page():
        return "<p>a page</p>"

    @app.get("/moment")
    def moment():
        return jsonify(at=datetime(2026, 12, 1, 2, 30, tzinfo=UTC))

    app.testing = True
    return app.test_client()


@pytest.mark.parametrize(
    "kind, status",
    [
        ("not_found", 404),
        ("unauthenticated", 401),
        ("forbidden", 403),
        ("conflict", 409),
        ("invalid", 422),
        ("throttled", 429),
    ],
)
def test_a_domain_refusal_becomes_its_status_with_the_one_error_shape(client, kind, status):
    response = client.get(f"/raise/{kind}")
    assert response.status_code == status
    error = response.get_json()["error"]
    assert set(error) >= {"code", "message", "fields"} and error["message"]


def test_the_message_comes_from_the_catalogue_in_the_callers_language(client):
    chinese = client.get("/raise/conflict").get_json()["error"]
    assert chinese["code"] == "stale" and (chinese["allowed"], chinese["current"]) == (["note"], {"v": 2})
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese["message"])
    english = client.get("/raise/conflict?lang=en").get_json()["error"]
    assert english["message"].startswith("Someone changed this case")
    invalid = client.get("/raise/invalid?lang=en").get_json()["error"]
    assert invalid["code"] == "invalid_fields" and invalid["message"] == "Some fields are invalid."
    assert invalid["fields"] == {"day": "The time to answer this resolution (7 days) is over."}
    assert client.get("/raise/throttled").get_json()["error"]["message"] == "computed from 3"


def test_times_in_answers_are_china_time_with_their_offset(client):
    assert client.get("/moment").get_json() == {"at": "2026-12-01T10:30:00+08:00"}


def test_every_answer_forbids_sniffing_referrers_and_caching(client):
    for path in ("/page", "/moment", "/raise/not_found", "/healthz"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path
        assert headers["Cache-Control"] == "no-store", path


def test_a_page_gets_a_content_security_policy_without_inline_script_or_framing(client):
    policy = client.get("/page").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "Content-Security-Policy" not in client.get("/moment").headers  # JSON is no page


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic metrics-test-token"}]
)
def test_metrics_are_refused_to_anyone_but_the_scraper(client, headers):
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 403 and b"xinsheng_" not in response.data


def test_metrics_answer_the_scraper_with_the_token(client):
    response = client.get("/metrics", headers={"Authorization": "Bearer metrics-test-token"})
    assert response.status_code == 200 and b"xinsheng_outbox" not in response.data  # reports has no outbox
    assert b"xinsheng_http_requests_total" in response.data or response.data.startswith(b"#")


def test_no_token_configured_means_no_metrics_for_anyone(sqlite_runtime):
    app = web.create_app(
        sqlite_runtime("reports", metrics_token=""), import_name=__name__, spec=apidoc.new_spec("test")
    )
    assert app.test_client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403
