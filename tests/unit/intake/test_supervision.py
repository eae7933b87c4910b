"""The worker sees supervision (督办) by its level, never a name, and a paused time limit with its
reason, on the status API and page."""

from __future__ import annotations

from datetime import timedelta

from shared import clock, events
from tests.support.events import deliver
from tests.support.intake import grievance_id, move, post_json

REASON = "等待噪声检测机构出具报告"


def new_demand(client) -> str:
    response = post_json(client)
    assert response.status_code == 201
    return response.get_json()["tracking_code"]


def raised(rt, code: str, level: int, at=None) -> None:
    gid = grievance_id(rt, code)
    deliver(
        rt,
        events.CaseSupervisionRaised(
            case_id=gid,
            grievance_id=gid,
            level=level,
            reason="accept_overdue",
            supervisor="system",
            at=at or clock.now(),
            recipients=(
                events.Assignee(id="c01-officer", name="王科长", role="county_officer", org_code="C01"),
            ),
        ),
        producer="routing",
    )


def test_supervision_shows_by_level_and_never_a_name(intake):
    client, rt = intake
    code = new_demand(client)
    move(rt, code, "assigned")
    raised(rt, code, 1)
    status = client.get(f"/api/v1/grievances/{code}").get_json()
    assert status["status"] == "assigned" and status["supervision_level"] == 1
    assert status["timeline"][-1]["event"] == "supervised" and status["timeline"][-1]["level"] == 1
    page = client.get(f"/s/{code}").get_data(as_text=True)
    assert 'id="supervision"' in page and "县级工会" in page and "王科长" not in page
    assert "county union" in client.get(f"/s/{code}?lang=en").get_data(as_text=True)

    raised(rt, code, 2, at=clock.now() + timedelta(minutes=1))
    raised(rt, code, 1, at=clock.now() - timedelta(minutes=1))  # late and lower: the level never falls
    status = client.get(f"/api/v1/grievances/{code}").get_json()
    assert status["supervision_level"] == 2
    assert "市总工会" in client.get(f"/s/{code}").get_data(as_text=True)


def test_a_paused_time_limit_shows_its_reason_until_it_runs_again(intake):
    client, rt = intake
    code = new_demand(client)
    move(rt, code, "accepted")
    gid = grievance_id(rt, code)
    now = clock.now()
    deliver(
        rt,
        events.CaseClockPaused(
            case_id=gid, grievance_id=gid, reason=REASON, resume_by=now + timedelta(days=30), at=now
        ),
        producer="routing",
    )
    status = client.get(f"/api/v1/grievances/{code}").get_json()
    assert status["paused"]["reason"] == REASON and status["status"] == "accepted"
    assert status["timeline"][-1]["event"] == "paused" and status["timeline"][-1]["note"] == REASON
    page = client.get(f"/s/{code}").get_data(as_text=True)
    assert 'id="paused"' in page and REASON in page
    deliver(
        rt,
        events.CaseClockResumed(
            case_id=gid,
            grievance_id=gid,
            paused_seconds=3600,
            resolve_due=now + timedelta(days=15),
            at=now + timedelta(hours=1),
        ),
        producer="routing",
    )
    status = client.get(f"/api/v1/grievances/{code}").get_json()
    assert status["paused"] is None and [s["event"] for s in status["timeline"]][-2:] == ["paused", "resumed"]
    assert 'id="paused"' not in client.get(f"/s/{code}").get_data(as_text=True)


def test_events_about_an_unknown_demand_change_nothing(intake):
    _client, rt = intake
    deliver(
        rt,
        events.CaseSupervisionRaised(
            case_id="00000000-0000-4000-8000-000000000001",
            grievance_id="00000000-0000-4000-8000-000000000001",
            level=1,
            reason="accept_overdue",
        ),
        producer="routing",
    )
    from tests.support.intake import count_rows

    assert count_rows(rt, "timeline") == 0
