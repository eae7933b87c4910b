"""Bad and hostile input at every companion endpoint: a JSON error with the right status and code,
nothing written, never a 500; hostile text that is valid is stored and given back as written."""

from __future__ import annotations

import json
from urllib.parse import quote

import itsdangerous
import pytest

from shared import auth
from tests.support.companion import (
    CHAIR,
    CITY,
    SECRET,
    error,
    machine_now,
    record,
    rows,
    snapshot,
    visit_body,
)

SOME_UUID = "2b1f5c1e-0c7a-4d43-9d0e-5b7b3a0f4e11"
ENDPOINTS = {
    "list schedules": ("GET", "/api/v1/schedules", None),
    "read a schedule": ("GET", "/api/v1/schedules/E001", None),
    "set a schedule": ("PUT", "/api/v1/schedules/E001", {"weekday": 1}),
    "call a day off": ("POST", "/api/v1/schedules/E001/days/2026-10-14/cancel", {"reason": "停电检修"}),
    "record a visit": ("POST", "/api/v1/visits", visit_body("2026-09-30")),
    "list visits": ("GET", "/api/v1/visits", None),
    "read a visit": ("GET", f"/api/v1/visits/{SOME_UUID}", None),
}
WITH_BODY = ["set a schedule", "call a day off", "record a visit"]


def refused(client, status: int, code: str, method: str, path: str, **kwargs) -> dict:
    """Send a request that must be refused with ``status`` and ``code``, and write nothing; the error."""
    before = snapshot(client.rt)
    answer = client.open(path, method=method, **kwargs)
    assert error(answer) == (status, code), answer.get_json()
    assert snapshot(client.rt) == before
    return answer.get_json()["error"]


def send(client, what: str, body, headers=None, status: int = 422, code: str = "invalid_fields") -> dict:
    method, path, _good = ENDPOINTS[what]
    return refused(client, status, code, method, path, json=body, headers=headers or CITY)


# -- who is asking ---------------------------------------------------------------------------------------
def _expired_token() -> str:
    class Yesterday(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(machine_now().timestamp()) - 9 * 3600

    serializer = itsdangerous.URLSafeTimedSerializer(SECRET, salt=auth._SALT, signer=Yesterday)
    return serializer.dumps({"id": "e001-chair", "role": "enterprise_chair", "org_code": "E001"})


def _tampered() -> str:
    token = CHAIR["Authorization"].removeprefix("Bearer ")
    return token[:-2] + ("AA" if token[-2:] != "AA" else "BB")


BAD_AUTHORIZATION = {
    "none": (None, "unauthenticated"),
    "empty": ("", "unauthenticated"),
    "a bearer without a token": ("Bearer ", "unauthenticated"),
    "basic": ("Basic ZTAwMS1jaGFpcjp4aW5zaGVuZy1kZW1v", "unauthenticated"),
    "garbage": ("Bearer garbage.garbage.garbage", "invalid_token"),
    "another secret": (
        "Bearer " + auth.issue("not-k", auth.Staff("city-officer-1", "city_officer", "city")),
        "invalid_token",
    ),
    "tampered": ("Bearer " + _tampered(), "invalid_token"),
    "a token of other claims": (
        "Bearer " + itsdangerous.URLSafeTimedSerializer(SECRET, salt=auth._SALT).dumps({"id": "x"}),
        "invalid_token",
    ),
}


@pytest.mark.parametrize("what", ENDPOINTS)
@pytest.mark.parametrize("how", BAD_AUTHORIZATION)
def test_without_a_valid_token_every_endpoint_is_401(wednesdays, what, how):
    header, code = BAD_AUTHORIZATION[how]
    method, path, body = ENDPOINTS[what]
    headers = {} if header is None else {"Authorization": header}
    refused(wednesdays, 401, code, method, path, json=body, headers=headers)


@pytest.mark.parametrize("what", ENDPOINTS)
def test_an_expired_token_is_401(wednesdays, what):
    method, path, body = ENDPOINTS[what]
    headers = {"Authorization": "Bearer " + _expired_token()}
    refused(wednesdays, 401, "token_expired", method, path, json=body, headers=headers)


# -- the body as a whole ------------------------------------------------------------------------------
@pytest.mark.parametrize("what", WITH_BODY)
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data; boundary=x",
        None,
    ],
)
def test_a_body_that_is_not_json_is_415(wednesdays, what, content_type):
    method, path, body = ENDPOINTS[what]
    headers = {**CITY, **({"Content-Type": content_type} if content_type else {})}
    refused(wednesdays, 415, "unsupported_media_type", method, path, data=json.dumps(body), headers=headers)


@pytest.mark.parametrize("what", WITH_BODY)
@pytest.mark.parametrize(
    "raw",
    [
        b'{"weekday": 2',
        b"{weekday: 2}",
        b"{'weekday': 2}",
        b'{"weekday": 2,}',
        b"",
        b"\xff\xfe\xfd",
        b'{"reason": "\xff\xfe"}',
        b"[" * 20_000 + b"]" * 20_000,
    ],
    ids=[
        "cut",
        "bare key",
        "single quotes",
        "trailing comma",
        "empty",
        "not utf-8",
        "not utf-8 in a string",
        "deep",
    ],
)
def test_malformed_json_is_400(wednesdays, what, raw):
    method, path, _body = ENDPOINTS[what]
    refused(
        wednesdays,
        400,
        "malformed",
        method,
        path,
        data=raw,
        headers={**CITY, "Content-Type": "application/json"},
    )


@pytest.mark.parametrize("what", WITH_BODY)
@pytest.mark.parametrize("body", [[], ["weekday", 2], "text", 3, None, True])
def test_a_body_that_is_not_an_object_is_422(wednesdays, what, body):
    method, path, _good = ENDPOINTS[what]
    raw = json.dumps(body).encode()
    refused(
        wednesdays,
        422,
        "invalid_fields",
        method,
        path,
        data=raw,
        headers={**CITY, "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    "what, raw, field",
    [
        ("set a schedule", b'{"weekday": 1, "weekday": 3}', "weekday"),
        ("call a day off", '{"reason": "停电检修", "reason": "别的"}'.encode(), "reason"),
        (
            "record a visit",
            json.dumps(visit_body("2026-09-30"))[:-1].encode() + b', "day": "2026-09-23"}',
            "day",
        ),
    ],
)
def test_a_key_given_twice_is_422(wednesdays, what, raw, field):
    method, path, _good = ENDPOINTS[what]
    got = refused(
        wednesdays,
        422,
        "invalid_fields",
        method,
        path,
        data=raw,
        headers={**CITY, "Content-Type": "application/json"},
    )
    assert list(got["fields"]) == [field]


@pytest.mark.parametrize("what", WITH_BODY)
def test_a_body_over_64_kib_is_413(wednesdays, what):
    method, path, body = ENDPOINTS[what]
    raw = json.dumps({**body, "padding": "x" * (64 * 1024)}).encode()
    refused(
        wednesdays,
        413,
        "too_large",
        method,
        path,
        data=raw,
        headers={**CITY, "Content-Type": "application/json"},
    )


# -- each field ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value",
    [
        ("weekday", "2"),
        ("weekday", 2.0),
        ("weekday", True),
        ("weekday", None),
        ("weekday", [2]),
        ("weekday", 5),
        ("weekday", 6),
        ("weekday", -1),
        ("weekday", 10**20),
        ("stand_in_id", 123),
        ("stand_in_id", True),
        ("stand_in_id", ""),
        ("stand_in_id", "有 空格"),
        ("stand_in_id", "a" * 65),
        ("stand_in_id", "e001\u202echair"),
        ("stand_in_id", "e001\x00chair"),
        ("stand_in_id", "x'; DROP TABLE schedules;--"),
        ("stand_in_id", "<script>alert(1)</script>"),
        ("starts_on", 20260901),
        ("starts_on", "2026-02-30"),
        ("starts_on", "1999-12-31"),
        ("starts_on", "2100-01-01"),
        ("starts_on", "2026-9-1"),
        ("starts_on", "2026-09-01T00:00:00"),
        ("starts_on", ""),
        ("starts_on", True),
        ("starts_on", {"year": 2026}),
    ],
)
def test_a_schedule_with_a_wrong_field_is_422_naming_it(wednesdays, field, value):
    got = send(wednesdays, "set a schedule", {"weekday": 1, field: value})
    assert list(got["fields"]) == [field]


@pytest.mark.parametrize(
    "body, fields",
    [
        ({}, ["weekday"]),
        ({"stand_in_id": "e001-vice"}, ["weekday"]),
        ({"weekday": 1, "enterprise_code": "E002"}, ["enterprise_code"]),
        ({"weekday": 1, "updated_by": "admin-1"}, ["updated_by"]),
        ({"weekday": 1, "Weekday": 1}, ["Weekday"]),
    ],
)
def test_a_schedule_missing_a_field_or_with_an_unknown_one_is_422(wednesdays, body, fields):
    assert list(send(wednesdays, "set a schedule", body)["fields"]) == fields


@pytest.mark.parametrize(
    "field, value",
    [
        ("enterprise_code", 1),
        ("enterprise_code", None),
        ("enterprise_code", ""),
        ("enterprise_code", "E 001"),
        ("enterprise_code", "E001'--"),
        ("enterprise_code", "E" * 33),
        ("enterprise_code", "E001\x00"),
        ("enterprise_code", "<b>E001</b>"),
        ("day", 20260930),
        ("day", None),
        ("day", ""),
        ("day", "2026-09-31"),
        ("day", "2026-9-30"),
        ("day", "2026-09-30T10:00:00+08:00"),
        ("day", "30/09/2026"),
        ("day", "9999-12-31"),
        ("day", True),
        ("workshops", "一车间"),
        ("workshops", []),
        ("workshops", [""]),
        ("workshops", ["   "]),
        ("workshops", [1]),
        ("workshops", [None]),
        ("workshops", [["一车间"]]),
        ("workshops", {"一车间": 1}),
        ("workshops", ["一车间\x00"]),
        ("workshops", ["\u202e间车一"]),
        ("workshops", ["一车间\u200b"]),
        ("workshops", ["一车间\n二车间"]),
        ("workshops", ["车" * 101]),
        ("workshops", [f"{i}号车间" for i in range(31)]),
        ("workers_met", "12"),
        ("workers_met", 12.5),
        ("workers_met", 12.0),
        ("workers_met", True),
        ("workers_met", -1),
        ("workers_met", 100_001),
        ("workers_met", 10**30),
        ("workers_met", None),
        ("workers_met", [12]),
        ("summary", "太短了"),
        ("summary", "  短  "),
        ("summary", 12345),
        ("summary", None),
        ("summary", ["与职工座谈。"]),
        ("summary", "与职工座谈\x00，了解情况。"),
        ("summary", "\x1b[31m与职工座谈，了解情况。\x1b[0m"),
        ("summary", "谈" * 5001),
    ],
)
def test_a_visit_with_a_wrong_field_is_422_naming_it(wednesdays, field, value):
    got = send(wednesdays, "record a visit", visit_body("2026-09-30") | {field: value})
    assert [f.split(".")[0] for f in got["fields"]] == [field], got


@pytest.mark.parametrize("field", ["enterprise_code", "day", "workshops", "workers_met", "summary"])
def test_a_visit_missing_a_field_is_422_naming_it(wednesdays, field):
    body = visit_body("2026-09-30")
    del body[field]
    assert list(send(wednesdays, "record a visit", body)["fields"]) == [field]


@pytest.mark.parametrize("field", ["visitor_id", "visitor_role", "id", "recorded_at", "worker_names"])
def test_a_visit_with_an_unknown_field_is_422(wednesdays, field):
    got = send(wednesdays, "record a visit", visit_body("2026-09-30") | {field: "e001-chair"})
    assert list(got["fields"]) == [field]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "reason"),
        ({"reason": None}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "  停  "}, "reason"),
        ({"reason": 123}, "reason"),
        ({"reason": ["停电"]}, "reason"),
        ({"reason": "停电\x00检修"}, "reason"),
        ({"reason": "停" * 501}, "reason"),
        ({"reason": "停电检修", "day": "2026-10-21"}, "day"),
    ],
)
def test_a_day_called_off_with_a_wrong_reason_is_422(wednesdays, body, field):
    assert list(send(wednesdays, "call a day off", body)["fields"]) == [field]


# -- hostile text that is valid is stored as written ----------------------------------------------------
HOSTILE = [
    "'); DROP TABLE visits; --",
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "1' OR '1'='1",
    "{{7*7}} ${7*7} %s %n",
]


def test_hostile_text_in_a_visit_is_kept_as_written_and_harms_nothing(wednesdays):
    summary = "\n".join([*HOSTILE, "右到左\u202e文字", "车间噪音 😷"])
    answer = record(wednesdays, "2026-09-30", workshops=HOSTILE, summary=summary)
    assert answer.status_code == 201
    got = wednesdays.get(f"/api/v1/visits/{answer.get_json()['id']}", headers=CITY)
    assert got.mimetype == "application/json"
    assert (got.get_json()["workshops"], got.get_json()["summary"]) == (HOSTILE, summary)
    assert [v["summary"] for v in rows(wednesdays.rt, "visits")] == [summary]
    assert len(rows(wednesdays.rt, "schedules")) == 1


def test_hostile_text_in_a_reason_is_kept_as_written(wednesdays):
    reason = HOSTILE[1] + "\n" + HOSTILE[0]
    answer = wednesdays.post(
        "/api/v1/schedules/E001/days/2026-10-14/cancel", json={"reason": reason}, headers=CITY
    )
    assert answer.status_code == 200
    assert [d["cancel_reason"] for d in answer.get_json()["days"] if d["day"] == "2026-10-14"] == [reason]


# -- the URL ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "day",
    [
        "2026-13-01",
        "2026-02-30",
        "tomorrow",
        "20261014",
        "2026-10-14T00:00:00",
        "2026-10-14 ",
        "9999-12-31",
        "0000-00-00",
        "-1",
        "2026-10-14\x00",
        "2026-10-14'--",
        "%E2%80%AE2026-10-14",
    ],
)
def test_a_day_in_the_url_that_is_not_a_day_is_404(wednesdays, day):
    path = f"/api/v1/schedules/E001/days/{quote(day, safe='%')}/cancel"
    refused(wednesdays, 404, "not_found", "POST", path, json={"reason": "停电检修"}, headers=CHAIR)


@pytest.mark.parametrize(
    "visit_id",
    [
        "not-a-uuid",
        "1",
        "' OR 1=1 --",
        SOME_UUID[:-1],
        SOME_UUID + "0",
        SOME_UUID[:-1] + "\x00",
        SOME_UUID.replace("-", ""),
        "x" * 1000,
        "<script>",
    ],
)
def test_a_visit_id_that_is_not_one_is_404(wednesdays, visit_id):
    refused(wednesdays, 404, "not_found", "GET", f"/api/v1/visits/{quote(visit_id)}", headers=CITY)


def test_a_real_visit_id_in_capitals_or_with_text_around_it_is_404(wednesdays):
    visit_id = record(wednesdays, "2026-09-30").get_json()["id"]
    assert wednesdays.get(f"/api/v1/visits/{visit_id}", headers=CITY).status_code == 200
    for other in (visit_id.upper(), f"{visit_id}%00", f"%20{visit_id}"):
        refused(wednesdays, 404, "not_found", "GET", f"/api/v1/visits/{other}", headers=CITY)


@pytest.mark.parametrize(
    "code",
    ["E001' OR '1'='1", "<script>alert(1)</script>", "E001\x00", "\u202e100E", "E" * 5000, "E001;", "*"],
)
@pytest.mark.parametrize(
    "method, suffix, body",
    [
        ("GET", "", None),
        ("PUT", "", {"weekday": 1}),
        ("POST", "/days/2026-10-14/cancel", {"reason": "停电检修"}),
    ],
)
def test_an_enterprise_code_in_the_url_that_is_not_one_is_404(wednesdays, code, method, suffix, body):
    path = f"/api/v1/schedules/{quote(code)}{suffix}"
    refused(wednesdays, 404, "not_found", method, path, json=body, headers=CITY)


@pytest.mark.parametrize(
    "query, field",
    [
        ("weeks=0", "weeks"),
        ("weeks=54", "weeks"),
        ("weeks=-1", "weeks"),
        ("weeks=abc", "weeks"),
        ("weeks=1.5", "weeks"),
        ("weeks=", "weeks"),
        ("start=2026-02-30", "start"),
        ("start=tomorrow", "start"),
        ("start=9999-12-31", "start"),
        ("start=1999-12-31", "start"),
        ("start=", "start"),
        ("page=2", "page"),
    ],
)
def test_a_schedules_query_that_is_wrong_is_422(wednesdays, query, field):
    got = refused(wednesdays, 422, "invalid_fields", "GET", f"/api/v1/schedules/E001?{query}", headers=CHAIR)
    assert list(got["fields"]) == [field]


@pytest.mark.parametrize(
    "query, field",
    [
        ("enterprise=E%20001", "enterprise"),
        ("enterprise=E001%27--", "enterprise"),
        ("enterprise=", "enterprise"),
        ("start=2026-9-1", "start"),
        ("end=2026-02-30", "end"),
        ("end=1700000000", "end"),
        ("per_page=1000", "per_page"),
    ],
)
def test_a_visits_query_that_is_wrong_is_422(wednesdays, query, field):
    got = refused(wednesdays, 422, "invalid_fields", "GET", f"/api/v1/visits?{query}", headers=CITY)
    assert list(got["fields"]) == [field]


@pytest.mark.parametrize(
    "start, shown",
    [("2000-01-03", 0), ("2004-01-05", 0), ("2026-08-31", 53), ("2099-12-28", 53)],
)
def test_the_schedule_shown_at_the_edges_of_the_calendar_is_no_error(wednesdays, start, shown):
    """E001's Wednesdays start on 1 September 2026; a year shown ends past 2099, the last day a day
    field may name."""
    answer = wednesdays.get(f"/api/v1/schedules/E001?start={start}&weeks=53", headers=CHAIR)
    assert answer.status_code == 200
    assert len(answer.get_json()["days"]) == shown


@pytest.mark.parametrize(
    "method, path",
    [
        ("DELETE", "/api/v1/schedules/E001"),
        ("POST", "/api/v1/schedules/E001"),
        ("PATCH", "/api/v1/schedules"),
        ("GET", "/api/v1/schedules/E001/days/2026-10-14/cancel"),
        ("PUT", "/api/v1/visits"),
        ("DELETE", f"/api/v1/visits/{SOME_UUID}"),
    ],
)
def test_a_method_an_endpoint_does_not_take_is_405(wednesdays, method, path):
    got = wednesdays.open(path, method=method, headers=CITY)
    assert error(got) == (405, "method_not_allowed")
    assert got.headers["Allow"]
