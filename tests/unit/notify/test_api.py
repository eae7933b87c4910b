"""``GET /api/v1/cases/<id>/notifications``: who was told what about a case, when, on which channel,
and whether it went out; for staff within the ledger's scope (404 outside it), never naming a
worker; bad input answered with a clear JSON error, never a 500."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete

from services.notify.app import create_app
from services.notify.dispatcher import Dispatcher
from services.notify.models import case_scopes, notifications
from services.notify.schemas import CaseNotifications
from shared import auth, clock, events
from tests.support.events import deliver
from tests.support.notify import CHAIR, COUNTY_OFFICER, assigned_for, supervision
from tests.support.routing import ADMIN, CHAIR_2, CITY, COUNTY, COUNTY_2, SECRET, as_

CHAIR_TOKEN = as_("e001-chair", "enterprise_chair", "E001")
WORKER = {"email": "worker-77@example.org", "phone": "13977777777", "name": "孙工"}


@pytest.fixture
def notify(sqlite_runtime):
    """notify's web on three cases: ``plain`` at E001 held by its chair, supervised by the county
    and with a named worker; ``about_chair`` at E001 held by the county; ``other`` at E002 (C02)."""
    rt = sqlite_runtime("notify", secret_key=SECRET)
    plain = supervision(level=1)
    about = supervision(level=1, about_chair=True)
    other = supervision(level=1, enterprise_code="E002", county_code="C02")
    deliver(rt, assigned_for(plain))
    deliver(rt, assigned_for(about, COUNTY_OFFICER))
    deliver(rt, assigned_for(other, CHAIR.model_copy(update={"id": "e002-chair", "org_code": "E002"})))
    deliver(rt, plain)
    deliver(rt, about)
    deliver(
        rt,
        events.GrievanceContactShared(
            grievance_id=plain.grievance_id, tracking_code="WXYZ-WXYZ-WXYZ", **WORKER
        ),
    )
    Dispatcher(rt.settings, rt.engine).run_once()
    app = create_app(rt)
    app.testing = True
    app.extensions["xinsheng.revocations"].ttl = 0  # read the table on every request
    client = app.test_client()
    client.rt, client.cases = (
        rt,
        {"plain": plain.case_id, "about_chair": about.case_id, "other": other.case_id},
    )
    return client


def log_of(client, name: str, headers: dict):
    case_id = client.cases.get(name, name)
    return client.get(f"/api/v1/cases/{case_id}/notifications", headers=headers)


def test_the_chair_reads_who_was_told_what_about_their_case(notify):
    response = log_of(notify, "plain", CHAIR_TOKEN)
    assert response.status_code == 200
    body = response.get_json()
    CaseNotifications.model_validate(body)  # the answer is what the OpenAPI document says
    assert body["case_id"] == notify.cases["plain"]
    told = {(i["kind"], i["to"]["audience"], i["medium"]) for i in body["items"]}
    assert told == {
        ("case_assigned", "staff", "email"),
        ("supervision_raised", "staff", "email"),
        ("supervision_raised", "staff", "sms"),
        ("supervision_raised", "group", "group"),
        ("worker_ack", "worker", "email"),
    }
    staff = [i["to"] for i in body["items"] if i["to"]["audience"] == "staff"]
    assert {"audience": "staff", "id": "c01-officer", "name": "张县干", "org_code": None} in staff
    [group] = [i["to"] for i in body["items"] if i["to"]["audience"] == "group"]
    assert group["org_code"] == "C01"
    assert all((i["channel"], i["status"], i["attempts"]) == ("log", "sent", 1) for i in body["items"])


def test_a_worker_is_never_named_nor_their_tracking_code_shown(notify):
    text = log_of(notify, "plain", CITY).get_data(as_text=True)
    [worker] = [i for i in log_of(notify, "plain", CITY).get_json()["items"] if i["kind"] == "worker_ack"]
    assert worker["to"] == {"audience": "worker", "id": None, "name": None, "org_code": None}
    assert worker["subject"] is None
    for secret in (*WORKER.values(), "WXYZ-WXYZ-WXYZ"):
        assert secret not in text


def test_times_are_iso_8601_in_china_time(notify):
    [item, *_] = log_of(notify, "plain", CITY).get_json()["items"]
    for key in ("created_at", "sent_at"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00", item[key]), item[key]
    assert item["next_attempt_at"] is None  # sent: nothing more to try


@pytest.mark.parametrize(
    "name,headers,status",
    [
        ("plain", COUNTY, 200),
        ("plain", CITY, 200),
        ("plain", ADMIN, 200),
        ("plain", COUNTY_2, 404),
        ("plain", CHAIR_2, 404),
        ("about_chair", CHAIR_TOKEN, 404),  # a demand about the chair: never the chair's
        ("about_chair", COUNTY, 200),
        ("other", COUNTY, 404),
        ("other", COUNTY_2, 200),
        ("other", as_("e002-chair", "enterprise_chair", "E002"), 200),
    ],
)
def test_the_log_is_scoped_like_the_ledger(notify, name, headers, status):
    response = log_of(notify, name, headers)
    assert response.status_code == status
    if status == 404:
        assert response.get_json()["error"]["code"] == "not_found"


def test_a_case_in_scope_without_messages_has_an_empty_log(notify):
    with notify.rt.engine.begin() as conn:
        conn.execute(delete(notifications).where(notifications.c.case_id == notify.cases["other"]))
    response = log_of(notify, "other", COUNTY_2)
    assert response.status_code == 200 and response.get_json()["items"] == []
    assert log_of(notify, "other", COUNTY).status_code == 404


def test_a_case_known_only_from_its_messages_is_the_city_s_alone(notify):
    with notify.rt.engine.begin() as conn:  # as for a case assigned before notify kept scopes
        conn.execute(delete(case_scopes).where(case_scopes.c.case_id == notify.cases["plain"]))
    assert log_of(notify, "plain", CITY).status_code == 200
    assert log_of(notify, "plain", CHAIR_TOKEN).status_code == 404
    assert log_of(notify, "plain", COUNTY).status_code == 404


@pytest.mark.parametrize(
    "case_id",
    [
        str(uuid.uuid4()),
        "not-a-case",
        "' OR 1=1 --",
        "%00",
        "%E2%80%AE" + "a" * 40,
        "<script>alert(1)</script>",
        "9" * 5000,
        "..%2F..%2Fetc",
        "案件",
    ],
)
def test_an_unknown_or_malformed_case_id_is_a_json_404(notify, case_id):
    response = notify.get(f"/api/v1/cases/{case_id}/notifications", headers=CITY)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] in ("not_found",)


@pytest.mark.parametrize(
    "header,code",
    [
        ({}, "unauthenticated"),
        ({"Authorization": "Bearer "}, "unauthenticated"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthenticated"),
        ({"Authorization": "Bearer garbage.garbage.garbage"}, "invalid_token"),
        (
            {"Authorization": "Bearer " + auth.issue("another-secret", auth.Staff("x", "admin", "city"))},
            "invalid_token",
        ),
        ({"Authorization": "Bearer \u202e\u0000"}, "invalid_token"),
    ],
)
def test_a_missing_or_garbage_token_is_a_json_401(notify, header, code):
    response = log_of(notify, "plain", header)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == code


def test_an_expired_token_is_a_json_401(notify):
    class Yesterday(TimestampSigner):
        def get_timestamp(self) -> int:
            return int((clock.now() - timedelta(seconds=auth.TOKEN_SECONDS + 60)).timestamp())

    token = URLSafeTimedSerializer(SECRET, salt="xinsheng-staff-token", signer=Yesterday).dumps(
        {"id": "city-officer-1", "role": "city_officer", "org_code": "city"}
    )
    response = log_of(notify, "plain", {"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "token_expired"


def test_a_revoked_staff_member_s_older_token_is_refused(notify):
    token = as_("c01-officer", "county_officer", "C01")
    assert log_of(notify, "plain", token).status_code == 200
    deliver(
        notify.rt,
        events.StaffRevoked(
            staff_id="c01-officer", revoked_at=clock.now() + timedelta(seconds=2), reason="moved"
        ),
    )
    refused = log_of(notify, "plain", token)
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "token_revoked"
    assert log_of(notify, "plain", CITY).status_code == 200  # nobody else


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_a_wrong_method_is_a_json_405_naming_get(notify, method):
    response = getattr(notify, method)(f"/api/v1/cases/{notify.cases['plain']}/notifications", headers=CITY)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_the_route_is_documented_for_staff_with_its_errors(notify):
    document = notify.get("/apidoc/openapi.json").get_json()
    operation = document["paths"]["/api/v1/cases/{case_id}/notifications"]["get"]
    assert {"200", "401", "404"} <= set(operation["responses"])
    assert operation["security"] == [{"bearer": []}]
    schema = document["components"]["schemas"]
    assert "CaseNotifications" in schema
