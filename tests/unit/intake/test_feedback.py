"""The worker's answer after resolution (POST /api/v1/grievances/<code>/feedback and the status page)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shared import clock
from tests.support.intake import count_rows, grievance_id, move, post_json, stored

OK = {"satisfied": True, "rating": 5}
UNHAPPY = {"satisfied": False, "rating": 2, "comment": "噪音还是很大 still too loud"}


def new_demand(client) -> str:
    response = post_json(client)
    assert response.status_code == 201
    return response.get_json()["tracking_code"]


@pytest.fixture
def resolved(intake):
    """A demand whose case routing resolved just now: (client, runtime, tracking code)."""
    client, rt = intake
    code = new_demand(client)
    move(rt, code, "accepted")
    move(rt, code, "resolved", note="已更换降噪设备 new silencers fitted")
    return client, rt, code


def feedback_events(rt) -> list[dict]:
    return [json.loads(r["body"]) for r in stored(rt, "outbox") if r["type"] == "grievance.feedback_given"]


def answer(client, code, body):
    return client.post(f"/api/v1/grievances/{code}/feedback", json=body)


@pytest.mark.parametrize("body", [OK, UNHAPPY, {"satisfied": True}])
def test_an_answer_after_resolution_is_sent_to_routing(resolved, body):
    client, rt, code = resolved
    response = answer(client, code, body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["satisfied"] is body["satisfied"]
    sent = feedback_events(rt)
    assert len(sent) == 1
    assert sent[0]["payload"] == {
        "grievance_id": grievance_id(rt, code),
        "satisfied": body["satisfied"],
        "rating": body.get("rating"),
        "comment": body.get("comment"),
    }
    assert count_rows(rt, "feedback") == 1


def test_the_comment_is_not_kept_by_intake(resolved):
    client, rt, code = resolved
    assert answer(client, code, UNHAPPY).status_code == 201
    assert all("still too loud" not in json.dumps(row, default=str) for row in stored(rt, "feedback"))


def test_an_unhappy_answer_needs_a_comment(resolved):
    client, rt, code = resolved
    response = answer(client, code, {"satisfied": False})
    assert response.status_code == 422 and "comment" in response.get_json()["error"]["fields"]
    assert feedback_events(rt) == []


def test_one_answer_per_resolution(resolved):
    client, rt, code = resolved
    assert answer(client, code, OK).status_code == 201
    second = answer(client, code, UNHAPPY)
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "feedback_already_given"
    assert len(feedback_events(rt)) == 1


def test_a_reopened_case_resolved_again_takes_a_new_answer(resolved):
    client, rt, code = resolved
    assert answer(client, code, UNHAPPY).status_code == 201
    move(rt, code, "reopened")
    assert answer(client, code, OK).get_json()["error"]["code"] == "feedback_not_resolved"
    move(rt, code, "in_progress")
    move(rt, code, "resolved", note="再次处理 fixed again")
    assert answer(client, code, OK).status_code == 201
    assert [e["payload"]["satisfied"] for e in feedback_events(rt)] == [False, True]


@pytest.mark.parametrize(
    "status,reason",
    [
        ("assigned", "feedback_not_resolved"),
        ("in_progress", "feedback_not_resolved"),
        ("closed", "feedback_closed"),
        ("rejected", "feedback_closed"),
    ],
)
def test_no_answer_outside_resolution(intake, status, reason):
    client, rt = intake
    code = new_demand(client)
    move(rt, code, status)
    response = answer(client, code, OK)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == reason and response.get_json()["error"]["message"]
    assert feedback_events(rt) == [] and count_rows(rt, "feedback") == 0


def test_no_answer_before_anything_happened(intake):
    client, _rt = intake
    code = new_demand(client)
    assert answer(client, code, OK).get_json()["error"]["code"] == "feedback_not_resolved"


def test_the_window_closes_after_seven_days(intake):
    client, rt = intake
    code = new_demand(client)
    with rt.engine.begin() as conn:  # submitted three weeks ago
        conn.execute(
            sa.text("UPDATE grievances SET submitted_at = :t, status_at = :t"),
            {"t": clock.now() - timedelta(days=21)},
        )
    move(rt, code, "resolved", at=clock.now() - timedelta(days=7, minutes=1))
    response = answer(client, code, OK)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "feedback_window_closed"
    assert "7" in response.get_json()["error"]["message"]
    move(rt, code, "resolved", at=clock.now() - timedelta(days=6, hours=23))  # resolved again, later
    assert answer(client, code, OK).status_code == 201


def test_the_status_shows_the_window(resolved):
    client, _rt, code = resolved
    before = client.get(f"/api/v1/grievances/{code}").get_json()
    assert before["feedback"]["open"] is True and before["feedback"]["given"] is False
    assert before["feedback"]["until"]
    answer(client, code, OK)
    after = client.get(f"/api/v1/grievances/{code}").get_json()["feedback"]
    assert after["open"] is False and after["given"] is True


def test_a_merged_demand_follows_the_survivor_and_answers_for_it(intake):
    client, rt = intake
    survivor, merged = new_demand(client), new_demand(client)
    move(rt, survivor, "accepted", note="已受理 accepted")
    move(rt, merged, "merged", merged_into_grievance_id=grievance_id(rt, survivor))
    move(rt, survivor, "resolved", note="已解决 solved")
    seen = client.get(f"/api/v1/grievances/{merged}").get_json()
    assert seen["merged"] is True and seen["status"] == "resolved"
    assert [s["status"] for s in seen["timeline"]][-2:] == ["merged", "resolved"]
    assert "已受理 accepted" not in json.dumps(seen, ensure_ascii=False)  # before the merge: not theirs
    assert answer(client, merged, OK).status_code == 201
    assert feedback_events(rt)[0]["payload"]["grievance_id"] == grievance_id(rt, survivor)
    assert answer(client, survivor, OK).get_json()["error"]["code"] == "feedback_already_given"
    answered = client.get(f"/api/v1/grievances/{merged}").get_json()["feedback"]
    assert answered["given"] is True and answered["answer"]["satisfied"] is True
    other = client.get(f"/api/v1/grievances/{survivor}").get_json()["feedback"]
    assert other["given"] is True and other["answer"] is None  # the other worker's answer is not theirs


@pytest.mark.parametrize(
    "code,status,error", [("NOT-A-CODE", 404, "invalid_tracking_code"), ("ABCD-EFGH-JKMN", 404, None)]
)
def test_unknown_codes_are_404(intake, code, status, error):
    client, _rt = intake
    response = answer(client, code, OK)
    assert response.status_code == status
    if error:
        assert response.get_json()["error"]["code"] == error


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "satisfied"),
        ({"satisfied": "yes"}, "satisfied"),
        ({"satisfied": 1}, "satisfied"),
        ({"satisfied": True, "rating": 6}, "rating"),
        ({"satisfied": True, "rating": "5"}, "rating"),
        ({"satisfied": True, "rating": 0}, "rating"),
        ({"satisfied": True, "comment": "x" * 1001}, "comment"),
        ({"satisfied": False, "comment": "bad\x00"}, "comment"),
        ({"satisfied": True, "name": "王五"}, "name"),
    ],
)
def test_bad_answers_are_422_and_change_nothing(resolved, body, field):
    client, rt, code = resolved
    response = answer(client, code, body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert feedback_events(rt) == [] and count_rows(rt, "feedback") == 0


def test_malformed_and_wrong_media_type(resolved):
    client, rt, code = resolved
    url = f"/api/v1/grievances/{code}/feedback"
    assert client.post(url, data="{", content_type="application/json").status_code == 400
    assert client.post(url, data="satisfied=true", content_type="text/plain").status_code == 415
    assert client.post(url, json=[True]).status_code == 422
    assert client.post(url, data="x" * 70_000, content_type="application/json").status_code == 413
    assert feedback_events(rt) == []


def test_the_status_page_offers_the_answer_in_both_languages(resolved):
    client, _rt, code = resolved
    zh = client.get(f"/s/{code}").get_data(as_text=True)
    en = client.get(f"/s/{code}?lang=en").get_data(as_text=True)
    assert 'id="feedback"' in zh and "满意" in zh
    assert 'id="feedback"' in en and "satisfied" in en


def test_the_status_page_takes_the_answer_as_a_form(resolved):
    client, rt, code = resolved
    bad = client.post(f"/s/{code}/feedback", data={"satisfied": "false"})
    assert bad.status_code == 422 and 'id="feedback"' in bad.get_data(as_text=True)
    good = client.post(
        f"/s/{code}/feedback?lang=en", data={"satisfied": "false", "rating": "2", "comment": "still loud"}
    )
    assert good.status_code == 303
    assert 'id="thanks"' in client.get(good.headers["Location"]).get_data(as_text=True)
    assert feedback_events(rt)[0]["payload"]["rating"] == 2
    again = client.post(f"/s/{code}/feedback", data={"satisfied": "true"})
    assert again.status_code == 409


@pytest.mark.parametrize("url", ["/api/v1/grievances", "/api/v1/grievances/{code}/feedback"])
def test_json_nested_deeper_than_the_parser_goes_is_400(resolved, url):
    client, rt, code = resolved
    response = client.post(
        url.format(code=code), data="[" * 30000 + "]" * 30000, content_type="application/json"
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed"
    assert feedback_events(rt) == [] and count_rows(rt, "grievances") == 1
