"""intake's JSON API: taking a demand, answering bad input, showing its status (DESIGN §3, §4).

Each test has its own SQLite database and an AMQP URL pointing at a closed port (no broker).
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.intake import tracking
from tests.support.intake import DEMAND, URL, count_rows, make_intake, post_json, stored

CODE_FORMAT = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")
CONTACT = {"name": "李四", "phone": "13800138000", "email": "lisi@example.com"}
ERROR_STATUSES = {400, 409, 413, 415, 422}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the one error shape with this status; its ``error`` object."""
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert code is None or error["code"] == code
    return error


def assert_nothing_written(rt) -> None:
    assert count_rows(rt, "grievances") == 0
    assert count_rows(rt, "outbox") == 0


# -- taking a demand --------------------------------------------------------------------------------
def test_anonymous_demand_is_stored_with_one_submitted_event_and_no_contact(intake):
    client, rt = intake
    response = post_json(client, workshop="三车间")

    assert response.status_code == 201
    code = response.get_json()["tracking_code"]
    assert CODE_FORMAT.match(code)
    assert response.headers["Location"].endswith(f"{URL}/{code}")
    [row] = stored(rt, "grievances")
    assert (row["tracking_code"], row["enterprise_code"], row["status"]) == (code, "E001", "registered")
    assert (row["channel"], row["urgency"], row["anonymous"], row["about_chair"]) == ("web", "normal", 1, 0)
    assert row["contact_name"] is row["contact_phone"] is row["contact_email"] is None
    [event] = stored(rt, "outbox")
    assert event["type"] == "grievance.submitted"
    payload = json.loads(event["body"])["payload"]
    assert payload["tracking_code"] == code and payload["workshop"] == "三车间"
    assert "contact" not in payload


def test_named_demand_stores_the_contact_and_shares_it_only_in_its_own_event(intake):
    client, rt = intake
    response = post_json(client, anonymous=False, contact=CONTACT)

    assert response.status_code == 201
    [row] = stored(rt, "grievances")
    assert (row["contact_name"], row["contact_phone"], row["contact_email"]) == (
        CONTACT["name"],
        CONTACT["phone"],
        CONTACT["email"],
    )
    submitted, shared = stored(rt, "outbox")
    assert (submitted["type"], shared["type"]) == ("grievance.submitted", "grievance.contact_shared")
    for value in CONTACT.values():
        assert value not in submitted["body"]
        assert value in shared["body"]
    assert json.loads(shared["body"])["correlation_id"] == row["id"]


def test_form_encoded_anonymous_demand_is_accepted_with_empty_contact_fields(intake):
    client, rt = intake
    response = client.post(
        URL,
        data={
            **DEMAND,
            "anonymous": "true",
            "about_chair": "on",
            "contact_name": "",
            "contact_phone": " ",
            "contact_email": "",
        },
    )

    assert response.status_code == 201
    [row] = stored(rt, "grievances")
    assert (row["anonymous"], row["about_chair"], row["contact_name"]) == (1, 1, None)
    assert count_rows(rt, "outbox", type="grievance.submitted") == 1


def test_form_encoded_named_demand_groups_the_contact_fields(intake):
    client, rt = intake
    response = client.post(
        URL,
        data={
            **DEMAND,
            "anonymous": "false",
            "contact_name": "李四",
            "contact_phone": "13800138000",
            "contact_email": "lisi@example.com",
        },
    )

    assert response.status_code == 201
    [row] = stored(rt, "grievances")
    assert (row["anonymous"], row["contact_name"], row["contact_phone"]) == (0, "李四", "13800138000")
    assert count_rows(rt, "outbox", type="grievance.contact_shared") == 1


def test_form_encoded_flag_that_is_not_a_boolean_is_refused(intake):
    client, rt = intake
    error = assert_error(client.post(URL, data={**DEMAND, "anonymous": "maybe"}), 422, "invalid_fields")
    assert set(error["fields"]) == {"anonymous"}
    assert_nothing_written(rt)


def test_description_of_5000_chinese_characters_is_accepted(intake):
    client, rt = intake
    assert post_json(client, description="诉" * 5000).status_code == 201
    assert len(stored(rt, "grievances")[0]["description"]) == 5000


def test_hostile_html_in_the_description_is_stored_as_the_worker_wrote_it(intake):
    client, rt = intake
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    assert post_json(client, description=hostile).status_code == 201
    assert stored(rt, "grievances")[0]["description"] == hostile


# -- Idempotency-Key ----------------------------------------------------------------------------------
def test_repeated_idempotency_key_with_same_body_replays_the_first_answer(intake):
    client, rt = intake
    first = post_json(client, headers={"Idempotency-Key": "kiosk-7-0001"})
    again = post_json(client, headers={"Idempotency-Key": "kiosk-7-0001"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json()["tracking_code"] == first.get_json()["tracking_code"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count_rows(rt, "grievances") == 1
    assert count_rows(rt, "outbox") == 1


def test_repeated_idempotency_key_with_another_body_is_a_conflict(intake):
    client, rt = intake
    assert post_json(client, headers={"Idempotency-Key": "k-1"}).status_code == 201
    response = post_json(client, headers={"Idempotency-Key": "k-1"}, category="other")

    assert_error(response, 409, "idempotency_conflict")
    assert count_rows(rt, "grievances") == 1


@pytest.mark.parametrize(
    "key", ["k" * 201, "", "clé-1", "tab\tkey"], ids=["too-long", "empty", "non-ascii", "control"]
)
def test_malformed_idempotency_key_is_refused_before_anything_is_stored(intake, key):
    client, rt = intake
    assert_error(post_json(client, headers={"Idempotency-Key": key}), 400, "malformed")
    assert_nothing_written(rt)


# -- bad input: the right status, the one error shape, nothing written ------------------------------
@pytest.mark.parametrize(
    "data, content_type, status",
    [
        ('{"enterprise_code": "E001",', "application/json", 400),
        ("not json at all", "application/json", 400),
        (json.dumps(DEMAND), "text/plain", 415),
        (json.dumps(DEMAND), None, 415),
        ('{"description": "' + "x" * 70_000 + '"}', "application/json", 413),
        ("[1, 2]", "application/json", 422),
        ('"a string"', "application/json", 422),
        ("42", "application/json", 422),
        ("true", "application/json", 422),
        ("null", "application/json", 422),
    ],
    ids=[
        "truncated-json",
        "not-json",
        "text-plain",
        "no-media-type",
        "too-large",
        "array",
        "string",
        "number",
        "boolean",
        "null",
    ],
)
def test_body_that_is_not_a_json_object_is_refused(intake, data, content_type, status):
    client, rt = intake
    response = client.post(URL, data=data, content_type=content_type)
    assert_error(response, status)
    assert_nothing_written(rt)


def test_form_larger_than_the_limit_is_refused_as_too_large(intake):
    client, rt = intake
    assert_error(client.post(URL, data={**DEMAND, "description": "x" * 70_000}), 413, "too_large")
    assert_nothing_written(rt)


def test_missing_required_fields_are_each_named(intake):
    client, rt = intake
    error = assert_error(post_json(client, body={}), 422, "invalid_fields")
    assert set(error["fields"]) == {"enterprise_code", "category", "description"}
    assert_nothing_written(rt)


def test_fields_of_the_wrong_type_are_each_named(intake):
    client, rt = intake
    response = post_json(client, anonymous="yes", category=5, description=["x"], contact="str")
    error = assert_error(response, 422, "invalid_fields")
    assert set(error["fields"]) == {"anonymous", "category", "description", "contact"}
    assert_nothing_written(rt)


@pytest.mark.parametrize(
    "field, value",
    [
        ("category", "noise"),
        ("channel", "fax"),
        ("urgency", "very"),
        ("urgency", None),
        ("about_chair", "false"),
        ("workshop", 3),
        ("enterprise_code", 1),
        ("description", "四个字。"),
        ("description", "   abcd   "),
        ("description", "x" * 5001),
        ("description", "a\x00bcdefg"),
        ("description", "abc\x1bdefg"),
        ("description", "abc\x7fdefg"),
        ("description", "abc\u2028defg"),
        ("workshop", "a\x00b"),
        ("workshop", "一车间\n二车间"),
        ("workshop", "w" * 101),
        ("workshop", ""),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_invalid_field_value_is_refused_on_that_field(intake, field, value):
    client, rt = intake
    error = assert_error(post_json(client, **{field: value}), 422, "invalid_fields")
    assert set(error["fields"]) == {field}
    assert_nothing_written(rt)


def test_lone_surrogate_escaped_in_the_json_is_refused_on_that_field(intake):
    client, rt = intake
    body = json.dumps({**DEMAND, "description": "\ud800 not a character"})  # ASCII: "\\ud800"
    error = assert_error(client.post(URL, data=body, content_type="application/json"), 422, "invalid_fields")
    assert set(error["fields"]) == {"description"}
    assert_nothing_written(rt)


def test_unknown_extra_field_is_refused_on_that_field(intake):
    client, rt = intake
    error = assert_error(post_json(client, priority="high"), 422, "invalid_fields")
    assert set(error["fields"]) == {"priority"}
    assert_nothing_written(rt)


@pytest.mark.parametrize(
    "demand",
    [
        {"anonymous": True, "contact": {"phone": "13800138000"}},
        {"contact": {"email": "a@example.com"}},
        {"anonymous": False},
        {"anonymous": False, "contact": {"name": "李四"}},
        {"anonymous": False, "contact": {"phone": "call me"}},
        {"anonymous": False, "contact": {"email": "not-an-email"}},
        {"anonymous": False, "contact": {"phone": "13800138000", "wechat": "x"}},
    ],
    ids=[
        "anonymous-with-contact",
        "default-anonymous-with-contact",
        "named-without-contact",
        "named-without-phone-or-email",
        "bad-phone",
        "bad-email",
        "extra-contact-field",
    ],
)
def test_contact_that_breaks_the_anonymity_rules_is_refused_on_contact(intake, demand):
    client, rt = intake
    error = assert_error(post_json(client, **demand), 422, "invalid_fields")
    assert error["fields"] and all(name.startswith("contact") for name in error["fields"])
    assert_nothing_written(rt)


@pytest.mark.parametrize(
    "code",
    [
        "E404",
        "E900",
        "e001",
        "E001' OR '1'='1",
        "E001; DROP TABLE grievances;--",
    ],
    ids=["unknown", "inactive", "wrong-case", "sql-or", "sql-drop"],
)
def test_enterprise_code_that_is_not_an_active_enterprise_is_refused(intake, code):
    client, rt = intake
    error = assert_error(post_json(client, enterprise_code=code), 422, "invalid_fields")
    assert set(error["fields"]) == {"enterprise_code"}
    assert_nothing_written(rt)
    assert count_rows(rt, "enterprises") == 3  # the directory is intact


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
FIELD_NAMES = st.sampled_from(
    [
        "enterprise_code",
        "category",
        "description",
        "channel",
        "urgency",
        "anonymous",
        "about_chair",
        "workshop",
        "contact",
    ]
)
BODIES = (
    JSON_VALUES
    | st.dictionaries(FIELD_NAMES | st.text(max_size=10), JSON_VALUES, max_size=6)
    | st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=3).map(lambda over: {**DEMAND, **over})
)


@settings(deadline=None, max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_any_json_body_gets_a_deliberate_answer_never_a_server_error(intake, body):
    client, _rt = intake
    response = client.post(URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code in {201} | ERROR_STATUSES
    if response.status_code != 201:
        assert_error(response, response.status_code)


# -- error messages ------------------------------------------------------------------------------------
def test_error_messages_are_chinese_by_default(intake):
    client, _ = intake
    error = assert_error(post_json(client, description="短"), 422, "invalid_fields")
    assert error["message"] == "部分字段有误。"
    assert error["fields"]["description"] == "过短：至少 5 个字符。"


def test_error_messages_are_english_when_the_client_asks(intake):
    client, _ = intake
    response = post_json(client, headers={"Accept-Language": "en"}, description="短")
    error = assert_error(response, 422, "invalid_fields")
    assert error["message"] == "Some fields are invalid."
    assert error["fields"]["description"] == "Too short: at least 5 characters."


@pytest.mark.parametrize(
    "field, value",
    [
        ("description", "MARKER-7f3a9 " * 500),
        ("category", "MARKER-7f3a9"),
        ("workshop", "MARKER-7f3a9\x00"),
        ("enterprise_code", "MARKER-7f3a9!"),
        ("contact", {"email": "MARKER-7f3a9"}),
    ],
)
def test_field_errors_never_echo_the_submitted_value(intake, field, value):
    client, _ = intake
    response = post_json(client, **{field: value})
    assert response.status_code == 422
    assert "MARKER-7f3a9" not in response.get_data(as_text=True)


# -- a demand's public status ---------------------------------------------------------------------------
def submitted_code(client, **demand) -> str:
    response = post_json(client, **demand)
    assert response.status_code == 201
    return response.get_json()["tracking_code"]


def test_status_shows_registered_with_its_timeline_in_chinese(intake):
    client, _ = intake
    code = submitted_code(client)
    body = client.get(f"{URL}/{code}").get_json()

    assert (body["tracking_code"], body["status"], body["status_label"]) == (code, "registered", "已挂号")
    assert (body["category"], body["category_label"], body["enterprise_name"]) == (
        "wages",
        "工资报酬",
        "企业E001",
    )
    assert [(s["status"], s["label"]) for s in body["timeline"]] == [("registered", "已挂号")]


def test_status_labels_are_english_when_the_client_asks(intake):
    client, _ = intake
    code = submitted_code(client)
    body = client.get(f"{URL}/{code}", headers={"Accept-Language": "en"}).get_json()
    assert (body["status_label"], body["category_label"]) == ("Registered", "Wages and pay")
    assert body["timeline"][0]["label"] == "Registered"


def test_status_is_found_by_the_code_as_people_type_it(intake):
    client, _ = intake
    code = submitted_code(client)
    raw = code.replace("-", "")
    for typed in (code.lower(), raw, f"{raw[:4]} {raw[4:8]} {raw[8:]}", f"{raw[:6]}-{raw[6:]}", f" {code} "):
        response = client.get(f"{URL}/{typed}")
        assert response.status_code == 200, typed
        assert response.get_json()["tracking_code"] == code


def test_code_with_a_wrong_check_character_is_refused_as_invalid(intake):
    client, _ = intake
    code = submitted_code(client)
    wrong = code[:-1] + next(c for c in tracking.ALPHABET if c != code[-1])
    assert_error(client.get(f"{URL}/{wrong}"), 404, "invalid_tracking_code")


@pytest.mark.parametrize("typed", ["ABCD", "0000-0000-0000", "%3Cscript%3E"])
def test_text_that_is_no_tracking_code_is_refused_as_invalid(intake, typed):
    client, _ = intake
    assert_error(client.get(f"{URL}/{typed}"), 404, "invalid_tracking_code")


def test_valid_code_of_no_demand_is_not_found(intake):
    client, _ = intake
    submitted_code(client)
    assert_error(client.get(f"{URL}/{tracking.new()}"), 404, "not_found")


def test_status_never_shows_description_workshop_or_contact(intake):
    client, _ = intake
    code = submitted_code(
        client,
        description="SECRET-DESCRIPTION 噪声",
        workshop="SECRET-WORKSHOP",
        anonymous=False,
        contact={"name": "SECRET-NAME", "phone": "13900000001", "email": "secret@example.com"},
    )
    response = client.get(f"{URL}/{code}")

    assert response.status_code == 200
    assert not {"description", "workshop", "contact"} & set(response.get_json())
    text = response.get_data(as_text=True)
    secrets = ("SECRET-DESCRIPTION", "SECRET-WORKSHOP", "SECRET-NAME", "13900000001", "secret@example.com")
    assert not [secret for secret in secrets if secret in text]


# -- the enterprise picker ------------------------------------------------------------------------------
def test_enterprises_lists_only_the_active_ones_with_code_name_and_county(intake):
    client, _ = intake
    response = client.get("/api/v1/enterprises")
    assert response.status_code == 200
    assert response.get_json()["enterprises"] == [
        {"code": "E001", "name": "企业E001", "county": "城关区"},
        {"code": "E002", "name": "企业E002", "county": "城关区"},
    ]


# -- health, readiness, metrics, OpenAPI ------------------------------------------------------------------
def test_healthz_answers_ok(intake):
    client, _ = intake
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_readyz_is_503_naming_the_unreachable_broker_while_the_database_is_ok(intake):
    client, _ = intake
    error = assert_error(client.get("/readyz"), 503, "not_ready")
    assert error["fields"]["database"] == "ok"
    assert error["fields"]["broker"].startswith("unreachable")


def test_metrics_count_pending_outbox_events_and_requests(intake):
    client, _ = intake
    submitted_code(client)
    submitted_code(client, anonymous=False, contact={"phone": "13800138000"})
    response = client.get("/metrics", headers={"Authorization": "Bearer metrics-test-token"})

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert re.search(r'^xinsheng_outbox_pending\{service="intake"\} 3\.0$', text, re.M)
    submissions = r'^xinsheng_http_requests_total\{[^}]*route="/api/v1/grievances"[^}]*status="201"[^}]*\} '
    assert re.search(submissions, text, re.M)


def test_openapi_documents_every_answer_of_the_submission(intake):
    client, _ = intake
    spec = client.get("/apidoc/openapi.json").get_json()
    responses = spec["paths"]["/api/v1/grievances"]["post"]["responses"]
    assert {"201", "400", "409", "413", "415", "422", "429"} <= set(responses)


# -- rate limit ---------------------------------------------------------------------------------------------
def test_third_submission_within_the_limit_window_is_rate_limited(sqlite_runtime):
    client, rt = make_intake(sqlite_runtime, rate_limit="2/minute")
    assert [post_json(client).status_code for _ in range(2)] == [201, 201]

    assert_error(post_json(client), 429, "rate_limited")
    assert count_rows(rt, "grievances") == 2


def test_health_checks_are_never_rate_limited(sqlite_runtime):
    client, _ = make_intake(sqlite_runtime, rate_limit="2/minute")
    for _ in range(3):
        post_json(client)
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
