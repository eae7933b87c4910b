"""Staff log-in and the signed token every service checks (routing's /api/v1/auth/*, shared.auth)."""

from __future__ import annotations

import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from harness.private import DEMO_DIRECTORY
from services.routing import directory, staff
from services.routing.app import create_app
from services.routing.models import outbox
from shared import auth
from shared.uow import unit_of_work


@pytest.fixture
def routing(sqlite_runtime):
    rt = sqlite_runtime("routing", secret_key="test-secret")
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
        staff.set_password(uow.conn, "e001-chair", "correct horse")
    app = create_app(rt)
    app.testing = True
    staff._window.storage.reset()  # failed log-ins are remembered per process
    return app.test_client()


def log_in(client, staff_id="e001-chair", password="correct horse", **headers):
    return client.post(
        "/api/v1/auth/token", json={"staff_id": staff_id, "password": password}, headers=headers
    )


def test_a_chair_logs_in_and_the_token_names_them(routing):
    response = log_in(routing)
    assert response.status_code == 200
    body = response.get_json()
    assert body["staff"] == {"id": "e001-chair", "role": "enterprise_chair", "org_code": "E001"}
    me = routing.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["org_code"] == "E001"


@pytest.mark.parametrize(
    "staff_id,password", [("e001-chair", "wrong"), ("nobody", "correct horse"), ("e002-chair", "")]
)
def test_wrong_password_or_unknown_id_get_the_same_401(routing, staff_id, password):
    response = log_in(routing, staff_id, password)
    assert response.status_code in (401, 422)
    if response.status_code == 401:
        assert response.get_json()["error"]["code"] == "bad_credentials"


def test_an_account_without_a_password_cannot_log_in(routing):
    assert log_in(routing, "e002-chair", "anything").status_code == 401


def test_repeated_failures_are_slowed_down_then_refused(routing):
    statuses = [log_in(routing, password=f"guess {i}").status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]
    assert log_in(routing).status_code == 429, "even the right password waits out the window"
    assert log_in(routing, "c01-officer", "x").status_code == 401, "other accounts are not affected"


@pytest.mark.parametrize(
    "body,content_type,status",
    [
        (b"{not json", "application/json", 400),
        (b'{"staff_id": "e001-chair"}', "application/json", 422),
        (b'{"staff_id": 5, "password": "x"}', "application/json", 422),
        (b'{"staff_id": "e001-chair", "password": "x", "role": "admin"}', "application/json", 422),
        (b"staff_id=e001-chair&password=x", "application/x-www-form-urlencoded", 415),
    ],
)
def test_bad_log_in_bodies_are_answered_clearly(routing, body, content_type, status):
    response = routing.post("/api/v1/auth/token", data=body, content_type=content_type)
    assert response.status_code == status and "error" in response.get_json()


@pytest.mark.parametrize(
    "header,code",
    [
        (None, "unauthenticated"),
        ("Bearer", "unauthenticated"),
        ("Basic abc", "unauthenticated"),
        ("Bearer not-a-token", "invalid_token"),
    ],
)
def test_requests_without_a_good_token_get_401(routing, header, code):
    headers = {"Authorization": header} if header else {}
    response = routing.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == code


def test_a_token_signed_with_another_key_is_refused(routing):
    forged = auth.issue("another-secret", auth.Staff("city-officer-1", "city_officer", "city"))
    response = routing.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_token"


def test_a_token_whose_claims_were_edited_is_refused(routing):
    token = log_in(routing).get_json()["token"]
    _, stamp, signature = token.rsplit(".", 2)  # value.timestamp.signature; the value may hold dots
    claims = (
        URLSafeTimedSerializer("x")
        .dumps({"id": "city-officer-1", "role": "city_officer", "org_code": "city"})
        .rsplit(".", 2)[0]
    )
    tampered = f"{claims}.{stamp}.{signature}"
    assert tampered != token
    response = routing.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401


def test_an_expired_token_is_refused_with_its_own_code(routing):
    from shared.errors import ApiError

    token = auth.issue("k", auth.Staff("e001-chair", "enterprise_chair", "E001"))
    time.sleep(1.1)
    with routing.application.test_request_context(), pytest.raises(ApiError) as info:
        auth.verify("k", token, max_age=0)
    assert info.value.code == "token_expired" and info.value.status == 401


def test_a_role_not_allowed_gets_403(sqlite_runtime):
    from flask import jsonify

    from shared import web
    from shared.bootstrap import Runtime

    rt = sqlite_runtime("routing", secret_key="k")
    app = web.create_app(rt, import_name=__name__, outbox=outbox)

    @app.get("/city-only")
    @auth.require_staff("city_officer")
    def city_only():
        return jsonify(ok=True)

    chair = auth.issue("k", auth.Staff("e001-chair", "enterprise_chair", "E001"))
    city = auth.issue("k", auth.Staff("city-officer-1", "city_officer", "city"))
    client = app.test_client()
    assert client.get("/city-only", headers={"Authorization": f"Bearer {chair}"}).status_code == 403
    assert client.get("/city-only", headers={"Authorization": f"Bearer {city}"}).status_code == 200
    assert isinstance(rt, Runtime)


def test_re_importing_the_directory_keeps_passwords(sqlite_runtime):
    rt = sqlite_runtime("routing", secret_key="k")
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
        staff.set_password(uow.conn, "e001-chair", "pw")
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
    with rt.engine.connect() as conn:
        _token, person = staff.log_in(conn, "k", "e001-chair", "pw")
    assert person.org_code == "E001"
