"""Staff acting on a case (POST /api/v1/cases/<id>/<action>): the life cycle, who may act, each
action's own rules, optimistic concurrency, bad input, and the append-only history with its events."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from services.routing import actions, lifecycle
from services.routing.models import cases, history, outbox
from shared import auth, events
from shared.clock import CST
from shared.uow import Unit
from tests.support.events import deliver
from tests.support.routing import (
    ADMIN,
    CHAIR,
    CHAIR_2,
    CITY,
    COUNTY,
    COUNTY_2,
    COUNTY_10,
    SECRET,
    as_,
    submit,
)

STATUSES = ("assigned", "accepted", "in_progress", "resolved", "reopened", "closed", "rejected", "merged")
# The design's table (lifecycle's docstring): which actions each status allows, whoever acts.
ALLOWED_BY_STATUS = {
    "assigned": {"accept", "note", "reject", "reassign", "escalate", "extend", "merge"},
    "accepted": {"note", "resolve", "reject", "reassign", "escalate", "extend", "merge", "pause", "resume"},
    "in_progress": {"note", "resolve", "reassign", "escalate", "extend", "merge", "pause", "resume"},
    "reopened": {"note", "resolve", "reassign", "escalate", "extend", "merge", "pause", "resume"},
    "resolved": {"note"},
    "closed": set(),
    "rejected": set(),
    "merged": set(),
}
DESIGN_MOVES = {
    ("accept", "assigned"): "accepted",
    ("note", "assigned"): "assigned",
    ("note", "accepted"): "in_progress",
    ("note", "in_progress"): "in_progress",
    ("note", "reopened"): "in_progress",
    ("note", "resolved"): "resolved",
    ("resolve", "accepted"): "resolved",
    ("resolve", "in_progress"): "resolved",
    ("resolve", "reopened"): "resolved",
    ("reject", "assigned"): "rejected",
    ("reject", "accepted"): "rejected",
    **{(a, s): s for a in ("reassign", "escalate", "extend") for s in lifecycle.OPEN},
    **{("merge", s): "merged" for s in lifecycle.OPEN},
    **{(a, s): s for a in ("pause", "resume") for s in ("accepted", "in_progress", "reopened")},
}
# On a chair's own case: the chair handles it, the county officer supervises it.
CHAIR_ACTIONS = {"accept", "note", "resolve", "reject", "reassign", "merge", "pause", "resume"}
COUNTY_ACTIONS = {"note", "reassign", "escalate", "extend", "merge", "pause", "resume"}
# Who takes each action on a chair's case in the tests below: (headers, id, role, the actions of that role).
CHAIR_ACTS = (CHAIR, "e001-chair", "enterprise_chair", CHAIR_ACTIONS)
COUNTY_ACTS = (COUNTY, "c01-officer", "county_officer", COUNTY_ACTIONS)
ACTOR = {
    "accept": CHAIR_ACTS,
    "note": CHAIR_ACTS,
    "resolve": CHAIR_ACTS,
    "reject": CHAIR_ACTS,
    "reassign": COUNTY_ACTS,
    "escalate": COUNTY_ACTS,
    "extend": COUNTY_ACTS,
    "merge": CHAIR_ACTS,
    "pause": CHAIR_ACTS,
    "resume": CHAIR_ACTS,
}
PAUSE_REASON = "等待噪声检测机构出具报告"
INTERNAL = "内部备注:已电话联系车间主任"
REASON = "超过受理期限仍未处理"
UNKNOWN_CASE = "00000000-0000-4000-8000-000000000000"
ERROR_KEYS = {"code", "message", "fields"}


# -- helpers ----------------------------------------------------------------------------------------
def url(case_id: str, action: str) -> str:
    return f"/api/v1/cases/{case_id}/{action}"


def case(client, case_id: str, headers=CITY) -> dict:
    response = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def post(client, headers, case_id: str, action: str, version: int | None = None, **body):
    if version is None:
        version = case(client, case_id)["version"]
    return client.post(url(case_id, action), json={"version": version, **body}, headers=headers)


def ok(client, headers, case_id: str, action: str, **body) -> dict:
    response = post(client, headers, case_id, action, **body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code and set(error) >= ERROR_KEYS
    return error


def good_body(client, action: str, case_id: str) -> dict:
    """A body the action's model accepts (the case's rules may still refuse it)."""
    return {
        "accept": {"public_note": "已受理,三日内答复"},
        "note": {"public_note": "已约谈车间主任"},
        "resolve": {"resolution": "企业已补发拖欠工资"},
        "reject": {"reason": "不属于工会职责范围,请向劳动监察投诉"},
        "reassign": {"assignee_id": "c01-officer"},
        "escalate": {"reason": REASON},
        "extend": {"reason": "需要等待劳动仲裁结果", "resolve_due": later_due(client, case_id, 10)},
        "merge": {"into": UNKNOWN_CASE},
        "pause": {"reason": PAUSE_REASON},
        "resume": {},
    }[action]


def due_day(client, case_id: str) -> date:
    return datetime.fromisoformat(case(client, case_id)["resolve_due"]).astimezone(CST).date()


def later_due(client, case_id: str, days: int) -> str:
    return (due_day(client, case_id) + timedelta(days=days)).isoformat()


def tables(rt) -> dict:
    with rt.engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in (cases, history, outbox)
        }


def history_rows(rt, case_id: str) -> list:
    with rt.engine.connect() as conn:
        return conn.execute(select(history).where(history.c.case_id == case_id).order_by(history.c.seq)).all()


def outbox_seq(rt) -> int:
    with rt.engine.connect() as conn:
        return max((r.seq for r in conn.execute(select(outbox.c.seq))), default=0)


def events_since(rt, seq: int) -> list[tuple[str, dict]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(select(outbox).where(outbox.c.seq > seq).order_by(outbox.c.seq)).all()
    return [(r.type, json.loads(r.body)["payload"]) for r in rows]


def grievance_of(rt, case_id: str) -> str:
    with rt.engine.connect() as conn:
        return conn.execute(select(cases.c.grievance_id).where(cases.c.id == case_id)).scalar_one()


def feedback(rt, case_id: str, satisfied: bool) -> bool:
    gid = grievance_of(rt, case_id)
    with rt.engine.begin() as conn:
        return actions.feedback(
            Unit(conn, outbox, rt.settings),
            events.GrievanceFeedbackGiven(grievance_id=gid, satisfied=satisfied),
        )


def drive(client, case_id: str, status: str) -> None:
    """Bring a chair's assigned case to ``status`` the way staff and the worker would."""
    if status == "assigned":
        return
    if status == "rejected":
        ok(client, CHAIR, case_id, "reject", reason="不属于工会职责范围")
        return
    if status == "merged":
        ok(client, CHAIR, case_id, "merge", into=submit(client.rt, "E001"))
        return
    ok(client, CHAIR, case_id, "accept")
    if status == "in_progress":
        ok(client, CHAIR, case_id, "note", public_note="已开始调查")
    if status in ("resolved", "reopened", "closed"):
        ok(client, CHAIR, case_id, "resolve", resolution="企业已补发拖欠工资")
    if status in ("reopened", "closed"):
        assert feedback(client.rt, case_id, satisfied=status == "closed")
    assert case(client, case_id)["status"] == status


# -- the life cycle ---------------------------------------------------------------------------------
def test_the_life_cycle_table_is_the_designs():
    assert {
        (a, s): lifecycle.next_status(a, s) for a, m in lifecycle.MOVES.items() for s in m
    } == DESIGN_MOVES
    assert {
        s: {a for a in lifecycle.ACTIONS if lifecycle.status_allows(a, s)} for s in STATUSES
    } == ALLOWED_BY_STATUS


@pytest.mark.parametrize("action,start", sorted(DESIGN_MOVES))
def test_every_allowed_move_changes_the_case_and_records_it(ledger, action, start):
    rt, case_id = ledger.rt, ledger.case_ids["e001"]
    drive(ledger, case_id, start)
    headers, actor_id, actor_role, _ = ACTOR[action]
    body = {**good_body(ledger, action, case_id), "internal_note": INTERNAL}
    if action == "merge":
        body["into"] = submit(rt, "E001")
    if action == "resume":
        ok(ledger, headers, case_id, "pause", reason=PAUSE_REASON)
    before, rows_before, seq = case(ledger, case_id), history_rows(rt, case_id), outbox_seq(rt)

    answer = ok(ledger, headers, case_id, action, **body)

    to = DESIGN_MOVES[(action, start)]
    after = case(ledger, case_id)
    assert answer["status"] == after["status"] == to
    assert answer["version"] == after["version"] == before["version"] + 1
    rows = history_rows(rt, case_id)
    assert rows[:-1] == rows_before and len(rows) == len(rows_before) + 1
    row = rows[-1]
    assert (row.actor_id, row.actor_role, row.action, row.from_status, row.to_status) == (
        actor_id,
        actor_role,
        action,
        start,
        to,
    )
    public = {
        "accept": body.get("public_note"),
        "note": body.get("public_note"),
        "resolve": body.get("resolution"),
        "reject": body.get("reason"),
        "pause": body.get("reason"),
    }.get(action)
    assert row.public_note == public
    assert INTERNAL in row.internal_note
    if action in ("escalate", "extend"):
        assert body["reason"] in row.internal_note
    if action == "reassign":
        assert "c01-officer" in row.internal_note
    assert answer["history"][-1]["action"] == action

    emitted = events_since(rt, seq)
    expected_types = (["case.status_changed"] if to != start or public else []) + {
        "escalate": ["case.supervision_raised"],
        "extend": ["case.deadline_extended"],
        "reassign": ["case.assigned"],
        "pause": ["case.clock_paused"],
        "resume": ["case.clock_resumed"],
    }.get(action, [])
    assert [t for t, _ in emitted] == expected_types
    for etype, payload in emitted:
        assert payload["case_id"] == case_id and payload["grievance_id"] == grievance_of(rt, case_id)
        if etype == "case.status_changed":
            assert (payload["from"], payload["to"], payload["public_note"], payload["actor_role"]) == (
                start,
                to,
                public,
                actor_role,
            )
        elif etype == "case.supervision_raised":
            assert (payload["level"], payload["reason"]) == (1, REASON)
        elif etype == "case.deadline_extended":
            assert datetime.fromisoformat(payload["resolve_due"]) == datetime.fromisoformat(
                after["resolve_due"]
            )
        elif etype == "case.assigned":
            assert payload["reassigned"] is True
            assert (payload["assignee"]["id"], payload["assignee"]["role"]) == (
                "c01-officer",
                "county_officer",
            )


@pytest.mark.parametrize("start", ["assigned", "in_progress", "resolved"])
def test_an_internal_note_that_moves_nothing_publishes_nothing(ledger, start):
    case_id = ledger.case_ids["e001"]
    drive(ledger, case_id, start)
    seq = outbox_seq(ledger.rt)
    answer = ok(ledger, CHAIR, case_id, "note", internal_note=INTERNAL)
    assert answer["status"] == start
    assert answer["history"][-1]["internal_note"] == INTERNAL and answer["history"][-1]["public_note"] is None
    assert events_since(ledger.rt, seq) == []


def test_the_first_note_on_an_accepted_case_starts_the_work_even_if_internal(ledger):
    case_id = ledger.case_ids["e001"]
    drive(ledger, case_id, "accepted")
    seq = outbox_seq(ledger.rt)
    assert ok(ledger, CHAIR, case_id, "note", internal_note=INTERNAL)["status"] == "in_progress"
    [(etype, payload)] = events_since(ledger.rt, seq)
    assert etype == "case.status_changed"
    assert (payload["from"], payload["to"], payload["public_note"]) == ("accepted", "in_progress", None)


def test_a_public_note_without_a_move_still_tells_the_worker(ledger):
    case_id = ledger.case_ids["e001"]
    seq = outbox_seq(ledger.rt)
    ok(ledger, CHAIR, case_id, "note", public_note="我们已收到,正在了解情况")
    [(etype, payload)] = events_since(ledger.rt, seq)
    assert etype == "case.status_changed"
    assert (payload["from"], payload["to"], payload["public_note"]) == (
        "assigned",
        "assigned",
        "我们已收到,正在了解情况",
    )


def test_the_detail_lists_what_the_caller_may_do_now(ledger):
    case_id = ledger.case_ids["e001"]
    assert case(ledger, case_id, CHAIR)["actions"] == ["accept", "note", "reject", "reassign", "merge"]
    assert case(ledger, case_id, COUNTY)["actions"] == ["note", "reassign", "escalate", "extend", "merge"]
    assert case(ledger, case_id, CITY)["actions"] == ["note", "reassign", "escalate", "extend", "merge"]
    drive(ledger, case_id, "resolved")
    assert case(ledger, case_id, CHAIR)["actions"] == ["note"]


# -- the worker's feedback ------------------------------------------------------------------------
def test_the_workers_comment_reaches_staff_as_the_workers_own_words_not_a_staff_note(ledger):
    case_id = ledger.case_ids["e001"]
    drive(ledger, case_id, "resolved")
    gid = grievance_of(ledger.rt, case_id)
    deliver(
        ledger.rt,
        events.GrievanceFeedbackGiven(grievance_id=gid, satisfied=False, rating=2, comment="夜班时还是很吵"),
    )
    [answer] = [h for h in case(ledger, case_id)["history"] if h["action"] == "feedback"]
    assert (answer["worker_comment"], answer["worker_rating"], answer["actor_role"]) == (
        "夜班时还是很吵",
        2,
        "worker",
    )
    assert answer["internal_note"] is None and answer["actor_id"] is None
    staff_steps = [h for h in case(ledger, case_id)["history"] if h["action"] != "feedback"]
    assert all(h["worker_comment"] is None for h in staff_steps)


@pytest.mark.parametrize("satisfied,to", [(True, "closed"), (False, "reopened")])
def test_the_workers_feedback_closes_or_reopens_a_resolved_case(ledger, satisfied, to):
    case_id = ledger.case_ids["e001"]
    drive(ledger, case_id, "resolved")
    before, seq = case(ledger, case_id), outbox_seq(ledger.rt)
    assert feedback(ledger.rt, case_id, satisfied) is True
    after = case(ledger, case_id)
    assert (after["status"], after["version"]) == (to, before["version"] + 1)
    assert (after["history"][-1]["actor_role"], after["history"][-1]["action"]) == ("worker", "feedback")
    (etype, payload), *more = events_since(ledger.rt, seq)
    assert (etype, payload["from"], payload["to"], payload["actor_role"]) == (
        "case.status_changed",
        "resolved",
        to,
        "worker",
    )
    # A reopened case gets a new resolve deadline (the policy's, from reopening), not an escalation.
    assert [t for t, _ in more] == ([] if satisfied else ["case.deadlines_changed"])
    if not satisfied:
        assert after["supervision_level"] == before["supervision_level"]
        assert datetime.fromisoformat(more[0][1]["resolve_due"]) == datetime.fromisoformat(
            after["resolve_due"]
        )


@pytest.mark.parametrize("status", ["assigned", "in_progress", "reopened", "closed", "rejected"])
@pytest.mark.parametrize("satisfied", [True, False])
def test_feedback_on_a_case_not_waiting_for_it_changes_nothing(ledger, status, satisfied):
    case_id = ledger.case_ids["e001"]
    drive(ledger, case_id, status)
    before = tables(ledger.rt)
    assert feedback(ledger.rt, case_id, satisfied) is False
    assert tables(ledger.rt) == before


def test_a_reopened_case_goes_back_to_work_with_the_next_note(ledger):
    case_id = ledger.case_ids["e001"]
    drive(ledger, case_id, "reopened")
    assert ok(ledger, CHAIR, case_id, "note", public_note="重新调查")["status"] == "in_progress"
    assert ok(ledger, CHAIR, case_id, "resolve", resolution="企业已补发全部工资")["status"] == "resolved"


# -- refusals -------------------------------------------------------------------------------------
REFUSALS = [
    (action, status)
    for status in STATUSES
    for action in lifecycle.ACTIONS
    if action not in ALLOWED_BY_STATUS[status]
]


@pytest.mark.parametrize("action,status", REFUSALS)
def test_an_action_the_status_does_not_allow_is_refused_and_changes_nothing(ledger, action, status):
    case_id = ledger.case_ids["e001"]
    drive(ledger, case_id, status)
    headers, _, _, may = ACTOR[action]
    body = good_body(ledger, action, case_id)
    before = tables(ledger.rt)
    error = refused(post(ledger, headers, case_id, action, **body), 409, "action_not_allowed")
    # (never paused here: "resume" is not offered)
    expected = [a for a in lifecycle.ACTIONS if a in ALLOWED_BY_STATUS[status] and a in may and a != "resume"]
    assert error["allowed"] == expected == case(ledger, case_id, headers)["actions"]
    assert all(a in error["message"] for a in expected)
    assert tables(ledger.rt) == before


def test_the_final_statuses_allow_nothing_to_anyone(ledger):
    for status in ("closed", "rejected", "merged"):
        case_id = submit(ledger.rt, "E001")
        drive(ledger, case_id, status)
        for headers in (CHAIR, COUNTY, CITY, ADMIN):
            assert case(ledger, case_id, headers)["actions"] == []


WRONG_ROLE = [
    (CHAIR, "e001", "escalate"),
    (CHAIR, "e001", "extend"),
    (COUNTY, "e001", "accept"),
    (COUNTY, "e001", "resolve"),
    (COUNTY, "e001", "reject"),
    (CITY, "e001", "accept"),
    (CITY, "e001", "reject"),
    (ADMIN, "e001", "accept"),
    (ADMIN, "e001", "resolve"),
    (CHAIR_2, "e002", "escalate"),
    (as_("e011-chair", "enterprise_chair", "E011"), "e011", "extend"),
    (CITY, "e001-about-chair", "accept"),
    (ADMIN, "e001-about-chair", "reject"),
]


@pytest.mark.parametrize("headers,name,action", WRONG_ROLE)
def test_a_role_not_allowed_the_action_gets_403_and_changes_nothing(ledger, headers, name, action):
    case_id = ledger.case_ids[name]
    body = good_body(ledger, action, case_id)
    before = tables(ledger.rt)
    error = refused(post(ledger, headers, case_id, action, **body), 403, "forbidden")
    assert action not in error["allowed"]
    assert error["allowed"] == case(ledger, case_id, headers)["actions"]
    assert tables(ledger.rt) == before


def test_a_county_handling_its_own_case_may_accept_and_reject_it(ledger):
    case_id = ledger.case_ids["e030"]
    assert ok(ledger, COUNTY_10, case_id, "accept")["status"] == "accepted"
    assert ok(ledger, COUNTY_10, case_id, "reject", reason="已转交劳动监察大队处理")["status"] == "rejected"


@pytest.mark.parametrize("action", ["accept", "reject", "reassign", "merge"])
def test_a_chair_whose_case_was_passed_to_the_county_may_no_longer_handle_it(ledger, action):
    case_id = ledger.case_ids["e001"]
    ok(ledger, COUNTY, case_id, "reassign", assignee_id="c01-officer")
    body = good_body(ledger, action, case_id)
    refused(post(ledger, CHAIR, case_id, action, **body), 403, "forbidden")
    assert case(ledger, case_id, CHAIR)["actions"] == ["note"]
    assert ok(ledger, CHAIR, case_id, "note", internal_note=INTERNAL)["status"] == "assigned"


def test_the_role_is_checked_before_the_version_and_the_status(ledger):
    case_id = ledger.case_ids["e001"]
    refused(post(ledger, CHAIR, case_id, "escalate", version=99, reason=REASON), 403, "forbidden")
    drive(ledger, case_id, "rejected")
    refused(post(ledger, COUNTY, case_id, "accept"), 403, "forbidden")


OUT_OF_SCOPE = [
    (CHAIR, "e002"),
    (CHAIR, "e001-about-chair"),
    (CHAIR, "e011"),
    (CHAIR_2, "e001"),
    (COUNTY, "e002"),
    (COUNTY, "e030"),
    (COUNTY_2, "e001"),
    (COUNTY_10, "e001-about-chair"),
]


@pytest.mark.parametrize("action", lifecycle.ACTIONS)
@pytest.mark.parametrize("headers,name", OUT_OF_SCOPE)
def test_a_case_outside_ones_scope_does_not_exist_for_any_action(ledger, headers, name, action):
    case_id = ledger.case_ids[name]
    body = good_body(ledger, action, case_id)
    before = tables(ledger.rt)
    response = post(ledger, headers, case_id, action, **body)
    refused(response, 404, "not_found")
    unknown = post(ledger, headers, UNKNOWN_CASE, action, version=1, **body)
    assert response.get_json() == unknown.get_json()
    assert tables(ledger.rt) == before


def test_a_chair_cannot_act_on_the_demand_about_themselves_even_with_its_version(ledger):
    case_id = ledger.case_ids["e001-about-chair"]
    version = case(ledger, case_id)["version"]
    for action in lifecycle.ACTIONS:
        body = good_body(ledger, action, case_id)
        refused(post(ledger, CHAIR, case_id, action, version=version, **body), 404, "not_found")
    assert case(ledger, case_id)["version"] == version


# -- each action's own rules ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "action,body,field",
    [
        ("resolve", {}, "resolution"),
        ("resolve", {"resolution": "好了"}, "resolution"),
        ("resolve", {"resolution": "      "}, "resolution"),
        ("resolve", {"resolution": None}, "resolution"),
        ("reject", {}, "reason"),
        ("reject", {"reason": "不行"}, "reason"),
        ("reject", {"reason": " \n "}, "reason"),
        ("note", {}, None),
        ("note", {"public_note": ""}, "public_note"),
        ("note", {"internal_note": "  "}, "internal_note"),
        ("note", {"public_note": None, "internal_note": None}, None),
    ],
)
def test_an_action_without_its_text_gets_422(ledger, action, body, field):
    case_id = ledger.case_ids["e001"]
    if action == "resolve":
        drive(ledger, case_id, "accepted")
    before = tables(ledger.rt)
    error = refused(post(ledger, CHAIR, case_id, action, **body), 422, "invalid_fields")
    assert error["fields"]
    if field:
        assert field in error["fields"]
    assert tables(ledger.rt) == before


def test_a_county_raises_supervision_to_level_1_and_no_higher(ledger):
    case_id = ledger.case_ids["e001"]
    answer = ok(ledger, COUNTY, case_id, "escalate", reason=REASON)
    assert answer["supervision_level"] == 1 and answer["history"][-1]["supervision_level"] == 1
    assert "escalate" not in answer["actions"]
    before = tables(ledger.rt)
    refused(post(ledger, COUNTY, case_id, "escalate", reason=REASON), 403, "forbidden")
    refused(post(ledger, COUNTY, case_id, "escalate", reason=REASON, level=2), 403, "forbidden")
    assert tables(ledger.rt) == before


def test_a_county_cannot_jump_to_level_2(ledger):
    case_id = ledger.case_ids["e001"]
    refused(post(ledger, COUNTY, case_id, "escalate", reason=REASON, level=2), 403, "forbidden")
    assert case(ledger, case_id)["supervision_level"] == 0


@pytest.mark.parametrize("headers", [CITY, ADMIN])
def test_the_city_and_admins_raise_supervision_up_to_level_2(ledger, headers):
    case_id = ledger.case_ids["e001"]
    assert ok(ledger, headers, case_id, "escalate", reason=REASON)["supervision_level"] == 1
    answer = ok(ledger, headers, case_id, "escalate", reason=REASON)
    assert answer["supervision_level"] == 2 and "escalate" not in answer["actions"]
    before = tables(ledger.rt)
    refused(post(ledger, headers, case_id, "escalate", reason=REASON), 403, "forbidden")
    assert tables(ledger.rt) == before


@pytest.mark.parametrize(
    "headers,start,level", [(COUNTY, 1, 1), (CITY, 1, 1), (CITY, 2, 2), (CITY, 2, 1), (ADMIN, 2, 1)]
)
def test_supervision_only_rises(ledger, headers, start, level):
    case_id = ledger.case_ids["e001"]
    ok(ledger, CITY, case_id, "escalate", reason=REASON, level=start)
    before = tables(ledger.rt)
    error = refused(
        post(ledger, headers, case_id, "escalate", reason=REASON, level=level), 409, "supervision_not_raised"
    )
    assert error["allowed"] == case(ledger, case_id, headers)["actions"]
    assert tables(ledger.rt) == before


@pytest.mark.parametrize("level", [0, 3, -1, "2", 1.5])
def test_a_supervision_level_outside_1_and_2_gets_422(ledger, level):
    case_id = ledger.case_ids["e001"]
    error = refused(
        post(ledger, CITY, case_id, "escalate", reason=REASON, level=level), 422, "invalid_fields"
    )
    assert "level" in error["fields"]


@pytest.mark.parametrize("reason", [None, "", "x", "\x1b[2J清屏"])
def test_escalate_and_extend_need_a_reason(ledger, reason):
    case_id = ledger.case_ids["e001"]
    body = {} if reason is None else {"reason": reason}
    refused(post(ledger, CITY, case_id, "escalate", **body), 422, "invalid_fields")
    refused(
        post(ledger, CITY, case_id, "extend", resolve_due=later_due(ledger, case_id, 5), **body),
        422,
        "invalid_fields",
    )


def test_an_extension_moves_the_resolution_date_up_to_30_days_once(ledger):
    case_id = ledger.case_ids["e001"]
    day = due_day(ledger, case_id)
    answer = ok(
        ledger, COUNTY, case_id, "extend", reason=REASON, resolve_due=(day + timedelta(days=30)).isoformat()
    )
    assert answer["extended"] is True and "extend" not in answer["actions"]
    assert datetime.fromisoformat(answer["resolve_due"]).astimezone(CST).date() == day + timedelta(days=30)
    before = tables(ledger.rt)
    error = refused(
        post(
            ledger, CITY, case_id, "extend", reason=REASON, resolve_due=(day + timedelta(days=31)).isoformat()
        ),
        409,
        "already_extended",
    )
    assert "extend" not in error["allowed"]
    assert tables(ledger.rt) == before


@pytest.mark.parametrize("days", [31, 0, -1, -30, 365])
def test_an_extension_must_end_after_the_current_due_date_and_within_30_days(ledger, days):
    case_id = ledger.case_ids["e001"]
    new_day = (due_day(ledger, case_id) + timedelta(days=days)).isoformat()
    before = tables(ledger.rt)
    error = refused(
        post(ledger, COUNTY, case_id, "extend", reason=REASON, resolve_due=new_day), 422, "invalid_fields"
    )
    assert "resolve_due" in error["fields"]
    assert tables(ledger.rt) == before


@pytest.mark.parametrize("value", ["tomorrow", "2025-02-30", 20250101, None, ""])
def test_an_extension_date_that_is_not_a_date_gets_422(ledger, value):
    case_id = ledger.case_ids["e001"]
    error = refused(
        post(ledger, COUNTY, case_id, "extend", reason=REASON, resolve_due=value), 422, "invalid_fields"
    )
    assert "resolve_due" in error["fields"]


def test_one_day_more_is_a_good_extension(ledger):
    case_id = ledger.case_ids["e001"]
    day = due_day(ledger, case_id)
    ok(ledger, CITY, case_id, "extend", reason=REASON, resolve_due=(day + timedelta(days=1)).isoformat())
    assert due_day(ledger, case_id) == day + timedelta(days=1)


@pytest.mark.parametrize(
    "headers,name,assignee",
    [
        (COUNTY, "e001", "c02-officer"),  # another county
        (COUNTY, "e001", "city-officer-1"),  # above the county
        (COUNTY, "e001", "e002-chair"),  # a chair in another county
        (COUNTY, "e001", "e011-chair"),  # a chair of the county, but of another enterprise
        (CITY, "e001", "e002-chair"),
        (COUNTY, "e001-about-chair", "e001-chair"),  # the chair the demand is about
        (CITY, "e001-about-chair", "e001-chair"),
        (CITY, "e001", "nobody"),
        (CITY, "e001", "admin-1"),
        (COUNTY, "e001", "admin-1"),
        (CHAIR, "e001", "c01-officer"),  # a chair passes nothing upwards
        (CHAIR, "e001", "e011-chair"),
    ],
)
def test_reassigning_to_someone_who_may_not_have_the_case_gets_422(ledger, headers, name, assignee):
    case_id = ledger.case_ids[name]
    before = tables(ledger.rt)
    error = refused(post(ledger, headers, case_id, "reassign", assignee_id=assignee), 422, "invalid_fields")
    assert "assignee_id" in error["fields"]
    assert tables(ledger.rt) == before


@pytest.mark.parametrize(
    "headers,name,assignee",
    [
        (CHAIR, "e001", "e001-chair"),
        (COUNTY, "e001", "e001-chair"),
        (CITY, "e001", "e001-chair"),
        (COUNTY, "e001-about-chair", "c01-officer"),
        (COUNTY_10, "e030", "c10-officer"),
    ],
)
def test_reassigning_to_the_current_assignee_gets_409(ledger, headers, name, assignee):
    case_id = ledger.case_ids[name]
    before = tables(ledger.rt)
    refused(post(ledger, headers, case_id, "reassign", assignee_id=assignee), 409, "already_assigned")
    assert tables(ledger.rt) == before


def test_a_reassigned_case_keeps_its_status_and_due_dates_and_can_come_back(ledger):
    case_id = ledger.case_ids["e001"]
    drive(ledger, case_id, "accepted")
    before = case(ledger, case_id)
    passed = ok(ledger, CITY, case_id, "reassign", assignee_id="c01-officer")
    assert passed["assignee"] == {"id": "c01-officer", "role": "county_officer", "org_code": "C01"}
    assert (passed["status"], passed["accept_due"], passed["resolve_due"], passed["supervision_level"]) == (
        before["status"],
        before["accept_due"],
        before["resolve_due"],
        before["supervision_level"],
    )
    back = ok(ledger, COUNTY, case_id, "reassign", assignee_id="e001-chair")
    assert back["assignee"] == {"id": "e001-chair", "role": "enterprise_chair", "org_code": "E001"}
    assert back["version"] == before["version"] + 2


def test_a_good_merge_folds_the_case_into_the_survivor(ledger):
    rt, case_id = ledger.rt, ledger.case_ids["e001"]
    survivor = submit(rt, "E001")
    kept_before, rows_before, seq = case(ledger, survivor), history_rows(rt, survivor), outbox_seq(rt)
    answer = ok(ledger, CHAIR, case_id, "merge", into=survivor)
    assert (answer["status"], answer["merged_into"], answer["actions"]) == ("merged", survivor, [])
    kept = case(ledger, survivor)
    assert (kept["status"], kept["version"]) == (kept_before["status"], kept_before["version"] + 1)
    rows = history_rows(rt, survivor)
    assert rows[:-1] == rows_before and len(rows) == len(rows_before) + 1
    assert (rows[-1].action, rows[-1].actor_id, rows[-1].from_status, rows[-1].to_status) == (
        "merge",
        "e001-chair",
        "assigned",
        "assigned",
    )
    assert case_id in rows[-1].internal_note
    [(etype, payload)] = events_since(rt, seq)
    assert (etype, payload["to"], payload["merged_into_grievance_id"]) == (
        "case.status_changed",
        "merged",
        grievance_of(rt, survivor),
    )


def test_a_supervisor_may_merge_an_about_chair_case_into_another(ledger):
    case_id, survivor = ledger.case_ids["e001-about-chair"], submit(ledger.rt, "E001", about_chair=True)
    assert ok(ledger, COUNTY, case_id, "merge", into=survivor)["merged_into"] == survivor


@pytest.mark.parametrize(
    "target",
    [
        "itself",
        "other enterprise",
        "same county other enterprise",
        "closed",
        "merged",
        "rejected",
        "resolved",
        "about chair",
        "unknown",
    ],
)
def test_merging_into_a_case_that_cannot_take_it_gets_422(ledger, target):
    rt, case_id = ledger.rt, ledger.case_ids["e001"]
    into = {
        "itself": case_id,
        "other enterprise": ledger.case_ids["e002"],
        "same county other enterprise": ledger.case_ids["e011"],
        "about chair": ledger.case_ids["e001-about-chair"],
        "unknown": str(uuid.uuid4()),
    }.get(target)
    if into is None:
        into = submit(rt, "E001")
        drive(ledger, into, target)
    before = tables(rt)
    error = refused(post(ledger, CITY, case_id, "merge", into=into), 422, "invalid_fields")
    assert "into" in error["fields"]
    assert tables(rt) == before


def test_a_chair_cannot_merge_into_a_case_they_may_not_see(ledger):
    case_id = ledger.case_ids["e001"]
    before = tables(ledger.rt)
    error = refused(
        post(ledger, CHAIR, case_id, "merge", into=ledger.case_ids["e001-about-chair"]), 422, "invalid_fields"
    )
    assert (
        error["fields"]
        == refused(post(ledger, CHAIR, case_id, "merge", into=UNKNOWN_CASE), 422, "invalid_fields")["fields"]
    )
    assert tables(ledger.rt) == before


def test_an_about_chair_case_cannot_be_merged_into_a_normal_one(ledger):
    case_id = ledger.case_ids["e001-about-chair"]
    refused(post(ledger, COUNTY, case_id, "merge", into=ledger.case_ids["e001"]), 422, "invalid_fields")
    assert case(ledger, case_id)["status"] == "assigned"


# -- optimistic concurrency -----------------------------------------------------------------------
@pytest.mark.parametrize("action", lifecycle.ACTIONS)
@pytest.mark.parametrize("offset", [-1, +1])
def test_a_stale_version_gets_409_with_the_current_state(ledger, action, offset):
    case_id = ledger.case_ids["e001"]
    ok(ledger, CITY, case_id, "note", internal_note=INTERNAL)
    headers = ACTOR[action][0]
    current = case(ledger, case_id, headers)
    body = good_body(ledger, action, case_id)
    if action == "merge":
        body["into"] = submit(ledger.rt, "E001")
    before = tables(ledger.rt)
    error = refused(
        post(ledger, headers, case_id, action, version=current["version"] + offset, **body),
        409,
        "version_conflict",
    )
    assert error["current"]["version"] == current["version"] == 2
    assert error["current"]["status"] == current["status"]
    assert error["allowed"] == current["actions"]
    assert tables(ledger.rt) == before


def test_a_version_conflict_comes_before_the_status_check(ledger):
    case_id = ledger.case_ids["e001"]
    drive(ledger, case_id, "rejected")
    error = refused(post(ledger, CHAIR, case_id, "accept", version=1), 409, "version_conflict")
    assert error["current"]["status"] == "rejected" and error["allowed"] == []


def test_the_second_of_two_staff_who_saw_the_same_version_is_told_what_changed(ledger):
    case_id = ledger.case_ids["e001"]
    seen = case(ledger, case_id)["version"]
    assert post(ledger, CHAIR, case_id, "accept", version=seen).status_code == 200
    error = refused(
        post(ledger, CHAIR, case_id, "reject", version=seen, reason="不属于工会职责范围"),
        409,
        "version_conflict",
    )
    assert error["current"]["status"] == "accepted" and error["current"]["version"] == seen + 1


# -- bad input --------------------------------------------------------------------------------------
FORGED = {"Authorization": "Bearer " + auth.issue("not-the-secret", auth.Staff("admin-1", "admin", "city"))}
BAD_INPUT = {
    "no token": dict(headers={}, status=401),
    "forged token": dict(headers=FORGED, status=401),
    "garbage token": dict(headers={"Authorization": "Bearer abc.def.ghi"}, status=401),
    "basic auth": dict(headers={"Authorization": "Basic YWRtaW46YWRtaW4="}, status=401),
    "form body": dict(data="version=1", content_type="application/x-www-form-urlencoded", status=415),
    "text body": dict(data='{"version": 1}', content_type="text/plain", status=415),
    "no body": dict(data=None, status=415),
    "malformed JSON": dict(data='{"version": 1,', content_type="application/json", status=400),
    "deeply nested JSON": dict(data="[" * 30000 + "]" * 30000, content_type="application/json", status=400),
    "not UTF-8": dict(
        data=b'{"version": 1, "internal_note": "\xff\xfe"}', content_type="application/json", status=400
    ),
    "JSON array": dict(json=[{"version": 1}], status=422),
    "JSON string": dict(json="version", status=422),
    "JSON null": dict(data="null", content_type="application/json", status=422),
    "missing version": dict(drop="version", status=422),
    "version as string": dict(override={"version": "1"}, status=422),
    "version as float": dict(override={"version": 1.0}, status=422),
    "version as bool": dict(override={"version": True}, status=422),
    "version zero": dict(override={"version": 0}, status=422),
    "version null": dict(override={"version": None}, status=422),
    "extra field": dict(override={"status": "closed"}, status=422),
    "long note": dict(override={"internal_note": "长" * 3000}, status=422),
    "NUL in note": dict(override={"internal_note": "工资\x00拖欠"}, status=422),
    "escape in note": dict(override={"internal_note": "工资\x1b[31m拖欠"}, status=422),
    "bell in note": dict(override={"internal_note": "\x07工资拖欠"}, status=422),
    "line separator in note": dict(override={"internal_note": "工资\u2028拖欠"}, status=422),
    "note as number": dict(override={"internal_note": 12345}, status=422),
    "unknown case": dict(case=UNKNOWN_CASE, status=404),
    "not a case id": dict(case="not-a-case", status=404),
    "oversized body": dict(override={"internal_note": "x" * (64 * 1024 + 1)}, status=413),
}


@pytest.mark.parametrize("action", lifecycle.ACTIONS)
@pytest.mark.parametrize("kind", list(BAD_INPUT))
def test_bad_input_gets_a_json_error_and_changes_nothing(ledger, action, kind):
    spec = BAD_INPUT[kind]
    case_id = spec.get("case", ledger.case_ids["e001"])
    body = {"version": 1, **good_body(ledger, action, ledger.case_ids["e001"]), **spec.get("override", {})}
    body.pop(spec.get("drop"), None)
    if action == "merge":
        body.setdefault("into", ledger.case_ids["e011"])
    headers = spec.get("headers", ADMIN)
    if "json" in spec:
        kwargs = {"json": spec["json"]}
    elif "data" in spec:
        kwargs = {"data": spec["data"], "content_type": spec.get("content_type")}
    else:
        kwargs = {"json": body}
    before = tables(ledger.rt)
    response = ledger.post(url(case_id, action), headers=headers, **kwargs)
    assert response.status_code == spec["status"], response.get_data(as_text=True)[:500]
    assert response.is_json
    error = response.get_json()["error"]
    assert set(error) >= ERROR_KEYS and isinstance(error["fields"], dict) and error["message"]
    assert tables(ledger.rt) == before


def test_the_field_at_fault_is_named(ledger):
    case_id = ledger.case_ids["e001"]
    error = refused(post(ledger, CHAIR, case_id, "note", internal_note="a\x00b"), 422, "invalid_fields")
    assert list(error["fields"]) == ["internal_note"]
    error = refused(
        ledger.post(url(case_id, "accept"), headers=CHAIR, json={"version": "1"}), 422, "invalid_fields"
    )
    assert list(error["fields"]) == ["version"]
    error = refused(post(ledger, CHAIR, case_id, "accept", colour="red"), 422, "invalid_fields")
    assert list(error["fields"]) == ["colour"]


def test_the_body_limit_is_the_apps_max_content_length(ledger):
    assert (
        ledger.application.config["MAX_CONTENT_LENGTH"] == ledger.rt.settings.max_content_length == 64 * 1024
    )


def test_a_token_signed_with_the_test_secret_is_accepted(ledger):
    assert ledger.rt.settings.secret_key == SECRET
    assert ok(ledger, CHAIR, ledger.case_ids["e001"], "accept")["status"] == "accepted"


def test_a_note_of_2000_characters_with_line_breaks_is_fine(ledger):
    note = ("第一行\n第二行\r\n" + "长" * 2000)[:2000]
    assert (
        ok(ledger, CHAIR, ledger.case_ids["e001"], "note", internal_note=note)["history"][-1]["internal_note"]
        == note
    )


# -- the history is append-only -------------------------------------------------------------------
def test_the_history_only_grows(ledger):
    rt, case_id = ledger.rt, ledger.case_ids["e001"]
    other = ledger.case_ids["e002"]
    others_before = history_rows(rt, other)
    steps = [
        lambda: ok(ledger, CHAIR, case_id, "accept", public_note="已受理"),
        lambda: ok(ledger, CHAIR, case_id, "note", internal_note=INTERNAL),
        lambda: ok(ledger, COUNTY, case_id, "escalate", reason=REASON),
        lambda: ok(
            ledger, COUNTY, case_id, "extend", reason=REASON, resolve_due=later_due(ledger, case_id, 7)
        ),
        lambda: ok(ledger, COUNTY, case_id, "reassign", assignee_id="c01-officer"),
        lambda: ok(ledger, COUNTY, case_id, "reassign", assignee_id="e001-chair"),
        lambda: ok(ledger, CITY, case_id, "escalate", reason=REASON),
        lambda: ok(ledger, CHAIR, case_id, "resolve", resolution="企业已补发部分工资"),
        lambda: feedback(rt, case_id, satisfied=False),
        lambda: ok(ledger, CHAIR, case_id, "note", public_note="继续协调"),
        lambda: ok(ledger, CHAIR, case_id, "resolve", resolution="企业已补发全部工资"),
        lambda: ok(ledger, CHAIR, case_id, "note", public_note="感谢反馈"),
        lambda: feedback(rt, case_id, satisfied=True),
    ]
    rows = history_rows(rt, case_id)
    for step in steps:
        step()
        after = history_rows(rt, case_id)
        assert after[: len(rows)] == rows and len(after) == len(rows) + 1
        rows = after
    assert [r.action for r in rows[2:]] == [
        "accept",
        "note",
        "escalate",
        "extend",
        "reassign",
        "reassign",
        "escalate",
        "resolve",
        "feedback",
        "note",
        "resolve",
        "note",
        "feedback",
    ]
    assert [(h["from"], h["to"]) for h in case(ledger, case_id)["history"]] == [
        (r.from_status, r.to_status) for r in rows
    ]
    assert case(ledger, case_id)["version"] == 1 + len(steps)
    assert history_rows(rt, other) == others_before
