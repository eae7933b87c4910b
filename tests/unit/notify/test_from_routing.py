"""The events routing really publishes, handed to notify: a supervisor's escalation of a demand
about the chair reaches the county's officers and group, never the chair, and the notification log
of the case answers the county and not the chair (no broker: the consumer's path, by hand)."""

from __future__ import annotations

import pytest

from services.notify.app import create_app
from services.notify.dispatcher import Dispatcher
from tests.support.events import handle, published
from tests.support.notify import rows
from tests.support.routing import CHAIR, CITY, COUNTY, SECRET

TYPES = ("case.assigned", "case.status_changed", "case.supervision_raised", "staff.revoked")


@pytest.fixture
def notify(ledger, sqlite_runtime):
    """notify fed with everything routing published so far (the demo directory and five cases)."""
    rt = sqlite_runtime("notify", secret_key=SECRET)
    for envelope, payload in published(ledger.rt):
        if envelope.type in TYPES:
            handle(rt, envelope, payload)
    return rt


def escalate(ledger, notify, name: str, headers: dict, level: int) -> str:
    case_id = ledger.case_ids[name]
    version = ledger.get(f"/api/v1/cases/{case_id}", headers=headers).get_json()["version"]
    since = len(published(ledger.rt))
    answer = ledger.post(
        f"/api/v1/cases/{case_id}/escalate",
        json={"version": version, "reason": "多次催办无果，请督办", "level": level},
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_json()
    for envelope, payload in published(ledger.rt)[since:]:
        if envelope.type in TYPES:
            handle(notify, envelope, payload)
    return case_id


def test_a_county_escalation_of_a_demand_about_the_chair_never_reaches_the_chair(ledger, notify):
    case_id = escalate(ledger, notify, "e001-about-chair", COUNTY, 1)
    told = rows(notify, case_id=case_id, kind="supervision_raised")
    assert told, "the county heard nothing"
    assert {r.recipient_id for r in told if r.audience == "staff"} <= {"c01-officer"}
    assert {r.recipient_id for r in told if r.audience == "group"} == {"C01"}
    assert not [r for r in rows(notify) if r.recipient_id == "e001-chair" and r.case_id == case_id]
    assert all("多次催办无果" in r.body for r in told if r.medium in ("email", "group"))

    Dispatcher(notify.settings, notify.engine).run_once()
    client = create_app(notify).test_client()
    url = f"/api/v1/cases/{case_id}/notifications"
    assert client.get(url, headers=COUNTY).status_code == 200
    assert client.get(url, headers=CITY).status_code == 200
    assert client.get(url, headers=CHAIR).status_code == 404


def test_a_city_escalation_tells_the_city_officers_and_the_city_group(ledger, notify):
    case_id = escalate(ledger, notify, "e002", CITY, 2)
    told = rows(notify, case_id=case_id, kind="supervision_raised")
    assert {r.recipient_id for r in told if r.audience == "group"} == {"city"}
    assert {r.recipient_id for r in told if r.audience == "staff"} == {"city-officer-1"}
