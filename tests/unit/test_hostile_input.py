"""Hostile and odd input at every service's edge: the answer is a clear JSON error with the right
status, nothing is half-written, never a 500."""

from __future__ import annotations

import importlib
import json

import pytest

from shared.config import SERVICES
from tests.support.intake import DEMAND, URL, count_rows
from tests.support.routing import CHAIR, CITY

EDGE_DAYS = [
    "0001-01-01",
    "9999-12-31",
    "1999-12-31",
    "2100-01-01",
    "0",
    "1700000000",
    "2026-02-30",
    "2026-1-5",
]


@pytest.fixture(params=SERVICES)
def any_service(request, sqlite_runtime):
    app = importlib.import_module(f"services.{request.param}.app").create_app(sqlite_runtime(request.param))
    app.testing = True
    return app.test_client()


# -- dates at the edges of the calendar --------------------------------------------------------------
@pytest.mark.parametrize("day", EDGE_DAYS)
@pytest.mark.parametrize("name", ["submitted_from", "submitted_to"])
def test_a_case_filter_day_out_of_range_or_not_a_day_is_422(ledger, name, day):
    response = ledger.get(f"/api/v1/cases?{name}={day}", headers=CITY)
    assert response.status_code == 422
    assert name in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("day", EDGE_DAYS)
@pytest.mark.parametrize("name", ["start", "end"])
def test_a_report_period_day_out_of_range_or_not_a_day_is_422(sqlite_runtime, name, day):
    from services.reports.app import create_app

    client = create_app(sqlite_runtime("reports", secret_key="k")).test_client()
    response = client.get(f"/api/v1/reports/summary?{name}={day}", headers=CITY)
    assert response.status_code == 422
    assert name in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("day", ["9999-12-31", "0", 20261231])
def test_an_extension_to_a_day_out_of_range_is_422_and_changes_nothing(ledger, day):
    case_id = ledger.case_ids["e001"]
    before = ledger.get(f"/api/v1/cases/{case_id}", headers=CITY).get_json()
    response = ledger.post(
        f"/api/v1/cases/{case_id}/extend",
        json={"version": before["version"], "reason": "等待第三方检测", "resolve_due": day},
        headers=CITY,
    )
    assert response.status_code == 422 and "resolve_due" in response.get_json()["error"]["fields"]
    assert ledger.get(f"/api/v1/cases/{case_id}", headers=CITY).get_json()["version"] == before["version"]


def test_a_day_inside_the_range_is_taken(ledger):
    response = ledger.get("/api/v1/cases?submitted_from=2026-01-01&submitted_to=2099-12-31", headers=CHAIR)
    assert response.status_code == 200


# -- methods ----------------------------------------------------------------------------------------
def test_a_wrong_method_is_405_with_the_allowed_ones(any_service):
    response = any_service.put("/healthz")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "HEAD"}


def test_a_wrong_method_on_the_submission_names_post(intake):
    client, _rt = intake
    response = client.delete(URL)
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


# -- a field given twice ----------------------------------------------------------------------------
FORM = {"enterprise_code": "E001", "category": "wages", "description": "工资拖欠三个月。"}


def test_a_form_field_given_twice_is_422_and_stores_nothing(intake):
    client, rt = intake
    body = "&".join(
        [
            *(f"{k}={v}" for k, v in FORM.items()),
            "anonymous=false",
            "anonymous=true",
            "contact_phone=13900000000",
        ]
    )
    response = client.post(URL, data=body.encode(), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["anonymous"]
    assert count_rows(rt, "grievances") == 0


def test_a_json_key_given_twice_is_422_and_stores_nothing(intake):
    client, rt = intake
    body = json.dumps(DEMAND)[:-1] + ', "anonymous": false, "anonymous": true}'
    response = client.post(URL, data=body, content_type="application/json")
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["anonymous"]
    assert count_rows(rt, "grievances") == 0


def test_a_repeated_key_deep_in_a_json_body_is_refused_too(ledger):
    case_id = ledger.case_ids["e001"]
    body = '{"version": 1, "version": 2, "public_note": "好"}'
    response = ledger.post(
        f"/api/v1/cases/{case_id}/accept", data=body, content_type="application/json", headers=CHAIR
    )
    assert response.status_code == 422 and "version" in response.get_json()["error"]["fields"]


# -- invisible characters, bad encodings ------------------------------------------------------------
@pytest.mark.parametrize(
    "char",
    ["\u202e", "\u200d", "\u0085", "\u009b", "\u2066", "\u200b"],
    ids=["rlo", "zwj", "nel", "csi", "lri", "zwsp"],
)
def test_invisible_and_c1_characters_in_a_single_line_field_are_refused_by_name(intake, char):
    client, rt = intake
    response = client.post(URL, json={**DEMAND, "workshop": f"二车间{char}exe.txt"})
    assert response.status_code == 422
    assert "workshop" in response.get_json()["error"]["fields"]
    assert count_rows(rt, "grievances") == 0


def test_a_c1_control_in_a_description_is_refused(intake):
    client, rt = intake
    response = client.post(URL, json={**DEMAND, "description": "工资拖欠\u009b三个月了"})
    assert response.status_code == 422 and "description" in response.get_json()["error"]["fields"]
    assert count_rows(rt, "grievances") == 0


def test_a_form_body_that_is_not_utf8_is_400_not_stored_with_replacement_characters(intake):
    client, rt = intake
    body = b"enterprise_code=E001&category=wages&description=%E5%B7%A5%FF%FE%E8%B5%84%E6%8B%96%E6%AC%A0"
    for url in (URL, "/"):
        response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400, url
    assert count_rows(rt, "grievances") == 0


def test_ordinary_chinese_and_line_breaks_in_a_description_still_pass(intake):
    client, rt = intake
    response = client.post(URL, json={**DEMAND, "description": "车间噪音太大，\n夜班尤其吵。"})
    assert response.status_code == 201 and count_rows(rt, "grievances") == 1


def test_a_multipart_form_with_a_nameless_or_repeated_part_is_a_clear_answer(intake):
    client, rt = intake
    boundary = "xinsheng-boundary"
    parts = [
        (None, "无名"),
        ("category", "wages"),
        ("description", "工资拖欠三个月。"),
        ("enterprise_code", "E001"),
    ]
    body = (
        "".join(
            f"--{boundary}\r\nContent-Disposition: form-data{'' if n is None else f'; name={chr(34)}{n}{chr(34)}'}"
            f"\r\n\r\n{v}\r\n"
            for n, v in parts
        )
        + f"--{boundary}--\r\n"
    )
    response = client.post(URL, data=body.encode(), content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 201  # the nameless part is no field of the demand
    repeated = client.post(
        URL,
        data={
            "category": ["wages", "hours_leave"],
            "description": "工资拖欠三个月。",
            "enterprise_code": "E001",
        },
        content_type="multipart/form-data",
    )
    assert repeated.status_code == 422 and list(repeated.get_json()["error"]["fields"]) == ["category"]
    assert count_rows(rt, "grievances") == 1


def test_an_invalid_answer_for_an_unknown_code_is_the_lookup_page_not_a_crash(intake):
    client, _rt = intake
    response = client.post("/s/ABCD-EFGH-JKMN/feedback", data={"satisfied": "maybe"})
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_an_answer_refused_before_its_code_is_looked_up_is_still_a_page(intake):
    client, _rt = intake
    response = client.post(
        "/s/NOT-A-CODE/feedback", data={"satisfied": "true"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 404 and response.mimetype == "text/html"
