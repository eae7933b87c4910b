"""routing: the directory import, the routing rules (DESIGN §2) and the grievance.submitted handler."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from functools import cache

import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy import select

from harness.private import DEMO_DIRECTORY
from services.routing import deadlines, directory
from services.routing.models import cases, history, outbox
from shared import events
from shared.uow import unit_of_work
from tests.support.events import deliver, demand_submitted, last_seq, payloads


@cache
def _demo_text() -> str:
    return DEMO_DIRECTORY.read_text(encoding="utf-8")


def demo_data() -> dict:
    """The demo directory as plain data, to be changed by a test."""
    return copy.deepcopy(yaml.safe_load(_demo_text()))


def enterprise(data: dict, code: str) -> dict:
    return next(e for e in data["enterprises"] if e["code"] == code)


def county(data: dict, code: str) -> dict:
    return next(c for c in data["counties"] if c["code"] == code)


def emitted(rt, etype: str, after: int = 0) -> list[events.Frozen]:
    """The payloads of one event type in the outbox, after sequence number ``after``."""
    return payloads(rt, etype, after)


def apply_directory(rt, data: dict) -> list[events.EnterpriseUpdated]:
    """Import a directory; the enterprise.updated events that import emitted."""
    since = last_seq(rt)
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.Directory.model_validate(data))
    return emitted(rt, "enterprise.updated", since)


@pytest.fixture
def routing(sqlite_runtime):
    """routing's runtime with the demo directory imported."""
    rt = sqlite_runtime("routing")
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
    return rt


def grievance(enterprise_code: str = "E001", **changes) -> events.GrievanceSubmitted:
    return demand_submitted(
        **(
            {
                "enterprise_code": enterprise_code,
                "category": "workplace",
                "channel": "kiosk",
                "description": "车间噪音太大 the workshop is too loud",
            }
            | changes
        )
    )


def submit(rt, g: events.GrievanceSubmitted) -> None:
    """Run the handler as the consumer would, each time under a new event id."""
    deliver(rt, g, producer="intake")


def assignee_of(rt, enterprise_code: str, **changes) -> events.Assignee:
    g = grievance(enterprise_code, **changes)
    submit(rt, g)
    [assigned] = [p for p in emitted(rt, "case.assigned") if p.grievance_id == g.grievance_id]
    return assigned.assignee


def as_utc(value: datetime) -> datetime:
    """A stored time as UTC; SQLite hands times back naive (see test_case_times_read_back_in_utc)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def case_rows(rt, grievance_id: str):
    with rt.engine.connect() as conn:
        return conn.execute(select(cases).where(cases.c.grievance_id == grievance_id)).all()


# -- routing rules -------------------------------------------------------------------------------
def test_demand_goes_to_the_enterprise_chair(routing):
    chair = assignee_of(routing, "E001")
    assert (chair.id, chair.role, chair.org_code) == ("e001-chair", "enterprise_chair", "E001")
    assert chair.email == "chair.e001@example.org"


def test_demand_about_the_chair_goes_to_the_county_officer_never_the_chair(routing):
    officer = assignee_of(routing, "E001", about_chair=True)
    assert (officer.id, officer.role, officer.org_code) == ("c01-officer", "county_officer", "C01")


def test_demand_for_an_enterprise_without_a_chair_goes_to_its_county(routing):
    officer = assignee_of(routing, "E030")
    assert (officer.id, officer.role, officer.org_code) == ("c10-officer", "county_officer", "C10")


def test_demand_for_an_inactive_enterprise_goes_to_its_county(routing):
    data = demo_data()
    enterprise(data, "E002")["active"] = False
    apply_directory(routing, data)
    officer = assignee_of(routing, "E002")
    assert (officer.id, officer.role) == ("c02-officer", "county_officer")


def test_county_without_an_officer_sends_the_demand_to_the_city(routing):
    data = demo_data()
    county(data, "C10")["officers"] = []
    apply_directory(routing, data)
    officer = assignee_of(routing, "E030")
    assert (officer.id, officer.role, officer.org_code) == ("city-officer-1", "city_officer", "city")


def test_demand_about_the_chair_in_a_county_without_officer_goes_to_the_city(routing):
    data = demo_data()
    county(data, "C01")["officers"] = []
    apply_directory(routing, data)
    assert assignee_of(routing, "E001", about_chair=True).role == "city_officer"


# -- the grievance.submitted handler -------------------------------------------------------------
def test_submitted_demand_becomes_one_assigned_case(routing):
    g = grievance("E001", category="safety_health")
    submit(routing, g)
    [case] = case_rows(routing, g.grievance_id)
    assert (case.status, case.assignee_id, case.county_code, case.supervision_level) == (
        "assigned",
        "e001-chair",
        "C01",
        0,
    )
    created = as_utc(case.created_at)
    assert as_utc(case.accept_due) == deadlines.accept_due(created, "safety_health", "normal")
    assert as_utc(case.resolve_due) == deadlines.resolve_due(created)


def test_case_times_read_back_in_utc(routing):
    g = grievance()
    submit(routing, g)
    [case] = case_rows(routing, g.grievance_id)
    for value in (case.submitted_at, case.created_at, case.accept_due, case.resolve_due):
        assert value.utcoffset() is not None and value.utcoffset().total_seconds() == 0
    assert case.submitted_at == g.submitted_at


def test_case_history_records_registered_then_assigned(routing):
    g = grievance()
    submit(routing, g)
    [case] = case_rows(routing, g.grievance_id)
    with routing.engine.connect() as conn:
        steps = conn.execute(
            select(history.c.from_status, history.c.to_status, history.c.at)
            .where(history.c.case_id == case.id)
            .order_by(history.c.seq)
        ).all()
    assert [(s.from_status, s.to_status) for s in steps] == [(None, "registered"), ("registered", "assigned")]
    assert as_utc(steps[0].at) == g.submitted_at


def test_case_assigned_event_carries_the_assignee_and_dues(routing):
    g = grievance()
    submit(routing, g)
    [case] = case_rows(routing, g.grievance_id)
    [assigned] = emitted(routing, "case.assigned")
    assert (assigned.case_id, assigned.grievance_id, assigned.level) == (case.id, g.grievance_id, 0)
    assert (assigned.assignee.id, assigned.assignee.name) == ("e001-chair", "王建国")
    assert (assigned.accept_due, assigned.resolve_due) == (as_utc(case.accept_due), as_utc(case.resolve_due))


def test_same_demand_under_two_event_ids_makes_one_case_and_one_event(routing):
    g = grievance()
    submit(routing, g)
    submit(routing, g)
    assert len(case_rows(routing, g.grievance_id)) == 1
    assert len(emitted(routing, "case.assigned")) == 1


# -- the directory import ------------------------------------------------------------------------
def test_first_import_announces_every_enterprise_once(sqlite_runtime):
    updates = apply_directory(sqlite_runtime("routing"), demo_data())
    assert len(updates) == 30
    assert len({u.code for u in updates}) == 30
    assert all(u.active for u in updates)
    assert [u.code for u in updates if not u.has_chair] == ["E030"]


def test_importing_the_same_directory_again_announces_nothing(routing):
    assert apply_directory(routing, demo_data()) == []


def test_enterprise_left_out_of_the_directory_becomes_inactive(routing):
    data = demo_data()
    data["enterprises"] = [e for e in data["enterprises"] if e["code"] != "E005"]
    [update] = apply_directory(routing, data)
    assert (update.code, update.active) == ("E005", False)


def test_removing_a_chair_announces_the_enterprise_has_none(routing):
    data = demo_data()
    enterprise(data, "E007")["chair"] = None
    [update] = apply_directory(routing, data)
    assert (update.code, update.active, update.has_chair) == ("E007", True, False)


def test_each_enterprise_carries_its_chair_and_its_county_officers(sqlite_runtime):
    updates = {u.code: u for u in apply_directory(sqlite_runtime("routing"), demo_data())}
    assert updates["E001"].chair_id == "e001-chair" and updates["E030"].chair_id is None
    assert [(o.id, o.role, o.org_code) for o in updates["E001"].county_officers] == [
        ("c01-officer", "county_officer", "C01")
    ]
    assert updates["E001"].county_officers[0].email == "c01.union@example.org"


def test_a_new_county_officer_is_announced_on_the_countys_enterprises(routing):
    data = demo_data()
    county = next(c for c in data["counties"] if c["code"] == "C02")
    county["officers"].append({"id": "c02-officer-2", "name": "新干事", "email": "c02.b@example.org"})
    updates = apply_directory(routing, data)
    assert updates and {u.county_code for u in updates} == {"C02"}
    assert all([o.id for o in u.county_officers] == ["c02-officer", "c02-officer-2"] for u in updates)


def test_removed_chair_no_longer_receives_demands(routing):
    data = demo_data()
    enterprise(data, "E007")["chair"] = None
    apply_directory(routing, data)
    assert assignee_of(routing, "E007").id == "c07-officer"


def broken_directories():
    unknown_county, repeated, no_city_officer = demo_data(), demo_data(), demo_data()
    enterprise(unknown_county, "E001")["county"] = "C99"
    repeated["enterprises"].append(copy.deepcopy(enterprise(repeated, "E001")))
    no_city_officer["city"]["officers"] = []
    return {"unknown county": unknown_county, "repeated code": repeated, "no city officer": no_city_officer}


@pytest.mark.parametrize("name", sorted(broken_directories()))
def test_invalid_directory_is_rejected(name):
    with pytest.raises(ValidationError):
        directory.Directory.model_validate(broken_directories()[name])


def test_directory_without_city_officers_key_is_rejected():
    data = demo_data()
    del data["city"]["officers"]
    with pytest.raises(ValidationError):
        directory.Directory.model_validate(data)
