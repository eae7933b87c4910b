"""The ledger's timers (services/routing/timers.py) on the shared runner, with the clock moved the way
CLOCK_OFFSET moves it: reminders, supervision rising on missed deadlines, the paused resolve
clock, the feedback window."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from services.routing import calendar, policy, timers
from services.routing.models import cases, history, outbox
from services.routing.models import timers as timer_rows
from shared import clock
from shared.timers import Runner, lag
from tests.support.routing import CHAIR, CITY, COUNTY, as_, submit

PAUSE = "等待噪声检测机构出具报告 waiting for the noise measurement"


@pytest.fixture(autouse=True)
def clock_back():
    clock.set_offset(timedelta(0))
    yield
    clock.set_offset(None)


def runner(rt, settings=None) -> Runner:
    return Runner(rt.engine, outbox, settings or rt.settings, timer_rows, timers.FIRES, batch=7)


def run(rt, settings=None) -> int:
    """Fire every due timer; how many were taken."""
    taken, r = 0, runner(rt, settings)
    while n := r.run_once():
        taken += n
    return taken


def go_to(moment: datetime) -> None:
    """Move the clock so that now is ``moment``."""
    clock.set_offset(clock.offset() + (moment - clock.now()))


def row(rt, case_id: str):
    with rt.engine.connect() as conn:
        return conn.execute(select(cases).where(cases.c.id == case_id)).one()


def published(rt, etype: str) -> list[dict]:
    with rt.engine.connect() as conn:
        bodies = conn.execute(select(outbox.c.body).where(outbox.c.type == etype).order_by(outbox.c.seq))
        return [json.loads(b)["payload"] for b in bodies.scalars()]


def steps(rt, case_id: str) -> list:
    with rt.engine.connect() as conn:
        return conn.execute(select(history).where(history.c.case_id == case_id).order_by(history.c.seq)).all()


def act(ledger, headers, case_id: str, action: str, **body) -> dict:
    version = ledger.get(f"/api/v1/cases/{case_id}", headers=CITY).get_json()["version"]
    response = ledger.post(
        f"/api/v1/cases/{case_id}/{action}", json={"version": version, **body}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def mine(events: list[dict], case_id: str) -> list[dict]:
    return [e for e in events if e["case_id"] == case_id]


# -- reminders --------------------------------------------------------------------------------------
def test_the_assignee_is_reminded_at_half_time_and_a_working_day_before_once_each(ledger):
    rt = ledger.rt
    go_to(datetime(2026, 3, 2, 10, 0, tzinfo=clock.CST))  # a Monday morning
    case_id = submit(rt, "E002")
    case = row(rt, case_id)
    assert clock.local(case.accept_due).date().isoformat() == "2026-03-04"  # two working days
    with rt.engine.connect() as conn:
        expected = policy.reminder_times(
            timers.terms_of(conn, case), case.created_at, case.accept_due, calendar.current(conn)
        )
    assert [w for w, _ in sorted(expected, key=lambda e: e[1])] == ["day_before", "share:0.5"]
    day_before, half = sorted(at for _, at in expected)
    assert clock.local(day_before).strftime("%m-%d %H:%M") == "03-03 09:00"  # 09:00 the day before

    def accept_reminders() -> list[dict]:
        return [r for r in mine(published(rt, "case.reminder_due"), case_id) if r["deadline"] == "accept"]

    go_to(day_before - timedelta(minutes=1))
    run(rt)
    assert accept_reminders() == []
    go_to(day_before + timedelta(minutes=1))
    run(rt)
    run(rt)  # again: nothing twice
    [first] = accept_reminders()
    assert first["when"] == "day_before" and [p["id"] for p in first["recipients"]] == ["e002-chair"]
    assert datetime.fromisoformat(first["due"]) == case.accept_due
    go_to(half + timedelta(minutes=1))
    run(rt)
    assert [(r["when"], r["fraction"]) for r in accept_reminders()] == [
        ("day_before", None),
        ("half_time", 0.5),
    ]
    go_to(case.accept_due - timedelta(minutes=1))
    run(rt)
    assert len(accept_reminders()) == 2


def test_no_reminder_once_the_action_is_done(ledger):
    rt, case_id = ledger.rt, ledger.case_ids["e001"]
    act(ledger, CHAIR, case_id, "accept")
    go_to(row(rt, case_id).accept_due + timedelta(hours=1))
    run(rt)
    assert not [r for r in mine(published(rt, "case.reminder_due"), case_id) if r["deadline"] == "accept"]
    assert row(rt, case_id).supervision_level == 0  # accepted in time: no supervision
    with rt.engine.connect() as conn:
        outcomes = conn.execute(
            select(timer_rows.c.kind, timer_rows.c.outcome).where(
                timer_rows.c.subject == case_id, timer_rows.c.key.like("accept|%")
            )
        ).all()
    assert outcomes and {o for _, o in outcomes} == {"void"}


# -- supervision rising --------------------------------------------------------------------------
def test_a_missed_accept_deadline_raises_supervision_to_the_county_then_the_city(ledger):
    rt, case_id = ledger.rt, ledger.case_ids["e001"]
    due = row(rt, case_id).accept_due
    go_to(due + timedelta(seconds=5))
    run(rt)
    case = row(rt, case_id)
    assert case.supervision_level == 1 and case.status == "assigned"
    [raised] = mine(published(rt, "case.supervision_raised"), case_id)
    assert (raised["level"], raised["reason"], raised["supervisor"], raised["automatic"]) == (
        1,
        "accept_overdue",
        "system",
        True,
    )
    assert [p["id"] for p in raised["recipients"]] == ["c01-officer"]
    assert raised["recipients"][0]["email"] and raised["recipients"][0]["phone"]
    # the supervisors' deadline: 5 working days from the escalation, met by resolving
    supervised = case.supervised_due
    assert datetime.fromisoformat(raised["supervised_due"]) == supervised
    assert timedelta(days=5) <= supervised - due <= timedelta(days=12)
    step = steps(rt, case_id)[-1]
    assert (step.actor_role, step.actor_id, step.action, step.supervision_level) == (
        "system",
        None,
        "accept_overdue",
        1,
    )

    go_to(supervised + timedelta(seconds=5))
    run(rt)
    assert row(rt, case_id).supervision_level == 2
    second = mine(published(rt, "case.supervision_raised"), case_id)[-1]
    assert (second["level"], second["reason"]) == (2, "supervised_overdue")
    assert [p["role"] for p in second["recipients"]] == ["city_officer"]

    go_to(row(rt, case_id).resolve_due + timedelta(days=30))
    run(rt)
    assert row(rt, case_id).supervision_level == 2  # at most 2, and never falls
    assert len(mine(published(rt, "case.supervision_raised"), case_id)) == 2


def test_a_case_the_county_holds_goes_to_the_city_on_its_first_miss_without_the_chair(ledger):
    rt, case_id = ledger.rt, ledger.case_ids["e001-about-chair"]
    assert row(rt, case_id).assignee_role == "county_officer"
    go_to(row(rt, case_id).accept_due + timedelta(seconds=5))
    run(rt)
    assert row(rt, case_id).supervision_level == 2
    [raised] = mine(published(rt, "case.supervision_raised"), case_id)
    assert raised["level"] == 2 and raised["about_chair"] is True
    assert {p["role"] for p in raised["recipients"]} == {"city_officer"}
    everyone = [
        p["id"] for e in [*mine(published(rt, "case.reminder_due"), case_id), raised] for p in e["recipients"]
    ]
    assert "e001-chair" not in everyone


def test_resolving_meets_the_supervised_deadline(ledger):
    rt, case_id = ledger.rt, ledger.case_ids["e001"]
    go_to(row(rt, case_id).accept_due + timedelta(seconds=5))
    run(rt)
    act(ledger, CHAIR, case_id, "accept")
    act(ledger, CHAIR, case_id, "resolve", resolution="企业已整改,噪声达标")
    go_to(row(rt, case_id).supervised_due + timedelta(hours=1))
    run(rt)
    assert row(rt, case_id).supervision_level == 1


def test_a_manual_escalation_gives_the_supervisors_deadline_too(ledger):
    rt, case_id = ledger.rt, ledger.case_ids["e001"]
    act(ledger, COUNTY, case_id, "escalate", reason="职工多次反映")
    case = row(rt, case_id)
    assert case.supervision_level == 1 and case.supervised_due is not None
    [raised] = mine(published(rt, "case.supervision_raised"), case_id)
    assert raised["automatic"] is False and [p["id"] for p in raised["recipients"]] == ["c01-officer"]


def test_a_reopened_case_gets_a_new_resolve_deadline_instead_of_escalating(ledger):
    from tests.unit.routing.test_actions import feedback

    rt, case_id = ledger.rt, ledger.case_ids["e001"]
    act(ledger, CHAIR, case_id, "accept")
    act(ledger, CHAIR, case_id, "resolve", resolution="已调整排班")
    old_due = row(rt, case_id).resolve_due
    go_to(old_due - timedelta(days=1))
    assert feedback(rt, case_id, satisfied=False)
    case = row(rt, case_id)
    assert case.status == "reopened" and case.resolve_due > old_due
    go_to(old_due + timedelta(hours=2))
    run(rt)
    assert row(rt, case_id).supervision_level == 0
    go_to(case.resolve_due + timedelta(seconds=5))
    run(rt)
    assert row(rt, case_id).supervision_level == 1
    assert mine(published(rt, "case.supervision_raised"), case_id)[0]["reason"] == "resolve_overdue"


# -- the paused clock ------------------------------------------------------------------------------
def test_a_paused_case_does_not_escalate_and_its_due_date_moves_by_the_paused_time(ledger):
    rt, case_id = ledger.rt, ledger.case_ids["e001"]
    act(ledger, CHAIR, case_id, "accept")
    due = row(rt, case_id).resolve_due
    paused = act(ledger, CHAIR, case_id, "pause", reason=PAUSE)
    assert paused["paused"] is True and paused["pause_reason"] == PAUSE and paused["status"] == "accepted"
    go_to(due + timedelta(days=2))
    run(rt)
    assert row(rt, case_id).supervision_level == 0  # the clock stood still
    resumed = act(ledger, CHAIR, case_id, "resume")
    case = row(rt, case_id)
    assert resumed["paused"] is False and case.paused_at is None
    moved = case.resolve_due - due
    assert abs(moved - timedelta(seconds=case.paused_seconds)) < timedelta(seconds=2)
    assert moved > timedelta(days=14)
    [event] = mine(published(rt, "case.clock_resumed"), case_id)
    assert datetime.fromisoformat(event["resolve_due"]) == case.resolve_due and event["automatic"] is False
    assert [s.action for s in steps(rt, case_id)][-2:] == ["pause", "resume"]
    go_to(case.resolve_due + timedelta(seconds=5))
    run(rt)
    assert row(rt, case_id).supervision_level == 1


def test_a_pause_ends_by_itself_at_its_bound_and_at_most_two_are_allowed(ledger):
    rt, case_id = ledger.rt, ledger.case_ids["e001"]
    act(ledger, CHAIR, case_id, "accept")
    act(ledger, CHAIR, case_id, "pause", reason=PAUSE)
    go_to(row(rt, case_id).pause_ends + timedelta(seconds=5))
    run(rt)
    case = row(rt, case_id)
    assert case.paused_at is None and case.paused_seconds >= 30 * 86400
    assert steps(rt, case_id)[-1].action == "pause_ended" and steps(rt, case_id)[-1].actor_role == "system"
    assert mine(published(rt, "case.clock_resumed"), case_id)[-1]["automatic"] is True
    act(ledger, CHAIR, case_id, "pause", reason=PAUSE)
    act(ledger, COUNTY, case_id, "resume")  # a supervisor may run it again
    version = row(rt, case_id).version
    third = ledger.post(
        f"/api/v1/cases/{case_id}/pause", json={"version": version, "reason": PAUSE}, headers=CHAIR
    )
    assert third.status_code == 409 and third.get_json()["error"]["code"] == "pauses_used_up"


def test_supervisors_see_paused_cases(ledger):
    case_id = ledger.case_ids["e001"]
    act(ledger, CHAIR, case_id, "accept")
    act(ledger, CHAIR, case_id, "pause", reason=PAUSE)
    for headers in (COUNTY, CITY):
        page = ledger.get("/api/v1/cases?paused=true", headers=headers).get_json()
        assert [c["id"] for c in page["items"]] == [case_id]
    assert case_id not in [
        c["id"] for c in ledger.get("/api/v1/cases?paused=false", headers=CITY).get_json()["items"]
    ]


# -- the feedback window ----------------------------------------------------------------------------
def resolved(ledger, name: str, headers=CHAIR) -> str:
    case_id = ledger.case_ids[name]
    act(ledger, headers, case_id, "accept")
    act(ledger, headers, case_id, "resolve", resolution="已处理完毕 done")
    return case_id


def test_an_unanswered_resolution_is_closed_once_with_feedback_none(ledger):
    rt = ledger.rt
    case_id = resolved(ledger, "e001")
    go_to(row(rt, case_id).resolved_at + timedelta(days=7, hours=1, minutes=1))
    run(rt)
    run(rt)
    assert row(rt, case_id).status == "closed"
    last = steps(rt, case_id)[-1]
    assert (last.actor_role, last.action, last.from_status, last.to_status) == (
        "system",
        "feedback_timeout",
        "resolved",
        "closed",
    )
    assert "feedback none" in last.internal_note
    closings = [e for e in mine(published(rt, "case.status_changed"), case_id) if e["to"] == "closed"]
    assert [(c["from"], c["actor_role"]) for c in closings] == [("resolved", "system")]


def test_a_resolution_inside_the_window_or_its_grace_is_left_alone(ledger):
    rt = ledger.rt
    case_id = resolved(ledger, "e001")
    go_to(row(rt, case_id).resolved_at + timedelta(days=7, minutes=30))  # in the grace hour
    run(rt)
    assert row(rt, case_id).status == "resolved"


def test_the_window_follows_the_setting(sqlite_runtime):
    from tests.support.routing import make_ledger

    ledger = make_ledger(lambda service, **kw: sqlite_runtime(service, feedback_days=3, **kw))
    case_id = resolved(ledger, "e001")
    go_to(row(ledger.rt, case_id).resolved_at + timedelta(days=3, hours=1, minutes=1))
    run(ledger.rt)
    assert row(ledger.rt, case_id).status == "closed"


def test_a_later_resolution_replaces_the_window(ledger):
    from tests.unit.routing.test_actions import feedback

    rt = ledger.rt
    case_id = resolved(ledger, "e001")
    first = row(rt, case_id).resolved_at
    go_to(first + timedelta(days=2))
    assert feedback(rt, case_id, satisfied=False)
    act(ledger, CHAIR, case_id, "resolve", resolution="第二次处理")
    go_to(first + timedelta(days=7, hours=2))
    run(rt)
    assert row(rt, case_id).status == "resolved"  # the first window is no longer this resolution's


# -- the runner -------------------------------------------------------------------------------------
def test_a_failing_timer_is_marked_and_does_not_block_the_others(ledger):
    rt = ledger.rt
    with rt.engine.begin() as conn:
        conn.execute(
            timer_rows.insert(),
            {
                "subject": "x",
                "kind": "no-such-kind",
                "key": "k",
                "due_at": clock.now(),
                "created_at": clock.now(),
            },
        )
    fires = {**timers.FIRES, "overdue": _boom}
    r = Runner(rt.engine, outbox, rt.settings, timer_rows, fires, batch=50)
    go_to(row(rt, ledger.case_ids["e001"]).accept_due + timedelta(seconds=5))
    while r.run_once():
        pass
    with rt.engine.connect() as conn:
        outcomes = dict(
            conn.execute(
                select(timer_rows.c.kind, timer_rows.c.error).where(timer_rows.c.outcome == "error")
            ).all()
        )
    assert outcomes == {"no-such-kind": "UnknownKind", "overdue": "ZeroDivisionError"}
    assert {row(rt, c).supervision_level for c in ledger.case_ids.values()} == {0}  # rolled back each
    with rt.engine.connect() as conn:
        others = set(
            conn.execute(
                select(timer_rows.c.outcome).where(
                    timer_rows.c.kind == "remind", timer_rows.c.fired_at.is_not(None)
                )
            ).scalars()
        )
    assert others == {"void"}  # taken all the same (missed already by then: no reminder after the deadline)
    assert lag(rt.engine, timer_rows) == timedelta(0)


def _boom(uow, timer) -> bool:
    uow.conn.execute(update(cases).where(cases.c.id == timer.subject).values(supervision_level=2))
    raise ZeroDivisionError


def test_lag_is_the_age_of_the_oldest_due_timer(ledger):
    rt = ledger.rt
    with rt.engine.connect() as conn:
        oldest = min(conn.execute(select(timer_rows.c.due_at)).scalars())
    go_to(oldest + timedelta(minutes=10))
    assert timedelta(minutes=10) <= lag(rt.engine, timer_rows) < timedelta(minutes=11)
    run(rt)
    assert lag(rt.engine, timer_rows) == timedelta(0)


def test_overdue_cases_by_level_are_a_metric(ledger):
    rt = ledger.rt
    go_to(max(row(rt, c).accept_due for c in ledger.case_ids.values()) + timedelta(seconds=5))
    text = ledger.get("/metrics", headers={"Authorization": "Bearer metrics-test-token"}).get_data(
        as_text=True
    )
    assert 'xinsheng_cases_overdue{level="0"} 5.0' in text
    run(rt)
    text = ledger.get("/metrics", headers={"Authorization": "Bearer metrics-test-token"}).get_data(
        as_text=True
    )
    # e001-about-chair and e030 (no chair) are held by their county: the city supervises them
    assert 'xinsheng_cases_overdue{level="1"} 3.0' in text and 'xinsheng_cases_overdue{level="2"} 2.0' in text


def test_a_new_case_schedules_its_timers(sqlite_runtime, ledger):
    rt = ledger.rt
    case_id = submit(rt, "E002")
    with rt.engine.connect() as conn:
        kinds = sorted(
            (t.kind, t.key.split("|")[0])
            for t in conn.execute(select(timer_rows).where(timer_rows.c.subject == case_id))
        )
    assert ("overdue", "accept") in kinds and ("overdue", "resolve") in kinds
    assert ("remind", "resolve") in kinds
    assert as_  # the header helper stays importable for the scope tests
