"""Staff acting on the same case at the same moment, on real PostgreSQL: of two actions taken on the
same version one wins and the other gets 409 with the current state; nothing is lost, nothing doubled."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from services.routing import actions
from services.routing.models import cases, history, outbox
from shared import events
from shared.clock import CST
from shared.uow import Unit
from tests.support.routing import ADMIN, CHAIR, CITY, COUNTY, submit

pytestmark = pytest.mark.integration
ROUNDS = 20
REASON = "超过受理期限仍未处理"


def race(*calls):
    """Run the calls on their own threads, released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results, failures = [None] * len(calls), []

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racing request hung"
    if failures:
        raise failures[0]
    return results


def poster(app, headers, case_id: str, action: str, version: int, **body):
    client = app.test_client()
    return lambda: client.post(
        f"/api/v1/cases/{case_id}/{action}", json={"version": version, **body}, headers=headers
    )


def detail(app, case_id: str) -> dict:
    response = app.test_client().get(f"/api/v1/cases/{case_id}", headers=CITY)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def history_of(rt, case_id: str) -> list:
    with rt.engine.connect() as conn:
        return conn.execute(select(history).where(history.c.case_id == case_id).order_by(history.c.seq)).all()


def events_of(rt, case_id: str) -> list[tuple[str, dict]]:
    with rt.engine.connect() as conn:
        gid = conn.execute(select(cases.c.grievance_id).where(cases.c.id == case_id)).scalar_one()
        rows = conn.execute(select(outbox).where(outbox.c.correlation_id == gid).order_by(outbox.c.seq)).all()
    return [(r.type, json.loads(r.body)["payload"]) for r in rows]


def give_feedback(rt, case_id: str, satisfied: bool) -> bool:
    with rt.engine.begin() as conn:
        gid = conn.execute(select(cases.c.grievance_id).where(cases.c.id == case_id)).scalar_one()
        return actions.feedback(
            Unit(conn, outbox, rt.settings),
            events.GrievanceFeedbackGiven(grievance_id=gid, satisfied=satisfied),
        )


def ok(app, headers, case_id: str, action: str, **body) -> dict:
    response = poster(app, headers, case_id, action, detail(app, case_id)["version"], **body)()
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# Two actions each allowed on a freshly assigned chair's case: (who, action, body, the events it adds).
CHANGED, RAISED = ["case.status_changed"], ["case.supervision_raised"]
PAIRS = [
    ((CHAIR, "accept", {}, CHANGED), (CHAIR, "reject", {"reason": "不属于工会职责范围"}, CHANGED)),
    ((CHAIR, "accept", {"public_note": "已受理"}, CHANGED), (COUNTY, "escalate", {"reason": REASON}, RAISED)),
    (
        (CHAIR, "note", {"public_note": "已约谈车间主任"}, CHANGED),
        (COUNTY, "extend", {"reason": REASON, "days": 10}, ["case.deadline_extended"]),
    ),
    (
        (COUNTY, "reassign", {"assignee_id": "c01-officer"}, ["case.assigned"]),
        (CHAIR, "note", {"public_note": "已与企业方沟通"}, CHANGED),
    ),  # not accept: once passed on, that is 403
    (
        (CITY, "escalate", {"reason": REASON, "level": 2}, RAISED),
        (COUNTY, "escalate", {"reason": REASON}, RAISED),
    ),
    (
        (ADMIN, "note", {"internal_note": "内部备注"}, []),
        (CHAIR, "reject", {"reason": "已由劳动监察处理"}, CHANGED),
    ),
]


def body_for(app, case_id: str, body: dict) -> dict:
    if "days" in body:
        due = datetime.fromisoformat(detail(app, case_id)["resolve_due"]).astimezone(CST).date()
        return {"reason": body["reason"], "resolve_due": (due + timedelta(days=body["days"])).isoformat()}
    return body


def test_of_two_actions_on_the_same_version_exactly_one_wins(pg_ledger):
    app, rt = pg_ledger, pg_ledger.rt
    for round_ in range(ROUNDS):
        case_id = submit(rt, "E001")
        before = detail(app, case_id)
        rows_before = history_of(rt, case_id)
        pair = PAIRS[round_ % len(PAIRS)]
        calls = [
            poster(app, headers, case_id, action, before["version"], **body_for(app, case_id, body))
            for headers, action, body, _ in pair
        ]

        responses = race(*calls)

        codes = [r.status_code for r in responses]
        assert sorted(codes) == [200, 409], (round_, [r.get_json() for r in responses])
        won, lost = (0, 1) if codes[0] == 200 else (1, 0)
        winner, error = responses[won].get_json(), responses[lost].get_json()["error"]
        assert error["code"] == "version_conflict"
        assert error["current"]["version"] == winner["version"] == before["version"] + 1
        assert (
            error["current"]["status"],
            error["current"]["supervision_level"],
            error["current"]["assignee"],
        ) == (winner["status"], winner["supervision_level"], winner["assignee"])
        assert isinstance(error["allowed"], list)

        after = detail(app, case_id)
        assert after["version"] == before["version"] + 1
        rows = history_of(rt, case_id)
        assert rows[: len(rows_before)] == rows_before and len(rows) == len(rows_before) + 1
        assert rows[-1].action == pair[won][1]
        assert [t for t, _ in events_of(rt, case_id)] == ["case.assigned", *pair[won][3]]


def test_the_same_action_twice_at_once_is_taken_once(pg_ledger):
    app, rt = pg_ledger, pg_ledger.rt
    for _ in range(ROUNDS // 2):
        case_id = submit(rt, "E001")
        calls = [poster(app, CHAIR, case_id, "accept", 1, public_note="已受理") for _ in range(2)]
        codes = sorted(r.status_code for r in race(*calls))
        assert codes == [200, 409]
        assert detail(app, case_id)["version"] == 2
        assert [r.action for r in history_of(rt, case_id)].count("accept") == 1
        assert [t for t, _ in events_of(rt, case_id)] == ["case.assigned", "case.status_changed"]


def test_many_staff_at_once_on_one_case_one_wins(pg_ledger):
    app, rt = pg_ledger, pg_ledger.rt
    case_id = submit(rt, "E001")
    calls = [
        poster(app, headers, case_id, "note", 1, internal_note=f"备注 {i}")
        for i, headers in enumerate([CHAIR, COUNTY, CITY, ADMIN] * 2)
    ]
    responses = race(*calls)
    assert sorted(r.status_code for r in responses) == [200] + [409] * 7
    assert {r.get_json()["error"]["current"]["version"] for r in responses if r.status_code == 409} == {2}
    assert detail(app, case_id)["version"] == 2
    assert [r.action for r in history_of(rt, case_id)].count("note") == 1


def test_the_workers_feedback_racing_a_staff_note_loses_neither(pg_ledger):
    app, rt = pg_ledger, pg_ledger.rt
    for round_ in range(ROUNDS):
        satisfied = round_ % 2 == 0
        case_id = submit(rt, "E001")
        ok(app, CHAIR, case_id, "accept")
        ok(app, CHAIR, case_id, "resolve", resolution="企业已补发拖欠工资")
        before = detail(app, case_id)
        rows_before = history_of(rt, case_id)

        took, note = race(
            lambda case_id=case_id, satisfied=satisfied: give_feedback(rt, case_id, satisfied),
            poster(app, CHAIR, case_id, "note", before["version"], public_note="请确认是否已到账"),
        )

        assert took is True, "the worker's feedback was dropped"
        assert note.status_code in (200, 409), note.get_json()
        after = detail(app, case_id)
        assert after["status"] == ("closed" if satisfied else "reopened")
        rows = history_of(rt, case_id)
        added = [r.action for r in rows[len(rows_before) :]]
        assert rows[: len(rows_before)] == rows_before
        if note.status_code == 200:
            assert added == ["note", "feedback"]
            assert after["version"] == before["version"] + 2
        else:
            error = note.get_json()["error"]
            assert error["code"] == "version_conflict"
            assert (
                error["current"]["status"] == after["status"]
                and error["current"]["version"] == after["version"]
            )
            assert added == ["feedback"]
            assert after["version"] == before["version"] + 1
        changes = [
            (p["from"], p["to"], p["actor_role"])
            for t, p in events_of(rt, case_id)
            if t == "case.status_changed"
        ][-len(added) :]
        assert changes[-1] == ("resolved", after["status"], "worker")
        assert len(changes) == len(added)


def test_two_cases_merged_into_each_other_at_once_merge_one_way(pg_ledger):
    app, rt = pg_ledger, pg_ledger.rt
    for _ in range(ROUNDS // 2):
        a, b = submit(rt, "E001"), submit(rt, "E001")
        responses = race(
            poster(app, CHAIR, a, "merge", 1, into=b), poster(app, COUNTY, b, "merge", 1, into=a)
        )
        codes = sorted(r.status_code for r in responses)
        assert codes[0] == 200 and codes[1] in (409, 422), [r.get_json() for r in responses]
        states = {detail(app, a)["status"], detail(app, b)["status"]}
        assert states == {"merged", "assigned"}
