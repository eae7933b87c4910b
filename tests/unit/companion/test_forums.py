"""Micro-forums (微座谈): the minutes' items, the batch to post to intake, and each item's outcome as
the ledger moves; the chair sees an item about the chair only as referred to the county union."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from shared import clock, events
from tests.support.companion import CHAIR, CITY, COUNTY, as_, error, now_is, rows, snapshot
from tests.support.events import deliver, demand_submitted

ITEMS = [
    {"text": "夜班车间噪声太大，耳朵疼", "category": "workplace"},
    {"text": "食堂晚饭太早，夜班吃不上热饭", "category": "welfare"},
    {"text": "主席对提意见的职工打击报复", "category": "harassment_discrimination", "about_chair": True},
]


def forum_body(**changes) -> dict:
    return {
        "enterprise_code": "E001",
        "day": "2026-09-30",
        "topic": "夜班工作条件",
        "participants": 12,
        "minutes": "十二名夜班职工参加，提出三项意见。",
        "items": ITEMS,
        **changes,
    }


@pytest.fixture
def forum(companion):
    now_is(date(2026, 9, 30), 16)
    answer = companion.post("/api/v1/forums", json=forum_body(), headers=CHAIR)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def heard(rt, forum_id: str, item: int, about_chair: bool = False) -> str:
    """intake's batch made the item a demand: its grievance.submitted, with the source."""
    g = demand_submitted(
        tracking_code=f"CODE-{item:04d}-XXXX"[:14],
        category="workplace",
        channel="forum",
        about_chair=about_chair,
        source=events.Source(kind="forum", id=forum_id, item=item),
    )
    deliver(rt, g, producer="intake")
    return g.grievance_id


def moved(rt, gid: str, to: str, note: str | None = None, minutes: int = 1) -> None:
    deliver(
        rt,
        events.CaseStatusChanged(
            case_id=gid,
            grievance_id=gid,
            to=to,
            public_note=note,
            at=clock.now() + timedelta(minutes=minutes),
        ),
        producer="routing",
    )


def test_a_forum_is_kept_with_its_items_and_the_batch_for_intake(companion, forum):
    assert [i["status"] for i in forum["items"][:2]] == ["not_posted", "not_posted"]
    assert forum["batch"] == {
        "enterprise_code": "E001",
        "source": {"kind": "forum", "id": forum["id"]},
        "items": [
            {"category": i["category"], "description": i["text"], "about_chair": i.get("about_chair", False)}
            for i in ITEMS
        ],
    }
    listed = companion.get("/api/v1/forums?enterprise=E001", headers=COUNTY).get_json()["forums"]
    assert [f["id"] for f in listed] == [forum["id"]]


def test_each_item_shows_what_became_of_its_demand(companion, forum):
    rt, fid = companion.rt, forum["id"]
    gids = [heard(rt, fid, n, about_chair=n == 3) for n in (1, 2, 3)]
    moved(rt, gids[0], "accepted")
    moved(rt, gids[0], "resolved", "已加装隔音墙，噪声降至 75 分贝", minutes=2)
    moved(rt, gids[1], "rejected", "食堂由承包方经营，已转交行政部", minutes=2)
    moved(rt, gids[0], "in_progress", minutes=0)  # late and older: the latest step stays
    shown = companion.get(f"/api/v1/forums/{fid}", headers=COUNTY).get_json()
    assert [(i["status"], i["public_note"]) for i in shown["items"]] == [
        ("resolved", "已加装隔音墙，噪声降至 75 分贝"),
        ("rejected", "食堂由承包方经营，已转交行政部"),
        ("registered", None),
    ]
    assert shown["batch"] is None  # all posted
    # The chair sees the item about the chair only as referred to the county union.
    to_chair = companion.get(f"/api/v1/forums/{fid}", headers=CHAIR).get_json()["items"]
    assert to_chair[2] == {"item": 3, "about_chair": True, "outcome": "referred_to_county_union"}
    assert "打击报复" not in str(to_chair) and to_chair[0]["status"] == "resolved"


def test_a_demand_not_heard_in_the_programme_is_not_companions(companion):
    deliver(companion.rt, demand_submitted(channel="kiosk"), producer="intake")  # no source
    assert rows(companion.rt, "demands") == []


def test_outsiders_do_not_see_a_forum(companion, forum):
    for headers in (
        as_("e002-chair", "enterprise_chair", "E002"),
        as_("c02-officer", "county_officer", "C02"),
    ):
        assert error(companion.get(f"/api/v1/forums/{forum['id']}", headers=headers)) == (404, "not_found")
        assert companion.get("/api/v1/forums", headers=headers).get_json()["forums"] == []
    assert companion.get(f"/api/v1/forums/{forum['id']}", headers=CITY).status_code == 200


@pytest.mark.parametrize(
    "change,field",
    [
        ({"day": "2026-10-01"}, "day"),  # to come
        ({"participants": 0}, "participants"),
        ({"participants": "12"}, "participants"),
        ({"topic": ""}, "topic"),
        ({"items": [{"text": "短", "category": "wages"}]}, "items.0.text"),
        ({"items": [{"text": "够长的意见内容", "category": "noise"}]}, "items.0.category"),
        ({"items": [{"text": "够长的意见内容", "category": "wages", "name": "张三"}]}, "items.0.name"),
        ({"items": ITEMS * 17}, "items"),
        ({"minutes": "x" * 20001}, "minutes"),
        ({"topic": "夜班\u0000"}, "topic"),
    ],
)
def test_a_bad_forum_is_refused_and_nothing_written(companion, change, field):
    now_is(date(2026, 9, 30), 16)
    before = snapshot(companion.rt)
    answer = companion.post("/api/v1/forums", json=forum_body(**change), headers=CHAIR)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["fields"]
    assert snapshot(companion.rt) == before and rows(companion.rt, "forums") == []


def test_forum_ids_and_bodies_that_are_not_are_clear_errors(companion):
    assert error(companion.get("/api/v1/forums/not-a-uuid", headers=CITY)) == (404, "not_found")
    assert error(companion.get(f"/api/v1/forums/{uuid.uuid4()}", headers=CITY)) == (404, "not_found")
    assert (
        companion.post("/api/v1/forums", data="{", content_type="application/json", headers=CHAIR).status_code
        == 400
    )
    assert (
        companion.post("/api/v1/forums", data="x", content_type="text/plain", headers=CHAIR).status_code
        == 415
    )
    assert companion.post("/api/v1/forums", json=forum_body()).status_code == 401
    other = companion.post("/api/v1/forums", json=forum_body(enterprise_code="E002"), headers=CHAIR)
    assert error(other) == (404, "not_found")
