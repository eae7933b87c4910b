"""The demands heard at a companion forum, visit or survey, posted by staff as one batch: all stored
with their events in one transaction or none, once per Idempotency-Key, each with its source."""

from __future__ import annotations

import json
import uuid

import pytest

from shared import events
from tests.support.events import deliver
from tests.support.intake import count_rows, make_intake, stored
from tests.support.routing import SECRET, as_

CHAIR = as_("e001-chair", "enterprise_chair", "E001")
COUNTY = as_("c01-officer", "county_officer", "C01")
OTHER_COUNTY = as_("c02-officer", "county_officer", "C02")
OTHER_CHAIR = as_("e002-chair", "enterprise_chair", "E002")
FORUM = str(uuid.uuid4())
ITEMS = [
    {"category": "workplace", "description": "夜班车间噪声太大，耳朵疼"},
    {"category": "welfare", "description": "食堂晚饭太早，夜班吃不上热饭", "workshop": "装配车间"},
    {
        "category": "wages",
        "description": "加班费计算方式不清楚",
        "anonymous": False,
        "contact": {"phone": "13912345678"},
    },
    {
        "category": "harassment_discrimination",
        "description": "主席对提意见的职工打击报复",
        "about_chair": True,
    },
]


@pytest.fixture
def intake(sqlite_runtime):
    return make_intake(sqlite_runtime, secret_key=SECRET)


def post(client, body=None, key: str | None = "forum-1", headers=CHAIR):
    body = (
        body
        if body is not None
        else {"enterprise_code": "E001", "source": {"kind": "forum", "id": FORUM}, "items": ITEMS}
    )
    return client.post(
        "/api/v1/batches", json=body, headers={**headers, **({"Idempotency-Key": key} if key else {})}
    )


def submitted(rt) -> list[dict]:
    return [
        json.loads(r["body"])["payload"] for r in stored(rt, "outbox") if r["type"] == "grievance.submitted"
    ]


def test_a_forums_items_become_demands_with_their_source_in_one_step(intake):
    client, rt = intake
    answer = post(client)
    assert answer.status_code == 201, answer.get_json()
    items = answer.get_json()["items"]
    assert [i["item"] for i in items] == [1, 2, 3, 4]
    assert len({i["tracking_code"] for i in items}) == 4
    sent = submitted(rt)
    assert [(s["channel"], s["source"]) for s in sent] == [
        ("forum", {"kind": "forum", "id": FORUM, "item": n}) for n in (1, 2, 3, 4)
    ]
    assert [s["tracking_code"] for s in sent] == [i["tracking_code"] for i in items]
    assert sent[3]["about_chair"] is True  # routing sends it to the county, never to the chair
    contacts = [r for r in stored(rt, "outbox") if r["type"] == "grievance.contact_shared"]
    assert len(contacts) == 1 and "13912345678" in contacts[0]["body"]
    for item in items:  # each worker can follow theirs, and has a slip to take home
        assert client.get(item["status_url"]).get_json()["status"] == "registered"
        slip = client.get(item["slip_url"])
        assert slip.status_code == 200 and item["tracking_code"] in slip.get_data(as_text=True)


def test_the_same_key_answers_the_same_codes_and_makes_nothing_more(intake):
    client, rt = intake
    first = post(client).get_json()["items"]
    again = post(client)
    assert again.status_code == 200 and again.get_json()["items"] == first
    assert count_rows(rt, "grievances") == 4
    other = post(
        client, {"enterprise_code": "E001", "source": {"kind": "forum", "id": FORUM}, "items": ITEMS[:1]}
    )
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "idempotency_conflict"
    assert post(client, headers=COUNTY).status_code == 409  # the same key from someone else
    assert count_rows(rt, "grievances") == 4


def test_one_bad_item_refuses_the_whole_batch_and_writes_nothing(intake):
    client, rt = intake
    bad = [
        *ITEMS[:2],
        {"category": "wages", "description": "有联系方式", "contact": {"phone": "13900000000"}},
    ]
    answer = post(client, {"enterprise_code": "E001", "source": {"kind": "visit", "id": FORUM}, "items": bad})
    assert answer.status_code == 422 and "items.3.contact" in answer.get_json()["error"]["fields"]
    assert (
        count_rows(rt, "grievances") == 0 and count_rows(rt, "outbox") == 0 and count_rows(rt, "batches") == 0
    )


@pytest.mark.parametrize(
    "headers,status",
    [
        (OTHER_CHAIR, 403),
        (OTHER_COUNTY, 403),
        (COUNTY, 201),
        (as_("city-officer-1", "city_officer", "city"), 201),
    ],
)
def test_only_staff_of_the_enterprise_post_its_demands(intake, headers, status):
    client, rt = intake
    assert post(client, headers=headers).status_code == status
    assert count_rows(rt, "grievances") == (4 if status == 201 else 0)


@pytest.mark.parametrize(
    "change,status,code",
    [
        ({"items": []}, 422, "invalid_fields"),
        ({"items": ITEMS * 13}, 422, "invalid_fields"),  # 52 > 50
        ({"enterprise_code": "E900"}, 422, "invalid_fields"),  # inactive
        ({"enterprise_code": "E001\u0000"}, 422, "invalid_fields"),
        ({"source": {"kind": "kiosk", "id": FORUM}}, 422, "invalid_fields"),
        ({"source": {"kind": "forum", "id": "not-a-uuid"}}, 422, "invalid_fields"),
        ({"source": None}, 422, "invalid_fields"),
        ({"items": [{"category": "wages", "description": 12345}]}, 422, "invalid_fields"),
        (
            {"items": [{"category": "wages", "description": "够长的描述", "channel": "web"}]},
            422,
            "invalid_fields",
        ),
        (
            {
                "items": [
                    {
                        "category": "wages",
                        "description": "<script>alert(1)</script>",
                        "workshop": "一车间\u202e",
                    }
                ]
            },
            422,
            "invalid_fields",
        ),
        ({"extra": True}, 422, "invalid_fields"),
    ],
)
def test_bad_batches_are_refused_with_nothing_written(intake, change, status, code):
    client, rt = intake
    body = {"enterprise_code": "E001", "source": {"kind": "forum", "id": FORUM}, "items": ITEMS, **change}
    answer = post(client, body)
    assert answer.status_code == status and answer.get_json()["error"]["code"] == code
    assert count_rows(rt, "grievances") == 0 and count_rows(rt, "outbox") == 0


def test_malformed_missing_and_unauthenticated(intake):
    client, rt = intake
    assert post(client, key=None).status_code == 400  # the key is required
    assert (
        client.post(
            "/api/v1/batches",
            data="{",
            content_type="application/json",
            headers={**CHAIR, "Idempotency-Key": "k"},
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/api/v1/batches", data="x", content_type="text/plain", headers={**CHAIR, "Idempotency-Key": "k"}
        ).status_code
        == 415
    )
    assert (
        client.post(
            "/api/v1/batches",
            data="x" * 70_000,
            content_type="application/json",
            headers={**CHAIR, "Idempotency-Key": "k"},
        ).status_code
        == 413
    )
    assert post(client, headers={}).status_code == 401
    assert post(client, headers={"Authorization": "Bearer forged"}).status_code == 401
    assert count_rows(rt, "grievances") == 0


def test_a_revoked_chair_posts_nothing(intake):
    client, rt = intake
    from shared import clock

    deliver(
        rt,
        events.StaffRevoked(staff_id="e001-chair", revoked_at=clock.now() + events_delay(), reason="moved"),
    )
    answer = post(client)
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "token_revoked"
    assert count_rows(rt, "grievances") == 0


def events_delay():
    from datetime import timedelta

    return timedelta(seconds=5)
